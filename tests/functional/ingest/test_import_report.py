"""The import report guides: problems by line, column and message; stored cases; _errors first."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from tests.support.imports import importer, write_csv
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.imports.report import PROBLEMS_LISTED, STORED_LISTED
from printreg.ingest import FlatLayout
from printreg.platform import Platform

REG = "3dp"
NAME = "Patient: Jane Doe, MRN 48213377"


@pytest.fixture
def layout(seeded: Platform) -> FlatLayout:
    return FlatLayout(seeded.registry(REG).current)


def test_problems_name_line_column_rule_and_message_never_the_value(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 5)
    batch[1]["prints"][0]["scale_pct"] = -5
    batch[3]["indication_text"] = NAME
    errors = tmp_path / "cases.errors.csv"
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "cases.csv", layout, batch), commit=True, error_path=errors
    )
    problems = {p["rule"]: p for p in report.problems}
    scale = problems["range"]
    assert scale["line"] == 3  # header on line 1, the second case on line 3
    assert scale["case"] == batch[1]["local_case_id"]
    assert scale["column"] == "print_1_scale_pct"
    assert "Scale" in scale["message"]
    named = problems["identifier_person_name"]
    assert (named["line"], named["column"]) == (5, "indication_text")
    dumped = json.dumps(report.as_dict())
    assert "Jane" not in dumped
    assert "48213377" not in dumped
    assert report.rejected_ids == [batch[1]["local_case_id"], batch[3]["local_case_id"]]
    stored = [s["case"] for s in report.stored]
    assert stored == [batch[i]["local_case_id"] for i in (0, 2, 4)]
    assert {s["action"] for s in report.stored} == {"new"}
    header = next(csv.reader(io.StringIO(errors.read_text())))
    assert header[0] == "_errors"
    assert header.count("_errors") == 1


def test_a_reuploaded_error_file_keeps_one_errors_column_first(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 2)
    batch[0]["prints"][0]["scale_pct"] = -5
    first = tmp_path / "first.errors.csv"
    importer(seeded, operator).run(
        write_csv(tmp_path / "cases.csv", layout, batch), error_path=first
    )
    second = tmp_path / "second.errors.csv"
    report = importer(seeded, operator).run(first, error_path=second)
    assert report.rejected == 1
    rows = list(csv.reader(io.StringIO(second.read_text())))
    assert rows[0][0] == "_errors"
    assert rows[0].count("_errors") == 1
    assert "scale_pct" in rows[1][0]


def test_json_error_records_start_with_errors_and_problems_name_paths(
    seeded: Platform, operator: Actor, tmp_path: Path
) -> None:
    batch = records("F0001", 2)
    batch[1]["prints"][0]["scale_pct"] = -5
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(r, default=str) + "\n" for r in batch))
    errors = tmp_path / "errors.jsonl"
    report = importer(seeded, operator).run(path, error_path=errors)
    assert report.problems[0]["column"] == "prints[1].scale_pct"
    assert report.problems[0]["line"] == 2
    first = json.loads(errors.read_text().splitlines()[0])
    assert next(iter(first)) == "_errors"


def test_updates_are_listed_and_a_rolled_back_file_lists_nothing_stored(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 3)
    importer(seeded, operator).run(write_csv(tmp_path / "a.csv", layout, batch), commit=True)
    batch[2]["indication_text"] = "Revised after the tumour board"
    batch.append(records("F0001", 4)[3])
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "b.csv", layout, batch), commit=True
    )
    assert sorted((s["case"], s["action"]) for s in report.stored) == sorted(
        [(batch[2]["local_case_id"], "updated"), (batch[3]["local_case_id"], "new")]
    )
    more = records("F0001", 6)[4:]
    more[0]["prints"][0]["scale_pct"] = -5
    whole = importer(seeded, operator).run(
        write_csv(tmp_path / "c.csv", layout, more), commit=True, all_or_nothing=True
    )
    assert whole.rolled_back
    assert whole.stored == []


def test_the_lists_stay_bounded_while_the_counts_cover_every_row(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    n = STORED_LISTED + 80
    batch = records("F0001", n)
    for record in batch[:60]:
        record["prints"][0]["scale_pct"] = -5
        record["organ_system"] = "spleen"
    report = importer(seeded, operator, batch_rows=50).run(
        write_csv(tmp_path / "many.csv", layout, batch)
    )
    assert report.rejected == 60
    assert sum(report.by_rule.values()) >= 120
    assert len(report.problems) == PROBLEMS_LISTED
    assert report.new == n - 60
    assert len(report.stored) == min(STORED_LISTED, n - 60)
