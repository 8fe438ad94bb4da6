"""Audit rows, written in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.domain.facility import CaseStatus
from printreg.storage import stamps
from printreg.storage.audit_log import AuditEntry

BACK_TO_DRAFT = "back_to_draft"  # the audit action of a complete case moved back to draft
#: the audit row's insert, built once; ``at`` takes the column's default (now); inline: the
#: new row's id is not fetched back (no RETURNING), nobody reads it
_INSERT = insert(cast("Table", AuditEntry.__table__)).inline()


def case_update_action(before: str, after: str) -> str:
    """Return the audit action of a case update: ``back_to_draft`` when a complete case returns
    to draft (its completeness falls, so the trail names it), else ``update``."""
    if before == CaseStatus.COMPLETE and after == CaseStatus.DRAFT:
        return BACK_TO_DRAFT
    return "update"


def audit(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: str,
    *,
    registry_code: str | None = None,
    facility_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Add an audit row to the session; it commits or rolls back with the change itself.

    A change to a case also moves its facility's analytics stamp, so caches notice it."""
    # A Core insert into the table: the ORM's unit of work, and even its bulk insert of an
    # entity, cost more than the statement for one plain row. Without autoflush, objects the
    # caller has pending are flushed where they were before (by the caller's own flush or
    # commit), so their errors surface there as they always did.
    with session.no_autoflush:
        session.execute(
            _INSERT,
            {
                "actor": actor.name,
                "action": action,
                "entity_type": entity_type,
                "entity_id": entity_id,
                "registry_code": registry_code,
                "facility_id": facility_id,
                "before": before,
                "after": after,
            },
        )
    if entity_type == "case" and registry_code is not None and facility_id is not None:
        stamps.bump(session, registry_code, [facility_id])
