"""Reading registry definitions: malformed ones are refused with problems that name the place."""

from __future__ import annotations

from pathlib import Path

import pytest

from printreg.dictionary import (
    BooleanElement,
    CodeElement,
    CodesElement,
    DateElement,
    DecimalElement,
    Definition,
    DefinitionError,
    GroupElement,
    IntegerElement,
    ReferenceElement,
    TextElement,
    load_definition,
    load_definition_text,
)
from printreg.dictionary.elements import ELEMENT_TYPES

# A small but complete definition: every element type, a value set, a condition on a code, a
# repeating group with a row condition, and a case date. Each malformed variant below changes
# exactly one thing in it.
MINIMAL = """\
registry: {code: mini, name: Mini registry}
version: 1.0.0
case_date: seen_on
value_sets:
  colour:
    label: Colour
    values:
      - {code: red, label: Red}
      - {code: blue, label: Blue}
      - {code: green, label: Green}
sections:
  - code: main
    label: Main
    elements:
      - {name: note, label: Note, type: text, max_length: 40}
      - {name: count, label: Count, type: integer, min: 0, max: 10}
      - {name: weight, label: Weight, type: decimal, min: 0, max_decimals: 2}
      - {name: seen_on, label: Seen on, type: date, not_future: true}
      - {name: flag, label: Flag, type: boolean}
      - {name: colour, label: Colour, type: code, value_set: colour}
      - {name: colours, label: Colours, type: codes, value_set: colour, min_items: 1}
      - {name: printer, label: Printer, type: reference, target: printer}
      - name: shade
        label: Shade
        type: text
        applies_when: {field: colour, equals: red}
  - code: extra
    label: Extra
    elements:
      - name: parts
        label: Parts
        type: group
        min_rows: 1
        max_rows: 3
        row_label: part
        elements:
          - {name: part_colour, label: Part colour, type: code, value_set: colour}
          - name: part_note
            label: Part note
            type: text
            required_when: {field: part_colour, in: [red, blue]}
"""

VALUE_SET_BLOCK = """\
  colour:
    label: Colour
    values:
      - {code: red, label: Red}
      - {code: blue, label: Blue}
      - {code: green, label: Green}
"""

INCLUDED_VALUE_SET = """\
label: Colour
values:
  - {code: red, label: Red}
  - {code: blue, label: Blue}
  - {code: green, label: Green}
"""


def variant(old: str, new: str) -> str:
    """Return MINIMAL with one piece of text replaced (which must be there exactly once)."""
    assert MINIMAL.count(old) == 1, old
    return MINIMAL.replace(old, new)


def problems_of(text: str, base: Path | None = None) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(text, "mini.yaml", base)
    assert caught.value.source == "mini.yaml"
    assert caught.value.problems, "a DefinitionError must list its problems"
    assert "mini.yaml" in str(caught.value)
    return caught.value.problems


def assert_named(problems: list[str], *fragments: str) -> None:
    """Assert that one problem contains every fragment (place and what is wrong)."""
    assert any(all(f in p for f in fragments) for p in problems), (fragments, problems)


# --- the valid definition ------------------------------------------------------------------------


def test_minimal_definition_with_every_element_type_loads() -> None:
    definition = load_definition_text(MINIMAL, "mini.yaml")
    assert isinstance(definition, Definition)
    assert definition.registry.code == "mini"
    assert definition.version_tuple == (1, 0, 0)
    assert definition.case_date == "seen_on"
    kinds = {
        "note": TextElement,
        "count": IntegerElement,
        "weight": DecimalElement,
        "seen_on": DateElement,
        "flag": BooleanElement,
        "colour": CodeElement,
        "colours": CodesElement,
        "printer": ReferenceElement,
        "shade": TextElement,
        "parts": GroupElement,
    }
    assert list(definition.elements) == list(kinds)
    for name, kind in kinds.items():
        assert isinstance(definition.elements[name], kind), name
    used = {e.type for e in definition.elements.values()}
    used |= {child.type for _, child in definition.walk()}
    assert used == set(ELEMENT_TYPES)
    assert [(g.name if g else None, e.name) for g, e in definition.walk()][-2:] == [
        ("parts", "part_colour"),
        ("parts", "part_note"),
    ]
    assert definition.section_of["parts"] == "extra"
    assert definition.value_set_for(definition.elements["colours"]).lookup["green"] == "green"


