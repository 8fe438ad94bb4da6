"""An import killed mid-way leaves every committed batch whole and nothing else."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.imports.service import Importer
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry

BATCH = 100
ROWS = 2000


def counts(platform: Platform) -> tuple[int, int, int]:
    tables = platform.registry("3dp").tables
    prints = tables.groups["prints"]
    with platform.sessions() as session:
        cases = session.scalar(select(func.count()).select_from(tables.main)) or 0
        with_prints = session.scalar(select(func.count(func.distinct(prints.c.case_id)))) or 0
        audits = (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "case")
            )
            or 0
        )
    return cases, with_prints, audits


def test_killed_import_keeps_whole_batches(
    seeded: Platform, operator: Actor, settings: object, tmp_path: Path
) -> None:
    layout = FlatLayout(seeded.registry("3dp").current)
    batch = [r for r in records("F0001", ROWS) if r.get("prints")]
    path = tmp_path / "big.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, layout.columns)
        writer.writeheader()
        for record in batch:
            writer.writerow(layout.to_row({k: v for k, v in record.items() if k != "facility"}))
    env = {**os.environ, "PRINTREG_DATABASE_URL": seeded.settings.database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "printreg", "import", str(path), "-f", "F0001", "--commit", "--batch", str(BATCH)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and counts(seeded)[0] < 3 * BATCH:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    cases, with_prints, audits = counts(seeded)
    assert 0 < cases < len(batch), "the import must be killed while it runs"
    assert cases % BATCH == 0  # only whole batches
    assert with_prints == cases  # every stored case has its print rows
    assert audits == cases  # and its audit row
    report = Importer(seeded, operator, "3dp", "F0001", batch_rows=BATCH).run(path, commit=True)
    assert (report.unchanged, report.new, report.rejected) == (cases, len(batch) - cases, 0)
    assert counts(seeded)[0] == len(batch)
