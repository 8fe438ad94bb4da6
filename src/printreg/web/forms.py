"""The case form: definition → field specs, form data → record, issues → per-field errors.

Form field names are record paths written with dashes: ``local_case_id``, ``prints-1-scale_pct``
(row numbers from 1, as in issue paths ``prints[1].scale_pct``). The input of a field has the id
``f-<name>``, its inline error ``err-<name>``, its help text ``help-<name>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from printreg.dictionary import (
    Condition,
    Definition,
    GroupElement,
    ScalarElement,
    is_multiple,
)
from printreg.dictionary.dates import ISO_FORMAT
from printreg.dictionary.elements import MULTI_SEPARATOR, Widget, split_list
from printreg.dictionary.missing import JSON_KEY, REASON_LABELS, column_of
from printreg.domain.issues import Issue

ROW_PLACEHOLDER = "__n__"  # row number in the <template> row that printreg.js clones
BOOLEAN_OPTIONS = [("", "—"), ("true", "Yes"), ("false", "No")]

FormData = Mapping[str, list[str]]


def path_key(path: str) -> str:
    """Return the form name of an issue or record path: ``prints[2].scale_pct`` → ``prints-2-scale_pct``."""
    return re.sub(r"\[(\d+)\]$", r"-\1", re.sub(r"\[(\d+)\]\.", r"-\1-", path))


def _condition_json(cond: Condition | None) -> str | None:
    if cond is None:
        return None
    return json.dumps(cond.model_dump(mode="json", by_alias=True, exclude_none=True))


def _show(value: Any) -> str:
    """Return a record value as the text an input shows."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return f"{MULTI_SEPARATOR} ".join(_show(v) for v in value)
    return str(value)


@dataclass
class FieldSpec:
    """One input of the form: what to render and what was entered."""

    name: str
    element: ScalarElement
    widget: Widget  # text, textarea, number, date, select, boolean, checkboxes, list
    options: list[tuple[str, str]] = field(default_factory=list)
    value: str = ""
    values: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    condition: str | None = None
    formats: str = ISO_FORMAT  # the forms a date input reads, shown beside it
    refers_to: str | None = None  # the group whose row numbers this field lists
    reason: str = ""  # the reason for missing data chosen instead of a value

    @property
    def reasons(self) -> list[tuple[str, str]]:
        """The reasons for missing data the element takes, as (code, label) options."""
        return [(code, REASON_LABELS[code]) for code in self.element.reasons]

    @property
    def reason_name(self) -> str:
        """The form name of the reason select: ``<name>__missing``."""
        return column_of(self.name)

    @property
    def id(self) -> str:
        """The id of the input (of the checkbox fieldset for code lists)."""
        return f"f-{self.name}"

    @property
    def described_by(self) -> str:
        """The ids of the help text and, when there is one, the inline error."""
        ids = [f"help-{self.name}"] if self.element.help else []
        return " ".join([*ids, f"err-{self.name}"] if self.errors else ids)

    @property
    def required(self) -> bool:
        """Whether the element is always required (conditional requirements are in the help)."""
        return self.element.required


@dataclass
class RowSpec:
    """One row of a repeating group."""

    group: str
    number: str
    fields: list[FieldSpec]
    errors: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The form-name prefix of the row: ``prints-2``."""
        return f"{self.group}-{self.number}"


@dataclass
class GroupSpec:
    """A repeating group: its rows, a blank template row and group-level errors."""

    element: GroupElement
    rows: list[RowSpec]
    template: RowSpec
    errors: list[str] = field(default_factory=list)
    condition: str | None = None
    notes: list[str] = field(default_factory=list)  # what removing a row did to references

    @property
    def name(self) -> str:
        """The group's element name."""
        return self.element.name


@dataclass
class SectionSpec:
    """A section of the form, in definition order."""

    code: str
    label: str
    help: str
    items: list[FieldSpec | GroupSpec]


@dataclass
class CaseForm:
    """The whole form with its error summary (anchor, message) and warnings."""

    sections: list[SectionSpec]
    errors: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def record_from_form(definition: Definition, data: FormData) -> dict[str, Any]:
    """Return the record a form posted: raw strings, empty inputs and empty rows left out."""
    record: dict[str, Any] = {}
    for name, element in definition.elements.items():
        if isinstance(element, GroupElement):
            rows = []
            for number in _row_numbers(data, name):
                row = {
                    child.name: value
                    for child in element.elements
                    if (value := _read_with_reason(child, data, f"{name}-{number}-{child.name}"))
                    is not None
                }
                if row:
                    rows.append(row)
            if rows:
                record[name] = rows
        elif (value := _read_with_reason(element, data, name)) is not None:
            record[name] = value
    return record


