"""Funnel plots of facility proportions against case counts (Spiegelhalter 2005).

Reference: D. J. Spiegelhalter, "Funnel plots for comparing institutional performance",
Statistics in Medicine 24 (2005) 1185-1202, and, for over-dispersion, "Handling over-dispersion of
performance indicators", Quality and Safety in Health Care 14 (2005) 347-351.

Each facility i has y_i successes out of n_i cases. The target p0 is the pooled registry
proportion Σy/Σn. Control limits at a level (0.95, 0.998) are drawn around p0 for every n, either
exactly from the binomial distribution (interpolated as in the paper's appendix, so the funnel
is a smooth curve rather than a staircase) or from the normal approximation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

import numpy as np
import numpy.typing as npt
from scipy import stats as sps  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Method = Literal["exact", "normal"]
WITHIN = "within"


def _check_level(level: float) -> None:
    if not 0.0 < level < 1.0:
        raise ValueError(f"a control-limit level must lie strictly between 0 and 1, got {level}")


def _check_p0(p0: float) -> None:
    if not 0.0 <= p0 <= 1.0:
        raise ValueError(f"the target proportion must lie in [0, 1], got {p0}")


def _as_counts(n: int | Sequence[int] | npt.NDArray[np.integer[Any]]) -> IntArray:
    array = np.asarray(n)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError("case counts must be integers")
    counts = array.astype(np.int64)
    if (counts < 1).any():
        raise ValueError("case counts must be at least 1")
    return counts


def _exact_limit(p0: float, n: IntArray, p: float) -> FloatArray:
    """Return Spiegelhalter's interpolated p-quantile of Bin(n, p0)/n (unclipped)."""
    if p0 in {0.0, 1.0}:
        # Degenerate: every count equals n·p0, so there is no spread to draw.
        return np.full(n.shape, p0, dtype=np.float64)
    r = np.asarray(sps.binom.ppf(p, n, p0), dtype=np.float64)
    # ppf is r_p up to rounding in the cdf; settle it on the definition
    # "smallest r with P(R ≤ r) ≥ p" with the same cdf that α uses.
    r = np.where(sps.binom.cdf(r - 1, n, p0) >= p, r - 1, r)
    r = np.where(sps.binom.cdf(r, n, p0) < p, r + 1, r)
    at_r = np.asarray(sps.binom.cdf(r, n, p0), dtype=np.float64)
    below_r = np.asarray(sps.binom.cdf(r - 1, n, p0), dtype=np.float64)
    alpha = (at_r - p) / (at_r - below_r)
    return np.asarray((r - alpha) / n, dtype=np.float64)


def _tails(level: float) -> tuple[float, float]:
    tail = (1.0 - level) / 2.0
    return tail, 1.0 - tail


