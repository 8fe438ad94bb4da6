"""REDCap dictionary → printreg → REDCap dictionary, on real dictionaries of public projects.

The fixtures (tests/fixtures/redcap/README.md) are compared field by field: type, text
validation (type, min, max), the "Identifier?" flag, branching logic (normalised), section
headers and choices. What printreg has no place for is listed in ``LEFT_OUT`` and ``CHANGED``,
each with its reason; docs/redcap.md ("Round trip") explains the same list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from printreg.dictionary.analytics import parse_spec
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.redcap import RECORD_ID, from_redcap_dictionary, to_redcap_dictionary
from printreg.dictionary.redcap_import import read_rows
from printreg.research import withheld_reason

FIXTURES = Path(__file__).parents[2] / "fixtures" / "redcap"
FILES = ("redcapapi-metadata.csv", "redcapr-clinical-trial-1.csv", "redcapr-validation-types-1.csv")
COMPARED = (
    "form_name", "section_header", "field_type", "text_validation_type_or_show_slider_number",
    "text_validation_min", "text_validation_max", "identifier", "branching_logic",
    "select_choices_or_calculations",
)  # fmt: skip

#: fields printreg leaves out on import, by field type (docs/redcap.md, "Round trip")
LEFT_OUT = {"calc", "descriptive", "file", "sql"}
_SLIDER = "slider: a whole number with limits; its labels are not kept"
_COMPARISON = "logic comparing with < or > has no printreg condition: dropped and reported"
_HEADER = "a section header on a left-out field moves to the next kept field"
_DATE_LIMITS = "date limits other than 'today' are dropped"
#: (file, field, column) → why the exported cell differs from the source
CHANGED = {
    ("redcapapi-metadata.csv", "two_prereq_or", "branching_logic"): _COMPARISON,
    ("redcapapi-metadata.csv", "one_prereq_inequality", "branching_logic"): _COMPARISON,
    ("redcapapi-metadata.csv", "text_test", "section_header"): _HEADER,
    ("redcapr-validation-types-1.csv", "f_checkbox", "section_header"): _HEADER,
    ("redcapr-clinical-trial-1.csv", "dob", "text_validation_min"): _DATE_LIMITS,
    ("redcapr-clinical-trial-1.csv", "dob", "text_validation_max"): _DATE_LIMITS,
}
_SLIDER_COLUMNS = (
    "field_type", "text_validation_type_or_show_slider_number", "text_validation_min",
    "text_validation_max", "select_choices_or_calculations",
)  # fmt: skip


def _normal(column: str, cell: str) -> str:
    """Return a cell as the comparison sees it: equal meaning, equal text."""
    cell = " ".join(cell.split())
    if column == "identifier":
        return "y" if cell.lower() in ("y", "yes", "1") else ""
    if column == "branching_logic":
        cell = re.sub(r"\b(AND|OR|And|Or)\b", lambda m: m.group(1).lower(), cell)
        return re.sub(r"'(-?\d+(?:\.\d+)?)'", r"\1", cell)  # '5' and 5 are the same number
    if column == "select_choices_or_calculations":
        parts = (p.partition(",") for p in cell.split("|") if p.strip())
        return " | ".join(f"{c.strip()}, {label.strip()}" for c, _, label in parts)
    return cell


def _round_trip(name: str) -> tuple[list[dict[str, str]], dict[str, dict[str, str]]]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    definition, _ = from_redcap_dictionary(text, "rt", "Round trip")
    source = [row for _, row in read_rows(text)]
    back = {row["field_name"]: row for _, row in read_rows(to_redcap_dictionary(definition))}
    return source, back


@pytest.mark.parametrize("name", FILES)
def test_a_round_trip_gives_back_an_equivalent_dictionary(name: str) -> None:
    source, back = _round_trip(name)
    differences = []
    for index, row in enumerate(source):
        field = row["field_name"]
        exported = back.get(RECORD_ID if index == 0 else field)
        if row["field_type"] in LEFT_OUT:
            assert exported is None, f"{field}: a {row['field_type']} field is left out"
            continue
        assert exported is not None, f"{field} was lost"
        for column in COMPARED:
            if (name, field, column) in CHANGED:
                continue
            if row["field_type"] == "slider" and column in _SLIDER_COLUMNS:
                continue
            if index == 0 and column == "form_name":
                continue
            was, now = _normal(column, row.get(column, "")), _normal(column, exported[column])
            if was != now:
                differences.append(f"{field}.{column}: {was!r} became {now!r}")
    assert differences == []


@pytest.mark.parametrize("key", sorted(CHANGED))
def test_each_listed_exception_is_still_a_difference(key: tuple[str, str, str]) -> None:
    """An exception that no longer differs must leave the list (and docs/redcap.md)."""
    name, field, column = key
    source, back = _round_trip(name)
    row = next(r for r in source if r["field_name"] == field)
    assert _normal(column, row[column]) != _normal(column, back[field][column])


def test_sliders_come_back_as_whole_numbers() -> None:
    source, back = _round_trip("redcapr-validation-types-1.csv")
    assert any(r["field_type"] == "slider" for r in source)
    assert back["f_slider"]["field_type"] == "text"
    assert back["f_slider"]["text_validation_type_or_show_slider_number"] == "integer"
    assert (back["f_slider"]["text_validation_min"], back["f_slider"]["text_validation_max"]) == (
        "-1", "101")  # fmt: skip


def test_plain_texts_stay_texts_and_paragraphs_stay_notes() -> None:
    _, back = _round_trip("redcapapi-metadata.csv")
    assert back["text_test"]["field_type"] == "text"
    assert back["notes_test"]["field_type"] == "notes"
    assert back["email_test"]["text_validation_type_or_show_slider_number"] == "email"


def test_decimal_logic_is_written_as_the_source_wrote_the_number() -> None:
    _, back = _round_trip("redcapapi-metadata.csv")
    logic = back["two_prereq_and_one_check"]["branching_logic"]
    assert "[prereq_number] = 5" in logic
    assert "5.0" not in logic


def test_mid_form_sections_are_numbered_per_form_and_go_back_into_their_form() -> None:
    text = (FIXTURES / "redcapapi-metadata.csv").read_text(encoding="utf-8")
    definition, _ = from_redcap_dictionary(text, "rt", "Round trip")
    codes = [s.code for s in definition.sections]
    assert "branching_logic_2" in codes
    assert "data_import_export_2" in codes
    assert {s.form for s in definition.sections if s.code.startswith("branching_logic")} == {
        "branching_logic"}  # fmt: skip
    _, back = _round_trip("redcapapi-metadata.csv")
    assert back["no_prereq_number"]["form_name"] == "branching_logic"
    assert back["no_prereq_number"]["section_header"] == "Evaluation Fields"


def test_identifier_flags_are_kept_and_never_released() -> None:
    text = (FIXTURES / "redcapr-clinical-trial-1.csv").read_text(encoding="utf-8")
    definition, report = from_redcap_dictionary(text, "rt", "Round trip")
    flagged = {n for n, e in definition.elements.items() if e.identifier}
    assert flagged == {"name_last", "name_first", "address", "phone", "dob"}
    assert withheld_reason(definition.elements["dob"]) is not None  # a date, not free text
    assert withheld_reason(definition.elements["height"]) is None
    assert any("dob: marked as an identifier" in line for line in report)


@pytest.mark.parametrize("body", ["strata: [dob]\n", "period: dob\n"])
def test_an_analytics_spec_naming_an_identifier_is_refused(body: str) -> None:
    text = (FIXTURES / "redcapr-clinical-trial-1.csv").read_text(encoding="utf-8")
    definition, _ = from_redcap_dictionary(text, "rt", "Round trip")
    with pytest.raises(DefinitionError) as failure:
        parse_spec("registry: rt\n" + body, definition, "analytics.yaml")
    assert any("'dob' is marked as a direct identifier" in p for p in failure.value.problems)
