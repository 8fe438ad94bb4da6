"""Pages of a facility's PACS: its endpoint (administrators), and the case page's PACS search.

The case page's search posts the accession number or study UID in the form body, never in a
URL; the answer redirects to the case page (or shows it again with the problem), and the value
typed is never put back in the form.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from printreg.cases.pages import _case_id, render_case
from printreg.domain.errors import Conflict, InvalidRequest, RegistryError
from printreg.pacs.client import PacsError
from printreg.pacs.service import PacsService
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, Page, PageContext, error_message
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)
LongField = Annotated[str, Form(max_length=600)]
DONE = {"saved": "PACS settings saved", "removed": "PACS settings removed"}


def _page(
    page: PageContext, code: str, error: str | None = None, status_code: int = 200
) -> Response:
    place = place_of(page, facility=code)
    endpoint = PacsService(page.platform, page.actor).settings(code)
    done = DONE.get(page.request.query_params.get("done", "")) if error is None else None
    return page.render(
        "pacs.html",
        status_code=status_code,
        place=place,
        facility=place.facility,
        endpoint=endpoint,
        error=error,
        done=done,
    )


@router.get("/facilities/{code}/pacs", response_class=HTMLResponse)
def pacs_settings(page: Page, code: str) -> Response:
    """Show the facility's DICOMweb endpoint and the form to change it (administrators)."""
    return _page(page, code)


@router.post("/facilities/{code}/pacs", response_class=HTMLResponse)
def save_pacs(
    page: Page,
    code: str,
    base_url: LongField = "",
    username: Field = "",
    password: Field = "",
    clear_password: Field = "",
) -> Response:
    """Save the endpoint; an empty password keeps the one stored. The form again when refused."""
    try:
        PacsService(page.platform, page.actor).configure(
            code, base_url, username, password or None, clear_password=bool(clear_password)
        )
    except RegistryError as exc:
        return _page(page, code, error_message(exc), status_of(exc))
    return RedirectResponse(f"/facilities/{code}/pacs?done=saved", status_code=303)


@router.post("/facilities/{code}/pacs/remove", response_class=HTMLResponse)
def remove_pacs(page: Page, code: str) -> Response:
    """Forget the endpoint and its credentials."""
    PacsService(page.platform, page.actor).remove(code)
    return RedirectResponse(f"/facilities/{code}/pacs?done=removed", status_code=303)


@router.post("/registries/{registry}/cases/{case_id}/pacs")
async def search_pacs(
    page: Page, registry: str, case_id: str, search_by: Field = "", identifier: Field = ""
) -> Response:
    """Pre-fill the case from its facility's PACS; the case page again with the problem (which
    never quotes what was typed) when the search is malformed or the PACS cannot be used."""
    ident = _case_id(case_id)
    service = PacsService(page.platform, page.actor)
    by_uid = search_by == "study_uid"
    try:
        await run_in_threadpool(
            lambda: service.prefill(
                registry,
                ident,
                accession_number=None if by_uid else identifier,
                study_instance_uid=identifier if by_uid else None,
            )
        )
    except (PacsError, InvalidRequest, Conflict) as exc:
        return render_case(
            page, registry, case_id, status_code=status_of(exc), file_problem=str(exc),
            problem_at="dicom",
        )  # fmt: skip
    return RedirectResponse(
        f"/registries/{registry}/cases/{ident}?attached=pacs#imaging", status_code=303
    )
