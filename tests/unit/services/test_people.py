"""What a facility administrator, a registry administrator and the person see of someone's roles."""

from __future__ import annotations

from printreg.accounts.actor import Actor
from printreg.accounts.people import shown_roles
from printreg.domain.facility import RegistryRoleName, Role

IDS = {"F0001": 1, "F0002": 2}
# Someone who works at both facilities and is a researcher of 3dp.
ROLES = {"3dp": {"F0001": "viewer", "F0002": "data_manager"}, "gsae": {"F0002": "viewer"}}
REGISTRY_ROLES = {"3dp": [RegistryRoleName.RESEARCHER.value]}
PERSON_ID = 9


def test_a_facility_administrator_sees_only_the_roles_at_their_facility() -> None:
    admin = Actor("a@x", 1, memberships={"3dp": {1: Role.FACILITY_ADMIN}})
    assert shown_roles(admin, PERSON_ID, ROLES, REGISTRY_ROLES, IDS) == (
        {"3dp": {"F0001": "viewer"}},
        {},
    )


def test_a_data_manager_manages_no_one_and_sees_no_role() -> None:
    manager = Actor("m@x", 2, memberships={"3dp": {1: Role.DATA_MANAGER}})
    assert shown_roles(manager, PERSON_ID, ROLES, REGISTRY_ROLES, IDS) == ({}, {})


def test_the_person_and_registry_administrators_see_every_role() -> None:
    whole = ({r: dict(f) for r, f in ROLES.items()}, REGISTRY_ROLES)
    registry_admin = Actor("r@x", 3, registry_admin_of=frozenset({"3dp"}))
    assert shown_roles(registry_admin, PERSON_ID, ROLES, REGISTRY_ROLES, IDS) == whole
    assert shown_roles(Actor("p@x", PERSON_ID), PERSON_ID, ROLES, REGISTRY_ROLES, IDS) == whole
    assert shown_roles(Actor.operator(), PERSON_ID, ROLES, REGISTRY_ROLES, IDS) == whole
