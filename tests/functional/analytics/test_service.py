"""The analytics service on a real database: who sees what, suppression, caching, value evidence.

The hand-built registry of tests/support/analytics.py is stored once per database, with a
viewer at FA, a data manager at FB, a registry administrator and a researcher. The read-only
tests share one platform (``min_cases=5``, ``min_facilities=2``, suppression below 11); tests
that need other settings make their own, and tests that change cases load their own copy.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps  # type: ignore[import-untyped]
from sqlalchemy import select
from tests.support import analytics as data
from tests.support.analytics import CASES, GUIDE, MODEL, REG, Case
from tests.support.dashboards import JsonAnswers
from tests.support.meta_reference import reml_hksj

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.analytics import store as store_module
from printreg.analytics.disclosure import audit
from printreg.analytics.facts import FactBuilder
from printreg.analytics.measures import compute
from printreg.analytics.store import RegistryAnalytics
from printreg.cases.service import CaseService
from printreg.dashboards.service import AnalyticsService, DatabaseFacts
from printreg.dictionary.analytics import shipped_spec
from printreg.domain.errors import Forbidden, InvalidRequest, NotFound
from printreg.domain.facility import RegistryRoleName, Role
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage import stamps

THRESHOLD = 11  # the default suppression threshold


@pytest.fixture(scope="module", params=data.DATABASES)
def stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[data.Stored]:
    """The hand-built registry, stored once per database, with a few people."""
    for stored in data.stored_registry(request, tmp_path_factory):
        platform = stored.platform(stored.folder)
        accounts = AccountService(platform)
        operator = Actor.operator("analytics-tests")
        people = {
            "viewer": {"memberships": {REG: {"FA": Role.VIEWER}}},
            "manager": {"memberships": {REG: {"FB": Role.DATA_MANAGER}}},
            "admin": {"registry_roles": {REG: RegistryRoleName.REGISTRY_ADMIN}},
            "researcher": {"registry_roles": {REG: RegistryRoleName.RESEARCHER}},
        }
        for name, roles in people.items():
            accounts.create_user(operator, f"{name}@example.org", name, None, **roles)  # type: ignore[arg-type]
        platform.close()
        yield stored


@pytest.fixture(scope="module")
def platform(stored: data.Stored, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """A platform on the stored registry with min_cases 5 and min_facilities 2, shared by the
    module's read-only tests (so its analytics cache is built once)."""
    instance = stored.platform(tmp_path_factory.mktemp("service"), min_cases=5, min_facilities=2)
    yield instance
    instance.close()


def person(platform: Platform, name: str) -> Actor:
    """The actor of one of the module's people."""
    with platform.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == f"{name}@example.org"))
    assert user_id is not None
    return AccountService(platform).actor_for(user_id)


def service(platform: Platform, name: str | None = None) -> JsonAnswers:
    """Return the service for a person (the operator when none), answering its JSON."""
    actor = Actor.operator("analytics-tests") if name is None else person(platform, name)
    return JsonAnswers(AnalyticsService(platform, actor))


def item(dashboard: dict[str, Any], measure: str) -> dict[str, Any]:
    return next(m for m in dashboard["measures"] if m["measure"] == measure)


# -- who sees what --------------------------------------------------------------------------


