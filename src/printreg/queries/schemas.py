"""The shapes of queries, one family for the service, the API, the pages and the CLI:
``QueryCreate``, ``QueryTargetIn`` and ``QueryBulkCreate`` (what the API accepts),
``QueryConfirm`` and ``QueryReopen`` (the texts of a confirmation and a re-opening),
``QueryPublic`` (a query as its readers see it), ``QueryEventPublic`` (one step of its history)
and ``QueryDetail`` (a query with its history)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, NamedTuple

from pydantic import BaseModel, Field

from printreg.schemas import PublicModel

TEXT_MAX = 2000  # a question, a reason or a re-opening: a few sentences, never a report
BULK_MAX = 1000  # targets of one bulk raise (one transaction)

QueryText = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]
FieldPath = Annotated[str, Field(min_length=1, max_length=200)]


class QueryState(StrEnum):
    """Where a query stands: open (waiting for the facility), answered, closed."""

    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class QueryAction(StrEnum):
    """A step of a query's history: raised, answered by a change of the value or by a
    confirmation, closed, re-opened."""

    RAISE = "raise"
    CHANGE = "change"
    CONFIRM = "confirm"
    CLOSE = "close"
    REOPEN = "reopen"


class QuerySide(StrEnum):
    """Who raised a query: registry staff, or the facility's own data manager."""

    REGISTRY = "registry"
    FACILITY = "facility"


class QueryTarget(NamedTuple):
    """A case field a query is raised on: the case's id and the field's path."""

    case_id: uuid.UUID
    path: str


class QueryCreate(BaseModel):
    """A query on one field of a case: ``path`` as validation issues name it
    (``local_case_id``, ``prints[1].scale_pct`` with rows from 1)."""

    path: FieldPath
    text: QueryText


class QueryTargetIn(BaseModel):
    """One (case, field) of a bulk raise."""

    case_id: uuid.UUID
    path: FieldPath


class QueryBulkCreate(BaseModel):
    """The same question on many case fields, raised all together or not at all."""

    targets: list[QueryTargetIn] = Field(min_length=1, max_length=BULK_MAX)
    text: QueryText


class QueryConfirm(BaseModel):
    """The facility confirms the stored value, saying why it is right."""

    reason: QueryText


class QueryReopen(BaseModel):
    """The raiser re-opens a query, saying what is still unclear."""

    text: QueryText


class QueryPublic(PublicModel):
    """A query as its readers see it; ``open_days`` counts whole days since it was raised or
    last re-opened (None once answered or closed)."""

    id: uuid.UUID
    registry: str
    facility: str
    case_id: uuid.UUID
    local_case_id: str
    path: str
    status: QueryState
    text: str
    raised_side: QuerySide
    raised_by: str
    raised_at: dt.datetime
    opened_at: dt.datetime
    updated_at: dt.datetime
    open_days: int | None


class QueryEventPublic(PublicModel):
    """One step of a query's history: who, when, what, the state it led to and its text."""

    at: dt.datetime
    actor: str
    action: QueryAction
    status: QueryState
    text: str


class QueryDetail(QueryPublic):
    """A query with its history, oldest step first."""

    history: list[QueryEventPublic]
