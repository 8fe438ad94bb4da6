"""A registry definition as a FHIR R4 ``Questionnaire`` (fhir.resources' R4B models).

Each section is a ``group`` item (linkId ``section:<code>``); each element an item whose linkId
is its path (``name`` or ``group.name``). Coded elements carry ``answerOption`` codings whose
system names the value set. ``applies_when`` becomes ``enableWhen`` when it is one field test
or an ``all``/``any`` of field tests; any other condition (``not``, ``section_filled``, nesting)
is kept as the extension :data:`CONDITION_URL` holding the condition's JSON, and the registry's
own validation still decides. ``required_when`` is not mapped (the server checks it).
"""

from __future__ import annotations

import json
from typing import Any

from printreg.dictionary.conditions import Condition
from printreg.dictionary.elements import ElementBase, GroupElement
from printreg.dictionary.models import Definition

BASE = "urn:printreg"
CONDITION_URL = f"{BASE}:extension:applies-when"
#: the coding system of the reasons for missing data given in place of an answer
MISSING_SYSTEM = f"{BASE}:missing-reason"
SECTION_PREFIX = "section:"

#: the Questionnaire item type of each element type; references are answered by code or label
ITEM_TYPES = {
    "text": "string",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "boolean": "boolean",
    "code": "choice",
    "codes": "choice",
    "reference": "string",
    "group": "group",
}


def questionnaire_url(registry: str) -> str:
    """Return the canonical URL of a registry's Questionnaire."""
    return f"{BASE}:{registry}:questionnaire"


def value_set_system(registry: str, value_set: str) -> str:
    """Return the coding system that names a registry's value set."""
    return f"{BASE}:{registry}:valueset:{value_set}"


def build_questionnaire(definition: Definition) -> dict[str, Any]:
    """Return the definition as a Questionnaire (JSON), checked by the FHIR model library."""
    from fhir.resources.R4B.questionnaire import Questionnaire  # noqa: PLC0415 - heavy

    registry = definition.registry.code
    resource = {
        "resourceType": "Questionnaire",
        "id": f"{registry}-{definition.version.replace('.', '-')}",
        "url": questionnaire_url(registry),
        "version": definition.version,
        "name": registry.upper(),
        "title": definition.registry.name,
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            {
                "linkId": f"{SECTION_PREFIX}{section.code}",
                "text": section.label,
                "type": "group",
                "item": [_item(definition, e, None) for e in section.elements],
            }
            for section in definition.sections
        ],
    }
    return Questionnaire.model_validate(resource).model_dump(mode="json")


def _item(
    definition: Definition, element: ElementBase, group: GroupElement | None
) -> dict[str, Any]:
    path = f"{group.name}.{element.name}" if group else element.name
    kind = str(getattr(element, "type", "text"))
    item: dict[str, Any] = {"linkId": path, "text": element.label, "type": ITEM_TYPES[kind]}
    if element.required:
        item["required"] = True
    if kind in {"codes", "group"}:
        item["repeats"] = True
    if element.value_set_code is not None:
        system = value_set_system(definition.registry.code, element.value_set_code)
        item["answerOption"] = [
            {"valueCoding": {"system": system, "code": v.code, "display": v.label}}
            for v in definition.value_set_for(element).values
        ]
    if isinstance(element, GroupElement):
        item["item"] = [_item(definition, child, element) for child in element.elements]
    if element.applies_when is not None:
        item.update(_enable_when(definition, element.applies_when, group))
    return item


def _enable_when(
    definition: Definition, cond: Condition, group: GroupElement | None
) -> dict[str, Any]:
    """Return enableWhen (and enableBehavior) for a simple condition, else the extension."""
    parts = [_when(definition, leaf, group) for leaf in (cond.all or cond.any or [cond])]
    found = [p for p in parts if p is not None]
    if len(found) == len(parts):
        flat = [w for p in found for w in p]
        if cond.all is not None and all(len(p) == 1 for p in found):
            return {"enableWhen": flat, "enableBehavior": "all"}
        if cond.all is None:
            return (
                {"enableWhen": flat, "enableBehavior": "any"}
                if len(flat) > 1
                else {"enableWhen": flat}
            )
    text = json.dumps(cond.model_dump(mode="json", by_alias=True, exclude_none=True))
    return {"extension": [{"url": CONDITION_URL, "valueString": text}]}


def _when(
    definition: Definition, leaf: Condition, group: GroupElement | None
) -> list[dict[str, Any]] | None:
    """Return the enableWhen entries of one field test (several for ``in``), None if none fit."""
    if leaf.field is None:
        return None
    in_row = group is not None and any(e.name == leaf.field for e in group.elements)
    question = f"{group.name}.{leaf.field}" if in_row and group else leaf.field
    target = definition.element_at(question)
    if target is None or isinstance(target, GroupElement):
        return None
    if leaf.present is not None:
        return [{"question": question, "operator": "exists", "answerBoolean": leaf.present}]
    return [
        {"question": question, "operator": "=", **answer_value(definition, target, value)}
        for value in leaf.compared_values()
    ]


def answer_value(definition: Definition, element: ElementBase, value: Any) -> dict[str, Any]:
    """Return ``{valueX: value}`` keyed for a QuestionnaireResponse answer (``answerX`` in
    enableWhen is derived by the caller renaming); codes become codings of their value set."""
    kind = str(getattr(element, "type", "text"))
    if element.value_set_code is not None:
        vs = definition.value_set_for(element)
        coding = {
            "system": value_set_system(definition.registry.code, element.value_set_code),
            "code": str(value),
            "display": vs.label_of(str(value)),
        }
        return {"answerCoding": coding}
    key = {
        "integer": "answerInteger",
        "decimal": "answerDecimal",
        "date": "answerDate",
        "boolean": "answerBoolean",
    }.get(kind, "answerString")
    return {key: value}
