"""Excel workbooks (.xlsx) as import files: read into the CSV layout, and error files written back.

An uploaded workbook is turned into a temporary CSV file that the CSV reader then checks and
imports, so a workbook has exactly the CSV import's semantics (header checks, dry run, upsert,
error rows). Cells typed by the workbook become the text a person would have typed in the CSV:
dates as ISO (2026-11-02), whole numbers without ``.0``, booleans as ``true``/``false``, empty
cells empty. A text cell that a spreadsheet would execute (``=...``) is passed on neutralised, so
the CSV reader restores it as text: in a workbook it is text, never a formula.

python-calamine and xlsxwriter are imported inside the functions that need them. Messages name
the sheet, row and column, never a cell's content (it may be an identifier).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
import zipfile
from pathlib import Path
from typing import Any

from printreg.ingest.cells import neutralise
from printreg.ingest.errors import FileProblem

XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx file is a zip archive
SHEET_NAME = "cases"  # the template's data sheet; else the workbook's first sheet is read


def looks_like_xlsx(head: bytes) -> bool:
    """Return whether a file's first bytes are those of an .xlsx (zip) file."""
    return head.startswith(XLSX_MAGIC)


def column_letter(index: int) -> str:
    """Return a 0-based column index as a spreadsheet column letter: 0 → A, 27 → AB."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: Any) -> str:
    """Return a typed workbook cell as the text the CSV reader expects ('' for an empty cell)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds" if value.second else "minutes")
    if isinstance(value, dt.timedelta):  # a duration cell: as hours:minutes
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    if isinstance(value, int):
        return str(value)
    return neutralise(str(value))


def _check_size(path: Path, max_bytes: int) -> None:
    """Refuse a workbook whose unpacked content is over the limit (a zip bomb), or no zip."""
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise FileProblem(
            "the file is not a readable Excel workbook (.xlsx): save it again from Excel"
        ) from None
    if unpacked > max_bytes:
        raise FileProblem(
            "the workbook is larger than the import limit once unpacked: split it into smaller "
            "files"
        )


_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*?\st="e"')
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "p": "http://schemas.openxmlformats.org/package/2006/relationships",
}


def _error_cell(path: Path, sheet: str) -> tuple[int, str] | None:
    """Return (row, column letter) of the sheet's first cell holding an error value (a formula's
    ``#REF!``), which the reader would give as empty; None when there is none or the workbook's
    parts are laid out otherwise than Excel writes them."""
    from xml.etree import ElementTree as ET  # noqa: PLC0415 - only workbooks need it; expat refuses entity bombs

    with zipfile.ZipFile(path) as archive:
        try:
            book = ET.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314 - see above
            rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        except (KeyError, ET.ParseError):
            return None
        ids = {e.get("name"): e.get(f"{{{_NS['r']}}}id") for e in book.iter(f"{{{_NS['m']}}}sheet")}
        targets = {e.get("Id"): e.get("Target") for e in rels.iter(f"{{{_NS['p']}}}Relationship")}
        target = targets.get(ids.get(sheet))
        if not target:
            return None
        part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        try:
            stream = archive.open(part)
        except KeyError:
            return None
        with stream:
            tail = b""
            while chunk := stream.read(1 << 20):
                found = _ERROR_CELL.search(tail + chunk)
                if found:
                    return int(found[2]), found[1].decode()
                tail = chunk[-256:]
    return None


def xlsx_to_csv(path: Path, target: Path, *, max_bytes: int) -> list[int]:
    """Write the data sheet of a workbook as a UTF-8 CSV file; return the sheet row of each CSV
    line (index 0 is line 1), so that lines reported can be named by their workbook row.

    The sheet named ``cases`` is read when there is one, else the first sheet. Raises
    FileProblem for an unreadable workbook, a merged cell in the header row, or an error value
    (``#REF!``) in a cell.
    """
    from python_calamine import CalamineError, CalamineWorkbook  # noqa: PLC0415 - heavy

    _check_size(path, max_bytes)
    try:
        book = CalamineWorkbook.from_path(str(path))
        name = SHEET_NAME if SHEET_NAME in book.sheet_names else book.sheet_names[0]
        sheet = book.get_sheet_by_name(name)
    except (CalamineError, IndexError, ValueError, OSError):
        raise FileProblem(
            "the file is not a readable Excel workbook (.xlsx): save it again from Excel"
        ) from None
    shown = name if name.isidentifier() else "the first sheet"
    error = _error_cell(path, name)
    if error is not None:
        raise FileProblem(
            f"sheet {shown}, row {error[0]}, column {error[1]} holds an error value of a "
            "formula: fix the formula or type the value",
            error[0],
            error[1],
        )
    first_row, first_col = sheet.start or (0, 0)
    merged = sheet.merged_cell_ranges or []
    lines: list[int] = []
    header_row: int | None = None
    with target.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for offset, cells in enumerate(sheet.iter_rows()):
            row = first_row + offset + 1  # as Excel numbers rows
            texts = [""] * first_col + [cell_text(c) for c in cells]
            if header_row is None and any(texts):
                header_row = row
                for (top, left), (bottom, right) in merged:
                    if top <= row - 1 <= bottom and right > left:
                        raise FileProblem(
                            f"sheet {shown}, row {row}: the header has merged cells (columns "
                            f"{column_letter(left)} to {column_letter(right)}): unmerge them so "
                            "each column has its own name, as in the template",
                            row,
                        )
            for at, text in enumerate(texts):
                if text.startswith("#") and text.rstrip("!?0/").upper() in _ERROR_STEMS:
                    raise FileProblem(
                        f"sheet {shown}, row {row}, column {column_letter(at)} holds an error "
                        "value of a formula: fix the formula or type the value",
                        row,
                        column_letter(at),
                    )
            writer.writerow(texts)
            breaks = sum(t.count("\n") for t in texts)
            lines.extend([row] * (1 + breaks))
    return lines


# Excel's error values without their trailing '!', '?' or '/0': '#DIV/0!' → '#DIV'.
_ERROR_STEMS = frozenset(
    {"#NULL", "#DIV", "#VALUE", "#REF", "#NAME", "#NUM", "#N/A", "#N/", "#GETTING_DATA",
     "#SPILL", "#CALC", "#FIELD", "#BLOCKED", "#CONNECT", "#BUSY", "#UNKNOWN"}
)  # fmt: skip


def csv_to_xlsx(source: Path, target: Path) -> None:
    """Write a CSV file (an import's error file) as a workbook of one sheet, every cell text.

    Cells are written as strings, never as formulas, whatever they start with.
    """
    import xlsxwriter  # noqa: PLC0415 - heavy: only an xlsx import's error file needs it

    book = xlsxwriter.Workbook(str(target), {"strings_to_formulas": False,
                                             "strings_to_numbers": False})  # fmt: skip
    try:
        sheet = book.add_worksheet("errors")
        bold = book.add_format({"bold": True})
        with source.open(encoding="utf-8", newline="") as handle:
            for r, cells in enumerate(csv.reader(handle)):
                for c, text in enumerate(cells):
                    if r == 0:
                        sheet.write_string(r, c, text, bold)
                    elif text:
                        sheet.write_string(r, c, text)
        sheet.freeze_panes(1, 1)
    finally:
        book.close()
