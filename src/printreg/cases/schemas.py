"""The case family: what the case service returns and the API, pages and CLI show."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import Field

from printreg.domain.facility import CaseStatus
from printreg.domain.issues import Issue
from printreg.schemas import PublicModel

__all__ = ["CaseHistoryEntry", "CasePage", "CasePublic", "CaseSaved", "CaseSummary"]


class CaseSaved(PublicModel):
    """The outcome of a create or update: the case's id, status and version, and its warnings."""

    id: uuid.UUID
    local_case_id: str
    status: CaseStatus
    row_version: int
    warnings: list[Issue]


class CasePublic(PublicModel):
    """A case as a caller sees it: system fields, the record in its JSON shape, derived values."""

    id: uuid.UUID
    registry: str
    facility: str
    status: CaseStatus
    definition_version: str
    row_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str
    updated_by: str
    deleted_at: dt.datetime | None
    record: dict[str, Any] = Field(
        description="The record in its JSON shape; a reason for missing data stands in place "
        'of the value as {"missing": "<reason>"}.'
    )
    derived: dict[str, Any]

    def as_input(self) -> dict[str, Any]:
        """Return the record in the shape `case add` and the API accept, envelope included."""
        return {
            "facility": self.facility,
            "status": str(self.status),
            "definition_version": self.definition_version,
            **self.record,
        }


class CaseSummary(PublicModel):
    """One line of a case list; ``fields`` (the page's extra columns) stays out of the API."""

    id: uuid.UUID
    facility: str
    local_case_id: str
    status: CaseStatus
    definition_version: str
    updated_at: dt.datetime
    deleted: bool
    fields: dict[str, Any] = Field(default_factory=dict, exclude=True)


class CasePage(PublicModel):
    """A page of cases; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[CaseSummary]
    next_cursor: str | None


class CaseHistoryEntry(PublicModel):
    """One audited change of a case: who, when, which fields, before and after."""

    at: dt.datetime
    actor: str
    action: str
    changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
