"""Vectorised validation of many flat rows at once, generated from the same definition.

Nothing here is a second rule set. Each distinct cell of a column is checked once by the very
element code the single-record validator runs (``_Run.element``: parse, constraints, value sets,
printers, identifier scan), and the verdict is broadcast to every row holding that cell. What
spans fields — applicability, requiredness, section filling, repeating-group bounds, the named
cross-field rules and the derived values — is compiled into polars expressions from the same
definition, mirroring ``engine._Run`` step for step. A property test holds the two validators to
the same verdict on random valid and invalid records.

Input: a DataFrame of the flat layout (strings, nulls for empty cells): ``status``, top-level
scalar elements by name, and group cells named ``<prefix>_<n>_<element>``. Rules without a
vectorised twin send their batch to the single-record validator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from printreg.dictionary import (
    Condition,
    Definition,
    ElementBase,
    GroupElement,
    ScalarElement,
    flat_column,
    is_multiple,
    is_reason,
    reason_code,
    split_multi,
)
from printreg.dictionary.elements import item_bounds
from printreg.dictionary.loader import function_params
from printreg.dictionary.missing import REDCAP_CODES, column_of
from printreg.domain.coding import ADDON_PRIMARY, GUIDE_ADDON, GUIDE_FIRST, MODEL_ADDON, MODEL_FIRST
from printreg.validation.engine import ENTERED_STATUSES, ValidationContext, _Run

#: Every character Python's ``str.strip`` removes (``str.isspace``), which the single-record
#: validator uses: polars' own whitespace leaves out the separators U+001C to U+001F.
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

STATUS = "status"
#: REDCap's missing-data codes, as a lower-cased reason cell holds them → the reason
REDCAP_READ = {code.lower(): reason for reason, code in REDCAP_CODES.items()}
MEMO_LIMIT = 200_000  # distinct cells remembered across batches
cell_column = flat_column


@dataclass
class BatchOutcome:
    """Verdicts and canonical values of a batch.

    ``frame`` holds, per row: ``_ok`` (no errors), ``_status``, and for every flat column its
    canonical value (codes not labels, typed) with its ``<column>__missing`` reason for missing
    data (text, null when a value or nothing is given), plus every derived value by name.
    """

    frame: pl.DataFrame
    fallback: bool = False  # the whole batch needed the single-record validator
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> pl.Series:
        """Return the per-row verdict."""
        return self.frame["_ok"]


class BatchValidator:
    """Compiles a definition and one submitting facility's context into batch checks."""

    def __init__(self, definition: Definition, context: ValidationContext) -> None:
        self.defn = definition
        self.ctx = context
        self.scalars = [e for e in definition.elements.values() if not isinstance(e, GroupElement)]
        self.groups = list(definition.groups.values())
        # Every flat column of each scalar element: its own, or its cell in every group row.
        self._stacks: list[tuple[ScalarElement, list[str], bool]] = [
            (e, [e.name], False) for e in self.scalars
        ]
        for group in self.groups:
            self._stacks += [
                (child, [cell_column(group, r, child) for r in range(1, group.max_rows + 1)], True)
                for child in group.elements
            ]
        # Verdicts of distinct cells, kept across batches: (element id, text) → (value, failed)
        self._memo: dict[tuple[int, str], tuple[Any, bool]] = {}
        self._constants: dict[tuple[int, pl.DataType, object], pl.Series] = {}

    # -- value level: distinct cells through the single-record code ------------------------------

    def _cell(
        self, element: ScalarElement, text: str, *, remember: bool = True
    ) -> tuple[Any, bool]:
        key = (id(element), text)
        found = self._memo.get(key)
        if found is None:
            run = _Run(self.defn, self.ctx, "complete", "")
            raw: object = split_multi(text) if is_multiple(element) else text
            value = run.element(element, raw, element.name)
            found = (value, bool(run.issues))
            if remember:
                if len(self._memo) >= MEMO_LIMIT:
                    self._memo.clear()  # a bound whatever the file: memory stays flat
                self._memo[key] = found
        return found

    def _constant(self, n: int, dtype: pl.DataType, value: object = None) -> pl.Series:
        """Return a series of ``n`` times the same value, made once per batch size."""
        key = (n, dtype, value)
        found = self._constants.get(key)
        if found is None:
            if len(self._constants) > 64:  # batch sizes vary only at a file's end
                self._constants.clear()
            found = self._constants[key] = pl.Series("", [value] * n, dtype=dtype)
        return found

    def _values(self, frame: pl.DataFrame) -> list[pl.Series]:
        """Return every flat column's canonical value, ``__missing`` reason, ``__bad`` flag, and for
        group cells (which make their group row exist) the ``__given`` flags.

        Each distinct filled cell of an element (in any of its columns: its cell in every group
        row) is checked once by the single-record validator's element code. Cells that are their
        own canonical value (identifiers, free text, codes given as codes) are kept as they are;
        the others are mapped through one lookup per element, joined to the element's columns
        stacked. Columns empty in the whole batch (most group rows) are never looked at.
        """
        n = frame.height

        def given(column: str) -> pl.Expr:  # not blank, as str.strip sees it
            cell = pl.col(column).cast(pl.String).str.strip_chars(PY_WHITESPACE)
            return (cell != "").fill_null(value=False)

        filled = [
            c
            for _, columns, _ in self._stacks
            for c in columns
            if c in frame.columns and frame[c].null_count() < n
        ]
        seen: dict[str, list[str]] = {}
        if filled:
            queries = (
                pl.col(c).cast(pl.String).filter(given(c)).unique().implode() for c in filled
            )
            seen = dict(zip(filled, frame.select(queries).row(0), strict=True))
        false = self._constant(n, pl.Boolean(), value=False)
        none = self._constant(n, pl.String())
        exprs: list[pl.Expr] = []  # evaluated together, in one query over the batch
        out: list[pl.Series] = []
        for element, columns, in_group in self._stacks:
            dtype = element.polars_type()
            present = [c for c in columns if c in seen]
            distinct = list(dict.fromkeys(t for c in present for t in seen[c]))
            # Cells that are always distinct (identifiers, free text) are not remembered.
            remember = len(distinct) * 2 <= max(n, 1) * len(present)
            canon: list[Any] = []
            bad: list[bool] = []
            reasons: list[str | None] = []
            for text in distinct:
                value, failed = self._cell(element, text, remember=remember)
                bad.append(failed)
                reasons.append(reason_code(value))
                canon.append(None if is_reason(value) or value == [] else value)
            if in_group:
                exprs += [given(c).alias(f"{c}__given") for c in present]
                out += [false.alias(f"{c}__given") for c in columns if c not in seen]
            absent = [c for c in columns if c not in present]
            nothing = self._constant(n, dtype)
            out += [s for c in absent for s in (nothing.alias(c), none.alias(column_of(c)),
                                                 false.alias(f"{c}__bad"))]  # fmt: skip
            if not present:
                continue
            if (
                dtype == pl.String()
                and not any(bad)
                and not any(reasons)
                and all(c == t for c, t in zip(canon, distinct, strict=True))
            ):  # every cell is its own canonical value: no lookup
                exprs += [pl.when(given(c)).then(pl.col(c).cast(pl.String)).alias(c)
                          for c in present]  # fmt: skip
                out += [s for c in present for s in (none.alias(column_of(c)),
                                                      false.alias(f"{c}__bad"))]  # fmt: skip
                continue
            lookup = pl.DataFrame(
                [
                    pl.Series("k", distinct, dtype=pl.String),
                    pl.Series("v", canon, dtype=dtype),
                    pl.Series("u", reasons, dtype=pl.String),
                    pl.Series("b", bad, dtype=pl.Boolean),
                ]
            )
            stacked = pl.concat([frame[c].cast(pl.String) for c in present])
            joined = pl.DataFrame([stacked.alias("k")]).join(
                lookup, on="k", how="left", maintain_order="left"
            )
            values = joined["v"]
            found = joined["u"] if any(reasons) else None
            bads = joined["b"].fill_null(value=False) if any(bad) else None
            for i, column in enumerate(present):
                out += [
                    values.slice(i * n, n).alias(column),
                    (none if found is None else found.slice(i * n, n)).alias(column_of(column)),
                    (false if bads is None else bads.slice(i * n, n)).alias(f"{column}__bad"),
                ]
        if exprs:
            out += frame.select(exprs).get_columns()
        return self._sibling_reasons(frame, out, given)

    def _sibling_reasons(
        self, frame: pl.DataFrame, out: list[pl.Series], given: Callable[[str], pl.Expr]
    ) -> list[pl.Series]:
        """Return the value series with the reasons of ``<column>__missing`` cells merged in.

        A reason cell is read as the single validator reads ``{"missing": …}``: a reason the
        element does not accept, or one beside a value, makes the cell bad; an accepted one is
        the cell's reason and, in a group, makes its row exist.
        """
        sides = [
            (element, c, column_of(c))
            for element, columns, _ in self._stacks
            for c in columns
            if column_of(c) in frame.columns and frame[column_of(c)].null_count() < frame.height
        ]
        if not sides:
            return out
        series = {s.name: s for s in out}
        exprs: list[pl.Expr] = []
        for element, column, side in sides:
            reason = (
                pl.col(side).cast(pl.String).str.strip_chars(PY_WHITESPACE).str.to_lowercase()
                .str.replace_all(" ", "_").replace(REDCAP_READ).replace("", None)
            )  # fmt: skip
            accepted = reason.is_in(list(element.reasons)).fill_null(value=False)
            stated = reason.is_not_null()
            exprs += [
                (stated & (~accepted | given(column))).alias(f"{column}__bad"),
                pl.when(accepted & ~given(column)).then(reason).alias(column_of(column)),
                stated.alias(f"{column}__given"),
            ]
        for found in frame.select(exprs).get_columns():
            before = series.get(found.name)
            if before is None:
                continue
            if found.dtype == pl.Boolean:
                series[found.name] = before | found
            else:
                series[found.name] = before.cast(pl.String).zip_with(found.is_null(), found)
        return list(series.values())

    # -- conditions -----------------------------------------------------------------------------

    def _condition(
        self,
        cond: Condition,
        lookup: Callable[[str], pl.Expr],
        filled: Callable[[str], pl.Expr],
        element_of: Callable[[str], ElementBase | None],
    ) -> pl.Expr:
        if cond.all is not None:
            return pl.all_horizontal(
                [self._condition(c, lookup, filled, element_of) for c in cond.all]
            )
        if cond.any is not None:
            return pl.any_horizontal(
                [self._condition(c, lookup, filled, element_of) for c in cond.any]
            )
        if cond.not_ is not None:
            return ~self._condition(cond.not_, lookup, filled, element_of)
        if cond.section_filled is not None:
            return filled(cond.section_filled)
        assert cond.field is not None  # noqa: S101 - a field condition by construction
        col = lookup(cond.field)
        target = element_of(cond.field)
        multiple = target is not None and is_multiple(target)
        if cond.present is not None:
            present = col.list.len() > 0 if multiple else col.is_not_null()
            present = present.fill_null(value=False)
            return present if cond.present else ~present
        values = cond.compared_values()
        if cond.contains is not None:
            return col.list.contains(pl.lit(cond.contains)).fill_null(value=False)
        exprs = [_equals(col, v) for v in values]
        return pl.any_horizontal(exprs).fill_null(value=False)

    def _envelope(self, frame: pl.DataFrame) -> list[pl.Expr]:
        """Errors for a facility or definition version cell that names another one."""
        found = []
        for column, expected in (("facility", self.ctx.facility_code),
                                 ("definition_version", self.defn.version)):  # fmt: skip
            if column in frame.columns:
                cell = (
                    frame[column].cast(pl.String).str.strip_chars(PY_WHITESPACE).replace("", None)
                )
                wrong = cell.is_not_null() & (
                    cell.str.to_lowercase() != expected.lower()
                    if column == "facility"
                    else cell != expected
                )
                found.append(pl.lit(wrong.fill_null(value=False)))
        return found

    def _row_scope(
        self, group: GroupElement, row: int
    ) -> tuple[Callable[[str], pl.Expr], Callable[[str], ElementBase | None]]:
        """Return how conditions inside a group row find fields: the row's cells first."""
        names = {c.name: c for c in group.elements}

        def lookup(name: str) -> pl.Expr:
            child = names.get(name)
            return pl.col(cell_column(group, row, child)) if child else pl.col(name)

        def element_of(name: str) -> ElementBase | None:
            return names.get(name) or self.defn.elements.get(name)

        return lookup, element_of

    # -- the run --------------------------------------------------------------------------------

    def run(self, frame: pl.DataFrame) -> BatchOutcome:  # noqa: PLR0915 - mirrors _Run.run
        """Return verdicts, canonical values and derived values for every row."""
        if any(r.function not in BATCH_RULES for r in self.defn.rules if r.severity == "error"):
            return BatchOutcome(frame.select(pl.lit(value=False).alias("_ok")), fallback=True,
                                notes=["a rule has no vectorised form"])  # fmt: skip
        n = frame.height
        series: list[pl.Series] = []
        status_raw = (
            frame[STATUS].cast(pl.String).str.strip_chars(PY_WHITESPACE)
            if STATUS in frame.columns
            else pl.Series([None] * n, dtype=pl.String)
        )
        status = pl.Series(status_raw).replace("", None).fill_null("complete")
        status = pl.Series("_status", status)
        series.append(status)
        columns: list[tuple[GroupElement | None, int, ScalarElement]] = [
            (None, 0, e) for e in self.scalars
        ]
        for group in self.groups:
            for row in range(1, group.max_rows + 1):
                columns += [(group, row, child) for child in group.elements]
        series += self._values(frame)
        out = pl.DataFrame(series).lazy()
        errors: list[pl.Expr] = [~pl.col("_status").is_in(ENTERED_STATUSES)]
        errors += self._envelope(frame)
        complete = pl.col("_status") != "draft"
        errors += [pl.col(f"{cell_column(g, r, e)}__bad") for g, r, e in columns]

        def present(name: str, element: ElementBase) -> pl.Expr:
            """A value, as the single validator sees it: 'unknown' counts, [] does not."""
            col = pl.col(name)
            if is_multiple(element):
                return (col.list.len() > 0).fill_null(value=False)
            return col.is_not_null() | pl.col(column_of(name)).is_not_null()

        def row_exists(group: GroupElement, row: int) -> pl.Expr:
            return pl.any_horizontal(
                [pl.col(f"{cell_column(group, row, c)}__given") for c in group.elements]
            )

        # Which group rows exist, and no gaps (flat rows must be filled in order).
        for group in self.groups:
            row_flags = [row_exists(group, r) for r in range(1, group.max_rows + 1)]
            out = out.with_columns(
                [e.alias(f"_{group.name}_{i}") for i, e in enumerate(row_flags, start=1)]
            )
            count = pl.sum_horizontal([pl.col(f"_{group.name}_{i}").cast(pl.Int32)
                                       for i in range(1, group.max_rows + 1)])  # fmt: skip
            out = out.with_columns(count.alias(f"_{group.name}_rows"))
            for i in range(2, group.max_rows + 1):
                errors.append(pl.col(f"_{group.name}_{i}") & ~pl.col(f"_{group.name}_{i - 1}"))

        out = out.with_columns(pl.lit(value=False).alias("_bad_any"))
        top = {e.name: e for e in self.scalars}
        sections = self.defn.section_elements
        groups_in = {g.name for g in self.groups}
        visible_groups: set[str] = set()

        def filled(section: str) -> pl.Expr:
            parts = [present(name, top[name]) for name in sections[section] if name in top]
            parts += [
                pl.col(f"_{name}_rows") > 0
                for name in sections[section]
                if name in groups_in and name in visible_groups
            ]
            return pl.any_horizontal(parts) if parts else pl.lit(value=False)

        def top_lookup(name: str) -> pl.Expr:
            return pl.col(name)

        inapplicable: dict[str, pl.Expr] = {}
        # Applicability, scalars in form order (each sees the earlier ones already cleared).
        for element in self.scalars:
            if element.applies_when is None:
                continue
            applies = self._condition(
                element.applies_when, top_lookup, filled, self.defn.elements.get
            )
            out = out.with_columns(
                (pl.col("_bad_any") | (~applies & present(element.name, element))).alias(
                    "_bad_any"
                ),
                pl.when(applies).then(pl.col(element.name)).otherwise(None).alias(element.name),
                pl.when(applies)
                .then(pl.col(column_of(element.name)))
                .alias(column_of(element.name)),
                (~applies).alias(f"{element.name}__na"),
            )
            inapplicable[element.name] = pl.col(f"{element.name}__na")
        for group in self.groups:
            if group.applies_when is not None:
                applies = self._condition(
                    group.applies_when, top_lookup, filled, self.defn.elements.get
                )
                out = out.with_columns(
                    (pl.col("_bad_any") | (~applies & (pl.col(f"_{group.name}_rows") > 0)))
                    .alias("_bad_any"),
                    pl.when(applies).then(pl.col(f"_{group.name}_rows")).otherwise(0)
                    .alias(f"_{group.name}_rows"),
                    *[
                        (pl.col(f"_{group.name}_{r}") & applies).alias(f"_{group.name}_{r}")
                        for r in range(1, group.max_rows + 1)
                    ],
                    (~applies).alias(f"_{group.name}__na"),
                )  # fmt: skip
            for row in range(1, group.max_rows + 1):
                exists = pl.col(f"_{group.name}_{row}")
                row_lookup, element_of = self._row_scope(group, row)

                for child in group.elements:
                    col = cell_column(group, row, child)
                    if child.applies_when is None:
                        continue
                    applies = self._condition(child.applies_when, row_lookup, filled, element_of)
                    out = out.with_columns(
                        (pl.col("_bad_any") | (exists & ~applies & present(col, child))).alias(
                            "_bad_any"
                        ),
                        pl.when(applies).then(pl.col(col)).otherwise(None).alias(col),
                        pl.when(applies).then(pl.col(column_of(col))).alias(column_of(col)),
                        (~applies).alias(f"{col}__na"),
                    )
                    inapplicable[col] = pl.col(f"{col}__na")
            visible_groups.add(group.name)

        # Requiredness (errors only when complete), and item counts.
        def required(element: ElementBase, lookup: Callable[[str], pl.Expr],
                     element_of: Callable[[str], ElementBase | None]) -> pl.Expr:  # fmt: skip
            expr = pl.lit(element.required)
            if element.required_when is not None:
                expr = expr | self._condition(element.required_when, lookup, filled, element_of)
            return expr

        for element in self.scalars:
            col = element.name
            missing = ~present(col, element) & ~pl.col(f"{col}__bad")
            if col in inapplicable:
                missing = missing & ~inapplicable[col]
            need = required(element, top_lookup, self.defn.elements.get)
            errors.append(complete & need & missing)
            min_items = item_bounds(element)[0]
            if min_items:
                errors.append(present(col, element) & (pl.col(col).list.len() < min_items))
        for group in self.groups:
            rows = pl.col(f"_{group.name}_rows")
            applies = (
                ~pl.col(f"_{group.name}__na")
                if group.applies_when is not None
                else pl.lit(value=True)
            )
            need = required(group, top_lookup, self.defn.elements.get)
            errors.append(complete & applies & need & (rows == 0))
            errors.append(complete & applies & (rows > 0) & (rows < group.min_rows))
            for row in range(1, group.max_rows + 1):
                exists = pl.col(f"_{group.name}_{row}")
                row_lookup, element_of = self._row_scope(group, row)

                for child in group.elements:
                    col = cell_column(group, row, child)
                    missing = ~present(col, child) & ~pl.col(f"{col}__bad")
                    if col in inapplicable:
                        missing = missing & ~inapplicable[col]
                    need = required(child, row_lookup, element_of)
                    errors.append(complete & exists & need & missing)
                    min_items = item_bounds(child)[0]
                    if min_items:
                        errors.append(
                            exists & present(col, child) & (pl.col(col).list.len() < min_items)
                        )

        # Named cross-field rules (errors only decide the verdict).
        for ref in self.defn.rules:
            if ref.severity == "error":
                params = function_params(self.defn, ref)
                errors.append(BATCH_RULES[ref.function](self.defn, **params))
        out = out.with_columns(
            (
                ~pl.any_horizontal([e.fill_null(value=False) for e in errors])
                & ~pl.col("_bad_any").fill_null(value=False)
            ).alias("_ok")
        )
        derived = [BATCH_DERIVED[d.function](self.defn, **function_params(self.defn, d)).alias(d.name)
                   for d in self.defn.derived if d.function in BATCH_DERIVED]  # fmt: skip
        if derived:
            out = out.with_columns(derived)
        return BatchOutcome(out.collect())


