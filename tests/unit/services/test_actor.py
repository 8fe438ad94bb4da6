"""Facility roles are per registry: what an actor may do at a facility in each registry."""

from __future__ import annotations

import pytest

from printreg.accounts.actor import Actor
from printreg.domain.errors import Forbidden, NotFound
from printreg.domain.facility import RegistryRoleName, Role

F1, F2 = 1, 2
# A data manager of F1 in 3dp, a viewer of F1 in gsae, nothing at F2.
PERSON = Actor("p@x", 7, memberships={"3dp": {F1: Role.DATA_MANAGER}, "gsae": {F1: Role.VIEWER}})


def test_a_role_holds_in_its_registry_only() -> None:
    assert PERSON.role_at("3dp", F1) == Role.DATA_MANAGER
    assert PERSON.role_at("gsae", F1) == Role.VIEWER
    assert PERSON.role_at("gsx", F1) is None
    assert PERSON.readable_facilities("3dp") == [F1]
    assert PERSON.readable_facilities("gsx") == []
    PERSON.require_case_write("3dp", F1)
    with pytest.raises(Forbidden):
        PERSON.require_case_write("gsae", F1)  # a viewer there: may see, not change
    for registry in ("gsx", "3dp"):
        with pytest.raises(NotFound):
            PERSON.require_case_read(registry, F2 if registry == "3dp" else F1)
        with pytest.raises(NotFound):
            PERSON.require_case_write(registry, F2 if registry == "3dp" else F1)


def test_the_facility_is_shared_by_its_registries() -> None:
    assert PERSON.facility_ids == frozenset({F1})
    assert PERSON.belongs_to(F1)
    assert not PERSON.belongs_to(F2)
    assert not PERSON.may_manage_facility(F1)
    with pytest.raises(Forbidden):
        PERSON.require_facility_admin(F1)
    with pytest.raises(NotFound):
        PERSON.require_facility_admin(F2)
    admin = Actor("a@x", 8, memberships={"gsae": {F1: Role.FACILITY_ADMIN}})
    assert admin.may_manage_facility(F1)  # its administrator in any registry
    admin.require_role_grant("3dp", F1)  # gives roles at F1 in every registry
    assert admin.readable_facilities("3dp") == []  # but reads 3dp cases only with a 3dp role


def test_who_gives_roles() -> None:
    with pytest.raises(Forbidden):
        PERSON.require_role_grant("3dp", F1)
    with pytest.raises(NotFound):
        PERSON.require_role_grant("3dp", F2)
    registry_admin = Actor("r@x", 9, registry_admin_of=frozenset({"3dp"}),
                           registry_roles={"3dp": frozenset({RegistryRoleName.REGISTRY_ADMIN})})  # fmt: skip
    registry_admin.require_role_grant("3dp", F2)
    with pytest.raises(Forbidden):
        registry_admin.require_role_grant("gsae", F2)  # another registry's
    Actor.operator().require_role_grant("gsae", F2)
    token = Actor("t@x", 8, memberships={"3dp": {F1: Role.FACILITY_ADMIN}},
                  scopes=frozenset({"cases:read"}))  # fmt: skip
    with pytest.raises(Forbidden):
        token.require_role_grant("3dp", F1)  # tokens manage nobody


def test_the_pages_ask_the_actor_who_may_enter_cases_and_manage() -> None:
    """The pages' menus and buttons ask these (issue 13: authorization only in Actor)."""
    assert PERSON.may_write_cases("3dp", F1)
    assert not PERSON.may_write_cases("gsae", F1)  # a viewer there
    assert not PERSON.may_write_cases("3dp", F2)
    reader_token = Actor("t", 7, memberships=PERSON.memberships, scopes=frozenset({"cases:read"}))
    assert not reader_token.may_write_cases("3dp", F1)
    admin = Actor("a", 8, registry_admin_of=frozenset({"gsae"}))
    assert admin.may_write_cases("gsae", F2)
    assert not admin.may_write_cases("3dp", F2)
    assert admin.manages_any_facility
    assert not PERSON.manages_any_facility
    head = Actor("h", 9, memberships={"gsae": {F2: Role.FACILITY_ADMIN}})
    assert head.manages_any_facility
    assert head.may_write_cases("gsae", F2)
    assert not head.may_write_cases("3dp", F2)


def test_what_the_navigation_asks_matches_what_the_pages_require() -> None:
    assert PERSON.reads_cases("3dp")
    assert PERSON.reads_cases("gsae")  # a viewer reads
    assert not PERSON.reads_cases("gsx")
    assert PERSON.may_read_cases("3dp", F1)
    assert not PERSON.may_read_cases("3dp", F2)
    committee = Actor("c@x", 8, registry_roles={"3dp": frozenset({RegistryRoleName.COMMITTEE})})
    researcher = Actor("r@x", 9, registry_roles={"3dp": frozenset({RegistryRoleName.RESEARCHER})})
    assert not committee.reads_cases("3dp")
    assert not committee.researches("3dp")
    assert researcher.researches("3dp")
    assert not researcher.researches("gsae")
    admin = Actor("a@x", 10, registry_admin_of=frozenset({"3dp"}))
    assert admin.reads_cases("3dp")
    assert admin.may_read_cases("3dp", F2)


def test_a_token_without_the_read_scope_reads_no_case() -> None:
    token = Actor("t@x", 7, memberships={"3dp": {F1: Role.DATA_MANAGER}},
                  scopes=frozenset())  # fmt: skip
    assert not token.reads_cases("3dp")
    assert not token.may_read_cases("3dp", F1)
    researcher = Actor("r@x", 9, registry_roles={"3dp": frozenset({RegistryRoleName.RESEARCHER})},
                       scopes=frozenset())  # fmt: skip
    assert not researcher.researches("3dp")  # registry roles never act through a token
