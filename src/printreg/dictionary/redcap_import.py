"""Read a REDCap data dictionary into a draft definition, reporting what could not be mapped.

Instruments become sections (a section header inside an instrument starts another one); the
first field, REDCap's record ID, becomes ``local_case_id``. Field types map to element types
(docs/redcap.md); calc, descriptive, file, signature and sql fields are left out, sliders become
integers, matrix groups become their single fields. Branching logic becomes ``applies_when``
when it can be said exactly; otherwise the field is kept without it. Every loss is a report line.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import dataclass, field
from typing import Any

from printreg.dictionary.conditions import Condition
from printreg.dictionary.elements import NAME_PATTERN
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.loader import parse_definition
from printreg.dictionary.missing import REASONS, reason_from_redcap
from printreg.dictionary.models import CODE_PATTERN, Definition
from printreg.dictionary.redcap_logic import Untranslatable, from_logic

SOURCE = "REDCap data dictionary"
DRAFT_VERSION = "0.1.0"
RECORD_ID = "local_case_id"
#: the field annotation listing an element's reasons for missing data (``not_asked=NASK, ...``)
MISSING_ANNOTATION = "Missing reasons: "
NAME_MAX = 48
NOTES_LENGTH = 2000
#: the API's column names, in the order of the data-dictionary CSV's 18 headers
COLUMNS = (
    "field_name", "form_name", "section_header", "field_type", "field_label",
    "select_choices_or_calculations", "field_note", "text_validation_type_or_show_slider_number",
    "text_validation_min", "text_validation_max", "identifier", "branching_logic",
    "required_field", "custom_alignment", "question_number", "matrix_group_name",
    "matrix_ranking", "field_annotation",
)  # fmt: skip
_NEEDED = ("field_name", "form_name", "field_type", "field_label")
_LEFT_OUT = {
    "descriptive": "descriptive text shown on the form, not data",
    "file": "a file upload: files are not case data in printreg",
    "signature": "a signature: files are not case data in printreg",
    "sql": "a database-query field",
}
_DECIMAL = re.compile(r"number(_\d+dp)?(_comma_decimal)?")
_IDENTIFYING = ("email", "phone", "ssn", "zipcode", "mrn", "vmrn")


def _reason(part: str) -> str | None:
    """Return the reason of one ``reason=CODE`` item (or a bare code); None when it is none."""
    name, _, code = part.strip().partition("=")
    found = REASONS.get(name.strip().lower()) or reason_from_redcap(code or name)
    return found.code if found else None


def _plain(text: str) -> str:
    """Return a label or note as plain text: HTML tags dropped, entities decoded, one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _header_key(cell: str) -> str:
    return re.sub(r"[^a-z]", "", cell.lower())


_BY_HEADER = {_header_key(h): c for h, c in zip(
    ("Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
     "Choices, Calculations, OR Slider Labels", "Field Note",
     "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
     "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
     "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
     "Field Annotation"), COLUMNS, strict=True)} | {_header_key(c): c for c in COLUMNS}  # fmt: skip


