"""Notifications gathered over one transaction: one message for many events of a kind.

Raising twenty queries at once, or one case update that answers three, should tell each person
once ("20 queries were raised …"), not twenty times. ``gather`` collects the events of a key
(a kind and the people to tell) in the session; just before the transaction commits, each key
becomes one ``notify``: the event's own title and link when there was one, the batch's title
and list link when there were several. A rolled-back transaction tells nobody.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.orm import Session

from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import notify

_BATCHES = "notification_batches"  # session.info: key → Batch, until the commit
_LISTENING = "notification_batches_listening"


@dataclass
class Batch:
    """The events of one key in one transaction, and how to word several of them."""

    kind: NotificationKind
    people: tuple[int, ...]
    many_title: str  # with ``{count}``
    many_link: str
    events: list[tuple[str, str]] = field(default_factory=list)  # (title, link) of each


def gather(
    session: Session,
    kind: NotificationKind,
    people: tuple[int, ...],
    event_: tuple[str, str],
    many: tuple[str, str],
) -> None:
    """Add one event (title, link) for ``people``; several of the same kind for the same people
    in this transaction become one notification worded by ``many`` (title with ``{count}``,
    link)."""
    if not people:
        return
    key = (kind.value, people, many)
    batches: dict[tuple[object, ...], Batch] = session.info.setdefault(_BATCHES, {})
    found = batches.get(key)
    if found is None:
        found = batches[key] = Batch(kind, people, many[0], many[1])
    found.events.append(event_)
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "before_commit", _before_commit)
        event.listen(session, "after_rollback", _after_rollback)


def _before_commit(session: Session) -> None:
    batches: dict[tuple[object, ...], Batch] = session.info.pop(_BATCHES, {})
    for batch in batches.values():
        if len(batch.events) == 1:
            title, link = batch.events[0]
        else:
            title, link = batch.many_title.format(count=len(batch.events)), batch.many_link
        notify(session, batch.people, batch.kind, title, link)


def _after_rollback(session: Session) -> None:
    session.info.pop(_BATCHES, None)
