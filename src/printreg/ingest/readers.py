"""Streaming readers of import files: chunks of source rows, or one FileProblem for a bad file.

CSV and JSON Lines are read line by line and never held whole; a JSON array is parsed in memory,
which ``max_bytes`` bounds. A reader is a generator: a FileProblem found late in a file comes after
the earlier chunks were yielded, so a caller treats the whole file as rejected when one is raised.
Messages name lines and columns, never a cell's content (it may be an identifier).
"""

from __future__ import annotations

import csv
import io
import json
import re
from array import array
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import polars as pl

from printreg.ingest import strict_json
from printreg.ingest.cells import is_formula, restore
from printreg.ingest.errors import FileProblem
from printreg.ingest.layout import FlatLayout, normalise_column
from printreg.validation import safe_echo

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_READ = 64 * 1024
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Cells are joined with NUL (never in a read line) to test a whole row at C speed; only rows with
# a cell starting with a formula character or an apostrophe are checked cell by cell.
_JOIN = "\x00"
_SUSPECT_FIRST = re.compile(r"[ \t\r\n]*[=+\-@']")
_SUSPECT_NEXT = re.compile(r"\x00[ \t\r\n]*[=+\-@']")
_BLANK = "\x00 \t\r\n"
_SUSPECT_START = frozenset("- \t\r\n")  # a first cell's first character that needs a look


def _maybe_suspect(joined: str) -> bool:
    """Return whether a joined row may have a cell starting with a formula character or an
    apostrophe (after blanks): plain substring tests, twice as fast as the regexes they guard."""
    return (
        "=" in joined or "+" in joined or "@" in joined or "'" in joined or "\x00-" in joined
        or joined[:1] in _SUSPECT_START or "\x00 " in joined or "\x00\t" in joined
        or "\x00\r" in joined or "\x00\n" in joined
    )  # fmt: skip


SAVE_AS_UTF8 = "save the file as UTF-8 (CSV UTF-8 in Excel)"


class SourceRow(NamedTuple):
    """One record of a file: the 1-based line where it starts and its data.

    A named tuple rather than a frozen dataclass: it is built for every row and is cheaper.
    """

    line: int
    data: dict[str, Any]

    @property
    def key(self) -> str:
        """Return the record's local_case_id when it is safe to show, else 'line N'.

        Computed on each access (it runs the identifier scan), so rows nobody reports on cost
        nothing.
        """
        return _row_key(self.data, self.line)


def _size(count: int) -> str:
    return f"{count / 1_000_000:g} MB" if count >= 1_000_000 else f"{count:,} bytes"


def _row_key(data: Mapping[str, Any], line: int) -> str:
    case_id = data.get("local_case_id")
    text = str(case_id).strip() if isinstance(case_id, str | int) else ""
    return text if text and safe_echo(text) else f"line {line}"


