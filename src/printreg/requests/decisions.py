"""What a decision does to a data request: the committee's subject "data_request".

The committee votes through ``governance.committee`` (which calls ``decide_by_votes`` in the
transaction of the vote that meets the settings' rule); registry administrators record a decision
directly with ``record_decision``. Either way an approval leaves the request ``approved``, and the
extract is built right after (``DataRequestService``), or at the latest when the researcher first
asks for it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.domain.errors import Conflict, NotFound
from printreg.domain.governance import Tally, VoteChoice
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import notify
from printreg.registries.models import Registry
from printreg.requests.models import DataRequest
from printreg.research import RequestStatus, check_transition
from printreg.storage.base import utcnow

SUBJECT = "data_request"  # the committee's subject type, and the audit entity of requests


def open_request(session: Session, registry: Registry, subject_id: str) -> DataRequest:
    """Return the submitted request a vote is about, locked for the decision; NotFound for an
    unknown one, Conflict once it is decided."""
    try:
        request_id = uuid.UUID(subject_id)
    except ValueError:
        request_id = None
    row = (
        session.scalar(
            select(DataRequest)
            .where(DataRequest.id == request_id, DataRequest.registry_code == registry.code)
            .with_for_update()
        )
        if request_id is not None
        else None
    )
    if row is None:
        raise NotFound(f"registry {registry.code} has no data request {subject_id}")
    if row.status != RequestStatus.SUBMITTED:
        raise Conflict(f"the request is {row.status.replace('_', ' ')}: voting is over")
    return row


def record_decision(
    session: Session,
    actor: Actor,
    row: DataRequest,
    *,
    approve: bool,
    elements: Sequence[str] | None,
    note: str,
    by: str,
    now: dt.datetime,
) -> None:
    """Approve (``elements``: some of those requested; None: all) or decline a submitted
    request, and audit it; Conflict when it is not submitted or the elements were not asked."""
    wanted = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    check_transition(row.status, wanted)
    approved: list[str] | None = None
    if approve:
        chosen = list(row.elements) if elements is None else [e.strip() for e in elements]
        extra = [e for e in chosen if e not in row.elements]
        if extra or not chosen:
            shown = f" (not requested: {', '.join(extra)})" if extra else ""
            raise Conflict(f"approve some of the elements requested, and only those{shown}")
        approved = [e for e in row.elements if e in chosen]
    before = {"status": row.status}
    row.status, row.approved_elements = wanted.value, approved
    row.decided_at, row.decided_by, row.decision_note = now, by, note.strip()
    audit(session, actor, "approve" if approve else "decline", SUBJECT, str(row.id),
          registry_code=row.registry_code, before=before,
          after={"status": row.status, "approved_elements": approved, "by": by,
                 "note": row.decision_note})  # fmt: skip
    # the request's own title is the researcher's free text: the notification names the registry
    notify(session, [row.requester_id], NotificationKind.REQUEST_DECISION,
           f"Your data request in registry {row.registry_code} was {row.status}",
           f"/requests/{row.id}")  # fmt: skip


def decide_by_votes(
    session: Session, actor: Actor, registry: Registry, subject_id: str, counted: Tally
) -> None:
    """Apply the committee's decision: approve every element requested, or decline."""
    row = open_request(session, registry, subject_id)
    by = f"committee ({counted.approve} approve, {counted.decline} decline)"
    record_decision(session, actor, row, approve=counted.decision == VoteChoice.APPROVE,
                    elements=None, note="", by=by, now=utcnow())  # fmt: skip
