"""Stored results of the latest quality evaluation of each registry: findings, scores, runs.

Each evaluation replaces its registry's findings and scores in one transaction, so pages read
the latest results and never evaluate during a request. A finding's message is built from the
rule and the definition's labels only (no case value, no free text).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class QualityRun(Base):
    """The latest evaluation of a registry: when, with which rules and definition, how much."""

    __tablename__ = "quality_runs"

    registry_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    evaluated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    rules_version: Mapped[str] = mapped_column(String(32))
    definition_version: Mapped[str] = mapped_column(String(32))
    cases: Mapped[int] = mapped_column(Integer)
    findings: Mapped[int] = mapped_column(Integer)


class QualityFinding(Base):
    """One rule's finding on one case field."""

    __tablename__ = "quality_findings"
    __table_args__ = (
        Index("ix_quality_findings_place", "registry_code", "facility_id", "rule_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registry_code: Mapped[str] = mapped_column(String(24))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    rule_id: Mapped[str] = mapped_column(String(48))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    field_path: Mapped[str] = mapped_column(String(120))
    message: Mapped[str] = mapped_column(String(400))


class QualityScore(Base):
    """How many of a facility's cases of a quarter there are, and how many carry a finding of
    one rule (``rule_id`` null: of any rule)."""

    __tablename__ = "quality_scores"
    __table_args__ = (Index("ix_quality_scores_place", "registry_code", "facility_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    registry_code: Mapped[str] = mapped_column(String(24))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(8))
    rule_id: Mapped[str | None] = mapped_column(String(48))
    cases: Mapped[int] = mapped_column(Integer)
    flagged: Mapped[int] = mapped_column(Integer)
