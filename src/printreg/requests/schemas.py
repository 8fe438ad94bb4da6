"""The shapes of research data requests, one family for the service, the API, the pages and
the CLI: ``DataRequestCreate`` (what the API accepts), ``DataRequestPublic`` (a request as its
readers see it, never its pseudonym secret), ``DecisionCreate``, ``VoteCreate``,
``FeasibilityOut`` and ``DownloadOut``. The names are those of the OpenAPI document.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from printreg.jobs.schemas import TaskOut
from printreg.research import RequestStatus

ElementName = Annotated[str, Field(min_length=1, max_length=100)]


class DataRequestCreate(BaseModel):
    """A data request: aims, the elements wanted, and which cases (strata, period).

    ``elements`` are element names of the registry's current definition, ``group.element`` for
    one element of a repeating group, a group name for all its releasable elements, or a derived
    value. ``strata`` maps single-code elements to the codes wanted (an empty list: every code).
    """

    title: str = Field(min_length=1, max_length=200)
    aims: str = Field(min_length=1, max_length=5000)
    elements: list[ElementName] = Field(min_length=1, max_length=500)
    strata: dict[str, list[Annotated[str, Field(max_length=64)]]] = Field(
        default_factory=dict, max_length=10
    )
    period_from: dt.date | None = None
    period_to: dt.date | None = None


class DataRequestPublic(BaseModel):
    """A data request as its readers see it."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    registry: str
    requester: str
    title: str
    aims: str
    elements: list[str]
    strata: dict[str, list[str]]
    period_from: dt.date | None
    period_to: dt.date | None
    status: RequestStatus
    submitted_at: dt.datetime
    approved_elements: list[str] | None
    decided_at: dt.datetime | None
    decided_by: str | None
    decision_note: str
    votes: dict[str, int]
    extract_rows: int | None
    extract_bytes: int | None
    extract_ready_at: dt.datetime | None
    expires_at: dt.datetime | None
    expired_at: dt.datetime | None
    #: the newest job that built, or is building, the extract (None before the approval)
    extract_job: TaskOut | None = None


class DecisionCreate(BaseModel):
    """A decision on a submitted request; ``elements`` narrows what is approved (default: all
    requested)."""

    approve: bool
    elements: list[ElementName] | None = Field(default=None, max_length=500)
    note: str = Field(default="", max_length=2000)


class VoteCreate(BaseModel):
    """A committee member's vote on a submitted request."""

    vote: Literal["approve", "decline"]
    comment: str = Field(default="", max_length=2000)


class AxisOut(BaseModel):
    """One axis of the feasibility table: a stratum element and its codes, in order."""

    element: str
    codes: list[str]
    labels: list[str]


class PeriodOut(BaseModel):
    """The period of the cases, on the registry's case date."""

    element: str | None
    start: dt.date | None = Field(alias="from")
    end: dt.date | None = Field(alias="to")


class FeasibilityOut(BaseModel):
    """Matching case counts: rows × columns with totals last; null cells are suppressed."""

    rows: AxisOut | None
    columns: AxisOut | None
    cells: list[list[int | None]]
    total: int | None
    threshold: int
    note: str
    strata: dict[str, list[str]]
    period: PeriodOut
    cases: str


class DownloadOut(BaseModel):
    """One logged download."""

    model_config = ConfigDict(frozen=True)

    at: dt.datetime
    actor: str
    user_id: int | None
    file: Literal["extract", "codebook"]
    bytes: int
