"""Registry-specific named functions read the elements and codes the definition names (issue 13).

A registry other than 3dp, with its own element names, gets the CPT suggestion and the
sterile-guide rule by naming its elements in the rule's parameters; a definition that leaves them
out is refused, since only the published 3dp files keep theirs beside them (parameters.yaml).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from printreg.dictionary import Definition, load_definition_text, load_shipped
from printreg.dictionary.loader import function_params
from printreg.validation import ValidationContext, validate_record
from printreg.validation.engine import check_definition

PARAMS = "{kind: made, model: mdl, guide: gd, parts: pieces, guide_total: n_guides}"
DEFINITION = f"""\
registry: {{code: other, name: Another registry}}
version: 1.0.0
value_sets:
  made: {{label: Made, values: [{{code: mdl, label: Model}}, {{code: gd, label: Guide}}]}}
  when: {{label: When, values: [{{code: pre, label: Before}}, {{code: during, label: During}}]}}
sections:
  - code: main
    label: Main
    elements:
      - {{name: local_case_id, label: Local case ID, type: text, max_length: 20}}
      - {{name: made, label: Made, type: code, value_set: made}}
      - {{name: n_guides, label: Guides, type: integer, min: 1, max: 20}}
      - {{name: phase, label: Phases, type: codes, value_set: when}}
      - name: pieces
        label: Pieces
        type: group
        max_rows: 5
        row_label: piece
        elements:
          - {{name: clean, label: Cleaned, type: boolean}}
rules:
  - code: clean_guides
    function: sterile_guides
    params: {{kind: made, guide: gd, phases: phase, during: during, group: pieces,
              sterilized: clean}}
    severity: warning
    description: guides used during the procedure are cleaned
derived:
  - {{name: coding, label: Coding, type: text, function: cpt_suggestion, params: {PARAMS}}}
"""
CONTEXT = ValidationContext("F0001", {}, dt.date(2025, 6, 30))


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition_text(DEFINITION, "other.yaml")


def _check(definition: Definition, record: dict[str, Any]) -> Any:
    return validate_record({"local_case_id": "X1", **record}, definition, CONTEXT)


def test_the_cpt_suggestion_reads_the_elements_the_definition_names(
    definition: Definition,
) -> None:
    assert check_definition(definition) == []
    three = _check(definition, {"made": "mdl", "pieces": [{}, {}, {}]})
    assert three.derived["coding"] == "0559T×1 + 0560T×2"
    guides = _check(definition, {"made": "gd", "n_guides": 2})
    assert guides.derived["coding"] == "0561T×1 + 0562T×1"
    assert _check(definition, {"made": "gd"}).derived["coding"] is None


def test_the_sterile_guide_rule_reads_the_elements_the_definition_names(
    definition: Definition,
) -> None:
    record = {"made": "gd", "phase": ["during"], "pieces": [{"clean": True}, {"clean": False}]}
    warned = [(i.path, i.rule) for i in _check(definition, record).warnings]
    assert warned == [("pieces[2].clean", "clean_guides")]
    before = record | {"phase": ["pre"]}
    assert _check(definition, before).warnings == []


def test_a_definition_leaving_out_the_elements_is_refused() -> None:
    bare = DEFINITION.replace(f"params: {PARAMS}", "params: {}")
    problems = check_definition(load_definition_text(bare, "bare.yaml"))
    assert len(problems) == 1
    assert problems[0].startswith("derived coding: parameters do not fit cpt_suggestion")


def test_published_3dp_definitions_take_the_parameters_kept_beside_them() -> None:
    shipped = [d for d in load_shipped() if d.registry.code == "3dp"]
    assert [d.version for d in shipped] == ["1.0.0", "1.1.0"]
    for definition in shipped:
        assert check_definition(definition) == []
        cpt = next(d for d in definition.derived if d.function == "cpt_suggestion")
        assert cpt.params == {}  # the published file, unchanged
        assert set(function_params(definition, cpt)) == {
            "kind",
            "model",
            "guide",
            "parts",
            "guide_total",
        }
