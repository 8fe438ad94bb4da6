"""All-or-nothing imports: staged apart on SQLite, switched in by one short transaction.

The outcome must be that of one transaction (same cases, group rows, audit rows, nothing when a
row is bad or a case changed meanwhile), while the registry's write lock stays free as the file
is staged.
"""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from tests.support.imports import REG, audit_count, case_count, importer, write_csv
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.facilities.models import Printer
from printreg.imports.staging import Staging
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry


@pytest.fixture
def layout(seeded: Platform) -> FlatLayout:
    return FlatLayout(seeded.registry(REG).current)


def _sqlite_file(platform: Platform) -> str:
    url = platform.engine.url
    if url.get_backend_name() != "sqlite":
        pytest.skip("staging is for SQLite's single write lock")
    return str(url.database)


def test_new_updated_and_unchanged_cases_switch_in_whole(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    every = records("F0001", 12)
    first, fresh = every[:10], every[10:]
    importer(seeded, operator).run(write_csv(tmp_path / "a.csv", layout, first), commit=True)
    changed = copy.deepcopy(first)
    changed[1]["indication_text"] = "Revised after the tumour board"
    assert len(changed[9]["prints"]) > 1
    changed[9]["prints"] = changed[9]["prints"][:1]  # group rows fewer
    staged_dir = tmp_path / "staging"
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "b.csv", layout, [*changed, *fresh]),
        commit=True,
        all_or_nothing=True,
        staging_dir=staged_dir,
    )
    assert (report.new, report.updated, report.unchanged, report.rejected) == (2, 2, 8, 0)
    assert report.committed
    assert case_count(seeded) == 12
    assert audit_count(seeded) == 10 + 2 + 2
    cases = CaseService(seeded, operator)
    assert cases.find(REG, "F0001", first[1]["local_case_id"]).record["indication_text"] == (
        "Revised after the tumour board"
    )
    assert len(cases.find(REG, "F0001", first[9]["local_case_id"]).record["prints"]) == 1
    for record in fresh:
        stored = cases.find(REG, "F0001", record["local_case_id"]).record
        assert len(stored["prints"]) == len(record["prints"])
    with seeded.sessions() as session:
        versions = session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "case")
            .order_by(AuditEntry.id)
        ).all()
    assert versions[-4:].count("update") == 2
    if seeded.engine.dialect.name == "sqlite":
        assert list(staged_dir.iterdir()) == []  # the staging file is gone
        with seeded.engine.connect() as connection:  # and no pooled connection keeps it
            names = [row[1] for row in connection.exec_driver_sql("PRAGMA database_list")]
            enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        assert names == ["main"]
        assert enforced == 1
    again = importer(seeded, operator).run(
        write_csv(tmp_path / "c.csv", layout, [*changed, *fresh]),
        commit=True,
        all_or_nothing=True,
    )
    assert (again.new, again.updated, again.unchanged) == (0, 0, 12)


def test_a_bad_row_stores_nothing_and_leaves_no_staging_file(
    seeded: Platform, operator: Actor, layout: FlatLayout, tmp_path: Path
) -> None:
    batch = records("F0001", 9)
    batch[7]["organ_system"] = "spleen"
    staged_dir = tmp_path / "staging"
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "aon.csv", layout, batch),
        commit=True,
        all_or_nothing=True,
        staging_dir=staged_dir,
    )
    assert (report.rejected, report.rolled_back, report.committed) == (1, True, False)
    assert (case_count(seeded), audit_count(seeded)) == (0, 0)
    assert not staged_dir.exists() or list(staged_dir.iterdir()) == []


def test_a_case_changed_while_staged_stops_the_switch(
    seeded: Platform,
    operator: Actor,
    layout: FlatLayout,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sqlite_file(seeded)
    first = records("F0001", 3)
    importer(seeded, operator).run(write_csv(tmp_path / "a.csv", layout, first), commit=True)
    changed = copy.deepcopy(first)
    changed[0]["indication_text"] = "Changed by the file"
    main = seeded.registry(REG).tables.main
    switch = Staging.switch

    def someone_edits_first(self: Staging, session: Session, facility_id: int) -> None:
        with seeded.sessions.begin() as other:  # another writer, before the switch
            other.execute(
                update(main)
                .where(main.c.local_case_id == first[0]["local_case_id"])
                .values(row_version=main.c.row_version + 1)
            )
        switch(self, session, facility_id)

    monkeypatch.setattr(Staging, "switch", someone_edits_first)
    extra = records("F0001", 4)[3:]
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "b.csv", layout, [*changed, *extra]),
        commit=True,
        all_or_nothing=True,
    )
    assert report.problem is not None
    assert "changed while it was imported" in report.problem
    assert not report.committed
    assert case_count(seeded) == 3  # the new case was not stored either
    assert audit_count(seeded) == 3


def test_a_printer_removed_while_staged_stops_the_switch(
    seeded: Platform,
    operator: Actor,
    layout: FlatLayout,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sqlite_file(seeded)
    batch = records("F0001", 3)
    labels = {p["printer"] for r in batch for p in r["prints"] if p.get("printer")}
    assert labels
    switch = Staging.switch

    def someone_removes_the_printers(self: Staging, session: Session, facility_id: int) -> None:
        with seeded.sessions.begin() as other:
            other.execute(delete(Printer).where(Printer.label.in_(labels)))
        switch(self, session, facility_id)

    monkeypatch.setattr(Staging, "switch", someone_removes_the_printers)
    report = importer(seeded, operator).run(
        write_csv(tmp_path / "p.csv", layout, batch), commit=True, all_or_nothing=True
    )
    assert report.problem is not None
    assert "printers row removed" in report.problem
    assert (case_count(seeded), audit_count(seeded)) == (0, 0)


def _try_write(path: str) -> bool:
    """Return whether another connection gets the write lock at once (no waiting)."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()
    return True


@pytest.mark.parametrize("staging", [True, False])
def test_the_write_lock_is_free_while_the_file_is_staged(
    seeded: Platform,
    operator: Actor,
    layout: FlatLayout,
    tmp_path: Path,
    staging: bool,
) -> None:
    path = _sqlite_file(seeded)
    free: list[bool] = []
    report = importer(seeded, operator, batch_rows=3).run(
        write_csv(tmp_path / "aon.csv", layout, records("F0001", 12)),
        commit=True,
        all_or_nothing=True,
        staging=staging,
        progress=lambda _rows: free.append(_try_write(path)),
    )
    assert report.committed
    assert case_count(seeded) == 12
    assert len(free) == 4
    # Staged: another writer gets the lock between batches; one transaction (the old way,
    # still PostgreSQL's) keeps it from the first batch to the end.
    assert all(free) if staging else not any(free)
