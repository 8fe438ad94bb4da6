"""The extract file: only the approved columns, typed, dates as quarters, pseudonymous sites."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from printreg.dictionary import UNKNOWN, Definition, load_shipped
from printreg.research import ExtractLayout, extract_codebook, pseudonym, write_extract
from printreg.research.extract import ExtractSource


@pytest.fixture(scope="module")
def definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


def test_the_extract_holds_what_was_approved(definition: Definition, tmp_path: Path) -> None:
    approved = ["request_date", "organ_system", "prints.scale_pct", "effort_cad_clinician_min",
                "source_modalities", "turnaround_days"]  # fmt: skip
    layout = ExtractLayout(definition, approved)
    record = {
        "local_case_id": "HOSP-1", "request_date": dt.date(2025, 5, 17),
        "organ_system": "cardiac", "source_modalities": ["ct", "mr"],
        "effort_cad_clinician_min": UNKNOWN, "indication_text": "secret",
        "prints": [{"scale_pct": 100, "material": "PLA", "printer": "J750"}],
    }  # fmt: skip
    secret = b"k" * 32
    sources = [ExtractSource(3, record, {"turnaround_days": 4}),
               ExtractSource(5, {**record, "prints": []}, {"turnaround_days": None})]  # fmt: skip
    path = tmp_path / "x.parquet"
    assert write_extract(sources, layout, secret, path) == 2
    table = pq.read_table(path)
    names = table.column_names
    assert names[:2] == ["row_id", "facility"]
    assert "print_1_scale_pct" in names
    assert "print_5_scale_pct" in names
    assert not [n for n in names if "material" in n or "printer" in n or "local" in n]
    rows = table.to_pylist()
    assert rows[0]["request_date"] == "2025-Q2"
    assert rows[0]["facility"] == pseudonym(secret, 3) != rows[1]["facility"]
    assert rows[0]["effort_cad_clinician_min"] is None
    assert rows[0]["effort_cad_clinician_min__missing"] == "unknown"
    assert rows[0]["source_modalities"] == ["ct", "mr"]
    assert rows[0]["print_1_scale_pct"] == 100.0
    assert rows[1]["print_1_scale_pct"] is None
    book = extract_codebook(layout, {"id": "r"}, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    described = {c["column"]: c for c in book["columns"]}
    assert described["request_date"]["type"] == "year_quarter"
    reason = described["effort_cad_clinician_min__missing"]
    assert reason["element"] == "effort_cad_clinician_min"
    assert [c["code"] for c in reason["codes"]] == ["unknown"]
    assert {w["element"] for w in book["deidentification"]["withheld"]} >= {"local_case_id"}


def test_an_element_that_may_not_leave_cannot_be_laid_out(definition: Definition) -> None:
    with pytest.raises(ValueError, match="indication_text"):
        ExtractLayout(definition, ["indication_text"])


@pytest.mark.parametrize("registry", ["3dp", "gsae"])
def test_ages_of_90_and_over_leave_only_as_90_or_older(registry: str, tmp_path: Path) -> None:
    shipped = next(d for d in load_shipped() if d.registry.code == registry)
    age = "patient_age_years"
    layout = ExtractLayout(shipped, [age])
    ages = [0.5, 17, 89, 89.99, 90, 91, 104, 120, None]
    sources = [ExtractSource(1, {age: a}, {}) for a in ages]
    if registry == "gsae":
        sources = [ExtractSource(1, {age: int(a)}, {}) for a in ages if a is not None]
    path = tmp_path / "ages.parquet"
    write_extract(sources, layout, b"k" * 32, path)
    rows = pq.read_table(path).to_pylist()
    released = [r[age] for r in rows]
    flags = [r[f"{age}_90_or_older"] for r in rows]
    assert not [a for a in released if a is not None and a >= 90]
    expected_old = [a is not None and a >= 90 for a in (s.record[age] for s in sources)]
    assert [f is True for f in flags] == expected_old
    assert [a for a in released if a is not None] == [
        s.record[age] for s in sources if s.record[age] is not None and s.record[age] < 90
    ]
    book = extract_codebook(layout, {"id": "r"}, None, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    described = {c["column"]: c for c in book["columns"]}
    assert described[age]["top_coded"]["flag"] == f"{age}_90_or_older"
    assert "90 or older" in book["deidentification"]["ages"]
