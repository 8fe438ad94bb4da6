"""The registry committee: members vote on subjects (enrollment applications, later data
requests); the decision is taken as soon as the rule in the settings is met.

A subject is named by its type and id. Each type registers how to find it open (and lock it)
and what its decision does, in ``SUBJECTS``; the vote table and its rules are shared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.audit import audit
from printreg.domain.errors import Forbidden, InvalidRequest, NotFound
from printreg.domain.governance import Tally, VoteChoice, tally
from printreg.governance import enrollment_decisions as enrollment
from printreg.governance.enrollment import EnrollmentService
from printreg.governance.models import CommitteeVote
from printreg.governance.schemas import ApplicationOut
from printreg.platform import Platform
from printreg.registries.models import Registry
from printreg.requests import decisions as data_requests
from printreg.storage.base import utcnow


@dataclass(frozen=True)
class SubjectKind:
    """How the committee handles one type of subject."""

    #: check the subject exists and is open (locking it); NotFound / Conflict otherwise
    require_open: Callable[[Session, Registry, str], object]
    #: apply a decision (called in the transaction of the vote that met the rule)
    decide: Callable[[Session, Actor, Registry, str, Tally], None]


SUBJECTS: dict[str, SubjectKind] = {
    enrollment.SUBJECT: SubjectKind(enrollment.open_application, enrollment.decide_by_votes),
    data_requests.SUBJECT: SubjectKind(data_requests.open_request, data_requests.decide_by_votes),
}


@dataclass(frozen=True)
class VoteRecord:
    """One member's vote (members see each other's votes; facilities see only the outcome)."""

    member: str
    vote: str
    comment: str
    cast_at: dt.datetime
    changed_at: dt.datetime | None


@dataclass(frozen=True)
class SubjectVotes:
    """The votes on a subject, the tally and the decision it made (None while undecided)."""

    registry: str
    subject_type: str
    subject_id: str
    approve: int
    decline: int
    quorum: int
    rule: str
    decision: str | None
    votes: list[VoteRecord]


@dataclass(frozen=True)
class AgendaItem:
    """An open application on the committee's agenda, its votes so far and the actor's own."""

    application: ApplicationOut
    votes: SubjectVotes
    mine: str | None


class CommitteeService:
    """Cast and read committee votes."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def _registry(self, session: Session, code: str) -> Registry:
        registry = session.scalar(select(Registry).where(Registry.code == code))
        if registry is None:
            raise NotFound(f"no registry with code {code!r}")
        return registry

    @staticmethod
    def _kind(subject_type: str) -> SubjectKind:
        if subject_type not in SUBJECTS:
            raise InvalidRequest(
                f"the committee votes on {', '.join(sorted(SUBJECTS))}, not {subject_type!r}"
            )
        return SUBJECTS[subject_type]

    def _rows(
        self, session: Session, registry: Registry, subject_type: str, subject_id: str
    ) -> list[tuple[CommitteeVote, str]]:
        return [
            (vote, email)
            for vote, email in session.execute(
                select(CommitteeVote, User.email)
                .join(User, User.id == CommitteeVote.user_id)
                .where(
                    CommitteeVote.registry_id == registry.id,
                    CommitteeVote.subject_type == subject_type,
                    CommitteeVote.subject_id == subject_id,
                )
                .order_by(CommitteeVote.id)
            ).all()
        ]

    def _tally(self, rows: list[tuple[CommitteeVote, str]]) -> Tally:
        settings = self.platform.settings
        return tally([v.vote for v, _ in rows], settings.committee_quorum, settings.committee_rule)

    def _view(
        self,
        registry: Registry,
        subject_type: str,
        subject_id: str,
        rows: list[tuple[CommitteeVote, str]],
        decided: Tally | None = None,
    ) -> SubjectVotes:
        counted = decided or self._tally(rows)
        return SubjectVotes(
            registry.code,
            subject_type,
            subject_id,
            counted.approve,
            counted.decline,
            counted.quorum,
            counted.rule,
            counted.decision.value if counted.decision else None,
            [VoteRecord(email, v.vote, v.comment, v.cast_at, v.changed_at) for v, email in rows],
        )

    def votes(self, registry: str, subject_type: str, subject_id: str) -> SubjectVotes:
        """Return the votes on a subject (committee members and registry administrators)."""
        self._kind(subject_type)
        if not (self.actor.on_committee(registry) or self.actor.administers(registry)):
            raise Forbidden(f"only the committee of registry {registry} sees its votes")
        with self.platform.sessions() as session:
            reg = self._registry(session, registry)
            rows = self._rows(session, reg, subject_type, subject_id)
            return self._view(reg, subject_type, subject_id, rows)

    def vote(
        self, registry: str, subject_type: str, subject_id: str, choice: str, comment: str = ""
    ) -> SubjectVotes:
        """Cast (or change) the actor's vote on an open subject; when the votes then meet the
        rule, the decision is taken in the same transaction. Committee members only."""
        kind = self._kind(subject_type)
        try:
            vote = VoteChoice(choice)
        except ValueError:
            raise InvalidRequest("vote approve or decline") from None
        if not self.actor.on_committee(registry) or self.actor.user_id is None:
            raise Forbidden(f"only members of the committee of registry {registry} vote")
        if len(comment) > 2000:
            raise InvalidRequest("a vote's comment has at most 2000 characters")
        with self.platform.sessions() as session, session.begin():
            reg = self._registry(session, registry)
            kind.require_open(session, reg, subject_id)
            mine = session.scalar(
                select(CommitteeVote).where(
                    CommitteeVote.registry_id == reg.id,
                    CommitteeVote.subject_type == subject_type,
                    CommitteeVote.subject_id == subject_id,
                    CommitteeVote.user_id == self.actor.user_id,
                )
            )
            subject = {"subject_type": subject_type, "subject_id": subject_id}
            if mine is None:
                mine = CommitteeVote(
                    registry_id=reg.id,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    user_id=self.actor.user_id,
                    vote=vote.value,
                    comment=comment.strip(),
                )
                session.add(mine)
                session.flush()
                audit(
                    session,
                    self.actor,
                    "vote",
                    "vote",
                    str(mine.id),
                    registry_code=reg.code,
                    after={**subject, "vote": vote.value, "comment": mine.comment},
                )
            elif (mine.vote, mine.comment) != (vote.value, comment.strip()):
                before = {**subject, "vote": mine.vote, "comment": mine.comment}
                mine.vote, mine.comment, mine.changed_at = vote.value, comment.strip(), utcnow()
                audit(
                    session,
                    self.actor,
                    "vote_changed",
                    "vote",
                    str(mine.id),
                    registry_code=reg.code,
                    before=before,
                    after={**subject, "vote": mine.vote, "comment": mine.comment},
                )
            session.flush()
            rows = self._rows(session, reg, subject_type, subject_id)
            counted = self._tally(rows)
            if counted.decision is not None:
                kind.decide(session, self.actor, reg, subject_id, counted)
            return self._view(reg, subject_type, subject_id, rows, counted)

    def agenda(self, registry: str) -> list[AgendaItem]:
        """Return the open enrollment applications with their votes, oldest first (committee
        members and registry administrators)."""
        if not (self.actor.on_committee(registry) or self.actor.administers(registry)):
            raise Forbidden(f"only the committee of registry {registry} sees its agenda")
        open_ones = EnrollmentService(self.platform, self.actor).applications(registry, "open")
        items = []
        with self.platform.sessions() as session:
            reg = self._registry(session, registry)
            for application in reversed(open_ones):
                rows = self._rows(session, reg, enrollment.SUBJECT, str(application.id))
                mine = next((v.vote for v, _ in rows if v.user_id == self.actor.user_id), None)
                votes = self._view(reg, enrollment.SUBJECT, str(application.id), rows)
                items.append(AgendaItem(application, votes, mine))
        return items
