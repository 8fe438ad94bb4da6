"""The definition → Questionnaire mapping: item types, options, enableWhen and its fallback."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.questionnaire import Questionnaire

from printreg.dictionary.loader import load_definition_text
from printreg.fhir.questionnaire import CONDITION_URL, build_questionnaire

DEFINITION = """\
registry: {code: mini, name: Mini registry}
version: 1.2.3
value_sets:
  colour:
    label: Colour
    values:
      - {code: red, label: Red}
      - {code: blue, label: Blue}
sections:
  - code: main
    label: Main
    elements:
      - {name: note, label: Note, type: text, required: true}
      - {name: count, label: Count, type: integer}
      - {name: flag, label: Flag, type: boolean}
      - {name: colour, label: Colour, type: code, value_set: colour}
      - {name: colours, label: Colours, type: codes, value_set: colour}
      - name: shade
        label: Shade
        type: text
        applies_when: {field: colour, in: [red, blue]}
      - name: both
        label: Both
        type: text
        applies_when: {all: [{field: flag, equals: true}, {field: count, present: true}]}
      - name: never_red
        label: Never red
        type: text
        applies_when: {not: {field: colour, equals: red}}
  - code: parts
    label: Parts
    elements:
      - name: parts
        label: Parts
        type: group
        elements:
          - {name: part_colour, label: Part colour, type: code, value_set: colour}
          - name: part_note
            label: Part note
            type: text
            applies_when: {field: part_colour, equals: blue}
"""


def _items(definition_text: str = DEFINITION) -> dict[str, dict[str, Any]]:
    q = build_questionnaire(load_definition_text(definition_text, "mini.yaml"))
    Questionnaire.model_validate(q)
    found: dict[str, dict[str, Any]] = {}

    def walk(items: list[dict[str, Any]]) -> None:
        for item in items:
            found[item["linkId"]] = item
            walk(item.get("item", []))

    walk(q["item"])
    return found


def test_items_take_their_type_and_options() -> None:
    items = _items()
    assert items["section:main"]["type"] == "group"
    assert items["section:parts"]["type"] == "group"
    assert (items["note"]["type"], items["note"]["required"]) == ("string", True)
    assert items["count"]["type"] == "integer"
    assert items["flag"]["type"] == "boolean"
    assert [o["valueCoding"]["code"] for o in items["colour"]["answerOption"]] == ["red", "blue"]
    assert items["colours"]["repeats"] is True
    assert (items["parts"]["type"], items["parts"]["repeats"]) == ("group", True)
    assert "parts.part_colour" in items


def test_simple_conditions_become_enable_when() -> None:
    items = _items()
    shade = items["shade"]
    assert shade["enableBehavior"] == "any"
    assert [w["answerCoding"]["code"] for w in shade["enableWhen"]] == ["red", "blue"]
    both = items["both"]
    assert both["enableBehavior"] == "all"
    assert both["enableWhen"][0] == {"question": "flag", "operator": "=", "answerBoolean": True}
    assert both["enableWhen"][1]["operator"] == "exists"
    (row,) = items["parts.part_note"]["enableWhen"]
    assert row["question"] == "parts.part_colour"


def test_other_conditions_are_kept_as_an_extension() -> None:
    never = _items()["never_red"]
    assert "enableWhen" not in never
    (extension,) = never["extension"]
    assert extension["url"] == CONDITION_URL
    assert json.loads(extension["valueString"]) == {"not": {"field": "colour", "equals": "red"}}
