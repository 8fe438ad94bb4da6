"""A case as a FHIR R4 ``Bundle`` (type ``collection``), built and checked with fhir.resources.

The bundle holds a ``QuestionnaireResponse`` (the whole record, item linkIds as in
:mod:`printreg.fhir.questionnaire`), one ``Procedure`` per CPT code the registry's coding
suggests (0559T–0562T, units in the extension :data:`UNITS_URL`), one ``Device`` per row of a
group that names a printer (a printed object), and an anonymous ``Patient`` with an id only —
no identifier, name, birth date or address — because a Procedure needs a subject.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from printreg.cases.schemas import CasePublic
from printreg.dictionary.elements import ElementBase, GroupElement, ReferenceElement
from printreg.dictionary.models import Definition
from printreg.fhir.questionnaire import (
    BASE,
    MISSING_SYSTEM,
    SECTION_PREFIX,
    answer_value,
    questionnaire_url,
)

CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
UNITS_URL = f"{BASE}:extension:unit-count"
#: the registry function whose derived value is the suggested CPT coding ('0559T×1 + 0560T×2')
CPT_FUNCTION = "cpt_suggestion"


def _instant(at: dt.datetime) -> str:
    """Return a FHIR instant: stored times are UTC, kept naive on SQLite."""
    return (at if at.tzinfo else at.replace(tzinfo=dt.UTC)).isoformat()


def _urn(case_id: uuid.UUID, part: str) -> str:
    return f"urn:uuid:{uuid.uuid5(case_id, part)}"


def printed_groups(definition: Definition) -> list[GroupElement]:
    """Return the repeating groups whose rows are printed objects (they name a printer)."""
    return [
        g
        for g in definition.groups.values()
        if any(isinstance(e, ReferenceElement) and e.target == "printer" for e in g.elements)
    ]


def suggested_codes(definition: Definition, derived: dict[str, Any]) -> dict[str, int]:
    """Return the suggested CPT units per code from the case's derived values; empty if none."""
    name = next((d.name for d in definition.derived if d.function == CPT_FUNCTION), None)
    text = derived.get(name) if name else None
    units: dict[str, int] = {}
    for part in str(text or "").split("+"):
        code, _, count = part.strip().partition("×")
        if code and count.isdigit():
            units[code] = int(count)
    return units


def _answers(definition: Definition, element: ElementBase, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict) and "missing" in value:
        return [{"valueCoding": {"system": MISSING_SYSTEM, "code": str(value["missing"])}}]
    values = value if isinstance(value, list) else [value]
    out = []
    for one in values:
        ((key, answer),) = answer_value(definition, element, one).items()
        out.append({"value" + key.removeprefix("answer"): answer})
    return out


def response_items(definition: Definition, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the QuestionnaireResponse items of a JSON-shaped record, by section."""
    sections = []
    for section in definition.sections:
        items: list[dict[str, Any]] = []
        for element in section.elements:
            value = record.get(element.name)
            if value is None or value == []:
                continue
            if isinstance(element, GroupElement):
                items += [
                    {
                        "linkId": element.name,
                        "item": [
                            {
                                "linkId": f"{element.name}.{child.name}",
                                "answer": _answers(definition, child, row[child.name]),
                            }
                            for child in element.elements
                            if row.get(child.name) not in (None, [])
                        ],
                    }
                    for row in value
                ]
            else:
                items.append(
                    {"linkId": element.name, "answer": _answers(definition, element, value)}
                )
        if items:
            sections.append({"linkId": f"{SECTION_PREFIX}{section.code}", "item": items})
    return sections


def _device(
    definition: Definition, group: GroupElement, row: dict[str, Any], url: str, patient: str
) -> dict[str, Any]:
    """Return a Device for one printed row: coded and numeric values as properties."""
    properties = []
    for child in group.elements:
        value = row.get(child.name)
        if value is None or isinstance(value, dict) or isinstance(child, ReferenceElement):
            continue
        kind = {
            "type": {
                "coding": [
                    {
                        "system": f"{BASE}:{definition.registry.code}:element",
                        "code": f"{group.name}.{child.name}",
                        "display": child.label,
                    }
                ]
            }
        }
        if child.value_set_code is not None:
            codes = value if isinstance(value, list) else [value]
            answers = [answer_value(definition, child, c)["answerCoding"] for c in codes]
            properties.append({**kind, "valueCode": [{"coding": [a]} for a in answers]})
        elif isinstance(value, int | float) and not isinstance(value, bool):
            properties.append({**kind, "valueQuantity": [{"value": value}]})
    printer = next(
        (row.get(e.name) for e in group.elements if isinstance(e, ReferenceElement)), None
    )
    device: dict[str, Any] = {
        "resourceType": "Device",
        "id": url.rsplit(":", 1)[-1],
        "type": {"text": group.row_label},
        "patient": {"reference": patient},
        "property": properties,
    }
    if isinstance(printer, str):
        device["note"] = [{"text": f"printed on {printer}"}]
    return device


def build_bundle(definition: Definition, case: CasePublic) -> dict[str, Any]:
    """Return a case as a FHIR Bundle (JSON), checked by the FHIR model library."""
    from fhir.resources.R4B.bundle import Bundle  # noqa: PLC0415 - heavy

    registry = definition.registry.code
    patient = _urn(case.id, "patient")
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient,
            "resource": {"resourceType": "Patient", "id": str(uuid.uuid5(case.id, "patient"))},
        },
    ]
    response = _urn(case.id, "response")
    entries.append(
        {
            "fullUrl": response,
            "resource": {
                "resourceType": "QuestionnaireResponse",
                "id": response.rsplit(":", 1)[-1],
                "questionnaire": f"{questionnaire_url(registry)}|{case.definition_version}",
                "status": "completed" if str(case.status) != "draft" else "in-progress",
                "subject": {"reference": patient},
                "authored": _instant(case.updated_at),
                "item": response_items(definition, case.record),
            },
        }
    )
    devices = []
    for group in printed_groups(definition):
        for n, row in enumerate(case.record.get(group.name) or [], start=1):
            url = _urn(case.id, f"{group.name}/{n}")
            devices.append(url)
            entries.append(
                {"fullUrl": url, "resource": _device(definition, group, row, url, patient)}
            )
    for code, units in sorted(suggested_codes(definition, case.derived).items()):
        url = _urn(case.id, f"procedure/{code}")
        entries.append(
            {
                "fullUrl": url,
                "resource": {
                    "resourceType": "Procedure",
                    "id": url.rsplit(":", 1)[-1],
                    "status": "completed",
                    "code": {"coding": [{"system": CPT_SYSTEM, "code": code}]},
                    "subject": {"reference": patient},
                    "usedReference": [{"reference": d} for d in devices],
                    "extension": [{"url": UNITS_URL, "valueInteger": units}],
                },
            }
        )
    bundle = {
        "resourceType": "Bundle",
        "id": str(case.id),
        "type": "collection",
        "timestamp": _instant(case.updated_at),
        "entry": entries,
    }
    return Bundle.model_validate(bundle).model_dump(mode="json")