def test_facility_user_sees_their_own_dashboard(platform: Platform) -> None:
    dashboard = service(platform, "viewer").facility_dashboard(REG, "FA")
    assert dashboard["facility"] == {"code": "FA", "name": "Alder Hospital"}
    assert (dashboard["cases"], dashboard["min_cases"]) == (12, 5)
    effort = item(dashboard, "effort_total")
    # FA's effort: median 230 (IQR 175-355) of 11 values; facility medians 192.5, 230, 535
    assert effort["facility"] == {"n": 11, "median": 230.0, "q1": 175.0, "q3": 355.0,
                                  "mean": pytest.approx(2920 / 11)}  # fmt: skip
    assert effort["registry"] == {"facilities": 3, "p25": 211.25, "p50": 230.0, "p75": 382.5}
    assert effort["peers"] == {"facilities": 2, "p25": 201.875, "p50": 211.25, "p75": 220.625}
    assert effort["placement"] == {"percentile_rank": 50.0, "quartile": 2,
                                   "peer_percentile_rank": 75.0}  # fmt: skip
    assert dashboard["peer_group"]["facilities"] == 2
    assert dashboard["peer_group"]["dimensions"] == {
        "facility_type": "academic",
        "location": "metropolitan",
        "census_region": "northeast",
        "volume_band": "low",
    }
    plan = item(dashboard, "plan_altered")
    assert plan["facility"] == {"n": 9, "x": 6, "p": pytest.approx(6 / 9)}


def test_other_facilities_are_not_found_like_unknown_ones(platform: Platform) -> None:
    for name, theirs in (("viewer", "FB"), ("manager", "FA"), ("viewer", "FD")):
        analytics = service(platform, name)
        with pytest.raises(NotFound) as other:
            analytics.facility_dashboard(REG, theirs)
        with pytest.raises(NotFound) as unknown:
            analytics.facility_dashboard(REG, "ZZ")
        assert str(other.value).replace(theirs, "?") == str(unknown.value).replace("ZZ", "?")


def test_registry_administrators_see_every_facility(platform: Platform) -> None:
    for name in ("admin", None):
        dashboard = service(platform, name).facility_dashboard(REG, "FC")
        assert dashboard["cases"] == 8
        effort = item(dashboard, "effort_total")
        assert effort["facility"]["median"] == 535.0
        assert effort["placement"]["quartile"] == 4
        # FC's peers are FC and FD, and FD is below the minimum: one facility
        assert effort["peers"] == {"facilities": 1, "status": "too few facilities"}
    with pytest.raises(NotFound):
        service(platform, "researcher").facility_dashboard(REG, "FA")


def test_api_token_needs_the_reports_scope(platform: Platform) -> None:
    accounts = AccountService(platform)
    viewer = person(platform, "viewer")
    reports, _ = accounts.create_token(viewer, "FA", "reports", ["reports:read"], 30)
    cases, _ = accounts.create_token(viewer, "FA", "cases", ["cases:read"], 30)
    with_reports = accounts.token_actor(reports)
    with_cases = accounts.token_actor(cases)
    assert with_reports is not None
    assert with_cases is not None
    assert (
        JsonAnswers(AnalyticsService(platform, with_reports)).facility_dashboard(REG, "FA")["cases"]
        == 12
    )
    with pytest.raises(NotFound):
        AnalyticsService(platform, with_reports).facility_dashboard(REG, "FB")
    with pytest.raises(Forbidden, match="reports:read"):
        AnalyticsService(platform, with_cases).facility_dashboard(REG, "FA")


def test_registry_overview_is_for_registry_administrators(platform: Platform) -> None:
    for name in ("viewer", "manager", "researcher"):
        with pytest.raises(Forbidden):
            service(platform, name).registry_overview(REG)
        with pytest.raises(Forbidden):
            service(platform, name).refresh(REG)
    overview = service(platform, "admin").registry_overview(REG)
    rows = {r["facility"]: r for r in overview["facilities"]}
    assert {code: r["cases"] for code, r in rows.items()} == {"FA": 12, "FB": 10, "FC": 8, "FD": 4}
    assert rows["FA"]["effort_total"] == 230.0
    assert rows["FB"]["effort_total"] == 192.5
    assert service(platform, "admin").refresh(REG)["facilities"] == 4


