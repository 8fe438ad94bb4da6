"""What of the aggregates leaves the service, as plain functions: a facility's mixes and funnel
points beside the registry's (released: small counts and their complements hidden, the rest
perturbed by the cell-key method), the public cross table, and the labels from the definition
that every figure is shown with.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import yaml

from printreg.analytics.disclosure import protect_counts, protect_table
from printreg.analytics.measures import Aggregates
from printreg.analytics.release import Release, small
from printreg.dictionary.analytics import category_label, element_label
from printreg.dictionary.models import Definition

SHIPPED = "printreg.definitions"
#: the precomputed level of the public cross table: the first two strata together
CROSS_LEVEL = 2


@cache
def external_evidence(registry_code: str) -> dict[str, Any]:
    """Return the registry's cited external evidence table (empty when it ships none)."""
    path = resources.files(SHIPPED) / registry_code / "evidence.yaml"
    if not path.is_file():
        return {"version": None, "studies": []}
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


def released_mix(label: str, rows: list[dict[str, Any]], release: Release) -> dict[str, Any]:
    """Return a mix with the facility's own counts exact and the registry's released:
    small counts and their complements hidden, a count whose other-facility part (registry
    minus own) is small hidden, every other count perturbed (cell-key method)."""
    if not rows:
        return {"label": label, "rows": [], "registry_total_hidden": False}
    registry = protect_counts([r["registry"] for r in rows], release.threshold)
    total = sum(r["registry"] for r in rows)
    others = total - sum(r["count"] for r in rows)
    shown_total = release.count(total, sum(r["registry_key"] for r in rows))
    if small(others, release.threshold):
        shown_total = None
    for row, hidden in zip(rows, registry.hidden[:-1], strict=True):
        key = row.pop("registry_key")
        shown = None if hidden else release.count(row["registry"], key)
        if small(row["registry"] - row["count"], release.threshold):
            shown = None
        row["registry"] = shown
        row["registry_share"] = shown / shown_total if shown is not None and shown_total else None
    return {
        "label": label,
        "rows": rows,
        "registry_total_hidden": bool(registry.hidden[-1]) or shown_total is None,
    }


def released_funnel(
    points: list[dict[str, Any]], facility_id: int, release: Release
) -> list[dict[str, Any]]:
    """Return funnel points without other facilities' identities: the facility's own point
    exact, another's only when neither its n nor n × p nor n × (1 − p) is a small count,
    perturbed (cell-key method)."""
    out = []
    for point in points:
        if point["facility_id"] == facility_id:
            out.append({"n": point["n"], "p": point["p"], "this_facility": True})
            continue
        shown = release.proportion(point["n"], point["x"], point.get("nk"), point.get("xk"))
        if shown is not None:
            out.append({"n": shown["n"], "p": shown["p"], "this_facility": False})
    return out


def cross_table(
    aggregates: Aggregates, definition: Definition, release: Release
) -> dict[str, Any] | None:
    """Return the cases by the registry's first two strata with margins, as released to anyone
    (None when the registry has fewer than two precomputed strata)."""
    levels = aggregates.levels
    if len(levels) <= CROSS_LEVEL:
        return None
    threshold = release.threshold
    first, second = levels[2]
    level2 = aggregates.facility.filter(pl.col("level") == 2)
    key = pl.col("cases__key") if "cases__key" in level2.columns else pl.lit(0)
    frame = level2.group_by(f"s_{first}", f"s_{second}").agg(
        pl.col("cases").sum(), key.cast(pl.Int64).sum().alias("key")
    )
    rows = sorted(frame[f"s_{first}"].drop_nulls().unique().to_list())
    cols = sorted(frame[f"s_{second}"].drop_nulls().unique().to_list())
    counts = np.zeros((len(rows), len(cols)), dtype=np.int64)
    keys = np.zeros((len(rows), len(cols)), dtype=object)
    for r, c, n, k in frame.iter_rows():
        if r is not None and c is not None:
            counts[rows.index(r), cols.index(c)] = n
            keys[rows.index(r), cols.index(c)] = int(k or 0)
    return {
        "rows": {
            "element": first,
            "label": element_label(definition, first),
            "codes": rows,
            "labels": [category_label(definition, first, c) for c in rows],
        },
        "columns": {
            "element": second,
            "label": element_label(definition, second),
            "codes": cols,
            "labels": [category_label(definition, second, c) for c in cols],
        },
        "cells": released_table(counts, keys, release) if counts.size else [],
        "note": f"counts 1–{threshold - 1} hidden, with complementary cells; "
        f"last row and column are totals; {release.table.note()}",
    }


def released_table(
    counts: npt.NDArray[np.int64], keys: npt.NDArray[Any], release: Release
) -> list[list[int | None]]:
    """Return a cross table with its margins as released: small cells and their complements
    hidden (None), every other cell perturbed by the record keys of its cases."""
    hidden = protect_table(counts, release.threshold).hidden
    rows, cols = counts.shape
    extended = np.zeros((rows + 1, cols + 1), dtype=object)
    extended_keys = np.zeros((rows + 1, cols + 1), dtype=object)
    for target, source in ((extended, counts.astype(object)), (extended_keys, keys)):
        target[:rows, :cols] = source
        target[:rows, cols] = source.sum(axis=1)
        target[rows, :cols] = source.sum(axis=0)
        target[rows, cols] = source.sum()
    return [
        [
            None if hidden[i, j] else release.count(int(extended[i, j]), int(extended_keys[i, j]))
            for j in range(cols + 1)
        ]
        for i in range(rows + 1)
    ]


def labelled(definition: Definition, path: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return a mix's rows, each with its category's label from the definition."""
    return [row | {"label": category_label(definition, path, str(row["category"]))} for row in rows]


def completeness_labelled(
    definition: Definition, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Return completeness rows, each with its element's label from the definition."""
    return [row | {"label": element_label(definition, row["element"])} for row in rows]


METHODS = {
    "quantiles": "type 7 (linear interpolation)",
    "percentile_rank": "mid-rank: 100·(below + 0.5·equal)/n over facilities with enough cases",
    "funnel": "exact binomial limits (Spiegelhalter 2005) at 95% and 99.8%",
    "pooling": "REML random effects, Hartung-Knapp CI, prediction interval on t(k-2)",
    "eligible": "only complete and locked cases count",
}