def _read_with_reason(element: ScalarElement, data: FormData, name: str) -> Any:
    """Return an input's raw value, or ``{"missing": reason}`` when a reason was chosen (with
    the value beside it when both were given: the validator refuses that)."""
    value = _read(element, data.get(name, []))
    if not element.reasons:
        return value
    chosen = next((v.strip() for v in data.get(column_of(name), []) if v.strip()), "")
    if not chosen:
        return value
    return {JSON_KEY: chosen} | ({"value": value} if value is not None else {})


def _row_numbers(data: FormData, group: str) -> list[int]:
    pattern = re.compile(rf"^{re.escape(group)}-(\d+)-")
    return sorted({int(m.group(1)) for key in data if (m := pattern.match(key))})


def _read(element: ScalarElement, raw: list[str]) -> Any:
    texts = [v.strip() for v in raw]
    if element.widget() == "checkboxes":  # one form value per ticked box
        return [v for v in texts if v] or None
    first = texts[0] if texts else ""
    if is_multiple(element):
        return split_list(element, first) or None
    return first or None


def _field(
    definition: Definition, element: ScalarElement, name: str, value: Any, printers: Sequence[str]
) -> FieldSpec:
    spec = FieldSpec(
        name, element, element.widget(), condition=_condition_json(element.applies_when)
    )
    if isinstance(value, Mapping) and JSON_KEY in value:  # as posted, or JSON's shape
        spec.reason, value = str(value[JSON_KEY]), value.get("value")
    elif (reason := element.reason_of(value)) is not None:
        spec.reason, value = reason.code, None
    if element.value_set_code is not None:
        spec.options = [(v.code, v.label) for v in definition.value_set_for(element).values]
    elif element.references is not None:
        labels = list(printers)
        if value and str(value) not in labels:
            labels.append(str(value))  # keep what was entered, even if it is not a printer
        spec.options = [(label, label) for label in labels]
    elif spec.widget == "boolean":
        spec.options = list(BOOLEAN_OPTIONS)
    if spec.widget == "checkboxes":
        spec.values = [str(v) for v in value] if isinstance(value, list) else []
    else:
        spec.value = _show(value)
    return spec


def build_form(
    definition: Definition,
    record: Mapping[str, Any],
    printers: Sequence[str] = (),
    issues: Sequence[Issue] = (),
    extra_rows: Mapping[str, int] | None = None,
) -> CaseForm:
    """Return the form for a record (raw or canonical JSON shape) with issues placed by field."""
    fields: dict[str, FieldSpec] = {}
    rows: dict[str, RowSpec] = {}
    groups: dict[str, GroupSpec] = {}
    sections = []
    for section in definition.sections:
        items: list[FieldSpec | GroupSpec] = []
        for element in section.elements:
            if isinstance(element, GroupElement):
                spec = _group(
                    definition, element, record, printers, (extra_rows or {}).get(element.name, 0)
                )
                groups[element.name] = spec
                for row in spec.rows:
                    rows[row.key] = row
                    fields.update({f.name: f for f in row.fields})
                items.append(spec)
            else:
                scalar = _field(
                    definition, element, element.name, record.get(element.name), printers
                )
                fields[scalar.name] = scalar
                items.append(scalar)
        sections.append(SectionSpec(section.code, section.label, section.help, items))
    _mark_references(definition, groups)
    form = CaseForm(sections)
    for issue in issues:
        # The summary says where (which print, which field); the inline error sits there.
        said = issue_text(definition, issue)
        if issue.severity == "warning":
            form.warnings.append(said)
            continue
        key = path_key(issue.path)
        base = re.sub(r"-\d+$", "", key)
        if key in fields or base in fields:
            target = fields[key if key in fields else base]
            target.errors.append(issue.message)
            form.errors.append((target.id, said))
        elif key in rows:
            rows[key].errors.append(issue.message)
            form.errors.append((f"row-{key}", said))
        elif key in groups:
            groups[key].errors.append(issue.message)
            form.errors.append((f"g-{key}", said))
        else:
            form.errors.append(("case-form", said))
    return form


