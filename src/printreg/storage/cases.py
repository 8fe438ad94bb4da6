"""Reading and writing cases in the generated tables: one write path for single and bulk writes."""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Insert,
    Select,
    Table,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter, TextClause

from printreg.dictionary import Definition, GroupElement, is_multiple, reason_code, reason_named
from printreg.dictionary.elements import ScalarElement
from printreg.domain.errors import Conflict
from printreg.storage.case_tables import KEY_ELEMENT, CaseTables, column_name, reason_column


def new_case_id() -> uuid.UUID:
    """Return a time-ordered UUID (version 7 layout) so new rows land at the end of indexes."""
    millis = int(dt.datetime.now(dt.UTC).timestamp() * 1000)
    rand = uuid.uuid4().int & ((1 << 74) - 1)
    value = (
        (millis << 80)
        | (0x7 << 76)
        | ((rand >> 62) << 64)
        | (0b10 << 62)
        | (rand & ((1 << 62) - 1))
    )
    return uuid.UUID(int=value)


@dataclass
class StoredCase:
    """A case as stored: system fields, the canonical record and its derived values."""

    id: uuid.UUID
    facility_id: int
    status: str
    definition_version: str
    row_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str
    updated_by: str
    deleted_at: dt.datetime | None = None
    record: dict[str, Any] = field(default_factory=dict)
    derived: dict[str, Any] = field(default_factory=dict)


_SYSTEM = (
    "facility_id",
    "id",
    "status",
    "definition_version",
    "row_version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "deleted_at",
)


@dataclass(frozen=True)
class _Cell:
    """Where one single-valued element goes in its table's row: its value column (a reference
    holds the printer's id), and its reason column when it takes reasons for missing data."""

    name: str
    column: str
    reason_column: str | None
    reference: bool

    @classmethod
    def of(cls, element: ScalarElement) -> _Cell:
        return cls(element.name, column_name(element), reason_column(element),
                   element.references is not None)  # fmt: skip

    def put(self, cells: dict[str, Any], value: Any, printer_ids: Mapping[str, int]) -> None:
        """Add the element's cells for ``value`` (a value, a reason, or None) to a row."""
        reason = reason_code(value)
        if reason is not None:
            value = None  # a reason never goes into the value column
        if self.reference:
            cells[self.column] = printer_ids.get(value) if value is not None else None
        else:
            cells[self.column] = value
        if self.reason_column:
            cells[self.reason_column] = reason


@dataclass(frozen=True)
class _Plan:
    """How one definition's record maps onto the tables, worked out once per writer: the
    single-valued elements of the case row, the lists of values and the groups."""

    main: tuple[_Cell, ...]
    lists: tuple[tuple[str, str], ...]
    """(element, table) of each element holding a list of values."""
    groups: tuple[tuple[str, str, tuple[_Cell, ...], tuple[tuple[str, str], ...]], ...]
    """(group, table, its single-valued elements, (element, table) of its lists)."""
    derived: tuple[str, ...]


