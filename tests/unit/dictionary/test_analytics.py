"""Measures of a case's model files in the analytics spec (``source: mesh``), checked against the
definition like every other measure."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from printreg.dictionary import Definition
from printreg.dictionary.analytics import (
    MESH_FACTS,
    PRINTS_GROUP,
    Measure,
    Success,
    check_spec,
    parse_spec,
    shipped_spec,
)
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.loader import load_definition_text, load_shipped


@pytest.fixture(scope="module")
def definition() -> Definition:
    """The newest shipped 3dp definition."""
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


def _problems(measure: str, definition: Definition) -> list[str]:
    with pytest.raises(DefinitionError) as failure:
        parse_spec(f"registry: 3dp\nmeasures:\n  - {measure}\n", definition, "analytics.yaml")
    return failure.value.problems


def test_the_shipped_spec_reports_model_complexity(definition: Definition) -> None:
    spec = shipped_spec(definition)
    assert check_spec(spec, definition) == []
    model = {
        m.name: (m.kind, m.source, m.value, m.unit) for m in spec.measures if m.source == "mesh"
    }
    assert model == {
        "model_volume": ("continuous", "mesh", "volume_ml", "mL"),
        "model_parts": ("continuous", "mesh", "bodies", ""),
        "model_triangles": ("continuous", "mesh", "triangles", ""),
    }
    # shown by object type × organ system through the ordinary strata
    assert spec.strata[:2] == ["object_type", "organ_system"]
    assert spec.version != "1.0.0", "a changed spec must rebuild the snapshots of the old one"


def test_a_model_file_measure_parses(definition: Definition) -> None:
    text = (
        "registry: 3dp\nmeasures:\n"
        "  - {name: area, label: Area, kind: continuous, source: mesh, value: surface_area_cm2}\n"
        "  - {name: volume_per_part, label: V, kind: continuous, source: mesh, value: volume_ml,"
        " per: part_count}\n"
    )
    spec = parse_spec(text, definition, "analytics.yaml")
    assert [(m.source, m.value, m.per) for m in spec.measures] == [
        ("mesh", "surface_area_cm2", None),
        ("mesh", "volume_ml", "part_count"),
    ]
    assert Measure(name="x", label="x", kind="continuous", value="part_count").source == "case"


def test_an_unknown_model_fact_is_named_with_the_choices(definition: Definition) -> None:
    problems = _problems(
        "{name: bulk, label: Bulk, kind: continuous, source: mesh, value: weight_g}", definition
    )
    assert problems == [
        (
            "measure 'bulk': 'weight_g' is not a model-file fact; "
            f"choose from {', '.join(sorted(MESH_FACTS))}"
        )
    ]


def test_a_model_fact_is_not_looked_up_among_the_elements(definition: Definition) -> None:
    # part_count is a derived value, not a fact of the model files; volume_ml is no element
    assert "part_count" in {d.name for d in definition.derived}
    problems = _problems(
        "{name: parts, label: P, kind: continuous, source: mesh, value: part_count}", definition
    )
    assert problems == [
        (
            "measure 'parts': 'part_count' is not a model-file fact; "
            "choose from bodies, surface_area_cm2, triangles, volume_ml"
        )
    ]
    problems = _problems("{name: v, label: V, kind: continuous, value: volume_ml}", definition)
    assert problems == ["measure 'v': 'volume_ml' is not an element or derived value"]


def test_a_model_fact_divided_by_a_bad_element_is_refused(definition: Definition) -> None:
    problems = _problems(
        "{name: v, label: V, kind: continuous, source: mesh, value: volume_ml, per: nothing}",
        definition,
    )
    assert problems == ["measure 'v': per 'nothing' is not an element or derived value"]
    problems = _problems(
        "{name: v, label: V, kind: continuous, source: mesh, value: volume_ml,"
        " per: source_modalities}",
        definition,
    )
    assert problems == ["measure 'v': per 'source_modalities' is not a single number per case"]


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "mix"},
        {"kind": "proportion", "success": Success(present=True)},
        {"kind": "continuous", "attribute": "technology"},
    ],
)
def test_a_model_fact_is_a_continuous_measure_only(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="a measure of source 'mesh' is continuous"):
        Measure(name="m", label="M", source="mesh", value="volume_ml", **fields)


def test_an_unknown_source_is_refused(definition: Definition) -> None:
    problems = _problems(
        "{name: v, label: V, kind: continuous, source: scanner, value: volume_ml}", definition
    )
    assert len(problems) == 1
    assert problems[0].startswith("measures[1].source: Input should be 'case' or 'mesh'")


MINI = """\
registry: {code: mini, name: Mini registry}
version: 1.0.0
case_date: seen_on
sections:
  - code: main
    label: Main
    elements:
      - {name: seen_on, label: Seen on, type: date}
      - {name: weight, label: Weight, type: decimal, min: 0, unit: kg}
"""


def test_a_registry_without_prints_has_no_model_measures() -> None:
    mini = load_definition_text(MINI, "mini.yaml")
    assert PRINTS_GROUP not in mini.groups
    with pytest.raises(DefinitionError) as failure:
        parse_spec(
            "registry: mini\nmeasures:\n"
            "  - {name: v, label: V, kind: continuous, source: mesh, value: volume_ml}\n",
            mini,
            "analytics.yaml",
        )
    assert failure.value.problems == [
        (
            "measure 'v': source 'mesh' needs the repeating group 'prints' "
            "(model files are uploaded to its rows)"
        )
    ]