def test_stratum_choice(platform: Platform) -> None:
    analytics = service(platform, "viewer")
    models = analytics.facility_dashboard(REG, "FA", {"object_type": "Anatomic_Model"})
    assert models["stratum"] == {"object_type": MODEL}
    assert models["cases"] == 10
    cardiac = analytics.facility_dashboard(
        REG, "FA", {"object_type": MODEL, "organ_system": "cardiac"}
    )
    assert cardiac["cases"] == 7
    with pytest.raises(InvalidRequest, match="cannot filter by 'patient_sex'"):
        analytics.facility_dashboard(REG, "FA", {"patient_sex": "female"})
    with pytest.raises(InvalidRequest, match="'spleen' is not a code"):
        analytics.facility_dashboard(REG, "FA", {"organ_system": "spleen"})
    with pytest.raises(InvalidRequest, match="choose 'object_type' before narrowing"):
        analytics.facility_dashboard(REG, "FA", {"organ_system": "cardiac"})


def test_narrowing_by_intended_use_and_period(platform: Platform) -> None:
    analytics = service(platform, "viewer")
    education = analytics.facility_dashboard(REG, "FA", {"intended_uses": "patient_education"})
    # FA-06 and FA-12 were also for patient education
    assert education["cases"] == 2
    assert education["stratum"] == {"intended_uses": "patient_education"}
    assert item(education, "effort_total")["facility"] == {"n": 2, "status": "too few cases"}
    quarter = analytics.facility_dashboard(
        REG, "FA", {"period_from": "2024-04-01", "period_to": "2024-06-30"}
    )
    # FA-06 to FA-09 were requested in the second quarter: 230, 220, 500, 110 min
    assert quarter["cases"] == 4
    assert quarter["period"] == {"from": "2024-04-01", "to": "2024-06-30"}
    assert item(quarter, "effort_total")["facility"]["n"] == 4
    whole = analytics.facility_dashboard(REG, "FA")
    assert "period" not in whole
    assert whole["cases"] == 12
    with pytest.raises(InvalidRequest, match="period_from: '2024-13-01' is not a date"):
        analytics.facility_dashboard(REG, "FA", {"period_from": "2024-13-01"})
    with pytest.raises(InvalidRequest, match="'flying' is not a code"):
        analytics.facility_dashboard(REG, "FA", {"intended_uses": "flying"})


def test_period_bounds_inside_a_quarter(platform: Platform) -> None:
    dashboard = service(platform, "viewer").facility_dashboard(
        REG, "FA", {"period_from": "2024-02-01", "period_to": "2024-05-01"}
    )
    # requested from 1 February to 1 May: FA-03 (5 Feb) to FA-07 (20 Apr)
    assert dashboard["cases"] == 5


# -- minimum cases, minimum facilities, suppression ------------------------------------------


def test_minimum_cases_and_facilities_in_the_dashboard(platform: Platform) -> None:
    dashboard = service(platform).facility_dashboard(REG, "FD")
    assert dashboard["cases"] == 4
    for measure in dashboard["measures"]:
        assert measure["facility"]["status"] == "too few cases", measure["measure"]
        assert "median" not in measure["facility"]
        assert "p" not in measure["facility"]
    # FC's and FD's peers hold 6 + 3 plan-altered answers (fewer than 11) and 12 assessed-or-not
    # cases (FD's 4 and FC's 8: 12 − 4 would give FC's count): both suppressed
    hidden = {"facilities": 2, "status": "suppressed (small count)"}
    assert item(dashboard, "plan_altered")["peers"] == hidden
    assert item(dashboard, "assessed")["peers"] == hidden


def test_registry_distribution_needs_min_facilities(stored: data.Stored, tmp_path: Path) -> None:
    # at the lowest suppression threshold, so that the registry proportion (whose other
    # facilities' part is small at the default threshold) is released
    platform = stored.platform(tmp_path, min_cases=5, min_facilities=4, suppression_threshold=2)
    try:
        dashboard = service(platform).facility_dashboard(REG, "FA")
    finally:
        platform.close()
    effort = item(dashboard, "effort_total")
    assert effort["facility"]["median"] == 230.0
    assert effort["registry"] == {"facilities": 3, "status": "too few facilities"}
    assert effort["peers"] == {"facilities": 2, "status": "too few facilities"}
    # proportions: 4 facilities in the registry, 2 among the peers
    assert item(dashboard, "plan_altered")["registry"]["p"] is not None
    assert item(dashboard, "plan_altered")["peers"] == {
        "facilities": 2,
        "status": "too few facilities",
    }


