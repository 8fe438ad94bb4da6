"""Change counters per (registry, facility), bumped with every case change, read by caches."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable

from sqlalchemy import BigInteger, ForeignKey, Insert, Integer, String, Table, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from printreg.storage.base import Base


class AnalyticsStamp(Base):
    """How many times a facility's cases in a registry have changed: analytics caches compare
    these counters with the ones they were built from to know what to reload.

    Bumped in the same transaction as every audited case change (single and bulk)."""

    __tablename__ = "analytics_stamps"

    registry_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


def bump(session: Session, registry_code: str, facility_ids: Iterable[int]) -> None:
    """Add one to the change counter of each facility in the registry, in the session's
    transaction (so the counter moves if and only if the change commits)."""
    ids = sorted(set(facility_ids))  # a fixed order: concurrent writers lock rows alike
    if not ids:
        return
    rows = [{"registry_code": registry_code, "facility_id": i, "version": 1} for i in ids]
    session.execute(_bump_statement(session.get_bind().dialect.name), rows)


@functools.cache
def _bump_statement(dialect: str) -> Insert:
    """Return the upsert that adds one to a (registry, facility) counter, built once per
    dialect (the dialect of the database in use only: the other one need not load at all)."""
    table = AnalyticsStamp.__table__
    assert isinstance(table, Table)  # noqa: S101 - declarative tables are Tables
    insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
    statement: Insert = insert(table).on_conflict_do_update(
        index_elements=["registry_code", "facility_id"],
        set_={"version": table.c.version + 1},
    )
    return statement


def read(session: Session, registry_code: str) -> dict[int, int]:
    """Return every facility's change counter in the registry (facilities never changed: absent)."""
    rows = session.execute(
        select(AnalyticsStamp.facility_id, AnalyticsStamp.version).where(
            AnalyticsStamp.registry_code == registry_code
        )
    )
    return {int(facility_id): int(version) for facility_id, version in rows}
