"""Vega-Lite specs of the dashboard charts, from the typed dashboard (no I/O).

The same specs are rendered by vega-embed in the browser and by vl-convert to PNG for the PDF.
Categories and strata are shown by their labels from the definition, never their codes; a
withheld figure (:class:`~printreg.dashboards.schemas.Suppressed`) is left out of a chart.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from printreg.analytics.funnel import binomial_limits
from printreg.dashboards.schemas import (
    Distribution,
    FacilityDashboard,
    OwnDistribution,
    PooledStratum,
    ProportionComparison,
    ProportionFigure,
    ValueEvidence,
)

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
WIDTH = 520
FACILITY_COLOUR = "#b5322c"
REGISTRY_COLOUR = "#4c6a92"
PEER_COLOUR = "#8aa29e"


def _base(title: str, **extra: Any) -> dict[str, Any]:
    spec = {"$schema": SCHEMA, "title": title, **extra}
    if "facet" not in spec:  # a facet spec sizes its inner spec instead
        spec["width"] = WIDTH
    return spec


def quartile_placement(dashboard: FacilityDashboard) -> dict[str, Any]:
    """Return a chart of each continuous measure: registry and peer interquartile ranges of
    facility medians as bars, their medians as ticks, the facility's median as a point."""
    rows: list[dict[str, Any]] = []
    for item in dashboard.measures:
        if isinstance(item, ProportionComparison):
            continue
        label = f"{item.label} ({item.unit})" if item.unit else item.label
        for figure, name in ((item.registry, "Registry"), (item.peers, "Peer group")):
            if isinstance(figure, Distribution) and figure.p25 is not None:
                rows.append(
                    {
                        "measure": label,
                        "group": name,
                        "low": figure.p25,
                        "mid": figure.p50,
                        "high": figure.p75,
                    }
                )
        own = item.facility
        if isinstance(own, OwnDistribution) and own.median is not None:
            rows.append(
                {
                    "measure": label,
                    "group": "This facility",
                    "low": own.q1,
                    "mid": own.median,
                    "high": own.q3,
                }
            )
    colours = {
        "domain": ["Registry", "Peer group", "This facility"],
        "range": [REGISTRY_COLOUR, PEER_COLOUR, FACILITY_COLOUR],
    }
    y = {"field": "group", "type": "nominal", "title": None, "sort": colours["domain"]}
    return _base(
        "Where the facility stands: medians and interquartile ranges",
        data={"values": rows},
        facet={
            "row": {
                "field": "measure",
                "type": "nominal",
                "title": None,
                "header": {"labelAngle": 0, "labelAlign": "left", "labelLimit": 260},
            }
        },
        spec={
            "width": 300,
            "height": {"step": 14},
            "layer": [
                {
                    "mark": {"type": "rule", "strokeWidth": 6, "opacity": 0.5},
                    "encoding": {
                        "y": y,
                        "x": {"field": "low", "type": "quantitative", "title": None},
                        "x2": {"field": "high"},
                        "color": {"field": "group", "scale": colours, "legend": None},
                    },
                },
                {
                    "mark": {"type": "point", "filled": True, "size": 60},
                    "encoding": {
                        "y": y,
                        "x": {"field": "mid", "type": "quantitative"},
                        "color": {"field": "group", "scale": colours, "title": "median and IQR"},
                        "tooltip": [
                            {"field": "group"},
                            {"field": "low", "format": ".1f"},
                            {"field": "mid", "format": ".1f"},
                            {"field": "high", "format": ".1f"},
                        ],
                    },
                },
            ],
        },
        resolve={"scale": {"x": "independent"}},
    )


