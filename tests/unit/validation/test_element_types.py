"""Each element type parses good input to a canonical value and refuses bad input precisely."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from printreg.dictionary import UNKNOWN, Definition, load_definition_text
from printreg.validation import Issue, ValidationContext, ValidationResult, validate_record

TODAY = dt.date(2025, 6, 30)
FACILITY = "F0001"
PRINTERS = {"Form3B-1": "vat_photopolymerization", "J850-1": "material_jetting"}

DEFINITION = """\
registry: {code: types, name: Element types}
version: 1.0.0
value_sets:
  colour:
    label: Colour
    values:
      - {code: red, label: Red}
      - {code: green, label: Green}
      - {code: blue, label: Blue}
      - {code: light_blue, label: Light blue}
sections:
  - code: main
    label: Main
    elements:
      - {name: title, label: Title, type: text, max_length: 10, required: true}
      - name: case_code
        label: Case code
        type: text
        max_length: 10
        pattern: '^[A-Z]{2}[0-9]$'
        pattern_hint: two capitals and a digit
      - {name: tags, label: Tags, type: text, multiple: true, max_items: 2, max_length: 5}
      - {name: count, label: Count, type: integer, min: 0, max: 100}
      - {name: minutes, label: Minutes, type: integer, min: 0, max: 600, unknown_allowed: true}
      - {name: numbers, label: Numbers, type: integer, multiple: true, min: 1, max: 20,
         max_items: 3}
      - {name: weight, label: Weight, type: decimal, min: 0, min_exclusive: true, max: 100,
         max_decimals: 2, unit: kg}
      - {name: ratio, label: Ratio, type: decimal, min: -1, max: 1, unknown_allowed: true}
      - {name: seen_on, label: Seen on, type: date, not_future: true}
      - {name: any_day, label: Any day, type: date}
      - {name: flag, label: Flag, type: boolean}
      - {name: colour, label: Colour, type: code, value_set: colour}
      - {name: colours, label: Colours, type: codes, value_set: colour, min_items: 2,
         max_items: 3}
      - {name: site, label: Site, type: reference, target: facility}
      - {name: printer, label: Printer, type: reference, target: printer}
      - name: items
        label: Items
        type: group
        max_rows: 2
        row_label: item
        elements:
          - {name: size, label: Size, type: decimal, min: 0}
          - {name: shade, label: Shade, type: code, value_set: colour}
