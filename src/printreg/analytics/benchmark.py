"""A facility's figures beside the registry's and its peer group's, from precomputed aggregates.

Conventions (ANALYTICS.md): continuous measures compare the facility median (and IQR) with the
25th/50th/75th percentiles of facility medians (type 7), a mid-rank percentile rank and a
quartile placement; proportions are placed on a funnel plot with exact binomial 95% and 99.8%
limits around the registry proportion; a facility's own figure is shown only when it has at least
``min_cases`` values, otherwise "too few cases".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from printreg.analytics.funnel import binomial_limits
from printreg.analytics.measures import Aggregates, FacilityFigures
from printreg.analytics.release import Release
from printreg.analytics.stats import percentile_rank, quartile_placement
from printreg.dictionary.analytics import AnalyticsSpec, Measure

TOO_FEW = "too few cases"
SUPPRESSED = "suppressed (small count)"
FUNNEL_LEVELS = (0.95, 0.998)


@dataclass(frozen=True)
class Stratum:
    """Which cases a figure covers: stratum element → code (empty: every case)."""

    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, values: dict[str, str | None]) -> Stratum:
        """Return the stratum of the given (non-empty) values, in a stable order."""
        return cls(tuple(sorted((k, v) for k, v in values.items() if v)))

    def level_of(self, levels: tuple[tuple[str, ...], ...]) -> int | None:
        """Return the precomputed level holding this stratum, or None when it is not one."""
        names = tuple(k for k, _ in self.values)
        for k, level in enumerate(levels):
            if sorted(level) == sorted(names):
                return k
        return None

    def as_dict(self) -> dict[str, str]:
        """Return the stratum as a mapping."""
        return dict(self.values)


def _select(frame: pl.DataFrame, aggregates: Aggregates, stratum: Stratum) -> pl.DataFrame:
    """Return the rows of a per-stratum frame for the stratum (deeper strata columns null)."""
    level = stratum.level_of(aggregates.levels)
    if level is None:
        raise ValueError(f"stratum {stratum.as_dict()} is not precomputed")
    out = frame.filter(pl.col("level") == level)
    chosen = stratum.as_dict()
    for name in aggregates.levels[-1]:
        column = f"s_{name}"
        if column in out.columns:
            value = chosen.get(name)
            out = out.filter(pl.col(column) == value if value else pl.col(column).is_null())
    return out


def _num(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


@dataclass
class Comparison:
    """One measure: the facility's figure beside registry and peers."""

    measure: str
    label: str
    kind: str
    unit: str
    facility: dict[str, Any]
    registry: dict[str, Any]
    peers: dict[str, Any]
    placement: dict[str, Any] = field(default_factory=dict)


def _distribution(row: dict[str, Any] | None, name: str) -> dict[str, Any]:
    if row is None:
        return {"facilities": 0, "p25": None, "p50": None, "p75": None}
    return {
        "facilities": int(row.get(f"{name}__k") or 0),
        "p25": _num(row.get(f"{name}__p25")),
        "p50": _num(row.get(f"{name}__p50")),
        "p75": _num(row.get(f"{name}__p75")),
    }


def _proportion(row: dict[str, Any] | None, name: str) -> dict[str, Any]:
    facilities = {"facilities": int(row["facilities"])} if row and "facilities" in row else {}
    if row is None or not row.get(f"{name}__n"):
        return {"n": 0, "x": 0, "p": None, **facilities}
    n, x = int(row[f"{name}__n"]), int(row[f"{name}__x"] or 0)
    keys = {k: int(row.get(f"{name}__{k}") or 0) for k in ("nk", "xk") if f"{name}__{k}" in row}
    return {"n": n, "x": x, "p": x / n, **facilities, **keys}


def _released(
    figure: dict[str, Any], own: dict[str, Any], release: Release | None
) -> dict[str, Any]:
    """Return a registry or peer proportion as released beside the facility's own figure."""
    keys = (figure.pop("nk", None), figure.pop("xk", None))
    if release is None or not figure["n"]:
        return figure
    shown = release.proportion(figure["n"], figure["x"], *keys, own["n"], own["x"])
    if shown is None:  # the number of facilities is kept: "too few facilities" is said first
        kept = {"facilities": figure["facilities"]} if "facilities" in figure else {}
        return {"status": SUPPRESSED, **kept}
    return figure | shown


