"""Case page uploads: DICOM headers that pre-fill the case, and the model file of each print.

The case is checked first (found and writable by the person); only then is the upload read in
memory (``web.uploads``), the CSRF token checked from it, and the file handed to
``CaseFileService``; the person then sees the case page again, with what was kept.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from printreg.cases.pages import _case_id, render_case
from printreg.domain.errors import RegistryError
from printreg.files.service import CaseFileService
from printreg.ingest.dicom import DicomError, DicomIdentifiersFound
from printreg.ingest.mesh import MeshError
from printreg.web.errors import PayloadTooLarge, status_of
from printreg.web.pages.common import CSRF_FIELD, UploadPage, require_csrf
from printreg.web.uploads import Upload, read_upload

router = APIRouter(include_in_schema=False)
CASE = "/registries/{registry}/cases/{case_id}"


def _refused(
    page: UploadPage, registry: str, case_id: str, exc: RegistryError, at: str
) -> Response:
    """Return the case page with the refusal beside the upload that was refused (the form
    posts to a URL ending in that place's anchor, so the browser opens the page there)."""
    problem, issues = str(exc), list[str]()
    if isinstance(exc, DicomIdentifiersFound):
        problem, issues = identifiers_refusal(exc)
    return render_case(
        page,
        registry,
        case_id,
        status_code=status_of(exc),
        file_problem=problem,
        file_issues=issues,
        problem_at=at,
    )


def identifiers_refusal(exc: DicomIdentifiersFound) -> tuple[str, list[str]]:
    """Return what the page says of DICOM refused for identifiers: one sentence, and the
    attributes found, each named once, with private attributes as one line "N private tags"
    (their numbers tell a person nothing). Never a value."""
    named = sorted({f.keyword for f in exc.findings if f.keyword})
    private = len({f.tag for f in exc.findings if not f.keyword})
    if private:
        named.append(f"{private} private tag{'s' if private != 1 else ''}")
    files = f"{exc.files} DICOM file{'s' if exc.files != 1 else ''}"
    problem = (
        f"Refused, nothing was kept: {files} still hold patient or site identifiers in the "
        "attributes below. De-identify the files (for example with an anonymising export "
        "from your PACS or viewer) and upload them again."
    )
    return problem, named


async def _read(page: UploadPage, request: Request, *, dicom: bool) -> Upload:
    """Return the upload once its CSRF token is checked; PayloadTooLarge past the limits."""
    settings = page.platform.settings
    if dicom:
        upload = await read_upload(
            request,
            max_bytes=settings.dicom_max_upload_bytes,
            max_files=settings.dicom_max_files,
            what="DICOM upload",
            setting="dicom_max_upload_bytes",
            files_setting="dicom_max_files",
        )
    else:
        upload = await read_upload(
            request,
            max_bytes=settings.mesh_max_bytes,
            max_files=1,
            what="model file",
            setting="mesh_max_bytes",
        )
    require_csrf(page, upload.fields.get(CSRF_FIELD))
    return upload


@router.post(CASE + "/dicom")
async def upload_dicom(page: UploadPage, request: Request, registry: str, case_id: str) -> Response:
    """Keep the DICOM headers' summary with the case and show the values to confirm (the case
    is checked before the upload is read)."""
    service = CaseFileService(page.platform, page.actor)
    ident = _case_id(case_id)
    await run_in_threadpool(service.check_attach, registry, ident)
    try:
        upload = await _read(page, request, dicom=True)
    except PayloadTooLarge as exc:
        return _refused(page, registry, case_id, exc, "dicom")
    try:
        await run_in_threadpool(service.attach_dicom, registry, ident, upload.files)
    except DicomError as exc:
        return _refused(page, registry, case_id, exc, "dicom")
    return RedirectResponse(
        f"/registries/{registry}/cases/{ident}?attached=dicom#imaging", status_code=303
    )


@router.post(CASE + "/prints/{row}/mesh")
async def upload_mesh(
    page: UploadPage, request: Request, registry: str, case_id: str, row: str
) -> Response:
    """Measure a print's model file and show it on the case page (the case and print are
    checked before the upload is read)."""
    at = f"print-{row}" if row.isdigit() else ""
    service = CaseFileService(page.platform, page.actor)
    ident = _case_id(case_id)
    print_row = int(row) if row.isdigit() and len(row) < 5 else 0
    await run_in_threadpool(service.check_attach, registry, ident, print_row)
    try:
        upload = await _read(page, request, dicom=False)
    except PayloadTooLarge as exc:
        return _refused(page, registry, case_id, exc, at)
    name, data = upload.files[0] if upload.files else ("", b"")
    try:
        await run_in_threadpool(service.attach_mesh, registry, ident, print_row, name, data)
    except (MeshError, DicomError) as exc:  # a DICOM-wrapped model refused: tags, never values
        return _refused(page, registry, case_id, exc, at)
    return RedirectResponse(
        f"/registries/{registry}/cases/{ident}?attached=mesh#{at}", status_code=303
    )