class CaseWriter:
    """Turns canonical records into rows of one registry's tables and writes them in batches."""

    def __init__(self, tables: CaseTables, definition: Definition) -> None:
        self.tables = tables
        self.defn = definition
        self._plan = self._make_plan()

    def _make_plan(self) -> _Plan:
        main: list[_Cell] = []
        lists: list[tuple[str, str]] = []
        groups = []
        for name, element in self.defn.elements.items():
            if isinstance(element, GroupElement):
                cells = tuple(_Cell.of(c) for c in element.elements if not is_multiple(c))
                multi = tuple(
                    (c.name, self.tables.multi[(name, c.name)].name)
                    for c in element.elements
                    if is_multiple(c)
                )
                groups.append((name, self.tables.groups[name].name, cells, multi))
            elif is_multiple(element):
                lists.append((name, self.tables.multi[(None, name)].name))
            else:
                main.append(_Cell.of(element))
        derived = tuple(d.name for d in self.defn.derived)
        return _Plan(tuple(main), tuple(lists), tuple(groups), derived)

    def rows(
        self, case: StoredCase, printer_ids: Mapping[str, int]
    ) -> dict[str, list[dict[str, Any]]]:
        """Return the rows of every table for one case, keyed by table name."""
        plan, record, case_id = self._plan, case.record, case.id
        out: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables.all_tables}
        key = {"facility_id": case.facility_id}
        main = {name: getattr(case, name) for name in _SYSTEM}
        for cell in plan.main:
            cell.put(main, record.get(cell.name), printer_ids)
        for name, table in plan.lists:
            out[table] += [
                {**key, "case_id": case_id, "ord": i, "value": v}
                for i, v in enumerate(record.get(name) or [], start=1)
            ]
        for name, table, group_cells, group_lists in plan.groups:
            for row_no, row in enumerate(record.get(name) or [], start=1):
                cells = {**key, "case_id": case_id, "row_no": row_no}
                for child, multi in group_lists:
                    out[multi] += [
                        {**key, "case_id": case_id, "row_no": row_no, "ord": i, "value": v}
                        for i, v in enumerate(row.get(child) or [], start=1)
                    ]
                for cell in group_cells:
                    cell.put(cells, row.get(cell.name), printer_ids)
                out[table].append(cells)
        main.update({name: case.derived.get(name) for name in plan.derived})
        out[self.tables.main.name].append(main)
        return out

    def insert(
        self,
        session: Session,
        cases: Sequence[StoredCase],
        printer_ids: Mapping[int, Mapping[str, int]],
    ) -> None:
        """Insert new cases, all tables in executemany batches; printer ids keyed by facility."""
        batches: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables.all_tables}
        for case in cases:
            for name, rows in self.rows(case, printer_ids.get(case.facility_id, {})).items():
                batches[name] += rows
        for table in self.tables.all_tables:
            if batches[table.name]:
                session.execute(insert(table), batches[table.name])

    def insert_new(
        self, session: Session, case: StoredCase, printer_ids: Mapping[str, int]
    ) -> bool:
        """Insert one new case, unless its facility already has a case with its local case ID
        (then nothing is written); return whether it was inserted.

        One statement both checks and writes the case row: a check made before the insert
        costs a round trip, and two writers racing for the same ID could both pass it (the
        later one now waits for the earlier one's commit, then skips). On PostgreSQL that one
        statement writes the other tables' rows too (:func:`_insert_whole_case`); elsewhere
        each filled table takes one statement more."""
        rows = self.rows(case, printer_ids)
        main = self.tables.main
        dialect = session.get_bind().dialect
        if dialect.name == "postgresql":
            tables = self.tables.all_tables
            documents = _json_documents([rows[t.name] for t in tables])
            if documents is not None:
                whole = _insert_whole_case(tuple(tables), dialect)
                return bool(session.execute(whole, documents).scalar_one())
        statement = _insert_or_skip(main, dialect.name)
        result = session.execute(statement, rows[main.name][0])
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        for table in self.tables.all_tables:
            if table is not main and rows[table.name]:
                session.execute(insert(table), rows[table.name])
        return True

    def replace(self, session: Session, case: StoredCase, printer_ids: Mapping[str, int]) -> None:
        """Overwrite a stored case whose row_version is one less than ``case.row_version``.

        Raises Conflict when someone else changed the case in between (optimistic locking).
        """
        rows = self.rows(case, printer_ids)
        main = self.tables.main
        values = dict(rows[main.name][0])
        for name in ("facility_id", "id", "created_at", "created_by"):
            values.pop(name)
        result = session.execute(
            update(main)
            .where(
                main.c.facility_id == case.facility_id,
                main.c.id == case.id,
                main.c.row_version == case.row_version - 1,
            )
            .values(**values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict("the case was changed by someone else meanwhile: reload it and retry")
        for table in [*self.tables.groups.values(), *self.tables.multi.values()]:
            session.execute(
                delete(table).where(
                    table.c.facility_id == case.facility_id, table.c.case_id == case.id
                )
            )
            if rows[table.name]:
                session.execute(insert(table), rows[table.name])


def _json_default(value: object) -> str:
    """Return the JSON text of a cell json.dumps does not know (ids, times, decimals)."""
    if isinstance(value, uuid.UUID | dt.date | dt.datetime | dt.time):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _json_documents(rows: Sequence[list[dict[str, Any]]]) -> dict[str, str] | None:
    """Return the parameters of :func:`_insert_whole_case`: the case row as a JSON object and
    each other table's rows as a JSON array, in table order; None when a value has no exact
    JSON form (a non-finite number), for the statement-per-table path."""
    try:
        return {
            f"t{n}": json.dumps(
                table_rows[0] if n == 0 else table_rows,
                default=_json_default,
                allow_nan=False,
                separators=(",", ":"),
            )
            for n, table_rows in enumerate(rows)
        }
    except (TypeError, ValueError):
        return None


@functools.lru_cache(maxsize=64)
def _insert_whole_case(tables: tuple[Table, ...], dialect: Dialect) -> TextClause:
    """Return one PostgreSQL statement that writes a whole new case, or nothing when its
    facility already has the local case ID: the case row (``t0``, a JSON object) and the rows
    of every other table (``t1``..., JSON arrays) become rows of each table's own row type, so
    the server converts every value to its column's type; it answers 1 when written, else 0.

    One round trip and one statement instead of one per filled table: under load a create's
    cost was mostly its statements (bench/create_cost.py, docs/performance.md). The tables'
    foreign keys are checked at the end of the statement, after the case row is in."""
    # Only the tables' names, quoted by the dialect, go into the text; every value is bound.
    quote = dialect.identifier_preparer.format_table
    main = quote(tables[0])
    parts = [
        (
            f"t0 AS (INSERT INTO {main} SELECT * FROM json_populate_record(NULL::{main}, "  # noqa: S608
            f"CAST(:t0 AS json)) ON CONFLICT (facility_id, {KEY_ELEMENT}) DO NOTHING RETURNING 1)"
        )
    ]
    for n, table in enumerate(tables[1:], start=1):
        name = quote(table)
        parts.append(
            f"t{n} AS (INSERT INTO {name} SELECT r.* FROM json_populate_recordset("  # noqa: S608
            f"NULL::{name}, CAST(:t{n} AS json)) AS r WHERE EXISTS (SELECT FROM t0))"
        )
    return text("WITH " + ",\n".join(parts) + "\nSELECT count(*) FROM t0")


@functools.lru_cache(maxsize=64)
def _insert_or_skip(main: Table, dialect: str) -> Insert:
    """Return the insert of a case row that does nothing when the facility already has the local
    case ID (its unique key), built once per case table and dialect (PostgreSQL and SQLite
    share the syntax; only the dialect in use is imported)."""
    insert_of = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert
    statement: Insert = (
        insert_of(main)
        .on_conflict_do_nothing(index_elements=["facility_id", KEY_ELEMENT])
        .execution_options(preserve_rowcount=True)  # an INSERT's row count is not kept otherwise
    )
    return statement


class CaseReader:
    """Reads stored cases back into canonical records, a few queries per batch of cases (one
    on PostgreSQL)."""

    def __init__(
        self,
        tables: CaseTables,
        definitions: Mapping[str, Definition],
        *,
        one_statement: bool = True,
    ) -> None:
        """Build the reader's statements; ``one_statement`` False: a statement per table on
        PostgreSQL too (the tests compare both ways)."""
        self.tables = tables
        self.definitions = definitions
        # The statements are built once: building SQLAlchemy expressions anew for each read
        # cost about as much as running them (bench/api.py). Parameters: facility_id, ids.
        facility: BindParameter[int] = bindparam("facility_id")
        ids: BindParameter[list[uuid.UUID]] = bindparam("ids", expanding=True)
        main = tables.main
        self._main = select(main).where(main.c.facility_id == facility, main.c.id.in_(ids))
        self._multi = {
            key: select(table.c.case_id, table.c.value)
            .where(table.c.facility_id == facility, table.c.case_id.in_(ids))
            .order_by(table.c.case_id, table.c.ord)
            if key[0] is None
            else select(table.c.case_id, table.c.row_no, table.c.value)
            .where(table.c.facility_id == facility, table.c.case_id.in_(ids))
            .order_by(table.c.case_id, table.c.row_no, table.c.ord)
            for key, table in tables.multi.items()
        }
        self._groups = {
            name: select(table)
            .where(table.c.facility_id == facility, table.c.case_id.in_(ids))
            .order_by(table.c.case_id, table.c.row_no)
            for name, table in tables.groups.items()
        }
        printers = tables.metadata.tables["printers"]
        self._labels = select(printers.c.id, printers.c.label).where(
            printers.c.facility_id == facility
        )
        self._whole = _WholeCase.of(tables, self._main, printers) if one_statement else None

    def load(
        self,
        session: Session,
        facility_id: int,
        case_id: uuid.UUID,
        printer_labels: Mapping[int, str] | None,
    ) -> StoredCase | None:
        """Return the stored case, or None when the facility has no case with that id;
        ``printer_labels`` None: the facility's printers', read with the case."""
        return self.load_many(session, facility_id, [case_id], printer_labels).get(case_id)

    def load_many(
        self,
        session: Session,
        facility_id: int,
        case_ids: Sequence[uuid.UUID],
        printer_labels: Mapping[int, str] | None,
    ) -> dict[uuid.UUID, StoredCase]:
        """Return the facility's cases among ``case_ids`` (missing ids are left out), by id;
        ``printer_labels`` (printer id → label) None: the facility's printers', read here.

        On PostgreSQL one statement reads the case rows with every other table's rows of each
        case (:class:`_WholeCase`): one round trip and one statement's driver and SQLAlchemy
        work instead of one per table, which were most of a case read's CPU (bench/read_cost.py).
        Elsewhere each table takes a statement."""
        if not case_ids:
            return {}
        params = {"facility_id": facility_id, "ids": list(case_ids)}
        if self._whole is not None and session.get_bind().dialect.name == "postgresql":
            return self._load_whole(session, params, printer_labels)
        if printer_labels is None:
            printer_labels = dict(session.execute(self._labels, params).all())
        rows = session.execute(self._main, params).mappings().all()
        cases = self._cases(rows, printer_labels)
        if not cases:
            return cases
        params["ids"] = list(cases)
        for (group_name, name), statement in self._multi.items():
            if group_name is not None:
                continue
            for case_id, value in session.execute(statement, params).all():
                if name in cases[case_id].record:
                    cases[case_id].record[name].append(value)
        for group_name, group_statement in self._groups.items():
            nested: dict[tuple[uuid.UUID, int, str], list[Any]] = {}
            for (holder, name), statement in self._multi.items():
                if holder != group_name:
                    continue
                for case_id, row_no, value in session.execute(statement, params).all():
                    nested.setdefault((case_id, row_no, name), []).append(value)
            group_rows = session.execute(group_statement, params).mappings().all()
            self._add_group(cases, group_name, group_rows, nested, printer_labels)
        return cases

    def _cases(
        self, rows: Sequence[Mapping[Any, Any]], printer_labels: Mapping[int, str]
    ) -> dict[uuid.UUID, StoredCase]:
        """Return the cases of case rows, by id, their lists and groups still empty."""
        cases: dict[uuid.UUID, StoredCase] = {}
        for row in rows:
            definition = self.definitions[row["definition_version"]]
            case = StoredCase(**{name: row[name] for name in _SYSTEM})
            for name, element in definition.elements.items():
                if isinstance(element, GroupElement) or is_multiple(element):
                    case.record[name] = []
                else:
                    case.record[name] = _value(element, row, printer_labels)
            case.derived = {d.name: row[d.name] for d in definition.derived}
            cases[case.id] = case
        return cases

    def _add_group(
        self,
        cases: Mapping[uuid.UUID, StoredCase],
        group_name: str,
        group_rows: Sequence[Mapping[Any, Any]],
        nested: Mapping[tuple[uuid.UUID, int, str], list[Any]],
        printer_labels: Mapping[int, str],
    ) -> None:
        """Append a group's rows (ordered by case and row number) to their cases' records,
        with the lists of values ``nested`` holds by (case id, row number, element)."""
        for row in group_rows:
            case = cases[row["case_id"]]
            group = self.definitions[case.definition_version].groups.get(group_name)
            if group is None:
                continue
            record: dict[str, Any] = {}
            for child in group.elements:
                if is_multiple(child):
                    record[child.name] = nested.get((case.id, row["row_no"], child.name), [])
                else:
                    record[child.name] = _value(child, row, printer_labels)
            case.record[group_name].append(record)

    def _load_whole(
        self,
        session: Session,
        params: dict[str, Any],
        printer_labels: Mapping[int, str] | None,
    ) -> dict[uuid.UUID, StoredCase]:
        """Return the cases as ``load_many`` does, read with :class:`_WholeCase`'s statement."""
        whole = self._whole
        assert whole is not None  # noqa: S101 - load_many checked it
        statement = whole.with_labels if printer_labels is None else whole.plain
        rows = session.execute(statement, params).mappings().all()
        if printer_labels is None:
            found = rows[0][_LABELS] if rows else None
            printer_labels = {int(k): v for k, v in (found or {}).items()}
        cases = self._cases([whole.case_row(row) for row in rows], printer_labels)
        for row in rows:
            case = cases[row["id"]]
            for (group_name, name), column in whole.lists.items():
                if group_name is None and name in case.record:
                    case.record[name] += whole.values((group_name, name), row[column] or [])
        for group_name, column in whole.groups.items():
            group_rows: list[Mapping[Any, Any]] = []
            nested: dict[tuple[uuid.UUID, int, str], list[Any]] = {}
            for row in rows:
                case_id = row["id"]
                for (holder, name), lists in whole.lists.items():
                    if holder != group_name:
                        continue
                    for row_no, value in whole.values((holder, name), row[lists] or []):
                        nested.setdefault((case_id, row_no, name), []).append(value)
                group_rows += whole.group_rows(group_name, case_id, row[column] or [])
            self._add_group(cases, group_name, group_rows, nested, printer_labels)
        return cases


_LABELS = "_printer_labels"
#: the case table's columns the one-statement read selects as they are: the system fields and
#: the local case ID (which shows what the row is to one reading the statement's answer)
_PLAIN = (*_SYSTEM, KEY_ELEMENT)


def _from_json(column: Column[Any]) -> Callable[[Any], Any] | None:
    """Return what turns a column's value, as PostgreSQL writes it in JSON, back into the
    value the driver gives for the column: the identity for whole numbers, text and booleans,
    float() for doubles (written as text with every digit, :func:`_as_json`), the ISO date
    parser for dates; None for a type JSON does not carry exactly (the reader then keeps a
    statement per table)."""
    python_type = column.type.python_type
    if python_type in (int, str, bool):
        return _same
    if python_type is float:
        return float  # from the text _as_json writes
    if python_type is dt.date:
        return dt.date.fromisoformat
    return None


def _same(value: Any) -> Any:
    return value


def _as_json(column: Column[Any]) -> Any:
    """Return the column as it goes into the JSON arrays: a double as its text (a JSON number
    would turn -0.0 into 0 and has no NaN or infinity; float() reads the text back exactly),
    any other column as it is."""
    return cast(column, Text) if column.type.python_type is float else column


@dataclass(frozen=True)
class _WholeCase:
    """The PostgreSQL statement that reads whole cases: each case row (its ``_PLAIN`` columns
    as they are, its other values as JSON arrays of at most 100 columns each: fewer columns for the
    driver and SQLAlchemy to describe and convert), and for each other table a column holding
    that case's rows of it as a JSON array, in the order of the per-table statements (a list's
    values by ``ord``; a group's rows by ``row_no``, each the array of its columns; a group's
    lists as [row_no, value] pairs). ``with_labels`` adds a column of the facility's printer
    labels (a JSON object, id → label)."""

    plain: Select[Any]
    with_labels: Select[Any]
    lists: dict[tuple[str | None, str], str]
    """(group or None, element) → the column of its values"""
    groups: dict[str, str]
    """group → the column of its rows"""
    converters: dict[str, tuple[tuple[str, Callable[[Any], Any]], ...]]
    """table name → (column, converter) of each value column, in the JSON arrays' order"""
    tables: CaseTables
    main_values: tuple[tuple[str, tuple[tuple[str, Callable[[Any], Any]], ...]], ...]
    """(JSON column, (case table column, converter) of each of its values) of the case row"""

    @classmethod
    def of(cls, tables: CaseTables, main_select: Select[Any], printers: Table) -> _WholeCase | None:
        """Return the statements for the tables, None when a column's type has no exact JSON
        form (:func:`_from_json`)."""
        from sqlalchemy.dialects.postgresql import aggregate_order_by  # noqa: PLC0415

        main = tables.main
        key = ("facility_id", "case_id")
        converters: dict[str, tuple[tuple[str, Callable[[Any], Any]], ...]] = {}
        for table in tables.all_tables:
            pairs = []
            for column in table.columns:
                if column.name in (_PLAIN if table is main else key):
                    continue
                convert = _from_json(column)
                if convert is None:
                    return None
                pairs.append((column.name, convert))
            converters[table.name] = tuple(pairs)

        def rows_of(table: Table, value: Any, *order: Any) -> Any:
            return (
                select(func.json_agg(aggregate_order_by(value, *order)))
                .where(table.c.facility_id == main.c.facility_id, table.c.case_id == main.c.id)
                .correlate(main)
                .scalar_subquery()
            )

        columns = []
        lists: dict[tuple[str | None, str], str] = {}
        groups: dict[str, str] = {}
        for n, (group_key, table) in enumerate(tables.multi.items()):
            lists[group_key] = f"_list_{n}"
            if group_key[0] is None:
                subquery = rows_of(table, _as_json(table.c.value), table.c.ord)
            else:
                pair = func.json_build_array(table.c.row_no, _as_json(table.c.value))
                subquery = rows_of(table, pair, table.c.row_no, table.c.ord)
            columns.append(subquery.label(lists[group_key]))
        for n, (name, table) in enumerate(tables.groups.items()):
            groups[name] = f"_group_{n}"
            cells = [_as_json(table.c[c]) for c, _ in converters[table.name]]
            if len(cells) > _MAX_ARGUMENTS:  # json_build_array takes at most 100
                return None
            subquery = rows_of(table, func.json_build_array(*cells), table.c.row_no)
            columns.append(subquery.label(groups[name]))
        values = converters.pop(main.name)
        chunks = [values[at : at + _MAX_ARGUMENTS] for at in range(0, len(values), _MAX_ARGUMENTS)]
        main_values = tuple((f"_case_{n}", chunk) for n, chunk in enumerate(chunks))
        packed = [
            func.json_build_array(*(_as_json(main.c[name]) for name, _ in chunk)).label(label)
            for label, chunk in main_values
        ]
        system = [main.c[name] for name in _PLAIN]
        plain = main_select.with_only_columns(*system, *packed, *columns)
        labels = (
            select(func.json_object_agg(printers.c.id, printers.c.label))
            .where(printers.c.facility_id == main.c.facility_id)
            .correlate(main)
            .scalar_subquery()
            .label(_LABELS)
        )
        return cls(plain, plain.add_columns(labels), lists, groups, converters, tables, main_values)

    def case_row(self, row: Mapping[Any, Any]) -> dict[str, Any]:
        """Return a case row as the per-table statement gives it, from the JSON arrays."""
        out = {name: row[name] for name in _PLAIN}
        for label, cells in self.main_values:
            for (name, convert), v in zip(cells, row[label], strict=True):
                out[name] = None if v is None else convert(v)
        return out

    def values(self, key: tuple[str | None, str], found: list[Any]) -> list[Any]:
        """Return a list's values from its JSON column: values, or (row_no, value) pairs."""
        table = self.tables.multi[key]
        convert = self.converters[table.name][-1][1]
        if key[0] is None:
            return [convert(v) for v in found]
        return [(row_no, convert(v)) for row_no, v in found]

    def group_rows(
        self, group: str, case_id: uuid.UUID, found: list[list[Any]]
    ) -> list[dict[str, Any]]:
        """Return a case's rows of a group table, as the per-table statement gives them."""
        cells = self.converters[self.tables.groups[group].name]
        return [
            {"case_id": case_id}
            | {
                name: None if v is None else convert(v)
                for (name, convert), v in zip(cells, row, strict=True)
            }
            for row in found
        ]


_MAX_ARGUMENTS = 100


def _value(
    element: ScalarElement, row: Mapping[Any, Any], printer_labels: Mapping[int, str]
) -> Any:
    column = reason_column(element)
    if column and row[column] is not None:
        return reason_named(row[column])
    if element.references is not None:
        ref = row[column_name(element)]
        return printer_labels.get(ref) if ref is not None else None
    return row[element.name]


@dataclass(frozen=True)
class CaseQuery:
    """Filters for listing cases; ``where`` matches scalar element values exactly."""

    facility_ids: Sequence[int] | None = None
    status: str | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    search: str | None = None
    include_deleted: bool = False
    only_deleted: bool = False
    limit: int = 50
    after: tuple[dt.datetime, uuid.UUID] | None = None  # keyset cursor: last (updated_at, id)


def list_query(
    tables: CaseTables,
    definition: Definition,
    query: CaseQuery,
    columns: Sequence[str] | None = None,
) -> Select[Any]:
    """Return the SELECT for a page of cases, newest change first (keyset pagination): of the
    case table's ``columns`` (default: all of them)."""
    main = tables.main
    # A page of summaries needs a few of the case table's dozens of columns: fetching and
    # converting all of them was most of a list's database time (bench/api.py).
    stmt = select(*(main.c[name] for name in columns)) if columns is not None else select(main)
    if query.facility_ids is not None:
        stmt = stmt.where(main.c.facility_id.in_(list(query.facility_ids)))
    if query.only_deleted:
        stmt = stmt.where(main.c.deleted_at.is_not(None))
    elif not query.include_deleted:
        stmt = stmt.where(main.c.deleted_at.is_(None))
    if query.status:
        stmt = stmt.where(main.c.status == query.status)
    for name, value in query.where.items():
        stmt = stmt.where(main.c[name] == value)
    if definition.case_date and (query.date_from or query.date_to):
        column = main.c[definition.case_date]
        if query.date_from:
            stmt = stmt.where(column >= query.date_from)
        if query.date_to:
            stmt = stmt.where(column <= query.date_to)
    if query.search:
        needle = query.search.lower()
        stmt = stmt.where(func.lower(main.c.local_case_id).contains(needle, autoescape=True))
    if query.after is not None:
        at, last_id = query.after
        stmt = stmt.where(
            or_(main.c.updated_at < at, and_(main.c.updated_at == at, main.c.id < last_id))
        )
    return stmt.order_by(main.c.updated_at.desc(), main.c.id.desc()).limit(query.limit)


def list_statement(
    tables: CaseTables,
    definition: Definition,
    query: CaseQuery,
    columns: Sequence[str],
) -> tuple[Select[Any], dict[str, Any]]:
    """Return the SELECT ``list_query`` builds for a page of cases, with its parameters: the
    statement built once per kind of query (which filters it has, not their values), since
    building it anew cost about as much as running it (bench/read_cost.py); a search builds
    its statement anew (its pattern is escaped as the statement is built)."""
    if query.search:
        return list_query(tables, definition, query, columns), {}
    dated = bool(definition.case_date and (query.date_from or query.date_to))
    statement = _list_shape(
        tables.main,
        tuple(columns),
        definition.case_date if dated else None,
        scoped=query.facility_ids is not None,
        deleted="only" if query.only_deleted else "also" if query.include_deleted else "no",
        status=bool(query.status),
        where=tuple(query.where),
        date_from=dated and query.date_from is not None,
        date_to=dated and query.date_to is not None,
        after=query.after is not None,
    )
    params: dict[str, Any] = {f"where_{n}": v for n, v in enumerate(query.where.values())}
    params |= {"limit": query.limit, "status": query.status, "facility_ids": query.facility_ids}
    params |= {"date_from": query.date_from, "date_to": query.date_to}
    if query.after is not None:
        params |= {"after_at": query.after[0], "after_id": query.after[1]}
    return statement, params


@functools.lru_cache(maxsize=256)
def _list_shape(
    main: Table,
    columns: tuple[str, ...],
    case_date: str | None,
    *,
    scoped: bool,
    deleted: str,
    status: bool,
    where: tuple[str, ...],
    date_from: bool,
    date_to: bool,
    after: bool,
) -> Select[Any]:
    """Return the statement of :func:`list_statement` for one kind of query, the values bound
    by name (``facility_ids``, ``status``, ``where_<n>``, ``date_from``, ``date_to``,
    ``after_at``, ``after_id``, ``limit``); it filters as :func:`list_query` does."""
    stmt = select(*(main.c[name] for name in columns))
    if scoped:
        stmt = stmt.where(main.c.facility_id.in_(bindparam("facility_ids", expanding=True)))
    if deleted == "only":
        stmt = stmt.where(main.c.deleted_at.is_not(None))
    elif deleted == "no":
        stmt = stmt.where(main.c.deleted_at.is_(None))
    if status:
        stmt = stmt.where(main.c.status == bindparam("status"))
    for n, name in enumerate(where):
        stmt = stmt.where(main.c[name] == bindparam(f"where_{n}"))
    if case_date is not None:
        if date_from:
            stmt = stmt.where(main.c[case_date] >= bindparam("date_from"))
        if date_to:
            stmt = stmt.where(main.c[case_date] <= bindparam("date_to"))
    if after:
        at: BindParameter[dt.datetime] = bindparam("after_at")
        last_id: BindParameter[uuid.UUID] = bindparam("after_id")
        stmt = stmt.where(
            or_(main.c.updated_at < at, and_(main.c.updated_at == at, main.c.id < last_id))
        )
    return stmt.order_by(main.c.updated_at.desc(), main.c.id.desc()).limit(bindparam("limit"))
