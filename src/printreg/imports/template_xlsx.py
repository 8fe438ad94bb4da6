"""The import template as an Excel workbook: drop-down lists of codes, column help as comments.

Sheet ``cases`` holds the header row of the flat layout (the same columns as the CSV template)
and room for rows; each coded single-valued column gets a drop-down list (data validation) of its
codes, taken from the hidden sheet ``codes`` so that long value sets fit; each header cell carries
the column's description (label, type, requiredness, help, date format) as a comment. Date
columns are formatted as ISO dates. A multi-valued coded column keeps free text (codes joined by
';'), as a drop-down takes one value: its comment lists the codes.
"""

from __future__ import annotations

import io
from typing import Any

from printreg.dictionary import Definition, is_multiple
from printreg.ingest import FlatLayout
from printreg.ingest.describe import column_entry, reason_entry
from printreg.ingest.layout import STATUS_COLUMN
from printreg.ingest.xlsx import SHEET_NAME, column_letter

DATA_ROWS = 1000  # rows given drop-downs and formats below the header
DATE_HINT = "Dates: YYYY-MM-DD (2026-11-02), or an Excel date cell."
_STATUS_CODES = [{"code": "draft", "label": "Draft"}, {"code": "complete", "label": "Complete"}]
_COMMENT_LIMIT = 32_000  # Excel keeps comments under 32,767 characters


def _entry(layout: FlatLayout, name: str) -> dict[str, Any] | None:
    """Return the codebook entry of a column, or None for ``status``."""
    if layout.column(name) is not None:
        return column_entry(layout, name)
    if name != STATUS_COLUMN:
        return reason_entry(layout, name.removesuffix("__missing"))
    return None


def _comment(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return "Case status: draft or complete (empty: complete when every check passes)."
    parts = [f"{entry['label']}: {entry['value']}; {entry['required']}."]
    if entry["unit"]:
        parts.append(f"Unit: {entry['unit']}.")
    if entry["help"]:
        parts.append(str(entry["help"]))
    if entry["type"] in {"date", "datetime"}:
        parts.append(DATE_HINT)
    if entry["multiple"] and entry["codes"]:
        parts.append("Several codes separated by ';': " + ", ".join(
            c["code"] for c in entry["codes"]))  # fmt: skip
    return " ".join(parts)[:_COMMENT_LIMIT]


def template_xlsx(definition: Definition) -> bytes:
    """Return the import template workbook (see the module docstring) as .xlsx bytes."""
    import xlsxwriter  # noqa: PLC0415 - heavy: only this template needs it

    layout = FlatLayout(definition)
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(SHEET_NAME)
    codes = book.add_worksheet("codes")
    codes.hide()
    bold = book.add_format({"bold": True})
    date = book.add_format({"num_format": "yyyy-mm-dd"})
    text = book.add_format({"num_format": "@"})
    list_column = 0
    for at, name in enumerate(layout.columns):
        entry = _entry(layout, name)
        sheet.write_string(0, at, name, bold)
        sheet.write_comment(0, at, _comment(entry), {"x_scale": 2, "y_scale": 2})
        sheet.set_column(at, at, max(12, len(name) + 2))
        kind = entry["type"] if entry else "code"
        listed = _STATUS_CODES if entry is None else entry["codes"]
        if kind == "date":
            sheet.set_column(at, at, max(12, len(name) + 2), date)
        elif kind in {"text", "code"} or listed:
            sheet.set_column(at, at, max(12, len(name) + 2), text)  # keeps 007 as typed
        if not listed or (entry is not None and entry["multiple"]):
            continue
        codes.write_string(0, list_column, name, bold)
        for r, code in enumerate(listed, start=1):
            codes.write_string(r, list_column, str(code["code"]))
        letter = column_letter(list_column)
        sheet.data_validation(1, at, DATA_ROWS, at, {
            "validate": "list",
            "source": f"=codes!${letter}$2:${letter}${len(listed) + 1}",
            "error_type": "warning",  # labels are accepted too: warn, never block
            "error_message": "Not one of the codes: the import accepts a code or its label.",
        })  # fmt: skip
        list_column += 1
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()


__all__ = ["DATE_HINT", "is_multiple", "template_xlsx"]
