"""What a committee decision does to an enrollment application: the subject "enrollment"."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.domain.errors import Conflict, NotFound
from printreg.domain.facility import EnrollmentStatus
from printreg.domain.governance import Tally, VoteChoice, check_enrollment
from printreg.facilities.models import Facility, Participation
from printreg.governance.models import EnrollmentApplication
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import facility_admins, notify
from printreg.registries.models import Registry
from printreg.storage.base import utcnow

SUBJECT = "enrollment"  # the committee's subject type, and the audit entity of enrollment steps


def open_application(
    session: Session, registry: Registry, subject_id: str
) -> EnrollmentApplication:
    """Return the open application a committee vote is about, locked for the decision;
    NotFound for an unknown one, Conflict once it is decided or withdrawn."""
    application = (
        session.scalar(
            select(EnrollmentApplication)
            .where(
                EnrollmentApplication.id == int(subject_id),
                EnrollmentApplication.registry_id == registry.id,
            )
            .with_for_update()
        )
        if subject_id.isdigit() and len(subject_id) < 10
        else None
    )
    if application is None:
        raise NotFound(f"registry {registry.code} has no application {subject_id}")
    if application.status != "open":
        raise Conflict(f"application {subject_id} is {application.status}: voting is over")
    return application


def record_decision(
    session: Session,
    actor: Actor,
    registry: Registry,
    application: EnrollmentApplication,
    choice: VoteChoice,
    how: dict[str, Any],
) -> None:
    """Approve or decline an open application and audit it on the facility's enrollment."""
    facility = session.get(Facility, application.facility_id)
    part = session.get(Participation, (application.facility_id, registry.id))
    assert facility is not None  # noqa: S101 - a foreign key guarantees it
    assert part is not None  # noqa: S101 - written by apply with the application
    wanted = (
        EnrollmentStatus.APPROVED if choice == VoteChoice.APPROVE else EnrollmentStatus.DECLINED
    )
    before = part.status
    check_enrollment(before, wanted)
    part.status = wanted.value
    part.updated_at = application.decided_at = utcnow()
    application.status = "approved" if choice == VoteChoice.APPROVE else "declined"
    audit(
        session,
        actor,
        "decide",
        SUBJECT,
        facility.code,
        registry_code=registry.code,
        facility_id=facility.id,
        before={"status": before},
        after={"status": part.status, "application": application.id, **how},
    )
    notify(
        session,
        facility_admins(session, facility.id),
        NotificationKind.ENROLLMENT_DECISION,
        f"The enrollment of facility {facility.code} in registry {registry.code} was "
        f"{application.status}",
        f"/facilities/{facility.code}/enrollment",
    )


def decide_by_votes(
    session: Session, actor: Actor, registry: Registry, subject_id: str, tally: Tally
) -> None:
    """Apply the committee's decision on an application (called when the rule is met); the
    facility sees the count of votes, never who cast them (``actor`` is the last voter)."""
    del actor
    assert tally.decision is not None  # noqa: S101 - only called with a decision
    application = open_application(session, registry, subject_id)
    record_decision(
        session,
        Actor(name="committee"),
        registry,
        application,
        tally.decision,
        {
            "decided_by": "committee",
            "votes": {"approve": tally.approve, "decline": tally.decline},
            "rule": tally.rule,
            "quorum": tally.quorum,
        },
    )
