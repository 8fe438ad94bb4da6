"""Tests for small-cell suppression, complementary suppression and the LP audit."""

from __future__ import annotations

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from printreg.analytics.disclosure import (
    audit,
    audit_counts,
    feasible_intervals,
    protect_counts,
    protect_table,
    with_margins,
)

# Many small counts (and zeros), some large: the mix that makes suppression patterns interesting.
COUNT = st.one_of(st.integers(0, 12), st.integers(0, 60))
TABLES = hnp.arrays(np.int64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=COUNT)
BOUNDED = settings(max_examples=150, deadline=None, database=None)


def _bridges(hidden: np.ndarray) -> list[tuple[int, int]]:
    """Return the hidden cells that are bridges of the row-node/column-node graph."""
    graph = nx.Graph()
    graph.add_edges_from((("r", int(i)), ("c", int(j))) for i, j in np.argwhere(hidden))
    cells = []
    for u, v in nx.bridges(graph):
        row, col = (u, v) if u[0] == "r" else (v, u)
        cells.append((row[1], col[1]))
    return sorted(cells)


@BOUNDED
@given(TABLES, st.sampled_from([11, 11, 5, 20]))
def test_protected_tables_leak_no_cell(counts: np.ndarray, threshold: int) -> None:
    released = protect_table(counts, threshold)
    extended = with_margins(counts)
    small = (extended >= 1) & (extended < threshold)
    assert audit(counts, released.hidden) == []
    assert np.array_equal(released.primary, small)
    assert np.all(released.hidden[small])
    assert not np.any(released.hidden[extended == 0])
    assert np.array_equal(np.isnan(released.values), released.hidden)
    assert np.array_equal(released.values[~released.hidden], extended[~released.hidden])


@BOUNDED
@given(TABLES, st.data())
def test_bridges_are_exactly_the_recoverable_cells(counts: np.ndarray, data: st.DataObject) -> None:
    # The criterion protect_table relies on, checked against the LP for arbitrary patterns of
    # hidden non-zero cells: a hidden cell is recoverable iff it is a bridge.
    extended = with_margins(counts)
    chosen = data.draw(hnp.arrays(np.bool_, extended.shape))
    hidden = chosen & (extended > 0)
    assert sorted(audit(counts, hidden)) == _bridges(hidden)


def test_hidden_zeros_break_the_bridge_criterion() -> None:
    # A 6-cycle of hidden cells has no bridge, but with zeros at (0,0) and (1,2) neither
    # direction round the cycle keeps every cell ≥ 0, so all six are pinned: the reason
    # complementary cells are never zeros.
    counts = np.array([[0, 5, 20], [20, 5, 0], [5, 20, 5]])
    hidden = np.zeros((4, 4), dtype=bool)
    for cell in [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2), (2, 0)]:
        hidden[cell] = True
    assert _bridges(hidden) == []
    assert len(audit(counts, hidden)) == 6


def test_worked_example_hides_a_rectangle() -> None:
    # The textbook pattern: one small cell, protected by the cheapest rectangle of interior
    # cells through it. Rows 2/1 and columns A/B cost 25 + 15 + 20 = 60, less than any other.
    counts = np.array([[20, 15, 30], [4, 25, 18], [22, 19, 40]])
    released = protect_table(counts)
    expected = np.zeros((4, 4), dtype=bool)
    expected[[0, 0, 1, 1], [0, 1, 0, 1]] = True
    assert np.array_equal(released.hidden, expected)
    assert released.primary.sum() == 1
    assert released.primary[1, 0]
    assert released.complementary.sum() == 3
    # With t the small cell: (0,0) = 24 − t, (0,1) = 11 + t, (1,1) = 29 − t, so all an attacker
    # learns is 0 ≤ t ≤ 24.
    low, high = feasible_intervals(counts, released.hidden)[(1, 0)]
    assert (low, high) == pytest.approx((0.0, 24.0))


def test_worked_example_with_a_small_row_total() -> None:
    # Row 0 holds 2 and 3, so its total 5 is small too. Cells (1,0) and (1,1) close a cycle
    # for the interior cells; the row total is then tied in through row 1's total (75).
    counts = np.array([[2, 3, 0], [20, 25, 30]])
    released = protect_table(counts)
    assert sorted(zip(*np.nonzero(released.primary), strict=True)) == [(0, 0), (0, 1), (0, 3)]
    assert sorted(zip(*np.nonzero(released.hidden), strict=True)) == [
        (0, 0),
        (0, 1),
        (0, 3),
        (1, 0),
        (1, 1),
        (1, 3),
    ]
    assert released.values[0, 2] == 0.0
    assert audit(counts, released.hidden) == []


