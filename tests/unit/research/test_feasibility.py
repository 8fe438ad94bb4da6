"""Feasibility counts never show a count from 1 to threshold - 1."""

from __future__ import annotations

import numpy as np
import pytest

from printreg.analytics.disclosure import audit, audit_counts
from printreg.research import suppressed_counts


def _values(released: dict[str, object]) -> list[int | None]:
    cells = released["cells"]
    assert isinstance(cells, list)
    return [v for line in cells for v in line] + [released["total"]]  # type: ignore[list-item]


@pytest.mark.parametrize("seed", range(20))
def test_no_small_count_is_shown_and_none_can_be_recovered(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = ["a", "b", "c"], ["x", "y", "z", "w"]
    table = rng.choice([0, 1, 3, 7, 12, 25, 60], size=(3, 4))
    counts = {(r, c): int(table[i, j]) for i, r in enumerate(rows) for j, c in enumerate(cols)}
    released = suppressed_counts(counts, [("organ_system", rows), ("object_type", cols)], 11)
    shown = _values(released)
    assert not [v for v in shown if v is not None and 1 <= v <= 10]
    hidden = np.array([[v is None for v in line] for line in released["cells"]])
    assert audit(table, hidden) == []


def test_one_axis_is_a_row_of_counts_with_its_total() -> None:
    released = suppressed_counts({("a",): 40, ("b",): 3, ("c",): 20}, [("e", ["a", "b", "c"])], 11)
    assert released["rows"] is None
    assert released["columns"] == {"element": "e", "codes": ["a", "b", "c"]}
    line = released["cells"][0]
    assert line[1] is None
    assert None in (line[0], line[2], line[3])
    assert audit_counts(np.array([40, 3, 20]), np.array([v is None for v in line])) == []


def test_no_axis_is_the_total_alone() -> None:
    assert suppressed_counts({(): 5}, [], 11)["total"] is None
    assert suppressed_counts({(): 0}, [], 11)["total"] == 0
    assert suppressed_counts({(): 50}, [], 11) | {"note": ""} == {
        "rows": None, "columns": None, "cells": [], "total": 50, "threshold": 11, "note": ""}  # fmt: skip
