"""FHIR R4 over the API: the Questionnaire, a case's Bundle (parsed back by fhir.resources),
and a Bundle imported through the case service gives the same record."""

from __future__ import annotations

import copy
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.questionnaire import Questionnaire
from tests.support.records import records
from tests.support.web import API, HOME, OTHER, REG, UserClient, store_case

from printreg.platform import Platform


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def _link_ids(items: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()
    for item in items:
        found.add(item["linkId"])
        found |= _link_ids(item.get("item", []))
    return found


def test_the_questionnaire_parses_back_and_names_every_element(
    api_platform: Platform, dm: UserClient
) -> None:
    response = dm.get(f"{API}/fhir/Questionnaire")
    assert response.status_code == 200
    body = response.json()
    parsed = Questionnaire.model_validate(body)
    definition = api_platform.registry(REG).current
    assert parsed.version == definition.version
    paths = {f"{g.name}.{e.name}" if g else e.name for g, e in definition.walk()}
    assert paths | set(definition.groups) <= _link_ids(body["item"])
    assert dm.get(f"{API}/fhir/Questionnaire", params={"version": "9.9.9"}).status_code == 404


def test_a_case_bundle_parses_back_with_procedures_and_devices(
    api_platform: Platform, dm: UserClient
) -> None:
    record = records(HOME, 1)[0]
    case_id = store_case(api_platform, HOME, record)
    response = dm.get(f"{API}/cases/{case_id}/fhir")
    assert response.status_code == 200
    bundle = response.json()
    assert Bundle.model_validate(bundle).type == "collection"
    case = dm.get(f"{API}/cases/{case_id}").json()
    suggested = case["derived"].get("cpt_suggested")
    codes = {p["code"]["coding"][0]["code"] for p in _resources(bundle, "Procedure")}
    assert (
        codes == {part.split("×")[0] for part in suggested.split(" + ")} if suggested else not codes
    )
    assert all(c in {"0559T", "0560T", "0561T", "0562T"} for c in codes)
    units = {p["code"]["coding"][0]["code"]: p["extension"][0]["valueInteger"]
             for p in _resources(bundle, "Procedure")}  # fmt: skip
    assert " + ".join(f"{c}×{n}" for c, n in sorted(units.items())) == (suggested or "")
    prints = [
        g for g in api_platform.registry(REG).current.groups.values() if g.row_label == "print"
    ]
    assert len(_resources(bundle, "Device")) == sum(
        len(case["record"].get(g.name, [])) for g in prints
    )
    (patient,) = _resources(bundle, "Patient")
    assert set(patient) == {"resourceType", "id"}


def test_a_bundle_round_trips_to_the_same_record(api_platform: Platform, dm: UserClient) -> None:
    case_id = store_case(api_platform, HOME, records(HOME, 1)[0])
    original = dm.get(f"{API}/cases/{case_id}").json()
    bundle = dm.get(f"{API}/cases/{case_id}/fhir").json()
    local = "FHIR-COPY"
    moved = copy.deepcopy(bundle)
    (response,) = _resources(moved, "QuestionnaireResponse")
    for section in response["item"]:
        for item in section["item"]:
            if item["linkId"] == "local_case_id":
                item["answer"] = [{"valueString": local}]
    made = dm.post(f"{API}/fhir/Bundle", params={"facility": HOME}, json=moved)
    assert made.status_code == 201, made.text
    copy_of = dm.get(f"{API}/cases/{made.json()['id']}").json()
    assert copy_of["record"] == {**original["record"], "local_case_id": local}
    assert copy_of["status"] == original["status"]
    again = dm.post(f"{API}/fhir/Bundle", params={"facility": HOME}, json=moved)
    assert again.status_code == 422  # the same local case ID twice


def test_a_bundle_that_is_not_fhir_or_not_anonymous_is_refused(
    api_platform: Platform, dm: UserClient
) -> None:
    case_id = store_case(api_platform, HOME, records(HOME, 1)[0])
    bundle = dm.get(f"{API}/cases/{case_id}/fhir").json()
    broken = copy.deepcopy(bundle)
    broken["type"] = 42
    named = copy.deepcopy(bundle)
    _resources(named, "Patient")[0]["name"] = [{"family": "Doe"}]
    for body in (broken, named, {"resourceType": "Patient"}):
        answer = dm.post(f"{API}/fhir/Bundle", params={"facility": HOME}, json=body)
        assert answer.status_code == 422
        assert answer.json()["issues"], answer.text
        assert "Doe" not in answer.text


def test_another_facilitys_case_bundle_is_not_found(api_platform: Platform, dm: UserClient) -> None:
    other = store_case(api_platform, OTHER, records(OTHER, 1)[0])
    foreign = dm.get(f"{API}/cases/{other}/fhir")
    unknown = dm.get(f"{API}/cases/{uuid.uuid4()}/fhir")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    refused = dm.post(f"{API}/fhir/Bundle", params={"facility": OTHER},
                      json=dm.get(f"{API}/fhir/Questionnaire").json())  # fmt: skip
    assert refused.status_code in {404, 422}
