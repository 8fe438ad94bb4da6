"""A case's history as people read it: each audited change with its fields' old → new values.

The audit keeps the case's whole JSON record before and after each change (``printreg.audit``);
this module compares the two snapshots field by field and labels what changed from the
definition each snapshot was written under: element labels, code labels, Yes/No, units, and
"Print 2: Scale (%)" for a field of a repeating row. It reads only what the audit already
keeps, so the history shows nothing that the case page itself does not show to the same people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from printreg.audit import BACK_TO_DRAFT
from printreg.cases.schemas import CaseHistoryEntry
from printreg.dictionary import Definition, GroupElement
from printreg.web.forms import display_value, row_label

# What each audited case action is called on the page; an unknown action shows as itself.
ACTION_LABELS = {
    "create": "Created",
    "update": "Changed",
    BACK_TO_DRAFT: "Moved back to draft",
    "delete": "Deleted",
    "restore": "Restored",
    "lock": "Locked",
    "upgrade": "Moved to a new definition version",
}
# Envelope keys of a snapshot that are not elements of the definition.
_ENVELOPE = {
    "status": "Status",
    "definition_version": "Definition version",
    "deleted_at": "Deleted",
}
EMPTY = "—"


@dataclass(frozen=True)
class FieldChange:
    """One changed field: its label, and its value before and after as people read them."""

    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryLine:
    """One audited change of a case, ready to show."""

    at: dt.datetime
    actor: str
    action: str  # the audit action ("update", "back_to_draft", ...)
    label: str  # what the action is called on the page
    changes: list[FieldChange]


def history_lines(
    entries: Sequence[CaseHistoryEntry], definition_of: Callable[[str | None], Definition]
) -> list[HistoryLine]:
    """Return the entries with their field changes, oldest first; a creation lists its status
    only (the case page shows what it holds). ``definition_of(version)`` returns the definition
    a snapshot was written under (``None``: the current one)."""
    return [
        HistoryLine(
            e.at,
            e.actor,
            e.action,
            ACTION_LABELS.get(e.action, e.action),
            _changes(e, definition_of),
        )
        for e in entries
    ]


def _changes(
    entry: CaseHistoryEntry, definition_of: Callable[[str | None], Definition]
) -> list[FieldChange]:
    before, after = entry.before or {}, entry.after or {}
    if entry.before is None:  # a creation: its status says what it was saved as
        return [FieldChange("Status", EMPTY, _envelope("status", after.get("status")))]
    old_def = definition_of(before.get("definition_version"))
    new_def = definition_of(after.get("definition_version") or before.get("definition_version"))
    out: list[FieldChange] = []
    for key, label in _ENVELOPE.items():
        if key in before.keys() | after.keys() and before.get(key) != after.get(key):
            out.append(
                FieldChange(label, _envelope(key, before.get(key)), _envelope(key, after.get(key)))
            )
    names = [*new_def.elements, *(n for n in old_def.elements if n not in new_def.elements)]
    names += sorted((before.keys() | after.keys()) - set(names) - _ENVELOPE.keys())
    for name in names:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        element = new_def.elements.get(name) or old_def.elements.get(name)
        if element is None:  # an element no definition knows any more: its name and raw values
            out.append(FieldChange(name, _plain(old), _plain(new)))
        elif isinstance(element, GroupElement):
            out.extend(_row_changes(old_def, new_def, element, old, new))
        else:
            out.append(
                FieldChange(element.label, _shown(old_def, name, old), _shown(new_def, name, new))
            )
    return out


def _row_changes(
    old_def: Definition, new_def: Definition, group: GroupElement, old: Any, new: Any
) -> list[FieldChange]:
    """Return a group's changes row by row: each changed field of a row both snapshots hold,
    and a whole row that was added or removed."""
    old_rows: list[Mapping[str, Any]] = old if isinstance(old, list) else []
    new_rows: list[Mapping[str, Any]] = new if isinstance(new, list) else []
    out: list[FieldChange] = []
    for number in range(1, max(len(old_rows), len(new_rows)) + 1):
        was = old_rows[number - 1] if number <= len(old_rows) else None
        now = new_rows[number - 1] if number <= len(new_rows) else None
        if was is None or now is None:
            out.append(
                FieldChange(
                    row_label(group, number),
                    _row_text(old_def, group, was) if was is not None else EMPTY,
                    _row_text(new_def, group, now) if now is not None else "removed",
                )
            )
            continue
        for child in group.elements:
            a, b = was.get(child.name), now.get(child.name)
            if a != b:
                out.append(
                    FieldChange(
                        row_label(group, number, child),
                        _child(old_def, group.name, child.name, a),
                        _child(new_def, group.name, child.name, b),
                    )
                )
    return out


def _row_text(definition: Definition, group: GroupElement, row: Mapping[str, Any]) -> str:
    """Return a row's filled fields as "Label: value; Label: value" ('—' for an empty row)."""
    found = definition.groups.get(group.name, group)
    parts = [
        f"{child.label}: {display_value(definition, child, row[child.name])}"
        for child in found.elements
        if row.get(child.name) not in (None, [])
    ]
    return "; ".join(parts) or EMPTY


def _child(definition: Definition, group: str, name: str, value: Any) -> str:
    found = definition.groups.get(group)
    child = next((c for c in found.elements if c.name == name), None) if found else None
    if child is None:
        return _plain(value)
    return display_value(definition, child, value) or EMPTY


def _shown(definition: Definition, name: str, value: Any) -> str:
    element = definition.elements.get(name)
    if element is None or isinstance(element, GroupElement):
        return _plain(value)
    return display_value(definition, element, value) or EMPTY


def _envelope(key: str, value: Any) -> str:
    if key == "deleted_at":
        return "Yes" if value else "No"
    if value is None:
        return EMPTY
    return str(value).capitalize() if key == "status" else str(value)


def _plain(value: Any) -> str:
    if value is None or value == []:
        return EMPTY
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)
