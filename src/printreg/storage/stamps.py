"""Change counters per (registry, facility), bumped with every case change, read by caches.

A facility's counter is the sum of a few rows (slots). On PostgreSQL a change adds one to the
first slot no other transaction holds (``FOR UPDATE SKIP LOCKED``), and opens a new slot only
when every existing one is held: concurrent writers of one facility never wait for each other's
commit, and a facility has as many rows as it ever had writers at once (at most :data:`SLOTS`).
With a single row, every case write of a facility locked it from its bump to its commit and
concurrent creates of one facility queued (bench/create_cost.py: a third of the creates waited
under 32 connections). SQLite has one writer at a time, so it keeps slot 0 only.

Within one transaction a facility's bumps all go to the slot its first bump took (kept in the
session's ``info``), so a transaction holds one slot per facility and two transactions never
wait on each other's slots of one facility in opposite orders."""

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
    Update,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from printreg.storage.base import Base

SLOTS = 16
"""The most rows one (registry, facility) counter may have: a new slot is opened only when all
existing ones are held by writers in flight, so this bounds the rows a reader sums."""

_HELD = "printreg.stamp_slots"
"""Key in ``Session.info``: (the transaction, {(registry, facility): slot it holds})."""


class AnalyticsStamp(Base):
    """How many times a facility's cases in a registry have changed: analytics caches compare
    these counters with the ones they were built from to know what to reload.

    A counter is the sum of ``version`` over its slots (see the module's docstring); one slot
    is bumped in the same transaction as every audited case change (single and bulk), so the
    sum moves if and only if a change commits."""

    __tablename__ = "analytics_stamps"

    registry_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    slot: Mapped[int] = mapped_column(SmallInteger, primary_key=True, default=0, server_default="0")
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


def bump(session: Session, registry_code: str, facility_ids: Iterable[int]) -> None:
    """Add one to the change counter of each facility in the registry, in the session's
    transaction (so the counter moves if and only if the change commits)."""
    ids = sorted(set(facility_ids))  # a fixed order: writers of several facilities lock alike
    if not ids:
        return
    dialect = session.get_bind().dialect.name
    held = _held_slots(session)
    slots = {i: held.get((registry_code, i), 0) for i in ids}
    if dialect == "postgresql" and len(ids) == 1 and (registry_code, ids[0]) not in held:
        facility_id = ids[0]
        slot = session.execute(_BUMP_FREE_SLOT, {"r_code": registry_code, "f_id": facility_id})
        taken = slot.scalar_one_or_none()
        if taken is not None:
            held[(registry_code, facility_id)] = taken
            return
        # No slot yet, or every slot held by another writer: open one (slot 0, which the
        # others prefer, is never the pick; a pick held by another writer, or all SLOTS
        # existing, means waiting for that writer's commit, as every writer once did).
        slots[facility_id] = random.randrange(1, SLOTS)  # noqa: S311 - spreads, no secret
    rows = [
        {"registry_code": registry_code, "facility_id": i, "slot": slots[i], "version": 1}
        for i in ids
    ]
    session.execute(_bump_statement(dialect), rows)
    held.update({(registry_code, i): slots[i] for i in ids})


def _held_slots(session: Session) -> dict[tuple[str, int], int]:
    """Return the slots this session's current transaction holds, by (registry, facility)."""
    transaction = session.get_transaction()
    kept = session.info.get(_HELD)
    if kept is None or kept[0] is not transaction:
        kept = (transaction, {})
        session.info[_HELD] = kept
    slots: dict[tuple[str, int], int] = kept[1]
    return slots


def _bump_free_slot() -> Update:
    """Return the update that adds one to the facility's first slot no other transaction holds,
    answering that slot (no row: none exists or all are held)."""
    table = AnalyticsStamp.__table__
    assert isinstance(table, Table)  # noqa: S101 - declarative tables are Tables
    of_facility = (
        table.c.registry_code == bindparam("r_code"),
        table.c.facility_id == bindparam("f_id"),
    )
    free = (
        select(table.c.slot)
        .where(*of_facility)
        .order_by(table.c.slot)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(table)
        .where(*of_facility, table.c.slot == free)
        .values(version=table.c.version + 1)
        .returning(table.c.slot)
    )


_BUMP_FREE_SLOT = _bump_free_slot()


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
