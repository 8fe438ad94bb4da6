"""Descriptive statistics for benchmarks: quantiles, summaries, percentile ranks, signed ranks.

Conventions, stated once so every report can quote them:

- Quantiles are type 7 (linear interpolation between order statistics, numpy's default and R's
  default): the q-quantile of n sorted values x₁…xₙ is x at position 1 + q·(n − 1).
- NaN values are dropped before anything is computed (a missing measurement is not a zero).
- The percentile rank is the mid-rank: 100·(below + 0.5·equal)/n.
- Quartile placement puts a value on a boundary in the lower quartile (value ≤ Q1 → 1).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats as sps  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]


def _finite(values: Iterable[float]) -> FloatArray:
    """Return the values as a 1-D float array with NaNs dropped; infinities are refused."""
    source = values if isinstance(values, np.ndarray) else list(values)
    array = np.asarray(source, dtype=np.float64).ravel()
    array = array[~np.isnan(array)]
    if np.isinf(array).any():
        raise ValueError("values must be finite numbers (NaN is treated as missing)")
    return array


def quantiles(
    values: Iterable[float], qs: Sequence[float] = (0.25, 0.5, 0.75)
) -> tuple[float, ...]:
    """Return the type-7 quantiles of the values at each q; ValueError when no value is left."""
    data = _finite(values)
    if data.size == 0:
        raise ValueError("quantiles of an empty set of values are undefined")
    probs = np.asarray(qs, dtype=np.float64)
    if probs.ndim != 1 or ((probs < 0) | (probs > 1) | np.isnan(probs)).any():
        raise ValueError(f"quantile probabilities must lie in [0, 1], got {list(qs)}")
    return tuple(float(q) for q in np.quantile(data, probs, method="linear"))


@dataclass(frozen=True, slots=True)
class Summary:
    """Count, mean, sd (ddof=1), median, quartiles and range of a set of values.

    With n = 0 every other field is None; with n = 1 only ``sd`` is None.
    """

    n: int
    mean: float | None
    sd: float | None
    median: float | None
    q1: float | None
    q3: float | None
    min: float | None
    max: float | None


def summarize(values: Iterable[float]) -> Summary:
    """Return the summary of the non-NaN values; all fields but n are None when none is left."""
    data = _finite(values)
    n = int(data.size)
    if n == 0:
        return Summary(n=0, mean=None, sd=None, median=None, q1=None, q3=None, min=None, max=None)
    q1, median, q3 = quantiles(data)
    return Summary(
        n=n,
        mean=float(np.mean(data)),
        sd=float(np.std(data, ddof=1)) if n >= 2 else None,
        median=median,
        q1=q1,
        q3=q3,
        min=float(np.min(data)),
        max=float(np.max(data)),
    )


def percentile_rank(value: float, population: Iterable[float]) -> float:
    """Return the mid-rank percentile 100·(below + 0.5·equal)/n; ValueError on an empty population.

    NaNs in the population are dropped; ``value`` need not belong to the population.
    """
    if np.isnan(value):
        raise ValueError("the value to rank is NaN")
    data = _finite(population)
    if data.size == 0:
        raise ValueError("a percentile rank needs a non-empty population")
    below = int(np.count_nonzero(data < value))
    equal = int(np.count_nonzero(data == value))
    return 100.0 * (below + 0.5 * equal) / data.size


def quartile_placement(value: float, q1: float, q2: float, q3: float) -> int:
    """Return the quartile (1-4) the value falls in; a value on a boundary goes to the lower one.

    So value ≤ Q1 → 1, Q1 < value ≤ Q2 → 2, Q2 < value ≤ Q3 → 3, value > Q3 → 4. When quartiles
    coincide the lowest matching quartile wins. ValueError when the quartiles are not ordered.
    """
    if np.isnan([value, q1, q2, q3]).any():
        raise ValueError("quartile placement of NaN is undefined")
    if not q1 <= q2 <= q3:
        raise ValueError(f"quartiles must be ordered, got {q1}, {q2}, {q3}")
    if value <= q1:
        return 1
    if value <= q2:
        return 2
    if value <= q3:
        return 3
    return 4


@dataclass(frozen=True, slots=True)
class SignedRankResult:
    """A Wilcoxon signed-rank test of paired differences against zero (two-sided).

    ``n`` counts the non-NaN differences, ``n_nonzero`` those left after zeros are dropped (Wilcoxon's
    zero method). ``statistic`` is scipy's min(W⁺, W⁻); ``statistic`` and ``p_value`` are None when
    no non-zero difference is left. ``median_difference`` is over all n differences, zeros
    included (None when n = 0).
    """

    n: int
    n_nonzero: int
    statistic: float | None
    p_value: float | None
    median_difference: float | None


def signed_rank(differences: Iterable[float]) -> SignedRankResult:
    """Return the two-sided Wilcoxon signed-rank test of the differences; no test without data.

    Zeros are dropped before scipy sees them, which is exactly ``zero_method="wilcox"`` and keeps
    scipy from warning about zeros or an empty sample. scipy picks the exact null distribution for
    small samples without ties and the normal approximation otherwise (``method="auto"``).
    """
    data = _finite(differences)
    n = int(data.size)
    nonzero = data[data != 0]
    median = float(np.median(data)) if n else None
    if nonzero.size < 1:
        return SignedRankResult(
            n=n, n_nonzero=0, statistic=None, p_value=None, median_difference=median
        )
    result = sps.wilcoxon(nonzero, zero_method="wilcox", alternative="two-sided")
    return SignedRankResult(
        n=n,
        n_nonzero=int(nonzero.size),
        statistic=float(result.statistic),
        p_value=float(result.pvalue),
        median_difference=median,
    )