def _first(frame: pl.DataFrame) -> dict[str, Any] | None:
    return frame.row(0, named=True) if frame.height else None


def compare(
    aggregates: Aggregates,
    spec: AnalyticsSpec,
    facility_id: int,
    stratum: Stratum = Stratum(),
    own: FacilityFigures | None = None,
    release: Release | None = None,
) -> dict[str, Any]:
    """Return the facility's benchmark comparison for a precomputed stratum (with its own
    quartiles, mean and SD when ``own`` holds its detail); with ``release``, registry and peer
    proportions as released to the facility (perturbed, None when a small count of the other
    facilities could be derived)."""
    min_cases = aggregates.min_cases
    rows = _select(aggregates.facility, aggregates, stratum)
    mine = _first(rows.filter(pl.col("facility_id") == facility_id))
    if own is not None and mine is not None:
        detail = _first(_select(own.detail, aggregates, stratum))
        mine = {**mine, **(detail or {})}
    registry = _first(_select(aggregates.registry, aggregates, stratum))
    profile = _first(aggregates.profiles.filter(pl.col("facility_id") == facility_id))
    peer_key = profile["peer_key"] if profile else None
    peers_frame = _select(aggregates.peers, aggregates, stratum)
    peers = _first(peers_frame.filter(pl.col("peer_key") == peer_key)) if peer_key else None
    peer_ids = (
        aggregates.profiles.filter(pl.col("peer_key") == peer_key)["facility_id"].to_list()
        if peer_key
        else []
    )
    comparisons: list[dict[str, Any]] = []
    for measure in spec.measures:
        if measure.kind == "continuous":
            comparisons.append(
                _continuous(measure, mine, registry, peers, rows, peer_ids, min_cases)
            )
        elif measure.kind == "proportion":
            comparisons.append(
                _proportion_comparison(measure, mine, registry, peers, min_cases, release)
            )
    return {
        "stratum": stratum.as_dict(),
        "cases": int(mine["cases"]) if mine else 0,
        "min_cases": min_cases,
        "peer_group": {
            "key": peer_key,
            "dimensions": dict(
                zip(
                    ("facility_type", "location", "census_region", "volume_band"),
                    (peer_key or "|||").split("|"),
                    strict=True,
                )
            ),
            "facilities": len(peer_ids),
        },
        "registry_facilities": int(registry["facilities"]) if registry else 0,
        "measures": comparisons,
    }


def _continuous(
    measure: Measure,
    mine: dict[str, Any] | None,
    registry: dict[str, Any] | None,
    peers: dict[str, Any] | None,
    rows: pl.DataFrame,
    peer_ids: list[int],
    min_cases: int,
) -> dict[str, Any]:
    name = measure.name
    n = int(mine.get(f"{name}__n") or 0) if mine else 0
    own: dict[str, Any] = {"n": n}
    placement: dict[str, Any] = {}
    reg = _distribution(registry, name)
    if n < min_cases or mine is None:
        own["status"] = TOO_FEW
    else:
        median = _num(mine[f"{name}__median"])
        own |= {
            "median": median,
            "q1": _num(mine.get(f"{name}__q1")),
            "q3": _num(mine.get(f"{name}__q3")),
            "mean": _num(mine.get(f"{name}__mean")),
        }
        eligible = rows.filter(pl.col(f"{name}__n") >= min_cases)
        medians = eligible[f"{name}__median"].drop_nulls().to_list()
        if median is not None and medians:
            placement["percentile_rank"] = percentile_rank(median, medians)
            if reg["p25"] is not None:
                placement["quartile"] = quartile_placement(
                    median, reg["p25"], reg["p50"], reg["p75"]
                )
            peer_medians = eligible.filter(pl.col("facility_id").is_in(peer_ids))[
                f"{name}__median"
            ].to_list()
            if peer_medians:
                placement["peer_percentile_rank"] = percentile_rank(median, peer_medians)
    return {
        "measure": name,
        "label": measure.label,
        "kind": "continuous",
        "unit": measure.unit,
        "cost": measure.cost,
        "facility": own,
        "registry": reg,
        "peers": _distribution(peers, name),
        "placement": placement,
    }


