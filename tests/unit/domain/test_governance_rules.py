"""Governance rules: lifecycle and enrollment moves, the committee's decision rule, fees."""

from __future__ import annotations

import pytest

from printreg.domain.errors import Conflict
from printreg.domain.facility import EnrollmentStatus
from printreg.domain.governance import (
    ACCEPTS_CASES,
    Lifecycle,
    VoteChoice,
    check_enrollment,
    check_lifecycle,
    enrollment_fees,
    lifecycle_moves,
    tally,
)


@pytest.mark.parametrize(
    ("current", "wanted"),
    [
        ("draft", "pilot"),
        ("pilot", "active"),
        ("active", "closed"),
        ("pilot", "closed"),
        ("draft", "closed"),
    ],
)
def test_allowed_lifecycle_moves(current: str, wanted: str) -> None:
    assert check_lifecycle(current, wanted) == Lifecycle(wanted)


def test_the_moves_offered_are_those_allowed() -> None:
    assert lifecycle_moves("draft") == ["closed", "pilot"]
    assert lifecycle_moves("pilot") == ["active", "closed"]
    assert lifecycle_moves("active") == ["closed"]
    assert lifecycle_moves("closed") == []


@pytest.mark.parametrize(
    ("current", "wanted", "says"),
    [
        ("draft", "active", "may become closed, pilot"),
        ("active", "pilot", "may become closed"),
        ("closed", "active", "closed is final"),
        ("pilot", "pilot", "may become active, closed"),
        ("pilot", "archived", "not a registry state"),
    ],
)
def test_refused_lifecycle_moves_say_what_is_allowed(current: str, wanted: str, says: str) -> None:
    with pytest.raises(Conflict, match=says):
        check_lifecycle(current, wanted)


def test_only_pilot_and_active_registries_accept_cases() -> None:
    assert {Lifecycle.PILOT, Lifecycle.ACTIVE} == ACCEPTS_CASES


def test_enrollment_moves() -> None:
    assert check_enrollment(None, "applied") == EnrollmentStatus.APPLIED
    assert check_enrollment("declined", "applied") == EnrollmentStatus.APPLIED
    assert check_enrollment("suspended", "active") == EnrollmentStatus.ACTIVE
    with pytest.raises(Conflict, match="has not applied"):
        check_enrollment(None, "active")
    with pytest.raises(Conflict, match="applied cannot become active"):
        check_enrollment("applied", "active")
    with pytest.raises(Conflict, match="active cannot become applied"):
        check_enrollment("active", "applied")


def test_majority_of_votes_cast_after_the_quorum() -> None:
    approve, decline = VoteChoice.APPROVE.value, VoteChoice.DECLINE.value
    assert tally([approve, approve], 3, "majority").decision is None  # below the quorum
    assert tally([approve, approve, decline], 3, "majority").decision == VoteChoice.APPROVE
    assert tally([decline, decline, approve], 3, "majority").decision == VoteChoice.DECLINE
    tie = tally([approve, decline], 2, "majority")
    assert (tie.approve, tie.decline, tie.cast, tie.decision) == (1, 1, 2, None)
    assert tally([approve, decline, approve], 2, "majority").decision == VoteChoice.APPROVE
    assert tally([], 1, "majority").decision is None


def test_unanimous_rule() -> None:
    assert tally(["approve"] * 3, 3, "unanimous").decision == VoteChoice.APPROVE
    assert tally(["approve", "approve", "decline"], 3, "unanimous").decision == (VoteChoice.DECLINE)
    assert tally(["decline"], 3, "unanimous").decision is None


def test_application_fee_is_waived_for_a_facility_active_elsewhere() -> None:
    assert enrollment_fees(500, 1000, active_elsewhere=False).application_fee == 500
    waived = enrollment_fees(500, 1000, active_elsewhere=True)
    assert (waived.application_fee, waived.annual_fee, waived.application_fee_waived) == (
        0,
        1000,
        True,
    )
