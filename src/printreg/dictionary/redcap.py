"""REDCap interop: a definition as a REDCap data dictionary and back, and cases as REDCap rows.

Decisions (docs/redcap.md has the full mapping table):

* Each section becomes one REDCap instrument (form name = section code) whose first field
  carries the section label as its section header; ``local_case_id`` is the record ID field,
  first in the dictionary as REDCap requires.
* A repeating group cannot be declared in a data dictionary (repeating instruments are project
  settings), so it is flattened into numbered fields named as in flat files (``part_2_region``,
  :func:`flat_column`), ``max_rows`` rows; row n is shown once row n − 1 has a value.
* ``applies_when`` becomes branching logic. REDCap has no conditional "required", so
  ``required_when`` is written as ``Required when: <logic>`` in the field annotation (and read
  back from there). Units, text limits and reasons for missing data travel in the annotation
  too; a reason is written in records as REDCap's missing-data code (``REDCAP_CODES``: UNK,
  NASK, NA, ASKU), which the project must list under its missing data codes.
* Derived values become calc fields where REDCap arithmetic says the same (sum_of, difference,
  date_difference with ``datediff``, row_count); the others are left out and reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import yaml

from printreg.dictionary.elements import (
    ElementBase,
    GroupElement,
    ScalarElement,
    flat_column,
)
from printreg.dictionary.missing import REDCAP_CODES
from printreg.dictionary.models import Definition, DerivedRef, Section
from printreg.dictionary.redcap_import import MISSING_ANNOTATION, import_dictionary
from printreg.dictionary.redcap_logic import Target, Untranslatable, to_logic

__all__ = [
    "HEADERS", "MISSING_CODE", "RECORD_ID", "RedcapExport", "RedcapField", "checkbox_column",
    "definition_yaml", "export_dictionary", "from_redcap_dictionary", "to_redcap_dictionary", "to_redcap_records",
    "write_redcap_records",
]  # fmt: skip

HEADERS = (
    "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
    "Choices, Calculations, OR Slider Labels", "Field Note",
    "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
    "Identifier?", "Branching Logic (Show field only if...)", "Required Field?",
    "Custom Alignment", "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?",
    "Field Annotation",
)  # fmt: skip
RECORD_ID = "local_case_id"
#: the REDCap missing-data code written for an explicit 'unknown' (configure it in the project)
MISSING_CODE = REDCAP_CODES["unknown"]
#: REDCap field types that hold the same values as the one printreg writes for an element
_SAME_TYPE = {
    "text": ("text", "notes"), "notes": ("text", "notes"), "dropdown": ("dropdown", "radio"),
    "yesno": ("yesno", "truefalse"),
}  # fmt: skip
#: validations printreg keeps back, by the validation its element type writes: any validation
#: on a plain text (REDCap checks it), the decimal places of a number, a date's display order
_SAME_VALIDATION = {
    "": r"[a-z][a-z0-9_]*",
    "number": r"number(_\ddp)?(_comma_decimal)?",
    "date_ymd": r"date_(dmy|mdy|ymd)",
}
_FORM_COMPLETE = {"complete": "2", "locked": "2", "draft": "0"}


@dataclass
class RedcapField:
    """One row of a REDCap data dictionary, with the element it holds (None for calc fields)."""

    name: str
    form: str
    field_type: str
    label: str
    section_header: str = ""
    choices: str = ""
    note: str = ""
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    branching: str = ""
    required: bool = False
    identifier: bool = False
    annotation: list[str] = field(default_factory=list)
    element: ScalarElement | None = None
    group: GroupElement | None = None
    #: the printreg section the field comes from (several share one form after an import)
    section: str = ""
    row: int = 0
    codes: tuple[str, ...] = ()

    def cells(self) -> list[str]:
        """Return the 18 cells of the dictionary row."""
        return [
            self.name, self.form, self.section_header, self.field_type, self.label, self.choices,
            self.note, self.validation, self.minimum, self.maximum, "y" if self.identifier else "", self.branching,
            "y" if self.required else "", "", "", "", "", "\n".join(self.annotation),
        ]  # fmt: skip


@dataclass(frozen=True)
class RedcapExport:
    """A definition as a REDCap data dictionary: the fields, and what could not be expressed."""

    fields: list[RedcapField]
    notes: list[str]

    @property
    def text(self) -> str:
        """Return the data dictionary as CSV text with the 18 standard headers."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        writer.writerows(f.cells() for f in self.fields)
        return buffer.getvalue()


