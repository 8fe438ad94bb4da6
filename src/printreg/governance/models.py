"""Tables of facility enrollment applications and committee votes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class EnrollmentApplication(Base):
    """A facility's application to join a registry: what it declared, and how it was decided.

    ``profile`` and ``printers`` are copies of the facility's profile and inventory when it
    applied; ``contacts`` are the staff the registry may contact (never patient data).
    """

    __tablename__ = "enrollment_applications"
    __table_args__ = (Index("ix_enrollment_applications_facility", "facility_id", "registry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    status: Mapped[str] = mapped_column(String(16))  # open, approved, declined, withdrawn
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    printers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CommitteeVote(Base):
    """One committee member's vote on one subject (an enrollment application, a data request).

    One row per member and subject; a changed vote updates the row and is audited.
    """

    __tablename__ = "committee_votes"
    __table_args__ = (UniqueConstraint("registry_id", "subject_type", "subject_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vote: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
