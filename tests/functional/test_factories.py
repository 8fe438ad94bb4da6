"""The test-data factories of tests/support/factories.py make what their traits say."""

from __future__ import annotations

import uuid

import pytest
from tests.support.factories import FACILITY_KINDS, make_case, make_facility, make_person

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD
from printreg.facilities.service import FacilityService
from printreg.platform import Platform


@pytest.mark.parametrize(
    ("status", "object_type"),
    [("complete", "anatomic_model"), ("draft", "anatomic_guide"), ("draft", "anatomic_model")],
)
def test_a_case_has_the_traits_asked_for(seeded: Platform, status: str, object_type: str) -> None:
    case_id = make_case(seeded, "F0001", status=status, object_type=object_type,
                        local_case_id="FACTORY-1")  # fmt: skip
    view = CaseService(seeded, Actor.operator()).get("3dp", uuid.UUID(case_id))
    assert (view.facility, view.status) == ("F0001", status)
    assert view.record["object_type"] == object_type
    assert view.record["local_case_id"] == "FACTORY-1"


def test_a_facility_has_its_kind_and_the_printers_asked_for(seeded: Platform) -> None:
    assert make_facility(seeded, "F0900", kind="academic", printers_of="F0001") == "F0900"
    facilities = FacilityService(seeded, Actor.operator())
    profile = facilities.get("F0900")
    assert (profile.facility_type, profile.location, profile.census_region,
            profile.lab_service_model) == ("academic", "metropolitan", "northeast", "radiology")  # fmt: skip
    assert FACILITY_KINDS["academic"] == ("academic", "metropolitan", "northeast", "radiology")
    assert [(p.label, p.technology) for p in facilities.printers("F0900")] == [
        ("Form4B-1", "vat_photopolymerization")
    ]


def test_a_person_has_the_roles_asked_for_and_signs_in(seeded: Platform) -> None:
    email = make_person(seeded, "someone@example.org", name="Some One",
                        roles={"3dp": {"F0002": "viewer"}}, registry_roles={"gsae": "committee"})  # fmt: skip
    person = AccountService(seeded).user_by_email(Actor.operator(), email)
    assert (person.display_name, person.memberships) == ("Some One", {"3dp": {"F0002": "viewer"}})
    assert person.registry_roles == {"gsae": ["committee"]}
    assert AccountService(seeded).authenticate(email, DEMO_PASSWORD).email == email
