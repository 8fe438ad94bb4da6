"""The confirmation step of every action that cannot be undone, without JavaScript.

A destructive form (withdraw from a registry, close it, delete a case, revoke a token, decline a
data request, retire a printer, deactivate a person) posts to its route without ``confirmed``:
the route checks that the person may do it, then answers this page instead of acting. The page
says in plain words what will happen, asks for the reason (required: it is kept in the audit
log), and posts the same fields back with ``confirmed=yes`` under a danger-styled button beside
a "Cancel" link; nothing is preselected, and the one click that acts is on this page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from printreg.domain.errors import RegistryError
from printreg.web.errors import status_of

if TYPE_CHECKING:  # the pages import this module: at run time, ``confirm_page`` imports them
    from fastapi.responses import HTMLResponse

    from printreg.web.pages.common import PageContext

CONFIRMED = "yes"


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page says and where its form posts."""

    title: str  # the question: "Withdraw F0001 from registry 3dp?"
    consequence: str  # what happens, in plain words, and what undoing it would take
    action: str  # the URL the confirmed form posts to
    button: str  # the verb on the danger button: "Withdraw from 3dp"
    cancel: str  # where "Cancel" leads
    fields: Mapping[str, str] = field(default_factory=dict)  # carried as hidden inputs
    reason_help: str = "Kept in the audit log with your name and the time."


def is_confirmed(value: str) -> bool:
    """Return whether a form post carries the confirmation page's ``confirmed`` field."""
    return value == CONFIRMED


def confirm_page(
    page: PageContext,
    confirmation: Confirmation,
    *,
    reason: str = "",
    error: RegistryError | None = None,
) -> HTMLResponse:
    """Return the confirmation page (200), or with ``error`` the page again with the refusal
    above the reason and the error's HTTP status."""
    from printreg.web.pages.common import error_message  # noqa: PLC0415 - see the imports
    from printreg.web.pages.home import place_of  # noqa: PLC0415

    try:
        place = place_of(page)
    except RegistryError:
        place = None
    return page.render(
        "confirm.html",
        status_code=status_of(error) if error is not None else 200,
        place=place,
        c=confirmation,
        reason=reason,
        error=error_message(error) if error is not None else None,
        confirmed=CONFIRMED,
    )
