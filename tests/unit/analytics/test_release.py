"""Released proportions: the other facilities' part never gives a count from 1 to 10, neither
as it is nor as derived from the published (perturbed) figures."""

from __future__ import annotations

import random

import pytest

from printreg.analytics.cellkey import MODULUS
from printreg.analytics.release import Release, small

THRESHOLD = 11


def _derived_small(shown: dict[str, float], own_n: int, own_x: int) -> bool:
    rest_n, rest_x = shown["n"] - own_n, shown["x"] - own_x
    return any(small(int(v), THRESHOLD) for v in (rest_n, rest_x, rest_n - rest_x))


def test_no_released_proportion_lets_a_small_count_of_others_be_derived() -> None:
    release = Release.at(THRESHOLD)
    rng = random.Random(5)  # noqa: S311 - reproducible test draws, not secrets
    released = withheld = 0
    for _ in range(5000):
        own_n = rng.randrange(0, 60)
        own_x = rng.randrange(0, own_n + 1)
        rest_n = rng.randrange(1, 60)
        rest_x = rng.randrange(0, rest_n + 1)
        n, x = own_n + rest_n, own_x + rest_x
        keys = (rng.randrange(MODULUS), rng.randrange(MODULUS))
        shown = release.proportion(n, x, *keys, own_n, own_x)
        if shown is None:
            withheld += 1
            continue
        released += 1
        assert not _derived_small(shown, own_n, own_x)
        assert not any(small(v, THRESHOLD) for v in (rest_n, rest_x, rest_n - rest_x))
        assert abs(shown["n"] - n) <= 2
        assert abs(shown["x"] - x) <= 2
        assert 0.0 <= shown["p"] <= 1.0
    assert released > 500
    assert withheld > 500


@pytest.mark.parametrize(("n", "x"), [(30, 0), (30, 30), (45, 20)])
def test_another_facilitys_point_keeps_all_or_none_exactly(n: int, x: int) -> None:
    release = Release.at(THRESHOLD)
    key = 123_456_789
    shown = release.proportion(n, x, key, key if x == n else 987_654_321)
    assert shown is not None
    if x in (0, n):
        # all or none of the cases: the same set (or none), so p stays exactly 0 or 1
        assert shown["p"] == x / n


def test_counts_are_released_through_the_table() -> None:
    release = Release.at(THRESHOLD)
    assert release.count(0, 5) == 0
    assert release.count(7, 5) is None
    value = release.count(100, 5)
    assert value is not None
    assert abs(value - 100) <= 2
    assert release.count(100, 5) == release.count(100, 5 + MODULUS)
