"""Meta-analysis against metafor's published dat.bcg results, and its invariants."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.meta_reference import PUBLISHED, V, Y

from printreg.analytics.meta import METHODS, Method, PoolResult, empirical_bayes, pool

# -- oracle: metafor dat.bcg ----------------------------------------------------------------------


def test_fixed_effect_matches_metafor() -> None:
    r = pool(Y, V, "FE")
    assert r.estimate == pytest.approx(-0.4303, abs=PUBLISHED)
    assert (r.ci_low, r.ci_high) == pytest.approx((-0.5097, -0.3509), abs=PUBLISHED)
    assert r.q == pytest.approx(152.2330, abs=PUBLISHED)
    assert r.q_df == 12
    assert r.tau2 == 0.0


def test_dersimonian_laird_matches_metafor() -> None:
    r = pool(Y, V, "DL")
    assert r.estimate == pytest.approx(-0.7141, abs=PUBLISHED)
    assert (r.ci_low, r.ci_high) == pytest.approx((-1.0644, -0.3638), abs=PUBLISHED)
    assert r.tau2 == pytest.approx(0.3088, abs=PUBLISHED)
    assert r.i2 == pytest.approx(92.1173, abs=PUBLISHED)
    assert r.q == pytest.approx(152.2330, abs=PUBLISHED)


def test_reml_matches_metafor() -> None:
    r = pool(Y, V, "REML")
    assert r.estimate == pytest.approx(-0.7145, abs=PUBLISHED)
    assert r.se == pytest.approx(0.1798, abs=PUBLISHED)
    assert r.tau2 == pytest.approx(0.3132, abs=PUBLISHED)
    assert r.tau == pytest.approx(math.sqrt(r.tau2))
    assert r.i2 == pytest.approx(92.22, abs=0.005)
    assert not r.hksj
    assert r.df is None


def test_reml_with_hksj_matches_metafor() -> None:
    r = pool(Y, V, "REML", hksj=True)
    assert (r.ci_low, r.ci_high) == pytest.approx((-1.1084, -0.3206), abs=PUBLISHED)
    assert r.estimate == pytest.approx(-0.7145, abs=PUBLISHED)
    assert r.hksj
    assert r.df == 12


def test_paule_mandel_matches_metafor() -> None:
    r = pool(Y, V, "PM")
    assert r.tau2 == pytest.approx(0.3181, abs=PUBLISHED)
    # Its defining equation: the generalised Q at τ̂² equals k − 1.
    w = 1 / (V + r.tau2)
    assert float(np.sum(w * (Y - r.estimate) ** 2)) == pytest.approx(12, abs=1e-8)


def test_reml_maximises_the_restricted_likelihood() -> None:
    def restricted_loglik(tau2: float) -> float:
        w = 1 / (V + tau2)
        mu = np.sum(w * Y) / np.sum(w)
        return -0.5 * float(
            np.sum(np.log(V + tau2)) + np.log(np.sum(w)) + np.sum(w * (Y - mu) ** 2)
        )

    tau2 = pool(Y, V, "REML").tau2
    best = restricted_loglik(tau2)
    for delta in (1e-3, 1e-5):
        assert best >= restricted_loglik(tau2 + delta)
        assert best >= restricted_loglik(tau2 - delta)


def test_heterogeneity_statistics_follow_their_definitions() -> None:
    r = pool(Y, V, "REML")
    w = 1 / V
    s2 = 12 * w.sum() / (w.sum() ** 2 - (w**2).sum())
    assert r.i2 == pytest.approx(100 * r.tau2 / (r.tau2 + s2))
    assert r.h2 == pytest.approx((r.tau2 + s2) / s2)
    assert r.q_p < 1e-20
    fe = pool(Y, V, "FE")
    assert fe.i2 == pytest.approx(100 * (fe.q - 12) / fe.q)
    assert fe.h2 == pytest.approx(fe.q / 12)


def test_tests_and_intervals_use_the_stated_distributions() -> None:
    r = pool(Y, V, "DL")
    assert r.z_or_t == pytest.approx(r.estimate / r.se)
    assert r.ci_high - r.ci_low == pytest.approx(2 * 1.959964 * r.se, rel=1e-6)
    # Prediction interval on t(k − 2) = t(11), whose 97.5% point is 2.200985.
    half = 2.200985 * math.sqrt(r.tau2 + r.se**2)
    assert (r.pi_low, r.pi_high) == pytest.approx((r.estimate - half, r.estimate + half), rel=1e-6)
    assert r.pi_reliable
    narrow = pool(Y, V, "DL", level=0.5)
    assert narrow.ci_high - narrow.ci_low < r.ci_high - r.ci_low
    assert narrow.level == 0.5


def test_to_dict_is_json_ready_with_every_field() -> None:
    data = pool(Y, V, "REML", hksj=True).to_dict()
    assert json.loads(json.dumps(data)) == data
    for key in ("k", "estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q", "pi_low"):
        assert key in data
    assert data["weights"] == pytest.approx(list(pool(Y, V, "REML").weights))


def test_empirical_bayes_matches_the_blup_formula() -> None:
    r = pool(Y, V, "REML")
    eb = empirical_bayes(Y, V, r)
    assert eb == pytest.approx(r.estimate + r.tau2 / (r.tau2 + V) * (Y - r.estimate))
    # Fixed effect: no between-study variance, so every study shrinks all the way.
    assert empirical_bayes(Y, V, pool(Y, V, "FE")) == pytest.approx(
        np.full(13, pool(Y, V, "FE").estimate)
    )


# -- small k --------------------------------------------------------------------------------------


def test_two_studies_pool_without_a_prediction_interval() -> None:
    r = pool([0.1, 0.5], [0.04, 0.09], "REML", hksj=True)
    assert r.k == 2
    assert r.pi_low is None
    assert r.pi_high is None
    assert not r.pi_reliable
    assert r.df == 1


@pytest.mark.parametrize("k", [3, 4])
def test_fewer_than_five_studies_flag_the_prediction_interval(k: int) -> None:
    r = pool(Y[:k], V[:k], "REML", hksj=True)
    assert r.pi_low is not None
    assert not r.pi_reliable


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effects", "variances", "message"),
    [
        ([0.1], [0.2], "pooling needs at least 2 studies; got 1"),
        ([], [], "pooling needs at least 2 studies; got 0"),
        ([0.1, 0.2], [0.2], "differ in length: 2 effects, 1 variances"),
        ([0.1, math.nan], [0.2, 0.3], "effect at index 1 is not a finite number"),
        ([0.1, 0.2, math.inf], [0.2, 0.3, 0.1], "effect at index 2 is not a finite number"),
        ([0.1, 0.2], [0.0, 0.3], "variance at index 0 must be a positive finite number; got 0.0"),
        ([0.1, 0.2], [0.2, -1], "variance at index 1 must be a positive finite number"),
        ([0.1, 0.2], [0.2, math.nan], "variance at index 1 must be a positive finite number"),
        ([[0.1, 0.2]], [[0.2, 0.1]], "one-dimensional"),
    ],
)
def test_bad_inputs_are_refused_with_a_specific_message(
    effects: list[float], variances: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        pool(effects, variances)


def test_unknown_method_and_level_are_refused() -> None:
    with pytest.raises(ValueError, match="method must be one of FE, DL, REML, PM"):
        pool(Y, V, "ML")  # type: ignore[arg-type]
    for level in (0.0, 1.0, 95.0):
        with pytest.raises(ValueError, match="level must lie strictly between 0 and 1"):
            pool(Y, V, level=level)


def test_empirical_bayes_refuses_other_studies() -> None:
    with pytest.raises(ValueError, match="pooled 13 studies; got 12"):
        empirical_bayes(Y[:12], V[:12], pool(Y, V))


# -- properties -----------------------------------------------------------------------------------

effect = st.floats(-5, 5, allow_nan=False)
variance = st.floats(0.001, 5, allow_nan=False)
studies = st.integers(2, 15).flatmap(
    lambda k: st.tuples(
        st.lists(effect, min_size=k, max_size=k), st.lists(variance, min_size=k, max_size=k)
    )
)
method = st.sampled_from(METHODS)


@settings(max_examples=60, deadline=None)
@given(st.floats(-5, 5), st.lists(variance, min_size=2, max_size=15), method)
def test_homogeneous_effects_collapse_to_the_fixed_effect(
    common: float, variances: list[float], name: Method
) -> None:
    r = pool([common] * len(variances), variances, name)
    fe = pool([common] * len(variances), variances, "FE")
    assert r.tau2 == 0.0
    assert r.i2 == 0.0
    assert r.estimate == pytest.approx(fe.estimate, abs=1e-12)
    assert r.se == pytest.approx(fe.se)
    assert r.weights == pytest.approx(fe.weights)


def test_little_spread_gives_zero_tau2_for_every_estimator() -> None:
    # Q = 0.5 < k − 1 = 2: no excess variation for DL, REML or PM to attribute to τ².
    y, v = [0.0, 0.5, -0.5], [1.0, 1.0, 1.0]
    fe = pool(y, v, "FE")
    assert fe.q == pytest.approx(0.5)
    estimators: list[Method] = ["DL", "REML", "PM"]
    for name in estimators:
        r = pool(y, v, name)
        assert r.tau2 == 0.0
        assert r.estimate == pytest.approx(fe.estimate)
        assert r.ci_low == pytest.approx(fe.ci_low)


@settings(max_examples=80, deadline=None)
@given(studies, method, st.booleans())
def test_weights_are_normalised_and_the_estimate_is_their_mean(
    data: tuple[list[float], list[float]], name: Method, hksj: bool
) -> None:
    y, v = data
    r = pool(y, v, name, hksj=hksj)
    assert sum(r.weights) == pytest.approx(1.0)
    assert all(w > 0 for w in r.weights)
    assert r.estimate == pytest.approx(
        sum(w * e for w, e in zip(r.weights, y, strict=True)), abs=1e-9
    )
    assert min(y) - 1e-9 <= r.estimate <= max(y) + 1e-9
    assert r.tau2 >= 0
    assert 0 <= r.i2 < 100
    assert r.ci_low <= r.estimate <= r.ci_high
    assert 0 <= r.p_value <= 1
    assert 0 <= r.q_p <= 1


@settings(max_examples=80, deadline=None)
@given(studies, method)
def test_empirical_bayes_lies_between_each_study_and_the_pooled_estimate(
    data: tuple[list[float], list[float]], name: Method
) -> None:
    y, v = data
    r = pool(y, v, name)
    for own, shrunk in zip(y, empirical_bayes(y, v, r), strict=True):
        low, high = sorted((own, r.estimate))
        assert low - 1e-9 <= shrunk <= high + 1e-9


@settings(max_examples=60, deadline=None)
@given(studies, method, st.booleans(), st.data())
def test_the_order_of_studies_does_not_matter(
    data: tuple[list[float], list[float]], name: Method, hksj: bool, draw: st.DataObject
) -> None:
    y, v = data
    order = draw.draw(st.permutations(range(len(y))))
    first: PoolResult = pool(y, v, name, hksj=hksj)
    second = pool([y[i] for i in order], [v[i] for i in order], name, hksj=hksj)
    for field in ("estimate", "se", "ci_low", "ci_high", "tau2", "i2", "q"):
        assert getattr(second, field) == pytest.approx(getattr(first, field), rel=1e-6, abs=1e-9)
    assert [second.weights[order.index(i)] for i in range(len(y))] == pytest.approx(first.weights)


def test_dl_estimator_follows_its_closed_form() -> None:
    w = 1 / V
    fe = pool(Y, V, "FE")
    expected = (fe.q - 12) / (w.sum() - (w**2).sum() / w.sum())
    assert pool(Y, V, "DL").tau2 == pytest.approx(expected)
