"""Governance through the API, on both databases: a pilot registry going active, a facility
enrolling through the committee and submitting, a definition upgrade; and who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from sqlalchemy import select
from tests.support.factories import make_facility, make_person
from tests.support.records import gsae_record, records
from tests.support.web import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    OTHER_SITE,
    REG,
    REGISTRY_ADMIN,
    VIEWER,
    UserClient,
    store_case,
)

from printreg.accounts.actor import Actor
from printreg.dictionary import shipped_definition_paths
from printreg.domain.facility import RegistryRoleName, Role
from printreg.platform import Platform
from printreg.registries.service import RegistryService
from printreg.storage.audit_log import AuditEntry

NEW = "gsx"  # a registry published during the test: it starts as a draft
CONTACTS = [{"role": "registry champion", "name": "Dana Lee", "email": "dana.lee@example.org"}]
Sign = Callable[[str], UserClient]


def _audit(platform: Platform, entity_type: str, action: str) -> list[AuditEntry]:
    with platform.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.entity_type == entity_type, AuditEntry.action == action
                )
            )
        )


# -- a pilot registry going active --------------------------------------------------------------


def _draft_registry(platform: Platform) -> None:
    """Publish a copy of the gsae definition as the new registry NEW (a draft)."""
    path = next(p for p in shipped_definition_paths() if p.parent.name == "gsae")
    text = path.read_text("utf-8").replace("  code: gsae", f"  code: {NEW}", 1)
    report = RegistryService(platform, Actor.operator("test")).publish(NEW, text, dry_run=False)
    assert report.published
    assert report.from_version is None


def test_a_pilot_registry_goes_active(api_platform: Platform, client_for: Sign) -> None:
    _draft_registry(api_platform)
    admin = client_for(
        make_person(
            api_platform,
            "gsx.admin@example.org",
            registry_roles={NEW: RegistryRoleName.REGISTRY_ADMIN},
        )
    )
    base = f"/api/v1/registries/{NEW}"
    assert admin.get(base).json()["lifecycle"] == "draft"

    # F0001 enrols: its administrator applies, the registry administrator decides and records
    # the agreement; F0001 is active in 3dp already, so no application fee.
    fa = client_for(FACILITY_ADMIN)
    applied = fa.post(f"{base}/enrollments", json={"facility": HOME, "contacts": CONTACTS})
    assert applied.status_code == 201, applied.text
    assert applied.json()["status"] == "applied"
    decided = admin.post(f"{base}/enrollments/{HOME}/decision", json={"decision": "approve"})
    assert decided.json()["status"] == "approved"
    active = admin.post(
        f"{base}/enrollments/{HOME}/status",
        json={"status": "active", "agreement_date": "2026-01-15"},
    )
    assert active.status_code == 200, active.text
    assert active.json()["application_fee_waived"] is True

    # Roles are per registry: F0001's data manager has none in the new registry until the
    # facility's administrator gives one.
    dm = client_for(DATA_MANAGER)
    stranger = dm.post(f"{base}/cases", params={"facility": HOME}, json=gsae_record(1))
    assert stranger.status_code == 404
    dm_id = dm.get("/api/v1/users/me").json()["id"]
    given = fa.put(f"/api/v1/users/{dm_id}/memberships/{NEW}/{HOME}", json={"role": "data_manager"})
    assert given.status_code == 200, given.text
    assert given.json()["memberships"][NEW] == {HOME: "data_manager"}
    refused = dm.post(f"{base}/cases", params={"facility": HOME}, json=gsae_record(1))
    assert refused.status_code == 409
    assert f"registry {NEW} is draft" in refused.json()["detail"]

    # Facility people may not move the registry; the registry administrator may, one step at
    # a time.
    for person in (fa, dm):
        response = person.post(f"{base}/lifecycle", json={"status": "pilot"})
        assert response.status_code == 403
    assert admin.post(f"{base}/lifecycle", json={"status": "active"}).status_code == 409
    moved = admin.post(f"{base}/lifecycle", json={"status": "pilot", "reason": "first sites"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["lifecycle"] == "pilot"
    accepted = dm.post(f"{base}/cases", params={"facility": HOME}, json=gsae_record(1))
    assert accepted.status_code == 201, accepted.text

    back = admin.post(f"{base}/lifecycle", json={"status": "draft"})
    assert back.status_code == 409
    assert "may become active, closed" in back.json()["detail"]
    assert admin.post(f"{base}/lifecycle", json={"status": "active"}).json()["lifecycle"] == (
        "active"
    )
    assert dm.post(f"{base}/cases", params={"facility": HOME}, json=gsae_record(2)).status_code == (
        201
    )
    unexplained = admin.post(f"{base}/lifecycle", json={"status": "closed"})
    assert unexplained.status_code == 422  # closing is final: it needs a reason
    assert "reason" in unexplained.json()["detail"]
    assert dm.post(f"{base}/cases", params={"facility": HOME}, json=gsae_record(3)).status_code == (
        201
    )
    final = admin.post(f"{base}/lifecycle", json={"status": "closed", "reason": "study over"})
    assert final.status_code == 200
    closed = dm.post(f"{base}/cases", params={"facility": HOME}, json=gsae_record(4))
    assert closed.status_code == 409
    assert "is closed" in closed.json()["detail"]
    assert dm.get(f"{base}/cases").json()["items"]  # a closed registry is still readable

    rows = [r for r in _audit(api_platform, "registry", "lifecycle") if r.registry_code == NEW]
    assert [(r.before, r.after) for r in rows] == [
        ({"lifecycle": "draft"}, {"lifecycle": "pilot", "reason": "first sites"}),
        ({"lifecycle": "pilot"}, {"lifecycle": "active", "reason": ""}),
        ({"lifecycle": "active"}, {"lifecycle": "closed", "reason": "study over"}),
    ]
    assert all(r.actor == "gsx.admin@example.org" for r in rows)


# -- a facility enrolling through the committee -------------------------------------------------


@pytest.fixture
def newcomer(api_platform: Platform) -> dict[str, str]:
    """Add facility F0100 (active in gsae only) with an administrator and a data manager, and
    three members of the 3dp committee; return their e-mail addresses."""
    make_facility(api_platform, "F0100", name="Lakeside", kind="suburban", registries=("gsae",),
                  printers_of=HOME)  # fmt: skip
    people = {
        "admin": make_person(
            api_platform,
            "admin@f0100.example.org",
            roles={r: {"F0100": Role.FACILITY_ADMIN} for r in (REG, "gsae")},
        ),
        "dm": make_person(
            api_platform,
            "dm@f0100.example.org",
            roles={r: {"F0100": Role.DATA_MANAGER} for r in (REG, "gsae")},
        ),
    }
    for n in (1, 2, 3):
        people[f"c{n}"] = make_person(
            api_platform,
            f"member{n}@committee.example.org",
            registry_roles={REG: RegistryRoleName.COMMITTEE},
        )
    return people


def _apply_and_vote(api_platform: Platform, client_for: Sign, people: dict[str, str]) -> None:
    """F0100 applies to 3dp; three committee members vote it in (one changes their vote)."""
    fa, dm = client_for(people["admin"]), client_for(people["dm"])
    c1, c2, c3 = (client_for(people[k]) for k in ("c1", "c2", "c3"))
    application = {"facility": "F0100", "contacts": CONTACTS}
    assert dm.post(f"{API}/enrollments", json=application).status_code == 403
    no_contact = fa.post(f"{API}/enrollments", json={"facility": "F0100", "contacts": []})
    assert no_contact.status_code == 422
    applied = fa.post(f"{API}/enrollments", json=application | {"statement": "80 cases a year"})
    assert applied.status_code == 201, applied.text
    submitted = applied.json()["application"]
    assert submitted["profile"]["name"] == "Lakeside"
    assert [p["label"] for p in submitted["printers"]]  # the inventory as it was
    assert submitted["contacts"][0]["email"] == "dana.lee@example.org"
    votes = f"{API}/votes/enrollment/{submitted['id']}"

    # The committee sees open applications; facility people and administrators do not vote.
    listed = c1.get(f"{API}/enrollments", params={"status": "open"}).json()
    assert [a["facility"] for a in listed] == ["F0100"]
    assert fa.put(votes, json={"vote": "approve"}).status_code == 403
    assert client_for(REGISTRY_ADMIN).put(votes, json={"vote": "approve"}).status_code == 403

    first = c1.put(votes, json={"vote": "approve"}).json()
    assert (first["approve"], first["decline"], first["decision"]) == (1, 0, None)
    c2.put(votes, json={"vote": "decline", "comment": "no QA process described"})
    changed = c2.put(votes, json={"vote": "approve"}).json()
    assert (changed["approve"], changed["decline"], changed["decision"]) == (2, 0, None)
    assert fa.get(f"{API}/enrollments/F0100").json()["status"] == "applied"  # quorum is 3
    decided = c3.put(votes, json={"vote": "decline"}).json()
    assert (decided["approve"], decided["decline"], decided["decision"]) == (2, 1, "approve")
    assert c1.put(votes, json={"vote": "decline"}).status_code == 409  # voting is over
    change = _audit(api_platform, "vote", "vote_changed")
    assert [(r.before["vote"], r.after["vote"]) for r in change] == [("decline", "approve")]


def test_a_facility_enrols_through_the_committee_and_submits(
    api_platform: Platform, client_for: Sign, newcomer: dict[str, str]
) -> None:
    _apply_and_vote(api_platform, client_for, newcomer)
    fa, dm = client_for(newcomer["admin"]), client_for(newcomer["dm"])
    admin = client_for(REGISTRY_ADMIN)
    approved = fa.get(f"{API}/enrollments/F0100").json()
    assert approved["status"] == "approved"
    assert approved["history"][-1]["action"] == "decide"
    assert approved["history"][-1]["after"]["votes"] == {"approve": 2, "decline": 1}
    not_yet = dm.post(f"{API}/cases", params={"facility": "F0100"}, json=_record("F0100", 1))
    assert not_yet.status_code == 409
    assert "F0100 is approved in registry 3dp" in not_yet.json()["detail"]

    # The agreement: the application fee is waived (F0100 is active in gsae), the annual fee
    # is due. Facility people cannot record it.
    terms = {"status": "active", "agreement_date": "2026-02-01"}
    assert fa.post(f"{API}/enrollments/F0100/status", json=terms).status_code == 403
    active = admin.post(f"{API}/enrollments/F0100/status", json=terms).json()
    assert (active["status"], active["agreement_date"]) == ("active", "2026-02-01")
    assert (active["application_fee"], active["annual_fee"]) == (0, 1000)
    assert active["application_fee_waived"] is True
    created = dm.post(f"{API}/cases", params={"facility": "F0100"}, json=_record("F0100", 1))
    assert created.status_code == 201, created.text
    _suspend_and_reinstate(client_for, newcomer, created.json()["id"])

    # Every step is visible to the facility, in its own words.
    history = fa.get(f"{API}/enrollments/F0100").json()["history"]
    assert [h["action"] for h in history] == ["apply", "decide", "activate", "suspend", "reinstate"]
    assert history[3]["after"]["reason"] == "fees unpaid"
    assert "committee.example.org" not in str(history)  # the count of votes, never the voters
    everywhere = dm.get("/api/v1/facilities/F0100/enrollments").json()
    assert {e["registry"]: e["status"] for e in everywhere} == {"3dp": "active", "gsae": "active"}

    # Nobody else sees it: another facility gets the same 404 as for an unknown code.
    other = client_for(OTHER_SITE)
    hidden = other.get(f"{API}/enrollments/F0100")
    unknown = other.get(f"{API}/enrollments/F9999")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json() == {"detail": "no such facility"}
    assert other.get(f"{API}/enrollments").json() == []


def _suspend_and_reinstate(client_for: Sign, people: dict[str, str], case_id: str) -> None:
    """A suspended facility neither adds nor changes cases; reinstated, it does again."""
    admin, dm = client_for(REGISTRY_ADMIN), client_for(people["dm"])
    suspend = {"status": "suspended", "reason": "fees unpaid"}
    assert admin.post(f"{API}/enrollments/F0100/status", json=suspend).json()["status"] == (
        "suspended"
    )
    refused = dm.post(f"{API}/cases", params={"facility": "F0100"}, json=_record("F0100", 2))
    assert refused.status_code == 409
    assert "F0100 is suspended in registry 3dp" in refused.json()["detail"]
    stored = dm.get(f"{API}/cases/{case_id}").json()
    record = {**stored["record"], "status": stored["status"]}
    assert dm.put(f"{API}/cases/{case_id}", json=record).status_code == 409
    admin.post(f"{API}/enrollments/F0100/status", json={"status": "active"})
    assert dm.put(f"{API}/cases/{case_id}", json=record).status_code == 200


def _record(facility: str, n: int) -> dict[str, Any]:
    """Return a valid record of HOME's kind for ``facility`` (which has HOME's printers)."""
    return records(HOME, n)[-1] | {"facility": facility, "local_case_id": f"{facility}-{n:03d}"}


def test_the_application_fee_is_due_when_not_active_elsewhere(api_platform: Platform) -> None:
    from printreg.governance.enrollment import Contact, EnrollmentService  # noqa: PLC0415

    operator = Actor.operator("test")
    make_facility(api_platform, "F0200", name="Hilltop", kind="academic", registries=("gsae",))
    service = EnrollmentService(api_platform, operator)
    service.set_status("gsae", "F0200", "withdrawn", reason="moving to 3dp")
    service.apply(REG, "F0200", [Contact("champion", "Sam Roe", "sam@example.org")])
    service.decide(REG, "F0200", approve=True, reason="committee meeting 2026-03")
    active = service.set_status(REG, "F0200", "active", agreement_date=dt.date(2026, 3, 2))
    assert (active.application_fee, active.annual_fee, active.application_fee_waived) == (
        500,
        1000,
        False,
    )
    assert [e.action for e in active.history] == ["apply", "decide", "activate"]


# -- a definition upgrade -----------------------------------------------------------------------


def _version_2(platform: Platform) -> str:
    """Return 3dp 2.0.0 from the current 1.1.0: cad_tool (and its specify-text) retired,
    reprint_count added, patient_sex required, a new sex code."""
    data = platform.registry(REG).current.model_dump(
        mode="json", by_alias=True, exclude_defaults=True
    )
    data["version"] = "2.0.0"
    data["changes"] = "cad_tool retired; reprint_count added; patient sex required"
    data["upgrades"] = [u for u in data["upgrades"] if u["to"] != "cad_tool"]
    for section in data["sections"]:
        section["elements"] = [e for e in section["elements"] if e["name"] != "cad_tool_other_text"]
        names = [e["name"] for e in section["elements"]]
        if "cad_tool" in names:
            at = names.index("cad_tool")
            section["elements"][at] = {
                "name": "reprint_count",
                "label": "Reprints",
                "type": "integer",
                "min": 0,
                "max": 50,
            }
        for element in section["elements"]:
            if element["name"] == "patient_sex":
                element["required"] = True
    data["value_sets"]["sex"]["values"].append({"code": "intersex", "label": "Intersex"})
    return yaml.safe_dump(data, sort_keys=False)


def _upgrade_cases(platform: Platform) -> tuple[list[dict[str, Any]], list[str]]:
    """Store five cases (four at HOME, one at OTHER); under 2.0.0 the first holds a retired
    element and the third lacks a newly required one. Return (records, ids)."""
    shaped = []
    for n, record in enumerate(records(HOME, 4) + records(OTHER, 1)):
        copy = dict(record, local_case_id=f"UP-{n}", patient_sex="female")
        copy.pop("cad_tool", None)
        copy.pop("cad_tool_other_text", None)
        shaped.append(copy)
    shaped[0]["cad_tool"] = "materialise_3matic"
    del shaped[2]["patient_sex"]
    return shaped, [store_case(platform, r["facility"], r) for r in shaped]


def test_a_definition_upgrade_dry_run_reports_and_publishes(
    api_platform: Platform, client_for: Sign
) -> None:
    shaped, ids = _upgrade_cases(api_platform)
    text = _version_2(api_platform)
    admin = client_for(REGISTRY_ADMIN)
    for person in (DATA_MANAGER, VIEWER):
        response = client_for(person).post(f"{API}/versions", json={"definition": text})
        assert response.status_code == 403

    dry = admin.post(f"{API}/versions", json={"definition": text})
    assert dry.status_code == 200, dry.text
    report = dry.json()
    assert (report["from_version"], report["to_version"]) == ("1.1.0", "2.0.0")
    assert (report["dry_run"], report["published"], report["problems"]) == (True, False, [])
    added = {(c["table"], c["column"]) for c in report["columns_added"]}
    assert ("reg_3dp_case", "reprint_count") in added
    assert report["elements_retired"] == ["cad_tool", "cad_tool_other_text"]
    assert report["elements_added"] == ["reprint_count"]
    assert [c["path"] for c in report["value_set_changes"]] == ["sex:intersex"]
    assert (report["cases_checked"], report["cases_invalid"]) == (5, 2)
    by_rule = {(i["rule"], i["field"]): i["cases"] for i in report["issues"]}
    assert by_rule == {("unknown_field", "cad_tool"): 1, ("required", "patient_sex"): 1}
    assert admin.get(f"{API}").json()["current_version"] == "1.1.0"  # nothing published

    published = admin.post(f"{API}/versions", json={"definition": text, "dry_run": False})
    assert published.status_code == 201, published.text
    assert published.json()["published"] is True
    again = admin.post(f"{API}/versions", json={"definition": text, "dry_run": False})
    assert again.status_code == 409
    versions = {
        v["version"]: (v["current"], v["cases"]) for v in admin.get(f"{API}/versions").json()
    }
    assert versions == {"1.0.0": (False, 0), "1.1.0": (False, 5), "2.0.0": (True, 0)}
    assert admin.get(f"{API}/cases/{ids[1]}").json()["definition_version"] == "1.1.0"

    dm = client_for(DATA_MANAGER)
    assert dm.get(f"{API}/versions").status_code == 403  # counts are for administrators
    fresh = dict(shaped[1], local_case_id="UP-NEW", reprint_count=1)
    made = dm.post(f"{API}/cases", params={"facility": HOME}, json=fresh)
    assert made.status_code == 201, made.text
    assert dm.get(f"{API}/cases/{made.json()['id']}").json()["definition_version"] == "2.0.0"


def test_chosen_cases_move_to_a_new_version_with_a_report(
    api_platform: Platform, client_for: Sign
) -> None:
    _, ids = _upgrade_cases(api_platform)
    RegistryService(api_platform, Actor.operator("test")).publish(
        REG, _version_2(api_platform), dry_run=False
    )
    admin, dm = client_for(REGISTRY_ADMIN), client_for(DATA_MANAGER)
    upgrade = f"{API}/versions/2.0.0/upgrade"
    chosen = ids[:3]
    assert dm.post(upgrade, json={"cases": chosen}).status_code == 403
    trial = admin.post(upgrade, json={"cases": chosen}).json()
    assert (trial["dry_run"], trial["requested"], trial["moved"]) == (True, 3, 1)
    assert admin.get(f"{API}/cases/{ids[1]}").json()["definition_version"] == "1.1.0"

    done = admin.post(upgrade, json={"cases": chosen, "dry_run": False}).json()
    assert (done["requested"], done["moved"]) == (3, 1)
    stayed = {c["id"]: c for c in done["not_moved"]}
    assert set(stayed) == {ids[0], ids[2]}
    assert stayed[ids[0]]["reason"] == "not valid under the new version"
    assert [i["rule"] for i in stayed[ids[0]]["issues"]] == ["unknown_field"]
    assert [i["path"] for i in stayed[ids[2]]["issues"]] == ["patient_sex"]
    assert admin.get(f"{API}/cases/{ids[1]}").json()["definition_version"] == "2.0.0"
    history = admin.get(f"{API}/cases/{ids[1]}/history").json()
    assert history[-1]["action"] == "upgrade"
    assert history[-1]["before"]["definition_version"] == "1.1.0"
    assert history[-1]["after"]["definition_version"] == "2.0.0"
    assert admin.get(f"{API}/cases/{ids[0]}").json()["definition_version"] == "1.1.0"

    rest = admin.post(upgrade, json={"cases": "all", "dry_run": False}).json()
    assert rest["moved"] == 2  # ids[3] and the OTHER facility's case
    assert {c["id"] for c in rest["not_moved"]} == {ids[0], ids[2]}
    nowhere = "00000000-0000-7000-8000-000000000000"
    unknown = admin.post(upgrade, json={"cases": [ids[1], nowhere]}).json()
    reasons = sorted(c["reason"] for c in unknown["not_moved"])
    assert reasons == ["already on version 2.0.0", "no such case"]


# -- who may see what ---------------------------------------------------------------------------


def test_committee_members_read_no_case_data(
    api_platform: Platform, client_for: Sign, newcomer: dict[str, str], case_ids: dict[str, str]
) -> None:
    member = client_for(newcomer["c1"])
    assert member.get(f"{API}/cases").json()["items"] == []
    for case_id in case_ids.values():
        assert member.get(f"{API}/cases/{case_id}").status_code == 404
        assert member.get(f"{API}/cases/{case_id}/history").status_code == 404
    record = records(HOME, 1)[0] | {"local_case_id": "CM-1"}
    assert member.post(f"{API}/cases", params={"facility": HOME}, json=record).status_code == 404
    assert member.post(f"{API}/lifecycle", json={"status": "closed"}).status_code == 403
    assert member.post(f"{API}/versions", json={"definition": "x: 1"}).status_code == 403
    assert member.post(f"{API}/versions/1.0.0/upgrade", json={"cases": "all"}).status_code == 403
    assert member.get(f"{API}/export", params={"facility": HOME}).status_code == 404
    assert member.get(f"{API}/export", params={"format": "jsonl"}).status_code == 403
    assert member.get(f"{API}/facilities/{HOME}/dashboard").status_code == 404


def test_facility_users_cannot_change_the_lifecycle_or_vote(
    api_platform: Platform, client_for: Sign
) -> None:
    fa = client_for(FACILITY_ADMIN)
    withdrawn = {"status": "withdrawn", "reason": "to apply again"}
    assert fa.post(f"{API}/enrollments/{HOME}/status", json=withdrawn).status_code == 200
    applied = fa.post(f"{API}/enrollments", json={"facility": HOME, "contacts": CONTACTS})
    assert applied.status_code == 201, applied.text
    votes = f"{API}/votes/enrollment/{applied.json()['application']['id']}"
    for email in (FACILITY_ADMIN, DATA_MANAGER, VIEWER, OTHER_SITE):
        person = client_for(email)
        assert person.post(f"{API}/lifecycle", json={"status": "closed"}).status_code == 403
        assert person.put(votes, json={"vote": "approve"}).status_code == 403
        assert person.get(votes).status_code == 403
    assert client_for(REGISTRY_ADMIN).get(votes).json()["approve"] == 0


def test_registry_roles_are_given_only_by_that_registrys_administrators(
    api_platform: Platform, client_for: Sign
) -> None:
    _draft_registry(api_platform)
    admin = client_for(
        make_person(
            api_platform,
            "gsx.admin2@example.org",
            registry_roles={NEW: RegistryRoleName.REGISTRY_ADMIN},
        )
    )
    person = {"display_name": "Someone", "password": "a-long-enough-password"}
    own = admin.post(
        "/api/v1/users",
        json={**person, "email": "own@example.org", "registry_roles": {NEW: "researcher"}},
    )
    assert own.status_code == 201, own.text
    assert own.json()["registry_roles"] == {NEW: ["researcher"]}
    foreign = admin.post(
        "/api/v1/users",
        json={**person, "email": "foreign@example.org", "registry_roles": {REG: "researcher"}},
    )
    assert foreign.status_code == 403
    assert REG in foreign.json()["detail"]