def funnel(dashboard: FacilityDashboard, measure: str) -> dict[str, Any] | None:
    """Return the funnel plot of a proportion: facilities' (n, p), 95% and 99.8% limits around
    the registry proportion; None when the registry has no (released) proportion yet."""
    item = next((m for m in dashboard.measures if m.measure == measure), None)
    points = dashboard.funnel.get(measure, [])
    if (
        not isinstance(item, ProportionComparison)
        or not isinstance(item.registry, ProportionFigure)
        or item.registry.p is None
        or not points
    ):
        return None
    p0 = float(item.registry.p)
    top = max(p.n for p in points)
    grid = np.unique(np.linspace(1, max(top * 1.1, 20), 120).astype(int))
    curve: list[dict[str, Any]] = []
    for level, name in ((0.95, "95%"), (0.998, "99.8%")):
        low, high = binomial_limits(p0, grid, level)
        curve += [
            {"n": int(n), "low": float(lo), "high": float(hi), "limit": name}
            for n, lo, hi in zip(grid, low, high, strict=True)
        ]
    values = [
        {"n": p.n, "p": p.p, "who": "This facility" if p.this_facility else "Other facilities"}
        for p in points
    ]
    x = {"field": "n", "type": "quantitative", "title": "cases"}
    return _base(
        f"{item.label}: funnel plot",
        height=260,
        layer=[
            {
                "data": {"values": curve},
                "mark": {"type": "line", "strokeDash": [4, 3]},
                "encoding": {
                    "x": x,
                    "y": {"field": "high", "type": "quantitative"},
                    "detail": {"field": "limit"},
                    "color": {"value": "#888"},
                },
            },
            {
                "data": {"values": curve},
                "mark": {"type": "line", "strokeDash": [4, 3]},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": "low",
                        "type": "quantitative",
                        "title": "proportion",
                        "axis": {"format": "%"},
                    },
                    "detail": {"field": "limit"},
                    "color": {"value": "#888"},
                },
            },
            {
                "data": {"values": [{"p": p0}]},
                "mark": {"type": "rule", "color": REGISTRY_COLOUR},
                "encoding": {"y": {"field": "p", "type": "quantitative"}},
            },
            {
                "data": {"values": values},
                "mark": {"type": "point", "filled": True},
                "encoding": {
                    "x": x,
                    "y": {"field": "p", "type": "quantitative"},
                    "color": {
                        "field": "who",
                        "type": "nominal",
                        "title": None,
                        "scale": {
                            "domain": ["This facility", "Other facilities"],
                            "range": [FACILITY_COLOUR, "#9aa5b1"],
                        },
                    },
                    "size": {
                        "condition": {"test": "datum.who == 'This facility'", "value": 120},
                        "value": 30,
                    },
                    "tooltip": [{"field": "n"}, {"field": "p", "format": ".1%"}],
                },
            },
        ],
    )


def trend(dashboard: FacilityDashboard, measure: str) -> dict[str, Any] | None:
    """Return the quarter-by-quarter line of the facility against the registry (None: no data)."""
    points = dashboard.trend.get(measure, [])
    item = next((m for m in dashboard.measures if m.measure == measure), None)
    if not points or item is None:
        return None
    values = []
    for point in points:
        for who, value in (("Registry", point.registry), ("This facility", point.facility)):
            if value is not None:
                values.append({"quarter": point.quarter, "who": who, "value": value})
    y_title = "median" if item.kind == "continuous" else "proportion"
    return _base(
        f"{item.label}: quarter by quarter",
        height=200,
        data={"values": values},
        mark={"type": "line", "point": True},
        encoding={
            "x": {"field": "quarter", "type": "ordinal", "title": None},
            "y": {"field": "value", "type": "quantitative", "title": y_title},
            "color": {
                "field": "who",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": ["This facility", "Registry"],
                    "range": [FACILITY_COLOUR, REGISTRY_COLOUR],
                },
            },
        },
    )