def read_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """Return the dictionary's rows as (line, column → cell); DefinitionError if it is not one."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if not rows:
        raise DefinitionError(SOURCE, ["the file is empty"])
    columns = [_BY_HEADER.get(_header_key(h)) for h in rows[0]]
    missing = [c for c in _NEEDED if c not in columns]
    if missing:
        raise DefinitionError(
            SOURCE, [f"not a REDCap data dictionary: no column {', '.join(missing)}"]
        )
    out = []
    for line, cells in enumerate(rows[1:], start=2):
        row = {c: cell.strip() for c, cell in zip(columns, cells, strict=False) if c}
        if any(row.values()):
            out.append((line, row))
    return out


@dataclass
class _Field:
    name: str
    kind: str
    spec: dict[str, Any]
    row: dict[str, str]
    annotation: list[str] = field(default_factory=list)


class _Importer:
    def __init__(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        self.rows = rows
        self.report: list[str] = []
        self.value_sets: dict[str, dict[str, Any]] = {}
        self.sections: list[dict[str, Any]] = []
        self.fields: dict[str, _Field] = {}
        self.renamed: dict[str, str] = {}
        self.matrices: dict[str, list[str]] = {}

    # -- structure ------------------------------------------------------------------------------

    def run(self) -> tuple[dict[str, Any], list[str]]:
        form = None
        for index, (line, row) in enumerate(self.rows):
            name = row.get("field_name", "")
            where = f"line {line}, field {name or '(no name)'}"
            # a section starts even at a field left out: descriptive fields often carry headers
            if row.get("form_name", "") != form or row.get("section_header"):
                form = self._section(row)
            if index == 0:
                name = self._record_id(name)
            if not re.fullmatch(NAME_PATTERN, name) or len(name) > NAME_MAX:
                self.report.append(
                    f"{where}: not a usable name (a–z, 0–9, _; at most 48); left out"
                )
                continue
            if name in self.fields:
                self.report.append(f"{where}: the name is used twice; the second one is left out")
                continue
            built = self._field(name, row, where, index == 0)
            if built is None:
                continue
            self.fields[name] = built
            self.sections[-1]["elements"].append(built.spec)
        for group, names in self.matrices.items():
            self.report.append(
                f"matrix group {group} ({', '.join(names)}): imported as separate fields; the "
                "matrix layout is lost"
            )
        for built in self.fields.values():
            self._conditions(built)
        dates = [f.name for f in self.fields.values() if f.kind == "date"]
        if dates:
            self.report.append(
                f"case_date is {dates[0]}, the first date field: change it if another date places "
                "a case in time"
            )
        else:
            self.report.append("no date field: the draft has no case_date")
        sections = [s for s in self.sections if s["elements"]]
        return {"sections": sections, "value_sets": self.value_sets,
                "case_date": dates[0] if dates else None}, self.report  # fmt: skip

    def _record_id(self, name: str) -> str:
        if name != RECORD_ID:
            self.renamed[name] = RECORD_ID
            self.report.append(f"the record ID field {name} becomes {RECORD_ID}")
        return RECORD_ID

    def _section(self, row: dict[str, str]) -> str:
        """Start a section: the form's code, then ``<form>_2``, ``<form>_3`` at its headers."""
        form_name = row.get("form_name", "") or "form"
        code, number = form_name, 1
        taken = {s["code"] for s in self.sections}
        while code in taken:  # numbered per form, skipping codes another form already uses
            number += 1
            code = f"{form_name}_{number}"
        if not re.fullmatch(NAME_PATTERN, code):
            code = f"section_{len(self.sections) + 1}"
        label = _plain(row.get("section_header", "")) or code.replace("_", " ").capitalize()
        section: dict[str, Any] = {"code": code, "label": label, "elements": []}
        if re.fullmatch(NAME_PATTERN, form_name):
            section["form"] = form_name
        self.sections.append(section)
        return row.get("form_name", "")

    # -- one field ------------------------------------------------------------------------------

    def _field(self, name: str, row: dict[str, str], where: str, record_id: bool) -> _Field | None:
        kind = row.get("field_type", "").lower()
        if kind in _LEFT_OUT:
            self.report.append(f"{where}: {kind} field, {_LEFT_OUT[kind]}; left out")
            return None
        if kind == "calc":
            equation = row.get("select_choices_or_calculations", "")
            equation = equation if len(equation) <= 80 else f"{equation[:77]}..."
            self.report.append(
                f"{where}: calc field ({equation}); calculations are named functions in printreg "
                "(derived values), not formulas: left out"
            )
            return None
        spec: dict[str, Any] = {
            "name": name,
            "label": _plain(row.get("field_label", "")) or name,
            "help": _plain(row.get("field_note", "")),
        }
        annotation = [a.strip() for a in row.get("field_annotation", "").splitlines() if a.strip()]
        if record_id:
            spec |= {"type": "text", "max_length": 64, "required": True,
                     "identifier_scan": "case_identifier"}  # fmt: skip
            return _Field(name, "text", spec, row, annotation)
        typed = self._typed(kind, row, spec, where)
        if typed is None:
            return None
        if row.get("required_field", "").lower() in ("y", "yes", "1"):
            spec["required"] = True
        if row.get("identifier", "").lower() in ("y", "yes", "1"):
            spec["identifier"] = True  # never released; flagged again by a REDCap export
            self.report.append(
                f"{where}: marked as an identifier in REDCap; a registry should not hold direct "
                "identifiers: review it (kept flagged: never released in extracts or analytics)"
            )
        if row.get("matrix_group_name"):
            self.matrices.setdefault(row["matrix_group_name"], []).append(name)
        self._annotation(spec, typed, annotation, where)
        return _Field(name, typed, spec, row, annotation)

    def _typed(
        self, kind: str, row: dict[str, str], spec: dict[str, Any], where: str
    ) -> str | None:
        validation = row.get("text_validation_type_or_show_slider_number", "").lower()
        if kind in ("dropdown", "radio", "checkbox"):
            value_set = self._value_set(spec["name"], spec["label"], row, where)
            if value_set is None:
                spec["type"] = "text"
                return "text"
            spec |= {"type": "codes" if kind == "checkbox" else "code", "value_set": value_set}
            if kind == "radio":
                spec["redcap_type"] = kind
            return str(spec["type"])
        if kind in ("yesno", "truefalse"):
            spec["type"] = "boolean"
            if kind == "truefalse":
                spec["redcap_type"] = kind
            return "boolean"
        if kind == "slider":
            spec |= {"type": "integer", "min": self._number(row, "text_validation_min", where) or 0,
                     "max": self._number(row, "text_validation_max", where) or 100}  # fmt: skip
            labels = row.get("select_choices_or_calculations", "")
            self.report.append(
                f"{where}: slider imported as a whole number {spec['min']}–{spec['max']}"
                + (f"; its labels ({labels}) are dropped" if labels else "")
            )
            return "integer"
        if kind == "notes":
            spec |= {"type": "text", "max_length": NOTES_LENGTH, "redcap_type": "notes"}
            return "text"
        if kind != "text":
            self.report.append(f"{where}: field type {kind or '(none)'} is unknown; left out")
            return None
        return self._validated(validation, row, spec, where)

    def _validated(self, validation: str, row: dict[str, str], spec: dict[str, Any], where: str) -> str:  # fmt: skip
        if validation == "integer" or _DECIMAL.fullmatch(validation):
            integer = validation == "integer"
            spec["type"] = "integer" if integer else "decimal"
            if not integer and validation != "number":
                spec["redcap_validation"] = validation
            decimals = re.search(r"_(\d)dp", validation)
            if decimals:
                spec["max_decimals"] = int(decimals.group(1))
            for bound, column in (("min", "text_validation_min"), ("max", "text_validation_max")):
                number = self._number(row, column, where)
                if number is not None:
                    spec[bound] = int(number) if integer and float(number).is_integer() else number
            return str(spec["type"])
        if validation.startswith("date_"):
            spec["type"] = "date"
            if validation in ("date_dmy", "date_mdy"):
                spec["redcap_validation"] = validation  # the order REDCap shows it in
            if row.get("text_validation_max", "").lower() == "today":
                spec["not_future"] = True
            elif row.get("text_validation_max") or row.get("text_validation_min"):
                self.report.append(f"{where}: date limits other than 'today' are dropped")
            if validation != "date_ymd":
                self.report.append(f"{where}: {validation} dates are read as YYYY-MM-DD (as REDCap exports them)")  # fmt: skip
            return "date"
        spec |= {"type": "text", "redcap_type": "text"}
        if re.fullmatch(NAME_PATTERN, validation):
            spec["redcap_validation"] = validation  # REDCap checks it; printreg keeps it
        if validation:
            hint = (
                "; it looks like a direct identifier, which a registry should not hold"
                if validation.startswith(_IDENTIFYING)
                else ""
            )
            self.report.append(
                f"{where}: validation {validation} has no printreg type; kept as text{hint}"
            )
        return "text"

    def _number(self, row: dict[str, str], column: str, where: str) -> float | None:
        text = row.get(column, "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.report.append(f"{where}: the limit {text!r} is not a number; dropped")
            return None
        return int(value) if value.is_integer() else value

    def _value_set(self, name: str, label: str, row: dict[str, str], where: str) -> str | None:
        values: list[dict[str, str]] = []
        for choice in row.get("select_choices_or_calculations", "").split("|"):
            if not choice.strip():
                continue
            code, _, text = (part.strip() for part in choice.partition(","))
            if not re.fullmatch(CODE_PATTERN, code) or len(code) > 64:
                self.report.append(f"{where}: choice code {code!r} is not usable; choice left out")
                continue
            if any(v["code"].lower() == code.lower() for v in values):
                self.report.append(f"{where}: choice code {code} is listed twice; kept once")
                continue
            text = _plain(text) or code
            if any(v["label"].lower() == text.lower() for v in values):
                text = f"{text} ({code})"
            values.append({"code": code, "label": text})
        if not values:
            self.report.append(f"{where}: no usable choices; imported as text")
            return None
        for existing, spec in self.value_sets.items():
            if spec["values"] == values:
                return existing
        self.value_sets[name] = {"label": label, "source": SOURCE, "values": values}
        return name

    def _annotation(self, spec: dict[str, Any], kind: str, lines: list[str], where: str) -> None:
        ignored = []
        for line in lines:
            key, _, value = line.partition("=") if line.startswith("@") else line.partition(":")
            key, value = key.strip(), value.strip()
            if key == "@CHARLIMIT" and kind == "text" and value.isdigit():
                spec["max_length"] = int(value)
            elif key == "@MAXCHECKED" and kind == "codes" and value.isdigit():
                spec["max_items"] = int(value)
            elif key == "Unit" and kind in ("integer", "decimal"):
                spec["unit"] = value
            elif key == "Unknown allowed" and kind in ("integer", "decimal"):
                spec["unknown_allowed"] = True
            elif key == MISSING_ANNOTATION.rstrip(": ") and kind != "codes":
                reasons = [r for part in value.split(",") if (r := _reason(part)) is not None]
                if reasons:
                    spec["missing_reasons"] = reasons
            elif line.startswith("@"):
                ignored.append(line.split()[0])
        if ignored:
            self.report.append(f"{where}: action tags {', '.join(ignored)} are ignored")

    # -- conditions -----------------------------------------------------------------------------

    def _kind(self, name: str) -> str | None:
        found = self.fields.get(self.renamed.get(name, name))
        return found.kind if found else None

    def _check(self, condition: Condition, built: _Field, what: str) -> Condition:
        """Return the condition when it fits the imported fields; Untranslatable otherwise."""
        for leaf in condition.leaves():
            if leaf.field == built.name and what == "branching logic":
                raise Untranslatable("the field refers to itself")
            value_set = self.fields[leaf.field or ""].spec.get("value_set")
            if value_set is None:
                continue
            codes = {v["code"] for v in self.value_sets[value_set]["values"]}
            unknown = [v for v in leaf.compared_values() if str(v) not in codes]
            if unknown:
                raise Untranslatable(f"{leaf.field} has no choice {unknown[0]!r}")
        return condition

    def _condition(self, text: str, built: _Field, what: str) -> dict[str, Any] | None:
        for old, new in self.renamed.items():
            text = re.sub(rf"\[{re.escape(old)}([(\]])", rf"[{new}\1", text)
        try:
            condition = self._check(from_logic(text, self._kind), built, what)
        except Untranslatable as exc:
            self.report.append(
                f"field {built.name}: {what} [{text}] not translated ({exc}); the field is kept "
                "without it"
            )
            return None
        return condition.model_dump(by_alias=True, exclude_none=True)

    def _conditions(self, built: _Field) -> None:
        logic = built.row.get("branching_logic", "")
        if logic:
            built.spec["applies_when"] = self._condition(logic, built, "branching logic")
        for line in built.annotation:
            if line.startswith("Required when:"):
                text = line.partition(":")[2].strip()
                built.spec["required_when"] = self._condition(text, built, "'required when'")
        for key in ("applies_when", "required_when"):
            if built.spec.get(key) is None:
                built.spec.pop(key, None)


def import_dictionary(text: str, registry_code: str, name: str) -> tuple[Definition, list[str]]:
    """Return the draft definition of a REDCap data dictionary and the report of what was lost."""
    importer = _Importer(read_rows(text))
    body, report = importer.run()
    data = {
        "registry": {
            "code": registry_code,
            "name": name,
            "description": "Imported from a REDCap data dictionary.",
        },
        "version": DRAFT_VERSION,
        "changes": "Draft imported from a REDCap data dictionary: review before publishing.",
        **body,
    }
    return parse_definition(data, SOURCE), report
