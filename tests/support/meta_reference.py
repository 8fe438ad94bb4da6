"""Reference data and an independent random-effects pool for the meta-analysis tests.

metafor's dat.bcg (with its published figures' precision) serves the unit tests of
printreg.analytics.meta and the CLI's pool command; ``reml_hksj`` pools by direct maximisation.

printreg.analytics.meta pools by metafor's Fisher-scoring iteration (tested against metafor's
figures in tests/unit/analytics/test_meta.py); this one maximises the restricted
log-likelihood numerically with scipy, so a service test that compares against it does not
compare the code with itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats


@dataclass(frozen=True)
class Pooled:
    """A REML pool with the Hartung–Knapp–Sidik–Jonkman 95 % interval (no truncation)."""

    estimate: float
    tau2: float
    ci_low: float
    ci_high: float


def reml_hksj(effects: Sequence[float], variances: Sequence[float]) -> Pooled:
    """Return the REML pool of k ≥ 2 effects with their variances, HKSJ-adjusted."""
    y, v = np.asarray(effects, dtype=float), np.asarray(variances, dtype=float)
    k = y.size

    def minus_restricted_log_likelihood(tau2: float) -> float:
        w = 1.0 / (v + tau2)
        mu = float(np.sum(w * y) / np.sum(w))
        return 0.5 * float(
            np.sum(np.log(v + tau2)) + math.log(np.sum(w)) + np.sum(w * (y - mu) ** 2)
        )

    upper = 10.0 * (float(np.var(y)) + float(np.max(v))) + 1.0
    found = optimize.minimize_scalar(
        minus_restricted_log_likelihood, bounds=(0.0, upper), method="bounded",
        options={"xatol": 1e-12 * upper},
    )  # fmt: skip
    tau2 = float(found.x)
    if minus_restricted_log_likelihood(0.0) <= found.fun:
        tau2 = 0.0  # the maximum sits on the boundary
    w = 1.0 / (v + tau2)
    estimate = float(np.sum(w * y) / np.sum(w))
    se = math.sqrt(float(np.sum(w * (y - estimate) ** 2)) / ((k - 1) * float(np.sum(w))))
    half = float(stats.t.ppf(0.975, k - 1)) * se
    return Pooled(estimate, tau2, estimate - half, estimate + half)


# metafor's dat.bcg: BCG vaccine trials (tpos, tneg, cpos, cneg); see ANALYTICS.md.
BCG = np.array(
    [
        (4, 119, 11, 128),
        (6, 300, 29, 274),
        (3, 228, 11, 209),
        (62, 13536, 248, 12619),
        (33, 5036, 47, 5761),
        (180, 1361, 372, 1079),
        (8, 2537, 10, 619),
        (505, 87886, 499, 87892),
        (29, 7470, 45, 7232),
        (17, 1699, 65, 1600),
        (186, 50448, 141, 27197),
        (5, 2493, 3, 2338),
        (27, 16886, 29, 17825),
    ],
    dtype=float,
)


def bcg_log_rr() -> tuple[np.ndarray, np.ndarray]:
    """Return the trials' log risk ratios and their variances (metafor's escalc "RR")."""
    tpos, tneg, cpos, cneg = BCG.T
    y = np.log((tpos / (tpos + tneg)) / (cpos / (cpos + cneg)))
    v = 1 / tpos - 1 / (tpos + tneg) + 1 / cpos - 1 / (cpos + cneg)
    return y, v


Y, V = bcg_log_rr()
# metafor prints 4 decimals: a correct value lies within half a unit of the last place.
PUBLISHED = 5e-5
