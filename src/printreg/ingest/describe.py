"""Words for flat columns: type, units, codes and requiredness, for the template readme and codebook."""

from __future__ import annotations

from typing import Any

from printreg.dictionary import (
    BooleanElement,
    CodeElement,
    CodesElement,
    DateElement,
    DecimalElement,
    Definition,
    GroupElement,
    IntegerElement,
    ReferenceElement,
    ScalarElement,
    TextElement,
    is_multiple,
)
from printreg.ingest.layout import PASS_THROUGH_COLUMNS, FlatLayout
from printreg.validation import describe_condition

MULTI_RULE = (
    "A multi-valued field is one cell with its values separated by ';' (for example ct;mr); "
    "spaces around the values are ignored."
)
GROUP_RULE = (
    "A repeating group has numbered columns <prefix>_<n>_<field> (n = 1, 2, ...). Fill its rows "
    "from 1 without gaps: a row exists when any of its cells is filled, and other fields refer to "
    "rows by their number (print_1_part_numbers = 1;2 means anatomic parts 1 and 2)."
)
STATUS_HELP = "draft or complete; empty means complete. Drafts may leave required fields empty."


def type_words(element: ScalarElement) -> str:
    """Return the kind of value an element takes, in words ('whole number or unknown')."""
    if isinstance(element, TextElement):
        words = f"text of up to {element.max_length} characters"
        if element.pattern_hint:
            words += f", as {element.pattern_hint}"
    elif isinstance(element, IntegerElement):
        words = "whole number"
    elif isinstance(element, DecimalElement):
        words = "number"
        if element.max_decimals is not None:
            words += f" with at most {element.max_decimals} decimals"
    elif isinstance(element, DateElement):
        words = "date YYYY-MM-DD" + (", not in the future" if element.not_future else "")
    elif isinstance(element, BooleanElement):
        words = "yes or no (true/false, yes/no, 1/0)"
    elif isinstance(element, CodeElement):
        words = "one code of the list (or its label)"
    elif isinstance(element, CodesElement):
        words = "codes of the list (or labels)"
    else:
        assert isinstance(element, ReferenceElement)  # noqa: S101 - the union is closed
        words = f"the {element.target}'s code or label"
    if isinstance(element, IntegerElement | DecimalElement):
        bounds = _bounds(element)
        words += f", {bounds}" if bounds else ""
    if getattr(element, "unknown_allowed", False):
        words += ", or 'unknown'"
    if is_multiple(element) and not isinstance(element, CodesElement):
        words = f"one or more: {words}"
    if is_multiple(element):
        words += ", separated by ';'"
    return words


def _bounds(element: IntegerElement | DecimalElement) -> str:
    unit = f" {element.unit}" if element.unit else ""
    low, high = element.min, element.max
    if low is not None and high is not None:
        return f"from {_num(low)} to {_num(high)}{unit}"
    if low is not None:
        return f"of at least {_num(low)}{unit}"
    if high is not None:
        return f"of at most {_num(high)}{unit}"
    return f"in {element.unit}" if element.unit else ""


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def requiredness(
    definition: Definition, element: ScalarElement | GroupElement, group: GroupElement | None
) -> str:
    """Return when an element must be filled: 'required', 'required when ...' or 'optional'."""
    parts: list[str] = []
    if element.applies_when is not None:
        parts.append(f"only when {describe_condition(element.applies_when, definition, group)}")
    if element.required:
        parts.append("required")
    elif element.required_when is not None:
        parts.append(
            f"required when {describe_condition(element.required_when, definition, group)}"
        )
    else:
        parts.append("optional")
    return "; ".join(parts)


def codes(definition: Definition, element: ScalarElement) -> list[dict[str, str]]:
    """Return the allowed codes of a coded element with their labels; [] for other elements."""
    if not isinstance(element, CodeElement | CodesElement):
        return []
    return [{"code": v.code, "label": v.label} for v in definition.value_set_for(element).values]


def column_entry(layout: FlatLayout, name: str) -> dict[str, Any]:
    """Return the codebook entry of one element column (KeyError when it is not one)."""
    column = layout.column(name)
    if column is None:
        raise KeyError(name)
    element, group = column.element, column.group
    need = requiredness(layout.definition, element, group)
    if group is not None:
        need = f"{need} in each {group.row_label} given; {requiredness(layout.definition, group, None)}"
    return {
        "column": name,
        "element": column.path,
        "group": group.name if group else None,
        "row": column.row,
        "label": element.label,
        "type": element.type,
        "value": type_words(element),
        "multiple": is_multiple(element),
        "unit": getattr(element, "unit", ""),
        "required": need,
        "help": element.help,
        "codes": codes(layout.definition, element),
    }


def readme(layout: FlatLayout) -> str:
    """Return the Markdown that explains every column of the template."""
    definition = layout.definition
    lines = [
        f"# Import template: {definition.registry.name}, definition {definition.version}",
        "",
        (
            "One row per case. Save the file as CSV UTF-8 (in Excel: 'CSV UTF-8 (Comma "
            "delimited)'), comma-separated, with the column names of the template on the first "
            "line. Columns may be left out unless required and may come in any order; unknown "
            "columns are refused."
        ),
        "",
        "- Leave a cell empty when there is no value.",
        f"- {MULTI_RULE}",
        "- Coded fields take the code or its label (any letter case).",
        f"- {GROUP_RULE}",
        "- Paste values only: cells holding spreadsheet formulas are refused.",
        "- Never enter a patient's name, birth date, record number or contact details.",
        (
            f"- Optional columns {' and '.join(PASS_THROUGH_COLUMNS)} must match the importing "
            "facility and this definition when given."
        ),
        "",
        "## Columns",
        "",
        f"- `status`: {STATUS_HELP}",
    ]
    for section in definition.sections:
        lines += ["", f"### {section.label}", ""]
        for element in section.elements:
            if isinstance(element, GroupElement):
                lines.append(
                    f"- {element.label}: columns `{element.prefix}_<n>_<field>`, n = 1 to "
                    f"{element.max_rows}, one {element.row_label} per n; "
                    f"{requiredness(definition, element, None)}. {element.help}".rstrip()
                )
                lines += [
                    "  " + _line(definition, f"{element.prefix}_<n>_{child.name}", child, element)
                    for child in element.elements
                ]
            else:
                lines.append(_line(definition, element.name, element, None))
    return "\n".join(lines) + "\n"


def _line(
    definition: Definition, column: str, element: ScalarElement, group: GroupElement | None
) -> str:
    text = (
        f"- `{column}`: {element.label}. {_sentence(type_words(element))}; "
        f"{requiredness(definition, element, group)}."
    )
    if element.help:
        text += f" {element.help}"
    listed = codes(definition, element)
    if listed:
        text += " Codes: " + "; ".join(f"`{c['code']}` {c['label']}" for c in listed) + "."
    return text