def _text(value: str) -> str:
    return " ".join(value.split())


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def checkbox_column(name: str, code: str) -> str:
    """Return REDCap's column of one checkbox choice: ``name___code``, the code lower-cased."""
    return f"{name}___{re.sub(r'[^a-z0-9_]', '_', code.lower())}"


class _Exporter:
    def __init__(self, definition: Definition) -> None:
        self.d = definition
        self.fields: list[RedcapField] = []
        self.notes: list[str] = []
        self._noted: set[str] = set()

    def note(self, message: str) -> None:
        if message not in self._noted:
            self._noted.add(message)
            self.notes.append(message)

    def run(self) -> RedcapExport:
        if RECORD_ID not in self.d.elements:
            raise ValueError(f"the definition has no {RECORD_ID}: REDCap needs a record ID field")
        calcs = self._calc_forms()
        for section in self.d.sections:
            for element in section.elements:
                if isinstance(element, GroupElement):
                    self.note(
                        f"{element.name}: repeating group flattened into {element.max_rows} "
                        f"numbered rows ({flat_column(element, 1, element.elements[0])}, …)"
                    )
                    for row in range(1, element.max_rows + 1):
                        for child in element.elements:
                            self.add(section, child, element, row)
                else:
                    self.add(section, element)
            for ref in calcs.get(section.code, []):
                self.calc(section, ref)
        first = next(i for i, f in enumerate(self.fields) if f.name == RECORD_ID)
        if first:
            record_id = self.fields.pop(first)
            record_id.form, record_id.section = self.fields[0].form, self.fields[0].section
            self.fields.insert(0, record_id)
        self._headers()
        return RedcapExport(self.fields, self.notes)

    def _headers(self) -> None:
        """Give each section's first field its header; sections of one imported form share it.

        An imported section that had no header in REDCap (its label is the one the import made
        from the code) gets none back, so a round trip adds no header.
        """
        first: dict[str, RedcapField] = {}
        for f in self.fields:
            first.setdefault(f.section, f)
        for s in self.d.sections:
            made_up = s.form is not None and s.label == s.code.replace("_", " ").capitalize()
            if s.code in first and not made_up:
                first[s.code].section_header = s.label

    # -- conditions -----------------------------------------------------------------------------

    def _target(self, name: str, group: GroupElement | None, row: int) -> Target:
        child = next((e for e in group.elements if e.name == name), None) if group else None
        element = child or self.d.elements.get(name)
        if element is None:
            raise Untranslatable(f"unknown field {name!r}")
        scope = group if child is not None else None
        if isinstance(element, GroupElement):
            names = tuple(flat_column(element, 1, c) for c in element.elements)
            return Target(names, element)
        checkbox = element.redcap_shape().field_type == "checkbox"  # one field per code
        codes = self._codes(element) if checkbox else ()
        return Target((flat_column(scope, row, element),), element, codes)

    def _codes(self, element: ElementBase) -> tuple[str, ...]:
        return tuple(v.code for v in self.d.value_set_for(element).values)

    def logic(self, cond: Any, group: GroupElement | None, row: int, where: str) -> str | None:
        def section(code: str) -> list[Target]:
            return [self._target(n, None, 0) for n in self.d.section_elements[code]]

        try:
            return to_logic(cond, lambda name: self._target(name, group, row), section)
        except Untranslatable as exc:
            self.note(f"{where}: condition not expressible as REDCap logic ({exc}); left out")
            return None

    # -- fields ---------------------------------------------------------------------------------

    def add(
        self, section: Section, element: ScalarElement, group: GroupElement | None = None,
        row: int = 0,
    ) -> None:  # fmt: skip
        where = f"{group.name}.{element.name}" if group else element.name
        f = RedcapField(
            flat_column(group, row, element), section.form or section.code, "text", element.label,
            note=_text(element.help), element=element, group=group, row=row,
            section=section.code, identifier=element.identifier,
        )  # fmt: skip
        if group is not None:
            f.label = f"{group.label}, {group.row_label} {row}: {element.label}"
            f.note = _text(
                f"{group.label}, {group.row_label} {row} of at most {group.max_rows} (a repeating "
                f"group flattened into numbered fields). {element.help}"
            )
        self._type(f, element, where)
        self._presence(f, element, group, row, where)
        self.fields.append(f)

    def _type(self, f: RedcapField, element: ScalarElement, where: str) -> None:
        shape = element.redcap_shape()
        f.field_type, f.validation = shape.field_type, shape.validation
        # an imported element gives back the REDCap type and validation it came from
        if element.redcap_type in _SAME_TYPE.get(f.field_type, ()):
            f.field_type = element.redcap_type or f.field_type
        kept = element.redcap_validation or ""
        fits = _SAME_VALIDATION.get(f.validation)
        if kept and f.field_type == "text" and fits and re.fullmatch(fits, kept):
            f.validation = kept
        f.minimum, f.maximum = shape.minimum, shape.maximum
        if shape.note_suffix:
            f.note = _text(f"{f.note} {shape.note_suffix}")
        for lost in shape.notes:
            self.note(f"{where}: {lost}")
        coded = element.value_set_code
        if coded is not None:
            values = self.d.value_set_for(element).values
            f.codes = tuple(v.code for v in values)
            f.choices = " | ".join(f"{v.code}, {_text(v.label).replace('|', '/')}" for v in values)
            for code in f.codes:
                if not re.fullmatch(r"[A-Za-z0-9_]+", code):
                    self.note(f"{coded}: REDCap may refuse the choice code {code!r}")
        f.annotation.extend(shape.annotations)
        unit = getattr(element, "unit", "")
        if unit:
            f.annotation.append(f"Unit: {unit}")
        if element.allows_unknown:
            f.annotation.append(f"Unknown allowed: missing-data code {MISSING_CODE}")
        if element.missing_reasons:
            f.annotation.append(MISSING_ANNOTATION + ", ".join(
                f"{r}={REDCAP_CODES[r]}" for r in element.missing_reasons))  # fmt: skip
        if element.reasons:
            codes = ", ".join(REDCAP_CODES[r] for r in element.reasons)
            self.note(f"{where}: reasons for missing data are the missing-data codes {codes}")

    def _key(self, group: GroupElement, row: int) -> str:
        """Return logic that is true when a group row holds something."""
        key = next((c for c in group.elements if c.required and not c.applies_when), None)
        if key is not None:
            return f"[{flat_column(group, row, key)}] <> ''"
        return " or ".join(f"[{flat_column(group, row, c)}] <> ''" for c in group.elements)

    def _presence(
        self, f: RedcapField, element: ScalarElement, group: GroupElement | None, row: int,
        where: str,
    ) -> None:  # fmt: skip
        shown: list[str | None] = []
        required_when: list[str | None] = []
        f.required = element.required
        if group is not None:
            in_required_rows = row <= max(group.min_rows, 1)
            f.required = element.required and group.required and in_required_rows
            if group.applies_when is not None:
                shown.append(self.logic(group.applies_when, None, 0, group.name))
            if row > 1:
                shown.append(self._key(group, row - 1))
            if group.required_when is not None and element.required and in_required_rows:
                required_when.append(self.logic(group.required_when, None, 0, group.name))
            if element.required and not f.required:  # a row that exists needs its required cells
                others = [c for c in group.elements if c is not element]
                required_when.append(
                    " or ".join(f"[{flat_column(group, row, c)}] <> ''" for c in others) or None
                )
        if element.applies_when is not None:
            shown.append(self.logic(element.applies_when, group, row, where))
        if element.required_when is not None:
            required_when.append(self.logic(element.required_when, group, row, where))
            self.note(f"{where}: 'required when' is not enforced by REDCap (in the annotation)")
        f.branching = _joined(shown, "and")
        if not f.required and any(required_when):
            f.annotation.insert(0, f"Required when: {_joined(required_when, 'or')}")

    # -- derived values -------------------------------------------------------------------------

    def _inputs(self, ref: DerivedRef) -> list[str] | None:
        p = ref.params
        inputs = {
            "sum_of": p.get("fields"), "difference": [p.get("minuend"), p.get("subtrahend")],
            "date_difference": [p.get("start"), p.get("end")], "row_count": [p.get("group")],
        }.get(ref.function)  # fmt: skip
        if not inputs or not all(isinstance(n, str) for n in inputs):
            return None
        return list(inputs)

    def _calc_forms(self) -> dict[str, list[DerivedRef]]:
        order = {s.code: i for i, s in enumerate(self.d.sections)}
        forms: dict[str, list[DerivedRef]] = {}
        for ref in self.d.derived:
            inputs = self._inputs(ref)
            if not inputs or ref.type not in ("integer", "decimal"):
                self.note(
                    f"derived value {ref.name} ({ref.function}): not expressible as a REDCap "
                    "calculation; left out"
                )
                continue
            form = max((self.d.section_of[n] for n in inputs), key=order.__getitem__)
            forms.setdefault(form, []).append(ref)
        return forms

    def _equation(self, ref: DerivedRef) -> str:
        p = ref.params
        if ref.function == "sum_of":
            return " + ".join(f"[{n}]" for n in p["fields"])
        if ref.function == "difference":
            return f"[{p['minuend']}] - [{p['subtrahend']}]"
        if ref.function == "date_difference":
            return f'datediff([{p["start"]}], [{p["end"]}], "d", "ymd", true)'
        group = self.d.groups[p["group"]]
        return " + ".join(f"if({self._key(group, n)}, 1, 0)" for n in range(1, group.max_rows + 1))

    def calc(self, section: Section, ref: DerivedRef) -> None:
        unit = f" Unit: {ref.unit}." if ref.unit else ""
        self.fields.append(
            RedcapField(
                ref.name, section.form or section.code, "calc", ref.label,
                choices=self._equation(ref), section=section.code,
                note=_text(f"Derived: {ref.description}.{unit}"),
                annotation=[f"Derived value (printreg function {ref.function})"],
            )
        )  # fmt: skip


