"""The vectorised batch validator and the single-record validator give the same verdict."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import polars as pl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from printreg.dictionary import Definition, load_shipped
from printreg.ingest import FlatLayout
from printreg.synthetic import SyntheticRegistry
from printreg.validation import ValidationContext, validate_record
from printreg.validation.batch import PY_WHITESPACE, BatchValidator

TODAY = dt.date(2026, 6, 30)
TRICKY = [
    "",
    " ",
    "\x1f",  # blank to str.strip, not to polars' whitespace
    "\u3000",
    "x",
    "0",
    "-5",
    "1",
    "2",
    "2.5",
    "20",
    "100",
    "600",
    "60000",
    "unknown",
    "UNKNOWN",
    "yes",
    "no",
    "true",
    "False",
    "2024-01-01",
    "2024-02-30",
    "2999-01-01",
    "01/02/2024",
    "cardiac",
    "Cardiac",
    "anatomic_guide",
    "anatomic_model",
    "not_a_code",
    "ct",
    "ct;mr",
    "ct;ct",
    "1;9",
    "1;2",
    "0559T",
    "0560T",
    "0561T",
    "0562T",
    "upper_extremity",
    "breast",
    "head",
    "surgical_planning",
    "intra_procedure",
    "draft",
    "complete",
    "locked",
    "Patient: Jane Doe",
    "MRN 48213377",
    "jane@example.org",
    "\x00",
    "a" * 600,
    "Q21.0",
    "q21",
]


@cache
def fixture() -> tuple[Definition, FlatLayout, ValidationContext, list[dict[str, str]]]:
    definition = [d for d in load_shipped() if d.registry.code == "3dp"][-1]
    layout = FlatLayout(definition)
    synth = SyntheticRegistry(seed=11, facilities=1, today=TODAY)
    printers = {p.label: p.technology for p in synth.printers}
    context = ValidationContext("F0001", printers, TODAY)
    rows = []
    for _, record in synth.cases(200):
        rows.append(layout.to_row({k: v for k, v in record.items() if k != "facility"}))
    return definition, layout, context, rows


def single_ok(
    definition: Definition, layout: FlatLayout, context: ValidationContext, row: dict[str, str]
) -> bool:
    record, shape = layout.to_record(row)
    return not shape and validate_record(record, definition, context).ok


values = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
mutation = st.tuples(st.integers(min_value=0), values)
case = st.tuples(st.integers(min_value=0, max_value=199), st.lists(mutation, max_size=4))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(case, min_size=1, max_size=30))
@example([(0, [(0, "\x1f")])])  # found by this test: a unit separator is a blank cell
def test_batch_and_single_validators_agree(cases: list[tuple[int, list[tuple[int, str]]]]) -> None:
    definition, layout, context, base = fixture()
    columns = layout.columns
    rows: list[dict[str, Any]] = []
    for index, mutations in cases:
        row = dict(base[index])
        for position, value in mutations:
            row[columns[position % len(columns)]] = value
        rows.append(row)
    frame = pl.DataFrame(
        {c: [r.get(c) or None for r in rows] for c in columns},
        schema=dict.fromkeys(columns, pl.String),
    )
    batch = BatchValidator(definition, context).run(frame).ok.to_list()
    single = [single_ok(definition, layout, context, r) for r in rows]
    assert batch == single


def test_parity_holds_on_unmutated_records_and_sees_real_errors() -> None:
    definition, layout, context, base = fixture()
    rows = [dict(r) for r in base[:50]]
    rows[3]["print_1_scale_pct"] = "-1"
    rows[7]["organ_system"] = "spleen"
    rows[9]["guide_type"] = "cutting" if rows[9]["object_type"] == "anatomic_model" else ""
    columns = layout.columns
    frame = pl.DataFrame(
        {c: [r.get(c) or None for r in rows] for c in columns},
        schema=dict.fromkeys(columns, pl.String),
    )
    batch = BatchValidator(definition, context).run(frame).ok.to_list()
    single = [single_ok(definition, layout, context, r) for r in rows]
    assert batch == single
    assert not batch[3]
    assert not batch[7]
    assert sum(batch) >= 45


def test_blank_means_what_str_strip_means() -> None:
    python = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
    assert python == PY_WHITESPACE
