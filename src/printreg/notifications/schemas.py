"""The shapes of notifications, one family for the service, the API, the pages and the CLI:
``NotificationPublic`` (one message), ``NotificationsPage`` (a person's list with the unread
count), ``PreferencePublic``/``PreferencesPublic`` (the e-mail choice per kind) and
``PreferencesUpdate`` (what the API accepts)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from printreg.notifications.kinds import NotificationKind
from printreg.schemas import PublicModel


class NotificationPublic(PublicModel):
    """One notification as its person sees it: a title in words and the path of its page."""

    id: int
    kind: NotificationKind
    title: str
    link: str = Field(description="Path of the page the notification is about, from the root")
    created_at: dt.datetime
    read_at: dt.datetime | None = None


class NotificationsPage(PublicModel):
    """A person's notifications, newest first, and how many are unread in all."""

    items: list[NotificationPublic]
    unread: int


class PreferencePublic(PublicModel):
    """What a person receives of one kind: always in the app, by e-mail as chosen."""

    kind: NotificationKind
    label: str
    in_app: Literal[True] = True
    email: bool


class PreferencesPublic(PublicModel):
    """A person's choices for every kind, and whether this installation sends e-mail at all."""

    preferences: list[PreferencePublic]
    email_available: bool


class PreferencesUpdate(BaseModel):
    """E-mail on or off per kind; kinds left out keep their current choice."""

    model_config = ConfigDict(extra="forbid")

    email: dict[NotificationKind, bool] = Field(max_length=len(NotificationKind))
