"""The import template bundle: what a person needs to fill an import file without guessing.

One zip: ``<registry>-template.csv`` (the header, to fill), ``<registry>-example.csv`` (the
header and one synthetic case that passes validation), ``<registry>-codes.csv`` (every coded
column's codes and labels, and the facility's printer labels when a facility is named),
``codebook.json`` (every column described, as beside an export) and ``README.txt`` (the rules:
separator, dates, groups, then every column). The example lives in a file of its own, so that
filling the template never imports a fictional case by mistake.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

from printreg.dictionary import Definition, GroupElement, ScalarElement
from printreg.dictionary.dates import LOCAL_FORMATS, date_formats
from printreg.ingest import FlatLayout
from printreg.ingest.describe import codes as code_list
from printreg.validation import ValidationContext, validate_record

EXAMPLE_ID = "EXAMPLE-0001"
EXAMPLE_TRIES = 40  # synthetic cases tried before giving up on an example that validates


def example_record(
    definition: Definition, printers: Mapping[str, str], today: dt.date
) -> dict[str, Any] | None:
    """Return a synthetic case that passes validation with these printers (label → technology);
    None when the synthetic generator makes no valid case of this definition.

    A synthetic printer is replaced by one of the given printers of the same technology, so that
    the example names a printer the facility has; with no printers given, the generator's own
    printers are used (the README says to name one's own).
    """
    from printreg.synthetic import SyntheticRegistry  # noqa: PLC0415 - only the bundle needs it

    synth = SyntheticRegistry(seed=14, facilities=1, today=today)
    own = {p.label: p.technology for p in synth.printers}
    by_technology = {technology: label for label, technology in printers.items()}
    known = dict(printers) or own
    context = ValidationContext("F0001", known, today)
    for _, drawn in synth.cases(EXAMPLE_TRIES):
        record = {k: v for k, v in drawn.items() if k != "facility"}
        record["local_case_id"] = EXAMPLE_ID
        for row in record.get("prints") or []:
            technology = own.get(str(row.get("printer")))
            if printers and technology in by_technology:
                row["printer"] = by_technology[technology]
        if validate_record(record, definition, context).ok:
            return record
    return None


def codes_csv(definition: Definition, printers: Mapping[str, str]) -> str:
    """Return the code lists as CSV: column, code, label (group columns with ``<n>``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["column", "code", "label"])
    writer.writerows([["status", "draft", "Draft"], ["status", "complete", "Complete"]])
    for name, element in definition.elements.items():
        children = element.elements if isinstance(element, GroupElement) else [element]
        for child in children:
            column = (
                f"{element.prefix}_<n>_{child.name}" if isinstance(element, GroupElement) else name
            )
            writer.writerows(
                [column, c["code"], c["label"]] for c in _codes(definition, child, printers)
            )
    return buffer.getvalue()


def _codes(definition: Definition, element: ScalarElement, printers: Mapping[str, str]
           ) -> list[dict[str, str]]:  # fmt: skip
    if element.references == "printer":
        return [{"code": label, "label": f"printer ({tech})"} for label, tech in printers.items()]
    return code_list(definition, element)


def readme_text(
    definition: Definition, registry: str, date_order: str | None, *, example: bool = True
) -> str:
    """Return the README of the bundle: the files, the rules that trip people, every column."""
    stem = registry
    local = LOCAL_FORMATS.get(date_order or "")
    dates = (
        f"Dates: {date_formats(date_order)} (your facility reads {local} too)."
        if local
        else "Dates: YYYY-MM-DD only (2026-11-02). 02/11/2026 is refused, never guessed; a facility "
        "administrator can declare the facility's order (DD/MM or MM/DD) to have it read."
    )
    head = [
        f"Import template of {definition.registry.name}, definition {definition.version}",
        "",
        "Files:",
        f"- {stem}-template.csv: the columns, to fill with one row per case.",
        (
            f"- {stem}-example.csv: the same columns with one fictional case that passes the "
            "checks.\n  Copy its shape, not its row: it is an example, not a case of yours."
            if example
            else f"- {stem}-example.csv: the columns only: no synthetic example exists for this "
            "registry yet."
        ),
        f"- {stem}-codes.csv: every coded column's codes and labels (either is accepted).",
        "- codebook.json: every column described (type, unit, codes, when required); the same",
        f"  codebook comes with every export, and /api/v1/registries/{registry}/definition gives",
        "  the whole data dictionary.",
        "",
        "The rules that matter most:",
        "- Several values in one cell are separated by ';' (ct;mr, or 1;2 for part numbers). The",
        "  case form takes the same separator.",
        f"- {dates}",
        "- Leave a cell empty when there is no value. Where a column <column>__missing follows",
        "  a column, it takes the reason there is no value instead (unknown, not_asked,",
        "  not_applicable, declined: the reasons that column lists), with the value cell empty.",
        "- Never enter a patient's name, birth date, record number or contact details.",
        "- Upload the file on the import page: it is checked first and nothing is stored until",
        "  you commit. Rejected rows come back in an error file with the problems in its first",
        "  column, _errors: fix them there and upload that file again.",
        "",
    ]
    return "\n".join(head) + FlatLayout(definition).template_readme()


def bundle(
    definition: Definition,
    registry: str,
    *,
    printers: Mapping[str, str] | None = None,
    date_order: str | None = None,
    today: dt.date | None = None,
) -> bytes:
    """Return the template bundle as zip bytes (see the module docstring)."""
    from printreg.ingest.export import codebook  # noqa: PLC0415 - export loads pyarrow helpers

    layout = FlatLayout(definition)
    day = today or dt.datetime.now(dt.UTC).date()
    known = dict(printers or {})
    example = example_record(definition, known, day)
    header = layout.template_csv()
    rows = io.StringIO()
    writer = csv.DictWriter(rows, layout.columns)
    writer.writeheader()
    if example is not None:
        writer.writerow(layout.to_row(example))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{registry}-template.csv", header)
        archive.writestr(f"{registry}-example.csv", rows.getvalue())
        archive.writestr(f"{registry}-codes.csv", codes_csv(definition, known))
        book = codebook(definition)
        archive.writestr("codebook.json", json.dumps(book, ensure_ascii=False, indent=2) + "\n")
        readme = readme_text(definition, registry, date_order, example=example is not None)
        archive.writestr("README.txt", readme)
    return out.getvalue()