def _equals(col: pl.Expr, value: object) -> pl.Expr:
    if isinstance(value, bool):
        return col == pl.lit(value)
    if isinstance(value, int | float):
        return col.cast(pl.Float64, strict=False) == float(value)
    return col.cast(pl.String) == str(value)


# -- vectorised twins of the named rules and derived values -------------------------------------

BatchRule = Callable[..., pl.Expr]


def _group_cells(definition: Definition, group: str, name: str) -> list[str]:
    g = definition.groups[group]
    child = next(c for c in g.elements if c.name == name)
    return [cell_column(g, r, child) for r in range(1, g.max_rows + 1)]


def _date_order(definition: Definition, *, earlier: str, later: str) -> pl.Expr:
    del definition
    return (pl.col(later) < pl.col(earlier)).fill_null(value=False)


def _row_references(definition: Definition, *, group: str, field: str, target: str) -> pl.Expr:
    available = pl.col(f"_{target}_rows")
    cells = _group_cells(definition, group, field)
    out = []
    for r, c in enumerate(cells, start=1):
        low = pl.col(c).list.min() < 1
        high = pl.col(c).list.max() > available
        out.append(pl.col(f"_{group}_{r}") & (low | high).fill_null(value=False))
    return pl.any_horizontal(out)


def _unique_in_group(definition: Definition, *, group: str, field: str) -> pl.Expr:
    cells = _group_cells(definition, group, field)
    values = pl.concat_list([pl.col(c) for c in cells]).list.drop_nulls()
    return values.list.len() != values.list.n_unique()