def _mark_references(definition: Definition, groups: Mapping[str, GroupSpec]) -> None:
    """Tell each field that lists row numbers of a group which group (the script renumbers
    them when a row of that group is removed)."""
    for target in groups:
        for ref in referring_fields(definition, target):
            holder = groups.get(ref.group)
            for row in [*holder.rows, holder.template] if holder is not None else []:
                for spec in row.fields:
                    if spec.name.endswith(f"-{ref.field}"):
                        spec.refers_to = target


_PATH = re.compile(r"^([a-z][a-z0-9_]*)(?:\[(\d+)\])?(?:\.([a-z][a-z0-9_]*))?")


def row_label(group: GroupElement, number: int, child: ScalarElement | None = None) -> str:
    """Return "Print 2", or "Print 2: Scale (%)" for a field of that row."""
    title = f"{group.row_label.capitalize()} {number}"
    return f"{title}: {child.label}" if child is not None else title


def field_place(definition: Definition, path: str) -> str:
    """Return where an issue path points as people read it: an element's label, "Print 2",
    "Print 2: Scale (%)"; '' for a path of no element (the record as a whole)."""
    found = _PATH.match(path)
    if found is None:
        return ""
    name, number, child_name = found.group(1), found.group(2), found.group(3)
    element = definition.elements.get(name)
    if element is None:
        return ""
    if not isinstance(element, GroupElement):
        return element.label
    if number is None:
        return element.label
    child = next((c for c in element.elements if c.name == child_name), None)
    return row_label(element, int(number), child)


def issue_text(definition: Definition, issue: Issue) -> str:
    """Return an issue's message prefixed with where it is ("Print 2: Scale (%): must be …"),
    without repeating a label the message already starts with."""
    place = field_place(definition, issue.path)
    if not place:
        return issue.message
    message = issue.message
    label = place.rsplit(": ", 1)[-1]
    if message.startswith(f"{label}: "):
        message = message[len(label) + 2 :]
    return f"{place}: {message}"


def _group(
    definition: Definition,
    group: GroupElement,
    record: Mapping[str, Any],
    printers: Sequence[str],
    extra: int,
) -> GroupSpec:
    given = record.get(group.name)
    values: list[Mapping[str, Any]] = (
        [r for r in given if isinstance(r, Mapping)] if isinstance(given, list) else []
    )
    wanted = max(len(values), group.min_rows, 1 if group.required else 0) + extra
    count = min(wanted, max(group.max_rows, len(values)))
    rows = [
        _row(definition, group, str(n), values[n - 1] if n <= len(values) else {}, printers)
        for n in range(1, count + 1)
    ]
    template = _row(definition, group, ROW_PLACEHOLDER, {}, printers)
    return GroupSpec(group, rows, template, condition=_condition_json(group.applies_when))


def _row(
    definition: Definition,
    group: GroupElement,
    number: str,
    values: Mapping[str, Any],
    printers: Sequence[str],
) -> RowSpec:
    fields = [
        _field(
            definition,
            child,
            f"{group.name}-{number}-{child.name}",
            values.get(child.name),
            printers,
        )
        for child in group.elements
    ]
    return RowSpec(group.name, number, fields)


@dataclass(frozen=True)
class RowAction:
    """What an add or remove button did: the form data to show again, rows to add per group,
    and notes for the person (a reference to a removed row that was dropped)."""

    data: FormData
    extra: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    removed_from: str = ""  # the group a row was removed from


def apply_row_action(definition: Definition, data: FormData, action: str) -> RowAction:
    """Apply an 'add-<group>' or 'remove-<group>-<n>' button (the form without JavaScript).

    Removing row n renumbers the rows after it (the record takes rows in order), so the row
    numbers other rows give for this group (a ``row_references`` rule of the definition) are
    renumbered with them; a reference to row n itself is dropped and said in ``notes``.
    """
    if action.startswith("add-") and action[4:] in definition.groups:
        return RowAction(data, {action[4:]: 1})
    found = re.fullmatch(r"remove-([a-z][a-z0-9_]*)-(\d+)", action)
    if found and found.group(1) in definition.groups:
        group, removed = found.group(1), int(found.group(2))
        prefix = f"{group}-{removed}-"
        kept = {k: list(v) for k, v in data.items() if not k.startswith(prefix)}
        # The record numbers the remaining rows 1, 2, … in order: a reference follows its row.
        position = {n: i for i, n in enumerate(_row_numbers(kept, group), start=1)}
        notes: list[str] = []
        for ref in referring_fields(definition, group):
            _renumber_refs(definition, ref, kept, removed, position, notes)
        return RowAction(kept, {}, notes, group)
    return RowAction(data)


