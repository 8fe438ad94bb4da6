"""The kinds of notification, what each is called and whether it is e-mailed by default.

Every kind always reaches the person in the app; e-mail is a per-person choice per kind, and
these defaults hold until the person chooses. Plain Python: no database, web or CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class NotificationKind(StrEnum):
    """What a notification is about."""

    QUERY_RAISED = "query_raised"
    QUERY_ANSWERED = "query_answered"
    ASSESSMENT_REQUESTED = "assessment_requested"
    ASSESSMENT_REMINDER = "assessment_reminder"
    ENROLLMENT_DECISION = "enrollment_decision"
    REQUEST_DECISION = "request_decision"
    EXTRACT_READY = "extract_ready"


@dataclass(frozen=True)
class KindInfo:
    """How a kind is shown on the preferences page, and its e-mail default."""

    label: str
    email_default: bool


KINDS: dict[NotificationKind, KindInfo] = {
    NotificationKind.QUERY_RAISED: KindInfo(
        "A query was raised on your facility's data", email_default=True
    ),
    NotificationKind.QUERY_ANSWERED: KindInfo(
        "A query you raised was answered", email_default=True
    ),
    # in-app by default: the clinician gets the e-mail; the facility follows it on its pages
    NotificationKind.ASSESSMENT_REQUESTED: KindInfo(
        "An assessment was sent to a clinician", email_default=False
    ),
    NotificationKind.ASSESSMENT_REMINDER: KindInfo(
        "An assessment is still awaited", email_default=True
    ),
    NotificationKind.ENROLLMENT_DECISION: KindInfo(
        "Your facility's enrollment was decided", email_default=True
    ),
    NotificationKind.REQUEST_DECISION: KindInfo(
        "Your data request was decided", email_default=True
    ),
    NotificationKind.EXTRACT_READY: KindInfo(
        "The extract of your data request is ready", email_default=True
    ),
}


def email_defaults() -> dict[NotificationKind, bool]:
    """Return the e-mail choice of every kind for a person who has chosen nothing."""
    return {kind: info.email_default for kind, info in KINDS.items()}
