"""Import a file of cases for one facility: dry run by default, idempotent upsert, error file.

Two passes. The first reads the whole file for its shape (a bad file is refused before anything
is written) and its keys (a local case ID twice in one file is an error for both rows). The second
validates batches with the vectorised validator, writes new cases with COPY (PostgreSQL) or
executemany (SQLite), updates changed cases through the case writer with before/after audit
rows, leaves unchanged ones alone, and writes rejected rows to an error file in the input's own
layout after an ``_errors`` column (first, where a spreadsheet shows it). The report
(``imports.report``) counts every row and lists the first problems and stored cases. Each batch
is one transaction (``all_or_nothing``: the whole file is), so a crash or kill leaves committed
batches whole and nothing else. On SQLite an all-or-nothing file is staged apart and switched in
by one short transaction (``imports.staging``).
"""

from __future__ import annotations

import csv
import json
import queue
import re
import shutil
import tempfile
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO, Generic, Literal, TypeVar

import polars as pl
from sqlalchemy import String, any_, bindparam, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit, case_update_action
from printreg.dictionary import Definition, reason_named
from printreg.dictionary.missing import COLUMN_SUFFIX, reason_from_redcap
from printreg.domain.errors import Conflict, NotFound
from printreg.domain.issues import Issue
from printreg.facilities.models import Facility, Printer
from printreg.governance.admission import require_accepting
from printreg.imports.report import ImportReport, flat_column
from printreg.imports.staging import Staging
from printreg.ingest.cells import restore_expr
from printreg.ingest.errors import FileProblem
from printreg.ingest.layout import FlatLayout
from printreg.ingest.readers import (
    CsvBatch,
    CsvScan,
    SourceRow,
    read_csv,
    read_csv_batch,
    read_json,
    read_jsonl,
    scan_csv,
)
from printreg.platform import Platform, RegistryRuntime
from printreg.queries.service import answer_changed_fields
from printreg.storage.base import utcnow
from printreg.storage.bulk import (
    Encoded,
    case_frames,
    encode_audit,
    encode_frames,
    write_audit,
    write_frames,
)
from printreg.storage.cases import CaseWriter, StoredCase, new_case_id
from printreg.validation import ValidationContext, validate_record
from printreg.validation.batch import BatchOutcome, BatchValidator
from printreg.validation.shape import to_json_record