def test_hidden_distribution_hides_the_placement_too(stored: data.Stored, tmp_path: Path) -> None:
    platform = stored.platform(tmp_path, min_cases=5, min_facilities=4)
    try:
        dashboard = service(platform).facility_dashboard(REG, "FA")
    finally:
        platform.close()
    effort = item(dashboard, "effort_total")
    assert effort["registry"]["status"] == "too few facilities"
    # a rank among 3 facilities tells FA where the other two stand
    assert effort["placement"] == {}


def test_facility_sees_own_counts_and_suppressed_registry_counts(platform: Platform) -> None:
    dashboard = service(platform, "viewer").facility_dashboard(REG, "FA")
    organs = {r["category"]: r for r in dashboard["mix"]["organ_system_mix"]["rows"]}
    # own counts unsuppressed, registry counts of 1-10 hidden (vascular 6, musculoskeletal 5)
    assert {k: r["count"] for k, r in organs.items()} == {
        "cardiac": 7,
        "vascular": 2,
        "musculoskeletal": 3,
    }
    registry = {k: r["registry"] for k, r in organs.items()}
    assert registry["vascular"] is None
    assert registry["musculoskeletal"] is None
    assert abs(registry["cardiac"] - 23) <= 2  # perturbed (cell key)
    assert organs["vascular"]["registry_share"] is None
    shown = [r["registry"] for mix in dashboard["mix"].values() for r in mix["rows"]]
    assert [n for n in shown if n is not None and 1 <= n < THRESHOLD] == []
    assert None in shown  # some registry counts were small
    # other facilities' funnel points only with at least 11 cases: FB (10) and FC (8) are left out
    assert dashboard["funnel"]["assessed"] == [{"n": 12, "p": 0.75, "this_facility": True}]


