"""Change counters per (registry, facility), bumped with every case change, read by caches.

A facility's counter is the sum of a few rows (slots): each change adds one to a slot picked at
random, so concurrent changes at one facility rarely update the same row. With a single row,
every case write of a facility locked it from its bump to its commit, and concurrent creates of
one facility queued behind each other (bench/api.py: about one create in ten waited)."""

from __future__ import annotations

import functools
import importlib
import random
from collections.abc import Iterable

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Insert,
    Integer,
    Select,
    SmallInteger,
    String,
    Table,
    bindparam,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from printreg.storage.base import Base

SLOTS = 16
"""Rows per (registry, facility) counter. Two writers of one facility wait for each other only
when they pick the same slot (1 in 16); a reader sums at most 16 rows per facility."""


class AnalyticsStamp(Base):
    """How many times a facility's cases in a registry have changed: analytics caches compare
    these counters with the ones they were built from to know what to reload.

    A counter is the sum of ``version`` over its slots (see the module's docstring); a slot is
    bumped in the same transaction as every audited case change (single and bulk), so the sum
    moves if and only if a change commits."""

    __tablename__ = "analytics_stamps"

    registry_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


def bump(session: Session, registry_code: str, facility_ids: Iterable[int]) -> None:
    """Add one to the change counter of each facility in the registry, in the session's
    transaction (so the counter moves if and only if the change commits)."""
    ids = sorted(set(facility_ids))  # facility order: writers of several facilities never
    if not ids:  # deadlock (whatever slots they pick, each waits only on a later facility)
        return
    slot = random.randrange(SLOTS)  # noqa: S311 - spreads writers, no secret
    rows = [
        {"registry_code": registry_code, "facility_id": i, "slot": slot, "version": 1} for i in ids
    ]
    session.execute(_bump_statement(session.get_bind().dialect.name), rows)


@functools.cache
def _bump_statement(dialect: str) -> Insert:
    """Return the upsert that adds one to a (registry, facility, slot) row, built once per
    dialect (the dialect of the database in use only: the other one need not load at all)."""
    table = AnalyticsStamp.__table__
    assert isinstance(table, Table)  # noqa: S101 - declarative tables are Tables
    insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
    statement: Insert = insert(table).on_conflict_do_update(
        index_elements=["registry_code", "facility_id", "slot"],
        set_={"version": table.c.version + 1},
    )
    return statement


#: every facility's counter in a registry: the sum over its slots, one grouped query
_READ: Select[int, int] = (
    select(AnalyticsStamp.facility_id, func.sum(AnalyticsStamp.version))
    .where(AnalyticsStamp.registry_code == bindparam("registry_code"))
    .group_by(AnalyticsStamp.facility_id)
)


def read(session: Session, registry_code: str) -> dict[int, int]:
    """Return every facility's change counter in the registry (facilities never changed: absent)."""
    rows = session.execute(_READ, {"registry_code": registry_code})
    return {int(facility_id): int(version) for facility_id, version in rows}