Format = Literal["csv", "jsonl", "json", "xlsx"]
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
    if suffix == ".xlsx":
        return "xlsx"
    raise ValueError(f"{path.name}: use a .csv, .xlsx, .jsonl or .json file")


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
            data = {
                k: (_REMOVED if self._flagged(k, flagged) or self._stray_reason(k, v) else v)
                for k, v in row.data.items()
            }
            data.pop(ERRORS_COLUMN, None)  # a re-uploaded error file: its old problems go
            if self.writer is None:  # the problems first: column A in a spreadsheet
                self.writer = csv.DictWriter(self.handle, [ERRORS_COLUMN, *data])
                self.writer.writeheader()
            self.writer.writerow({ERRORS_COLUMN: described, **data})
        else:
            record = _without(row.data, flagged)
            record.pop(ERRORS_COLUMN, None)
            self.handle.write(json.dumps({ERRORS_COLUMN: described, **record}, default=str) + "\n")

    def _flagged(self, column: str, flagged: set[str]) -> bool:
        found = self.layout.column(column)
        return found is not None and found.path in flagged

    def _stray_reason(self, column: str, value: object) -> bool:
        """Return whether a reason cell holds something other than a reason: a reason column
        takes a handful of words, so any other text is data that does not belong there."""
        if not column.endswith(COLUMN_SUFFIX) or not self.layout.knows(column) or not value:
            return False
        return reason_named(value) is None and reason_from_redcap(value) is None

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
            # A facility where the actor holds no role reads as one that does not exist.
            if facility is None or not (
                actor.sees_registry(registry) or actor.role_at(registry, facility.id) is not None
            ):
                raise NotFound.no_such("facility")
            actor.require_case_write(registry, facility.id)
            require_accepting(session, registry, facility)
            printers = list(
                session.scalars(select(Printer).where(Printer.facility_id == facility.id))
            )
        self.facility_id = facility.id
        self.facility_code = facility.code
        self.printer_ids = {p.label: p.id for p in printers}
        self._prefixes = {g.name: g.prefix for g in self.definition.groups.values()}
        self._stage: Staging | None = None  # set while an all-or-nothing import is staged
        self.context = ValidationContext(
            facility.code,
            {p.label: p.technology for p in printers},
            date_order=facility.date_order,
        )
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

    # -- CSV: one careful pass checks the file and marks batches; polars reads them -----------

    def _csv_frame(self, stream: BinaryIO, scan: CsvScan, batch: CsvBatch
                   ) -> tuple[pl.DataFrame, Callable[[int], SourceRow]]:  # fmt: skip
        """Return one batch of a scanned CSV file as a frame of strings, and its row accessor.

        Polars parses the batch's bytes; the careful reader (which checked them in the scan)
        parses them only when a row is to be reported or updated, or when polars counts the
        rows otherwise than the scan did (it reads a few odd but valid quotings differently).
        """
        stream.seek(batch.start)
        data = stream.read(batch.end - batch.start)
        careful: list[SourceRow] = []

        def rows(i: int) -> SourceRow:
            if not careful:
                careful.extend(read_csv_batch(data, self.layout, scan, batch,
                                              max_field=self.max_field))  # fmt: skip
            return careful[i]

        header = scan.header
        try:
            frame = pl.read_csv(
                data, has_header=False, new_columns=header, infer_schema=False, encoding="utf8",
                raise_if_empty=False, truncate_ragged_lines=False,
            )  # fmt: skip
            if batch.blank:
                frame = frame.filter(
                    pl.any_horizontal(pl.col(header).str.strip_chars(" \t\r\n") != "")
                )
            if frame.height != batch.rows or frame.width != len(header):
                raise pl.exceptions.ComputeError("the batch was read otherwise than scanned")
            quoted = frame.select(pl.col(header).str.starts_with("'").any()).row(0)
            frame = frame.with_columns(
                restore_expr(c) for c, q in zip(header, quoted, strict=True) if q
            )
        except pl.exceptions.PolarsError:
            rows(0)
            frame = pl.DataFrame(
                {c: [r.data[c] or None for r in careful] for c in header},
                schema=dict.fromkeys(header, pl.String),
            )
        return frame, rows

    def _csv_batches(self, path: Path, scan: CsvScan
                     ) -> Iterator[tuple[pl.DataFrame, Callable[[int], SourceRow]]]:  # fmt: skip
        with path.open("rb") as stream:
            for batch in scan.batches:
                stat = path.stat()
                if (stat.st_size, stat.st_mtime_ns) != (scan.size, scan.mtime_ns):
                    raise FileProblem("the file changed during the import: import it again")
                yield self._csv_frame(stream, scan, batch)

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

    def run(  # noqa: PLR0915 - the one entry of every format, its steps in order
        self,
        path: Path,
        fmt: Format | None = None,
        *,
        commit: bool = False,
        all_or_nothing: bool = False,
        error_path: Path | None = None,
        progress: Callable[[int], None] | None = None,
        on_commit: Callable[[Session, ImportReport], None] | None = None,
        staging: bool | None = None,
        staging_dir: Path | None = None,
    ) -> ImportReport:
        """Import the file; without ``commit`` report what would happen and write nothing.

        ``progress`` hears the rows of each batch once it is done; ``on_commit`` is called in
        each committing transaction (each batch's; with ``all_or_nothing`` the final one) just
        before it commits, so that what it writes (a job's progress) commits with the rows.
        An all-or-nothing import on SQLite is staged (``import_staging``) unless ``staging`` is
        False, in a file under ``staging_dir`` (default ``<data_dir>/staging``).
        """
        kind = fmt or detect_format(path)
        report = ImportReport(path.name, kind, committed=False)
        if not path.is_file():
            report.problem = f"{path.name} was not found: check the file name and folder"
            return report
        if kind == "xlsx":
            return self._run_xlsx(path, report, commit=commit, all_or_nothing=all_or_nothing,
                                  error_path=error_path, progress=progress, on_commit=on_commit,
                                  staging=staging, staging_dir=staging_dir)  # fmt: skip
        scan: CsvScan | None = None
        try:
            if kind == "csv":
                scan = scan_csv(path, self.layout, max_bytes=self.max_bytes,
                                max_field=self.max_field, batch_rows=self.batch_rows)  # fmt: skip
                keys = scan.keys
            else:
                keys = self._scan(path, kind)
        except FileProblem as problem:
            report.problem = str(problem)
            return report
        duplicates = {k for k, n in keys.items() if n > 1}
        errors = _ErrorFile(error_path, kind, self.layout) if error_path is not None else None
        if all_or_nothing and (
            staging if staging is not None else self.platform.engine.dialect.name == "sqlite"
        ):
            folder = staging_dir or Path(self.platform.settings.data_dir) / "staging"
            try:
                self._stage = Staging(self.platform.engine, self.runtime.tables, folder)
            except BaseException:
                if errors is not None:
                    errors.close()
                raise
        stage = self._stage
        session = stage.session() if stage is not None else self.platform.sessions()
        # Batches are read, validated and cut into table rows one or two ahead, in a thread,
        # while this one writes: the database works while Python prepares the next batch.
        ahead = _Ahead(self._prepared(path, kind, scan, duplicates), depth=1)
        try:
            self._write(session, ahead, duplicates, report, errors,
                        _Options(commit, all_or_nothing, progress, on_commit))  # fmt: skip
        except (FileProblem, pl.exceptions.PolarsError) as problem:  # the file changed meanwhile
            session.rollback()
            report.problem = (
                str(problem)
                if isinstance(problem, FileProblem)
                else "the file changed during the import: import it again"
            )
        except _SwitchError as failed:
            session.rollback()
            report.problem = str(failed)
        finally:
            ahead.close()
            session.close()
            self._stage = None
            if stage is not None:
                stage.close()
            if errors is not None:
                errors.close()
        report.committed = commit and not report.rolled_back and report.problem is None
        if errors is not None and report.rejected:
            report.error_file = str(errors.path)
        elif errors is not None:
            errors.path.unlink(missing_ok=True)
        return report

    def _run_xlsx(self, path: Path, report: ImportReport, *, error_path: Path | None,
                  **options: Any) -> ImportReport:  # fmt: skip
        """Import a workbook as the CSV file of its data sheet: the same checks and writes; the
        error file becomes a workbook, and problems are named by their workbook row."""
        from printreg.ingest.xlsx import csv_to_xlsx, xlsx_to_csv  # noqa: PLC0415 - heavy

        folder = Path(tempfile.mkdtemp(prefix="printreg-xlsx-"))  # private (0700): cells
        try:
            flat = folder / f"{path.stem}.csv"
            try:
                rows = xlsx_to_csv(path, flat, max_bytes=self.max_bytes)
            except FileProblem as problem:
                report.problem = str(problem)
                return report
            flat_errors = folder / "errors.csv" if error_path is not None else None
            inner = self.run(flat, "csv", error_path=flat_errors, **options)
            inner.file, inner.format = report.file, report.format
            for listed in inner.problems:
                line = listed.get("line")
                if isinstance(line, int) and 0 < line <= len(rows):
                    listed["line"] = rows[line - 1]
            if error_path is not None and flat_errors is not None and inner.error_file:
                csv_to_xlsx(flat_errors, error_path)
                inner.error_file = str(error_path)
            return inner
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _write(self, session: Session, ahead: _Ahead[_Prepared], duplicates: set[str],
               report: ImportReport, errors: _ErrorFile | None, options: _Options
               ) -> None:  # fmt: skip
        """Write every batch: each in its transaction, or (all-or-nothing) staged then switched
        in, or (all-or-nothing, PostgreSQL) all in one transaction."""
        stage = self._stage
        whole = options.all_or_nothing and stage is None  # one transaction for the whole file
        if whole:
            session.begin()
        for batch in ahead:
            if not whole:
                session.begin()
            self._batch(session, batch, duplicates, report, errors)
            if stage is not None:
                session.commit()  # into the staging file only
            elif not options.all_or_nothing:
                if options.commit and options.on_commit is not None:
                    options.on_commit(session, report)
                session.commit() if options.commit else session.rollback()
            if options.progress is not None:
                options.progress(batch.height)
        if not options.all_or_nothing:
            return
        if options.commit and report.rejected == 0:
            if stage is not None:
                session.begin()
                self._switch(session, stage)
            if options.on_commit is not None:
                options.on_commit(session, report)
            session.commit()
        else:
            session.rollback()
            report.rolled_back = options.commit
            if options.commit:
                report.stored.clear()  # nothing was stored after all

    def _switch(self, session: Session, stage: Staging) -> None:
        """Copy the staged rows into the registry; _SwitchError when they no longer fit."""
        try:
            stage.switch(session, self.facility_id)
        except Conflict as conflict:
            raise _SwitchError(str(conflict)) from None
        except IntegrityError:
            raise _SwitchError(
                "a case with one of the file's local case IDs was stored while the file was "
                "imported: nothing was stored; import the file again"
            ) from None

    # -- one batch, prepared ahead (no database) ------------------------------------------------

    def _frames(self, path: Path, kind: Format, scan: CsvScan | None
                ) -> Iterator[tuple[pl.DataFrame, Callable[[int], SourceRow]]]:  # fmt: skip
        """Yield (flat string frame with every layout column, row accessor) per batch."""
        columns = list(dict.fromkeys(["status", *self.layout.columns]))
        if kind == "csv":
            assert scan is not None  # noqa: S101 - CSV files are scanned first
            for frame, rows in self._csv_batches(path, scan):
                yield frame.with_columns(pl.lit(None, dtype=pl.String).alias(c)
                                         for c in columns if c not in frame.columns), rows  # fmt: skip
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

    def _prepared(self, path: Path, kind: Format, scan: CsvScan | None,
                  duplicates: set[str]) -> Iterator[_Prepared]:  # fmt: skip
        """Yield every batch validated, with the table rows of its rows that may be new."""
        for frame, rows in self._frames(path, kind, scan):
            outcome = self.validator.run(frame)
            verdicts = [v and not outcome.fallback for v in outcome.ok.to_list()]
            local_ids = (
                [(v or "").strip() for v in frame["local_case_id"].to_list()]
                if "local_case_id" in frame.columns
                else [""] * frame.height
            )
            found: dict[int, list[Issue]] = {}
            if kind != "csv":  # JSON records also pass the single-record validator whole
                for i in range(frame.height):
                    row = rows(i)
                    found[i] = validate_record(
                        row.data, self.definition, self.context, record_key=row.key
                    ).errors
                    verdicts[i] = verdicts[i] and not found[i]
            candidates = [
                i for i, ok in enumerate(verdicts) if ok and local_ids[i] not in duplicates
            ]
            new = self._new_rows(outcome, frame, candidates)
            height = frame.height
            del frame, outcome  # the batch's table rows are cut: keep memory to what is written
            yield _Prepared(height, rows, local_ids, verdicts, found, new)

    def _new_rows(self, outcome: BatchOutcome, raw: pl.DataFrame, candidates: list[int]
                  ) -> _NewRows | None:  # fmt: skip
        """Return the table rows and audit rows of the given rows, were they all new cases."""
        if not candidates:
            return None
        now = utcnow()
        n = len(candidates)
        ids = pl.Series("id", [str(new_case_id()) for _ in range(n)])
        if n == raw.height:  # all of them, as usual: no copy
            canonical = outcome.frame
        else:
            take = pl.Series(candidates, dtype=pl.UInt32)
            canonical, raw = outcome.frame[take], raw[take]
        frames = case_frames(canonical, self.definition, self.runtime.tables,
                             facility_id=self.facility_id, case_ids=ids,
                             printer_ids=self.printer_ids, actor=self.actor.name, now=now)  # fmt: skip
        audit_rows = pl.DataFrame([
            pl.Series("at", [now] * n),
            pl.Series("actor", [self.actor.name] * n),
            pl.Series("action", ["create"] * n),
            pl.Series("entity_type", ["case"] * n),
            ids.alias("entity_id"),
            pl.Series("registry_code", [self.runtime.code] * n),
            pl.Series("facility_id", [self.facility_id] * n, dtype=pl.Int64),
            pl.Series("before", [None] * n, dtype=pl.String),
            _compact_json(raw).alias("after"),
        ])  # fmt: skip
        if self.platform.engine.dialect.name != "postgresql":
            return _NewRows(candidates, ids, frames, audit_rows)
        encoded = encode_frames(self.runtime.tables, frames)
        return _NewRows(candidates, ids, encoded, encode_audit(audit_rows))

    # -- one batch, written ---------------------------------------------------------------------

    def _batch(
        self,
        session: Session,
        batch: _Prepared,
        duplicates: set[str],
        report: ImportReport,
        errors: _ErrorFile | None,
    ) -> None:
        report.rows += batch.height
        main = self.runtime.tables.main
        local_ids, rows = batch.local_ids, batch.rows
        wanted = [i for i in local_ids if i]
        if session.get_bind().dialect.name == "postgresql":  # one array, not 5,000 parameters
            among = main.c.local_case_id == any_(bindparam("ids", wanted, type_=ARRAY(String)))
        else:
            among = main.c.local_case_id.in_(wanted)
        existing = dict(
            session.execute(
                select(main.c.local_case_id, main.c.id).where(
                    main.c.facility_id == self.facility_id, among
                )
            ).all()
        )
        updates: list[tuple[uuid.UUID, dict[str, Any], int]] = []  # case, record, line
        for i, local_id in enumerate(local_ids):
            if local_id in duplicates or not batch.verdicts[i]:
                row = rows(i)
                found = batch.found.get(i)
                if found is None:  # CSV: the row's shape problems, then its record's
                    record, shape = self.layout.to_record(row.data)
                    found = (
                        shape
                        + validate_record(
                            record, self.definition, self.context, record_key=row.key
                        ).errors
                    )
                self._reject(row, found, local_id in duplicates, report, errors)
            elif local_id in existing:
                row = rows(i)
                record = row.data if i in batch.found else self.layout.to_record(row.data)[0]
                updates.append((existing[local_id], record, row.line))
        if updates:
            labels = {v: k for k, v in self.printer_ids.items()}
            stored = self.runtime.reader.load_many(
                session, self.facility_id, [case_id for case_id, _, _ in updates], labels
            )
            for case_id, record, line in updates:
                self._upsert(session, stored[case_id], record, line, report)
        new = batch.new
        if new is not None:
            stored_already = {i for i in new.rows if local_ids[i] in existing}
            self._insert(session, new.without(stored_already) if stored_already else new,
                         local_ids, report)  # fmt: skip

    def _reject(self, row: SourceRow, found: list[Issue], duplicate: bool,
                report: ImportReport, errors: _ErrorFile | None) -> None:  # fmt: skip
        issues = list(found)
        if duplicate:
            issues.append(Issue("error", row.key, "local_case_id", "duplicate_in_file",
                                "this local case ID appears more than once in the file: keep "
                                "one row per case"))  # fmt: skip
        if not issues:  # the batch verdict had a reason the record check did not name
            issues.append(Issue("error", row.key, "", "invalid", "the row is not valid"))
        report.note_rejected(row.line, row.key, issues, self._shown_as(report))
        if errors is not None:
            errors.write(row, issues)

    def _shown_as(self, report: ImportReport) -> Callable[[str], str]:
        """Return how an issue path is shown: its flat column in a CSV file, else the path."""
        if report.format in {"csv", "xlsx"}:
            return partial(flat_column, prefixes=self._prefixes)
        return lambda path: path or "(record)"

    def _upsert(self, session: Session, stored: StoredCase, record: dict[str, Any], line: int,
                report: ImportReport) -> None:  # fmt: skip
        result = validate_record(record, self.definition, self.context)
        old_defn = self.runtime.definitions[stored.definition_version]
        before = {"status": stored.status, **to_json_record(old_defn, stored.record)}
        after = {"status": result.status, **to_json_record(self.definition, result.record)}
        if before == after and stored.definition_version == self.definition.version:
            report.unchanged += 1
            return
        if stored.status == "locked" or stored.deleted_at is not None:
            local_id = str(record.get("local_case_id") or "")
            report.note_rejected(line, local_id, [Issue(
                "error", local_id, "local_case_id", "case_locked_or_deleted",
                "this case is locked or deleted in the registry: it cannot be changed by an import",
            )], self._shown_as(report))  # fmt: skip
            return
        updated = StoredCase(stored.id, stored.facility_id, result.status, self.definition.version,
                             stored.row_version + 1, stored.created_at, utcnow(),
                             stored.created_by, self.actor.name, None, result.record,
                             result.derived)  # fmt: skip
        if self._stage is not None:
            self._stage_update(session, self._stage, updated, before, after)
        else:
            self.runtime.writer(self.definition.version).replace(session, updated, self.printer_ids)
            audit(session, self.actor, case_update_action(stored.status, updated.status), "case",
                  str(stored.id),
                  registry_code=self.runtime.code, facility_id=self.facility_id,
                  before=before, after=after)  # fmt: skip
            # A changed value answers the open queries on its field, as a form update does.
            answer_changed_fields(session, self.actor, self.runtime.code, stored.id, before, after)
        report.updated += 1
        report.note_stored([str(result.record.get("local_case_id") or "")], "updated")

    def _stage_update(self, session: Session, stage: Staging, updated: StoredCase,
                      before: dict[str, Any], after: dict[str, Any]) -> None:  # fmt: skip
        """Stage an updated case whole, noted as replacing its stored row version."""
        CaseWriter(stage.tables, self.definition).insert(
            session, [updated], {self.facility_id: self.printer_ids}
        )
        session.execute(
            insert(stage.replaced).values(id=updated.id, row_version=updated.row_version)
        )
        session.execute(
            insert(stage.audit).values(at=utcnow(), actor=self.actor.name,
                                       action=case_update_action(before["status"], updated.status),
                                       entity_type="case", entity_id=str(updated.id),
                                       registry_code=self.runtime.code,
                                       facility_id=self.facility_id, before=before, after=after)
        )  # fmt: skip

    def _insert(self, session: Session, new: _NewRows, local_ids: list[str],
                report: ImportReport) -> None:  # fmt: skip
        if not new.rows:
            return
        report.note_stored([local_ids[i] for i in new.rows], "new")
        if self._stage is not None:
            write_frames(session, self._stage.tables, new.tables)
            write_audit(session, new.audit, self._stage.audit)
        else:
            write_frames(session, self.runtime.tables, new.tables)
            write_audit(session, new.audit)
        report.new += len(new.rows)


