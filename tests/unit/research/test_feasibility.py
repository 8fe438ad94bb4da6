"""Feasibility counts never show a count from 1 to threshold - 1, and shown counts are perturbed
consistently (the same cases always give the same number)."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from printreg.analytics.cellkey import record_key
from printreg.analytics.disclosure import audit, audit_counts
from printreg.research import suppressed_counts

SECRET = b"test secret of the record keys"


def _keys(n: int, rng: np.random.Generator) -> list[int]:
    return [record_key(SECRET, uuid.UUID(int=int(rng.integers(2**62)))) for _ in range(n)]


def _values(released: dict[str, object]) -> list[int | None]:
    cells = released["cells"]
    assert isinstance(cells, list)
    return [v for line in cells for v in line] + [released["total"]]  # type: ignore[list-item]


@pytest.mark.parametrize("seed", range(20))
def test_no_small_count_is_shown_and_none_can_be_recovered(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows, cols = ["a", "b", "c"], ["x", "y", "z", "w"]
    table = rng.choice([0, 1, 3, 7, 12, 25, 60], size=(3, 4))
    cells = {(r, c): _keys(int(table[i, j]), rng) for i, r in enumerate(rows)
             for j, c in enumerate(cols)}  # fmt: skip
    released = suppressed_counts(cells, [("organ_system", rows), ("object_type", cols)], 11)
    shown = _values(released)
    assert not [v for v in shown if v is not None and 1 <= v <= 10]
    hidden = np.array([[v is None for v in line] for line in released["cells"]])
    assert audit(table, hidden) == []
    truth = np.zeros((4, 5), dtype=np.int64)
    truth[:3, :4] = table
    truth[:3, 4], truth[3, :4], truth[3, 4] = table.sum(1), table.sum(0), table.sum()
    for i, line in enumerate(released["cells"]):
        for j, value in enumerate(line):
            if value is not None:
                assert abs(value - truth[i, j]) <= 2
                assert (value == 0) == (truth[i, j] == 0)


def test_one_axis_is_a_row_of_counts_with_its_total() -> None:
    rng = np.random.default_rng(1)
    cells = {("a",): _keys(40, rng), ("b",): _keys(3, rng), ("c",): _keys(20, rng)}
    released = suppressed_counts(cells, [("e", ["a", "b", "c"])], 11)
    assert released["rows"] is None
    assert released["columns"] == {"element": "e", "codes": ["a", "b", "c"]}
    line = released["cells"][0]
    assert line[1] is None
    assert None in (line[0], line[2], line[3])
    assert audit_counts(np.array([40, 3, 20]), np.array([v is None for v in line])) == []


def test_no_axis_is_the_total_alone() -> None:
    rng = np.random.default_rng(2)
    assert suppressed_counts({(): _keys(5, rng)}, [], 11)["total"] is None
    assert suppressed_counts({(): []}, [], 11)["total"] == 0
    fifty = _keys(50, rng)
    released = suppressed_counts({(): fifty}, [], 11)
    assert released["rows"] is None
    assert released["cells"] == []
    assert 48 <= released["total"] <= 52
    assert released["perturbed"] is True
    assert "perturbed" in released["note"]


def test_the_same_cases_publish_the_same_count_in_any_table() -> None:
    rng = np.random.default_rng(3)
    other, breast = _keys(30, rng), _keys(6, rng)
    alone = suppressed_counts({(): other}, [], 11)["total"]
    as_row = suppressed_counts({("other",): other, ("breast",): breast},
                               [("organ_system", ["other", "breast"])], 11)  # fmt: skip
    assert as_row["cells"][0][1] is None
    # "other" is hidden as the complement of "breast" here; asked alone it publishes the value
    # that the same 30 cases publish anywhere
    reversed_order = suppressed_counts({(): list(reversed(other))}, [], 11)["total"]
    assert alone == reversed_order
