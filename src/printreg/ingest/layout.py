"""The flat file layout of a definition: one row per case, numbered columns for repeating groups.

Columns, in form order: ``status``, then every top-level scalar element by name, each repeating
group as numbered columns ``<prefix>_<n>_<element>`` for n = 1..max_rows, row after row
(``part_1_region``, ``part_1_subregion``, ..., ``part_2_region``). A multi-valued element is one
cell whose values are separated by ';' (``ct;mr``, ``print_1_part_numbers`` = ``1;2``). An
element that takes reasons for missing data is followed by ``<column>__missing``: empty, or the
reason there is no value (``not_asked``), never beside a filled value cell.

Besides these, a file may carry ``facility`` and ``definition_version``: they pass through into
the record, where validation checks them against the importing facility and the definition.
``_errors`` (the column of an error file) is ignored, so a corrected error file re-uploads as is.
Any other column is refused rather than silently dropped: its data would be lost.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from printreg.dictionary import (
    Definition,
    GroupElement,
    ScalarElement,
    is_multiple,
)
from printreg.dictionary.missing import JSON_KEY, column_of
from printreg.domain.issues import Issue
from printreg.ingest.cells import format_value, join_multi, split_multi
from printreg.validation import safe_echo

STATUS_COLUMN = "status"
#: optional columns that pass through into the record, where validation checks them
PASS_THROUGH_COLUMNS = ("facility", "definition_version")
#: columns accepted and ignored: the problems column of an error file
IGNORED_COLUMNS = ("_errors",)
_NUMBERED = re.compile(r"(?P<prefix>[a-z][a-z0-9_]*?)_(?P<row>\d+)_(?P<element>[a-z][a-z0-9_]*)")


def normalise_column(name: str) -> str:
    """Return a header cell as a column name: trimmed and lower-cased."""
    return name.strip().lower()


@dataclass(frozen=True, slots=True)
class Column:
    """One flat column: the element it holds and, for group columns, the group and row (1-based)."""

    name: str
    element: ScalarElement
    group: GroupElement | None = None
    row: int | None = None

    @property
    def path(self) -> str:
        """Return the element path in the record, like ``prints[2].scale_pct``."""
        if self.group is None:
            return self.element.name
        return f"{self.group.name}[{self.row}].{self.element.name}"


class FlatLayout:
    """The flat CSV layout generated from one definition version."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self.element_columns: list[Column] = []
        for element in definition.elements.values():
            if isinstance(element, GroupElement):
                for n in range(1, element.max_rows + 1):
                    self.element_columns.extend(
                        Column(f"{element.prefix}_{n}_{child.name}", child, element, n)
                        for child in element.elements
                    )
            else:
                self.element_columns.append(Column(element.name, element))
        self._by_name = {c.name: c for c in self.element_columns}
        #: reason column (``<column>__missing``) → its value column, for elements with reasons
        self._reasons = {column_of(c.name): c for c in self.element_columns if c.element.reasons}
        self._prefixes = {g.prefix: g for g in definition.groups.values()}

    @property
    def columns(self) -> list[str]:
        """Return the layout's column names in order: ``status``, then the element columns, each
        followed by its reason column ``<column>__missing`` when the element takes reasons."""
        names = [STATUS_COLUMN]
        for column in self.element_columns:
            names.append(column.name)
            if column.element.reasons:
                names.append(column_of(column.name))
        return names

    def header(self, pass_through: Sequence[str] = ()) -> list[str]:
        """Return the columns of a file, with the given pass-through columns (``facility``) first."""
        unknown = [c for c in pass_through if c not in PASS_THROUGH_COLUMNS]
        if unknown:
            raise ValueError(f"not a pass-through column: {', '.join(unknown)}")
        return [*pass_through, *self.columns]

    def column(self, name: str) -> Column | None:
        """Return the element column of that name, or None when there is none."""
        return self._by_name.get(name)

    @property
    def required_columns(self) -> list[str]:
        """Return the columns a file must have: unconditionally required elements.

        For a required group with at least one row, that is the first row's unconditionally
        required elements (``print_1_printer``); conditional requirements are checked per row.
        """
        required: list[str] = []
        for name, element in self.definition.elements.items():
            if not element.required or element.applies_when or element.required_when:
                continue
            if isinstance(element, GroupElement):
                required.extend(
                    f"{element.prefix}_1_{child.name}"
                    for child in element.elements
                    if child.required and not (child.applies_when or child.required_when)
                )
            else:
                required.append(name)
        return required

    def header_problems(self, header: Sequence[str]) -> list[str]:
        """Return a message per problem of a header row (unknown, duplicate, missing); [] if none."""
        names = [normalise_column(h) for h in header]
        problems: list[str] = []
        reported: set[str] = set()
        for position, name in enumerate(names, start=1):
            if not name:
                problems.append(
                    f"column {position} has no name: name it after a template column or delete it"
                )
            elif names.count(name) > 1:
                if name not in reported:
                    reported.add(name)
                    problems.append(
                        f"column {_shown(name, position)} appears {names.count(name)} times: keep one"
                    )
            elif not self.knows(name):
                problems.append(self._unknown_message(name, position))
        missing = [c for c in self.required_columns if c not in names]
        if missing:
            problems.append(
                f"required column{'s' if len(missing) > 1 else ''} missing: {', '.join(missing)} "
                "(add them, even if some cells stay empty; the template has every column)"
            )
        return problems

    def to_record(self, row: Mapping[str, str | None]) -> tuple[dict[str, Any], list[Issue]]:
        """Return the record of one flat row and the problems found in its shape ([] if none).

        Empty cells are left out; a group row exists when any of its cells is filled. A gap in a
        group (row 3 filled, row 2 empty) is a ``row_gap`` error: the filled rows are kept in
        order, but the row must be rejected because other fields refer to rows by number.
        Unknown columns are ``unknown_column`` errors; ``_errors`` is ignored.
        """
        cells = {normalise_column(k): (v or "").strip() for k, v in row.items()}
        case_id = cells.get("local_case_id", "")
        key = case_id if safe_echo(case_id) else ""
        issues: list[Issue] = []
        record: dict[str, Any] = {}
        for name in (PASS_THROUGH_COLUMNS[0], STATUS_COLUMN, PASS_THROUGH_COLUMNS[1]):
            if cells.get(name):
                record[name] = cells[name].lower() if name == STATUS_COLUMN else cells[name]
        rows: dict[str, dict[int, dict[str, Any]]] = {}
        for column in self.element_columns:
            text = cells.get(column.name, "")
            value: Any = split_multi(text) if is_multiple(column.element) else text
            reason = cells.get(column_of(column.name), "") if column.element.reasons else ""
            if reason:  # the validator refuses a reason it does not take, or one beside a value
                value = {JSON_KEY: reason, "value": value} if value else {JSON_KEY: reason}
            if not value:
                continue
            if column.group is None:
                record[column.name] = value
            else:
                assert column.row is not None  # noqa: S101 - group columns carry their row
                group_rows = rows.setdefault(column.group.name, {})
                group_rows.setdefault(column.row, {})[column.element.name] = value
        for position, name in enumerate(cells, start=1):
            if not self.knows(name):
                message = self._unknown_message(name, position)
                issues.append(
                    Issue("error", key, _shown(name, position), "unknown_column", message)
                )
        for name, group in self.definition.groups.items():
            filled = rows.get(name)
            if filled:
                record[name] = [filled[n] for n in sorted(filled)]
                issues.extend(_gaps(group, sorted(filled), key))
        return _in_form_order(self.definition, record), issues

    def to_row(self, record: Mapping[str, Any]) -> dict[str, str]:
        """Return a record as a flat row: every layout column, '' when empty.

        ``facility`` and ``definition_version`` are included when the record has them; other
        keys that are not elements (derived values) are left out. Raises ValueError naming the
        column when a group has more rows than the layout or a value of a multi-valued element
        holds a ';'.
        """
        row = dict.fromkeys(self.columns, "")
        for name in PASS_THROUGH_COLUMNS:
            if record.get(name) not in (None, ""):
                row[name] = format_value(record[name])
        row[STATUS_COLUMN] = format_value(record.get(STATUS_COLUMN))
        for name, element in self.definition.elements.items():
            value = record.get(name)
            if not isinstance(element, GroupElement):
                row.update(_cells(element, value, name))
                continue
            group_rows: Sequence[Mapping[str, Any]] = value or []
            if len(group_rows) > element.max_rows:
                raise ValueError(
                    f"{name} has {len(group_rows)} rows; the flat layout holds {element.max_rows}"
                )
            for n, group_row in enumerate(group_rows, start=1):
                for child in element.elements:
                    column = f"{element.prefix}_{n}_{child.name}"
                    row.update(_cells(child, group_row.get(child.name), column))
        return row

    def template_csv(self) -> str:
        """Return the import template: the header row only, comma-separated, CRLF-terminated."""
        buffer = io.StringIO()
        csv.writer(buffer).writerow(self.columns)
        return buffer.getvalue()

    def template_readme(self) -> str:
        """Return the template's companion text (Markdown): every column explained."""
        from printreg.ingest.describe import readme  # noqa: PLC0415 - describe imports layout

        return readme(self)

    def knows(self, name: str) -> bool:
        """Return whether a (normalised) column name is one a file may carry."""
        return (
            name in self._by_name
            or name in self._reasons
            or name == STATUS_COLUMN
            or name in PASS_THROUGH_COLUMNS
            or name in IGNORED_COLUMNS
        )

    def _unknown_message(self, name: str, position: int) -> str:
        shown = _shown(name, position)
        numbered = _NUMBERED.fullmatch(name)
        if numbered and numbered["prefix"] in self._prefixes:
            group = self._prefixes[numbered["prefix"]]
            if int(numbered["row"]) > group.max_rows and any(
                e.name == numbered["element"] for e in group.elements
            ):
                return (
                    f"column {shown}: {group.label} holds at most {group.max_rows} "
                    f"{group.row_label}s, so there is no {group.row_label} {int(numbered['row'])}"
                )
        close = difflib.get_close_matches(name, [*self.columns, *PASS_THROUGH_COLUMNS], n=1)
        hint = f" (did you mean {close[0]}?)" if close and shown == name else ""
        return f"unknown column {shown}{hint}: use the column names of the template"