def test_include_of_a_value_set_beside_the_file(tmp_path: Path) -> None:
    (tmp_path / "colours.yaml").write_text(INCLUDED_VALUE_SET, "utf-8")
    path = tmp_path / "definition-1.0.0.yaml"
    path.write_text(MINIMAL.replace(VALUE_SET_BLOCK, "  colour: {include: colours.yaml}\n"))
    definition = load_definition(path)
    assert [v.code for v in definition.value_sets["colour"].values] == ["red", "blue", "green"]


def test_a_missing_file_is_a_definition_error(tmp_path: Path) -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition(tmp_path / "nowhere.yaml")
    assert_named(caught.value.problems, "cannot read the file")


# --- malformed documents -------------------------------------------------------------------------


def test_not_yaml() -> None:
    problems = problems_of("registry: [unclosed\nversion: 1.0.0\n")
    assert_named(problems, "not valid YAML", "line 1")


def test_duplicate_yaml_keys() -> None:
    problems = problems_of(variant("version: 1.0.0\n", "version: 1.0.0\nversion: 1.0.1\n"))
    assert_named(problems, "not valid YAML", "'version' appears twice", "line 3")


def test_duplicate_keys_inside_an_element() -> None:
    text = variant(
        "{name: count, label: Count, type: integer, min: 0, max: 10}",
        "{name: count, label: Count, type: integer, min: 0, max: 10, min: 1}",
    )
    assert_named(problems_of(text), "'min' appears twice")


@pytest.mark.parametrize("text", ["- registry\n- version\n", "just a sentence\n", "42\n", ""])
def test_top_level_not_a_mapping(text: str) -> None:
    assert_named(problems_of(text), "must be a mapping")


def test_unknown_element_type() -> None:
    problems = problems_of(variant("type: boolean}", "type: yes_or_no}"))
    assert_named(problems, "sections[1].elements[5]", "yes_or_no")


def test_unknown_key_on_an_element() -> None:
    problems = problems_of(variant("type: boolean}", "type: boolean, colour: red}"))
    assert_named(problems, "sections[1].elements[5].colour", "Extra inputs are not permitted")


def test_unknown_key_on_a_group_row_element() -> None:
    problems = problems_of(
        variant(
            "{name: part_colour, label: Part colour, type: code, value_set: colour}",
            "{name: part_colour, label: Part colour, type: code, value_set: colour, widht: 3}",
        )
    )
    assert_named(problems, "sections[2].elements[1].elements[1].widht", "Extra inputs")


@pytest.mark.parametrize("name", ["Count", "2count", "count-1", "count name", "_count", "x" * 49])
def test_bad_element_name(name: str) -> None:
    problems = problems_of(variant("{name: count,", f"{{name: '{name}',"))
    assert_named(problems, "sections[1].elements[2].name")


@pytest.mark.parametrize("version", ["'1.0'", "v1.0.0", "1.0.0-beta", "01.0.0", "1.0.0.0", "1"])
def test_bad_semver(version: str) -> None:
    problems = problems_of(variant("version: 1.0.0\n", f"version: {version}\n"))
    assert_named(problems, "version:")


def test_value_set_referenced_but_not_defined() -> None:
    problems = problems_of(
        variant(
            "{name: colour, label: Colour, type: code, value_set: colour}",
            "{name: colour, label: Colour, type: code, value_set: hue}",
        )
    )
    assert_named(problems, "colour: value set 'hue' is not defined")


