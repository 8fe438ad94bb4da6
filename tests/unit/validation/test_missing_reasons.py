"""Reasons for missing data in validation: one shape per channel, value XOR reason, both validators."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from printreg.dictionary import MissingReason, load_definition_text
from printreg.ingest import FlatLayout
from printreg.validation import ValidationContext, ValidationResult, validate_record
from printreg.validation.batch import BatchValidator
from printreg.validation.shape import to_json_record

TODAY = dt.date(2026, 6, 30)
DEFINITION = load_definition_text(
    """\
registry: {code: mr, name: Missing reasons}
version: 1.0.0
value_sets:
  side: {label: Side, values: [{code: left, label: Left}, {code: right, label: Right}]}
sections:
  - code: main
    label: Main
    elements:
      - {name: local_case_id, label: Case, type: text, required: true}
      - {name: minutes, label: Minutes, type: integer, min: 0, max: 600, required: true,
         missing_reasons: [not_asked, declined]}
      - {name: legacy, label: Legacy, type: decimal, unknown_allowed: true}
      - {name: side, label: Side, type: code, value_set: side, missing_reasons: [unknown]}
      - {name: remark, label: Remark, type: text, missing_reasons: [declined]}
      - {name: count, label: Count, type: integer}
      - name: parts
        label: Parts
        type: group
        max_rows: 2
        elements:
          - {name: size, label: Size, type: decimal, min: 0, missing_reasons: [not_applicable]}
          - {name: shade, label: Shade, type: code, value_set: side}