def test_primary_suppression_alone_can_leak() -> None:
    counts = np.array([[20, 15, 30], [4, 25, 18], [22, 19, 40]])
    released = protect_table(counts)
    assert audit(counts, released.primary) == [(1, 0)]
    assert feasible_intervals(counts, released.primary) == {(1, 0): pytest.approx((4.0, 4.0))}


def test_table_without_small_cells_hides_nothing() -> None:
    counts = np.array([[20, 30, 0], [40, 50, 11]])
    released = protect_table(counts)
    assert not released.hidden.any()
    assert np.array_equal(released.values, with_margins(counts))


def test_all_small_table_hides_every_nonzero_cell() -> None:
    released = protect_table([[1, 2], [3, 4]])
    assert released.hidden.all()
    assert np.isnan(released.values).all()
    with_zeros = protect_table([[0, 3], [2, 0]])
    assert np.array_equal(with_zeros.hidden, with_margins([[0, 3], [2, 0]]) > 0)
    assert with_zeros.values[0, 0] == with_zeros.values[1, 1] == 0.0
    assert audit([[0, 3], [2, 0]], with_zeros.hidden) == []


def test_threshold_is_configurable() -> None:
    counts = [[2, 4], [30, 40]]
    assert protect_table(counts, threshold=3).primary.sum() == 1
    assert protect_table(counts, threshold=3).primary[0, 0]
    assert protect_table(counts, threshold=7).primary[:1].tolist() == [[True, True, True]]
    assert protect_table(counts, threshold=7).primary[1:].sum() == 0
    assert not protect_table(counts, threshold=1).hidden.any()
    with pytest.raises(ValueError, match="at least 1"):
        protect_table(counts, threshold=0)


def test_one_by_one_table() -> None:
    released = protect_table([[7]])
    assert released.hidden.all()
    assert audit([[7]], released.hidden) == []
    assert not protect_table([[70]]).hidden.any()


def test_counts_are_checked() -> None:
    with pytest.raises(ValueError, match="negative"):
        protect_table([[1, -1]])
    with pytest.raises(ValueError, match="whole"):
        protect_table([[1.5]])
    with pytest.raises(ValueError, match="2-D"):
        protect_table([1, 2])
    with pytest.raises(ValueError, match="shape"):
        audit([[1, 2]], np.zeros((3, 3), dtype=bool))
    assert protect_table(np.array([[3.0, 40.0]])).hidden[0, 0]


def test_row_of_counts_hides_a_second_cell() -> None:
    released = protect_counts([30, 40, 2, 50])
    assert released.hidden.tolist() == [True, False, True, False, False]
    assert released.primary.tolist() == [False, False, True, False, False]
    assert np.isnan(released.values[[0, 2]]).all()
    assert released.values[4] == 122.0
    assert audit_counts([30, 40, 2, 50], released.hidden) == []
    assert audit_counts([30, 40, 2, 50], released.primary) == [2]


def test_row_of_counts_edge_cases() -> None:
    # The other cell is the smallest shown non-zero entry, not the total.
    assert protect_counts([20, 3]).hidden.tolist() == [True, True, False]
    # A lone small cell makes the total small: both hidden, the zero shown.
    alone = protect_counts([5, 0])
    assert alone.hidden.tolist() == [True, False, True]
    assert alone.values[1] == 0.0
    # Two small cells protect each other.
    assert protect_counts([3, 4, 50]).hidden.tolist() == [True, True, False, False]
    assert not protect_counts([0, 0]).hidden.any()
    assert protect_counts([3, 4]).hidden.all()
    assert protect_counts([3, 30], threshold=3).hidden.tolist() == [False, False, False]


@BOUNDED
@given(
    hnp.arrays(np.int64, st.integers(1, 8), elements=COUNT),
    st.sampled_from([11, 5]),
)
def test_protected_rows_leak_no_cell(counts: np.ndarray, threshold: int) -> None:
    released = protect_counts(counts, threshold)
    values = np.append(counts, counts.sum())
    small = (values >= 1) & (values < threshold)
    assert audit_counts(counts, released.hidden) == []
    assert np.all(released.hidden[small])
    assert not np.any(released.hidden[values == 0])
    assert np.array_equal(released.values[~released.hidden], values[~released.hidden])
