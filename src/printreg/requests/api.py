"""API routes for research data requests: submit, list, feasibility, votes and decision, the
extract and its codebook (streamed, every download logged), the download log."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from printreg.requests.service import DataRequestService, ExtractFile, RequestDraft
from printreg.web.api.routes import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/api/v1",
    tags=["data requests"],
    responses={**ERRORS, 410: {"description": "The extract has expired and was deleted"}},
)
CHUNK = 256 * 1024
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

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    registry: str
    requester: str
    title: str
    aims: str
    elements: list[str]
    strata: dict[str, list[str]]
    period_from: dt.date | None
    period_to: dt.date | None
    status: Literal["submitted", "approved", "declined", "extract_ready", "expired"]
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

    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor: str
    user_id: int | None
    file: Literal["extract", "codebook"]
    bytes: int


def _out(view: object) -> DataRequestPublic:
    return DataRequestPublic.model_validate(view)


@router.post("/registries/{registry}/requests", status_code=status.HTTP_201_CREATED)
def submit_request(
    registry: str, body: DataRequestCreate, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Submit a data request (researchers); 422 lists every element or stratum refused."""
    draft = RequestDraft(**body.model_dump())
    return _out(DataRequestService(platform, actor).submit(registry, draft))


@router.get("/registries/{registry}/requests")
def list_requests(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    request_status: Annotated[
        str | None,
        Query(alias="status", pattern="^(submitted|approved|declined|extract_ready|expired)$"),
    ] = None,
) -> list[DataRequestPublic]:
    """Return the caller's requests (committee and administrators: all of the registry's)."""
    views = DataRequestService(platform, actor).requests(registry, request_status)
    return [_out(v) for v in views]


@router.get("/requests/{request_id}")
def get_request(request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> DataRequestPublic:
    """Return a request; 404 for other people's requests and unknown ids alike."""
    return _out(DataRequestService(platform, actor).get(request_id))


@router.get("/requests/{request_id}/feasibility")
def request_feasibility(
    request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> FeasibilityOut:
    """Return the matching case counts by stratum, counts from 1 to threshold - 1 suppressed."""
    found: dict[str, Any] = DataRequestService(platform, actor).feasibility(request_id)
    return FeasibilityOut.model_validate(found)


@router.post("/requests/{request_id}/votes")
def vote_on_request(
    request_id: uuid.UUID, body: VoteCreate, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Cast or change a committee vote; the settings' rule decides once the quorum is met."""
    service = DataRequestService(platform, actor)
    return _out(service.vote(request_id, body.vote, body.comment))


@router.post("/requests/{request_id}/decision")
def decide_request(
    request_id: uuid.UUID, body: DecisionCreate, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Approve or decline a submitted request (registry administrators); approval builds the
    extract and starts its expiry."""
    service = DataRequestService(platform, actor)
    return _out(service.decide(request_id, body.approve, body.elements, body.note))


@router.post("/requests/{request_id}/extract")
def build_request_extract(
    request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Build the extract of an approved request again after a failure (administrators)."""
    return _out(DataRequestService(platform, actor).prepare_extract(request_id))


def _stream(opened: ExtractFile) -> StreamingResponse:
    def chunks() -> Iterator[bytes]:
        with opened.handle:
            while chunk := opened.handle.read(CHUNK):
                yield chunk

    return StreamingResponse(
        chunks(),
        media_type=opened.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{opened.filename}"',
            "Content-Length": str(opened.size),
            "Cache-Control": "no-store",
        },
    )


FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/octet-stream": {}}, "description": "The file, streamed"}
}


@router.get("/requests/{request_id}/extract.parquet", responses=FILE_RESPONSES)
def download_extract(
    request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> StreamingResponse:
    """Download the de-identified extract (the requester); logged; 410 once expired."""
    return _stream(DataRequestService(platform, actor).open_file(request_id, "extract"))


@router.get("/requests/{request_id}/codebook.json", responses=FILE_RESPONSES)
def download_codebook(
    request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> StreamingResponse:
    """Download the extract's codebook (the requester); logged; 410 once expired."""
    return _stream(DataRequestService(platform, actor).open_file(request_id, "codebook"))


@router.get("/requests/{request_id}/downloads")
def request_downloads(
    request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> list[DownloadOut]:
    """Return who downloaded the request's files, when, and how many bytes (administrators)."""
    logged = DataRequestService(platform, actor).downloads(request_id)
    return [DownloadOut.model_validate(d) for d in logged]
