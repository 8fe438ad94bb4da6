"""Platform tables of queries on case fields and of their history.

On the platform's ``Base``; ``storage.metadata`` imports this module so that Alembic sees them.
A query names its case by id (case tables are generated per registry, so no foreign key) and
its field by the path validation issues use (``prints[1].scale_pct``, rows from 1).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class Query(Base):
    """A question on one field of one case: who raised it, its text and its state.

    ``raised_side`` is ``registry`` (registry staff) or ``facility`` (the facility's own data
    manager): it decides who may close and re-open it. ``opened_at`` is when it was raised or
    last re-opened, from which its age is counted.
    """

    __tablename__ = "queries"
    __table_args__ = (Index("ix_queries_registry_status", "registry_code", "status"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    local_case_id: Mapped[str] = mapped_column(String(100))  # fixed for a case's life
    path: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    raised_side: Mapped[str] = mapped_column(String(16))
    raised_by: Mapped[str] = mapped_column(String(254))
    raised_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    opened_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QueryEvent(Base):
    """One step of a query's history: who, when, what (raise, change, confirm, close, reopen)
    and the text that came with it (the question, a reason, a re-opening; '' for none)."""

    __tablename__ = "query_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    query_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("queries.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