def _proportion_comparison(
    measure: Measure,
    mine: dict[str, Any] | None,
    registry: dict[str, Any] | None,
    peers: dict[str, Any] | None,
    min_cases: int,
    release: Release | None = None,
) -> dict[str, Any]:
    own = _proportion(mine, measure.name)
    own.pop("nk", None)
    own.pop("xk", None)
    reg = _released(_proportion(registry, measure.name), own, release)
    peer = _released(_proportion(peers, measure.name), own, release)
    placement: dict[str, Any] = {}
    if own["n"] < min_cases:
        own = {"n": own["n"], "status": TOO_FEW}
    elif reg.get("p") is not None:
        limits = {}
        for level in FUNNEL_LEVELS:
            low, high = binomial_limits(reg["p"], own["n"], level)
            limits[f"{level * 100:g}"] = {"low": low, "high": high}
        placement["limits"] = limits
        outer, inner = limits["99.8"], limits["95"]
        p = own["p"]
        if p > outer["high"]:
            placement["flag"] = "above 99.8% limit"
        elif p > inner["high"]:
            placement["flag"] = "above 95% limit"
        elif p < outer["low"]:
            placement["flag"] = "below 99.8% limit"
        elif p < inner["low"]:
            placement["flag"] = "below 95% limit"
        else:
            placement["flag"] = "within limits"
    return {
        "measure": measure.name,
        "label": measure.label,
        "kind": "proportion",
        "unit": "",
        "cost": False,
        "facility": own,
        "registry": reg,
        "peers": peer,
        "placement": placement,
    }


def funnel_points(
    aggregates: Aggregates,
    measure: str,
    stratum: Stratum = Stratum(),
) -> list[dict[str, Any]]:
    """Return every facility's (n, x, proportion) for a funnel plot (facility ids, no names),
    with the record-key sums ``nk`` and ``xk`` when the facts carry keys. Unreleased: see
    the service's ``_released_funnel``."""
    n, x = f"{measure}__n", f"{measure}__x"
    rows = _select(aggregates.facility, aggregates, stratum).filter(
        pl.col(n) >= aggregates.min_cases
    )
    keys = [pl.col(f"{measure}__{k}").alias(k) for k in ("nk", "xk") if f"{measure}__{k}" in rows.columns]  # fmt: skip
    return rows.select(
        "facility_id",
        pl.col(n).cast(pl.Int64).alias("n"),
        pl.col(x).cast(pl.Int64).alias("x"),
        (pl.col(x).cast(pl.Float64) / pl.col(n)).alias("p"),
        *keys,
    ).to_dicts()


def _stratum_counts(frame: pl.DataFrame, measure: str, stratum: Stratum) -> pl.DataFrame:
    """Return (category, count) of a mix in a stratum, summed over any deeper strata."""
    frame = frame.filter(pl.col("measure") == measure)
    for name, value in stratum.values:
        frame = frame.filter(pl.col(f"s_{name}") == value)
    key = pl.col("key").sum() if "key" in frame.columns else pl.lit(0, pl.Int64)
    return frame.group_by("category").agg(pl.col("count").sum(), key.alias("key"))


