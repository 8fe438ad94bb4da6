"""Factories for test data: facilities, people and cases, each with a few named traits.

Every factory acts as the local operator through the services (the one write path), so what it
makes is what the application would have stored; each returns what tests then refer to: a
facility's code, a person's e-mail address, a case's id.

    make_facility(platform, "F0300", kind="community", registries=("gsae",))
    make_person(platform, "admin@f0300.example.org", roles={"gsae": {"F0300": "facility_admin"}})
    make_case(platform, "F0001", status="draft", object_type="anatomic_guide")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.accounts.service import AccountService
from printreg.cases.service import CaseService
from printreg.demo.service import DEMO_PASSWORD
from printreg.domain.facility import RegistryRoleName, Role
from printreg.facilities.models import Facility, Printer
from printreg.facilities.schemas import FacilityProfile
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.storage.base import utcnow
from printreg.storage.cases import StoredCase, new_case_id
from printreg.validation import ValidationContext, validate_record
from tests.support.records import records

#: Facility traits: (facility_type, location, census_region, lab_service_model).
FACILITY_KINDS: dict[str, tuple[str, str, str, str]] = {
    "community": ("community", "rural", "midwest", "surgery"),
    "academic": ("academic", "metropolitan", "northeast", "radiology"),
    "suburban": ("community", "suburban", "west", "radiology"),
}
#: Case traits drawn from the synthetic generator's records.
STATUSES = ("complete", "draft")
OBJECT_TYPES = ("anatomic_model", "anatomic_guide")


def _operator() -> Actor:
    return Actor.operator("factory")


def make_facility(
    platform: Platform,
    code: str,
    *,
    name: str | None = None,
    kind: str = "community",
    registries: tuple[str, ...] = (),
    printers_of: str | None = None,
) -> str:
    """Add a facility of a kind (FACILITY_KINDS), active in ``registries`` (all when empty);
    with ``printers_of`` it gets that facility's printers, so its records validate alike.
    Return its code."""
    facility_type, location, region, service_model = FACILITY_KINDS[kind]
    profile = FacilityProfile(code, name or f"Facility {code}", facility_type, location, region,
                              service_model)  # fmt: skip
    facilities = FacilityService(platform, _operator())
    facilities.add(profile, registries=registries)
    if printers_of is not None:
        for printer in facilities.printers(printers_of):
            facilities.add_printer(replace(printer, facility=code))
    return code


def make_person(
    platform: Platform,
    email: str,
    *,
    roles: Mapping[str, Mapping[str, Role | str]] | None = None,
    registry_roles: Mapping[str, RegistryRoleName | str] | None = None,
    name: str | None = None,
    password: str = DEMO_PASSWORD,
) -> str:
    """Create a person with facility ``roles`` (registry → facility code → role) and registry
    roles, signing in with ``password`` (the demo one by default); return the e-mail address."""
    AccountService(platform).create_user(
        _operator(),
        email,
        name or email.split("@", maxsplit=1)[0],
        password,
        memberships={
            r: {f: Role(role) for f, role in by.items()} for r, by in (roles or {}).items()
        },
        registry_roles={r: RegistryRoleName(role) for r, role in (registry_roles or {}).items()},
    )
    return email


def case_record(
    facility: str, *, status: str = "complete", object_type: str | None = None, n: int = 1
) -> dict[str, Any]:
    """Return the ``n``-th valid 3dp record of a seeded facility with the traits asked for."""
    found = [
        record
        for record in records(facility, 40 * n, status=status)
        if object_type is None or record["object_type"] == object_type
    ]
    if len(found) < n:
        raise AssertionError(f"the generator gave too few {status} {object_type} records")
    return dict(found[n - 1])


def make_case(
    platform: Platform,
    facility: str,
    *,
    registry: str = "3dp",
    status: str = "complete",
    object_type: str | None = None,
    n: int = 1,
    **overrides: Any,
) -> str:
    """Store a 3dp case of a seeded facility with the traits (status, object type) and the
    elements in ``overrides``; return its id."""
    record = case_record(facility, status=status, object_type=object_type, n=n) | overrides
    return str(CaseService(platform, _operator()).create(registry, facility, record).id)


def store_under(
    platform: Platform, registry: str, version: str, facility: str, record: dict[str, Any]
) -> str:
    """Store a case as a facility did while ``version`` was current; return its id."""
    runtime = platform.registry(registry)
    definition = runtime.definitions[version]
    with platform.sessions() as session, session.begin():
        facility_id = session.scalars(select(Facility.id).where(Facility.code == facility)).one()
        printers = list(session.scalars(select(Printer).where(Printer.facility_id == facility_id)))
        context = ValidationContext(facility, {p.label: p.technology for p in printers})
        result = validate_record(record, definition, context)
        assert result.ok, result.errors
        now = utcnow()
        case = StoredCase(new_case_id(), facility_id, result.status, version, 1, now, now,
                          "test", "test", None, result.record, result.derived)  # fmt: skip
        runtime.writer(version).insert(
            session, [case], {facility_id: {p.label: p.id for p in printers}}
        )
    return str(case.id)
