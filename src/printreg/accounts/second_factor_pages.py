"""The person's second factor on the Account page: set up, confirm, new recovery codes, turn off.

These pages (and sign-out) stay reachable for a person who must still enrol; every other page
sends them here (``common.SecondFactorMissing``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from printreg.accounts.second_factor import Enrolment, SecondFactorService
from printreg.accounts.signin_throttle import SignInThrottled
from printreg.domain.errors import RegistryError
from printreg.web.client import client_address
from printreg.web.errors import status_of
from printreg.web.pages.common import ENROL_PATH, EnrolPage, PageContext

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Form(max_length=40)]


def _page(
    page: PageContext,
    *,
    enrolment: Enrolment | None = None,
    codes: list[str] | None = None,
    error: str | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    service = SecondFactorService(page.platform)
    status = service.status(page.actor)
    if enrolment is None and status.pending and codes is None:
        enrolment = service.pending(page.actor)
    response = page.render(
        "second_factor.html",
        status_code=status_code,
        place=None,
        status=status,
        enrolment=enrolment,
        codes=codes,
        error=error,
        notice=notice,
        path=ENROL_PATH,
    )
    # The page may show a secret or recovery codes: never keep it in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(page: PageContext, exc: RegistryError) -> Response:
    response = _page(page, error=str(exc), status_code=status_of(exc))
    if isinstance(exc, SignInThrottled):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get(ENROL_PATH, response_class=HTMLResponse)
def second_factor(page: EnrolPage) -> Response:
    """Show the person's second factor: its state and what they may do with it."""
    return _page(page)


@router.post(f"{ENROL_PATH}/start", response_class=HTMLResponse)
def start(page: EnrolPage) -> Response:
    """Draw a new secret and show it (URI and text) with the form that confirms it."""
    try:
        enrolment = SecondFactorService(page.platform).begin(page.actor)
    except RegistryError as exc:
        return _refused(page, exc)
    return _page(page, enrolment=enrolment)


@router.post(f"{ENROL_PATH}/confirm", response_class=HTMLResponse)
def confirm(page: EnrolPage, code: Code) -> Response:
    """Confirm the secret with a code; show the recovery codes once."""
    try:
        codes = SecondFactorService(page.platform).confirm(page.actor, code)
    except RegistryError as exc:
        return _refused(page, exc)
    return _page(page, codes=codes)


@router.post(f"{ENROL_PATH}/recovery-codes", response_class=HTMLResponse)
def recovery_codes(page: EnrolPage, code: Code) -> Response:
    """Replace the recovery codes after a current code; show the new ones once."""
    address = client_address(page.request, page.platform.settings)
    try:
        codes = SecondFactorService(page.platform).regenerate(page.actor, code, address)
    except RegistryError as exc:
        return _refused(page, exc)
    return _page(page, codes=codes)


@router.post(f"{ENROL_PATH}/disable", response_class=HTMLResponse)
def disable(
    page: EnrolPage, code: Code, password: Annotated[str, Form(max_length=200)]
) -> Response:
    """Turn the second factor off after the password and a current code."""
    address = client_address(page.request, page.platform.settings)
    try:
        SecondFactorService(page.platform).disable(page.actor, password, code, address)
    except RegistryError as exc:
        return _refused(page, exc)
    return _page(page, notice="Two-step sign-in is off: you sign in with your password only.")