@dataclass
class _NewRows:
    """The rows of a batch that are new cases unless the database already has them.

    Their table rows and audit rows: as frames (SQLite), or on PostgreSQL already encoded for
    COPY, so that writing them is only sending them. Timestamps are those of the batch's
    preparation, a moment before it is written.
    """

    rows: list[int]  # positions in the batch
    ids: pl.Series  # their case IDs, in the same order
    tables: dict[str, pl.DataFrame] | dict[str, Encoded]  # by table name
    audit: pl.DataFrame | Encoded  # one audit row per case

    def without(self, stored: set[int]) -> _NewRows:
        """Return the new rows without those at the given batch positions (stored already)."""
        gone = {str(i) for r, i in zip(self.rows, self.ids, strict=True) if r in stored}
        keep = pl.Series([r not in stored for r in self.rows], dtype=pl.Boolean)

        def cut(rows: pl.DataFrame | Encoded) -> Any:
            columns = rows.columns
            key = next(k for k in ("id", "case_id", "entity_id") if k in columns)  # the case ID
            if isinstance(rows, Encoded):
                return rows.without(key, gone)
            return rows.filter(~pl.col(key).is_in(pl.Series(list(gone), dtype=pl.String)))

        return _NewRows(
            [r for r in self.rows if r not in stored],
            self.ids.filter(keep),
            {name: cut(rows) for name, rows in self.tables.items()},
            cut(self.audit),
        )