class _Lines:
    """Physical lines of a binary stream as text: size-capped, UTF-8 checked, NUL refused."""

    def __init__(self, stream: BinaryIO, max_bytes: int, max_line: int) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.max_line = max_line
        self.line = 0
        self.size = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self._read()
        if not raw:
            raise StopIteration
        self.line += 1
        if self.line == 1:
            if raw.startswith(_UTF16_BOMS):
                raise FileProblem(f"the file is saved as UTF-16, not UTF-8: {SAVE_AS_UTF8}", 1)
            raw = raw.removeprefix(_BOM)
        if b"\x00" in raw:
            if self.line == 1 and raw.count(b"\x00") * 3 >= len(raw):
                raise FileProblem(f"the file is saved as UTF-16, not UTF-8: {SAVE_AS_UTF8}", 1)
            raise FileProblem(
                f"line {self.line} holds a NUL byte, which text files never contain: "
                "the file may be damaged or not a text file",
                self.line,
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileProblem(
                f"line {self.line} is not UTF-8 text: {SAVE_AS_UTF8}", self.line
            ) from None

    def _too_big(self) -> FileProblem:
        return FileProblem(
            f"the file is larger than the limit of {_size(self.max_bytes)} "
            f"(reached on line {self.line + 1}): split it into smaller files",
            self.line + 1,
        )

    def _read(self) -> bytes:
        first = self.stream.readline(_READ)
        if first.endswith(b"\n") or len(first) < _READ:  # a whole line, or the last one
            if self.size + len(first) > self.max_bytes:
                raise self._too_big()
            self.size += len(first)
            return first
        return self._read_long(first)

    def _read_long(self, first: bytes) -> bytes:
        pieces: list[bytes] = [first]
        length = len(first)
        while True:
            piece = self.stream.readline(_READ)
            if not piece:
                break
            pieces.append(piece)
            length += len(piece)
            if self.size + length > self.max_bytes:
                raise self._too_big()
            if piece.endswith(b"\n"):
                break
            if length > self.max_line:
                raise FileProblem(
                    f"line {self.line + 1} is longer than any valid row: "
                    "a line break may be missing, or a cell is far too long",
                    self.line + 1,
                )
        self.size += length
        return b"".join(pieces)


class _Records:
    """The rows of a CSV file after its header, each checked as ``read_csv`` documents.

    Iterating yields (line where the row starts, cells) for every row that is not blank and
    raises FileProblem at the first bad one. ``offset`` is the byte offset just after the last
    row yielded (the csv module reads no further than the row it returns), which is how a scan
    marks batches that a faster reader can later take whole.
    """

    def __init__(
        self,
        stream: BinaryIO,
        layout: FlatLayout,
        *,
        max_bytes: int,
        max_field: int,
        header: list[str] | None = None,
        line: int = 0,
        offset: int = 0,
    ) -> None:
        self.field_limit = min(max_field, csv.field_size_limit())
        max_line = max(_READ, (self.field_limit + 3) * (len(layout.columns) + 4))
        self.lines = _Lines(stream, max_bytes, max_line)
        self.lines.line = line
        self.lines.size = offset
        self.reader = csv.reader(self.lines, strict=True)
        if header is None:
            self.header, self.header_line = _header(self.reader, self.lines, layout)
        else:
            self.header, self.header_line = header, 1
        self.blank = 0  # blank rows skipped so far

    @property
    def offset(self) -> int:
        """Return the byte offset just after the last row read."""
        return self.lines.size

    @property
    def line(self) -> int:
        """Return the last physical line read."""
        return self.lines.line

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        header, lines, limit = self.header, self.lines, self.field_limit
        while True:
            start = lines.line + 1
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _csv_problem(exc, start, limit) from None
            joined = _JOIN.join(cells)
            if not joined.strip(_BLANK):
                self.blank += 1
                continue
            if len(cells) != len(header):
                raise FileProblem(
                    f"line {start} has {len(cells)} cells but the header (line "
                    f"{self.header_line}) has {len(header)} columns: check for a stray or "
                    "missing comma, or a quote that is not closed",
                    start,
                )
            if len(joined) > limit and max(map(len, cells)) > limit:
                cells = [_cell(c, n, start, limit) for n, c in zip(header, cells, strict=True)]
            elif _maybe_suspect(joined):  # only the suspect cells (negative numbers...)
                if _SUSPECT_FIRST.match(joined):
                    cells[0] = _cell(cells[0], header[0], start, limit)
                for match in _SUSPECT_NEXT.finditer(joined):
                    at = joined.count(_JOIN, 0, match.start()) + 1
                    cells[at] = _cell(cells[at], header[at], start, limit)
            yield start, cells


def read_csv(
    stream: BinaryIO, layout: FlatLayout, *, max_bytes: int, max_field: int, chunk_rows: int = 5000
) -> Iterator[list[SourceRow]]:
    """Yield chunks of up to ``chunk_rows`` rows of a comma-separated UTF-8 file (BOM optional).

    Data are keyed by normalised column name. Blank rows are skipped; a file with a header and
    no rows yields nothing. Raises FileProblem for a file that cannot be imported as a whole.
    """
    records = _Records(stream, layout, max_bytes=max_bytes, max_field=max_field)
    header = records.header
    chunk: list[SourceRow] = []
    for start, cells in records:
        chunk.append(SourceRow(start, dict(zip(header, cells, strict=True))))
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class CsvBatch(NamedTuple):
    """A run of rows of a checked CSV file, to be read again whole: where it is and what it holds."""

    start: int  # byte offset of its first line (blank lines before its first row included)
    end: int  # byte offset just after its last row
    line: int  # the line before its first line (its first line is line + 1)
    rows: int  # rows that are not blank
    blank: int  # blank rows among them, skipped


@dataclass(frozen=True)
class CsvScan:
    """What one careful pass over a CSV file found: it is importable, and how to read it again."""

    header: list[str]  # normalised column names
    batches: list[CsvBatch]
    keys: Counter[str]  # local case IDs that appear more than once, with their counts
    size: int  # the file's size and modification time, to notice a change before reading again
    mtime_ns: int


def scan_csv(
    path: Path, layout: FlatLayout, *, max_bytes: int, max_field: int, batch_rows: int = 5000
) -> CsvScan:
    """Check a whole CSV file as ``read_csv`` does and mark batches of ``batch_rows`` rows.

    Raises FileProblem exactly where ``read_csv`` would. Memory stays flat: rows are not kept,
    only batch boundaries and a 64-bit hash of each local case ID. Hashes seen twice are then
    checked against the IDs themselves, re-reading only the batches that hold them.
    """
    stat = path.stat()
    with path.open("rb") as stream:
        records = _Records(stream, layout, max_bytes=max_bytes, max_field=max_field)
        header = records.header
        key_at = header.index("local_case_id") if "local_case_id" in header else None
        batches: list[CsvBatch] = []
        hashes: list[array[int]] = []
        chunk = array("q")
        start, line, blank, rows = records.offset, records.line, 0, 0
        for _, cells in records:
            rows += 1
            if key_at is not None and (key := cells[key_at].strip()):
                chunk.append(hash(key))
            if rows == batch_rows:
                batches.append(CsvBatch(start, records.offset, line, rows, records.blank - blank))
                start, line, blank, rows = records.offset, records.line, records.blank, 0
                hashes.append(chunk)
                chunk = array("q")
        if rows:
            batches.append(CsvBatch(start, records.offset, line, rows, records.blank - blank))
            hashes.append(chunk)
        scan = CsvScan(header, batches, Counter(), stat.st_size, stat.st_mtime_ns)
        if key_at is not None:
            scan.keys.update(_repeated(stream, layout, scan, hashes, max_field=max_field))
    return scan


def _repeated(
    stream: BinaryIO, layout: FlatLayout, scan: CsvScan, hashes: list[array[int]], *, max_field: int
) -> Counter[str]:
    """Return the local case IDs found more than once, from the batches' hashes of them."""
    every = pl.concat(
        [pl.Series("h", chunk, dtype=pl.Int64) for chunk in hashes]
        or [pl.Series("h", [], dtype=pl.Int64)]
    )
    twice = set(every.filter(every.is_duplicated()).unique().to_list())
    del every
    found: Counter[str] = Counter()
    if not twice:
        return found
    for batch, chunk in zip(scan.batches, hashes, strict=True):
        if twice.isdisjoint(chunk):
            continue
        stream.seek(batch.start)
        data = stream.read(batch.end - batch.start)
        for row in read_csv_batch(data, layout, scan, batch, max_field=max_field):
            key = row.data["local_case_id"].strip()
            if key and hash(key) in twice:
                found[key] += 1
    return Counter({k: n for k, n in found.items() if n > 1})


def read_csv_batch(
    data: bytes, layout: FlatLayout, scan: CsvScan, batch: CsvBatch, *, max_field: int
) -> list[SourceRow]:
    """Return the rows of one batch of a scanned CSV file (its bytes), with their lines."""
    records = _Records(
        io.BytesIO(data),
        layout,
        max_bytes=len(data),
        max_field=max_field,
        header=scan.header,
        line=batch.line,
    )
    return [
        SourceRow(start, dict(zip(scan.header, cells, strict=True))) for start, cells in records
    ]


def _header(
    reader: Iterator[list[str]], lines: _Lines, layout: FlatLayout
) -> tuple[list[str], int]:
    """Return the header's normalised column names and line; FileProblem when it is unusable."""
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            raise FileProblem(
                "the file is empty: it needs a header row and one row per case"
            ) from None
        except csv.Error:
            raise FileProblem(
                f"line {lines.line} (the header row) has a misplaced or unclosed quote", lines.line
            ) from None
        if any(c.strip() for c in cells):
            break
    line = lines.line
    if len(cells) == 1:
        for separator, word in ((";", "';'"), ("\t", "tabs")):
            if separator in cells[0]:
                raise FileProblem(
                    f"the file uses {word} as separator: save it comma-separated "
                    "(CSV UTF-8 in Excel)",
                    line,
                )
    names = [normalise_column(c) for c in cells]
    if not any(layout.knows(n) for n in names if n):
        raise FileProblem(
            f"line {line} does not hold column names: the first row must be the header row of "
            "the template",
            line,
        )
    problems = layout.header_problems(cells)
    if problems:
        raise FileProblem(
            f"the header row (line {line}) has problems: " + "; ".join(problems), line
        )
    return names, line


def _cell(cell: str, column: str, line: int, limit: int) -> str:
    if len(cell) > limit:
        raise FileProblem(
            f"cell {column} on line {line} is longer than the limit of {limit:,} characters",
            line,
            column,
        )
    if is_formula(cell.strip()):
        raise FileProblem(
            f"cell {column} on line {line} holds a spreadsheet formula, not a value: "
            "paste values only (in Excel: Paste Special, Values) and save again",
            line,
            column,
        )
    return restore(cell)


def _csv_problem(exc: csv.Error, line: int, limit: int) -> FileProblem:
    if "field larger than field limit" in str(exc):
        return FileProblem(
            f"a cell of the row starting on line {line} is longer than the limit of "
            f"{limit:,} characters (or a quote is not closed)",
            line,
        )
    return FileProblem(
        f"the row starting on line {line} has a misplaced or unclosed quote: a cell holding a "
        "comma, quote or line break must be in double quotes, with inner quotes doubled",
        line,
    )


def read_jsonl(
    stream: BinaryIO, *, max_bytes: int, max_field: int, chunk_rows: int = 5000
) -> Iterator[list[SourceRow]]:
    """Yield chunks of the records of a JSON Lines file (one JSON object per line).

    Blank lines are skipped. Raises FileProblem for an empty or unreadable file.
    """
    lines = _Lines(stream, max_bytes, max_bytes)
    chunk: list[SourceRow] = []
    seen = False
    for text in lines:
        if not text.strip():
            continue
        seen = True
        try:
            value = strict_json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileProblem(
                f"line {lines.line} is not valid JSON ({exc.msg} at character {exc.colno}): "
                "each line must hold one case record {...}",
                lines.line,
            ) from None
        except strict_json.JsonRefused as exc:
            raise FileProblem(f"line {lines.line} is refused: {exc}", lines.line) from None
        chunk.append(_json_row(value, lines.line, max_field))
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if not seen:
        raise FileProblem("the file is empty: it needs one case record per line")
    if chunk:
        yield chunk


def read_json(
    stream: BinaryIO, *, max_bytes: int, max_field: int, chunk_rows: int = 5000
) -> Iterator[list[SourceRow]]:
    """Yield chunks of the records of a JSON file holding one array of records; [] yields nothing.

    The file is read whole (at most ``max_bytes``). Raises FileProblem for a bad file.
    """
    text = _json_text(stream, max_bytes)
    start = _WHITESPACE.match(text, 0)
    pos = start.end() if start else 0
    if pos == len(text):
        raise FileProblem("the file is empty: it needs a JSON array of case records")
    if text[pos] != "[":
        raise FileProblem(
            "the file must hold a JSON array of case records ([{...}, {...}]); "
            "for one record per line, use JSON Lines (.jsonl)",
            _line_at(text, pos),
        )
    try:
        strict_json.check_text(text)
    except strict_json.JsonRefused as exc:
        raise FileProblem(f"line {exc.line or 1} is refused: {exc}", exc.line or 1) from None
    chunk: list[SourceRow] = []
    pos = _skip(text, pos + 1)
    if text.startswith("]", pos):
        _expect_end(text, pos + 1)
        return
    while True:
        line = _line_at(text, pos)
        try:
            value, end = strict_json.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise FileProblem(
                f"line {exc.lineno} is not valid JSON ({exc.msg} at character {exc.colno})",
                exc.lineno,
            ) from None
        except strict_json.JsonRefused as exc:
            raise FileProblem(
                f"the record starting on line {line} is refused: {exc}", line
            ) from None
        chunk.append(_json_row(value, line, max_field))
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
        pos = _skip(text, end)
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
            continue
        if text.startswith("]", pos):
            _expect_end(text, pos + 1)
            break
        raise FileProblem(
            f"line {_line_at(text, pos)}: expected ',' or ']' after a record "
            "(the array may not be closed)",
            _line_at(text, pos),
        )
    if chunk:
        yield chunk


def _json_text(stream: BinaryIO, max_bytes: int) -> str:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileProblem(
            f"the file is larger than the limit of {_size(max_bytes)}: split it, or use JSON Lines"
        )
    if data.startswith(_UTF16_BOMS):
        raise FileProblem(f"the file is saved as UTF-16, not UTF-8: {SAVE_AS_UTF8}", 1)
    data = data.removeprefix(_BOM)
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise FileProblem(
            f"line {line} holds a NUL byte, which text files never contain: "
            "the file may be damaged, not a text file, or saved as UTF-16",
            line,
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FileProblem(f"line {line} is not UTF-8 text: {SAVE_AS_UTF8}", line) from None


def _skip(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    return match.end() if match else pos


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _expect_end(text: str, pos: int) -> None:
    end = _skip(text, pos)
    if end != len(text):
        raise FileProblem(
            f"line {_line_at(text, end)}: there is more after the closing ']' of the array",
            _line_at(text, end),
        )


def _json_row(value: object, line: int, max_field: int) -> SourceRow:
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else "a single value"
        raise FileProblem(
            f"the record on line {line} is {kind}, not a JSON object of field names and values",
            line,
        )
    _check_lengths(value, line, max_field, "")
    return SourceRow(line, value)


def _check_lengths(value: object, line: int, limit: int, path: str) -> None:
    if isinstance(value, str) and len(value) > limit:
        where = path if safe_echo(path) else "a field"
        raise FileProblem(
            f"field {where} of the record on line {line} is longer than the limit of "
            f"{limit:,} characters",
            line,
            where,
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _check_lengths(item, line, limit, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value, start=1):
            _check_lengths(item, line, limit, f"{path}[{index}]")
