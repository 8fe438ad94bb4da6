"""Fixed- and random-effects meta-analysis of study (or facility) effects: plain numpy and scipy.

Conventions follow R's metafor (``rma``) so that its published results serve as test oracles:
inverse-variance weights, the fixed-effect Q statistic for heterogeneity, I² and H² from the
"typical" within-study variance, the Hartung–Knapp–Sidik–Jonkman adjustment without truncation.
See docs/analytics.md, "Meta-analysis (pooling)".
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

# scipy ships no type stubs and scipy-stubs is not a project dependency.
from scipy import optimize, stats  # type: ignore[import-untyped]

Method = Literal["FE", "DL", "REML", "PM"]
METHODS: tuple[Method, ...] = get_args(Method)

FloatArray = npt.NDArray[np.float64]

# Fewer studies than this and the prediction interval (and τ² behind it) is too uncertain to trust.
RELIABLE_PI_MIN_K = 5


@dataclass(frozen=True)
class PoolResult:
    """One pooled estimate with its heterogeneity statistics and the studies' weights."""

    method: str
    k: int
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z_or_t: float
    p_value: float
    hksj: bool
    df: int | None
    tau2: float
    tau: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_p: float
    pi_low: float | None
    pi_high: float | None
    pi_reliable: bool
    weights: tuple[float, ...]
    level: float = 0.95

    def to_dict(self, *, weights: bool = True) -> dict[str, object]:
        """Return every field as plain JSON-ready values (weights as a list, or left out)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        if weights:
            data["weights"] = list(self.weights)
        else:
            del data["weights"]
        return data


def _inputs(effects: npt.ArrayLike, variances: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return effects and variances as float arrays; raise ValueError naming the first bad entry."""
    y = np.asarray(effects, dtype=np.float64)
    v = np.asarray(variances, dtype=np.float64)
    if y.ndim != 1 or v.ndim != 1:
        raise ValueError("effects and variances must be one-dimensional sequences of numbers")
    if y.size != v.size:
        raise ValueError(
            f"effects and variances differ in length: {y.size} effects, {v.size} variances"
        )
    for i, value in enumerate(y):
        if not math.isfinite(value):
            raise ValueError(f"effect at index {i} is not a finite number: {value}")
    for i, value in enumerate(v):
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"variance at index {i} must be a positive finite number; got {value}")
    if y.size < 2:
        raise ValueError(f"pooling needs at least 2 studies; got {y.size}")
    return y, v


def _weighted_mean(y: FloatArray, w: FloatArray) -> float:
    return float(np.sum(w * y) / np.sum(w))


def _generalised_q(y: FloatArray, v: FloatArray, tau2: float) -> float:
    """Return Σ w_i (y_i − μ̂)² with w_i = 1/(v_i + τ²): the fixed-effect Q when τ² = 0."""
    w = 1.0 / (v + tau2)
    mu = _weighted_mean(y, w)
    return float(np.sum(w * (y - mu) ** 2))


def _tau2_dl(y: FloatArray, v: FloatArray) -> float:
    w = 1.0 / v
    q = _generalised_q(y, v, 0.0)
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    return max(0.0, (q - (y.size - 1)) / c)


def _upper_tau2(y: FloatArray, v: FloatArray) -> float:
    """Return a τ² beyond which neither REML nor Paule–Mandel can land (a generous bracket)."""
    spread = float(np.sum((y - y.mean()) ** 2))
    return 10.0 * (spread + float(v.max())) + 1.0


def _neg_restricted_loglik(tau2: float, y: FloatArray, v: FloatArray) -> float:
    """Return −2 × the restricted log-likelihood, up to a constant."""
    w = 1.0 / (v + tau2)
    mu = _weighted_mean(y, w)
    return float(np.sum(np.log(v + tau2)) + math.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))


def _reml_step(tau2: float, y: FloatArray, v: FloatArray) -> float:
    """Return one Fisher-scoring update of τ² (metafor's REML iteration), truncated at 0."""
    w = 1.0 / (v + tau2)
    mu = _weighted_mean(y, w)
    sw = float(np.sum(w))
    # P = W − w wᵀ / Σw; score and information of the restricted likelihood in τ².
    resid = y - mu
    py = w * resid
    trace_p = sw - float(np.sum(w**2)) / sw
    trace_pp = float(np.sum(w**2)) - 2 * float(np.sum(w**3)) / sw + (float(np.sum(w**2)) / sw) ** 2
    score = 0.5 * (float(np.sum(py**2)) - trace_p)
    information = 0.5 * trace_pp
    return max(0.0, tau2 + score / information)


