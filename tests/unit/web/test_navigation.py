"""The main navigation lists, for each role, exactly the pages the role can open."""

from __future__ import annotations

from dataclasses import dataclass, field

from printreg.accounts.actor import Actor
from printreg.domain.facility import RegistryRoleName, Role
from printreg.web.navigation import main_navigation

REG = "3dp"


@dataclass(frozen=True)
class _Facility:
    code: str


@dataclass(frozen=True)
class _Place:
    """A page's place as ``web.pages.home.Place`` gives it: one facility, roles by code."""

    registry: str = REG
    facility: _Facility | None = None
    roles: dict[str, str] = field(default_factory=dict)
    admin: bool = False
    facility_ids: dict[str, int] = field(default_factory=lambda: {"F0001": 7})

    def writes(self, code: str) -> bool:
        return self.admin or self.roles.get(code) in {Role.FACILITY_ADMIN, Role.DATA_MANAGER}

    def manages(self, code: str) -> bool:
        return self.admin or self.roles.get(code) == Role.FACILITY_ADMIN


def _labels(actor: Actor, place: _Place | None) -> list[str]:
    return [link.label for link in main_navigation(actor, place)]


def _member(role: Role) -> tuple[Actor, _Place]:
    actor = Actor(name="m", user_id=1, memberships={REG: {7: role}})
    return actor, _Place(facility=_Facility("F0001"), roles={"F0001": role.value})


def test_a_data_manager_enters_and_imports_but_manages_no_people() -> None:
    assert _labels(*_member(Role.DATA_MANAGER)) == [
        "Home", "Cases", "Queries", "New case", "Import", "Dashboard", "Quality", "Printers",
        "Enrollment", "Notifications", "Account",
    ]  # fmt: skip


def test_a_facility_administrator_also_manages_the_facility_s_people() -> None:
    assert "Users" in _labels(*_member(Role.FACILITY_ADMIN))


def test_a_viewer_reads_but_is_offered_no_entry() -> None:
    labels = _labels(*_member(Role.VIEWER))
    assert {"Cases", "Dashboard"} <= set(labels)
    assert not {"New case", "Import", "Users"} & set(labels)


def test_links_keep_the_current_facility() -> None:
    hrefs = {link.label: link.href for link in main_navigation(*_member(Role.DATA_MANAGER))}
    assert hrefs["New case"] == f"/registries/{REG}/cases/new?facility=F0001"
    assert hrefs["Printers"] == "/facilities/F0001/printers"


def test_committee_members_are_offered_no_case_pages() -> None:
    actor = Actor(
        name="c", user_id=2, registry_roles={REG: frozenset({RegistryRoleName.COMMITTEE})}
    )
    assert _labels(actor, _Place()) == ["Home", "Requests", "Committee", "Notifications", "Account"]


def test_researchers_see_requests_and_sponsors_only_their_account() -> None:
    researcher = Actor(name="r", user_id=3,
                       registry_roles={REG: frozenset({RegistryRoleName.RESEARCHER})})  # fmt: skip
    sponsor = Actor(
        name="s", user_id=4, registry_roles={REG: frozenset({RegistryRoleName.SPONSOR})}
    )
    assert _labels(researcher, _Place()) == ["Home", "Requests", "Notifications", "Account"]
    assert _labels(sponsor, _Place()) == ["Home", "Notifications", "Account"]


def test_a_role_in_another_registry_opens_no_case_page_here() -> None:
    actor = Actor(name="o", user_id=5, memberships={"gsae": {7: Role.DATA_MANAGER}})
    place = _Place(facility=_Facility("F0001"), roles={})  # no role in this registry
    labels = _labels(actor, place)
    assert not {"Cases", "New case", "Import", "Dashboard", "Quality"} & set(labels)
    assert {"Printers", "Enrollment"} <= set(labels)  # the facility's own pages stay open


def test_a_registry_administrator_without_a_facility() -> None:
    actor = Actor(name="a", user_id=6, registry_admin_of=frozenset({REG}))
    assert _labels(actor, _Place(admin=True)) == [
        "Home", "Cases", "Queries", "Registry", "Quality", "Requests", "Committee",
        "Notifications", "Account",
    ]  # fmt: skip


def test_pages_without_a_place_offer_the_account_and_nobody_signed_in_nothing() -> None:
    assert _labels(Actor(name="x", user_id=7), None) == ["Notifications", "Account"]
    assert main_navigation(None, None) == []


def test_the_unread_count_goes_beside_notifications_only() -> None:
    links = main_navigation(*_member(Role.VIEWER), unread=3)
    counts = {link.label: link.count for link in links}
    assert counts["Notifications"] == 3
    assert [label for label, count in counts.items() if count is not None] == ["Notifications"]
    none_unread = main_navigation(*_member(Role.VIEWER), unread=0)
    assert all(link.count is None for link in none_unread)


def test_the_operator_has_no_notifications_link() -> None:
    assert "Notifications" not in _labels(Actor.operator("t"), None)
