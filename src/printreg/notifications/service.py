"""Notifications: ``notify`` (the one entry point of every feature) and each person's own
list and e-mail preferences (``NotificationService``).

``notify`` runs inside the caller's transaction: the in-app notifications commit with the
decision or change they are about, or not at all, and so do their e-mails (``delivery``).
A notification carries a title in words and a path; the title is written by the calling code
from fixed words and codes, and one that looks like it holds an identifier is replaced by the
kind's own words. Everyone reads and marks only their own notifications: another person's id
is not found, as an unknown one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.accounts.models import Membership, User
from printreg.domain.errors import Forbidden, InvalidRequest, NotFound
from printreg.domain.facility import Role
from printreg.notifications import delivery
from printreg.notifications.kinds import KINDS, NotificationKind, email_defaults
from printreg.notifications.mail import mail_enabled
from printreg.notifications.models import Notification, NotificationPreference
from printreg.notifications.schemas import (
    NotificationPublic,
    NotificationsPage,
    PreferencePublic,
    PreferencesPublic,
    PreferencesUpdate,
)
from printreg.platform import Platform, platform_of
from printreg.privacy import scan_text
from printreg.registries.models import Registry
from printreg.storage.base import utcnow

TITLE_MAX = 200
LINK_MAX = 500
PAGE_SIZE = 50


def _safe_link(link: str) -> str:
    """Return ``link`` when it is a path of this installation; ValueError otherwise (a
    programming error: links are built by code)."""
    if not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX:
        raise ValueError("a notification links to a path of this installation, like /requests/…")
    if any(c.isspace() or not c.isprintable() for c in link):
        raise ValueError("a notification's link holds no spaces or control characters")
    return link


def _safe_title(kind: NotificationKind, title: str) -> str:
    """Return the title, or the kind's own words when it is empty, too long or looks like it
    holds an identifier (it leaves the registry by e-mail)."""
    shown = " ".join(title.split())
    if not shown or len(shown) > TITLE_MAX or scan_text(shown):
        return KINDS[kind].label
    return shown


def wants_email(session: Session, user_ids: Iterable[int], kind: NotificationKind) -> set[int]:
    """Return those of the people who want e-mail of ``kind`` (their choice, else the default)."""
    ids = set(user_ids)
    if not ids:
        return set()
    rows = session.execute(
        select(NotificationPreference.user_id, NotificationPreference.email).where(
            NotificationPreference.user_id.in_(sorted(ids)),
            NotificationPreference.kind == kind.value,
        )
    )
    chosen: dict[int, bool] = dict(rows.all())
    default = KINDS[kind].email_default
    return {i for i in ids if chosen.get(i, default)}


def notify(
    session: Session,
    person_ids: Iterable[int | None],
    kind: NotificationKind,
    title: str,
    link: str,
) -> list[int]:
    """Store a notification for each active person (once each) in the caller's transaction, and
    have it e-mailed to those who want this kind when SMTP is configured; return the ids.

    ``title`` is words and codes written by the caller, never a case value or free text;
    ``link`` the path of the page it is about (ValueError when it is not a path).
    """
    kind = NotificationKind(kind)
    path = _safe_link(link)
    words = _safe_title(kind, title)
    wanted = sorted({i for i in person_ids if i is not None})
    if not wanted:
        return []
    active = session.scalars(
        select(User.id).where(User.id.in_(wanted), User.active.is_(True)).order_by(User.id)
    ).all()
    platform = platform_of(session)
    by_mail = wants_email(session, active, kind) if mail_enabled(platform.settings) else set[int]()
    now = utcnow()
    rows = [
        Notification(
            user_id=user_id,
            kind=kind.value,
            title=words,
            link=path,
            created_at=now,
            mail="queued" if user_id in by_mail else None,
            mail_attempts=0,
        )
        for user_id in active
    ]
    session.add_all(rows)
    session.flush()
    delivery.queue_mail(session, platform, [r.id for r in rows if r.mail == "queued"])
    return [r.id for r in rows]


def facility_admins(session: Session, facility_id: int) -> list[int]:
    """Return the ids of the facility's administrators (in any registry), none when it has none."""
    return list(
        session.scalars(
            select(Membership.user_id)
            .where(
                Membership.facility_id == facility_id,
                Membership.role == Role.FACILITY_ADMIN.value,
            )
            .distinct()
            .order_by(Membership.user_id)
        )
    )