def _ints(value: Any, path: str = "") -> Iterator[tuple[str, int]]:
    """Every integer in a JSON-like structure, with its path (counts are ints; ratios floats)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _ints(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for k, inner in enumerate(value):
            yield from _ints(inner, f"{path}[{k}]")
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        yield path, value


def _small(summary: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (path, n)
        for path, n in _ints(summary)
        if 1 <= n < THRESHOLD and not path.startswith(".value.external")
    ]


def test_public_summary_tables_hold_no_small_count(platform: Platform) -> None:
    summary = service(platform, "researcher").public_summary(REG)
    assert summary["facilities"] is None  # 4 facilities
    tables = {k: summary[k] for k in ("cases_by_stratum", "mix", "facilities")}
    assert _small(tables) == []
    # the released counts are the true ones where shown, perturbed by at most 2 (cell key)
    mix = summary["mix"]["organ_system_mix"]
    truth = Counter(c.organ for c in CASES)
    shown = {r["category"]: r["count"] for r in mix["rows"]}
    assert shown.keys() == {"cardiac", "vascular", "musculoskeletal"}
    assert shown["vascular"] is None
    assert shown["musculoskeletal"] is None
    assert abs(shown["cardiac"] - truth["cardiac"]) <= 2
    assert sum(truth.values()) == 34
    assert abs(mix["total"] - 34) <= 2
    assert "perturbed" in summary["disclosure"]
    # consistent: the cardiac cases publish the same count as the cross table's column total
    table = summary["cases_by_stratum"]
    cardiac = table["columns"]["codes"].index("cardiac")
    assert table["cells"][-1][cardiac] == shown["cardiac"]
    assert table["cells"][-1][-1] == mix["total"]


def test_public_summary_holds_no_small_count_anywhere(platform: Platform) -> None:
    summary = service(platform).public_summary(REG)
    assert _small(summary) == []


def test_public_summary_table_is_safe_by_lp_audit(platform: Platform) -> None:
    summary = service(platform).public_summary(REG)
    table = summary["cases_by_stratum"]
    rows, cols = table["rows"]["codes"], table["columns"]["codes"]
    assert (table["rows"]["element"], table["columns"]["element"]) == (
        "object_type",
        "organ_system",
    )
    truth = np.zeros((len(rows), len(cols)), dtype=np.int64)
    for case in CASES:
        truth[rows.index(case.object_type), cols.index(case.organ)] += 1
    extended = np.zeros((len(rows) + 1, len(cols) + 1), dtype=np.int64)
    extended[:-1, :-1] = truth
    extended[:-1, -1] = truth.sum(axis=1)
    extended[-1, :-1] = truth.sum(axis=0)
    extended[-1, -1] = truth.sum()
    released = np.array(
        [[math.nan if v is None else v for v in line] for line in table["cells"]], dtype=float
    )
    hidden = np.isnan(released)
    # shown counts are perturbed (cell key) by at most 2; zeros stay zeros
    assert (np.abs(released[~hidden] - extended[~hidden]) <= 2).all()
    assert ((released == 0) == (extended == 0))[~hidden].all()
    assert (extended[hidden] >= 1).all()  # zeros are shown
    assert (hidden | (extended == 0) | (extended >= THRESHOLD)).all()
    assert audit(truth, hidden) == []
    # the object-type and organ-system mixes publish the same margins: released together, the
    # table's hidden cells must still be unrecoverable
    margins = hidden.copy()
    for mix, axis in (("object_type_mix", 0), ("organ_system_mix", 1)):
        for row in summary["mix"][mix]["rows"]:
            if row["count"] is not None:
                codes = rows if axis == 0 else cols
                index = codes.index(row["category"])
                if axis == 0:
                    margins[index, -1] = False
                else:
                    margins[-1, index] = False
    assert audit(truth, margins) == []


# -- value evidence -------------------------------------------------------------------------


def _time_saved(cases: list[Case]) -> list[float]:
    return [c.assessment[1] for c in cases if c.assessment is not None]


def _facility_inputs(separate: str, by: str | None) -> tuple[list[float], list[float], int]:
    """(means, variances of the mean, cases) of the facilities with ≥ 2 values and spread."""
    means, variances, cases = [], [], 0
    for code in data.FACILITIES:
        chosen = [
            c for c in data.of(code) if c.object_type == separate and (by is None or c.organ == by)
        ]
        values = _time_saved(chosen)
        if len(values) >= 2 and statistics.variance(values) > 0:
            means.append(statistics.fmean(values))
            variances.append(statistics.variance(values) / len(values))
            cases += len(values)
    return means, variances, cases


def test_pooled_value_never_mixes_object_types(platform: Platform) -> None:
    value = service(platform, "viewer").value_evidence(REG)
    strata = {(s["separate"], s["by"]): s for s in value["pooled"]}
    assert {s for s, _ in strata} == {MODEL, GUIDE}
    for (separate, by), stratum in strata.items():
        means, variances, cases = _facility_inputs(separate, None if by == "all" else by)
        assert (stratum["k"], stratum["cases"]) == (len(means), cases), (separate, by)
        if len(means) < 2:
            assert stratum["pooled"] is None
            assert stratum["note"] == "one facility: not pooled"
            continue
        expected = reml_hksj(means, variances)  # an independent REML, not the code under test
        pooled = stratum["pooled"]
        assert pooled["estimate"] == pytest.approx(expected.estimate, rel=1e-6), (separate, by)
        assert (pooled["ci_low"], pooled["ci_high"]) == pytest.approx(
            (expected.ci_low, expected.ci_high), rel=1e-6
        )
        assert pooled["hksj"] is True
        assert "unreliable" in stratum["note"]  # 4 facilities at most
        dollars = stratum["dollars"]
        assert dollars["default"] == pytest.approx(36 * expected.estimate, rel=1e-6)
        rates = {"22": 22.0, "62": 62.0, "133": 133.0}
        assert dollars["sensitivity"] == pytest.approx(
            {k: v * expected.estimate for k, v in rates.items()}, rel=1e-6
        )
        assert dollars["assumption"] == value["cost_assumption"]
    # guides: FA has two time-saved answers, FB one → one facility, not pooled
    assert strata[(GUIDE, "all")]["k"] == 1
    assert strata[(MODEL, "cardiac")]["k"] == 4
    assert "$36/min" in value["cost_assumption"]
    for rate in ("$22", "$62", "$133"):
        assert rate in value["cost_assumption"]
    assert {s["key"] for s in value["external"]["studies"]} >= {"ballard_2020_models"}


def test_confidence_gain_signed_rank(platform: Platform) -> None:
    confidence = service(platform).value_evidence(REG)["confidence"]
    assert set(confidence) == {MODEL, GUIDE}
    for separate, result in confidence.items():
        gains = [
            c.assessment[3] - c.assessment[2]
            for c in CASES
            if c.object_type == separate and c.assessment is not None
        ]
        assert result["n"] == len(gains)
        assert result["median_gain"] == statistics.median(gains)
        assert result["mean_gain"] == pytest.approx(statistics.fmean(gains))
        expected = sps.wilcoxon(gains, zero_method="wilcox")
        assert result["statistic"] == pytest.approx(expected.statistic)
        assert result["p_value"] == pytest.approx(expected.pvalue)


def test_dashboard_carries_costs_and_the_facility_estimate(platform: Platform) -> None:
    dashboard = service(platform, "viewer").facility_dashboard(REG, "FA")
    saved = item(dashboard, "time_saved")
    assert saved["facility"]["median"] == 20.0
    assert saved["dollars"]["default"] == 720.0
    assert saved["dollars"]["sensitivity"] == {"22": 440.0, "62": 1240.0, "133": 2660.0}
    assert saved["dollars"]["assumption"] == dashboard["cost_assumption"]
    cardiac = next(
        s for s in dashboard["value"]["pooled"] if (s["separate"], s["by"]) == (MODEL, "cardiac")
    )
    means, variances, _ = _facility_inputs(MODEL, "cardiac")
    result = reml_hksj(means, variances)
    fa = _time_saved([c for c in data.of("FA") if c.object_type == MODEL and c.organ == "cardiac"])
    fa_mean, fa_variance = statistics.fmean(fa), statistics.variance(fa) / len(fa)
    assert (means[0], variances[0]) == (fa_mean, fa_variance)  # FA is the first facility
    shrink = result.tau2 / (result.tau2 + fa_variance)
    assert cardiac["facility_estimate"] == pytest.approx(
        result.estimate + shrink * (fa_mean - result.estimate), rel=1e-6
    )


# -- the cache follows case changes -------------------------------------------------------


@pytest.fixture
def own_copy(settings: Settings) -> Iterator[tuple[Platform, data.Loaded]]:
    """The registry loaded into this test's own database (for tests that change cases)."""
    wanted = {"min_cases": 5, "min_facilities": 2}
    platform = Platform.from_settings(settings.model_copy(update=wanted))
    loaded = data.load(platform)
    yield platform, loaded
    platform.close()


