"""The database schema: Alembic migrations match the models; generated case tables are typed."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from printreg.services.platform import Platform
from printreg.storage.migrations_filter import platform_tables_only
from printreg.storage.platform import Base
from printreg.storage.schema import upgrade


def test_migrations_match_the_platform_models(platform: Platform) -> None:
    with platform.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": platform_tables_only}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_upgrade_is_idempotent(platform: Platform) -> None:
    assert upgrade(platform.engine) == []


def test_every_case_table_leads_with_the_facility_key(platform: Platform) -> None:
    tables = platform.registry("3dp").tables
    inspector = inspect(platform.engine)
    for table in tables.all_tables:
        primary_key = inspector.get_pk_constraint(table.name)["constrained_columns"]
        assert primary_key[0] == "facility_id", table.name
        columns = {c["name"]: c for c in inspector.get_columns(table.name)}
        assert columns["facility_id"]["nullable"] is False


def test_clinical_values_are_typed_columns(platform: Platform) -> None:
    main = platform.registry("3dp").tables.main
    inspector = inspect(platform.engine)
    types = {c["name"]: str(c["type"]).upper() for c in inspector.get_columns(main.name)}
    assert "DATE" in types["request_date"]
    assert types["guide_count"].startswith("INTEGER")
    assert any(t in types["patient_age_years"] for t in ("FLOAT", "DOUBLE", "REAL"))
    assert "BOOL" in types["effort_cad_clinician_min_unknown"] or types[
        "effort_cad_clinician_min_unknown"
    ].startswith("BOOLEAN")
    assert "source_modalities" not in types  # multi-selects live in their own table
    assert f"{main.name}__source_modalities" in inspector.get_table_names()