class _SwitchError(Exception):
    """The staged rows could not be switched in; the message says why, for the report."""


@dataclass(frozen=True)
class _Options:
    """How ``Importer.run`` writes: commit or not, whole file or per batch, and its hooks."""

    commit: bool
    all_or_nothing: bool
    progress: Callable[[int], None] | None
    on_commit: Callable[[Session, ImportReport], None] | None


@dataclass
class _Prepared:
    """One batch, read and validated, ready to be written."""

    height: int  # rows in the batch
    rows: Callable[[int], SourceRow]  # the source row at a position, for reports and updates
    local_ids: list[str]
    verdicts: list[bool]  # passed every check
    found: dict[int, list[Issue]]  # JSON: each record's issues from the single-record validator
    new: _NewRows | None


T = TypeVar("T")
_END = object()


class _Ahead(Generic[T]):
    """Runs an iterator in a worker thread, at most ``depth`` items ahead of its consumer.

    The worker starts on item n + depth only once the consumer has asked for item n + 1 (so is
    done with item n): with depth 1, one batch is written while the next is prepared, and memory
    holds two batches whatever the file's size. An exception in the worker is raised in the
    consumer; ``close`` stops the worker (it finishes the item in hand first) and waits for it.
    """

    def __init__(self, source: Iterator[T], depth: int = 1) -> None:
        self._source = source
        self._queue: queue.Queue[tuple[object, Any]] = queue.Queue()
        self._room = threading.Semaphore(depth + 1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._work, name="import-ahead", daemon=True)
        self._started = False

    def _work(self) -> None:
        try:
            while True:
                while not self._room.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                if self._stop.is_set():
                    return
                item = next(self._source, _END)
                if item is _END:
                    self._queue.put((_END, None))
                    return
                self._queue.put((None, item))
        except BaseException as exc:  # noqa: BLE001 - handed over to the consumer
            self._queue.put((exc, None))
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        if not self._started:
            self._started = True
            self._thread.start()
        while True:
            kind, item = self._queue.get()
            if kind is _END:
                return
            if isinstance(kind, BaseException):
                raise kind
            yield item
            del item  # done with it: the worker may start another one
            self._room.release()

    def close(self) -> None:
        """Stop the worker and wait for it."""
        self._stop.set()
        if self._started:
            self._thread.join()
        while not self._queue.empty():  # drop what was prepared and never taken
            self._queue.get_nowait()


