"""Facilities and printers: validation, permissions, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from printreg.domain.facility import Role
from printreg.facilities.models import Facility
from printreg.facilities.schemas import FacilityProfile, PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry


def _facility_id(platform: Platform, code: str) -> int:
    with platform.sessions() as session:
        found = session.scalar(select(Facility.id).where(Facility.code == code))
    assert found is not None
    return found


def test_facility_and_printer_writes_are_audited(platform: Platform, operator: Actor) -> None:
    service = FacilityService(platform, operator)
    service.add(FacilityProfile("LAB9", "Lab Nine", "community", "rural", "west", "surgery"))
    service.add_printer(
        PrinterInfo("LAB9", "F4-1", "Formlabs", "Form 4", "vat_photopolymerization")
    )
    with platform.sessions() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(r.entity_type, r.action, r.actor) for r in rows] == [
        ("facility", "create", operator.name),
        ("printer", "create", operator.name),
    ]
    assert rows[1].after is not None
    assert rows[1].after["technology"] == "vat_photopolymerization"


def test_bad_profile_values_are_named(platform: Platform, operator: Actor) -> None:
    with pytest.raises(ValidationFailed) as failure:
        FacilityService(platform, operator).add(
            FacilityProfile("LAB8", "Lab", "castle", "moon", "west", "radiology")
        )
    assert {(i.path, i.rule) for i in failure.value.issues} == {
        ("facility_type", "value_set"),
        ("location", "value_set"),
    }


def test_printer_label_is_unique_per_facility(seeded: Platform, operator: Actor) -> None:
    service = FacilityService(seeded, operator)
    label = service.printers("F0001")[0].label
    with pytest.raises(Conflict, match="already has a printer"):
        service.add_printer(PrinterInfo("F0001", label, "X", "Y", "material_jetting"))
    with pytest.raises(ValidationFailed):
        service.add_printer(PrinterInfo("F0001", "new", "X", "Y", "laser_magic"))


def test_facility_admins_manage_only_their_facility(seeded: Platform) -> None:
    admin = Actor(
        "fa@x", 1, memberships={"3dp": {_facility_id(seeded, "F0001"): Role.FACILITY_ADMIN}}
    )
    service = FacilityService(seeded, admin)
    service.add_printer(PrinterInfo("F0001", "P-new", "X", "Y", "material_extrusion"))
    with pytest.raises(NotFound):
        service.add_printer(PrinterInfo("F0002", "P-new", "X", "Y", "material_extrusion"))
    with pytest.raises(Forbidden):
        service.add(FacilityProfile("LAB7", "Lab", "community", "rural", "west", "surgery"))
    assert {f.code for f, _ in service.facilities()} == {"F0001"}
    assert {p.facility for p in service.printers()} == {"F0001"}
    viewer = Actor("v@x", 2, memberships={"3dp": {_facility_id(seeded, "F0001"): Role.VIEWER}})
    with pytest.raises(Forbidden):
        FacilityService(seeded, viewer).add_printer(
            PrinterInfo("F0001", "P-2", "X", "Y", "material_extrusion")
        )
