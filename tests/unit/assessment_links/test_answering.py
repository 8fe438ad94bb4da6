"""What the clinician's page holds: the section's elements that apply to the stored case, and
what identifies the print (coded labels and a quarter, no identifier)."""

from __future__ import annotations

from printreg.assessment_links.answering import applicable, identification
from printreg.assessment_links.spec import link_spec
from printreg.dictionary import CodeElement, Definition, load_shipped


def _current() -> Definition:
    return next(d for d in reversed(load_shipped()) if d.registry.code == "3dp")


def test_an_element_that_does_not_apply_to_the_case_is_left_out() -> None:
    definition = _current()
    spec = link_spec(definition)
    assert spec is not None
    members = definition.section_elements[spec.section]
    conditional = [n for n in members if definition.elements[n].applies_when is not None]
    assert conditional, "the section has no conditional element to check"
    name = conditional[0]
    condition = definition.elements[name].applies_when
    assert condition is not None
    assert condition.field is not None
    assert condition.equals is not None
    holds = applicable(definition, spec.section, {condition.field: condition.equals})
    fails = applicable(definition, spec.section, {})
    assert name in holds
    assert name not in fails
    assert set(holds) - set(fails) == {n for n in conditional if n in holds}
    assert [n for n in members if n in holds] == holds  # form order


def test_the_print_is_told_by_labels_and_a_quarter_only() -> None:
    definition = _current()
    spec = link_spec(definition)
    assert spec is not None
    assert spec.quarter_of is not None
    coded = spec.identify[0]
    element = definition.elements[coded]
    assert isinstance(element, CodeElement)
    value = definition.value_set_for(element).values[0]
    record = {coded: value.code, spec.quarter_of: "2026-05-17", "local_case_id": "HOSP-778812"}
    shown = identification(definition, spec, record, "F0001")
    words = " ".join(f"{label} {text}" for label, text in shown.facts)
    assert value.label in words
    assert "2026 Q2" in words
    assert "2026-05-17" not in words
    assert "05" not in words.replace("2026 Q2", "")
    assert "HOSP-778812" not in words
    assert shown.facility == "F0001"
