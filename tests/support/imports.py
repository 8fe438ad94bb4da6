"""Import helpers shared by the import, job, staging and security tests: files, counts, polling."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from pathlib import Path
from typing import Any

import httpx
import xlsxwriter
from sqlalchemy import func, select

from printreg.accounts.actor import Actor
from printreg.imports.service import Importer
from printreg.ingest import FlatLayout
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry
from tests.support.web import API, HOME, UserClient

REG = "3dp"


def write_csv(path: Path, layout: FlatLayout, rows: list[dict[str, Any]]) -> Path:
    """Write ``rows`` to ``path`` in the flat CSV layout; return the path."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, layout.columns)
        writer.writeheader()
        for record in rows:
            writer.writerow(layout.to_row({k: v for k, v in record.items() if k != "facility"}))
    return path


def csv_bytes(platform: Platform, rows: list[dict[str, Any]]) -> bytes:
    """Return ``rows`` as a CSV file's bytes in the current 3dp layout."""
    layout = FlatLayout(platform.registry(REG).current)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, layout.columns)
    writer.writeheader()
    for record in rows:
        writer.writerow(layout.to_row({k: v for k, v in record.items() if k != "facility"}))
    return buffer.getvalue().encode("utf-8")


def case_count(platform: Platform) -> int:
    """Return the number of 3dp case rows stored."""
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(main)) or 0


def audit_count(platform: Platform) -> int:
    """Return the number of audit rows about cases."""
    with platform.sessions() as session:
        return (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.entity_type == "case")
            )
            or 0
        )


def importer(platform: Platform, operator: Actor, batch_rows: int = 4) -> Importer:
    """Return an importer of 3dp cases at F0001 with small batches."""
    return Importer(platform, operator, REG, "F0001", batch_rows=batch_rows)


def upload(client: UserClient, content: bytes, *, commit: bool = False,
           name: str = "cases.csv") -> httpx.Response:  # fmt: skip
    """Upload a CSV file for import at F0001 through the API; return the answer."""
    return client.post(
        f"{API}/imports",
        params={"facility": HOME, "commit": str(commit).lower()},
        files={"file": (name, content, "text/csv")},
    )


def finished(client: UserClient, job_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """Poll the job's status until it has finished (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(f"/api/v1/imports/{job_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] in ("done", "failed"):
            return body
        time.sleep(0.05)
    raise AssertionError(f"import {job_id} did not finish in {timeout} s")


def xlsx_bytes(platform: Platform, rows: list[dict[str, Any]], *, typed: bool = True) -> bytes:
    """Return ``rows`` as an .xlsx workbook in the current 3dp layout (sheet ``cases``).

    With ``typed``, cells that read as numbers or ISO dates are written as Excel numbers and
    dates, as a person filling the template in Excel would leave them.
    """
    layout = FlatLayout(platform.registry(REG).current)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet("cases")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for at, name in enumerate(layout.columns):
        sheet.write_string(0, at, name)
    for r, record in enumerate(rows, start=1):
        flat = layout.to_row({k: v for k, v in record.items() if k != "facility"})
        for at, name in enumerate(layout.columns):
            text = flat.get(name, "")
            if not text:
                continue
            if typed and text.lstrip("-").isdigit() and not text.startswith("0") and len(text) < 15:
                sheet.write_number(r, at, int(text))
            elif typed and len(text) == 10 and text[4] == "-" and text[7] == "-":
                sheet.write_datetime(r, at, dt.datetime.fromisoformat(text), day)
            else:
                sheet.write_string(r, at, text)
    book.close()
    return out.getvalue()
