"""API routes of a person's own notifications: the list, marking read, e-mail preferences.

Signed-in people only (a browser session); API tokens act for a facility, not for a person's
messages, and are refused.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from printreg.notifications.schemas import (
    NotificationPublic,
    NotificationsPage,
    PreferencesPublic,
    PreferencesUpdate,
)
from printreg.notifications.service import PAGE_SIZE, NotificationService
from printreg.web.api.common import IdPath, api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()


@router.get("/notifications", tags=["notifications"])
def list_notifications(
    platform: PlatformDep,
    actor: ActorDep,
    unread: Annotated[bool, Query(description="Only the unread ones")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = PAGE_SIZE,
) -> NotificationsPage:
    """Return the caller's newest notifications and how many are unread."""
    return NotificationService(platform, actor).inbox(unread_only=unread, limit=limit)


@router.post("/notifications/read", tags=["notifications"])
def mark_all_read(platform: PlatformDep, actor: ActorDep) -> NotificationsPage:
    """Mark every notification of the caller read; return the list."""
    service = NotificationService(platform, actor)
    service.mark_all_read()
    return service.inbox()


@router.post("/notifications/{notification_id}/read", tags=["notifications"])
def mark_read(
    notification_id: IdPath, platform: PlatformDep, actor: ActorDep
) -> NotificationPublic:
    """Mark one of the caller's notifications read; 404 for another person's."""
    return NotificationService(platform, actor).mark_read(notification_id)


@router.get("/notifications/preferences", tags=["notifications"])
def get_preferences(platform: PlatformDep, actor: ActorDep) -> PreferencesPublic:
    """Return the caller's e-mail choice per kind (in the app every kind always shows)."""
    return NotificationService(platform, actor).preferences()


@router.put("/notifications/preferences", tags=["notifications"])
def set_preferences(
    body: PreferencesUpdate, platform: PlatformDep, actor: ActorDep
) -> PreferencesPublic:
    """Turn e-mail on or off for the kinds given; return every choice."""
    return NotificationService(platform, actor).set_preferences(body)
