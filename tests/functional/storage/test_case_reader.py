"""The case reader's one-statement read (PostgreSQL) gives what the statement-per-table read gives:
the same records, values of the same types, in the same order (on SQLite both are the latter)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import Boolean, Date, Float, Integer, String, Table, select, update
from tests.functional.api.test_request_cost import statements
from tests.support.records import SYNTH_SEED

from printreg.accounts.actor import Actor
from printreg.demo.synth import load_synthetic
from printreg.dictionary.missing import COLUMN_SUFFIX
from printreg.platform import Platform
from printreg.storage.case_tables import KEY_ELEMENT
from printreg.storage.cases import _SYSTEM, CaseReader, StoredCase

REG = "3dp"
#: doubles whose text is tricky: not exact in binary, integral, huge, tiny, minus zero, not finite
DOUBLES = (0.1 + 0.2, 3.0, 1e20, 5e-324, -0.0, float("inf"), float("nan"), 123456789.12345679)


def _typed(value: Any) -> Any:
    """Return the value with the type of every part spelled out (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return [(key, _typed(v)) for key, v in value.items()]
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


def _case(case: StoredCase) -> Any:
    return _typed({**vars(case)})


#: columns the edge values leave alone: keys, system fields, the local case ID (unique)
KEEP = frozenset({"facility_id", "id", "case_id", "row_no", "ord", KEY_ELEMENT, *_SYSTEM})


def _value_columns(table: Table, kind: type) -> list[str]:
    """Return the table's value columns of a type (no keys, references or reasons)."""
    return [
        c.name
        for c in table.columns
        if isinstance(c.type, kind)
        and not c.foreign_keys
        and c.name not in KEEP
        and not c.name.endswith(COLUMN_SUFFIX)
    ]


def _edge_values(platform: Platform, case_ids: list[uuid.UUID]) -> None:
    """Write what synthetic records may lack into stored cases: reasons for missing data, the
    tricky doubles, far dates, both booleans, text with quotes and non-ASCII letters."""
    tables = platform.registry(REG).tables
    values = {
        Float: DOUBLES,
        Date: (dt.date(1, 1, 1), dt.date(9999, 12, 31)),
        Boolean: (True, False),
        String: ('a "quoted" \\ word', "Zürich ✓"),
        Integer: (-(2**31), 2**31 - 1),
    }
    with platform.sessions() as session, session.begin():
        for n, case_id in enumerate(case_ids):
            for table in tables.all_tables:
                key = "id" if table is tables.main else "case_id"
                changes: dict[str, Any] = {}
                for kind, choices in values.items():
                    for name in _value_columns(table, kind)[:2]:
                        value = choices[n % len(choices)]
                        length = getattr(table.c[name].type, "length", None)
                        changes[name] = value[:length] if isinstance(value, str) else value
                reasons = [c.name for c in table.columns if c.name.endswith(COLUMN_SUFFIX)]
                if reasons and n % 2:
                    changes[reasons[0]] = "not_asked"
                if changes:
                    session.execute(update(table).where(table.c[key] == case_id).values(**changes))


def test_one_statement_reads_what_a_statement_per_table_reads(
    platform: Platform, operator: Actor
) -> None:
    load_synthetic(platform, operator, registry=REG, seed=SYNTH_SEED, facilities=2, cases=60)
    runtime = platform.registry(REG)
    main = runtime.tables.main
    with platform.sessions() as session:
        stored = session.execute(select(main.c.facility_id, main.c.id).order_by(main.c.id)).all()
    _edge_values(platform, [case_id for _, case_id in stored[::7]])
    per_table = CaseReader(runtime.tables, runtime.definitions, one_statement=False)
    by_facility: dict[int, list[uuid.UUID]] = {}
    for facility_id, case_id in stored:
        by_facility.setdefault(facility_id, []).append(case_id)
    assert len(by_facility) == 2
    seen: set[str] = set()
    whole = platform.engine.dialect.name == "postgresql"
    with platform.reads() as session:
        for facility_id, ids in by_facility.items():
            asked = [*ids, uuid.uuid4()]  # an unknown id is left out both ways
            # None: the facility's printer labels, read with the cases; else the caller's
            for labels in (None, {1: "a printer"}):
                expected = per_table.load_many(session, facility_id, asked, labels)
                with statements(platform) as sent:
                    got = runtime.reader.load_many(session, facility_id, asked, labels)
                # PostgreSQL: one statement; elsewhere the labels asked for, then each table
                tables = len(runtime.tables.all_tables) + (labels is None)
                assert len(sent) == (1 if whole else tables), sent
                assert sorted(got) == sorted(expected) == sorted(ids)
                for case_id in ids:
                    assert _case(got[case_id]) == _case(expected[case_id]), case_id
                if labels is None:
                    for case in got.values():
                        seen |= {kind for kind, _ in _flat(_typed(case.record))}
            assert runtime.reader.load(session, facility_id, ids[0], None) is not None
            assert runtime.reader.load(session, facility_id + 1000, ids[0], None) is None
    # the records held every kind of value the tables store, and reasons for missing data
    assert {"float", "int", "str", "date", "bool", "MissingReason", "NoneType"} <= seen, seen


def _flat(typed: Any) -> list[tuple[str, str]]:
    if isinstance(typed, tuple) and len(typed) == 2 and isinstance(typed[0], str):
        if isinstance(typed[1], str):
            return [typed]
        return _flat(typed[1])
    return [leaf for part in typed for leaf in _flat(part)]