def _tau2_reml(y: FloatArray, v: FloatArray) -> float:
    upper = _upper_tau2(y, v)
    found = optimize.minimize_scalar(
        _neg_restricted_loglik,
        bounds=(0.0, upper),
        args=(y, v),
        method="bounded",
        options={"xatol": 1e-12 * upper},
    )
    tau2 = float(found.x)
    if _neg_restricted_loglik(0.0, y, v) <= _neg_restricted_loglik(tau2, y, v):
        tau2 = 0.0
    # Polish with Fisher scoring: the bounded optimiser stops on a bracket, not a zero score.
    for _ in range(50):
        step = _reml_step(tau2, y, v)
        if abs(step - tau2) <= 1e-12 * max(1.0, tau2):
            return step
        tau2 = step
    return tau2


def _tau2_pm(y: FloatArray, v: FloatArray) -> float:
    target = y.size - 1
    if _generalised_q(y, v, 0.0) <= target:
        return 0.0
    upper = _upper_tau2(y, v)
    while _generalised_q(y, v, upper) > target:  # Q(τ²) falls to 0 as τ² grows, so this ends
        upper *= 2.0
    return float(
        optimize.brentq(
            lambda t: _generalised_q(y, v, t) - target, 0.0, upper, xtol=1e-14, rtol=1e-12
        )
    )


_ESTIMATORS: dict[str, Callable[[FloatArray, FloatArray], float]] = {
    "DL": _tau2_dl,
    "REML": _tau2_reml,
    "PM": _tau2_pm,
}


def _test(
    estimate: float, se: float, dist: stats.rv_continuous | stats.rv_frozen
) -> tuple[float, float]:
    """Return the test statistic and two-sided p-value of estimate = 0."""
    if se > 0:
        stat = estimate / se
        return stat, float(2 * dist.sf(abs(stat)))
    # Only HKSJ on effects that are all equal gets here: no spread left to test against.
    if estimate == 0:
        return 0.0, 1.0
    return math.copysign(math.inf, estimate), 0.0


def pool(
    effects: npt.ArrayLike,
    variances: npt.ArrayLike,
    method: Method = "REML",
    *,
    hksj: bool = False,
    level: float = 0.95,
) -> PoolResult:
    """Return the pooled effect of k ≥ 2 studies; raise ValueError on bad or too few inputs."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1; got {level}")
    y, v = _inputs(effects, variances)
    k = int(y.size)

    w_fixed = 1.0 / v
    q = _generalised_q(y, v, 0.0)
    q_df = k - 1
    q_p = float(stats.chi2.sf(q, q_df))

    tau2 = 0.0 if method == "FE" else _ESTIMATORS[method](y, v)

    w = 1.0 / (v + tau2)
    sum_w = float(np.sum(w))
    estimate = _weighted_mean(y, w)
    if hksj:
        se = math.sqrt(float(np.sum(w * (y - estimate) ** 2)) / ((k - 1) * sum_w))
        df: int | None = k - 1
        dist: stats.rv_continuous | stats.rv_frozen = stats.t(df)
    else:
        se = math.sqrt(1.0 / sum_w)
        df = None
        dist = stats.norm
    crit = float(dist.ppf(0.5 + level / 2))
    stat, p_value = _test(estimate, se, dist)

    if method == "FE":
        i2 = max(0.0, (q - q_df) / q) * 100 if q > 0 else 0.0
        h2 = q / q_df
    else:
        # metafor's "typical" within-study variance s².
        sw = float(np.sum(w_fixed))
        s2 = q_df * sw / (sw**2 - float(np.sum(w_fixed**2)))
        i2 = 100 * tau2 / (tau2 + s2)
        h2 = (tau2 + s2) / s2

    pi_low = pi_high = None
    if k >= 3:
        half = float(stats.t.ppf(0.5 + level / 2, k - 2)) * math.sqrt(tau2 + se**2)
        pi_low, pi_high = estimate - half, estimate + half

    return PoolResult(
        method=method,
        k=k,
        estimate=estimate,
        se=se,
        ci_low=estimate - crit * se,
        ci_high=estimate + crit * se,
        z_or_t=stat,
        p_value=p_value,
        hksj=hksj,
        df=df,
        tau2=tau2,
        tau=math.sqrt(tau2),
        i2=i2,
        h2=h2,
        q=q,
        q_df=q_df,
        q_p=q_p,
        pi_low=pi_low,
        pi_high=pi_high,
        pi_reliable=k >= RELIABLE_PI_MIN_K,
        weights=tuple(float(x) for x in w / sum_w),
        level=level,
    )


def empirical_bayes(
    effects: npt.ArrayLike, variances: npt.ArrayLike, result: PoolResult
) -> FloatArray:
    """Return each study's shrunken (BLUP) estimate μ̂ + τ²/(τ² + v_i)·(y_i − μ̂); all μ̂ if τ² = 0."""
    y, v = _inputs(effects, variances)
    if y.size != result.k:
        raise ValueError(f"the result pooled {result.k} studies; got {y.size} effects")
    shrink = result.tau2 / (result.tau2 + v)
    return result.estimate + shrink * (y - result.estimate)
