"""Bring a database up to date: platform tables by Alembic, case tables from the definitions."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from printreg.dictionary import Definition, load_shipped, parse_definition
from printreg.registries.models import DefinitionVersion, Registry
from printreg.storage.case_tables import CaseTables, build_case_tables

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def _alembic_config() -> Config:
    # Alembic is imported only here, when migrating: every service imports this module.
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate_platform(engine: Engine) -> None:
    """Apply every pending Alembic migration of the platform tables."""
    from alembic import command  # noqa: PLC0415

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_case_tables(engine: Engine, tables: CaseTables) -> list[str]:
    """Create missing case tables and add columns that newer versions declare; return changes."""
    changes: list[str] = []
    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in tables.all_tables:
            if not inspector.has_table(table.name):
                table.create(connection)
                changes.append(f"created table {table.name}")
                continue
            existing = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in existing:
                    continue
                ddl = column.type.compile(dialect=engine.dialect)
                connection.execute(
                    text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {ddl}')
                )
                changes.append(f"added column {table.name}.{column.name}")
    return changes


def checksum(definition: Definition) -> str:
    """Return a stable SHA-256 of the definition's content."""
    # Defaults are left out so that a new optional attribute in the schema does not change
    # the checksum of every definition already published.
    payload = json.dumps(definition.model_dump(mode="json", exclude_defaults=True), sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def register_definition(
    session: Session, definition: Definition, lifecycle: str = "active"
) -> bool:
    """Store a definition version (and its registry on first sight); return whether it was new.

    A stored version is immutable: the same version number with other content is refused, and
    so is a new version lower than the current one (whatever its content). A registry seen for
    the first time starts in ``lifecycle`` (shipped registries: active).
    """
    registry = session.scalar(select(Registry).where(Registry.code == definition.registry.code))
    if registry is None:
        registry = Registry(
            code=definition.registry.code,
            name=definition.registry.name,
            description=definition.registry.description,
            lifecycle=lifecycle,
            current_version=definition.version,
        )
        session.add(registry)
        session.flush()
    stored = session.scalar(
        select(DefinitionVersion).where(
            DefinitionVersion.registry_id == registry.id,
            DefinitionVersion.version == definition.version,
        )
    )
    digest = checksum(definition)
    if stored is not None:
        if stored.checksum != digest:
            raise ValueError(
                f"{definition.registry.code} {definition.version} is already published with other "
                "content: give the changed definition a new version number"
            )
        return False
    if _lower_than_current(registry, definition):
        raise ValueError(
            f"{definition.registry.code} {definition.version} is lower than the current version "
            f"{registry.current_version}: a new version must be higher than the current one"
        )
    session.add(
        DefinitionVersion(
            registry_id=registry.id,
            version=definition.version,
            content=definition.model_dump(mode="json"),
            checksum=digest,
        )
    )
    current = tuple(int(p) for p in registry.current_version.split("."))
    if definition.version_tuple > current:
        registry.current_version = definition.version
    return True


def _lower_than_current(registry: Registry, definition: Definition) -> bool:
    current = tuple(int(p) for p in registry.current_version.split("."))
    return definition.version_tuple < current


def _is_stale(session: Session, definition: Definition) -> bool:
    """Return whether a shipped version is new to the database yet lower than its current one
    (an operator published a higher one meanwhile): it is then never published."""
    registry = session.scalar(select(Registry).where(Registry.code == definition.registry.code))
    if registry is None or not _lower_than_current(registry, definition):
        return False
    return (
        session.scalar(
            select(DefinitionVersion.id).where(
                DefinitionVersion.registry_id == registry.id,
                DefinitionVersion.version == definition.version,
            )
        )
        is None
    )


def stored_definitions(session: Session, registry_code: str) -> list[Definition]:
    """Return every stored version of a registry's definition, oldest first."""
    rows = session.scalars(
        select(DefinitionVersion)
        .join(Registry, Registry.id == DefinitionVersion.registry_id)
        .where(Registry.code == registry_code)
    ).all()
    defs = [parse_definition(r.content, f"{registry_code} {r.version}") for r in rows]
    return sorted(defs, key=lambda d: d.version_tuple)


def upgrade(engine: Engine) -> list[str]:
    """Migrate platform tables, register shipped definitions, create case tables; return changes."""
    migrate_platform(engine)
    changes: list[str] = []
    with Session(engine) as session, session.begin():
        for definition in load_shipped():
            if _is_stale(session, definition):
                changes.append(
                    f"not registered {definition.registry.code} {definition.version}: lower than "
                    "the current version"
                )
            elif register_definition(session, definition):
                changes.append(f"registered {definition.registry.code} {definition.version}")
        codes = list(session.scalars(select(Registry.code)))
        all_defs = {code: stored_definitions(session, code) for code in codes}
    for code, defs in all_defs.items():
        changes += ensure_case_tables(engine, build_case_tables(code, defs))
    return changes