@dataclass(frozen=True)
class RowReference:
    """A field of a group's rows that lists row numbers of another group."""

    group: str  # the rows that hold the field
    field: str
    target: str  # the group whose row numbers it lists


def referring_fields(definition: Definition, target: str) -> list[RowReference]:
    """Return the fields that list row numbers of ``target``, from the definition's
    ``row_references`` rules; [] when no rule refers to it."""
    out = []
    for rule in definition.rules:
        params = rule.params
        if rule.function == "row_references" and params.get("target") == target:
            group, name = params.get("group"), params.get("field")
            if isinstance(group, str) and isinstance(name, str) and group in definition.groups:
                out.append(RowReference(group, name, target))
    return out


def _renumber_refs(
    definition: Definition,
    ref: RowReference,
    data: dict[str, list[str]],
    removed: int,
    position: Mapping[int, int],
    notes: list[str],
) -> None:
    """Rewrite each ``ref`` field of ``data``: a row number of the kept rows becomes the row's
    new number, the removed row's number is dropped (with a note naming the row that listed
    it), anything else is left for validation to point out."""
    group = definition.groups[ref.group]
    child = next((c for c in group.elements if c.name == ref.field), None)
    target_row = definition.groups[ref.target].row_label
    for shown, number in enumerate(_row_numbers(data, ref.group), start=1):
        key = f"{ref.group}-{number}-{ref.field}"
        if not data.get(key):
            continue
        out: list[str] = []
        dropped = False
        # ';' separates values; the form's old ',' is still read (row numbers hold neither)
        for part in (p.strip() for p in re.split(r"[;,]", data[key][0])):
            if not part:
                continue
            if part.isdigit() and int(part) == removed:
                dropped = True
            elif part.isdigit() and int(part) in position:
                out.append(str(position[int(part)]))
            else:
                out.append(part)
        data[key] = [f"{MULTI_SEPARATOR} ".join(out)]
        if dropped:
            notes.append(
                f"{row_label(group, shown, child)} listed {target_row} {removed}, which was "
                f"removed: it is taken out of the list, and the {target_row}s after it are "
                f"renumbered. Check which {target_row}s this {group.row_label} holds."
            )


@dataclass(frozen=True)
class Shown:
    """A labelled value of the case detail page."""

    label: str
    value: str


@dataclass(frozen=True)
class ShownGroup:
    """A repeating group on the case detail page: column labels and rows of values."""

    label: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class ShownSection:
    """A section of the case detail page."""

    label: str
    items: list[Shown | ShownGroup]


def display_value(definition: Definition, element: ScalarElement, value: Any) -> str:
    """Return a stored value as people read it: labels for codes, Yes/No, units."""
    if value is None or value == []:
        return ""
    reason = element.reason_of(value)
    if reason is not None:
        return f"No value: {reason.label.lower()}"
    if element.value_set_code is not None:
        value_set = definition.value_set_for(element)
        codes = value if isinstance(value, list) else [value]
        return ", ".join(value_set.label_of(str(c)) for c in codes)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    text = _show(value)
    unit = getattr(element, "unit", "")
    return f"{text} {unit}" if unit and not isinstance(value, list) else text


def display_record(definition: Definition, record: Mapping[str, Any]) -> list[ShownSection]:
    """Return every section of a record with labels and readable values (empty ones as '')."""
    sections = []
    for section in definition.sections:
        items: list[Shown | ShownGroup] = []
        for element in section.elements:
            if isinstance(element, GroupElement):
                given = record.get(element.name) or []
                items.append(
                    ShownGroup(
                        element.label,
                        [c.label for c in element.elements],
                        [
                            [
                                display_value(definition, c, row.get(c.name))
                                for c in element.elements
                            ]
                            for row in given
                        ],
                    )
                )
            else:
                shown = display_value(definition, element, record.get(element.name))
                items.append(Shown(element.label, shown))
        sections.append(ShownSection(section.label, items))
    return sections


def display_derived(definition: Definition, derived: Mapping[str, Any]) -> list[Shown]:
    """Return the derived values that have one, labelled, with their units."""
    out = []
    for ref in definition.derived:
        value = derived.get(ref.name)
        if value is None or value == []:
            continue
        text = _show(value)
        out.append(Shown(ref.label, f"{text} {ref.unit}" if ref.unit else text))
    return out
