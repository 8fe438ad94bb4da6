"""API routes for research data requests: submit, list, feasibility, votes and decision, the
extract and its codebook (streamed, every download logged), the download log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import StreamingResponse

from printreg.requests.schemas import (
    DataRequestCreate,
    DataRequestPublic,
    DecisionCreate,
    DownloadOut,
    FeasibilityOut,
    VoteCreate,
)
from printreg.requests.service import DataRequestService, ExtractFile, RequestDraft
from printreg.research import RequestStatus
from printreg.web.api.common import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/api/v1",
    tags=["data requests"],
    responses={**ERRORS, 410: {"description": "The extract has expired and was deleted"}},
)
CHUNK = 256 * 1024


@router.post("/registries/{registry}/requests", status_code=status.HTTP_201_CREATED)
def submit_request(
    registry: str, body: DataRequestCreate, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Submit a data request (researchers); 422 lists every element or stratum refused."""
    draft = RequestDraft(**body.model_dump())
    return DataRequestService(platform, actor).submit(registry, draft)


@router.get("/registries/{registry}/requests")
def list_requests(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    request_status: Annotated[RequestStatus | None, Query(alias="status")] = None,
) -> list[DataRequestPublic]:
    """Return the caller's requests (committee and administrators: all of the registry's)."""
    views = DataRequestService(platform, actor).requests(registry, request_status)
    return list(views)


@router.get("/requests/{request_id}")
def get_request(request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep) -> DataRequestPublic:
    """Return a request; 404 for other people's requests and unknown ids alike."""
    return DataRequestService(platform, actor).get(request_id)


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
    return service.vote(request_id, body.vote, body.comment)


@router.post("/requests/{request_id}/decision")
def decide_request(
    request_id: uuid.UUID, body: DecisionCreate, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Approve or decline a submitted request (registry administrators); approval builds the
    extract and starts its expiry."""
    service = DataRequestService(platform, actor)
    return service.decide(request_id, body.approve, body.elements, body.note)


@router.post("/requests/{request_id}/extract")
def build_request_extract(
    request_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> DataRequestPublic:
    """Build the extract of an approved request again after a failure (administrators)."""
    return DataRequestService(platform, actor).prepare_extract(request_id)


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
    return list(logged)
