"""API routes for a case's files: DICOM headers that pre-fill it, the model file of each print.

Uploads are multipart/form-data, read in memory up to the settings' limits (413 beyond them)
and handed to ``CaseFileService``; nothing of the original files is written anywhere.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response, status
from starlette.concurrency import run_in_threadpool

from printreg.files.service import CaseFileService, DicomAttached, MeshView, StudyView
from printreg.web.api.common import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute
from printreg.web.uploads import TOO_LARGE, multipart_body, read_upload

router = APIRouter(route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS, tags=["files"])
RowPath = Annotated[int, Path(ge=1, le=1000, description="Print row of the case, from 1")]
CASE = "/registries/{registry}/cases/{case_id}"


@router.post(
    CASE + "/dicom",
    status_code=status.HTTP_201_CREATED,
    responses=TOO_LARGE,
    openapi_extra=multipart_body(
        "files",
        "DICOM files, zips of a series, or a DICOMDIR with the files it lists",
        many=True,
    ),
)
async def attach_dicom(
    registry: str, case_id: uuid.UUID, request: Request, platform: PlatformDep, actor: ActorDep
) -> DicomAttached:
    """Read DICOM headers (never pixels) and keep the study summary with the case; returns the
    values that pre-fill the case. 422 lists the tags that still identify someone. The case is
    checked (found, writable by the caller) before the upload is read."""
    settings = platform.settings
    service = CaseFileService(platform, actor)
    await run_in_threadpool(service.check_attach, registry, case_id)
    upload = await read_upload(
        request,
        max_bytes=settings.dicom_max_upload_bytes,
        max_files=settings.dicom_max_files,
        what="DICOM upload",
        setting="dicom_max_upload_bytes",
        files_setting="dicom_max_files",
    )
    return await run_in_threadpool(service.attach_dicom, registry, case_id, upload.files)


@router.get(CASE + "/imaging")
def case_imaging(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> list[StudyView]:
    """Return the DICOM studies kept with a case, newest first."""
    return CaseFileService(platform, actor).imaging(registry, case_id)


@router.post(
    CASE + "/prints/{row}/mesh",
    status_code=status.HTTP_201_CREATED,
    responses=TOO_LARGE,
    openapi_extra=multipart_body(
        "file", "An STL, 3MF, OBJ or PLY file, or an Encapsulated STL/OBJ DICOM object", many=False
    ),
)
async def attach_mesh(
    registry: str,
    case_id: uuid.UUID,
    row: RowPath,
    request: Request,
    platform: PlatformDep,
    actor: ActorDep,
) -> MeshView:
    """Measure a print's model file and keep the measurement, a thumbnail and a viewer copy
    (the file itself is not kept); replaces the print's earlier file. The case and print are
    checked before the upload is read."""
    service = CaseFileService(platform, actor)
    await run_in_threadpool(service.check_attach, registry, case_id, row)
    upload = await read_upload(
        request,
        max_bytes=platform.settings.mesh_max_bytes,
        max_files=1,
        what="model file",
        setting="mesh_max_bytes",
    )
    name, data = upload.files[0] if upload.files else ("", b"")
    return await run_in_threadpool(service.attach_mesh, registry, case_id, row, name, data)


@router.get(CASE + "/prints/{row}/mesh")
def print_mesh(
    registry: str, case_id: uuid.UUID, row: RowPath, platform: PlatformDep, actor: ActorDep
) -> MeshView:
    """Return the measurement of a print's model file."""
    return CaseFileService(platform, actor).mesh(registry, case_id, row)


@router.get(
    CASE + "/prints/{row}/mesh/thumbnail.png",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A 256 × 256 PNG"}},
)
def print_mesh_thumbnail(
    registry: str, case_id: uuid.UUID, row: RowPath, platform: PlatformDep, actor: ActorDep
) -> Response:
    """Return the thumbnail of a print's model."""
    png = CaseFileService(platform, actor).thumbnail(registry, case_id, row)
    return Response(png, media_type="image/png", headers={"Cache-Control": "private, no-cache"})


@router.get(
    CASE + "/prints/{row}/mesh/model",
    response_class=Response,
    responses={
        200: {
            "content": {"model/gltf-binary": {}, "model/stl": {}},
            "description": "The reduced model for the 3D viewer (binary glTF)",
        }
    },
)
def print_mesh_model(
    registry: str, case_id: uuid.UUID, row: RowPath, platform: PlatformDep, actor: ActorDep
) -> Response:
    """Return a print's model reduced to at most ``mesh_viewer_faces`` triangles, for viewing."""
    data, media_type = CaseFileService(platform, actor).viewer_model(registry, case_id, row)
    return Response(data, media_type=media_type, headers={"Cache-Control": "private, no-cache"})
