"""Tests for the descriptive statistics behind benchmarks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps  # type: ignore[import-untyped]

from printreg.analytics.stats import (
    SignedRankResult,
    Summary,
    percentile_rank,
    quantiles,
    quartile_placement,
    signed_rank,
    summarize,
)


def _type7(values: list[float], q: float) -> float:
    """Hyndman & Fan type 7 by hand: x at 1-based position 1 + q(n − 1), linearly interpolated."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


def test_quantiles_are_type_7() -> None:
    assert quantiles([1, 2, 3, 4]) == (1.75, 2.5, 3.25)
    assert quantiles([10]) == (10.0, 10.0, 10.0)
    values = [3.0, 41.0, 7.5, 12.0, 0.0, 19.0, 7.5]
    qs = (0.0, 0.1, 0.25, 0.5, 0.9, 1.0)
    assert quantiles(values, qs) == pytest.approx([_type7(values, q) for q in qs])


def test_quantiles_drop_nan_and_refuse_empty_or_bad_q() -> None:
    assert quantiles([1.0, math.nan, 3.0], (0.5,)) == (2.0,)
    with pytest.raises(ValueError, match="empty"):
        quantiles([])
    with pytest.raises(ValueError, match="empty"):
        quantiles([math.nan])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        quantiles([1.0, 2.0], (1.5,))


def test_summarize() -> None:
    summary = summarize([4.0, 1.0, math.nan, 3.0, 2.0])
    assert summary.n == 4
    assert summary.mean == 2.5
    assert summary.sd == pytest.approx(math.sqrt(5 / 3))
    assert (summary.q1, summary.median, summary.q3) == (1.75, 2.5, 3.25)
    assert (summary.min, summary.max) == (1.0, 4.0)


def test_summarize_small_samples() -> None:
    assert summarize([]) == Summary(
        n=0, mean=None, sd=None, median=None, q1=None, q3=None, min=None, max=None
    )
    assert summarize([math.nan]).n == 0
    one = summarize(np.array([7.0]))
    assert one.n == 1
    assert one.sd is None
    assert one.mean == one.median == one.q1 == one.q3 == one.min == one.max == 7.0


def test_percentile_rank_is_mid_rank() -> None:
    population = [1, 2, 2, 3, 4]
    assert percentile_rank(2, population) == 100 * (1 + 0.5 * 2) / 5
    assert percentile_rank(0, population) == 0.0
    assert percentile_rank(9, population) == 100.0
    assert percentile_rank(2.5, population) == 60.0
    assert percentile_rank(5, [5]) == 50.0
    with pytest.raises(ValueError, match="non-empty"):
        percentile_rank(1, [])


def test_quartile_placement_puts_boundaries_in_the_lower_quartile() -> None:
    q1, q2, q3 = 10.0, 20.0, 30.0
    assert [quartile_placement(v, q1, q2, q3) for v in (5, 10, 15, 20, 25, 30, 31)] == [
        1,
        1,
        2,
        2,
        3,
        3,
        4,
    ]
    assert quartile_placement(10, 10, 10, 10) == 1
    assert quartile_placement(11, 10, 10, 10) == 4
    with pytest.raises(ValueError, match="ordered"):
        quartile_placement(1, 3, 2, 1)


def test_signed_rank_matches_scipy() -> None:
    differences = [1.0, 2.0, 0.0, -1.0, 3.0, 2.0, 0.0, 4.0, 1.0, -2.0]
    result = signed_rank(differences)
    nonzero = [d for d in differences if d != 0]
    expected = sps.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided")
    assert result.n == 10
    assert result.n_nonzero == 8
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.median_difference == 1.0


def test_signed_rank_exact_small_sample() -> None:
    # All six differences positive: W⁻ = 0, exact two-sided p = 2/2⁶.
    result = signed_rank([1, 2, 3, 4, 5, 6])
    assert result.statistic == 0.0
    assert result.p_value == pytest.approx(2 / 64)


def test_signed_rank_without_nonzero_differences() -> None:
    assert signed_rank([0, 0, 0]) == SignedRankResult(
        n=3, n_nonzero=0, statistic=None, p_value=None, median_difference=0.0
    )
    assert signed_rank([]) == SignedRankResult(
        n=0, n_nonzero=0, statistic=None, p_value=None, median_difference=None
    )
    single = signed_rank([0, 0, 2])
    assert single.n_nonzero == 1
    assert single.p_value == 1.0
