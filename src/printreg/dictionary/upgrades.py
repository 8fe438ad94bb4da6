"""Moving a stored record onto a version that replaces free-text elements by coded ones.

A definition declares its replacements (``upgrades``: from, to, other_text; see
:class:`~printreg.dictionary.models.ElementUpgrade`). :func:`apply_upgrades` rewrites a record
in its JSON shape: a stored text that names a code, a label or an alias of the value set takes
that code, any other text takes "other" and moves to the specify-text. What it reports is only
which code each value took (:class:`Mapped`), never the text, so that a report of counts can be
shown to anyone without carrying what was typed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from printreg.dictionary.elements import CodeElement
from printreg.dictionary.models import Definition, ElementUpgrade, ValueSet, normalise_name

# "3D Slicer 5.2.1", "Mimics v24", "Mimics version 25.0": a trailing version is not the name
_VERSION = re.compile(r"\s+(?:v(?:ersion)?\s*)?\d[\w.\-]*$", re.IGNORECASE)


@dataclass(frozen=True)
class Mapped:
    """One stored text mapped: the element it went to, the code it took, whether it matched."""

    element: str  # the coded element's path (``prints.material_family``)
    code: str
    matched: bool  # False: no code, label or alias matched; the text went to the specify-text


def match_code(value_set: ValueSet, text: str) -> str | None:
    """Return the code that a text names (code, label or alias, in any case, with or without a
    trailing version number), or None when it names none."""
    names = value_set.names
    key = normalise_name(text)
    while key:
        if key in names:
            return names[key]
        shorter = _VERSION.sub("", key)
        if shorter == key:
            return None
        key = shorter
    return None


def _map_one(
    scope: dict[str, Any], up: ElementUpgrade, value_set: ValueSet, mapped: list[Mapped]
) -> None:
    """Replace the old text in ``scope`` (the record or one group row) by its code."""
    raw = scope.pop(ElementUpgrade.leaf(up.from_), None)
    if raw is None or not str(raw).strip():
        return
    text = str(raw).strip()
    code = match_code(value_set, text)
    target, other_text = ElementUpgrade.leaf(up.to), ElementUpgrade.leaf(up.other_text)
    if code is not None and code != up.other:
        scope[target] = code
        mapped.append(Mapped(up.to, code, matched=True))
        return
    scope[target] = up.other
    scope[other_text] = text
    mapped.append(Mapped(up.to, up.other, matched=code is not None))


def _scopes(record: dict[str, Any], group: str | None) -> Iterator[dict[str, Any]]:
    if group is None:
        yield record
        return
    for row in record.get(group) or []:
        if isinstance(row, dict):
            yield row


def apply_upgrades(
    old: Definition, new: Definition, record: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Mapped]]:
    """Return the JSON-shaped record rewritten for ``new`` and one :class:`Mapped` per text
    mapped; the record comes back unchanged (a copy) when ``new`` replaces nothing of ``old``."""
    out: dict[str, Any] = {
        k: [dict(r) if isinstance(r, dict) else r for r in v] if isinstance(v, list) else v
        for k, v in record.items()
    }
    mapped: list[Mapped] = []
    for up in new.upgrades:
        if old.element_at(up.from_) is None or new.element_at(up.from_) is not None:
            continue
        target = new.element_at(up.to)
        if not isinstance(target, CodeElement):
            continue
        value_set = new.value_sets[target.value_set]
        for scope in _scopes(out, up.group):
            _map_one(scope, up, value_set, mapped)
    return out, mapped
