"""A record → QuestionnaireResponse items → record, without a database; what the reader refuses."""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.fhir_r4.test_questionnaire import DEFINITION

from printreg.dictionary.loader import load_definition_text
from printreg.domain.errors import ValidationFailed
from printreg.fhir.bundle import response_items
from printreg.fhir.questionnaire import questionnaire_url
from printreg.fhir.read import record_from_bundle

MINI = load_definition_text(DEFINITION, "mini.yaml")
RECORD: dict[str, Any] = {
    "note": "fine",
    "count": {"missing": "unknown"},
    "flag": True,
    "colour": "red",
    "colours": ["red", "blue"],
    "parts": [{"part_colour": "blue", "part_note": "x"}, {"part_colour": "red"}],
}


def _bundle(items: list[dict[str, Any]], **patient: Any) -> dict[str, Any]:
    response = {"resourceType": "QuestionnaireResponse", "status": "completed",
                "questionnaire": f"{questionnaire_url('mini')}|1.2.3", "item": items}  # fmt: skip
    return {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "p", **patient}},
        {"resource": response}]}  # fmt: skip


def test_a_record_reads_back_the_same() -> None:
    read = record_from_bundle(MINI, _bundle(response_items(MINI, RECORD)))
    assert read == {**RECORD, "status": "complete", "definition_version": "1.2.3"}


@pytest.mark.parametrize(
    "bundle",
    [
        _bundle([], name=[{"family": "Doe"}]),
        _bundle([{"linkId": "section:main", "item": [{"linkId": "nowhere", "answer": []}]}]),
        {"resourceType": "Bundle", "type": "collection"},
        {"resourceType": "Patient"},
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "NoSuchThing"}}],
        },
    ],
)
def test_the_reader_refuses_without_echo(bundle: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record_from_bundle(MINI, bundle)
    assert "Doe" not in str([i.to_dict() for i in refused.value.issues])