def _billed_units(definition: Definition, group: str, code: str, units: str) -> dict[str, pl.Expr]:
    codes = _group_cells(definition, group, code)
    counts = _group_cells(definition, group, units)
    totals: dict[str, pl.Expr] = {}
    for cpt in (MODEL_FIRST, MODEL_ADDON, GUIDE_FIRST, GUIDE_ADDON):
        parts = [
            pl.when(pl.col(c) == cpt).then(pl.col(u).fill_null(0)).otherwise(0)
            for c, u in zip(codes, counts, strict=True)
        ]
        totals[cpt] = pl.sum_horizontal(parts)
    return totals


def _cpt_addon_requires_primary(
    definition: Definition, *, group: str, code: str, units: str
) -> pl.Expr:
    totals = _billed_units(definition, group, code, units)
    return pl.any_horizontal(
        [(totals[addon] > 0) & (totals[primary] == 0) for addon, primary in ADDON_PRIMARY.items()]
    )


def _whole_number_from(definition: Definition, *, field: str, threshold: float) -> pl.Expr:
    del definition
    value = pl.col(field).cast(pl.Float64)
    return ((value >= threshold) & (value != value.floor())).fill_null(value=False)


BATCH_RULES: dict[str, BatchRule] = {
    "date_order": _date_order,
    "row_references": _row_references,
    "unique_in_group": _unique_in_group,
    "cpt_addon_requires_primary": _cpt_addon_requires_primary,
    "whole_number_from": _whole_number_from,
}


