"""Field paths of queries, as validation issues write them: ``local_case_id`` for an element,
``prints[2].scale_pct`` for an element of a repeating group's row (rows count from 1).

Plain Python over a definition and a record's JSON shape, no database: checking a path, reading
the value it points at (what tells that a value changed after a query was raised) and listing
the paths of a record (what a person may raise a query on). Messages never repeat a path as
typed: it could be anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from printreg.dictionary import Definition, GroupElement
from printreg.domain.errors import InvalidRequest

_PATH = re.compile(r"([a-z][a-z0-9_]*)(?:\[([1-9][0-9]{0,3})\]\.([a-z][a-z0-9_]*))?")


def check_path(definition: Definition, path: str, record: Mapping[str, Any]) -> str:
    """Return the path, trimmed, when it names a scalar element of the definition (for a group's
    element: one of the record's rows); InvalidRequest otherwise."""
    found = _PATH.fullmatch(path.strip())
    if found is None:
        raise InvalidRequest(
            "give the field as the case form names it: ELEMENT, or GROUP[ROW].ELEMENT"
        )
    name, number, child = found.groups()
    element = definition.elements.get(name)
    if element is None:
        raise InvalidRequest("no such field in the registry's definition")
    if not isinstance(element, GroupElement):
        if number is not None:
            raise InvalidRequest("that field is not in a repeating group: name it alone")
        return path.strip()
    if number is None:
        raise InvalidRequest(
            f"name one field of one {element.row_label}: {name}[ROW].ELEMENT, rows from 1"
        )
    if all(e.name != child for e in element.elements):
        raise InvalidRequest("no such field in the registry's definition")
    rows = record.get(name) or []
    if int(number) > len(rows):
        raise InvalidRequest(f"the case has no {element.row_label} {int(number)}")
    return path.strip()


def value_at(record: Mapping[str, Any] | None, path: str) -> Any:
    """Return the value a path points at in a JSON-shaped record; None when it is empty or the
    row is not there."""
    found = _PATH.fullmatch(path)
    if found is None or record is None:
        return None
    name, number, child = found.groups()
    value = record.get(name)
    if number is None:
        return value
    rows = value if isinstance(value, list) else []
    index = int(number) - 1
    if index >= len(rows) or not isinstance(rows[index], Mapping):
        return None
    return rows[index].get(child)


def record_paths(definition: Definition, record: Mapping[str, Any]) -> list[str]:
    """Return every field path of a record, in form order: each scalar element, and each
    element of each row the record holds."""
    paths: list[str] = []
    for name, element in definition.elements.items():
        if not isinstance(element, GroupElement):
            paths.append(name)
            continue
        for number in range(1, len(record.get(name) or []) + 1):
            paths.extend(f"{name}[{number}].{child.name}" for child in element.elements)
    return paths
