"""A FHIR Bundle back to a case record, for the case service's own validation and scanning.

Only the ``QuestionnaireResponse`` is read: it must answer this registry's Questionnaire. The
record it gives goes through :meth:`CaseService.create` like any API or import record, so the
same rules and the same identifier scanner apply. A ``Patient`` entry must be anonymous (an id
and meta only); resources other than Patient, QuestionnaireResponse, Procedure and Device are
refused. Messages name where a problem is, never the value found there.
"""

from __future__ import annotations

from typing import Any

from printreg.dictionary.elements import ElementBase, GroupElement
from printreg.dictionary.models import Definition
from printreg.domain.errors import ValidationFailed
from printreg.domain.issues import Issue
from printreg.fhir.questionnaire import MISSING_SYSTEM, SECTION_PREFIX, questionnaire_url

ALLOWED = frozenset({"Patient", "QuestionnaireResponse", "Procedure", "Device"})
ANONYMOUS_PATIENT_KEYS = frozenset({"resourceType", "id", "meta"})


def _refuse(path: str, message: str, rule: str = "fhir") -> ValidationFailed:
    return ValidationFailed([Issue("error", "", path, rule, message)])


def check_bundle(bundle: Any) -> None:
    """Raise ValidationFailed when ``bundle`` is not a FHIR R4 Bundle (locations only)."""
    from fhir.resources.R4B.bundle import Bundle  # noqa: PLC0415 - heavy
    from pydantic import ValidationError  # noqa: PLC0415

    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise _refuse("resourceType", "give a FHIR Bundle")
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        issues = [
            Issue("error", "", ".".join(str(p) for p in e["loc"]), "fhir", e["type"])
            for e in exc.errors(include_input=False, include_url=False)[:20]
        ]
        raise ValidationFailed(issues, "the bundle is not valid FHIR R4") from None
    except (ValueError, KeyError, TypeError):  # the library's lookup of an unknown type
        raise _refuse("", "the bundle is not valid FHIR R4") from None


def record_from_bundle(definition: Definition, bundle: Any) -> dict[str, Any]:
    """Return the case record (JSON shape, with ``status``) that a Bundle's response holds.

    Raise ValidationFailed when the bundle is not valid FHIR, holds a non-anonymous Patient or
    another resource type, or has no single response to this registry's Questionnaire.
    """
    check_bundle(bundle)
    responses = []
    for n, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") or {}
        kind = resource.get("resourceType")
        if kind not in ALLOWED:
            raise _refuse(f"entry[{n}]", "this resource type is not read")
        if kind == "Patient" and set(resource) - ANONYMOUS_PATIENT_KEYS:
            raise _refuse(
                f"entry[{n}]", "a Patient must carry no data besides its id", "identifier"
            )
        if kind == "QuestionnaireResponse":
            responses.append(resource)
    if len(responses) != 1:
        raise _refuse("entry", "give exactly one QuestionnaireResponse")
    response = responses[0]
    canonical, _, version = str(response.get("questionnaire") or "").partition("|")
    if canonical != questionnaire_url(definition.registry.code):
        raise _refuse("QuestionnaireResponse.questionnaire", "not this registry's Questionnaire")
    record: dict[str, Any] = {}
    if version:
        record["definition_version"] = version
    record["status"] = "complete" if response.get("status") == "completed" else "draft"
    for section in response.get("item") or []:
        if not str(section.get("linkId", "")).startswith(SECTION_PREFIX):
            raise _refuse("QuestionnaireResponse.item", "items belong in section groups")
        for item in section.get("item") or []:
            _read_item(definition, item, record)
    return record


def _read_item(definition: Definition, item: dict[str, Any], record: dict[str, Any]) -> None:
    link = str(item.get("linkId", ""))
    element = definition.elements.get(link)
    if element is None:
        raise _refuse(f"item {link[:48]}", "not an element of this registry", "unknown")
    if isinstance(element, GroupElement):
        row: dict[str, Any] = {}
        for child in item.get("item") or []:
            path = str(child.get("linkId", ""))
            leaf = definition.element_at(path) if path.startswith(f"{link}.") else None
            if leaf is None:
                raise _refuse(f"item {path[:48]}", "not an element of this group", "unknown")
            row[leaf.name] = _value(leaf, child.get("answer") or [])
        record.setdefault(link, []).append(row)
    else:
        record[link] = _value(element, item.get("answer") or [])


def _value(element: ElementBase, answers: list[dict[str, Any]]) -> Any:
    """Return the record value of an item's answers: a list for multi-valued elements."""
    values = []
    for answer in answers:
        found = [v for k, v in answer.items() if k.startswith("value")]
        value = found[0] if found else None
        if isinstance(value, dict):
            if value.get("system") == MISSING_SYSTEM:
                return {"missing": value.get("code")}
            value = value.get("code")
        values.append(value)
    if element.holds_list():
        return values
    return values[0] if len(values) == 1 else values
