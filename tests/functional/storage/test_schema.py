"""The database schema: Alembic migrations match the models; generated case tables are typed."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, column, insert, inspect, select, text
from sqlalchemy import table as sa_table
from sqlalchemy.orm import Session

from printreg.dictionary import load_shipped
from printreg.platform import Platform
from printreg.storage import stamps
from printreg.storage.metadata import metadata
from printreg.storage.migrations_filter import platform_tables_only
from printreg.storage.schema import _alembic_config, register_definition, upgrade


def test_migrations_match_the_platform_models(platform: Platform) -> None:
    with platform.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": platform_tables_only}
        )
        diff = compare_metadata(context, metadata)
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
    # a reason for missing data is text beside the value: the minutes column stays an integer
    assert types["effort_cad_clinician_min"].startswith("INTEGER")
    assert "CHAR" in types["effort_cad_clinician_min__missing"]
    assert "effort_cad_clinician_min_unknown" not in types
    assert "source_modalities" not in types  # multi-selects live in their own table
    assert f"{main.name}__source_modalities" in inspector.get_table_names()


def _alembic(platform: Platform, action: str, revision: str) -> None:
    config = _alembic_config()
    with platform.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _rows(platform: Platform, sql: str) -> set[tuple[Any, ...]]:
    with platform.engine.connect() as connection:
        return {tuple(r) for r in connection.execute(text(sql))}


def _two_facilities(connection: Connection) -> None:
    """Insert facilities F1 (id 1) and F2 (id 2) with plain SQL (any schema revision)."""
    for n, code in ((1, "F1"), (2, "F2")):
        connection.execute(
            text(
                "INSERT INTO facilities (id, code, name, facility_type, location, "
                "census_region, lab_service_model, created_at) VALUES (:id, :code, :code, "
                "'community', 'rural', 'west', 'surgery', CURRENT_TIMESTAMP)"
            ),
            {"id": n, "code": code},
        )


def test_memberships_become_per_registry_and_back(platform: Platform) -> None:
    # Before 0008 a membership held at a facility in every registry. F1 takes part in 3dp
    # only; F2 in no registry at all (so its people keep their role in every registry).
    _alembic(platform, "downgrade", "0007")
    registries = dict(_rows(platform, "SELECT code, id FROM registries"))
    with platform.engine.begin() as connection:
        _two_facilities(connection)
        connection.execute(
            text(
                "INSERT INTO users (id, email, display_name, active, created_at, failed_logins) "
                "VALUES (1, 'a@x.org', 'A', true, CURRENT_TIMESTAMP, 0)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO participations (facility_id, registry_id, status) VALUES (1, :r, 'active')"
            ),
            {"r": registries["3dp"]},
        )
        connection.execute(
            text(
                "INSERT INTO memberships (user_id, facility_id, role) VALUES "
                "(1, 1, 'data_manager'), (1, 2, 'viewer')"
            )
        )
    _alembic(platform, "upgrade", "head")
    assert _rows(platform, "SELECT user_id, facility_id, registry_id, role FROM memberships") == {
        (1, 1, registries["3dp"], "data_manager"),
        (1, 2, registries["3dp"], "viewer"),
        (1, 2, registries["gsae"], "viewer"),
    }
    with platform.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO memberships (user_id, facility_id, registry_id, role) "
                "VALUES (1, 1, :r, 'facility_admin')"
            ),
            {"r": registries["gsae"]},
        )
    _alembic(platform, "downgrade", "0007")
    # Back to one role per facility: the strongest the person held in any registry.
    assert _rows(platform, "SELECT user_id, facility_id, role FROM memberships") == {
        (1, 1, "facility_admin"),
        (1, 2, "viewer"),
    }
    _alembic(platform, "upgrade", "head")


def test_a_version_lower_than_the_current_one_is_never_registered(platform: Platform) -> None:
    """Issue 12, point 8: also on the path `printreg db upgrade` takes for shipped definitions."""

    newest = [d for d in load_shipped() if d.registry.code == "3dp"][-1]
    relabelled = newest.model_copy(update={"version": "0.9.0"})
    with Session(platform.engine) as session, session.begin():
        with pytest.raises(ValueError, match=r"0\.9\.0 is lower than the current version 1\.1\.0"):
            register_definition(session, relabelled)
        assert register_definition(session, newest) is False  # already there: nothing to do
    assert sorted(platform.registry("3dp").definitions) == ["1.0.0", "1.1.0"]


def test_the_case_tables_keep_the_columns_of_older_versions(platform: Platform) -> None:
    """A group element 1.1.0 replaced (prints.material) keeps its column: 1.0.0 cases stay
    readable; the coded element of 1.1.0 has its own."""
    prints = platform.registry("3dp").tables.groups["prints"]
    assert {"material", "material_family", "material_family_other_text"} <= set(prints.c.keys())
    columns = {c["name"] for c in inspect(platform.engine).get_columns(prints.name)}
    assert {"material", "material_family", "material_family_other_text"} <= columns


def test_unknown_flags_become_reasons_and_back(platform: Platform) -> None:
    """Migration 0014: a stored 'unknown' flag becomes the reason 'unknown' beside the value;
    downgrading keeps 'unknown' (other reasons had no place before 0014)."""
    main = platform.registry("3dp").tables.main
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    system = {"status": "complete", "definition_version": "1.1.0", "row_version": 1,
              "created_at": now, "updated_at": now, "created_by": "a", "updated_by": "a"}  # fmt: skip
    with platform.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO facilities (id, code, name, facility_type, location, "
                "census_region, lab_service_model, created_at) VALUES (1, 'F1', 'F1', "
                "'community', 'rural', 'west', 'surgery', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            insert(main),
            [
                {
                    **system,
                    "facility_id": 1,
                    "id": uuid.uuid4(),
                    "local_case_id": "A",
                    "effort_cad_clinician_min": None,
                    "effort_cad_clinician_min__missing": "unknown",
                    "effort_segmentation_clinician_min__missing": "declined",
                    "effort_cad_nonclinician_min": 30,
                },
                {
                    **system,
                    "facility_id": 1,
                    "id": uuid.uuid4(),
                    "local_case_id": "B",
                    "effort_cad_clinician_min": 45,
                    "effort_cad_clinician_min__missing": None,
                    "effort_segmentation_clinician_min__missing": None,
                    "effort_cad_nonclinician_min": None,
                },
            ],
        )

    def read(suffix: str) -> set[tuple[Any, ...]]:
        names = ("local_case_id", "effort_cad_clinician_min", f"effort_cad_clinician_min{suffix}",
                 f"effort_segmentation_clinician_min{suffix}", "effort_cad_nonclinician_min")  # fmt: skip
        table = sa_table(main.name, *(column(n) for n in names))
        with platform.engine.connect() as connection:
            return {tuple(r) for r in connection.execute(select(*table.c))}

    _alembic(platform, "downgrade", "0013")
    names = {c["name"] for c in inspect(platform.engine).get_columns(main.name)}
    assert "effort_cad_clinician_min_unknown" in names
    assert not {n for n in names if n.endswith("__missing")}
    flags = read("_unknown")
    assert {(k, v, bool(u), bool(s), n) for k, v, u, s, n in flags} == {
        ("A", None, True, False, 30),
        ("B", 45, False, False, None),
    }
    _alembic(platform, "upgrade", "head")
    names = {c["name"] for c in inspect(platform.engine).get_columns(main.name)}
    assert not {n for n in names if n.endswith("_min_unknown")}
    assert read("__missing") == {("A", None, "unknown", None, 30), ("B", 45, None, None, None)}
    assert upgrade(platform.engine) == []  # the case tables are as the definitions declare


def test_stamp_slots_keep_every_counter_across_the_migration_and_back(platform: Platform) -> None:
    # 0021 splits a facility's counter into slots: the sums the analytics manifests were built
    # from must survive it both ways, and on PostgreSQL a second writer of one facility takes
    # another slot instead of waiting for the first one's commit (storage/stamps.py).
    _alembic(platform, "downgrade", "0020")
    with platform.engine.begin() as connection:
        _two_facilities(connection)
        connection.execute(
            text(
                "INSERT INTO analytics_stamps (registry_code, facility_id, version) "
                "VALUES ('3dp', 1, 7)"
            )
        )
    _alembic(platform, "upgrade", "head")
    with Session(platform.engine) as session, session.begin():
        assert stamps.read(session, "3dp") == {1: 7}
        session.execute(  # a counter without a slot 0 row (folded back on downgrade too)
            text(
                "INSERT INTO analytics_stamps (registry_code, facility_id, slot, version) "
                "VALUES ('3dp', 2, 5, 3)"
            )
        )
        for _ in range(3):  # one transaction: every bump of a facility in one slot
            stamps.bump(session, "3dp", [1])
        stamps.bump(session, "3dp", [])
    with Session(platform.engine) as session:
        assert stamps.read(session, "3dp") == {1: 10, 2: 3}
        assert stamps.read(session, "gsae") == {}
    assert _rows(platform, "SELECT facility_id, slot FROM analytics_stamps") == {(1, 0), (2, 5)}
    if platform.engine.dialect.name == "postgresql":
        with Session(platform.engine) as first, first.begin():
            stamps.bump(first, "3dp", [1])  # holds slot 0 until its commit
            with Session(platform.engine) as second, second.begin():
                second.execute(text("SET LOCAL lock_timeout = '5s'"))  # waiting would fail
                stamps.bump(second, "3dp", [1])
                stamps.bump(second, "3dp", [1, 2])  # its own slot again, and facility 2's
        with Session(platform.engine) as session:
            assert stamps.read(session, "3dp") == {1: 13, 2: 4}
        slots = _rows(platform, "SELECT slot FROM analytics_stamps WHERE facility_id = 1")
        assert len(slots) == 2  # a slot opened for the second writer, none more
    _alembic(platform, "downgrade", "0020")
    folded = _rows(platform, "SELECT registry_code, facility_id, version FROM analytics_stamps")
    counts = {1: 13, 2: 4} if platform.engine.dialect.name == "postgresql" else {1: 10, 2: 3}
    assert folded == {("3dp", f, v) for f, v in counts.items()}
    _alembic(platform, "upgrade", "head")