def test_registry_without_reportable_cases(settings: Settings) -> None:
    platform = Platform.from_settings(settings)
    try:
        facilities = FacilityService(platform, Actor.operator("analytics-tests"))
        facilities.add(data.FACILITIES["FA"], (REG,))
        analytics = service(platform)
        assert analytics.registry_overview(REG)["facilities"] == []
        dashboard = analytics.facility_dashboard(REG, "FA")
        assert dashboard["cases"] == 0
        assert analytics.public_summary(REG)["facilities"] is None
    finally:
        platform.close()


def _manifest(platform: Platform) -> dict[str, int]:
    path = Path(platform.settings.data_dir) / "analytics" / f"{REG}-manifest.json"
    stamps_: dict[str, int] = json.loads(path.read_text("utf-8"))["stamps"]
    return stamps_


def test_dashboard_follows_case_changes(own_copy: tuple[Platform, data.Loaded]) -> None:
    platform, loaded = own_copy
    analytics = service(platform)
    cases = CaseService(platform, Actor.operator("analytics-tests"))
    ids = loaded.facility_ids

    def effort(code: str = "FA") -> dict[str, Any]:
        return item(analytics.facility_dashboard(REG, code), "effort_total")

    first = effort()
    assert (first["facility"]["median"], first["registry"]["p25"]) == (230.0, 211.25)
    _, _, aggregates = analytics.aggregates(REG)
    assert analytics.aggregates(REG)[2] is aggregates  # nothing changed: the same aggregates
    before = _manifest(platform)

    # a new FB case of 1000 min: FB's median 192.5 → 200, registry Q1 211.25 → 215
    new = data.Case("FB", "FB-NEW", data.CASES[0].request, 3, MODEL, "cardiac", 1, 300, 700)
    cases.create(REG, "FB", new.record())
    after = _manifest(platform)  # not refreshed yet
    assert after == before
    changed = effort()
    assert (changed["facility"]["median"], changed["registry"]["p25"]) == (230.0, 215.0)
    after = _manifest(platform)
    assert {k for k in after if after[k] != before.get(k)} == {str(ids["FB"])}

    # FA-04 from 150 to 1000 min: FA's median 230 → 260
    record = data.of("FA")[3]
    assert record.local_id == "FA-04"
    bigger = data.Case("FA", "FA-04", record.request, 7, MODEL, "cardiac", 1, 300, 700,
                       billed=None)  # fmt: skip
    cases.update(REG, loaded.case_ids["FA-04"], bigger.record())
    assert effort()["facility"]["median"] == 260.0

    # FA-12 (395 min) deleted: 10 values left, median (230 + 260) / 2
    cases.delete(REG, loaded.case_ids["FA-12"])
    dashboard = analytics.facility_dashboard(REG, "FA")
    assert dashboard["cases"] == 11
    assert item(dashboard, "effort_total")["facility"]["median"] == 245.0
    cases.restore(REG, loaded.case_ids["FA-12"])
    assert analytics.facility_dashboard(REG, "FA")["cases"] == 12

    # FD loses every case: its reload is an empty frame, and every dashboard still works
    for case in data.of("FD"):
        cases.delete(REG, loaded.case_ids[case.local_id])
    assert analytics.facility_dashboard(REG, "FD")["cases"] == 0
    assert analytics.facility_dashboard(REG, "FA")["registry_facilities"] == 3
    released_total = analytics.public_summary(REG)["mix"]["object_type_mix"]["total"]
    assert abs(released_total - (len(CASES) + 1 - 4)) <= 2  # perturbed (cell key)