""",
    "mr.yaml",
)
CONTEXT = ValidationContext("F0001", {}, TODAY)


def check(record: dict[str, Any], mode: Any = "complete") -> ValidationResult:
    return validate_record({"local_case_id": "C1", **record}, DEFINITION, CONTEXT, mode=mode)


def rules(result: ValidationResult, path: str) -> list[str]:
    return [i.rule for i in result.issues if i.path == path]


@pytest.mark.parametrize(
    ("name", "raw", "code"),
    [
        ("minutes", {"missing": "not_asked"}, "not_asked"),
        ("minutes", {"missing": " Declined "}, "declined"),
        ("minutes", {"missing": "NASK"}, "not_asked"),  # REDCap's code for it
        ("legacy", "unknown", "unknown"),  # the bare string of records before reasons
        ("legacy", " UNKNOWN ", "unknown"),
        ("legacy", {"missing": "unknown"}, "unknown"),
        ("side", {"missing": "UNK"}, "unknown"),
        ("remark", {"missing": "declined"}, "declined"),
        ("minutes", MissingReason("declined"), "declined"),  # canonical, as stored
    ],
)
def test_a_reason_is_read_in_place_of_the_value(name: str, raw: Any, code: str) -> None:
    result = check({"minutes": 5, name: raw})
    assert result.ok, result.issues
    assert result.record[name] is MissingReason(code)
    assert to_json_record(DEFINITION, result.record)[name] == {"missing": code}


@pytest.mark.parametrize(
    ("name", "raw", "rule"),
    [
        ("minutes", {"missing": "unknown"}, "missing_reason"),  # not one it takes
        ("count", {"missing": "unknown"}, "missing_reason"),  # it takes none
        ("minutes", {"missing": "later"}, "missing_reason"),
        ("minutes", {"missing": 3}, "missing_reason"),
        ("minutes", {"missing": "declined", "why": "x"}, "missing_reason"),
        ("minutes", {"missing": "declined", "value": "12"}, "missing_and_value"),
        ("minutes", "not_asked", "type"),  # a bare reason is not a number
        ("count", "unknown", "type"),
    ],
)
def test_a_reason_the_element_does_not_take_is_refused(name: str, raw: Any, rule: str) -> None:
    result = check({"minutes": 5, name: raw})
    assert rules(result, name) == [rule]
    assert result.record[name] is None


def test_a_bare_word_never_becomes_a_reason_outside_numbers() -> None:
    """'unknown' typed into a code or a text stays what it is: a code to look up, a text."""
    result = check({"minutes": 5, "side": "unknown", "remark": "declined"})
    assert rules(result, "side") == ["value_set"]
    assert result.record["remark"] == "declined"


def test_a_reason_answers_a_required_element_and_counts_as_given() -> None:
    assert rules(check({}), "minutes") == ["required"]
    answered = check({"minutes": {"missing": "not_asked"}})
    assert answered.ok
    refused = check({"minutes": {"missing": "unknown"}})
    assert rules(refused, "minutes") == ["missing_reason"]  # refused, not also "required"


def test_a_group_cell_takes_its_own_reasons() -> None:
    result = check({"minutes": 1, "parts": [{"size": {"missing": "not_applicable"}},
                                             {"size": {"missing": "declined"}}]})  # fmt: skip
    assert rules(result, "parts[2].size") == ["missing_reason"]
    assert result.record["parts"][0]["size"] is MissingReason("not_applicable")


# -- flat files: the sibling column <column>__missing, and the batch validator ------------------

LAYOUT = FlatLayout(DEFINITION)


def test_the_layout_puts_each_reason_column_after_its_value() -> None:
    columns = LAYOUT.columns
    assert columns.index("minutes__missing") == columns.index("minutes") + 1
    assert columns.index("parts_2_size__missing") == columns.index("parts_2_size") + 1
    assert "count__missing" not in columns
    assert "parts_1_shade__missing" not in columns
    assert LAYOUT.header_problems([*columns]) == []
    assert LAYOUT.header_problems(["local_case_id", "count__missing"]) != []


def test_a_flat_row_and_a_record_hold_the_same_reason() -> None:
    record = {"local_case_id": "C1", "minutes": MissingReason("declined"), "legacy": "unknown",
              "side": {"missing": "unknown"}, "parts": [{"size": MissingReason("not_applicable")}]}  # fmt: skip
    row = LAYOUT.to_row(record)
    assert (row["minutes"], row["minutes__missing"]) == ("", "declined")
    assert (row["legacy"], row["legacy__missing"]) == ("", "unknown")
    assert (row["side"], row["side__missing"]) == ("", "unknown")
    assert (row["parts_1_size"], row["parts_1_size__missing"]) == ("", "not_applicable")
    back, shape = LAYOUT.to_record(row)
    assert shape == []
    result = validate_record(back, DEFINITION, CONTEXT)
    assert result.ok, result.issues
    assert to_json_record(DEFINITION, result.record) == {
        "local_case_id": "C1", "minutes": {"missing": "declined"}, "legacy": {"missing": "unknown"},
        "side": {"missing": "unknown"}, "parts": [{"size": {"missing": "not_applicable"}}],
    }  # fmt: skip


ROWS: list[dict[str, str | None]] = [
    {"minutes": "5"},
    {"minutes__missing": "not_asked"},
    {"minutes__missing": "NASK"},
    {"minutes__missing": " Declined "},
    {"minutes__missing": "unknown"},  # not one minutes takes
    {"minutes": "5", "minutes__missing": "declined"},  # never both
    {"minutes__missing": "soon"},
    {},  # required and absent
    {"minutes": "1", "legacy": "unknown"},
    {"minutes": "1", "legacy__missing": "unknown", "legacy": "2"},
    {"minutes": "1", "side__missing": "UNK"},
    {"minutes": "1", "parts_1_size__missing": "not_applicable"},  # makes row 1 exist
    {"minutes": "1", "parts_2_size__missing": "not_applicable"},  # a gap before row 2
    {"minutes": "1", "parts_1_size__missing": "declined", "parts_1_shade": "left"},
    {"minutes": "1", "remark__missing": "declined"},
    {"minutes": "1", "remark": "declined"},  # a text, not a reason
]


def test_the_batch_validator_reads_reason_columns_as_the_single_one_does() -> None:
    columns = LAYOUT.columns
    rows = [{"local_case_id": f"C{i}", **r} for i, r in enumerate(ROWS)]
    frame = pl.DataFrame(
        {c: [r.get(c) for r in rows] for c in columns}, schema=dict.fromkeys(columns, pl.String)
    )
    outcome = BatchValidator(DEFINITION, CONTEXT).run(frame)
    single = []
    for row in rows:
        record, shape = LAYOUT.to_record({k: v or "" for k, v in row.items()})
        single.append(not shape and validate_record(record, DEFINITION, CONTEXT).ok)
    assert outcome.ok.to_list() == single
    assert single == [True, True, True, True, False, False, False, False, True, False, True,
                      True, False, False, True, True]  # fmt: skip
    reasons = outcome.frame["minutes__missing"].to_list()
    assert reasons[:4] == [None, "not_asked", "not_asked", "declined"]
    assert outcome.frame["minutes"].dtype == pl.Int64  # the value column stays a number
    assert outcome.frame["legacy__missing"][8] == "unknown"
    assert outcome.frame["side__missing"][10] == "unknown"
    assert outcome.frame["parts_1_size__missing"][11] == "not_applicable"


def test_a_raw_json_reason_becomes_both_cells_for_the_batch_validator_to_judge() -> None:
    row = LAYOUT.to_row({"local_case_id": "C1", "minutes": {"missing": "soon", "value": 4}})
    assert (row["minutes"], row["minutes__missing"]) == ("4", "soon")
    frame = pl.DataFrame({c: [row[c] or None] for c in LAYOUT.columns},
                         schema=dict.fromkeys(LAYOUT.columns, pl.String))  # fmt: skip
    assert BatchValidator(DEFINITION, CONTEXT).run(frame).ok.to_list() == [False]