def test_value_set_of_a_group_row_element_not_defined() -> None:
    problems = problems_of(
        variant(
            "{name: part_colour, label: Part colour, type: code, value_set: colour}",
            "{name: part_colour, label: Part colour, type: code, value_set: tint}",
        )
    )
    assert_named(problems, "parts.part_colour: value set 'tint' is not defined")


def test_duplicate_codes_in_a_value_set() -> None:
    problems = problems_of(variant("{code: green, label: Green}", "{code: red, label: Green}"))
    assert_named(problems, "value_sets.colour", "code 'red' is listed twice")


def test_duplicate_codes_differing_only_in_case() -> None:
    problems = problems_of(variant("{code: green, label: Green}", "{code: RED, label: Green}"))
    assert_named(problems, "value_sets.colour", "listed twice")


def test_duplicate_labels_in_a_value_set() -> None:
    problems = problems_of(variant("{code: green, label: Green}", "{code: green, label: red}"))
    assert_named(problems, "value_sets.colour", "label 'red' is listed twice")


def test_empty_value_set() -> None:
    problems = problems_of(
        MINIMAL.replace(VALUE_SET_BLOCK, "  colour: {label: Colour, values: []}\n")
    )
    assert_named(problems, "value_sets.colour.values")


def test_duplicate_element_names_across_sections() -> None:
    problems = problems_of(
        variant("- name: parts\n        label: Parts\n", "- name: note\n        label: Parts\n")
    )
    assert_named(problems, "element 'note' is declared twice")


def test_duplicate_element_names_in_a_group() -> None:
    problems = problems_of(variant("- name: part_note\n", "- name: part_colour\n"))
    assert_named(problems, "parts: two elements of the group share a name")


def test_condition_naming_an_unknown_field() -> None:
    problems = problems_of(variant("{field: colour, equals: red}", "{field: hue, equals: red}"))
    assert_named(problems, "shade: applies_when refers to unknown field 'hue'")


def test_row_condition_naming_an_unknown_field() -> None:
    problems = problems_of(variant("{field: part_colour, in:", "{field: part_hue, in:"))
    assert_named(problems, "parts.part_note: required_when refers to unknown field 'part_hue'")


def test_condition_naming_an_unknown_section() -> None:
    problems = problems_of(variant("{field: colour, equals: red}", "{section_filled: nowhere}"))
    assert_named(problems, "shade: applies_when refers to unknown section 'nowhere'")


@pytest.mark.parametrize(
    ("condition", "bad"),
    [
        ("{field: colour, equals: purple}", "'purple'"),
        ("{field: colour, in: [red, purple]}", "'purple'"),
        ("{field: colours, contains: Red}", "'Red'"),
        ("{any: [{field: flag, equals: true}, {field: colour, equals: pink}]}", "'pink'"),
        ("{not: {field: colour, equals: teal}}", "'teal'"),
    ],
)
def test_condition_comparing_with_a_code_not_in_the_value_set(condition: str, bad: str) -> None:
    problems = problems_of(variant("{field: colour, equals: red}", condition))
    assert_named(problems, "shade: applies_when compares", bad, "not a code of colour")


def test_row_condition_comparing_with_a_code_not_in_the_value_set() -> None:
    problems = problems_of(variant("in: [red, blue]}", "in: [red, navy]}"))
    assert_named(problems, "parts.part_note: required_when compares part_colour", "'navy'")


@pytest.mark.parametrize(
    "condition",
    [
        "{field: colour, equals: red, in: [red]}",
        "{field: colour, equals: red, present: true}",
        "{field: colour, equals: red, section_filled: main}",
        "{field: colour}",
        "{equals: red}",
        "{section_filled: main, not: {field: colour, equals: red}}",
        "{all: [{field: colour, equals: red}], any: [{field: flag, equals: true}]}",
        "{}",
    ],
)
def test_condition_with_two_forms_or_none(condition: str) -> None:
    problems = problems_of(variant("{field: colour, equals: red}", condition))
    assert_named(problems, "sections[1].elements[9].applies_when")


