"""Printers are changed and retired by their facility's administrators, audited; a retired
printer stays on its cases and in the inventory but the case form no longer offers it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from printreg.domain.facility import Role
from printreg.facilities.models import Facility
from printreg.facilities.schemas import PrinterChanges, PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry


def _admin_of(platform: Platform, code: str, role: Role = Role.FACILITY_ADMIN) -> Actor:
    with platform.sessions() as session:
        facility_id = session.scalar(select(Facility.id).where(Facility.code == code))
    assert facility_id is not None
    return Actor(name=f"{role}@{code}", user_id=99, memberships={"3dp": {facility_id: role}})


def _audit(platform: Platform, printer_id: int) -> list[tuple[str, dict[str, object] | None]]:
    with platform.sessions() as session:
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "printer", AuditEntry.entity_id == str(printer_id))
            .order_by(AuditEntry.id)
        )
        return [(r.action, r.after) for r in rows]


def test_a_facility_administrator_renames_a_printer_and_the_change_is_audited(
    seeded: Platform,
) -> None:
    service = FacilityService(seeded, _admin_of(seeded, "F0001"))
    made = service.add_printer(PrinterInfo("F0001", "P-old", "Acme", "A1", "material_jetting"))
    assert made.id is not None
    changed = service.update_printer("F0001", made.id, PrinterChanges(label="P-new", model="A2"))
    assert (changed.label, changed.model, changed.manufacturer) == ("P-new", "A2", "Acme")
    assert [p.label for p in service.printers("F0001")].count("P-new") == 1
    assert _audit(seeded, made.id)[-1] == ("update", {"label": "P-new", "model": "A2"})


def test_a_label_taken_in_the_facility_or_a_bad_technology_is_refused(seeded: Platform) -> None:
    service = FacilityService(seeded, _admin_of(seeded, "F0001"))
    first = service.printers("F0001")[0]
    second = service.add_printer(PrinterInfo("F0001", "P-2", "Acme", "A1", "material_jetting"))
    assert second.id is not None
    with pytest.raises(Conflict, match="already has a printer"):
        service.update_printer("F0001", second.id, PrinterChanges(label=first.label))
    with pytest.raises(ValidationFailed) as refused:
        service.update_printer("F0001", second.id, PrinterChanges(technology="laser_magic"))
    assert [i.path for i in refused.value.issues] == ["technology"]
    assert service.printer("F0001", second.id).label == second.label


def test_retiring_needs_a_reason_keeps_the_printer_and_hides_it_from_new_cases(
    seeded: Platform,
) -> None:
    service = FacilityService(seeded, _admin_of(seeded, "F0001"))
    printer = service.printers("F0001")[0]
    assert printer.id is not None
    with pytest.raises(ValidationFailed, match="reason"):
        service.set_printer_active("F0001", printer.id, active=False, reason="  ")
    assert service.printer("F0001", printer.id).active
    retired = service.set_printer_active("F0001", printer.id, active=False, reason="sold")
    assert not retired.active
    assert printer.label in [p.label for p in service.printers("F0001")]
    assert printer.label not in [p.label for p in service.printers("F0001", active_only=True)]
    assert _audit(seeded, printer.id)[-1] == ("retire", {"active": False, "reason": "sold"})
    back = service.set_printer_active("F0001", printer.id, active=True)
    assert back.active
    assert _audit(seeded, printer.id)[-1][0] == "reinstate"


def test_only_the_facility_administrators_change_printers(seeded: Platform) -> None:
    admin = FacilityService(seeded, _admin_of(seeded, "F0001"))
    own = admin.printers("F0001")[0]
    foreign = FacilityService(seeded, Actor.operator()).printers("F0002")[0]
    assert own.id is not None
    assert foreign.id is not None
    manager = FacilityService(seeded, _admin_of(seeded, "F0001", Role.DATA_MANAGER))
    with pytest.raises(Forbidden):
        manager.update_printer("F0001", own.id, PrinterChanges(label="X"))
    with pytest.raises(Forbidden):
        manager.set_printer_active("F0001", own.id, active=False, reason="no")
    # another facility's printer, and a printer named under the wrong facility: not found
    for code, printer_id in (("F0002", foreign.id), ("F0001", foreign.id), ("F9999", own.id)):
        with pytest.raises(NotFound, match="no such printer"):
            admin.update_printer(code, printer_id, PrinterChanges(label="X"))
    assert FacilityService(seeded, Actor.operator()).printer("F0002", foreign.id) == foreign


def test_an_enrollment_application_lists_only_printers_in_use(seeded: Platform) -> None:
    from printreg.governance.enrollment import Contact, EnrollmentService  # noqa: PLC0415

    service = FacilityService(seeded, _admin_of(seeded, "F0001"))
    printer = service.printers("F0001")[0]
    assert printer.id is not None
    service.set_printer_active("F0001", printer.id, active=False, reason="broken beyond repair")
    service.add_printer(PrinterInfo("F0001", "P-in-use", "Acme", "A1", "material_jetting"))
    operator = Actor.operator()
    EnrollmentService(seeded, operator).set_status("3dp", "F0001", "withdrawn", reason="test")
    contact = Contact("coordinator", "A B", "a@example.org", "")
    application = EnrollmentService(seeded, operator).apply("3dp", "F0001", [contact], "again")
    assert application.application is not None
    labels = [p["label"] for p in application.application.printers]
    assert labels == ["P-in-use"]
