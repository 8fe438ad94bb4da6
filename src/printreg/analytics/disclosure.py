"""Small-cell suppression with complementary suppression for released count tables.

The rule: a count c with 1 ≤ c < threshold (default 11) is never shown; zeros are shown. A table
is released with its row totals, column totals and grand total, and those margins are cells too.

Why a graph. Write the table with its margins as an (r+1)×(c+1) array and negate the margins
(keeping the grand total positive): then every row and every column sums to zero. Each cell is an
edge between its row node and its column node of a complete bipartite graph, and the release's
linear relations are "the signed cells at each node sum to zero". The hidden cells' values that
fit the shown ones differ by elements of the null space of that incidence system, which for a
bipartite graph is spanned by its cycles (alternating ±1 round a cycle). So, ignoring bounds, a
hidden cell is determined exactly iff its edge is on no cycle of hidden cells: iff it is a bridge.

Bounds make that exact, not just sufficient, because no hidden cell is ever zero: primary cells
are ≥ 1 by the rule and complementary cells are chosen among non-zero cells. Moving every hidden
cell of a cycle by ±1 then keeps them all ≥ 0, so a hidden cell on a cycle has a feasible range at
least 2 wide. (A hidden zero could block that move in both directions.) A cycle of non-zero cells
through any non-zero cell always exists: the signed table is a circulation on the bipartite
graph, and every edge that carries flow in a circulation lies on a cycle of such edges.

Complementary suppression repeats, while the hidden graph has a bridge: take the first bridge and
hide the cheapest path of non-zero cells joining its two ends (hidden cells cost 0, a shown cell
costs its value, ties go to fewer cells). That puts the bridge on a cycle; adding edges never
makes a new bridge, so the loop ends.

``audit`` checks a pattern independently by linear programming. What it does not enforce: a
hidden cell's feasible range may be narrow (e.g. ±1 around its value); this module guarantees
only that no hidden cell can be recovered exactly.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import networkx as nx  # type: ignore[import-untyped]
import numpy as np
import numpy.typing as npt
from scipy import optimize  # type: ignore[import-untyped]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
DEFAULT_THRESHOLD = 11
# LP vertices here are integral (the constraint matrix is totally unimodular), so a width is an
# integer up to solver noise; "below 1" is tested with a margin for that noise.
_EXACT_WIDTH = 1.0 - 1e-6


@dataclass(frozen=True, eq=False)
class Suppressed:
    """A table as released: the values with NaN where hidden, what is hidden, and why.

    For a table the arrays are (r+1)×(c+1): the interior, then the row totals as the last column,
    the column totals as the last row, and the grand total in the corner. For a single row of
    counts (``protect_counts``) they are 1-D with the total last. ``primary`` marks cells hidden
    by the rule itself; the other hidden cells are complementary.
    """

    values: FloatArray
    hidden: BoolArray
    primary: BoolArray

    @property
    def complementary(self) -> BoolArray:
        """Return the cells hidden only to protect others."""
        return self.hidden & ~self.primary


def _as_counts(counts: npt.ArrayLike, ndim: int) -> IntArray:
    array = np.asarray(counts)
    if array.ndim != ndim or 0 in array.shape:
        raise ValueError(f"expected a non-empty {ndim}-D array of counts, got shape {array.shape}")
    if not np.issubdtype(array.dtype, np.integer):
        if not np.issubdtype(array.dtype, np.number) or not np.all(np.isfinite(array)):
            raise ValueError("counts must be finite numbers")
        if not np.all(array == np.round(array)):
            raise ValueError("counts must be whole numbers")
    if (array < 0).any():
        raise ValueError("counts must not be negative")
    return array.astype(np.int64)


def _check_threshold(threshold: int) -> None:
    if threshold < 1:
        raise ValueError(f"the suppression threshold must be at least 1, got {threshold}")


def with_margins(counts: npt.ArrayLike) -> IntArray:
    """Return the (r+1)×(c+1) table: counts, row totals last column, column totals last row."""
    table = _as_counts(counts, 2)
    rows, cols = table.shape
    extended = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    extended[:rows, :cols] = table
    extended[:rows, cols] = table.sum(axis=1)
    extended[rows, :cols] = table.sum(axis=0)
    extended[rows, cols] = table.sum()
    return extended


def _primary(values: IntArray, threshold: int) -> BoolArray:
    return np.asarray((values >= 1) & (values < threshold), dtype=np.bool_)


def _released(values: IntArray, hidden: BoolArray, primary: BoolArray) -> Suppressed:
    shown = values.astype(np.float64)
    shown[hidden] = np.nan
    return Suppressed(values=shown, hidden=hidden, primary=primary)


def _edge(i: int, j: int) -> tuple[tuple[str, int], tuple[str, int]]:
    return ("r", i), ("c", j)


def _cell(u: tuple[str, int], v: tuple[str, int]) -> tuple[int, int]:
    row, col = (u, v) if u[0] == "r" else (v, u)
    return row[1], col[1]


def _complement(extended: IntArray, hidden: BoolArray) -> BoolArray:
    """Return ``hidden`` grown until no hidden cell is a bridge of the hidden-cell graph."""
    hidden = hidden.copy()
    rows, cols = extended.shape
    # Cost of hiding a shown cell: its value first, then one per cell (so ties go to fewer).
    per_value = extended.size + 1
    support = nx.Graph()
    support.add_nodes_from(("r", i) for i in range(rows))
    support.add_nodes_from(("c", j) for j in range(cols))
    for i, j in zip(*np.nonzero(extended), strict=True):
        cost = 0 if hidden[i, j] else int(extended[i, j]) * per_value + 1
        support.add_edge(*_edge(int(i), int(j)), weight=cost)
    while True:
        hidden_graph = nx.Graph()
        cells = zip(*np.nonzero(hidden), strict=True)
        hidden_graph.add_edges_from(_edge(int(i), int(j)) for i, j in cells)
        bridges = sorted(_cell(u, v) for u, v in nx.bridges(hidden_graph))
        if not bridges:
            return hidden
        i, j = bridges[0]
        u, v = _edge(i, j)
        support.remove_edge(u, v)
        path = nx.dijkstra_path(support, u, v, weight="weight")
        support.add_edge(u, v, weight=0)
        for a, b in itertools.pairwise(path):
            hidden[_cell(a, b)] = True
            support[a][b]["weight"] = 0


def protect_table(counts: npt.ArrayLike, threshold: int = DEFAULT_THRESHOLD) -> Suppressed:
    """Return the table with margins, small cells and their complements hidden; nothing if none.

    Every cell of the extended table (interior and margins) with 1 ≤ value < threshold is hidden;
    further non-zero cells are hidden until no hidden cell can be recovered exactly. Zeros are
    always shown. When every non-zero cell is small, every non-zero cell (margins included) is
    hidden and only the zeros are shown.
    """
    _check_threshold(threshold)
    extended = with_margins(counts)
    primary = _primary(extended, threshold)
    hidden = _complement(extended, primary)
    return _released(extended, hidden, primary)


def protect_counts(counts: npt.ArrayLike, threshold: int = DEFAULT_THRESHOLD) -> Suppressed:
    """Return a row of counts with its total appended, small counts and a complement hidden.

    The only relation is "cells sum to the total", so a lone hidden cell is recoverable: then the
    smallest shown non-zero entry (a cell, or the total when no other cell is non-zero) is hidden
    too. The total is hidden by the rule itself when it is small, which happens only when every
    non-zero cell is small as well.
    """
    _check_threshold(threshold)
    row = _as_counts(counts, 1)
    values = np.append(row, row.sum()).astype(np.int64)
    primary = _primary(values, threshold)
    hidden = primary.copy()
    if int(hidden.sum()) == 1:
        candidates = np.where(hidden | (values == 0), np.iinfo(np.int64).max, values)
        hidden[int(np.argmin(candidates))] = True
    return _released(values, hidden, primary)


Line = list[tuple[int, float]]


def _lines_2d(shape: tuple[int, int]) -> list[Line]:
    """Return every row and column relation of an extended table, as (flat index, sign) pairs."""
    rows, cols = shape
    lines: list[Line] = []
    for i in range(rows):
        lines.append([(i * cols + j, 1.0 if j < cols - 1 else -1.0) for j in range(cols)])
    for j in range(cols):
        lines.append([(i * cols + j, 1.0 if i < rows - 1 else -1.0) for i in range(rows)])
    return lines


def _system(
    values: IntArray, hidden: BoolArray, lines: list[Line]
) -> tuple[npt.NDArray[np.intp], FloatArray | None, FloatArray | None]:
    """Return the hidden cells (flat indices) and the equalities A·u = b their values satisfy."""
    unknown = np.flatnonzero(hidden)
    column = {int(cell): k for k, cell in enumerate(unknown)}
    rows_a: list[FloatArray] = []
    rows_b: list[float] = []
    for line in lines:
        coefficients = np.zeros(unknown.size)
        constant = 0.0
        for cell, sign in line:
            if cell in column:
                coefficients[column[cell]] = sign
            else:
                constant -= sign * float(values[cell])
        if coefficients.any():
            rows_a.append(coefficients)
            rows_b.append(constant)
    if not rows_a:
        return unknown, None, None
    return unknown, np.vstack(rows_a), np.asarray(rows_b, dtype=np.float64)


def _optimum(
    k: int, direction: float, size: int, a_eq: FloatArray | None, b_eq: FloatArray | None
) -> FloatArray | None:
    """Return a solution minimising direction·u_k with u ≥ 0, or None when it is unbounded."""
    objective = np.zeros(size)
    objective[k] = direction
    result: Any = optimize.linprog(
        objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs"
    )
    if result.status == 3:
        return None
    if result.status != 0:
        raise RuntimeError(f"disclosure audit LP failed: {result.message}")
    return np.asarray(result.x, dtype=np.float64)


def _intervals(values: IntArray, hidden: BoolArray, lines: list[Line]) -> list[tuple[float, float]]:
    """Return, per hidden cell in flat order, the (min, max) its value can take; max may be inf."""
    unknown, a_eq, b_eq = _system(values, hidden, lines)
    found: list[tuple[float, float]] = []
    for k in range(unknown.size):
        lowest = _optimum(k, 1.0, unknown.size, a_eq, b_eq)
        highest = _optimum(k, -1.0, unknown.size, a_eq, b_eq)
        if lowest is None:
            raise RuntimeError("disclosure audit LP: a minimum over u ≥ 0 cannot be unbounded")
        found.append((float(lowest[k]), math.inf if highest is None else float(highest[k])))
    return found


def _recoverable(values: IntArray, hidden: BoolArray, lines: list[Line]) -> list[int]:
    """Return the hidden cells (flat indices) whose feasible range is narrower than 1.

    The same min/max LPs as ``_intervals``, minus the ones already answered: any LP solution is a
    feasible table, so a cell it moves by ≥ 1 from the true value has a range at least that wide.
    """
    unknown, a_eq, b_eq = _system(values, hidden, lines)
    truth = values[unknown].astype(np.float64)
    open_cells = np.ones(unknown.size, dtype=np.bool_)
    exact: list[int] = []
    for k in range(unknown.size):
        ends: list[float] = []
        for direction in (-1.0, 1.0):
            if not open_cells[k]:
                break
            solution = _optimum(k, direction, unknown.size, a_eq, b_eq)
            if solution is None:
                open_cells[k] = False
                break
            open_cells &= np.abs(solution - truth) < _EXACT_WIDTH
            ends.append(float(solution[k]))
        if open_cells[k] and ends[0] - ends[1] < _EXACT_WIDTH:
            exact.append(int(unknown[k]))
    return exact


def _hidden_mask(hidden: npt.ArrayLike, shape: tuple[int, ...]) -> BoolArray:
    mask = np.asarray(hidden, dtype=np.bool_)
    if mask.shape != shape:
        raise ValueError(f"the hidden mask must have shape {shape}, got {mask.shape}")
    return mask


def feasible_intervals(
    counts: npt.ArrayLike, hidden: npt.ArrayLike
) -> dict[tuple[int, int], tuple[float, float]]:
    """Return each hidden cell's (min, max) given the shown cells of the extended table.

    ``counts`` is the r×c interior, ``hidden`` the (r+1)×(c+1) mask; values are bounded below by 0
    only, so a max is ``inf`` when the cell can grow without limit. Empty when nothing is hidden.
    """
    extended = with_margins(counts)
    mask = _hidden_mask(hidden, extended.shape)
    rows, cols = extended.shape
    ranges = _intervals(extended.ravel(), mask.ravel(), _lines_2d((rows, cols)))
    cells = [(int(i), int(j)) for i, j in zip(*np.nonzero(mask), strict=True)]
    return dict(zip(cells, ranges, strict=True))


def audit(counts: npt.ArrayLike, hidden: npt.ArrayLike) -> list[tuple[int, int]]:
    """Return the hidden cells (row, col) of the extended table recoverable exactly; [] if none.

    Independent of the graph argument: one LP per hidden cell and direction over every row and
    column relation of the extended table, hidden cells ≥ 0, shown cells fixed; a cell whose
    feasible range is narrower than 1 is recoverable.
    """
    extended = with_margins(counts)
    mask = _hidden_mask(hidden, extended.shape)
    cols = extended.shape[1]
    exact = _recoverable(extended.ravel(), mask.ravel(), _lines_2d(extended.shape))
    return [(cell // cols, cell % cols) for cell in exact]


def audit_counts(counts: npt.ArrayLike, hidden: npt.ArrayLike) -> list[int]:
    """Return the hidden positions of a row-with-total (total last) recoverable exactly; [] if none."""
    row = _as_counts(counts, 1)
    values = np.append(row, row.sum()).astype(np.int64)
    mask = _hidden_mask(hidden, values.shape)
    line: Line = [(j, 1.0 if j < row.size else -1.0) for j in range(values.size)]
    return _recoverable(values, mask, [line])
