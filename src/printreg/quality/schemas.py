"""The shapes of quality results: returned by the service, sent by the API, read by the pages
and the CLI. A finding carries its rule, case, field path and a message from the rule's words."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from printreg.schemas import PublicModel


class Score(PublicModel):
    """Cases and flagged cases of one rule (``rule_id`` None: any rule); ``score`` is the share
    of cases without a finding, None without cases."""

    rule_id: str | None
    label: str
    kind: str
    cases: int
    flagged: int
    score: float | None


class QuarterScore(PublicModel):
    """The overall score of one quarter of case dates (``2026-Q3``)."""

    quarter: str
    cases: int
    flagged: int
    score: float | None


class FindingOut(PublicModel):
    """One finding: which case, which field, what the rule says (never a value of the case)."""

    case_id: uuid.UUID
    field_path: str
    message: str


class RuleFindings(PublicModel):
    """A rule's findings at one facility: ``count`` of them, the first ``shown`` listed."""

    rule_id: str
    label: str
    kind: str
    count: int
    findings: list[FindingOut]


class Evaluated(PublicModel):
    """When the stored results were computed, from which rules and definition version."""

    evaluated_at: dt.datetime
    rules_version: str
    definition_version: str


class FacilityQuality(PublicModel):
    """A facility's data quality: overall and per-rule scores, the quarterly trend, findings.

    ``evaluated`` is None before the first evaluation (then everything else is empty)."""

    registry: str
    facility: str
    facility_name: str
    evaluated: Evaluated | None
    overall: Score
    rules: list[Score]
    trend: list[QuarterScore]
    findings: list[RuleFindings]


class FacilityScore(PublicModel):
    """One facility's overall score in an overview."""

    facility: str
    facility_name: str
    cases: int
    flagged: int
    score: float | None


class QualityOverview(PublicModel):
    """The facilities the caller sees, and their sum: registry-wide (``registry_wide``) for
    registry staff, their own facilities for everyone else."""

    registry: str
    registry_wide: bool
    evaluated: Evaluated | None
    overall: Score
    rules: list[Score]
    trend: list[QuarterScore]
    facilities: list[FacilityScore]


class EvaluationOut(PublicModel):
    """What an evaluation found and stored."""

    registry: str
    rules_version: str
    cases: int
    findings: int
    evaluated_at: dt.datetime


class EvaluationQueued(PublicModel):
    """The job that will evaluate the registry's rules."""

    registry: str
    job_id: uuid.UUID


class QueriesRaise(BaseModel):
    """Raise a query on findings of one rule: the chosen cases (none: every finding)."""

    model_config = ConfigDict(extra="forbid")

    case_ids: list[uuid.UUID] | None = Field(default=None, max_length=5000)
    text: str = Field(min_length=1, max_length=2000)


class QueriesRaised(PublicModel):
    """How many queries were raised, and how many findings were skipped (their field already
    has an open query, or their case was deleted since the evaluation)."""

    raised: int
    skipped: int
