"""Tests for funnel-plot control limits (Spiegelhalter 2005) and over-dispersion."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy import stats as sps  # type: ignore[import-untyped]

from printreg.analytics.funnel import binomial_limits, funnel, normal_limits, overdispersion

CASES = [(p0, n) for p0 in (0.03, 0.1, 0.25, 0.5, 0.8) for n in (1, 2, 5, 13, 40, 100, 757)]


def _by_scipy(p0: float, n: int, p: float) -> float:
    """Spiegelhalter's interpolated limit, searching r upwards with scipy's binomial cdf."""
    r = 0
    while sps.binom.cdf(r, n, p0) < p:
        r += 1
    at, below = sps.binom.cdf(r, n, p0), sps.binom.cdf(r - 1, n, p0)
    alpha = (at - p) / (at - below)
    return float(min(max((r - alpha) / n, 0.0), 1.0))


def _by_comb(p0: Fraction, n: int, p: Fraction) -> Fraction:
    """The same limit in exact rational arithmetic, summing the pmf with math.comb."""
    cdf = Fraction(0)
    for r in range(n + 1):
        previous = cdf
        cdf += math.comb(n, r) * p0**r * (1 - p0) ** (n - r)
        if cdf >= p:
            alpha = (cdf - p) / (cdf - previous)
            return min(max((r - alpha) / n, Fraction(0)), Fraction(1))
    raise AssertionError("the cdf reaches 1")


@pytest.mark.parametrize(("p0", "n"), CASES)
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_exact_limits_match_scipy_search(p0: float, n: int, level: float) -> None:
    low, high = binomial_limits(p0, n, level)
    assert low == pytest.approx(_by_scipy(p0, n, (1 - level) / 2), abs=1e-12)
    assert high == pytest.approx(_by_scipy(p0, n, 1 - (1 - level) / 2), abs=1e-12)


@pytest.mark.parametrize(
    ("p0", "n", "level"),
    [
        (Fraction(1, 5), 10, Fraction(95, 100)),
        (Fraction(1, 5), 37, Fraction(998, 1000)),
        (Fraction(1, 2), 25, Fraction(95, 100)),
        (Fraction(7, 100), 60, Fraction(998, 1000)),
        (Fraction(9, 10), 12, Fraction(95, 100)),
    ],
)
def test_exact_limits_match_rational_arithmetic(p0: Fraction, n: int, level: Fraction) -> None:
    low, high = binomial_limits(float(p0), n, float(level))
    tail = (1 - level) / 2
    assert low == pytest.approx(float(_by_comb(p0, n, tail)), abs=1e-12)
    assert high == pytest.approx(float(_by_comb(p0, n, 1 - tail)), abs=1e-12)


def test_exact_limits_by_hand() -> None:
    # Bin(10, 1/2): P(R ≤ 1) = 11/1024 < 0.025 ≤ P(R ≤ 2) = 56/1024, so r = 2 and
    # α = (56/1024 − 0.025)/(45/1024) = 30.4/45.
    low, _ = binomial_limits(0.5, 10, 0.95)
    assert low == pytest.approx((2 - 30.4 / 45) / 10, abs=1e-12)
    # Bin(1, 0.2) at p = 0.999: r = 1, α = (1 − 0.999)/(1 − 0.8) = 0.005; the low limit
    # interpolates below 0 and is clipped.
    assert binomial_limits(0.2, 1, 0.998) == pytest.approx((0.0, 0.995), abs=1e-12)
    # Bin(2, 1/2) at p = 0.975: r = 2, α = 0.025/0.25 = 0.1, limit = 1.9/2.
    assert binomial_limits(0.5, 2, 0.95)[1] == pytest.approx(0.95, abs=1e-12)


def test_limits_are_vectorised_and_scalars_stay_scalars() -> None:
    n = np.array([1, 5, 40, 100])
    low, high = binomial_limits(0.1, n, 0.95)
    assert low.shape == high.shape == (4,)
    for k, size in enumerate(n):
        assert (low[k], high[k]) == binomial_limits(0.1, int(size), 0.95)
    scalar = binomial_limits(0.1, 40, 0.95)
    assert isinstance(scalar[0], float)
    assert isinstance(normal_limits(0.1, 40, 0.95)[1], float)


def test_degenerate_targets_have_no_spread() -> None:
    assert binomial_limits(0.0, 20, 0.95) == (0.0, 0.0)
    assert binomial_limits(1.0, 20, 0.998) == (1.0, 1.0)


def test_normal_limits() -> None:
    z = sps.norm.ppf(0.975)
    low, high = normal_limits(0.2, 100, 0.95)
    assert (low, high) == pytest.approx((0.2 - z * 0.04, 0.2 + z * 0.04))
    wide = normal_limits(0.2, 100, 0.95, phi=4.0)
    assert wide == pytest.approx((0.2 - 2 * z * 0.04, 0.2 + 2 * z * 0.04))
    # 0.2 ± 3.09·sqrt(0.16/2) runs past both ends and is clipped.
    assert normal_limits(0.2, 2, 0.998) == (0.0, 1.0)


def test_normal_limits_approach_exact_ones() -> None:
    for p0 in (0.1, 0.5):
        exact = binomial_limits(p0, 5000, 0.95)
        assert normal_limits(p0, 5000, 0.95) == pytest.approx(exact, abs=2e-3)


@pytest.mark.parametrize("p0", [0.02, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("level", [0.95, 0.998])
def test_limits_narrow_as_n_grows(p0: float, level: float) -> None:
    # The exact curve keeps a little of the binomial's saw-tooth at small n, so compare n that
    # differ by a factor of about three.
    n = np.array([10, 30, 100, 300, 1000, 3000])
    for low, high in (binomial_limits(p0, n, level), normal_limits(p0, n, level)):
        assert np.all(np.diff(high - low) < 0)
        assert np.all(low <= p0)
        assert np.all(high >= p0)
    wider = binomial_limits(p0, n, 0.998)
    narrower = binomial_limits(p0, n, 0.95)
    assert np.all(wider[0] <= narrower[0])
    assert np.all(wider[1] >= narrower[1])


def test_limit_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="level"):
        binomial_limits(0.1, 10, 1.0)
    with pytest.raises(ValueError, match="target"):
        normal_limits(1.5, 10, 0.95)
    with pytest.raises(ValueError, match="at least 1"):
        binomial_limits(0.1, [0, 3], 0.95)
    with pytest.raises(ValueError, match="positive"):
        normal_limits(0.1, 10, 0.95, phi=0.0)


def _binomial_units(seed: int, p: float, units: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = rng.integers(50, 500, units)
    return rng.binomial(n, p), n


def test_overdispersion_on_binomial_data() -> None:
    y, n = _binomial_units(7, 0.1, 400)
    p0 = y.sum() / n.sum()
    # Without winsorising E[z²] = 1 exactly under binomial variation.
    assert overdispersion(y, n, p0, winsor=0.0) == pytest.approx(1.0, abs=0.2)
    # Winsorising at 10%/90% pulls the estimate down (to about 0.68 for normal z), so the
    # funnel uses max(1, φ̂) and adds nothing.
    raw = overdispersion(y, n, p0)
    assert 0.5 < raw < 1.0
    result = funnel(y, n, overdispersion=True)
    assert result.phi == 1.0
    assert result.phi_estimate == pytest.approx(raw)


def test_overdispersion_on_overdispersed_data() -> None:
    rng = np.random.default_rng(11)
    n = rng.integers(50, 500, 400)
    y = rng.binomial(n, rng.beta(4, 36, 400))
    p0 = y.sum() / n.sum()
    phi = overdispersion(y, n, p0)
    assert phi > 2.0
    result = funnel(y, n, overdispersion=True)
    assert result.phi == pytest.approx(phi)
    plain = funnel(y, n)
    assert plain.phi == 1.0
    assert plain.phi_estimate is None
    flagged = sum(unit.flag != "within" for unit in plain.units)
    assert sum(unit.flag != "within" for unit in result.units) < flagged


def test_overdispersion_winsorises_z_scores() -> None:
    y = np.array([10, 10, 10, 10, 10, 10, 10, 10, 10, 60])
    n = np.full(10, 100)
    p0 = 0.1
    z = (y / n - p0) / np.sqrt(p0 * (1 - p0) / n)
    hi = np.quantile(z, 0.9)
    assert overdispersion(y, n, p0) == pytest.approx(hi**2 / 10)
    assert overdispersion(y, n, p0, winsor=0.0) == pytest.approx(np.mean(z**2))
    with pytest.raises(ValueError, match="0 < p0 < 1"):
        overdispersion(y, n, 0.0)


def test_funnel_places_units() -> None:
    successes = [10, 12, 9, 11, 20, 27, 4, 1, 0]
    totals = [100, 100, 100, 100, 100, 100, 100, 100, 5]
    result = funnel(successes, totals)
    p0 = sum(successes) / sum(totals)
    assert result.p0 == pytest.approx(p0)
    assert result.phi == 1.0
    assert result.method == "exact"
    assert list(result.n) == list(range(1, 101))
    assert [limits.label for limits in result.limits] == ["95", "998"]
    for limits in result.limits:
        assert limits.low.shape == limits.high.shape == (100,)
        assert (limits.low[99], limits.high[99]) == binomial_limits(p0, 100, limits.level)

    lo95, hi95 = binomial_limits(p0, 100, 0.95)
    lo998, hi998 = binomial_limits(p0, 100, 0.998)
    assert hi95 < 0.20 < hi998  # so unit 4 is above the 95% limit only
    assert hi998 < 0.27  # unit 5 beyond 99.8%
    assert lo998 < 0.04 < lo95  # unit 6 below the 95% limit only
    assert lo998 > 0.01  # unit 7 beyond 99.8%
    flags = [unit.flag for unit in result.units]
    assert flags == [
        "within",
        "within",
        "within",
        "within",
        "above_95",
        "above_998",
        "below_95",
        "below_998",
        "within",
    ]
    unit = result.units[5]
    assert (unit.successes, unit.total, unit.proportion) == (27, 100, 0.27)
    assert unit.z == pytest.approx((0.27 - p0) / math.sqrt(p0 * (1 - p0) / 100))


def test_funnel_normal_method_and_overdispersion_widen_limits() -> None:
    rng = np.random.default_rng(3)
    n = rng.integers(30, 300, 60)
    y = rng.binomial(n, rng.beta(2, 8, 60))
    exact = funnel(y, n)
    normal = funnel(y, n, method="normal")
    for limits in normal.limits:
        low, high = normal_limits(normal.p0, normal.n, limits.level)
        assert limits.low == pytest.approx(low)
        assert limits.high == pytest.approx(high)
    adjusted = funnel(y, n, overdispersion=True)
    assert adjusted.phi > 1.0
    scale = math.sqrt(adjusted.phi)
    for plain, wide in zip(exact.limits, adjusted.limits, strict=True):
        expected_high = np.clip(exact.p0 + scale * (plain.high - exact.p0), 0, 1)
        assert wide.high == pytest.approx(expected_high)
        assert np.all(wide.high - wide.low >= plain.high - plain.low - 1e-12)
    unit = adjusted.units[0]
    assert unit.z == pytest.approx(
        (unit.proportion - adjusted.p0)
        / math.sqrt(adjusted.phi * adjusted.p0 * (1 - adjusted.p0) / unit.total)
    )


def test_funnel_with_custom_levels_and_degenerate_target() -> None:
    result = funnel([5, 30], [50, 60], levels=(0.99,))
    assert [limits.label for limits in result.limits] == ["99"]
    nothing = funnel([0, 0], [10, 20], overdispersion=True)
    assert nothing.p0 == 0.0
    assert nothing.phi == 1.0
    assert nothing.phi_estimate is None
    assert all(unit.flag == "within" and unit.z == 0.0 for unit in nothing.units)


def test_funnel_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one unit"):
        funnel([], [])
    with pytest.raises(ValueError, match="successes ≤ totals"):
        funnel([5], [4])
    with pytest.raises(ValueError, match="totals ≥ 1"):
        funnel([0], [0])
    with pytest.raises(ValueError, match="method"):
        funnel([1], [4], method="poisson")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        funnel([1], [4], levels=(95,))
