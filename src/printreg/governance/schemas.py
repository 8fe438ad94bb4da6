"""Schemas of governance: lifecycle, definition versions, enrollment, committee votes.

The enrollment family (``EnrollmentOut``, ``ApplicationOut``, ``EnrollmentEventOut``) is what
``governance.enrollment`` returns and the API, pages and CLI show; the version and committee
shapes are still dataclasses of their services, validated into these at the API.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel, Field

from printreg.domain.facility import EnrollmentStatus
from printreg.domain.issues import Issue
from printreg.schemas import PublicModel


class _Out(PublicModel):
    """Governance answers, validated from the service's results."""


class LifecycleChange(BaseModel):
    """A registry's next lifecycle state (draft → pilot → active → closed) and why."""

    status: Literal["draft", "pilot", "active", "closed"]
    reason: str = Field(default="", max_length=2000)


class VersionOut(_Out):
    """A published definition version and how many stored cases follow it."""

    version: str
    published_at: dt.datetime
    current: bool
    cases: int


class VersionPublish(BaseModel):
    """A new definition version (the YAML text); a dry run only reports what publishing does."""

    definition: str = Field(min_length=1, max_length=2_000_000)
    dry_run: bool = True


class ChangeOut(_Out):
    """One difference from the current version and the version bump it needs."""

    kind: str
    path: str
    detail: str
    bump: str


class ColumnAddedOut(_Out):
    """A column publishing adds to a case table."""

    table: str
    column: str
    type: str


class IssueCountOut(_Out):
    """How many cases break one rule at one field (group rows counted together)."""

    rule: str
    field: str
    cases: int
    example: str


class MappingCountOut(_Out):
    """How many stored texts of a replaced element took one code (never the texts)."""

    element: str
    code: str
    matched: bool
    values: int


class MigrationReportOut(_Out):
    """What publishing a version does: schema changes, and stored cases it would find invalid.

    ``problems`` lists why the version cannot be published (it is then refused with 409).
    """

    registry: str
    from_version: str | None
    to_version: str
    dry_run: bool
    published: bool
    problems: list[str]
    changes: list[ChangeOut]
    tables_added: list[str]
    columns_added: list[ColumnAddedOut]
    elements_added: list[str]
    elements_retired: list[str]
    elements_replaced: list[str]
    value_set_changes: list[ChangeOut]
    cases_checked: int
    cases_invalid: int
    issues: list[IssueCountOut]
    mappings: list[MappingCountOut]


class UpgradeRequest(BaseModel):
    """Cases to move to a version: their ids, or "all" (every undeleted case on another one)."""

    cases: list[uuid.UUID] | Literal["all"] = Field(max_length=10_000)
    dry_run: bool = True


class CaseNotMovedOut(_Out):
    """A case that stays on its version, and why (with its issues when it is not valid)."""

    id: uuid.UUID
    facility: str | None
    local_case_id: str | None
    definition_version: str | None
    reason: str
    issues: list[Issue]


class UpgradeReportOut(_Out):
    """The outcome of an upgrade: cases moved (or that would move in a dry run), the others."""

    registry: str
    to_version: str
    dry_run: bool
    requested: int
    moved: int
    not_moved: list[CaseNotMovedOut]
    issues: list[IssueCountOut]
    mappings: list[MappingCountOut]


class ContactIn(BaseModel):
    """A staff member the registry may contact about the participation."""

    role: str = Field(default="", max_length=64)
    name: str = Field(min_length=1, max_length=200)
    email: str = Field(min_length=3, max_length=254)
    phone: str = Field(default="", max_length=40)


class EnrollmentApply(BaseModel):
    """A facility's application: its contacts and a statement (profile and printers are taken
    from the facility as it is now)."""

    facility: str = Field(min_length=1, max_length=32)
    contacts: list[ContactIn] = Field(min_length=1, max_length=10)
    statement: str = Field(default="", max_length=4000)


class ApplicationOut(_Out):
    """An enrollment application as submitted, and where its decision stands."""

    id: int
    registry: str
    facility: str
    status: str
    profile: dict[str, Any]
    printers: list[dict[str, Any]]
    contacts: list[dict[str, Any]]
    statement: str
    submitted_at: dt.datetime
    submitted_by: str
    decided_at: dt.datetime | None


class EnrollmentEventOut(_Out):
    """One audited step of the enrollment."""

    at: dt.datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class EnrollmentOut(_Out):
    """A facility's participation in a registry: state, agreement, fees (whole USD), latest
    application and every step so far."""

    registry: str
    facility: str
    status: EnrollmentStatus | None
    agreement_date: dt.date | None
    application_fee: int | None
    annual_fee: int | None
    application_fee_waived: bool | None
    application: ApplicationOut | None
    history: list[EnrollmentEventOut]


class EnrollmentStatusChange(BaseModel):
    """Activate (with the agreement date), suspend, reinstate or withdraw a participation."""

    status: Literal["active", "suspended", "withdrawn"]
    agreement_date: dt.date | None = None
    reason: str = Field(default="", max_length=2000)


class EnrollmentDecision(BaseModel):
    """A registry administrator's decision on an open application."""

    decision: Literal["approve", "decline"]
    reason: str = Field(default="", max_length=2000)


class VoteIn(BaseModel):
    """A committee member's vote; casting again changes it (audited)."""

    vote: Literal["approve", "decline"]
    comment: str = Field(default="", max_length=2000)


class VoteRecordOut(_Out):
    """One member's vote."""

    member: str
    vote: str
    comment: str
    cast_at: dt.datetime
    changed_at: dt.datetime | None


class VotesOut(_Out):
    """The votes on a subject, the tally and the decision taken (null while undecided)."""

    registry: str
    subject_type: str
    subject_id: str
    approve: int
    decline: int
    quorum: int
    rule: str
    decision: str | None
    votes: list[VoteRecordOut]