def _compact_json(frame: pl.DataFrame) -> pl.Series:
    """Return each row as a JSON object of its non-empty cells (column names are plain words).

    Built as text per column, rather than encoding every cell and deleting the nulls again:
    columns empty in every row are left out, and only columns holding a character that JSON
    escapes go through the JSON encoder.
    """
    escape = r'[\x00-\x1f"\\]'
    filled = frame.select(pl.all().is_not_null().any()).row(0)
    columns = [c for c, f in zip(frame.columns, filled, strict=True) if f]
    needs = frame.select(pl.col(columns).str.contains(escape).any()).row(0) if columns else ()
    parts = []
    for name, escaped in zip(columns, needs, strict=True):
        col = pl.col(name)
        text = pl.lit('"') + col + pl.lit('"')
        if escaped:
            encoded = pl.struct(col).struct.json_encode().str.slice(len(name) + 4).str.head(-1)
            text = pl.when(col.str.contains(escape)).then(encoded).otherwise(text)
        parts.append(pl.lit(f'"{name}":') + text)
    if not parts:
        return pl.repeat("{}", frame.height, dtype=pl.String, eager=True)
    body = pl.concat_str(parts, separator=",", ignore_nulls=True)
    return frame.select(pl.concat_str([pl.lit("{"), body.fill_null(""), pl.lit("}")]))[:, 0]