"""


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition_text(DEFINITION, "types.yaml")


def check(
    definition: Definition,
    record: dict[str, Any],
    printers: dict[str, str] | None = None,
    mode: Any = None,
) -> ValidationResult:
    context = ValidationContext(FACILITY, PRINTERS if printers is None else printers, TODAY)
    return validate_record({"title": "A case", **record}, definition, context, mode=mode)


def issues_at(result: ValidationResult, path: str) -> list[Issue]:
    return [i for i in result.issues if i.path == path]


# --- good values ---------------------------------------------------------------------------------

GOOD: list[tuple[str, Any, Any]] = [
    ("title", " hello ", "hello"),
    ("title", 12, "12"),
    ("case_code", "AB1", "AB1"),
    ("case_code", " AB1 ", "AB1"),
    ("tags", ["a", " b "], ["a", "b"]),
    ("tags", ["a", "", None], ["a"]),
    ("count", " 12 ", 12),
    ("count", "+7", 7),
    ("count", 12, 12),
    ("count", 12.0, 12),
    ("count", "0", 0),
    ("count", 100, 100),
    ("minutes", "unknown", UNKNOWN),
    ("minutes", " Unknown ", UNKNOWN),
    ("minutes", "UNKNOWN", UNKNOWN),
    ("minutes", 45, 45),
    ("numbers", [" 1 ", 2, "3"], [1, 2, 3]),
    ("weight", "2.50", 2.5),
    ("weight", " 2.5 ", 2.5),
    ("weight", 3, 3.0),
    ("weight", "0.01", 0.01),
    ("weight", 100, 100.0),
    ("weight", "1e1", 10.0),
    ("ratio", "unknown", UNKNOWN),
    ("ratio", "-0.125", -0.125),
    ("seen_on", "2024-02-29", dt.date(2024, 2, 29)),
    ("seen_on", " 2025-06-30 ", TODAY),
    ("seen_on", dt.date(2020, 1, 2), dt.date(2020, 1, 2)),
    ("seen_on", dt.datetime(2020, 1, 2, 13, 45, tzinfo=dt.UTC), dt.date(2020, 1, 2)),
    ("any_day", "2999-12-31", dt.date(2999, 12, 31)),
    ("flag", "yes", True),
    ("flag", "TRUE", True),
    ("flag", " Y ", True),
    ("flag", "t", True),
    ("flag", 1, True),
    ("flag", True, True),
    ("flag", "no", False),
    ("flag", "False", False),
    ("flag", "N", False),
    ("flag", 0, False),
    ("flag", False, False),
    ("colour", "red", "red"),
    ("colour", "RED", "red"),
    ("colour", " Red ", "red"),
    ("colour", "Light Blue", "light_blue"),
    ("colour", "light blue", "light_blue"),
    ("colour", "LIGHT_BLUE", "light_blue"),
    ("colours", ["red", "Blue"], ["red", "blue"]),
    ("colours", ["GREEN", "light blue", "red"], ["green", "light_blue", "red"]),
    ("site", "f0001", FACILITY),
    ("site", "F0001", FACILITY),
    ("printer", "form3b-1", "Form3B-1"),
    ("printer", " J850-1 ", "J850-1"),
]


@pytest.mark.parametrize(("name", "raw", "expected"), GOOD)
def test_good_values_parse_to_canonical_values(
    definition: Definition, name: str, raw: Any, expected: Any
) -> None:
    result = check(definition, {name: raw})
    assert result.issues == []
    value = result.record[name]
    if expected is UNKNOWN:
        assert value is UNKNOWN
    else:
        assert value == expected
        assert type(value) is type(expected)


def test_group_rows_parse_their_values(definition: Definition) -> None:
    result = check(definition, {"items": [{"size": "1.5", "shade": "Blue"}, {"size": 2}]})
    assert result.issues == []
    assert result.record["items"] == [
        {"size": 1.5, "shade": "blue"},
        {"size": 2.0, "shade": None},
    ]


@pytest.mark.parametrize("missing", [None, "", "   ", []])
def test_missing_values_are_not_values(definition: Definition, missing: Any) -> None:
    result = check(definition, {"count": missing, "colour": missing, "title": missing})
    assert result.record["count"] is None
    assert result.record["colour"] is None
    assert [(i.path, i.rule, i.severity) for i in result.issues] == [("title", "required", "error")]


def test_a_missing_required_value_is_a_warning_in_draft_mode(definition: Definition) -> None:
    result = check(definition, {"title": None}, mode="draft")
    assert [(i.path, i.rule, i.severity) for i in result.issues] == [
        ("title", "required", "warning")
    ]
    assert result.ok


# --- bad values ----------------------------------------------------------------------------------

BAD: list[tuple[str, Any, str, str]] = [
    # text
    ("title", "x" * 11, "max_length", "title"),
    ("title", True, "type", "title"),
    ("title", 1.5, "type", "title"),
    ("case_code", {"a": 1}, "type", "case_code"),
    ("case_code", ["AB1"], "type", "case_code"),
    ("title", "a\x00b", "control_character", "title"),
    ("case_code", "ab1", "pattern", "case_code"),
    ("case_code", "AB12", "pattern", "case_code"),
    ("tags", ["a", "b", "c"], "max_items", "tags"),
    ("tags", ["a", "a"], "duplicate_value", "tags[2]"),
    ("tags", ["a", "toolong"], "max_length", "tags[2]"),
    ("tags", "a", "type", "tags"),
    # integer
    ("count", "abc", "type", "count"),
    ("count", "1.5", "type", "count"),
    ("count", 2.5, "type", "count"),
    ("count", "12 kg", "type", "count"),
    ("count", True, "type", "count"),
    ("count", "unknown", "type", "count"),
    ("count", 101, "range", "count"),
    ("count", -1, "range", "count"),
    ("count", "-1", "range", "count"),
    ("minutes", "lots", "type", "minutes"),
    ("minutes", 601, "range", "minutes"),
    ("numbers", ["x"], "type", "numbers[1]"),
    ("numbers", [1, 0], "range", "numbers[2]"),
    ("numbers", [1, 1], "duplicate_value", "numbers[2]"),
    ("numbers", [1, 2, 3, 4], "max_items", "numbers"),
    ("numbers", 1, "type", "numbers"),
    # decimal
    ("weight", "abc", "type", "weight"),
    ("weight", "nan", "type", "weight"),
    ("weight", "inf", "type", "weight"),
    ("weight", True, "type", "weight"),
    ("weight", "unknown", "type", "weight"),
    ("weight", 0, "range", "weight"),
    ("weight", "-0.5", "range", "weight"),
    ("weight", "100.01", "range", "weight"),
    ("weight", "2.505", "precision", "weight"),
    ("weight", 0.125, "precision", "weight"),
    ("ratio", 1.5, "range", "ratio"),
    # date
    ("seen_on", "2999-01-01", "future_date", "seen_on"),
    ("seen_on", "2025-07-01", "future_date", "seen_on"),
    ("seen_on", "31/02/2024", "type", "seen_on"),
    ("seen_on", "2024-02-30", "type", "seen_on"),
    ("seen_on", "2024-2-3", "type", "seen_on"),
    ("seen_on", 20240101, "type", "seen_on"),
    ("any_day", "yesterday", "type", "any_day"),
    # boolean
    ("flag", "maybe", "type", "flag"),
    ("flag", 2, "type", "flag"),
    ("flag", 1.0, "type", "flag"),
    # code
    ("colour", "purple", "value_set", "colour"),
    ("colour", 5, "value_set", "colour"),
    ("colour", True, "type", "colour"),
    ("colour", ["red"], "type", "colour"),
    # codes
    ("colours", ["red", "purple"], "value_set", "colours[2]"),
    ("colours", ["red", "RED"], "duplicate_value", "colours[2]"),
    ("colours", ["red", "Red", "blue"], "duplicate_value", "colours[2]"),
    ("colours", ["red"], "min_items", "colours"),
    ("colours", ["red", "green", "blue", "light_blue"], "max_items", "colours"),
    ("colours", "red", "type", "colours"),
    # reference
    ("site", "F0002", "reference", "site"),
    ("site", True, "type", "site"),
    ("printer", "Form3B-2", "reference", "printer"),
    ("printer", "form", "reference", "printer"),
]


@pytest.mark.parametrize(("name", "raw", "rule", "path"), BAD)
def test_bad_values_give_an_issue_with_path_and_rule(
    definition: Definition, name: str, raw: Any, rule: str, path: str
) -> None:
    result = check(definition, {name: raw})
    found = issues_at(result, path)
    assert [(i.rule, i.severity) for i in found] == [(rule, "error")], result.issues
    assert not result.ok
    label = definition.elements[name].label
    assert found[0].message.startswith(f"{label}: ")
    if path == name and rule not in ("max_items", "min_items"):
        assert result.record[name] in (None, [])  # a refused value is not kept


@pytest.mark.parametrize(
    ("name", "raw", "kept"),
    [
        ("tags", ["a", "a"], ["a"]),
        ("colours", ["red", "RED", "blue"], ["red", "blue"]),
        ("numbers", [1, 2, "1"], [1, 2]),
    ],
)
def test_a_duplicate_item_is_dropped_and_the_others_kept(
    definition: Definition, name: str, raw: list[Any], kept: list[Any]
) -> None:
    result = check(definition, {name: raw})
    assert [i.rule for i in result.issues] == ["duplicate_value"]
    assert result.record[name] == kept


def test_a_refused_value_is_not_also_reported_missing(definition: Definition) -> None:
    result = check(definition, {"title": "x" * 11})
    assert [i.rule for i in result.issues] == ["max_length"]


@pytest.mark.parametrize("raw", [["A case"], {"text": "A case"}])
def test_a_list_for_a_required_scalar_is_not_also_reported_missing(
    definition: Definition, raw: Any
) -> None:
    result = check(definition, {"title": raw})
    assert [(i.path, i.rule) for i in result.issues] == [("title", "type")]


def test_pattern_message_carries_the_hint(definition: Definition) -> None:
    (issue,) = check(definition, {"case_code": "zz"}).issues
    assert issue.message.endswith("two capitals and a digit")


def test_range_message_gives_the_bound_and_unit(definition: Definition) -> None:
    (issue,) = check(definition, {"weight": 150}).issues
    assert issue.message == "Weight: enter a value of at most 100 kg"
    (issue,) = check(definition, {"weight": 0}).issues
    assert issue.message == "Weight: enter a value greater than 0"


def test_future_date_message_names_today(definition: Definition) -> None:
    (issue,) = check(definition, {"seen_on": "2030-01-01"}).issues
    assert str(TODAY) in issue.message


def test_value_set_message_lists_the_codes(definition: Definition) -> None:
    (issue,) = check(definition, {"colour": "purple"}).issues
    assert "red, green, blue, light_blue" in issue.message


def test_printer_reference_message_lists_the_printers(definition: Definition) -> None:
    (issue,) = check(definition, {"printer": "Form3B-2"}).issues
    assert "Form3B-1, J850-1" in issue.message


def test_printer_reference_without_printers(definition: Definition) -> None:
    result = check(definition, {"printer": "Form3B-1"}, printers={})
    (issue,) = result.issues
    assert (issue.path, issue.rule) == ("printer", "reference")
    assert "no printers yet" in issue.message


def test_bad_value_in_a_group_row(definition: Definition) -> None:
    result = check(definition, {"items": [{"size": 1}, {"size": "abc", "shade": "pink"}]})
    assert [(i.path, i.rule) for i in result.issues] == [
        ("items[2].size", "type"),
        ("items[2].shade", "value_set"),
    ]
    assert result.issues[0].message.startswith("Size: ")
    assert result.issues[1].message.startswith("Shade: ")


@pytest.mark.parametrize("raw", ["a row", {"size": 1}, [{"size": 1}, "not a row"]])
def test_a_group_must_be_a_list_of_rows(definition: Definition, raw: Any) -> None:
    result = check(definition, {"items": raw})
    assert [(i.path, i.rule) for i in result.issues] == [("items", "type")]


def test_too_many_group_rows(definition: Definition) -> None:
    result = check(definition, {"items": [{"size": 1}, {"size": 2}, {"size": 3}]})
    assert [(i.path, i.rule) for i in result.issues] == [("items", "max_rows")]


def test_unknown_key_in_a_group_row(definition: Definition) -> None:
    result = check(definition, {"items": [{"sizes": 1}]})
    (issue,) = result.issues
    assert (issue.path, issue.rule) == ("items[1].sizes", "unknown_field")
    assert "did you mean 'size'?" in issue.message


def test_a_record_must_be_an_object(definition: Definition) -> None:
    context = ValidationContext(FACILITY, PRINTERS, TODAY)
    result = validate_record(["title", "x"], definition, context)
    assert [(i.path, i.rule) for i in result.issues] == [("", "type")]


def test_issue_value_echoes_harmless_input_only(definition: Definition) -> None:
    (issue,) = check(definition, {"count": "abc"}).issues
    assert issue.value == "abc"
    (issue,) = check(definition, {"colour": "jane.doe@example.org"}).issues
    assert issue.value is None
    assert "jane.doe" not in str(issue)


def test_a_huge_integer_string_is_an_issue_not_a_crash(definition: Definition) -> None:
    result = check(definition, {"count": "9" * 5000})
    assert [(i.path, i.rule) for i in result.issues] in ([("count", "range")], [("count", "type")])


def test_a_huge_json_number_for_a_decimal_is_an_issue_not_a_crash(
    definition: Definition,
) -> None:
    record = json.loads('{"weight": 1' + "0" * 400 + "}")
    result = check(definition, record)
    assert [(i.path, i.rule) for i in result.issues] in (
        [("weight", "range")],
        [("weight", "type")],
    )
