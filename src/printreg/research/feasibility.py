"""Feasibility counts of a request, released with small-cell suppression.

The table crosses the first stratum element (rows) with the second (columns); with one element it
is a single row of counts, with none just the total. Every released count goes through
``analytics.disclosure``: no count from 1 to threshold - 1 is shown, and complementary cells are
hidden so that no hidden count can be worked out from the totals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from printreg.analytics.disclosure import protect_counts, protect_table


def _shown(values: Any) -> list[Any]:
    return [_shown(v) if isinstance(v, list) else (None if np.isnan(v) else int(v)) for v in values]


def suppressed_counts(
    counts: Mapping[tuple[str, ...], int],
    axes: Sequence[tuple[str, Sequence[str]]],
    threshold: int,
) -> dict[str, Any]:
    """Return the counts as released, small cells and their complements hidden (None).

    ``counts`` maps a tuple of codes (one per axis, at most two axes) to a number of cases;
    ``axes`` gives each axis's element and its codes in display order. Two axes give rows ×
    columns with totals; one axis a single row (columns = its codes) with its total; none only
    the total. Zeros are shown.
    """
    if len(axes) > 2:
        raise ValueError("at most two axes")
    rows: dict[str, Any] | None = None
    columns: dict[str, Any] | None = None
    if len(axes) == 2:
        (row_element, row_codes), (col_element, col_codes) = axes
        table = np.zeros((len(row_codes), len(col_codes)), dtype=np.int64)
        for i, r in enumerate(row_codes):
            for j, c in enumerate(col_codes):
                table[i, j] = counts.get((r, c), 0)
        cells = _shown(protect_table(table, threshold).values.tolist())
        total = cells[-1][-1]
        rows = {"element": row_element, "codes": list(row_codes)}
        columns = {"element": col_element, "codes": list(col_codes)}
    elif axes:
        element, codes = axes[0]
        line = np.array([counts.get((c,), 0) for c in codes], dtype=np.int64)
        cells = [_shown(protect_counts(line, threshold).values.tolist())]
        total = cells[0][-1]
        columns = {"element": element, "codes": list(codes)}
    else:
        released = _shown(protect_counts([counts.get((), 0)], threshold).values.tolist())
        cells, total = [], released[-1]
    return {
        "rows": rows,
        "columns": columns,
        "cells": cells,
        "total": total,
        "threshold": threshold,
        "note": f"counts from 1 to {threshold - 1} are hidden (null), with complementary cells; "
        "the last row and the last column are totals",
    }
