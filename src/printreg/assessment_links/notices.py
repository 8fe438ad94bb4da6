"""In-app notices (and e-mails, by preference) to the facility's staff about a sending: the
clinician gets the link itself; the facility's data managers and administrators are told that
it went out and when a reminder followed, with a link to the case page — never a case value."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from printreg.assessment_links.models import AssessmentLink
from printreg.domain.facility import Role
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import facility_staff, notify

#: who follows the facility's assessments
STAFF = (Role.DATA_MANAGER, Role.FACILITY_ADMIN)


def tell_facility(
    session: Session,
    registry: str,
    case_id: uuid.UUID,
    link_id: uuid.UUID,
    kind: NotificationKind,
    title: str,
) -> list[int]:
    """Notify the staff of the sending's facility in the caller's transaction; return the ids
    of the notifications stored (none when the sending is gone)."""
    row = session.get(AssessmentLink, link_id)
    if row is None:
        return []
    people = facility_staff(session, registry, row.facility_id, STAFF)
    return notify(session, people, kind, title, f"/registries/{registry}/cases/{case_id}")