def _date_difference(definition: Definition, *, start: str, end: str) -> pl.Expr:
    del definition
    return (pl.col(end) - pl.col(start)).dt.total_days().cast(pl.Int64)


def _row_count(definition: Definition, *, group: str) -> pl.Expr:
    del definition
    return pl.col(f"_{group}_rows").cast(pl.Int64)


def _sum_of(definition: Definition, *, fields: list[str]) -> pl.Expr:
    del definition
    known = pl.all_horizontal([pl.col(f).is_not_null() for f in fields])
    return pl.when(known).then(pl.sum_horizontal([pl.col(f) for f in fields])).otherwise(None)


def _difference(definition: Definition, *, minuend: str, subtrahend: str) -> pl.Expr:
    del definition
    return pl.col(minuend) - pl.col(subtrahend)


def _cpt_suggestion(
    definition: Definition, *, kind: str, model: str, guide: str, parts: str, guide_total: str
) -> pl.Expr:
    del definition
    part_rows = pl.col(f"_{parts}_rows")
    guide_count = pl.col(guide_total)
    is_model = pl.col(kind) == model
    is_guide = pl.col(kind) == guide

    def coding(first: str, addon: str, count: pl.Expr) -> pl.Expr:
        return (
            pl.when(count > 1)
            .then(pl.format(f"{first}×1 + {addon}×{{}}", count - 1))
            .otherwise(pl.lit(f"{first}×1"))
        )

    return (
        pl.when(is_model & (part_rows >= 1)).then(coding(MODEL_FIRST, MODEL_ADDON, part_rows))
        .when(is_guide & guide_count.is_not_null() & (guide_count >= 1))
        .then(coding(GUIDE_FIRST, GUIDE_ADDON, guide_count))
        .otherwise(None)
    )  # fmt: skip


def _appropriateness_band(definition: Definition, *, field: str, value_set: str) -> pl.Expr:
    from printreg.domain.appropriateness import band_of  # noqa: PLC0415

    bands = {
        v.code: str(band_of(int(v.attributes["rating"])))
        for v in definition.value_sets[value_set].values
        if isinstance(v.attributes.get("rating"), int | float)
    }
    return pl.col(field).replace_strict(bands, default=None, return_dtype=pl.String)


BATCH_DERIVED: dict[str, BatchRule] = {
    "date_difference": _date_difference,
    "row_count": _row_count,
    "sum_of": _sum_of,
    "difference": _difference,
    "cpt_suggestion": _cpt_suggestion,
    "appropriateness_band": _appropriateness_band,
}
