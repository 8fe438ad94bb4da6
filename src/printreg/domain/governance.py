"""Governance rules, pure: registry lifecycle, enrollment states, committee decisions, fees."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from printreg.domain.errors import Conflict
from printreg.domain.facility import EnrollmentStatus


class Lifecycle(StrEnum):
    """Where a registry is in its life; only pilot and active registries accept cases."""

    DRAFT = "draft"
    PILOT = "pilot"
    ACTIVE = "active"
    CLOSED = "closed"


LIFECYCLE_TRANSITIONS: dict[Lifecycle, frozenset[Lifecycle]] = {
    Lifecycle.DRAFT: frozenset({Lifecycle.PILOT, Lifecycle.CLOSED}),
    Lifecycle.PILOT: frozenset({Lifecycle.ACTIVE, Lifecycle.CLOSED}),
    Lifecycle.ACTIVE: frozenset({Lifecycle.CLOSED}),
    Lifecycle.CLOSED: frozenset(),
}
ACCEPTS_CASES = frozenset({Lifecycle.PILOT, Lifecycle.ACTIVE})


def lifecycle_moves(current: str) -> list[str]:
    """Return the states a registry in the ``current`` state may move to, in name order."""
    return sorted(s.value for s in LIFECYCLE_TRANSITIONS[Lifecycle(current)])


def check_lifecycle(current: str, wanted: str) -> Lifecycle:
    """Return the wanted state; Conflict naming the allowed ones when the move is not allowed."""
    try:
        target = Lifecycle(wanted)
    except ValueError:
        raise Conflict(
            f"{wanted!r} is not a registry state: choose one of "
            f"{', '.join(s.value for s in Lifecycle)}"
        ) from None
    allowed = lifecycle_moves(current)
    if target.value not in allowed:
        choices = ", ".join(allowed) or "none (closed is final)"
        raise Conflict(
            f"the registry is {current} and cannot become {target}: it may become {choices}"
        )
    return target


# Which enrollment states may follow which: applications are decided by the committee
# (approved/declined), an approved facility becomes active when its agreement is recorded.
ENROLLMENT_TRANSITIONS: dict[EnrollmentStatus | None, frozenset[EnrollmentStatus]] = {
    None: frozenset({EnrollmentStatus.APPLIED}),
    EnrollmentStatus.APPLIED: frozenset(
        {EnrollmentStatus.APPROVED, EnrollmentStatus.DECLINED, EnrollmentStatus.WITHDRAWN}
    ),
    EnrollmentStatus.APPROVED: frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.WITHDRAWN}),
    EnrollmentStatus.DECLINED: frozenset({EnrollmentStatus.APPLIED}),
    EnrollmentStatus.ACTIVE: frozenset({EnrollmentStatus.SUSPENDED, EnrollmentStatus.WITHDRAWN}),
    EnrollmentStatus.SUSPENDED: frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.WITHDRAWN}),
    EnrollmentStatus.WITHDRAWN: frozenset({EnrollmentStatus.APPLIED}),
}


def check_enrollment(current: str | None, wanted: str) -> EnrollmentStatus:
    """Return the wanted enrollment state; Conflict when it may not follow the current one."""
    try:
        target = EnrollmentStatus(wanted)
    except ValueError:
        raise Conflict(
            f"{wanted!r} is not an enrollment state: choose one of "
            f"{', '.join(s.value for s in EnrollmentStatus)}"
        ) from None
    now = EnrollmentStatus(current) if current is not None else None
    allowed = ENROLLMENT_TRANSITIONS[now]
    if target not in allowed:
        where = f"an enrollment that is {now}" if now else "a facility that has not applied"
        choices = ", ".join(sorted(s.value for s in allowed))
        raise Conflict(f"{where} cannot become {target}: it may become {choices}")
    return target


class VoteChoice(StrEnum):
    """A committee member's vote on a subject (an application, a data request)."""

    APPROVE = "approve"
    DECLINE = "decline"


CommitteeRule = Literal["majority", "unanimous"]


@dataclass(frozen=True)
class Tally:
    """The votes cast on a subject, and the decision they make (None while undecided)."""

    approve: int
    decline: int
    quorum: int
    rule: str
    decision: VoteChoice | None

    @property
    def cast(self) -> int:
        """Return how many votes were cast."""
        return self.approve + self.decline


def tally(votes: Iterable[str], quorum: int, rule: CommitteeRule) -> Tally:
    """Return the tally of the votes cast and the decision the rule makes of them.

    Nothing is decided before ``quorum`` votes are cast. "majority": more than half of the votes
    cast decides; a tie waits for more votes. "unanimous": every vote cast approves, and one
    decline declines.
    """
    counted = [VoteChoice(v) for v in votes]
    approve = sum(v == VoteChoice.APPROVE for v in counted)
    decline = len(counted) - approve
    decision: VoteChoice | None = None
    if len(counted) >= quorum and counted:
        if rule == "majority":
            if approve * 2 > len(counted):
                decision = VoteChoice.APPROVE
            elif decline * 2 > len(counted):
                decision = VoteChoice.DECLINE
        elif decline:
            decision = VoteChoice.DECLINE
        else:
            decision = VoteChoice.APPROVE
    return Tally(approve, decline, quorum, rule, decision)


@dataclass(frozen=True)
class Fees:
    """What a facility owes on joining a registry, in whole US dollars."""

    application_fee: int
    annual_fee: int
    application_fee_waived: bool


def enrollment_fees(application_fee: int, annual_fee: int, active_elsewhere: bool) -> Fees:
    """Return the fees: the one-time application fee is waived for a facility already active in
    another registry of the platform; the annual fee is always due."""
    return Fees(0 if active_elsewhere else application_fee, annual_fee, active_elsewhere)