@overload
def binomial_limits(p0: float, n: int, level: float) -> tuple[float, float]: ...
@overload
def binomial_limits(
    p0: float, n: Sequence[int] | npt.NDArray[np.integer[Any]], level: float
) -> tuple[FloatArray, FloatArray]: ...
def binomial_limits(
    p0: float, n: int | Sequence[int] | npt.NDArray[np.integer[Any]], level: float
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Return the exact binomial (low, high) limits for proportions out of n; floats for an int n.

    r_p is the smallest r with P(R ≤ r) ≥ p for R ~ Bin(n, p0), α = (P(R ≤ r_p) − p) /
    (P(R ≤ r_p) − P(R ≤ r_p − 1)), and the limit is (r_p − α)/n, with p = (1 − level)/2 for the
    low limit and 1 − (1 − level)/2 for the high one; limits are clipped to [0, 1] (the
    interpolated low limit goes below 0 at small n). For p0 of 0 or 1 both limits equal p0.
    """
    _check_p0(p0)
    _check_level(level)
    counts = _as_counts(n)
    low_p, high_p = _tails(level)
    low = np.clip(_exact_limit(p0, counts, low_p), 0.0, 1.0)
    high = np.clip(_exact_limit(p0, counts, high_p), 0.0, 1.0)
    if isinstance(n, int | np.integer):
        return float(low), float(high)
    return low, high


@overload
def normal_limits(p0: float, n: int, level: float, phi: float = 1.0) -> tuple[float, float]: ...
@overload
def normal_limits(
    p0: float, n: Sequence[int] | npt.NDArray[np.integer[Any]], level: float, phi: float = 1.0
) -> tuple[FloatArray, FloatArray]: ...
def normal_limits(
    p0: float,
    n: int | Sequence[int] | npt.NDArray[np.integer[Any]],
    level: float,
    phi: float = 1.0,
) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Return p0 ∓ z·sqrt(φ·p0(1 − p0)/n) clipped to [0, 1]; floats for an int n.

    z is the standard normal quantile at 1 − (1 − level)/2; φ is a multiplicative over-dispersion.
    """
    _check_p0(p0)
    _check_level(level)
    if not phi > 0:
        raise ValueError(f"the over-dispersion factor must be positive, got {phi}")
    counts = _as_counts(n)
    z = float(sps.norm.ppf(_tails(level)[1]))
    half = z * np.sqrt(phi * p0 * (1.0 - p0) / counts)
    low = np.clip(p0 - half, 0.0, 1.0)
    high = np.clip(p0 + half, 0.0, 1.0)
    if isinstance(n, int | np.integer):
        return float(low), float(high)
    return low, high


def _units(
    successes: Sequence[int] | npt.NDArray[np.integer[Any]],
    totals: Sequence[int] | npt.NDArray[np.integer[Any]],
) -> tuple[IntArray, IntArray]:
    y = np.asarray(successes)
    n = np.asarray(totals)
    if y.ndim != 1 or y.shape != n.shape:
        raise ValueError("successes and totals must be 1-D and of equal length")
    if y.size == 0:
        raise ValueError("a funnel needs at least one unit")
    if not (np.issubdtype(y.dtype, np.integer) and np.issubdtype(n.dtype, np.integer)):
        raise ValueError("successes and totals must be integer counts")
    if (n < 1).any() or (y < 0).any() or (y > n).any():
        raise ValueError("every unit needs 0 ≤ successes ≤ totals and totals ≥ 1")
    return y.astype(np.int64), n.astype(np.int64)


def _phi(y: IntArray, n: IntArray, p0: float, winsor: float) -> float:
    if not 0.0 < p0 < 1.0:
        raise ValueError(f"over-dispersion needs 0 < p0 < 1, got {p0}")
    if not 0.0 <= winsor < 0.5:
        raise ValueError(f"the winsorising fraction must lie in [0, 0.5), got {winsor}")
    z = (y / n - p0) / np.sqrt(p0 * (1.0 - p0) / n)
    low, high = np.quantile(z, [winsor, 1.0 - winsor], method="linear")
    return float(np.mean(np.clip(z, low, high) ** 2))


def overdispersion(
    successes: Sequence[int] | npt.NDArray[np.integer[Any]],
    totals: Sequence[int] | npt.NDArray[np.integer[Any]],
    p0: float,
    winsor: float = 0.1,
) -> float:
    """Return the raw multiplicative over-dispersion estimate φ̂ = mean of squared winsorised z.

    z_i = (y_i/n_i − p0)/sqrt(p0(1 − p0)/n_i); z-scores beyond the ``winsor`` and 1 − ``winsor``
    quantiles (type 7) are pulled in to them. The estimate may fall below 1; ``funnel`` applies
    max(1, φ̂), since under-dispersion is not used to narrow limits. ValueError if p0 is 0 or 1.
    """
    y, n = _units(successes, totals)
    return _phi(y, n, p0, winsor)


def _label(level: float) -> str:
    """Return the level as its percentage without the point: 0.95 → '95', 0.998 → '998'."""
    return f"{level * 100:g}".replace(".", "")


@dataclass(frozen=True, eq=False)
class ControlLimits:
    """The low and high limits at one level, one entry per n of the curve."""

    level: float
    label: str
    low: FloatArray
    high: FloatArray


@dataclass(frozen=True, slots=True)
class UnitPlacement:
    """One unit (facility) on the funnel: its proportion, z-score and flag.

    ``flag`` is ``"within"`` or ``"above_<label>"`` / ``"below_<label>"`` for the widest level
    whose limit the proportion lies strictly beyond (e.g. ``"above_998"``). ``z`` is
    (proportion − p0)/sqrt(φ·p0(1 − p0)/n), 0 when p0 is 0 or 1.
    """

    successes: int
    total: int
    proportion: float
    z: float
    flag: str


@dataclass(frozen=True, eq=False)
class Funnel:
    """A funnel plot: target, over-dispersion, limit curves over n = 1..max n, and the units.

    ``phi`` is the factor used (1.0 without the adjustment, else max(1, φ̂)); ``phi_estimate`` is
    the raw φ̂, or None when no adjustment was asked for or p0 is 0 or 1.
    """

    p0: float
    phi: float
    phi_estimate: float | None
    method: Method
    n: IntArray
    limits: tuple[ControlLimits, ...]
    units: tuple[UnitPlacement, ...]


def _limits(p0: float, n: IntArray, level: float, method: Method, phi: float) -> ControlLimits:
    if method == "normal":
        low, high = normal_limits(p0, n, level, phi)
    else:
        low, high = binomial_limits(p0, n, level)
        if phi != 1.0:
            # Widen the exact limits' distance from p0 by sqrt(φ), as the normal ones are.
            scale = np.sqrt(phi)
            low = np.clip(p0 + scale * (low - p0), 0.0, 1.0)
            high = np.clip(p0 + scale * (high - p0), 0.0, 1.0)
    return ControlLimits(level=level, label=_label(level), low=low, high=high)


def funnel(
    successes: Sequence[int] | npt.NDArray[np.integer[Any]],
    totals: Sequence[int] | npt.NDArray[np.integer[Any]],
    *,
    levels: Sequence[float] = (0.95, 0.998),
    method: Method = "exact",
    overdispersion: bool = False,
    winsor: float = 0.1,
) -> Funnel:
    """Return the funnel of the units around the pooled proportion; ValueError without units.

    Exact limits adjusted for over-dispersion are p0 + sqrt(φ)·(exact limit − p0), clipped to
    [0, 1], which is exactly how φ widens the normal limits.
    """
    if method not in {"exact", "normal"}:
        raise ValueError(f"unknown funnel method {method!r}: use 'exact' or 'normal'")
    ordered = sorted(set(levels))
    if not ordered:
        raise ValueError("a funnel needs at least one control-limit level")
    for level in ordered:
        _check_level(level)
    y, n = _units(successes, totals)
    p0 = float(y.sum() / n.sum())
    degenerate = p0 in {0.0, 1.0}
    estimate = _phi(y, n, p0, winsor) if overdispersion and not degenerate else None
    phi = max(1.0, estimate) if estimate is not None else 1.0

    grid = np.arange(1, int(n.max()) + 1, dtype=np.int64)
    curve = tuple(_limits(p0, grid, level, method, phi) for level in ordered)
    at_units = [_limits(p0, n, level, method, phi) for level in ordered]

    proportion = y / n
    z = np.zeros(y.shape) if degenerate else (proportion - p0) / np.sqrt(phi * p0 * (1 - p0) / n)
    units = []
    for i in range(y.size):
        flag = WITHIN
        for limits in at_units:
            if proportion[i] > limits.high[i]:
                flag = f"above_{limits.label}"
            elif proportion[i] < limits.low[i]:
                flag = f"below_{limits.label}"
        units.append(
            UnitPlacement(
                successes=int(y[i]),
                total=int(n[i]),
                proportion=float(proportion[i]),
                z=float(z[i]),
                flag=flag,
            )
        )
    return Funnel(
        p0=p0,
        phi=phi,
        phi_estimate=estimate,
        method=method,
        n=grid,
        limits=curve,
        units=tuple(units),
    )
