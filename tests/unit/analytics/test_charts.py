"""Tests for the dashboard's Vega-Lite chart specs, on a small dashboard written by hand (as the
API's JSON, validated into the typed dashboard the charts read)."""

from __future__ import annotations

from typing import Any

import pytest
import vl_convert as vlc
from scipy import stats as sps  # type: ignore[import-untyped]

from printreg.dashboards import charts
from printreg.dashboards.schemas import FacilityDashboard, ValueEvidence

ASSUMPTION = "at $36/min (mean US operating-room cost per minute, 2018)"


def _continuous(measure: str, label: str, unit: str, **figures: Any) -> dict[str, Any]:
    return {
        "measure": measure,
        "label": label,
        "kind": "continuous",
        "unit": unit,
        "cost": False,
        "placement": {},
        **figures,
    }


def _proportion(measure: str, label: str, **figures: Any) -> dict[str, Any]:
    return {
        "measure": measure,
        "label": label,
        "kind": "proportion",
        "unit": "",
        "cost": False,
        "placement": {},
        **figures,
    }


RAW: dict[str, Any] = {
    "registry": "3dp",
    "facility": {"code": "FA", "name": "Alder Hospital"},
    "stratum": {},
    "cases": 12,
    "min_cases": 5,
    "registry_facilities": 4,
    "peer_group": {"key": None, "dimensions": {}, "facilities": 0},
    "strata": [],
    "disclosure": "counts perturbed",
    "methods": {},
    "report": [],
    "measures": [
        _continuous(
            "effort_total",
            "Effort per case, total",
            "min",
            facility={"n": 11, "median": 230.0, "q1": 175.0, "q3": 355.0, "mean": 265.5},
            registry={"facilities": 3, "p25": 211.25, "p50": 230.0, "p75": 382.5},
            peers={"facilities": 1, "status": "too few facilities"},
        ),
        _continuous(
            "parts_per_case",
            "Anatomic parts per case",
            "",
            facility={"n": 3, "status": "too few cases"},
            registry={"facilities": 3, "p25": 1.0, "p50": 1.5, "p75": 2.0},
            peers={"facilities": 2, "p25": 1.25, "p50": 1.5, "p75": 1.75},
        ),
        _continuous(
            "fluoro_time_saved",
            "Fluoroscopy time saved",
            "min",
            facility={"n": 0, "status": "too few cases"},
            registry={"facilities": 0, "status": "too few facilities"},
            peers={"facilities": 0, "status": "too few facilities"},
        ),
        _proportion(
            "plan_altered",
            "Plan altered",
            facility={"n": 9, "x": 6, "p": 6 / 9},
            registry={"n": 40, "x": 24, "p": 0.6, "facilities": 4},
            peers={"n": 20, "x": 12, "p": 0.6, "facilities": 2},
        ),
        _proportion(
            "cpt_match",
            "Billed codes match",
            facility={"n": 0, "status": "too few cases"},
            registry={"n": 0, "x": 0, "p": None, "facilities": 4},
            peers={"n": 0, "x": 0, "p": None},
        ),
    ],
    "mix": {
        "organ_system_mix": {
            "label": "Organ system",
            "rows": [
                {
                    "category": "cardiac",
                    "label": "Cardiac",
                    "count": 7,
                    "share": 7 / 12,
                    "registry": 23,
                    "registry_share": 23 / 34,
                },
                {
                    "category": "vascular",
                    "label": "Vascular",
                    "count": 5,
                    "share": 5 / 12,
                    "registry": None,
                    "registry_share": None,
                },
            ],
            "registry_total_hidden": False,
        },
        "material_mix": {"label": "Material", "rows": [], "registry_total_hidden": False},
    },
    "funnel": {
        "plan_altered": [
            {"n": 9, "p": 6 / 9, "this_facility": True},
            {"n": 31, "p": 18 / 31, "this_facility": False},
        ],
        "cpt_match": [],
    },
    "trend": {
        "effort_total": [
            {
                "period": "2024-01-01",
                "quarter": "2024 Q1",
                "registry": 245.0,
                "facility": 260.0,
                "n": 5,
            },
            {
                "period": "2024-04-01",
                "quarter": "2024 Q2",
                "registry": 235.0,
                "facility": None,
                "n": 0,
            },
        ],
        "plan_altered": [
            {
                "period": "2024-01-01",
                "quarter": "2024 Q1",
                "registry": 0.5,
                "facility": 0.75,
                "n": 4,
            },
        ],
        "time_saved": [],
    },
    "completeness": [],
    "value": {
        "pooled": [
            {
                "separate": "anatomic_guide",
                "by": "all",
                "separate_label": "Anatomic guide",
                "by_label": "All",
                "k": 1,
                "cases": 2,
                "pooled": None,
                "note": "one facility: not pooled",
            },
            {
                "separate": "anatomic_model",
                "by": "all",
                "separate_label": "Anatomic model",
                "by_label": "All",
                "k": 4,
                "cases": 23,
                "pooled": {
                    "method": "REML",
                    "estimate": 12.9,
                    "se": 2.8,
                    "ci_low": 7.4,
                    "ci_high": 18.4,
                    "p_value": 0.001,
                    "hksj": True,
                },
                "note": "prediction interval unreliable (fewer than 5 facilities)",
            },
        ],
        "separate": "object_type",
        "external": {
            "version": "1.0.0",
            "studies": [
                {
                    "key": "ballard_2020_models",
                    "object_type": "anatomic_model",
                    "estimate": 62,
                    "unit": "min",
                    "studies": 7,
                },
                {
                    "key": "morgan_2020_time",
                    "object_type": "anatomic_model",
                    "estimate": -19.85,
                    "unit": "%",
                    "studies": 17,
                },
            ],
        },
        "method": "REML",
        "confidence": {},
    },
    "cost_assumption": ASSUMPTION,
    "generated_at": "2024-10-01T00:00:00+00:00",
}
DASHBOARD = FacilityDashboard.model_validate(RAW)


