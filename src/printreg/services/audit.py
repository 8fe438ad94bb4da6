"""Audit rows, written in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from printreg.services.actor import Actor
from printreg.storage.platform import AuditEntry


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
    """Add an audit row to the session; it commits or rolls back with the change itself."""
    session.add(
        AuditEntry(
            actor=actor.name,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            registry_code=registry_code,
            facility_id=facility_id,
            before=before,
            after=after,
        )
    )
