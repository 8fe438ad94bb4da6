"""Feasibility counts of a request, released with suppression and consistent perturbation.

The table crosses the first stratum element (rows) with the second (columns); with one element it
is a single row of counts, with none just the total. Two layers protect it:

1. ``analytics.disclosure`` hides every count from 1 to threshold − 1 and the complementary
   cells that would let one be worked out from the totals *of this table*;
2. ``analytics.cellkey`` perturbs every count that is shown, margins included, by an offset fixed
   by the set of cases in the cell (the cell-key method). The same cases give the same published
   count in every request, so subtracting two requests' counts (A ∪ B, then B) yields the hidden
   count plus noise, never the count itself with certainty.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from printreg.analytics.cellkey import MODULUS, PerturbationTable
from printreg.analytics.disclosure import protect_counts, protect_table

#: record keys of the cases in each cell, by the cell's codes (one per axis)
CellKeys = Mapping[tuple[str, ...], Sequence[int]]


def _published(
    counts: np.ndarray[Any, Any],
    keys: np.ndarray[Any, Any],
    hidden: np.ndarray[Any, Any],
    table: PerturbationTable,
) -> list[Any]:
    """Return the released values: None where hidden, else the perturbed count."""
    if counts.ndim == 2:
        return [_published(c, k, h, table) for c, k, h in zip(counts, keys, hidden, strict=True)]
    return [
        None if h else table.perturb(int(c), int(k))
        for c, k, h in zip(counts, keys, hidden, strict=True)
    ]


def _margins(interior: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Return a 2-D array with its row sums, column sums and grand sum appended."""
    rows, cols = interior.shape
    out = np.zeros((rows + 1, cols + 1), dtype=object)
    out[:rows, :cols] = interior
    out[:rows, cols] = interior.sum(axis=1)
    out[rows, :cols] = interior.sum(axis=0)
    out[rows, cols] = interior.sum()
    return out


def suppressed_counts(
    cells: CellKeys,
    axes: Sequence[tuple[str, Sequence[str]]],
    threshold: int,
) -> dict[str, Any]:
    """Return the counts as released: small cells and their complements hidden (None), every
    other count perturbed by its cell key.

    ``cells`` maps a tuple of codes (one per axis, at most two axes) to the record keys of its
    cases; ``axes`` gives each axis's element and its codes in display order. Two axes give rows
    × columns with totals; one axis a single row (columns = its codes) with its total; none only
    the total. Zeros are shown as 0.
    """
    if len(axes) > 2:
        raise ValueError("at most two axes")
    table = PerturbationTable(threshold)
    rows: dict[str, Any] | None = None
    columns: dict[str, Any] | None = None
    if len(axes) == 2:
        (row_element, row_codes), (col_element, col_codes) = axes
        counts = np.zeros((len(row_codes), len(col_codes)), dtype=np.int64)
        keys = np.zeros(counts.shape, dtype=object)
        for i, r in enumerate(row_codes):
            for j, c in enumerate(col_codes):
                found = cells.get((r, c), ())
                counts[i, j], keys[i, j] = len(found), sum(found)
        hidden = protect_table(counts, threshold).hidden
        released = _published(_margins(counts), _margins(keys) % MODULUS, hidden, table)
        total = released[-1][-1]
        rows = {"element": row_element, "codes": list(row_codes)}
        columns = {"element": col_element, "codes": list(col_codes)}
    elif axes:
        element, codes = axes[0]
        line = [cells.get((c,), ()) for c in codes]
        counts_1d = np.array([len(v) for v in line] + [sum(len(v) for v in line)], dtype=np.int64)
        keys_1d = np.array([sum(v) for v in line] + [sum(sum(v) for v in line)], dtype=object)
        hidden_1d = protect_counts(counts_1d[:-1], threshold).hidden
        released = [_published(counts_1d, keys_1d % MODULUS, hidden_1d, table)]
        total = released[0][-1]
        columns = {"element": element, "codes": list(codes)}
    else:
        found = cells.get((), ())
        released, total = [], table.perturb(len(found), sum(found) % MODULUS)
    return {
        "rows": rows,
        "columns": columns,
        "cells": released,
        "total": total,
        "threshold": threshold,
        "perturbed": True,
        "note": f"counts from 1 to {threshold - 1} are hidden (null), with complementary cells; "
        "every other count, totals included, is perturbed for confidentiality by up to ±2 (the "
        "same cases always give the same number, so totals need not add up); the last row and "
        "the last column are totals",
    }