def test_snapshot_reloads_only_changed_facilities(
    own_copy: tuple[Platform, data.Loaded], tmp_path: Path
) -> None:
    platform, loaded = own_copy
    runtime = platform.registry(REG)
    builder = FactBuilder(runtime.tables, runtime.current, shipped_spec(runtime.current))
    asked: list[list[int] | None] = []

    def load(ids: Any) -> pl.DataFrame:
        asked.append(None if ids is None else list(ids))
        with platform.engine.connect() as connection:
            return builder.build(connection, None if ids is None else list(ids))

    def counters() -> dict[int, int]:
        with platform.sessions() as session:
            return stamps.read(session, REG)

    store = RegistryAnalytics(tmp_path / "snapshot", REG)
    assert store.sync_facts(counters(), load, "k") == 4  # first build: everything
    assert asked == [None]
    assert store.sync_facts(counters(), load, "k") == 0
    assert asked == [None]

    cases = CaseService(platform, Actor.operator("analytics-tests"))
    cases.delete(REG, loaded.case_ids["FC-01"])
    assert store.sync_facts(counters(), load, "k") == 1
    assert asked[-1] == [loaded.facility_ids["FC"]]
    snapshot = store.scan().collect()
    with platform.engine.connect() as connection:
        fresh = builder.build(connection)
    order = ["facility_id", "period", "m_effort_total", "m_turnaround", "m_time_saved"]
    assert snapshot.sort(order).equals(fresh.select(snapshot.columns).sort(order))
    assert snapshot.height == len(CASES) - 1
    # another spec or definition version: rebuilt whole
    assert store.sync_facts(counters(), load, "other") == 4
    assert asked[-1] is None


