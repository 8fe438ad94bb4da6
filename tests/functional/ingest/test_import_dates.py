"""Dates in imports and case writes: ISO always; a facility's declared local order besides."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.support.imports import importer, write_csv
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.domain.errors import Forbidden, NotFound, ValidationFailed
from printreg.domain.facility import Role
from printreg.facilities.models import Facility
from printreg.facilities.service import FacilityService
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry

REG = "3dp"


def _local(path: Path, order: str) -> tuple[Path, list[str]]:
    """Rewrite every filled date cell of a CSV file in the local order; return it and the ISO
    request dates it had."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    iso = [r["request_date"] for r in rows]
    for row in rows:
        for name, text in row.items():
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                year, month, day = text.split("-")
                row[name] = f"{day}/{month}/{year}" if order == "DMY" else f"{month}/{day}/{year}"
    out = path.with_name(f"local-{order}.csv")
    with out.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out, iso


@pytest.mark.parametrize("order", ["DMY", "MDY"])
def test_a_facility_that_declares_its_order_imports_its_local_dates(
    seeded: Platform, operator: Actor, tmp_path: Path, order: str
) -> None:
    layout = FlatLayout(seeded.registry(REG).current)
    batch = records("F0001", 6)
    path, iso = _local(write_csv(tmp_path / "cases.csv", layout, batch), order)
    refused = importer(seeded, operator).run(path)
    assert refused.rejected == 6
    assert refused.by_rule["type"] >= 6
    assert any("YYYY-MM-DD" in p["message"] for p in refused.problems)
    FacilityService(seeded, operator).set_date_order("F0001", order.lower())
    report = importer(seeded, operator).run(path, commit=True)
    assert (report.new, report.rejected) == (6, 0)
    service = CaseService(seeded, operator)
    for record, date in zip(batch, iso, strict=True):
        stored = service.find(REG, "F0001", record["local_case_id"]).record
        assert stored["request_date"] in (date, dt.date.fromisoformat(date))


def test_the_case_service_reads_the_same_local_dates(seeded: Platform, operator: Actor) -> None:
    record = records("F0001", 1)[0]
    iso = str(record["request_date"])
    for name, value in list(record.items()):
        if name.endswith("_date") and value:
            year, month, day = str(value).split("-")
            record[name] = f"{int(day)}/{int(month)}/{year}"
    service = CaseService(seeded, operator)
    with pytest.raises(ValidationFailed) as refused:
        service.create(REG, "F0001", record)
    assert {i.rule for i in refused.value.issues} == {"type"}
    FacilityService(seeded, operator).set_date_order("F0001", "DMY")
    service.create(REG, "F0001", record)
    stored = service.find(REG, "F0001", record["local_case_id"]).record
    assert str(stored["request_date"]) == iso


def test_only_the_facility_admin_sets_the_order_and_it_is_audited(
    seeded: Platform, operator: Actor
) -> None:
    with seeded.sessions() as session:
        ids = dict(session.execute(select(Facility.code, Facility.id)).all())
    admin = Actor("fa@x", 1, memberships={REG: {ids["F0001"]: Role.FACILITY_ADMIN}})
    viewer = Actor("v@x", 2, memberships={REG: {ids["F0001"]: Role.VIEWER}})
    assert FacilityService(seeded, admin).set_date_order("F0001", "mdy") == "MDY"
    with pytest.raises(Forbidden):
        FacilityService(seeded, viewer).set_date_order("F0001", "DMY")
    with pytest.raises(NotFound):
        FacilityService(seeded, admin).set_date_order("F0002", "DMY")
    with pytest.raises(ValidationFailed):
        FacilityService(seeded, admin).set_date_order("F0001", "YMD")
    assert FacilityService(seeded, admin).set_date_order("F0001", None) is None
    assert FacilityService(seeded, admin).date_order("F0001") is None
    with seeded.sessions() as session:
        changes = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_type == "facility").order_by(AuditEntry.id)
        ).all()
    assert [(c.before, c.after) for c in changes][-2:] == [
        ({"date_order": None}, {"date_order": "MDY"}),
        ({"date_order": "MDY"}, {"date_order": None}),
    ]
