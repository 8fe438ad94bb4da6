"""The quality rules as data: the shipped rules fit every shipped definition, and a rule that
names what the definition lacks (or free text) is refused at load with a message naming it."""

from __future__ import annotations

import pytest

from printreg.dictionary import Definition, DefinitionError
from printreg.dictionary.loader import load_shipped
from printreg.quality.rules import (
    NO_FREE_TEXT,
    QualitySpec,
    finding_field,
    message,
    parse_spec,
    shipped_path,
    shipped_spec,
)

SHIPPED = [d for d in load_shipped() if d.registry.code == "3dp"]


def _current() -> Definition:
    return max(SHIPPED, key=lambda d: d.version_tuple)


def _refusal(body: str) -> list[str]:
    """Return the problems a rules text is refused with (fails if it is accepted)."""
    text = f"registry: 3dp\nversion: 1.0.0\nrules:\n{body}"
    with pytest.raises(DefinitionError) as caught:
        parse_spec(text, _current(), "test.yaml")
    return caught.value.problems


@pytest.mark.parametrize("version", [d.version for d in SHIPPED])
def test_the_shipped_rules_fit_every_shipped_definition(version: str) -> None:
    definition = next(d for d in SHIPPED if d.version == version)
    spec = parse_spec(shipped_path("3dp").read_text("utf-8"), definition, "quality.yaml")
    kinds = {rule.kind for rule in spec.rules}
    assert kinds == {"range", "outlier", "combination", "stale_draft", "missing_assessment",
                     "duplicate"}  # fmt: skip
    for rule in spec.rules:  # every finding points at a field of the definition
        field = finding_field(rule, definition)
        assert definition.element_at(field) is not None, (rule.id, field)


def test_a_registry_without_rules_has_none() -> None:
    gsae = next(d for d in load_shipped() if d.registry.code == "gsae")
    assert shipped_spec(gsae).rules == []


def test_an_unknown_element_is_refused_naming_the_rule_and_the_name() -> None:
    problems = _refusal("  - {id: age, kind: range, label: Age, element: patient_agee, max: 100}\n")
    assert problems == [
        f"rule 'age': 'patient_agee' is not an element or derived value of 3dp {_current().version}"
    ]


@pytest.mark.parametrize(
    "rule",
    [
        "{id: r, kind: outlier, label: L, element: effort_total}",
        "{id: r, kind: duplicate, label: L, keys: [request_date, anatomic_parts.shape]}",
        "{id: r, kind: combination, label: L, when: {field: organ_sys, equals: cardiac}}",
        "{id: r, kind: missing_assessment, label: L, date: procedure_day, section: user_assessment, days: 3}",
        "{id: r, kind: stale_draft, label: L, days: 3, field: status_text}",
    ],
)
def test_every_kind_refuses_an_unknown_name(rule: str) -> None:
    problems = _refusal(f"  - {rule}\n")
    assert len(problems) == 1
    assert problems[0].startswith("rule 'r': '")
    assert "is not an element or derived value of 3dp" in problems[0]


def test_a_free_text_element_is_refused() -> None:
    problems = _refusal(
        "  - id: r\n    kind: combination\n    label: L\n"
        "    when: {field: indication_text, present: true}\n"
    )
    assert problems == [f"rule 'r': 'indication_text' is a text element ({NO_FREE_TEXT})"]


def test_other_misfits_are_refused_with_their_reason() -> None:
    problems = _refusal(
        "  - {id: a, kind: range, label: L, element: organ_system, max: 3}\n"
        "  - {id: a, kind: range, label: L, element: guide_count}\n"
        "  - {id: c, kind: combination, label: L, when: {field: organ_system, equals: heart}}\n"
        "  - {id: d, kind: missing_assessment, label: L, date: procedure_date, section: x, days: 3}\n"
    )
    assert problems == [
        "rule 'a': 'organ_system' is not one number per case",
        "rule 'a' is declared twice",
        "rule 'a': give min, max or both",
        "rule 'c': 'heart' is not a code of organ_system",
        "rule 'd': section 'x' is not a section of 3dp",
    ]


def test_the_document_shape_is_checked() -> None:
    problems = _refusal("  - {id: r, kind: sometimes, label: L}\n")
    assert problems
    assert problems[0].startswith("rules[1]")


def test_a_message_is_built_from_labels_and_figures_only() -> None:
    definition = _current()
    spec = QualitySpec.model_validate(
        {"registry": "3dp", "rules": [
            {"id": "r", "kind": "range", "label": "Implausible age", "element": "patient_age_years",
             "min": 0, "max": 100}]}
    )  # fmt: skip
    assert message(spec.rules[0], definition) == (
        f"Implausible age: {definition.elements['patient_age_years'].label} is outside the "
        "plausible range 0–100"
    )
