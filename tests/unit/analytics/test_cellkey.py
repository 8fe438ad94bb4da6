"""The cell-key method: fixed record keys, consistent cell keys, a perturbation table that never
publishes a small count and adds zero-mean noise to the others."""

from __future__ import annotations

import random
import uuid

import pytest

from printreg.analytics.cellkey import (
    MODULUS,
    PerturbationTable,
    cell_key,
    proportion_releasable,
    record_key,
    released_total,
)

SECRET = b"unit test secret"


def test_a_record_key_is_fixed_by_secret_and_case_whatever_its_spelling() -> None:
    case = uuid.uuid4()
    key = record_key(SECRET, case)
    assert 0 <= key < MODULUS
    assert record_key(SECRET, str(case)) == key
    assert record_key(SECRET, case.hex) == key
    assert record_key(SECRET, str(case).upper()) == key
    assert record_key(b"another secret", case) != key
    assert record_key(SECRET, uuid.uuid4()) != key


def test_a_cell_key_depends_only_on_the_set_of_records() -> None:
    keys = [record_key(SECRET, uuid.uuid4()) for _ in range(50)]
    shuffled = keys[:]
    random.Random(1).shuffle(shuffled)  # noqa: S311 - reproducible test draws
    assert cell_key(keys) == cell_key(shuffled)
    assert cell_key(keys[:10]) + cell_key(keys[10:]) - cell_key(keys) in (0, MODULUS)
    assert released_total(PerturbationTable(), keys) == released_total(
        PerturbationTable(), shuffled
    )


@pytest.mark.parametrize("threshold", [2, 5, 11, 20])
def test_small_counts_are_never_published_and_nothing_lands_among_them(threshold: int) -> None:
    table = PerturbationTable(threshold)
    rng = random.Random(threshold)  # noqa: S311 - reproducible test draws
    for count in range(threshold + 40):
        for _ in range(200):
            value = table.perturb(count, rng.randrange(MODULUS))
            if count == 0:
                assert value == 0
            elif count < threshold:
                assert value is None
            else:
                assert value is not None
                assert value >= threshold
                assert abs(value - count) <= 2


def test_large_counts_get_zero_mean_noise_of_variance_about_1_6() -> None:
    table = PerturbationTable(11)
    for count in (13, 50, 1000):
        rows = {row["count"]: row for row in table.rows(count)}
        offsets = rows[count]["offsets"]
        assert isinstance(offsets, dict)
        assert sum(offsets.values()) == pytest.approx(1.0)
        assert sum(d * p for d, p in offsets.items()) == pytest.approx(0.0)
        assert sum(d * d * p for d, p in offsets.items()) == pytest.approx(1.6)
    # empirically, over uniform cell keys
    rng = random.Random(7)  # noqa: S311 - reproducible test draws
    draws = [table.perturb(100, rng.randrange(MODULUS)) - 100 for _ in range(20000)]  # type: ignore[operator]
    assert abs(sum(draws) / len(draws)) < 0.05
    assert len(set(draws)) == 5


def test_counts_just_above_the_threshold_only_move_up_or_stay() -> None:
    table = PerturbationTable(11)
    assert {d for d, _ in table.offsets(11)} == {0, 1, 2}
    assert {d for d, _ in table.offsets(12)} == {-1, 0, 1, 2}
    assert table.offsets(10) == ()
    assert "perturbed" in table.note()
    assert "1 to 10" in table.note()


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        PerturbationTable().perturb(-1, 0)


@pytest.mark.parametrize(
    ("n", "x", "released"),
    [(10, 0, False), (11, 0, True), (11, 11, True), (20, 5, False), (20, 15, False),
     (22, 11, True), (30, 1, False), (30, 29, False), (40, 20, True)],
)  # fmt: skip
def test_a_proportion_is_released_only_when_no_small_count_can_be_derived(
    n: int, x: int, released: bool
) -> None:
    assert proportion_releasable(n, x, 11) is released
