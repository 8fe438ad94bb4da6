"""Import a file of cases for one facility: dry run by default, idempotent upsert, error file.

Two passes. The first reads the whole file for its shape (a bad file is refused before anything
is written) and its keys (a local case ID twice in one file is an error for both rows). The second
validates batches with the vectorised validator, writes new cases with COPY (PostgreSQL) or
executemany (SQLite), updates changed cases through the case writer with before/after audit
rows, leaves unchanged ones alone, and writes rejected rows to an error file in the input's own
layout with an ``_errors`` column. Each batch is one transaction (``all_or_nothing``: the whole
file is), so a crash or kill leaves committed batches whole and nothing else.
"""

from __future__ import annotations

import csv
import json
import re
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.dictionary import Definition
from printreg.domain.errors import NotFound
from printreg.domain.issues import Issue
from printreg.ingest.cells import restore_expr
from printreg.ingest.errors import FileProblem
from printreg.ingest.layout import FlatLayout
from printreg.ingest.readers import SourceRow, read_csv, read_json, read_jsonl
from printreg.services.actor import Actor
from printreg.services.audit import audit
from printreg.services.platform import Platform, RegistryRuntime
from printreg.storage.bulk import case_frames, write_audit, write_frames
from printreg.storage.cases import StoredCase, new_case_id
from printreg.storage.platform import Facility, Printer, utcnow
from printreg.validation import ValidationContext, validate_record
from printreg.validation.batch import BatchValidator
from printreg.validation.shape import to_json_record

Format = Literal["csv", "jsonl", "json"]
Action = Literal["new", "updated", "unchanged", "rejected"]
ERRORS_COLUMN = "_errors"
_REMOVED = "[removed: looked like a patient identifier]"


def detect_format(path: Path) -> Format:
    """Return the file format from its suffix; ValueError for anything else."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        return "csv"
    if suffix in {".jsonl", ".ndjson"}:
        return "jsonl"
    if suffix == ".json":
        return "json"
    raise ValueError(f"{path.name}: use a .csv, .jsonl or .json file")


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do."""

    file: str
    format: str
    committed: bool
    rows: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    by_rule: Counter[str] = field(default_factory=Counter)
    problem: str | None = None
    error_file: str | None = None
    rolled_back: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "file": self.file, "format": self.format, "committed": self.committed,
            "rolled_back": self.rolled_back, "rows": self.rows, "new": self.new,
            "updated": self.updated, "unchanged": self.unchanged, "rejected": self.rejected,
            "by_rule": dict(self.by_rule.most_common()), "problem": self.problem,
            "error_file": self.error_file,
        }  # fmt: skip


class _ErrorFile:
    """Rejected rows in the input's layout, plus ``_errors``; identifier-like values removed."""

    def __init__(self, path: Path, fmt: Format, layout: FlatLayout) -> None:
        self.path = path
        self.fmt = fmt
        self.layout = layout
        self.handle = path.open("w", encoding="utf-8", newline="")
        self.writer: csv.DictWriter[str] | None = None

    def write(self, row: SourceRow, issues: list[Issue]) -> None:
        flagged = {_element_path(i.path) for i in issues if i.rule.startswith("identifier_")}
        described = "; ".join(f"{i.path or '(record)'}: {i.rule}: {i.message}" for i in issues)
        if self.fmt == "csv":
            data = {k: (_REMOVED if self._flagged(k, flagged) else v) for k, v in row.data.items()}
            if self.writer is None:
                self.writer = csv.DictWriter(self.handle, [*data, ERRORS_COLUMN])
                self.writer.writeheader()
            self.writer.writerow({**data, ERRORS_COLUMN: described})
        else:
            record = _without(row.data, flagged)
            self.handle.write(json.dumps({**record, ERRORS_COLUMN: described}, default=str) + "\n")

    def _flagged(self, column: str, flagged: set[str]) -> bool:
        found = self.layout.column(column)
        return found is not None and found.path in flagged

    def close(self) -> None:
        self.handle.close()


def _element_path(path: str) -> str:
    """Return an issue path without a trailing item index: 'indication_icd10[2]' → 'indication_icd10'."""
    return re.sub(r"\[\d+\]$", "", path)


