"""Alembic environment: runs on the connection printreg hands over (no URL in a config file)."""

from __future__ import annotations

from alembic import context

from printreg.storage.metadata import metadata
from printreg.storage.migrations_filter import platform_tables_only

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'printreg db upgrade', which passes a connection")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    include_name=platform_tables_only,
)
with context.begin_transaction():
    context.run_migrations()
