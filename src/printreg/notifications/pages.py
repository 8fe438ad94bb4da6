"""Notification pages: the person's list (open, mark read) and their e-mail preferences."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from printreg.notifications.kinds import NotificationKind
from printreg.notifications.schemas import PreferencesUpdate
from printreg.notifications.service import NotificationService
from printreg.web.pages.common import Page
from printreg.web.pages.home import place_of

router = APIRouter(include_in_schema=False)
LIST = "/notifications"
PREFERENCES = "/notifications/preferences"


@router.get(LIST, response_class=HTMLResponse)
def notification_list(page: Page, done: str | None = None) -> Response:
    """Show the person's newest notifications, unread ones marked, with their links."""
    found = NotificationService(page.platform, page.actor).inbox()
    return page.render(
        "notifications.html", place=place_of(page), page_data=found, done=done == "read"
    )


@router.post(f"{LIST}/read", response_class=HTMLResponse)
def read_all(page: Page) -> Response:
    """Mark every notification read and show the list again."""
    NotificationService(page.platform, page.actor).mark_all_read()
    return RedirectResponse(f"{LIST}?done=read", status_code=303)


@router.post(LIST + "/{notification_id}/read", response_class=HTMLResponse)
def read_one(page: Page, notification_id: int) -> Response:
    """Mark one notification read and show the list again (404 for another person's)."""
    NotificationService(page.platform, page.actor).mark_read(notification_id)
    return RedirectResponse(LIST, status_code=303)


@router.post(LIST + "/{notification_id}/open", response_class=HTMLResponse)
def open_one(page: Page, notification_id: int) -> Response:
    """Mark one notification read and go to the page it is about."""
    found = NotificationService(page.platform, page.actor).mark_read(notification_id)
    return RedirectResponse(found.link, status_code=303)


@router.get(PREFERENCES, response_class=HTMLResponse)
def preferences_page(page: Page, saved: bool = False) -> Response:
    """Show, per kind, that it always shows here and whether it is e-mailed too."""
    prefs = NotificationService(page.platform, page.actor).preferences()
    return page.render(
        "notification_preferences.html", place=place_of(page), prefs=prefs, saved=saved
    )


@router.post(PREFERENCES, response_class=HTMLResponse)
async def save_preferences(page: Page) -> Response:
    """Save the e-mail choice of every kind: a ticked box is on, any other off."""
    form = await page.request.form()
    ticked = set(form.getlist("email"))
    choice = {kind: kind.value in ticked for kind in NotificationKind}
    NotificationService(page.platform, page.actor).set_preferences(PreferencesUpdate(email=choice))
    return RedirectResponse(f"{PREFERENCES}?saved=1", status_code=303)