def _exact(p0: float, n: int, p: float) -> float:
    """Spiegelhalter's interpolated exact binomial limit, with scipy's cdf."""
    r = 0
    while sps.binom.cdf(r, n, p0) < p:
        r += 1
    at, below = sps.binom.cdf(r, n, p0), sps.binom.cdf(r - 1, n, p0)
    return float(min(max((r - (at - p) / (at - below)) / n, 0.0), 1.0))


def _layer_values(chart: dict[str, Any], mark: str) -> list[dict[str, Any]]:
    for layer in chart["layer"]:
        kind = layer["mark"] if isinstance(layer["mark"], str) else layer["mark"]["type"]
        if kind == mark and "data" in layer:
            values: list[dict[str, Any]] = layer["data"]["values"]
            return values
    raise AssertionError(f"no {mark} layer with data")


def test_placement_shows_only_figures_that_exist() -> None:
    chart = charts.quartile_placement(DASHBOARD)
    rows = {
        (r["measure"], r["group"]): (r["low"], r["mid"], r["high"]) for r in chart["data"]["values"]
    }
    assert rows == {
        ("Effort per case, total (min)", "Registry"): (211.25, 230.0, 382.5),
        ("Effort per case, total (min)", "This facility"): (175.0, 230.0, 355.0),
        ("Anatomic parts per case", "Registry"): (1.0, 1.5, 2.0),
        ("Anatomic parts per case", "Peer group"): (1.25, 1.5, 1.75),
    }
    assert chart["$schema"].endswith("/vega-lite/v6.json")


def test_funnel_curve_is_the_exact_binomial_limits() -> None:
    chart = charts.funnel(DASHBOARD, "plan_altered")
    assert chart is not None
    curve = _layer_values(chart, "line")
    by_level: dict[str, list[dict[str, Any]]] = {}
    for point in curve:
        by_level.setdefault(point["limit"], []).append(point)
    assert set(by_level) == {"95%", "99.8%"}
    for name, level in (("95%", 0.95), ("99.8%", 0.998)):
        points = by_level[name]
        ns = [p["n"] for p in points]
        assert ns == sorted(set(ns))
        assert (ns[0], ns[-1]) == (1, 34)  # up to the largest n (31) + 10%, at least 20
        tail = (1 - level) / 2
        for point in points[::7]:
            assert point["low"] == pytest.approx(_exact(0.6, point["n"], tail))
            assert point["high"] == pytest.approx(_exact(0.6, point["n"], 1 - tail))
    target = _layer_values(chart, "rule")
    assert target == [{"p": 0.6}]
    dots = _layer_values(chart, "point")
    assert dots == [
        {"n": 9, "p": 6 / 9, "who": "This facility"},
        {"n": 31, "p": 18 / 31, "who": "Other facilities"},
    ]


