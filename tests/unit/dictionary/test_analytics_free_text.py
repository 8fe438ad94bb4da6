"""The analytics spec loader refuses free text: no stratum, mix, measure or group-by on a text
element (issue 12, point 1), with a DefinitionError naming the file, the entry and the rule."""

from __future__ import annotations

import pytest

from printreg.dictionary import Definition, TextElement
from printreg.dictionary.analytics import FREE_TEXT_RULE, parse_spec, shipped_spec
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.loader import load_shipped

SOURCE = "registries/3dp/analytics.yaml"


@pytest.fixture(scope="module", params=["1.0.0", "1.1.0"])
def definition(request: pytest.FixtureRequest) -> Definition:
    """Each shipped 3dp definition version (1.0.0 still has free-text software and material)."""
    return next(
        d for d in load_shipped() if d.registry.code == "3dp" and d.version == request.param
    )


def _refused(definition: Definition, body: str) -> DefinitionError:
    with pytest.raises(DefinitionError) as failure:
        parse_spec("registry: 3dp\n" + body, definition, SOURCE)
    return failure.value


def _text_paths(definition: Definition) -> list[str]:
    return [
        f"{g.name}.{e.name}" if g else e.name
        for g, e in definition.walk()
        if isinstance(e, TextElement) and not e.multiple
    ]


@pytest.mark.parametrize("kind", ["mix", "proportion"])
def test_a_measure_on_any_text_element_is_refused(definition: Definition, kind: str) -> None:
    paths = _text_paths(definition)
    assert "indication_text" in paths
    assert "anatomic_parts.comment" in paths
    success = ", success: {present: true}" if kind == "proportion" else ""
    for path in paths:
        error = _refused(
            definition,
            f"measures:\n  - {{name: m, label: M, kind: {kind}, value: {path}{success}}}\n",
        )
        assert error.source == SOURCE
        assert error.problems == [f"measure 'm': {path!r} is a text element ({FREE_TEXT_RULE})"]
        assert SOURCE in str(error)
        assert "free text never leaves in an aggregate" in str(error)


def test_a_text_stratum_is_refused(definition: Definition) -> None:
    error = _refused(definition, "strata: [indication_text, organ_system]\n")
    assert error.problems == [
        f"stratum 'indication_text': 'indication_text' is a text element ({FREE_TEXT_RULE})"
    ]


@pytest.mark.parametrize("role", ["separate", "by"])
def test_a_text_group_by_of_the_value_evidence_is_refused(
    definition: Definition, role: str
) -> None:
    roles = {"effect": "time_saved_min", "separate": "object_type", "by": "organ_system"}
    roles[role] = "local_case_id"
    body = "value: {" + ", ".join(f"{k}: {v}" for k, v in roles.items()) + "}\n"
    error = _refused(definition, body)
    assert error.problems == [f"value.{role}: 'local_case_id' is a text element ({FREE_TEXT_RULE})"]


def test_a_text_compared_field_or_divisor_is_refused(definition: Definition) -> None:
    error = _refused(
        definition,
        "measures:\n"
        "  - {name: m, label: M, kind: proportion, value: organ_system,"
        " success: {matches: indication_text}}\n",
    )
    assert (
        f"measure 'm' matches: 'indication_text' is a text element ({FREE_TEXT_RULE})"
        in error.problems
    )


def test_derived_values_computed_from_codes_may_still_be_mixed(definition: Definition) -> None:
    spec = parse_spec(
        "registry: 3dp\nmeasures:\n"
        "  - {name: m, label: M, kind: mix, value: cpt_suggested}\n"
        "  - {name: n, label: N, kind: mix, value: appropriateness_band}\n",
        definition,
        SOURCE,
    )
    assert [m.value for m in spec.measures] == ["cpt_suggested", "appropriateness_band"]


def test_the_shipped_spec_mixes_only_coded_software_and_material() -> None:
    newest = [d for d in load_shipped() if d.registry.code == "3dp"][-1]
    spec = shipped_spec(newest)
    mixes = {m.name: m.value for m in spec.measures if m.kind == "mix"}
    assert mixes["material_mix"] == "prints.material_family"
    assert mixes["segmentation_software_mix"] == "segmentation_tool"
    assert mixes["cad_software_mix"] == "cad_tool"
    texts = set(_text_paths(newest))
    assert not texts & {m.value for m in spec.measures}
