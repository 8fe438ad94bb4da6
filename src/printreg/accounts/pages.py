"""The person's account page: their roles and their API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.accounts.registry_choice import RegistryChoice
from printreg.accounts.second_factor import SecondFactorService
from printreg.accounts.service import AccountService
from printreg.domain.errors import NotFound, RegistryError
from printreg.domain.facility import Scope
from printreg.domain.reasons import required_reason
from printreg.web.confirm import Confirmation, confirm_page, is_confirmed
from printreg.web.deps import session_secret
from printreg.web.errors import status_of
from printreg.web.pages.common import Field, LongField, Page, PageContext
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)

SCOPE_LABELS = {
    Scope.CASES_READ: "Read cases",
    Scope.CASES_WRITE: "Create and change cases",
    Scope.REPORTS_READ: "Read reports",
}
DEFAULT_DAYS = 90
API_DOCS = "/api/docs"  # the OpenAPI reference the application serves (web/app.py)


def scope_id(scope: str) -> str:
    """Return the checkbox id of a scope: ``cases:read`` → ``scope-cases-read``."""
    return "scope-" + scope.replace(":", "-")


def _account_page(
    page: PageContext,
    *,
    secret: str | None = None,
    error: str | None = None,
    entered: dict[str, object] | None = None,
    status_code: int = 200,
) -> Response:
    place = place_of(page)
    tokens = AccountService(page.platform).tokens(page.actor)
    second = SecondFactorService(page.platform).status(page.actor)
    settings = page.platform.settings
    return page.render(
        "account.html",
        status_code=status_code,
        place=place,
        tokens=tokens,
        second_factor=second,
        scopes=[(str(s), label, scope_id(s)) for s, label in SCOPE_LABELS.items()],
        token_facilities=place.member_of,
        max_days=settings.token_max_days,
        default_days=min(DEFAULT_DAYS, settings.token_max_days),
        secret=secret,
        error=error,
        entered=entered or {},
        api_docs=API_DOCS,
        done=page.request.query_params.get("done", "") if secret is None and error is None else "",
    )


@router.get("/account", response_class=HTMLResponse)
def account(page: Page) -> Response:
    """Show the person's roles and API tokens, and the form to create a token."""
    return _account_page(page)


@router.post("/account/tokens", response_class=HTMLResponse)
def create_token(
    page: Page,
    name: Annotated[str, Form(max_length=200)] = "",
    facility: Annotated[str, Form(max_length=32)] = "",
    scopes: Annotated[list[str] | None, Form()] = None,
    days: Annotated[str, Form(max_length=6)] = "",
) -> Response:
    """Create an API token and show its secret once."""
    entered: dict[str, object] = {
        "name": name,
        "facility": facility,
        "scopes": scopes or [],
        "days": days,
    }
    if not days.strip().isdigit():
        return _account_page(
            page, error="give the number of days the token lasts", entered=entered, status_code=422
        )
    try:
        secret, _ = AccountService(page.platform).create_token(
            page.actor, facility, name, scopes or [], int(days)
        )
    except RegistryError as exc:
        return _account_page(page, error=str(exc), entered=entered, status_code=status_of(exc))
    return _account_page(page, secret=secret)


@router.post("/account/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    page: Page, token_id: int, reason: LongField = "", confirmed: Field = ""
) -> Response:
    """Revoke one of the person's tokens once the confirmation page has said what it means."""
    accounts = AccountService(page.platform)
    token = accounts.token(page.actor, token_id)
    confirmation = Confirmation(
        title=f"Revoke API token {token.name}?",
        consequence=(
            f"Every program that uses the token {token.name} ({token.facility}) is refused from "
            "its next call. A revoked token cannot be turned back on: the programs need a new "
            "token."
        ),
        action=f"/account/tokens/{token_id}/revoke",
        button="Revoke the token",
        cancel="/account",
    )
    if not is_confirmed(confirmed):
        return confirm_page(page, confirmation, reason=reason)
    try:
        accounts.revoke_token(page.actor, token_id, required_reason(reason, "revoke the token"))
    except RegistryError as exc:
        return confirm_page(page, confirmation, reason=reason, error=exc)
    return RedirectResponse("/account?done=revoked", status_code=303)


@router.post("/session/registry", response_class=HTMLResponse)
def choose_registry(page: Page, registry: Field = "") -> Response:
    """Work in another of the person's registries: the session keeps the choice for the pages
    whose path names no registry; go to its home page."""
    secret = session_secret(page.request, page.platform)
    if secret is None:  # a page context always has a session: this is only for the type
        raise NotFound.no_such("session")
    chosen = RegistryChoice(page.platform).choose(secret, page.actor, registry)
    return RedirectResponse(f"/registries/{chosen}/home", status_code=303)