def test_refresh_reads_and_writes_the_snapshot_in_batches(
    own_copy: tuple[Platform, data.Loaded], monkeypatch: pytest.MonkeyPatch
) -> None:
    platform, loaded = own_copy
    runtime = platform.registry(REG)
    spec = shipped_spec(runtime.current)
    secret = platform.settings.record_key_secret()
    builder = FactBuilder(runtime.tables, runtime.current, spec, secret)
    with platform.engine.connect() as connection:
        whole = builder.build(connection)
        sizes = builder.sizes(connection)
    per_facility = whole.group_by("facility_id").len()
    assert sizes == dict(zip(per_facility["facility_id"], per_facility["len"], strict=True))
    assert sum(sizes.values()) == len(CASES)

    loads: list[tuple[list[int] | None, int]] = []

    class Counted(DatabaseFacts):
        def load(self, facility_ids: Any) -> pl.DataFrame:
            frame = super().load(facility_ids)
            loads.append((None if facility_ids is None else list(facility_ids), frame.height))
            return frame

    # batches of one facility: no call ever holds more than one facility's rows
    monkeypatch.setattr(store_module, "BATCH_ROWS", 1)
    monkeypatch.setattr(store_module, "ROW_GROUP", 3)
    store = RegistryAnalytics(Path(platform.settings.data_dir) / "batched", REG)
    counters = dict.fromkeys(sizes, 1)
    assert store.sync_facts(counters, Counted(platform, builder), "k") == 4
    assert loads[0] == ([], 0)
    assert sorted(ids[0] for ids, _ in loads[1:] if ids) == sorted(sizes)
    assert [rows for _, rows in loads[1:]] == [sizes[ids[0]] for ids, _ in loads[1:] if ids]
    snapshot = store.scan().collect()
    keys = [c for c in whole.columns if not isinstance(whole.schema[c], pl.List)]
    assert snapshot.sort(keys, nulls_last=True).equals(whole.sort(keys, nulls_last=True))
    assert [b["facility_id"].n_unique() for b in store.batches()] == [1, 1, 1, 1]

    # the service's refresh over one-facility batches gives the figures of the whole table
    facilities = AnalyticsService(platform, Actor.operator("analytics-tests"))._facilities()
    expected = compute(whole, spec, facilities, min_cases=5)
    _, _, aggregates = AnalyticsService(platform, Actor.operator("analytics-tests")).aggregates(REG)
    assert aggregates.levels == expected.levels
    for name in ("facility", "registry", "peers", "mix", "registry_trend", "completeness"):
        mine, theirs = getattr(aggregates, name), getattr(expected, name)
        assert mine.schema == theirs.schema, name
        assert mine.sort(mine.columns, nulls_last=True).equals(
            theirs.sort(theirs.columns, nulls_last=True)
        ), name
    assert loaded.facility_ids["FA"] in sizes