def _shown(name: str, position: int) -> str:
    """Return a column name fit for a message, or its position when the name looks like data."""
    return name if safe_echo(name) else f"number {position} (its name looks like data)"


def _cells(element: ScalarElement, value: Any, column: str) -> dict[str, str]:
    """Return the cells of one value: its column and, for an element with reasons, the reason's."""
    reason = element.reason_of(value)
    said = reason.code if reason else ""
    if element.reasons and reason is None and isinstance(value, Mapping) and JSON_KEY in value:
        # a raw JSON reason the validator is yet to judge: both cells as given
        said, value = format_value(value[JSON_KEY]), value.get("value")
    cells = {column: _cell(element, None if reason else value, column)}
    if element.reasons:
        cells[column_of(column)] = said
    return cells


def _cell(element: ScalarElement, value: Any, column: str) -> str:
    if value is None:
        return ""
    if is_multiple(element) and isinstance(value, list | tuple):
        return join_multi(value, column)
    return format_value(value)


def _gaps(group: GroupElement, filled: list[int], key: str) -> list[Issue]:
    last = filled[-1]
    word = group.row_label
    return [
        Issue(
            "error",
            key,
            f"{group.name}[{n}]",
            "row_gap",
            f"{group.label}: {word} {n} is empty but {word} {last} is filled: fill {word} {n} or "
            f"move the later {word}s up, keeping other fields that refer to {word}s by number "
            "in step",
        )
        for n in range(1, last)
        if n not in filled
    ]


def _in_form_order(definition: Definition, record: dict[str, Any]) -> dict[str, Any]:
    envelope = {k: v for k, v in record.items() if k not in definition.elements}
    return envelope | {n: record[n] for n in definition.elements if n in record}