def test_no_funnel_without_registry_proportion_or_points() -> None:
    assert charts.funnel(DASHBOARD, "cpt_match") is None
    no_points = FacilityDashboard.model_validate(
        RAW | {"funnel": RAW["funnel"] | {"plan_altered": []}}
    )
    assert charts.funnel(no_points, "plan_altered") is None
    assert charts.funnel(DASHBOARD, "no_such_measure") is None


def test_trend_lines() -> None:
    chart = charts.trend(DASHBOARD, "effort_total")
    assert chart is not None
    assert chart["data"]["values"] == [
        {"quarter": "2024 Q1", "who": "Registry", "value": 245.0},
        {"quarter": "2024 Q1", "who": "This facility", "value": 260.0},
        {"quarter": "2024 Q2", "who": "Registry", "value": 235.0},
    ]
    assert chart["encoding"]["y"]["title"] == "median"
    proportion = charts.trend(DASHBOARD, "plan_altered")
    assert proportion is not None
    assert proportion["encoding"]["y"]["title"] == "proportion"
    assert charts.trend(DASHBOARD, "time_saved") is None


def test_mix_bars_show_labels_and_leave_out_hidden_registry_shares() -> None:
    chart = charts.mix(DASHBOARD, "organ_system_mix")
    assert chart is not None
    assert chart["title"] == "Organ system"
    assert chart["data"]["values"] == [
        {"category": "Cardiac", "who": "This facility", "share": 7 / 12},
        {"category": "Cardiac", "who": "Registry", "share": 23 / 34},
        {"category": "Vascular", "who": "This facility", "share": 5 / 12},
    ]
    assert charts.mix(DASHBOARD, "material_mix") is None
    assert charts.mix(DASHBOARD, "no_such_mix") is None


def test_forest_labels_published_evidence_as_external() -> None:
    chart = charts.forest(DASHBOARD.value)
    assert chart is not None
    assert chart["data"]["values"] == [
        {
            "stratum": "Anatomic model · All",
            "source": "This registry",
            "estimate": 12.9,
            "low": 7.4,
            "high": 18.4,
            "k": 4,
        },
        {
            "stratum": "Anatomic model · published (ballard_2020_models)",
            "source": "External (published)",
            "estimate": 62,
            "low": None,
            "high": None,
            "k": 7,
        },
    ]
    nothing = ValueEvidence.model_validate(
        RAW["value"] | {"pooled": RAW["value"]["pooled"][:1], "external": {"studies": []}}
    )
    assert charts.forest(nothing) is None


def test_dashboard_charts_leave_out_charts_without_data() -> None:
    assert set(charts.dashboard_charts(DASHBOARD)) == {
        "placement",
        "forest",
        "funnel_plan_altered",
        "trend_effort_total",
        "trend_plan_altered",
        "mix_organ_system_mix",
    }


def test_every_chart_compiles_and_a_few_render() -> None:
    built = charts.dashboard_charts(DASHBOARD)
    for name, chart in built.items():
        vega = vlc.vegalite_to_vega(chart)
        assert vega.get("marks"), name
    for name in ("placement", "funnel_plan_altered", "forest"):
        svg = vlc.vegalite_to_svg(built[name])
        assert svg.startswith("<svg"), name
    assert "funnel plot" in vlc.vegalite_to_svg(built["funnel_plan_altered"])


def test_faceted_chart_puts_its_size_in_the_inner_spec() -> None:
    chart = charts.quartile_placement(DASHBOARD)
    assert "facet" in chart
    assert "width" not in chart
    assert "height" not in chart