def test_condition_with_an_unknown_key() -> None:
    problems = problems_of(variant("{field: colour, equals: red}", "{field: colour, is: red}"))
    assert_named(problems, "sections[1].elements[9].applies_when.is")


def test_min_rows_greater_than_max_rows() -> None:
    problems = problems_of(variant("min_rows: 1\n        max_rows: 3\n",
                                   "min_rows: 4\n        max_rows: 3\n"))  # fmt: skip
    assert_named(problems, "parts: min_rows is greater than max_rows")


def test_a_group_inside_a_group_is_refused() -> None:
    nested = (
        "          - name: sub\n"
        "            label: Sub\n"
        "            type: group\n"
        "            elements: [{name: x, label: X, type: text}]\n"
    )
    problems = problems_of(MINIMAL + nested)
    assert_named(problems, "sections[2].elements[1].elements[3]", "'group'")


def test_include_of_a_missing_file(tmp_path: Path) -> None:
    text = MINIMAL.replace(VALUE_SET_BLOCK, "  colour: {include: colours.yaml}\n")
    problems = problems_of(text, base=tmp_path)
    assert_named(problems, "value_sets.colour", "colours.yaml not found")


def test_include_without_a_file_location() -> None:
    text = MINIMAL.replace(VALUE_SET_BLOCK, "  colour: {include: colours.yaml}\n")
    assert_named(problems_of(text), "value_sets.colour", "include needs a file location")


@pytest.mark.parametrize("target", ["../colours.yaml", "sub/../../colours.yaml", "ABSOLUTE"])
def test_include_escaping_the_folder(tmp_path: Path, target: str) -> None:
    folder = tmp_path / "registry"
    (folder / "sub").mkdir(parents=True)
    outside = tmp_path / "colours.yaml"  # exists, so only the location is wrong
    outside.write_text(INCLUDED_VALUE_SET, "utf-8")
    target = str(outside) if target == "ABSOLUTE" else target
    text = MINIMAL.replace(VALUE_SET_BLOCK, f"  colour: {{include: '{target}'}}\n")
    problems = problems_of(text, base=folder)
    assert_named(problems, "value_sets.colour", "include must stay beside it")


def test_included_file_that_is_not_yaml(tmp_path: Path) -> None:
    (tmp_path / "colours.yaml").write_text("label: [broken\n", "utf-8")
    text = MINIMAL.replace(VALUE_SET_BLOCK, "  colour: {include: colours.yaml}\n")
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(text, "mini.yaml", tmp_path)
    assert caught.value.source.endswith("colours.yaml")
    assert_named(caught.value.problems, "not valid YAML")


def test_included_value_set_that_is_malformed(tmp_path: Path) -> None:
    (tmp_path / "colours.yaml").write_text("label: Colour\nvalues:\n  - {code: red}\n", "utf-8")
    text = MINIMAL.replace(VALUE_SET_BLOCK, "  colour: {include: colours.yaml}\n")
    problems = problems_of(text, base=tmp_path)
    assert_named(problems, "value_sets.colour.values[1].label", "Field required")


def test_case_date_not_a_date_element() -> None:
    problems = problems_of(variant("case_date: seen_on\n", "case_date: note\n"))
    assert_named(problems, "case_date 'note' is not a date element")


def test_case_date_naming_no_element() -> None:
    problems = problems_of(variant("case_date: seen_on\n", "case_date: visit_date\n"))
    assert_named(problems, "case_date 'visit_date' is not a date element")


def test_several_problems_are_all_listed() -> None:
    text = variant("case_date: seen_on\n", "case_date: note\n").replace(
        "{field: colour, equals: red}", "{field: hue, equals: red}"
    )
    problems = problems_of(text)
    joined = "\n".join(problems)
    assert "case_date 'note' is not a date element" in joined
    assert "unknown field 'hue'" in joined


def test_missing_required_top_level_keys() -> None:
    problems = problems_of("registry: {code: mini, name: Mini}\n")
    assert_named(problems, "version", "Field required")
    assert_named(problems, "sections", "Field required")