def _joined(parts: list[str | None], word: str) -> str:
    kept = [p for p in parts if p]
    if len(kept) <= 1:
        return kept[0] if kept else ""
    other = " or " if word == "and" else " and "
    return f" {word} ".join(f"({p})" if other in p else p for p in kept)


def export_dictionary(definition: Definition) -> RedcapExport:
    """Return the definition as REDCap data-dictionary fields and notes on what was lost."""
    return _Exporter(definition).run()


def to_redcap_dictionary(definition: Definition) -> str:
    """Return the definition as a REDCap data-dictionary CSV (the 18 standard columns)."""
    return export_dictionary(definition).text


def from_redcap_dictionary(
    text: str, registry_code: str, name: str
) -> tuple[Definition, list[str]]:
    """Return a draft definition (0.1.0) read from a REDCap data dictionary, and what was lost.

    Raises DefinitionError when the file is not a data dictionary or the draft does not validate.
    """
    return import_dictionary(text, registry_code, name)


# -- records ------------------------------------------------------------------------------------


def _cell(element: ScalarElement, value: Any) -> str:
    if value is None or value == []:
        return ""
    reason = element.reason_of(value)
    if reason is not None:
        return reason.redcap_code
    if isinstance(value, list):
        return "; ".join(_cell(element, v) for v in value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _num(value)
    return str(value)


def _value(f: RedcapField, record: Mapping[str, Any]) -> Any:
    assert f.element is not None  # noqa: S101 - calc fields are not written
    if f.group is None:
        return record.get(f.element.name)
    rows = record.get(f.group.name) or []
    return rows[f.row - 1].get(f.element.name) if len(rows) >= f.row else None


def write_redcap_records(
    definition: Definition,
    records: Iterable[Mapping[str, Any]],
    handle: IO[str],
    *,
    data_access_group: bool = False,
) -> int:
    """Write records (JSON shape) as a REDCap flat import CSV; return how many were written.

    The record ID (local_case_id) comes first; checkboxes are ``field___code`` 0/1 columns,
    booleans 1/0, dates YYYY-MM-DD, a reason for missing data its missing-data code (UNK, NASK,
    NA, ASKU), groups flattened; each
    form ends with its ``<form>_complete`` status (2 for complete or locked cases, 0 for drafts).
    Local case IDs are unique only within a facility: for several facilities, pass
    ``data_access_group``, which prefixes each ID with its facility code (``F0001-123``) and fills
    ``redcap_data_access_group`` (the facility code, lower-case). Raises ValueError when two
    records share a record ID (REDCap would merge them).
    """
    fields = [f for f in export_dictionary(definition).fields if f.element is not None]
    header: list[str] = []
    for i, f in enumerate(fields):
        header += [checkbox_column(f.name, c) for c in f.codes] if f.field_type == "checkbox" else [f.name]  # fmt: skip
        if i == 0 and data_access_group:
            header.append("redcap_data_access_group")
        if i + 1 == len(fields) or fields[i + 1].form != f.form:
            header.append(f"{f.form}_complete")
    writer = csv.writer(handle)
    writer.writerow(header)
    seen: set[str] = set()
    count = 0
    for record in records:
        row: dict[str, str] = {}
        for f in fields:
            assert f.element is not None  # noqa: S101 - filtered above
            value = _value(f, record)
            if f.field_type == "checkbox":
                chosen = {str(v) for v in value or []}
                row |= {checkbox_column(f.name, c): str(int(c in chosen)) for c in f.codes}
            else:
                row[f.name] = _cell(f.element, value)
            row[f"{f.form}_complete"] = _FORM_COMPLETE.get(str(record.get("status")), "")
        if data_access_group:
            facility = str(record.get("facility") or "")
            row[RECORD_ID] = f"{facility}-{row[RECORD_ID]}"
            row["redcap_data_access_group"] = re.sub(r"[^a-z0-9_]", "_", facility.lower())
        key = row[RECORD_ID]
        if key in seen:
            raise ValueError(
                f"local case ID {key!r} appears twice: REDCap would merge the two records"
            )
        seen.add(key)
        writer.writerow([row.get(c, "") for c in header])
        count += 1
    return count


def to_redcap_records(
    definition: Definition, records: Iterable[Mapping[str, Any]], *, data_access_group: bool = False
) -> str:
    """Return records as REDCap flat import CSV text (see :func:`write_redcap_records`)."""
    buffer = io.StringIO()
    write_redcap_records(definition, records, buffer, data_access_group=data_access_group)
    return buffer.getvalue()


def definition_yaml(definition: Definition, source: str) -> str:
    """Return a (draft) definition as YAML that ``load_definition`` reads back unchanged."""
    data = definition.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return (
        f"# Draft definition {definition.registry.code} {definition.version}, imported from the "
        f"REDCap data dictionary {source}.\n# Review it (value sets, conditions, case_date) and "
        "check it with `printreg registry check-definition` before publishing.\n\n" + body
    )