def mix(
    aggregates: Aggregates,
    measure: str,
    own: FacilityFigures | None = None,
    stratum: Stratum = Stratum(),
) -> list[dict[str, Any]]:
    """Return a mix's categories with counts and shares: the facility's (from ``own``, its
    figures) beside the registry's; the registry's alone when ``own`` is None. Unreleased:
    ``registry_key`` is the record-key sum the service perturbs the registry count with."""
    registry = _stratum_counts(aggregates.mix, measure, stratum).rename(
        {"count": "registry", "key": "registry_key"}
    )
    mine = (
        _stratum_counts(own.mix, measure, stratum).drop("key")
        if own is not None
        else registry.drop("registry_key").rename({"registry": "count"})
    )
    table = registry.join(mine, on="category", how="full", coalesce=True).with_columns(
        pl.col("count").fill_null(0), pl.col("registry").fill_null(0)
    )
    total_own = table["count"].sum() or 0
    total_reg = table["registry"].sum() or 0
    return [
        {
            "category": r["category"],
            "count": int(r["count"]),
            "share": r["count"] / total_own if total_own else None,
            "registry": int(r["registry"]),
            "registry_share": r["registry"] / total_reg if total_reg else None,
            "registry_key": int(r["registry_key"] or 0),
        }
        for r in table.sort("registry", "category", descending=[True, False]).iter_rows(named=True)
    ]


def trend(
    aggregates: Aggregates, measure: Measure, own: pl.DataFrame, release: Release | None = None
) -> list[dict[str, Any]]:
    """Return the facility's (``own``: its per-quarter figures) and the registry's figure of a
    measure quarter by quarter; with ``release``, registry proportions are released as beside
    the facility's own (perturbed; None when the other facilities' part is small)."""
    name = measure.name
    out = []
    for row in aggregates.registry_trend.iter_rows(named=True):
        if row["period"] is None:
            continue
        mine = _first(own.filter(pl.col("period") == row["period"]))
        point: dict[str, Any] = {
            "period": row["period"].isoformat(),
            "quarter": f"{row['period'].year} Q{(row['period'].month - 1) // 3 + 1}",
        }
        n_mine = int(mine.get(f"{name}__n") or 0) if mine else 0
        if measure.kind == "continuous":
            point["registry"] = _num(row.get(f"{name}__median"))
            point["facility"] = _num(mine[f"{name}__median"]) if mine and n_mine else None
        else:
            n, x = int(row.get(f"{name}__n") or 0), int(row[f"{name}__x"] or 0)
            point["registry"] = x / n if n else None
            if release is not None and n:
                shown = release.proportion(
                    n, x, row.get(f"{name}__nk"), row.get(f"{name}__xk"),
                    n_mine, int(mine[f"{name}__x"] or 0) if mine and n_mine else 0,
                )  # fmt: skip
                point["registry"] = None if shown is None else shown["p"]
            point["facility"] = int(mine[f"{name}__x"] or 0) / n_mine if mine and n_mine else None
        point["n"] = n_mine
        out.append(point)
    return out


def completeness(
    aggregates: Aggregates, facility_id: int | None, release: Release | None = None
) -> list[dict[str, Any]]:
    """Return each element's share of reportable cases holding a value: facility and registry
    (with ``release``, the registry's as released beside the facility's own).

    An element that takes reasons for missing data also has the share answered with a reason
    (``reason_registry``, ``reason_facility``): answered, yet neither filled nor empty.
    """
    frame = aggregates.completeness
    totals = frame.drop("facility_id").sum().row(0, named=True)
    own = _first(frame.filter(pl.col("facility_id") == facility_id)) if facility_id else None
    cases = int(totals["cases"] or 0)

    def shares(column: str, key: str) -> tuple[float | None, float | None]:
        value = totals[column]
        registry = value / cases if cases else None
        if release is not None and cases:
            shown = release.proportion(
                cases, int(value), totals.get("cases__key"), totals.get(key),
                int(own["cases"]) if own else 0, int(own[column]) if own else 0,
            )  # fmt: skip
            registry = None if shown is None else shown["p"]
        return registry, own[column] / own["cases"] if own and own["cases"] else None

    out = []
    for column in totals:
        if not column.startswith("c_"):
            continue
        registry, facility = shares(column, f"k_{column[2:]}")
        row: dict[str, Any] = {"element": column[2:], "registry": registry, "facility": facility}
        if f"r_{column[2:]}" in totals:
            reason = f"r_{column[2:]}"
            row["reason_registry"], row["reason_facility"] = shares(reason, f"k_{reason}")
        out.append(row)
    return out
