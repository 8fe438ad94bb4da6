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
    "not_asked",
    " Not asked ",
    "NASK",
    "declined",
    "not_applicable",
    "yes",
    "no",
    "true",
    "False",
    "2024-01-01",
    "2024-02-30",
    "2999-01-01",
    "01/02/2024",
    "02/11/2026",
    "2/11/2026",
    "31/02/2024",
    "13/01/2024",
    "01/13/2024",
    "11.02.2024",
    "02-11-2024",
    "02/11/24",
    "2024/02/11",
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


DATE_TEXTS = st.one_of(
    st.sampled_from([t for t in TRICKY if any(c.isdigit() for c in t)]),
    st.builds(
        lambda a, sep, b, year: f"{a}{sep}{b}{sep}{year}",
        st.integers(0, 40),
        st.sampled_from(["/", ".", "-", " "]),
        st.integers(0, 40),
        st.sampled_from([2023, 2024, 2026, 24, 1999]),
    ),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([None, "DMY", "MDY"]),
    st.lists(st.tuples(st.integers(0, 199), st.integers(0), DATE_TEXTS), min_size=1, max_size=30),
)
@example("DMY", [(0, 0, "31/10/2024"), (1, 0, "10/31/2024"), (2, 1, "29/02/2024")])
def test_local_dates_get_the_same_verdict_from_both_validators(
    order: str | None, cases: list[tuple[int, int, str]]
) -> None:
    definition, layout, context, base = fixture()
    local = ValidationContext(context.facility_code, context.printers, TODAY, date_order=order)
    dates = [c for c in layout.columns if (col := layout.column(c)) and col.element.type == "date"]
    rows: list[dict[str, Any]] = []
    for index, which, text in cases:
        row = dict(base[index])
        row[dates[which % len(dates)]] = text
        rows.append(row)
    frame = pl.DataFrame(
        {c: [r.get(c) or None for r in rows] for c in layout.columns},
        schema=dict.fromkeys(layout.columns, pl.String),
    )
    batch = BatchValidator(definition, local).run(frame).ok.to_list()
    single = [single_ok(definition, layout, local, r) for r in rows]
    assert batch == single


def test_a_local_date_is_read_only_in_the_facility_order() -> None:
    definition, layout, context, base = fixture()
    row = dict(base[0])
    iso = row["request_date"]
    year, month, day = iso.split("-")
    row["request_date"] = f"{day}/{month}/{year}"
    verdicts = {}
    for order in (None, "DMY"):
        local = ValidationContext(context.facility_code, context.printers, TODAY, date_order=order)
        frame = pl.DataFrame(
            {c: [row.get(c) or None] for c in layout.columns},
            schema=dict.fromkeys(layout.columns, pl.String),
        )
        outcome = BatchValidator(definition, local).run(frame)
        verdicts[order] = outcome.ok.to_list() == [True]
        if order == "DMY":
            assert outcome.frame["request_date"].to_list() == [dt.date.fromisoformat(iso)]
    assert verdicts == {None: False, "DMY": True}
