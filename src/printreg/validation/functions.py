"""Named cross-field rules and derived values that definitions refer to by name.

A rule yields ``(path, message)`` for each violation; a derived function returns a value or
None when its inputs are missing or unknown. Both receive the parsed record (element name →
canonical value; groups as lists of row mappings) and the definition, plus the parameters the
definition gives. ``field_params`` and ``group_params`` name the parameters that must point at
elements or groups of the definition, so a definition naming a missing one is refused on load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from printreg.dictionary import Definition, is_reason
from printreg.domain.appropriateness import band_of
from printreg.domain.coding import (
    ADDON_PRIMARY,
    billed_units,
    format_codes,
    orphan_addons,
    suggest_units,
)

Record = Mapping[str, Any]
Violations = Iterator[tuple[str, str]]


@dataclass(frozen=True)
class NamedFunction:
    """A function a definition may name, with the parameters that must resolve to elements."""

    func: Callable[..., Any]
    field_params: tuple[str, ...] = ()
    group_params: tuple[str, ...] = ()


RULES: dict[str, NamedFunction] = {}
DERIVED: dict[str, NamedFunction] = {}


def _register(
    table: dict[str, NamedFunction], name: str, fields: tuple[str, ...], groups: tuple[str, ...]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        table[name] = NamedFunction(func, fields, groups)
        return func

    return wrap


def rule(
    name: str, fields: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a cross-field rule under ``name``."""
    return _register(RULES, name, fields, groups)