def _without(record: dict[str, Any], flagged: set[str]) -> dict[str, Any]:
    """Return a copy of a JSON record with the values at the flagged element paths removed."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        if key in flagged:
            out[key] = _REMOVED
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[key] = [
                {k: (_REMOVED if f"{key}[{n}].{k}" in flagged else v) for k, v in item.items()}
                for n, item in enumerate(value, start=1)
            ]
        else:
            out[key] = value
    return out


class Importer:
    """Imports one file for one facility of one registry, as one actor."""

    def __init__(
        self,
        platform: Platform,
        actor: Actor,
        registry: str,
        facility_code: str,
        *,
        batch_rows: int = 5000,
        max_bytes: int = 2_000_000_000,
        max_field: int = 10_000,
    ) -> None:
        self.platform = platform
        self.actor = actor
        self.runtime: RegistryRuntime = platform.registry(registry)
        self.definition: Definition = self.runtime.current
        self.layout = FlatLayout(self.definition)
        self.batch_rows = batch_rows
        self.max_bytes = max_bytes
        self.max_field = max_field
        with platform.sessions() as session:
            facility = session.scalar(select(Facility).where(Facility.code == facility_code))
            if facility is None:
                raise NotFound(f"no facility with code {facility_code!r}")
            actor.require_case_write(registry, facility.id)
            printers = list(
                session.scalars(select(Printer).where(Printer.facility_id == facility.id))
            )
        self.facility_id = facility.id
        self.facility_code = facility.code
        self.printer_ids = {p.label: p.id for p in printers}
        self.context = ValidationContext(facility.code, {p.label: p.technology for p in printers})
        self.validator = BatchValidator(self.definition, self.context)

    def _chunks(self, stream: BinaryIO, fmt: Format) -> Iterator[list[SourceRow]]:
        limits = {
            "max_bytes": self.max_bytes,
            "max_field": self.max_field,
            "chunk_rows": self.batch_rows,
        }
        if fmt == "csv":
            return read_csv(stream, self.layout, **limits)
        if fmt == "jsonl":
            return read_jsonl(stream, **limits)
        return read_json(stream, **limits)

    def _explain(self, path: Path, fmt: Format) -> FileProblem:
        """Return the careful reader's account of a file the fast reader refused."""
        try:
            with path.open("rb") as stream:
                for _ in self._chunks(stream, fmt):
                    pass
        except FileProblem as problem:
            return problem
        return FileProblem("the file could not be read as comma-separated UTF-8 text: check "
                           "that it is a CSV file exported from the template")  # fmt: skip

    # -- CSV: polars reads, the careful reader explains -----------------------------------------

    def _csv_header(self, path: Path) -> list[str]:
        with path.open("rb") as stream:
            for chunk in read_csv(stream, self.layout, max_bytes=self.max_bytes,
                                  max_field=self.max_field, chunk_rows=1):  # fmt: skip
                return list(chunk[0].data)
        return []

    def _csv_frames(self, path: Path, header: list[str]) -> Iterator[pl.DataFrame]:
        lazy = pl.scan_csv(
            path, infer_schema=False, has_header=True, new_columns=header,
            encoding="utf8", raise_if_empty=False, truncate_ragged_lines=False,
        )  # fmt: skip
        yield from lazy.collect_batches(chunk_size=self.batch_rows)

    def _scan_csv(self, path: Path) -> tuple[list[str], Counter[str]]:
        """Check the whole CSV before anything is written; return its header and key counts.

        The C csv parser checks every row's width (polars would pad short rows); polars looks
        for formulas, NUL bytes and long cells, and counts the keys. Anything found is explained
        by the careful reader, with its line number.
        """
        if path.stat().st_size > self.max_bytes:
            raise self._explain(path, "csv")
        header = self._csv_header(path)  # header problems, BOM, encoding of the first line
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                width = len(header)
                for cells in csv.reader(handle, strict=True):
                    if len(cells) != width and any(c.strip() for c in cells):
                        raise self._explain(path, "csv")
        except (csv.Error, UnicodeDecodeError):
            raise self._explain(path, "csv") from None
        # Two streaming aggregate queries: memory stays flat whatever the file's size.
        lazy = pl.scan_csv(path, infer_schema=False, has_header=True, new_columns=header,
                           encoding="utf8", raise_if_empty=False)  # fmt: skip
        keys: Counter[str] = Counter()
        try:
            if header and bool(
                lazy.select(self._suspicious_expr(header).any()).collect(engine="streaming").item()
            ):
                raise self._explain(path, "csv")
            if "local_case_id" in header:
                ids = pl.col("local_case_id").str.strip_chars()
                repeated = (
                    lazy.select(ids.alias("k")).filter(pl.col("k").is_not_null() & (pl.col("k") != ""))
                    .group_by("k").len().filter(pl.col("len") > 1).collect(engine="streaming")
                )  # fmt: skip
                keys.update(
                    dict(zip(repeated["k"].to_list(), repeated["len"].to_list(), strict=True))
                )
        except pl.exceptions.PolarsError:
            raise self._explain(path, "csv") from None
        return header, keys

    def _suspicious_expr(self, columns: list[str]) -> pl.Expr:
        """Return whether a row has a cell that may be a formula, holds a NUL or is too long."""
        return pl.any_horizontal(
            [
                pl.col(c).str.contains(r"^(=\s*\S|[+\-@][A-Za-z_(])|\x00")
                | (pl.col(c).str.len_chars() > self.max_field)
                for c in columns
            ]
        )

    def _scan(self, path: Path, fmt: Format) -> Counter[str]:
        """Read a JSON file once: FileProblem if it is bad; count local case IDs."""
        keys: Counter[str] = Counter()
        with path.open("rb") as stream:
            for chunk in self._chunks(stream, fmt):
                for row in chunk:
                    value = row.data.get("local_case_id")
                    if isinstance(value, str | int) and str(value).strip():
                        keys[str(value).strip()] += 1
        return keys

    def run(
        self,
        path: Path,
        fmt: Format | None = None,
        *,
        commit: bool = False,
        all_or_nothing: bool = False,
        error_path: Path | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Import the file; without ``commit`` report what would happen and write nothing."""
        kind = fmt or detect_format(path)
        report = ImportReport(path.name, kind, committed=False)
        if not path.is_file():
            report.problem = f"{path.name} was not found: check the file name and folder"
            return report
        try:
            if kind == "csv":
                header, keys = self._scan_csv(path)
            else:
                header, keys = [], self._scan(path, kind)
        except FileProblem as problem:
            report.problem = str(problem)
            return report
        duplicates = {k for k, n in keys.items() if n > 1}
        errors = _ErrorFile(error_path, kind, self.layout) if error_path is not None else None
        session = self.platform.sessions()
        try:
            if all_or_nothing:
                session.begin()
            for frame, rows in self._batches(path, kind, header):
                if not all_or_nothing:
                    session.begin()
                self._batch(session, frame, rows, kind, duplicates, report, errors)
                if not all_or_nothing:
                    session.commit() if commit else session.rollback()
                if progress is not None:
                    progress(frame.height)
            if all_or_nothing:
                if commit and report.rejected == 0:
                    session.commit()
                else:
                    session.rollback()
                    report.rolled_back = commit
        except (FileProblem, pl.exceptions.PolarsError) as problem:  # the file changed meanwhile
            session.rollback()
            report.problem = (
                str(problem)
                if isinstance(problem, FileProblem)
                else "the file changed during the import"
            )
        finally:
            session.close()
            if errors is not None:
                errors.close()
        report.committed = commit and not report.rolled_back and report.problem is None
        if errors is not None and report.rejected:
            report.error_file = str(errors.path)
        elif errors is not None:
            errors.path.unlink(missing_ok=True)
        return report

    # -- one batch ------------------------------------------------------------------------------

    def _batches(self, path: Path, kind: Format, header: list[str]
                 ) -> Iterator[tuple[pl.DataFrame, Callable[[int], SourceRow]]]:  # fmt: skip
        """Yield (flat string frame, row accessor) per batch."""
        columns = list(dict.fromkeys(["status", *self.layout.columns]))
        if kind == "csv":
            offset = 0
            for read in self._csv_frames(path, header):
                raw = read.with_columns([restore_expr(c) for c in read.columns])
                frame = raw.with_columns([pl.lit(None, dtype=pl.String).alias(c)
                                          for c in columns if c not in raw.columns])  # fmt: skip
                start = offset

                def accessor(i: int, raw: pl.DataFrame = raw, start: int = start) -> SourceRow:
                    data = {k: ("" if v is None else v) for k, v in raw.row(i, named=True).items()}
                    return SourceRow(start + i + 2, data)

                offset += raw.height
                yield frame, accessor
            return
        with path.open("rb") as stream:
            for chunk in self._chunks(stream, kind):
                flats = []
                for row in chunk:
                    try:
                        flats.append(self.layout.to_row(row.data))
                    except (ValueError, TypeError, AttributeError):
                        flats.append({})
                frame = pl.DataFrame(
                    {c: [f.get(c) or None for f in flats] for c in columns},
                    schema=dict.fromkeys(columns, pl.String),
                )
                yield frame, chunk.__getitem__

    def _batch(
        self,
        session: Session,
        frame: pl.DataFrame,
        rows: Callable[[int], SourceRow],
        kind: Format,
        duplicates: set[str],
        report: ImportReport,
        errors: _ErrorFile | None,
    ) -> None:
        outcome = self.validator.run(frame)
        verdicts = outcome.ok.to_list()
        report.rows += frame.height
        main = self.runtime.tables.main
        local_ids = (
            [(v or "").strip() for v in frame["local_case_id"].to_list()]
            if "local_case_id" in frame.columns
            else [""] * frame.height
        )
        existing = dict(
            session.execute(
                select(main.c.local_case_id, main.c.id).where(
                    main.c.facility_id == self.facility_id,
                    main.c.local_case_id.in_([i for i in local_ids if i]),
                )
            ).all()
        )
        fresh: list[int] = []
        updates: list[tuple[uuid.UUID, dict[str, Any]]] = []
        for i, local_id in enumerate(local_ids):
            ok = verdicts[i] and not outcome.fallback
            record: dict[str, Any] | None = None
            found: list[Issue] | None = None
            if kind != "csv":
                row = rows(i)
                record = row.data
                found = validate_record(
                    record, self.definition, self.context, record_key=row.key
                ).errors
                ok = ok and not found
            if local_id in duplicates or not ok:
                row = rows(i)
                if record is None:  # CSV: the row's shape problems, then its record's
                    record, shape = self.layout.to_record(row.data)
                    found = (
                        shape
                        + validate_record(
                            record, self.definition, self.context, record_key=row.key
                        ).errors
                    )
                self._reject(row, found or [], local_id in duplicates, report, errors)
            elif local_id in existing:
                if record is None:
                    record = self.layout.to_record(rows(i).data)[0]
                updates.append((existing[local_id], record))
            else:
                fresh.append(i)
        if updates:
            labels = {v: k for k, v in self.printer_ids.items()}
            stored = self.runtime.reader.load_many(
                session, self.facility_id, [case_id for case_id, _ in updates], labels
            )
            for case_id, record in updates:
                self._upsert(session, stored[case_id], record, report)
        if fresh:
            self._insert(session, outcome.frame[fresh], frame[fresh], report)

    def _reject(self, row: SourceRow, found: list[Issue], duplicate: bool,
                report: ImportReport, errors: _ErrorFile | None) -> None:  # fmt: skip
        issues = list(found)
        if duplicate:
            issues.append(Issue("error", row.key, "local_case_id", "duplicate_in_file",
                                "this local case ID appears more than once in the file: keep "
                                "one row per case"))  # fmt: skip
        if not issues:  # the batch verdict had a reason the record check did not name
            issues.append(Issue("error", row.key, "", "invalid", "the row is not valid"))
        report.rejected += 1
        report.by_rule.update(i.rule for i in issues)
        if errors is not None:
            errors.write(row, issues)

    def _upsert(self, session: Session, stored: StoredCase, record: dict[str, Any],
                report: ImportReport) -> None:  # fmt: skip
        result = validate_record(record, self.definition, self.context)
        old_defn = self.runtime.definitions[stored.definition_version]
        before = {"status": stored.status, **to_json_record(old_defn, stored.record)}
        after = {"status": result.status, **to_json_record(self.definition, result.record)}
        if before == after and stored.definition_version == self.definition.version:
            report.unchanged += 1
            return
        if stored.status == "locked" or stored.deleted_at is not None:
            report.rejected += 1
            report.by_rule["case_locked_or_deleted"] += 1
            return
        updated = StoredCase(stored.id, stored.facility_id, result.status, self.definition.version,
                             stored.row_version + 1, stored.created_at, utcnow(),
                             stored.created_by, self.actor.name, None, result.record,
                             result.derived)  # fmt: skip
        self.runtime.writer(self.definition.version).replace(session, updated, self.printer_ids)
        audit(session, self.actor, "update", "case", str(stored.id), registry_code=self.runtime.code,
              facility_id=self.facility_id, before=before, after=after)  # fmt: skip
        report.updated += 1

    def _insert(self, session: Session, canonical: pl.DataFrame, raw: pl.DataFrame,
                report: ImportReport) -> None:  # fmt: skip
        now = utcnow()
        ids = pl.Series("id", [str(new_case_id()) for _ in range(canonical.height)])
        frames = case_frames(canonical, self.definition, self.runtime.tables,
                             facility_id=self.facility_id, case_ids=ids,
                             printer_ids=self.printer_ids, actor=self.actor.name, now=now)  # fmt: skip
        write_frames(session, self.runtime.tables, frames)
        n = canonical.height
        write_audit(session, pl.DataFrame([
            pl.Series("at", [now] * n),
            pl.Series("actor", [self.actor.name] * n),
            pl.Series("action", ["create"] * n),
            pl.Series("entity_type", ["case"] * n),
            ids.alias("entity_id"),
            pl.Series("registry_code", [self.runtime.code] * n),
            pl.Series("facility_id", [self.facility_id] * n, dtype=pl.Int64),
            pl.Series("before", [None] * n, dtype=pl.String),
            _compact_json(raw).alias("after"),
        ]))  # fmt: skip
        report.new += canonical.height


def _compact_json(frame: pl.DataFrame) -> pl.Series:
    """Return each row as a JSON object of its non-empty cells (column names are plain words)."""
    encoded = frame.select(pl.struct(pl.all()).struct.json_encode())[:, 0]
    return encoded.str.replace_all(r'"[a-z0-9_]+":null,?', "").str.replace(r",\}$", "}")