def facility_staff(
    session: Session, registry_code: str, facility_id: int, roles: Iterable[Role]
) -> list[int]:
    """Return the ids of the people holding one of ``roles`` at the facility in the registry,
    none when nobody does."""
    return list(
        session.scalars(
            select(Membership.user_id)
            .join(Registry, Registry.id == Membership.registry_id)
            .where(
                Registry.code == registry_code,
                Membership.facility_id == facility_id,
                Membership.role.in_([r.value for r in roles]),
            )
            .distinct()
            .order_by(Membership.user_id)
        )
    )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    return value if value is None or value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _public(row: Notification) -> NotificationPublic:
    return NotificationPublic(
        id=row.id,
        kind=NotificationKind(row.kind),
        title=row.title,
        link=row.link,
        created_at=_aware(row.created_at) or row.created_at,
        read_at=_aware(row.read_at),
    )


def unread_count(platform: Platform, actor: Actor) -> int:
    """Return how many of the actor's notifications are unread; 0 for anyone who is not a
    signed-in person (an API token, the operator)."""
    if actor.user_id is None or actor.scopes is not None:
        return 0
    with platform.sessions() as session:
        return _unread(session, actor.user_id)


def _unread(session: Session, user_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


class NotificationService:
    """A person's own notifications and e-mail preferences."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def _person(self) -> int:
        """Return the signed-in person's id; Forbidden for API tokens and the operator."""
        if self.actor.user_id is None or self.actor.scopes is not None:
            raise Forbidden("notifications are a person's own: sign in to read them")
        return self.actor.user_id

    def inbox(self, *, unread_only: bool = False, limit: int = PAGE_SIZE) -> NotificationsPage:
        """Return the person's newest notifications (unread ones only, if asked) and the count
        of unread ones; an empty list when there are none."""
        return self._inbox(self._person(), unread_only=unread_only, limit=limit)

    def of_person(
        self, email: str, *, unread_only: bool = False, limit: int = PAGE_SIZE
    ) -> NotificationsPage:
        """Return a person's newest notifications for the local operator (``printreg
        notification list``); Forbidden for anyone else, NotFound for an unknown address."""
        if not self.actor.system:
            raise Forbidden("only the local operator reads another person's notifications")
        with self.platform.sessions() as session:
            user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise NotFound.no_such("person")
        return self._inbox(user_id, unread_only=unread_only, limit=limit)

    def _inbox(self, user_id: int, *, unread_only: bool, limit: int) -> NotificationsPage:
        if not 1 <= limit <= 500:
            raise InvalidRequest("limit is between 1 and 500")
        query = select(Notification).where(Notification.user_id == user_id)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        with self.platform.sessions() as session:
            rows = session.scalars(
                query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
            ).all()
            return NotificationsPage(
                items=[_public(r) for r in rows], unread=_unread(session, user_id)
            )

    def mark_read(self, notification_id: int) -> NotificationPublic:
        """Mark one of the person's notifications read (again: unchanged) and return it;
        NotFound for another person's, as for an unknown id."""
        user_id = self._person()
        with self.platform.sessions() as session, session.begin():
            row = session.scalar(
                select(Notification).where(
                    Notification.id == notification_id, Notification.user_id == user_id
                )
            )
            if row is None:
                raise NotFound.no_such("notification")
            if row.read_at is None:
                row.read_at = utcnow()
            return _public(row)

    def mark_all_read(self) -> int:
        """Mark every unread notification of the person read; return how many were unread."""
        user_id = self._person()
        with self.platform.sessions() as session, session.begin():
            result = session.execute(
                update(Notification)
                .where(Notification.user_id == user_id, Notification.read_at.is_(None))
                .values(read_at=utcnow())
            )
            return int(result.rowcount)  # type: ignore[attr-defined]

    def preferences(self) -> PreferencesPublic:
        """Return the person's e-mail choice for every kind (defaults where none was made)."""
        user_id = self._person()
        with self.platform.sessions() as session:
            return self._preferences(session, user_id)

    def _preferences(self, session: Session, user_id: int) -> PreferencesPublic:
        chosen = email_defaults()
        for kind, email in session.execute(
            select(NotificationPreference.kind, NotificationPreference.email).where(
                NotificationPreference.user_id == user_id
            )
        ):
            if kind in chosen:
                chosen[NotificationKind(kind)] = email
        return PreferencesPublic(
            preferences=[
                PreferencePublic(kind=kind, label=KINDS[kind].label, email=chosen[kind])
                for kind in NotificationKind
            ],
            email_available=mail_enabled(self.platform.settings),
        )

    def set_preferences(self, update_: PreferencesUpdate) -> PreferencesPublic:
        """Turn e-mail on or off for the kinds given; return every choice."""
        user_id = self._person()
        with self.platform.sessions() as session, session.begin():
            for kind, email in update_.email.items():
                row = session.get(NotificationPreference, (user_id, kind.value))
                if row is None:
                    session.add(
                        NotificationPreference(user_id=user_id, kind=kind.value, email=email)
                    )
                else:
                    row.email = email
            session.flush()
            return self._preferences(session, user_id)