def derived(
    name: str, fields: tuple[str, ...] = (), groups: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a derived-value function under ``name``."""
    return _register(DERIVED, name, fields, groups)


def _known(value: Any) -> bool:
    return value is not None and not is_reason(value)


def _label(definition: Definition, name: str) -> str:
    element = definition.elements.get(name)
    return element.label if element else name


# --- rules -------------------------------------------------------------------------------------


@rule("date_order", fields=("earlier", "later"))
def date_order(record: Record, definition: Definition, *, earlier: str, later: str) -> Violations:
    """The ``later`` date must not come before the ``earlier`` one."""
    first, second = record.get(earlier), record.get(later)
    if isinstance(first, dt.date) and isinstance(second, dt.date) and second < first:
        yield (
            later,
            (
                f"{_label(definition, later)} is before {_label(definition, earlier)}: "
                f"correct one of the two dates"
            ),
        )


@rule("row_references", groups=("group", "target"))
def row_references(
    record: Record, definition: Definition, *, group: str, field: str, target: str
) -> Violations:
    """Every row number listed in ``group[].field`` must be a row of ``target``."""
    available = len(record.get(target) or [])
    target_label = definition.groups[target].label.lower()
    for i, row in enumerate(record.get(group) or [], start=1):
        for j, number in enumerate(row.get(field) or [], start=1):
            if _known(number) and not 1 <= number <= available:
                yield (
                    f"{group}[{i}].{field}[{j}]",
                    (
                        f"there is no row {number} in {target_label} (the case has {available}): "
                        f"list only existing row numbers"
                    ),
                )


@rule("unique_in_group", groups=("group",))
def unique_in_group(
    record: Record, definition: Definition, *, group: str, field: str
) -> Violations:
    """No two rows of ``group`` may share a value of ``field``."""
    seen: dict[Any, int] = {}
    for i, row in enumerate(record.get(group) or [], start=1):
        value = row.get(field)
        if value is None:
            continue
        if value in seen:
            row_label = definition.groups[group].row_label
            yield (
                f"{group}[{i}].{field}",
                (
                    f"the same value is already in {row_label} {seen[value]}: "
                    f"give each value once and add up the units"
                ),
            )
        else:
            seen[value] = i


def _billed(record: Record, group: str, code: str, units: str) -> dict[str, int]:
    rows = record.get(group) or []
    return billed_units(
        (row[code], row[units]) for row in rows if row.get(code) and _known(row.get(units))
    )


@rule("cpt_addon_requires_primary", groups=("group",))
def cpt_addon_requires_primary(
    record: Record,
    definition: Definition,  # noqa: ARG001
    *,
    group: str,
    code: str,
    units: str,
) -> Violations:
    """An add-on code (0560T, 0562T) needs its primary code (0559T, 0561T) on the same case;
    ``group`` holds the billed codes, one per row in ``code`` with its ``units``."""
    for addon in orphan_addons(_billed(record, group, code, units)):
        yield (
            group,
            (
                f"{addon} is an add-on code and needs {ADDON_PRIMARY[addon]} on the same case: "
                f"add {ADDON_PRIMARY[addon]} or remove {addon}"
            ),
        )


@rule("cpt_matches_suggestion", fields=("kind", "guide_total"), groups=("group", "parts"))
def cpt_matches_suggestion(
    record: Record,
    definition: Definition,  # noqa: ARG001
    *,
    group: str,
    code: str,
    units: str,
    kind: str,
    model: str,
    guide: str,
    parts: str,
    guide_total: str,
) -> Violations:
    """Billed codes that differ from the suggested coding deserve a second look (a warning);
    the suggestion's parameters are those of :func:`cpt_suggestion`."""
    billed = _billed(record, group, code, units)
    if not billed:
        return
    suggested = _suggestion(
        record, kind=kind, model=model, guide=guide, parts=parts, guide_total=guide_total
    )
    if suggested and billed != suggested:
        yield (
            group,
            (
                f"billed {format_codes(billed)} but the case suggests {format_codes(suggested)}: "
                f"check the number of parts or guides, or the units billed"
            ),
        )


@rule("sterile_guides", fields=("kind", "phases"), groups=("group",))
def sterile_guides(
    record: Record,
    definition: Definition,  # noqa: ARG001
    *,
    kind: str,
    guide: str,
    phases: str,
    during: str,
    group: str,
    sterilized: str,
) -> Violations:
    """Guides used during the procedure are expected to be sterilized: when ``kind`` is the code
    ``guide`` and ``phases`` holds ``during``, every row of ``group`` with ``sterilized`` false
    is flagged."""
    if record.get(kind) != guide:
        return
    if during not in (record.get(phases) or []):
        return
    for i, row in enumerate(record.get(group) or [], start=1):
        if row.get(sterilized) is False:
            yield (
                f"{group}[{i}].{sterilized}",
                (
                    "a guide used during the procedure is normally sterilized: "
                    "confirm that this print was not used in the sterile field"
                ),
            )


@rule("whole_number_from", fields=("field",))
def whole_number_from(
    record: Record, definition: Definition, *, field: str, threshold: float
) -> Violations:
    """From ``threshold`` up, the value must be a whole number (ages: decimals only under 2)."""
    value = record.get(field)
    if isinstance(value, int | float) and value >= threshold and not float(value).is_integer():
        yield (
            field,
            (
                f"{_label(definition, field)}: give whole years from {threshold:g} on "
                f"(decimals only below {threshold:g}); round down"
            ),
        )


# --- derived values ----------------------------------------------------------------------------


def _suggestion(
    record: Record, *, kind: str, model: str, guide: str, parts: str, guide_total: str
) -> dict[str, int]:
    """Return the suggested units per code: ``kind`` holds the code ``model`` (counted by the
    rows of the group ``parts``) or ``guide`` (counted by the number in ``guide_total``)."""
    count = record.get(guide_total)
    value = record.get(kind)
    made: Literal["model", "guide"] | None = (
        "model" if value == model else "guide" if value == guide else None
    )
    return suggest_units(made, len(record.get(parts) or []), count if _known(count) else None)


@derived("date_difference", fields=("start", "end"))
def date_difference(record: Record, definition: Definition, *, start: str, end: str) -> int | None:  # noqa: ARG001
    """Return whole days from ``start`` to ``end``; None when either is missing."""
    first, second = record.get(start), record.get(end)
    if isinstance(first, dt.date) and isinstance(second, dt.date):
        return (second - first).days
    return None


@derived("row_count", groups=("group",))
def row_count(record: Record, definition: Definition, *, group: str) -> int:  # noqa: ARG001
    """Return the number of rows in a repeating group."""
    return len(record.get(group) or [])


@derived("sum_of", fields=("fields",))
def sum_of(record: Record, definition: Definition, *, fields: list[str]) -> float | None:  # noqa: ARG001
    """Return the sum of the fields; None if any is missing or unknown (a partial sum misleads)."""
    values = [record.get(name) for name in fields]
    if not all(_known(v) for v in values):
        return None
    total: float = sum(v for v in values if v is not None)  # ints stay ints
    return total


@derived("difference", fields=("minuend", "subtrahend"))
def difference(
    record: Record,
    definition: Definition,  # noqa: ARG001
    *,
    minuend: str,
    subtrahend: str,
) -> float | None:
    """Return minuend − subtrahend; None when either is missing or unknown."""
    a, b = record.get(minuend), record.get(subtrahend)
    if a is None or b is None or not (_known(a) and _known(b)):
        return None
    gap: float = a - b
    return gap


@derived("cpt_suggestion", fields=("kind", "guide_total"), groups=("parts",))
def cpt_suggestion(
    record: Record,
    definition: Definition,  # noqa: ARG001
    *,
    kind: str,
    model: str,
    guide: str,
    parts: str,
    guide_total: str,
) -> str | None:
    """Return the suggested CPT coding, e.g. '0559T×1 + 0560T×2'; None when nothing to code.

    ``kind`` is the element holding the object type, ``model`` and ``guide`` its codes of an
    anatomic model and a guide, ``parts`` the group of a model's parts, ``guide_total`` the element
    holding the number of guides."""
    suggested = _suggestion(
        record, kind=kind, model=model, guide=guide, parts=parts, guide_total=guide_total
    )
    return format_codes(suggested) or None


@derived("appropriateness_band", fields=("field",))
def appropriateness_band(
    record: Record, definition: Definition, *, field: str, value_set: str
) -> str | None:
    """Return the SIG band of the linked scenario's rating; None when no scenario is linked."""
    code = record.get(field)
    if code is None:
        return None
    value = next((v for v in definition.value_sets[value_set].values if v.code == code), None)
    rating = value.attributes.get("rating") if value else None
    return str(band_of(int(rating))) if isinstance(rating, int | float) else None