def mix(dashboard: FacilityDashboard, measure: str) -> dict[str, Any] | None:
    """Return a bar chart of a mix: the facility's share beside the registry's, each category
    by its label."""
    table = dashboard.mix.get(measure)
    if not table or not table.rows:
        return None
    values = []
    for row in table.rows:
        category = row.label or row.category
        values.append({"category": category, "who": "This facility", "share": row.share})
        if row.registry_share is not None:
            values.append({"category": category, "who": "Registry", "share": row.registry_share})
    return _base(
        table.label,
        data={"values": values},
        mark="bar",
        encoding={
            "y": {"field": "category", "type": "nominal", "title": None, "sort": "-x"},
            "yOffset": {"field": "who"},
            "x": {
                "field": "share",
                "type": "quantitative",
                "axis": {"format": "%"},
                "title": "share of mentions (a case may count in several)",
            },
            "color": {
                "field": "who",
                "type": "nominal",
                "title": None,
                "scale": {
                    "domain": ["This facility", "Registry"],
                    "range": [FACILITY_COLOUR, REGISTRY_COLOUR],
                },
            },
        },
    )


def stratum_words(item: PooledStratum) -> str:
    """Return a pooled stratum in words: its labels from the definition, else its codes."""
    return f"{item.separate_label or item.separate} · {item.by_label or item.by}"


def forest(value: ValueEvidence) -> dict[str, Any] | None:
    """Return the forest plot of pooled time saved per stratum with the external evidence,
    clearly labelled as external; None when nothing was pooled."""
    rows = []
    labels: dict[str, str] = {}
    for item in value.pooled:
        labels[item.separate] = item.separate_label or item.separate
        pooled = item.pooled
        if not pooled:
            continue
        rows.append(
            {
                "stratum": stratum_words(item),
                "source": "This registry",
                "estimate": pooled.estimate,
                "low": pooled.ci_low,
                "high": pooled.ci_high,
                "k": item.k,
            }
        )
    separate = value.separate or ""
    for study in value.external.studies:
        if study.get("unit") != "min":
            continue
        rows.append(
            {
                "stratum": f"{labels.get(study.get(separate, ''), study.get(separate, ''))}"
                f" · published ({study['key']})",
                "source": "External (published)",
                "estimate": study["estimate"],
                "low": None,
                "high": None,
                "k": study.get("studies"),
            }
        )
    if not rows:
        return None
    y = {"field": "stratum", "type": "nominal", "title": None, "sort": None}
    colour = {
        "field": "source",
        "type": "nominal",
        "title": None,
        "scale": {
            "domain": ["This registry", "External (published)"],
            "range": [REGISTRY_COLOUR, "#d08c1f"],
        },
    }
    return _base(
        "Time saved per case (min): pooled by random effects, with published evidence",
        data={"values": rows},
        height={"step": 16},
        layer=[
            {
                "mark": "rule",
                "encoding": {
                    "y": y,
                    "x": {"field": "low", "type": "quantitative", "title": "minutes saved"},
                    "x2": {"field": "high"},
                    "color": colour,
                },
            },
            {
                "mark": {"type": "point", "filled": True, "shape": "diamond", "size": 90},
                "encoding": {
                    "y": y,
                    "x": {"field": "estimate", "type": "quantitative"},
                    "color": colour,
                    "tooltip": [
                        {"field": "stratum"},
                        {"field": "estimate", "format": ".1f"},
                        {"field": "low", "format": ".1f"},
                        {"field": "high", "format": ".1f"},
                        {"field": "k"},
                    ],
                },
            },
            {
                "data": {"values": [{"x": 0}]},
                "mark": {"type": "rule", "strokeDash": [2, 2]},
                "encoding": {"x": {"field": "x", "type": "quantitative"}},
            },
        ],
    )


def dashboard_charts(dashboard: FacilityDashboard) -> dict[str, dict[str, Any]]:
    """Return every chart of a facility dashboard by name (charts without data are left out)."""
    charts: dict[str, dict[str, Any] | None] = {
        "placement": quartile_placement(dashboard),
        "forest": forest(dashboard.value),
    }
    for item in dashboard.measures:
        if item.kind == "proportion":
            charts[f"funnel_{item.measure}"] = funnel(dashboard, item.measure)
    for name in dashboard.trend:
        charts[f"trend_{name}"] = trend(dashboard, name)
    for name in dashboard.mix:
        charts[f"mix_{name}"] = mix(dashboard, name)
    return {name: chart for name, chart in charts.items() if chart is not None}
