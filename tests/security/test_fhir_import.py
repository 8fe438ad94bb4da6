"""Attacks through FHIR Bundle import: an identifier in a free-text answer, in an anonymous
Patient, or a bundle for another facility is refused, never echoed, and stores nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from sqlalchemy import func, select

from printreg.platform import Platform
from tests.support.records import records
from tests.support.web import API, HOME, OTHER, REG, UserClient, store_case

NAME = "Jane Marie Doe"
MRN = "MRN 48213377"
COMMENT = "assessment_comment"


def _count(platform: Platform) -> int:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(main)) or 0)


def _bundle(dm: UserClient, platform: Platform) -> dict[str, Any]:
    case_id = store_case(platform, HOME, records(HOME, 1)[0])
    bundle: dict[str, Any] = dm.get(f"{API}/cases/{case_id}/fhir").json()
    return bundle


def _answer(bundle: dict[str, Any], link: str, text: str) -> dict[str, Any]:
    """Return a copy whose response answers ``link`` (added to the first section) with text."""
    changed = copy.deepcopy(bundle)
    response = next(
        e["resource"]
        for e in changed["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    )
    for section in response["item"]:
        section["item"] = [i for i in section["item"] if i["linkId"] != link]
    response["item"][0]["item"].append({"linkId": link, "answer": [{"valueString": text}]})
    return changed


@pytest.mark.parametrize(
    ("link", "text"),
    [
        (COMMENT, f"Discussed with the patient {NAME} on the ward"),
        (COMMENT, f"see chart {MRN}"),
        ("local_case_id", MRN),
    ],
)
def test_an_identifier_in_an_answer_is_refused_without_echo(
    api_platform: Platform, dm: UserClient, link: str, text: str
) -> None:
    bundle = _answer(_bundle(dm, api_platform), link, text)
    before = _count(api_platform)
    response = dm.post(f"{API}/fhir/Bundle", params={"facility": HOME}, json=bundle)
    assert response.status_code == 422
    assert {i["path"] for i in response.json()["issues"]} == {link}  # the scanner's finding
    for part in (*NAME.split(), "48213377"):
        assert part not in response.text
    assert _count(api_platform) == before


def test_a_named_patient_is_refused_without_echo(api_platform: Platform, dm: UserClient) -> None:
    bundle = _bundle(dm, api_platform)
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    patient["name"] = [{"family": "Doe", "given": ["Jane"]}]
    patient["identifier"] = [{"system": "urn:mrn", "value": "48213377"}]
    before = _count(api_platform)
    response = dm.post(f"{API}/fhir/Bundle", params={"facility": HOME}, json=bundle)
    assert response.status_code == 422
    assert "Doe" not in response.text
    assert "48213377" not in response.text
    assert _count(api_platform) == before


def test_an_invalid_bundle_echoes_no_input(api_platform: Platform, dm: UserClient) -> None:
    bundle = _bundle(dm, api_platform)
    bundle["timestamp"] = f"{NAME} 48213377"
    response = dm.post(f"{API}/fhir/Bundle", params={"facility": HOME}, json=bundle)
    assert response.status_code == 422
    assert "48213377" not in response.text
    assert "Doe" not in response.text


def test_a_bundle_for_another_facility_is_not_found(api_platform: Platform, dm: UserClient) -> None:
    bundle = _bundle(dm, api_platform)
    before = _count(api_platform)
    foreign = dm.post(f"{API}/fhir/Bundle", params={"facility": OTHER}, json=bundle)
    nowhere = dm.post(f"{API}/fhir/Bundle", params={"facility": "F9999"}, json=bundle)
    assert foreign.status_code == nowhere.status_code == 404
    assert foreign.json() == nowhere.json()
    assert _count(api_platform) == before
