"""API routes of a facility's PACS: its DICOMweb endpoint, and a case pre-filled from it."""

from __future__ import annotations

import uuid

from fastapi import status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from printreg.files.service import DicomAttached
from printreg.pacs.service import PacsService, PacsSettings
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()


class PacsEndpointUpdate(BaseModel):
    """A facility's DICOMweb endpoint; ``password`` omitted keeps the one stored."""

    model_config = ConfigDict(extra="forbid")

    base_url: str = Field(description="DICOMweb base URL, e.g. https://pacs.example/dicom-web")
    username: str | None = Field(default=None, description="HTTP Basic user; none: no sign-in")
    password: str | None = Field(
        default=None, description="HTTP Basic password, stored sealed and never shown back"
    )
    clear_password: bool = False


class PacsSearch(BaseModel):
    """What to look for on the PACS: one accession number or one study instance UID. It is used
    for this query only: never stored, logged or echoed."""

    model_config = ConfigDict(extra="forbid")

    accession_number: str | None = None
    study_instance_uid: str | None = None


@router.get("/facilities/{facility}/pacs", tags=["pacs"])
def get_pacs(facility: str, platform: PlatformDep, actor: ActorDep) -> PacsSettings:
    """Return the facility's DICOMweb endpoint; the password only as "set" or "not set"
    (facility administrators)."""
    return PacsService(platform, actor).settings(facility)


@router.put("/facilities/{facility}/pacs", tags=["pacs"])
def put_pacs(
    facility: str, body: PacsEndpointUpdate, platform: PlatformDep, actor: ActorDep
) -> PacsSettings:
    """Set the facility's DICOMweb endpoint (facility administrators)."""
    return PacsService(platform, actor).configure(
        facility, body.base_url, body.username, body.password, clear_password=body.clear_password
    )


@router.delete("/facilities/{facility}/pacs", tags=["pacs"], status_code=204)
def delete_pacs(facility: str, platform: PlatformDep, actor: ActorDep) -> None:
    """Forget the facility's DICOMweb endpoint and its credentials (facility administrators)."""
    PacsService(platform, actor).remove(facility)


@router.post(
    "/registries/{registry}/cases/{case_id}/pacs",
    tags=["pacs"],
    status_code=status.HTTP_201_CREATED,
)
async def prefill_from_pacs(
    registry: str, case_id: uuid.UUID, body: PacsSearch, platform: PlatformDep, actor: ActorDep
) -> DicomAttached:
    """Read the metadata (never pixels) of the study matching the accession number or study
    UID from the case facility's PACS, de-identify it and keep its summary with the case as a
    DICOM upload's; returns the values that pre-fill the case. 502 says why the PACS could not
    be used, naming nothing that was searched for."""
    service = PacsService(platform, actor)
    return await run_in_threadpool(
        lambda: service.prefill(
            registry,
            case_id,
            accession_number=body.accession_number,
            study_instance_uid=body.study_instance_uid,
        )
    )
