"""The JSON shape of a record: what `case show --json` prints and `case add` accepts back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from printreg.dictionary import Definition, GroupElement, MissingReason


def json_value(value: Any) -> Any:
    """Return a canonical value as JSON: ISO dates, ``{"missing": code}`` for a reason."""
    if isinstance(value, MissingReason):
        return value.to_json()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    return value


def _present(value: Any) -> bool:
    return value is not None and value != []


def to_json_record(definition: Definition, record: Mapping[str, Any]) -> dict[str, Any]:
    """Return the record in definition order, leaving out empty values."""
    out: dict[str, Any] = {}
    for name, element in definition.elements.items():
        value: Any = record.get(name)
        if not _present(value):
            continue
        if isinstance(element, GroupElement):
            out[name] = [{k: json_value(v) for k, v in row.items() if _present(v)} for row in value]
        else:
            out[name] = json_value(value)
    return out


def changed_fields(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    """Return the top-level keys whose values differ between two JSON records."""
    before, after = before or {}, after or {}
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
