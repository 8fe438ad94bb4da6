"""The case service end to end on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases import service as cases_module
from printreg.cases.service import CaseService, decode_cursor
from printreg.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from printreg.domain.facility import Role
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry
from printreg.storage.cases import CaseQuery

REG = "3dp"


def _audit(platform: Platform) -> list[AuditEntry]:
    with platform.sessions() as session:
        return list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.entity_type == "case").order_by(AuditEntry.id)
            )
        )


def _row_counts(platform: Platform) -> dict[str, int]:
    tables = platform.registry(REG).tables
    with platform.sessions() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in tables.all_tables
        }


def test_create_then_get_returns_the_canonical_record(seeded: Platform, operator: Actor) -> None:
    record = records("F0001", 1)[0]
    service = CaseService(seeded, operator)
    saved = service.create(REG, "F0001", record)
    view = service.get(REG, saved.id)
    # The generator's records are already canonical JSON; facility and status are carried
    # beside the record, not in it.
    assert view.record == {k: v for k, v in record.items() if k not in {"facility", "status"}}
    assert view.facility == "F0001"
    assert view.status == "complete"
    assert view.derived["part_count"] == len(record.get("anatomic_parts", []))
    audit = _audit(seeded)
    assert [(a.action, a.entity_id, a.actor) for a in audit] == [
        ("create", str(saved.id), operator.name)
    ]
    assert audit[0].before is None
    assert audit[0].after is not None
    assert audit[0].after["local_case_id"] == record["local_case_id"]


def test_shown_record_can_be_added_back_unchanged(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    saved = service.create(REG, "F0001", records("F0001", 1)[0])
    shown = service.get(REG, saved.id).as_input()
    shown["local_case_id"] = "COPY-1"
    copy_id = service.create(REG, "F0001", shown).id
    again = service.get(REG, copy_id).record
    assert again == {**service.get(REG, saved.id).record, "local_case_id": "COPY-1"}


def test_multi_valued_elements_are_rows_not_joined_text(seeded: Platform, operator: Actor) -> None:
    record = records("F0001", 1)[0]
    record["source_modalities"] = ["ct", "mr"]
    saved = CaseService(seeded, operator).create(REG, "F0001", record)
    table = seeded.registry(REG).tables.multi[(None, "source_modalities")]
    with seeded.sessions() as session:
        rows = session.execute(
            select(table.c.ord, table.c.value, table.c.facility_id)
            .where(table.c.case_id == saved.id)
            .order_by(table.c.ord)
        ).all()
        facility_id = session.scalar(select(Facility.id).where(Facility.code == "F0001"))
    assert [(r.ord, r.value, r.facility_id) for r in rows] == [
        (1, "ct", facility_id),
        (2, "mr", facility_id),
    ]


def test_invalid_record_is_refused_and_nothing_is_written(
    seeded: Platform, operator: Actor
) -> None:
    record = records("F0001", 1)[0]
    record["prints"][0]["scale_pct"] = -1
    record["organ_system"] = "spleen"
    with pytest.raises(ValidationFailed) as failure:
        CaseService(seeded, operator).create(REG, "F0001", record)
    paths = {(i.path, i.rule) for i in failure.value.issues if i.severity == "error"}
    assert {("prints[1].scale_pct", "range"), ("organ_system", "value_set")} <= paths
    assert set(_row_counts(seeded).values()) == {0}
    assert _audit(seeded) == []


def test_a_failure_mid_write_leaves_nothing_behind(
    seeded: Platform, operator: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(cases_module, "audit", broken_audit)
    with pytest.raises(RuntimeError, match="disk full"):
        CaseService(seeded, operator).create(REG, "F0001", records("F0001", 1)[0])
    assert set(_row_counts(seeded).values()) == {0}


def test_duplicate_local_case_id_is_refused(seeded: Platform, operator: Actor) -> None:
    record = records("F0001", 1)[0]
    service = CaseService(seeded, operator)
    service.create(REG, "F0001", record)
    with pytest.raises(ValidationFailed) as failure:
        service.create(REG, "F0001", record)
    assert [i.rule for i in failure.value.issues] == ["duplicate_local_case_id"]


def test_update_audits_before_and_after_and_skips_no_op(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    record = records("F0001", 1)[0]
    saved = service.create(REG, "F0001", record)
    same = service.update(REG, saved.id, record)
    assert same.row_version == 1
    changed = copy.deepcopy(record)
    changed["indication_text"] = "Revised indication for surgical planning"
    updated = service.update(REG, saved.id, changed, expected_version=1)
    assert updated.row_version == 2
    audit = _audit(seeded)
    assert [a.action for a in audit] == ["create", "update"]
    assert audit[1].before is not None
    assert audit[1].after is not None
    assert audit[1].before["indication_text"] == record["indication_text"]
    assert audit[1].after["indication_text"] == "Revised indication for surgical planning"
    history = service.history(REG, saved.id)
    assert history[1].changed == ["indication_text"]
    with pytest.raises(Conflict):
        service.update(REG, saved.id, record, expected_version=1)


def test_invalid_update_keeps_the_stored_case(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    record = records("F0001", 1)[0]
    saved = service.create(REG, "F0001", record)
    before = service.get(REG, saved.id)
    broken = copy.deepcopy(record)
    broken["prints"] = []
    with pytest.raises(ValidationFailed):
        service.update(REG, saved.id, broken)
    assert service.get(REG, saved.id) == before


def test_soft_delete_and_restore(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    saved = service.create(REG, "F0001", records("F0001", 1)[0])
    deleted = service.delete(REG, saved.id)
    assert deleted.deleted_at is not None
    assert service.list_cases(REG, CaseQuery()).items == []
    assert [c.id for c in service.list_cases(REG, CaseQuery(only_deleted=True)).items] == [saved.id]
    with pytest.raises(Conflict):
        service.update(REG, saved.id, records("F0001", 1)[0])
    with pytest.raises(Conflict):
        service.delete(REG, saved.id)
    restored = service.restore(REG, saved.id)
    assert restored.deleted_at is None
    assert restored.record == deleted.record
    assert [c.id for c in service.list_cases(REG, CaseQuery()).items] == [saved.id]
    assert [a.action for a in _audit(seeded)] == ["create", "delete", "restore"]


def test_locked_case_cannot_change(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    record = records("F0001", 1)[0]
    saved = service.create(REG, "F0001", record)
    assert service.lock(REG, saved.id).status == "locked"
    with pytest.raises(Conflict, match="locked"):
        service.update(REG, saved.id, record)
    with pytest.raises(Conflict):
        service.delete(REG, saved.id)


def test_draft_may_be_incomplete_but_complete_may_not(seeded: Platform, operator: Actor) -> None:
    record = records("F0001", 1)[0]
    for name in ("delivery_date", "organ_system", "effort_cad_clinician_min"):
        record.pop(name, None)
    service = CaseService(seeded, operator)
    with pytest.raises(ValidationFailed) as failure:
        service.create(REG, "F0001", {**record, "status": "complete"})
    assert {i.path for i in failure.value.issues if i.rule == "required"} >= {"organ_system"}
    saved = service.create(REG, "F0001", {**record, "status": "draft"})
    assert saved.status == "draft"
    assert {w.path for w in saved.warnings if w.rule == "required"} >= {"organ_system"}


def test_list_filters_and_pages(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    batch = records("F0001", 12)
    for record in batch:
        service.create(REG, "F0001", record)
    service.create(REG, "F0002", records("F0002", 1)[0])
    seen: list[str] = []
    cursor = None
    while True:
        page = service.list_cases(
            REG,
            CaseQuery(limit=5, after=decode_cursor(cursor) if cursor else None),
            facility_code="F0001",
        )
        seen += [c.local_case_id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(r["local_case_id"] for r in batch)
    system = batch[0]["organ_system"]
    by_system = service.list_cases(
        REG, CaseQuery(where={"organ_system": system}, limit=100), "F0001"
    )
    assert {c.local_case_id for c in by_system.items} == {
        r["local_case_id"] for r in batch if r["organ_system"] == system
    }
    start = dt.date.fromisoformat(min(r["request_date"] for r in batch))
    in_range = service.list_cases(
        REG, CaseQuery(date_from=start, date_to=start, limit=100), "F0001"
    )
    assert {c.local_case_id for c in in_range.items} == {
        r["local_case_id"] for r in batch if r["request_date"] == start.isoformat()
    }
    assert service.list_cases(REG, CaseQuery(status="draft", limit=100), "F0001").items == []


def _member(platform: Platform, facility: str, role: Role) -> Actor:
    with platform.sessions() as session:
        facility_id = session.scalar(select(Facility.id).where(Facility.code == facility))
    assert facility_id is not None
    return Actor(name=f"user@{facility}", user_id=1, memberships={REG: {facility_id: role}})


def test_a_facility_never_sees_another_facilitys_cases(seeded: Platform, operator: Actor) -> None:
    other = CaseService(seeded, operator).create(REG, "F0002", records("F0002", 1)[0])
    mine = CaseService(seeded, _member(seeded, "F0001", Role.DATA_MANAGER))
    own = mine.create(REG, "F0001", records("F0001", 1)[0])
    with pytest.raises(NotFound):
        mine.get(REG, other.id)
    with pytest.raises(NotFound):
        mine.update(REG, other.id, records("F0002", 1)[0])
    with pytest.raises(NotFound):
        mine.delete(REG, other.id)
    with pytest.raises(NotFound):
        mine.create(REG, "F0002", records("F0002", 1)[0])
    assert [c.id for c in mine.list_cases(REG, CaseQuery()).items] == [own.id]
    with pytest.raises(NotFound, match=r"^no such facility$"):
        mine.list_cases(REG, CaseQuery(), facility_code="F0002")
    viewer = CaseService(seeded, _member(seeded, "F0001", Role.VIEWER))
    assert viewer.get(REG, own.id).id == own.id
    with pytest.raises(Forbidden):
        viewer.update(REG, own.id, records("F0001", 1)[0])


def test_create_many_stores_valid_and_reports_invalid(seeded: Platform, operator: Actor) -> None:
    good = records("F0001", 3)
    bad = copy.deepcopy(good[0])
    bad["local_case_id"] = "BAD-1"
    bad["patient_age_years"] = 300
    result = CaseService(seeded, operator).create_many(
        REG, [("F0001", r) for r in [*good, bad, good[0]]], batch_size=2
    )
    assert result.created == 3
    rules = sorted(i.rule for issues in result.rejected for i in issues if i.severity == "error")
    assert rules == ["duplicate_local_case_id", "range"]
    assert len(_audit(seeded)) == 3


def test_search_matches_text_literally_and_ignores_case(seeded: Platform, operator: Actor) -> None:
    service = CaseService(seeded, operator)
    first, second = records("F0001", 2)
    first["local_case_id"] = "LAB_2024%7"
    second["local_case_id"] = "LABX2024-7"
    service.create(REG, "F0001", first)
    service.create(REG, "F0001", second)
    found = service.list_cases(REG, CaseQuery(search="lab_2024%"), "F0001").items
    assert [c.local_case_id for c in found] == ["LAB_2024%7"]
