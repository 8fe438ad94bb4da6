"""Words for flat columns: type, units, codes and requiredness, for the template readme and codebook."""

from __future__ import annotations

from typing import Any

from printreg.dictionary import Definition, GroupElement, ScalarElement, is_multiple
from printreg.dictionary.missing import REASON_CODES, REASON_LABELS, column_of
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
MISSING_RULE = (
    "A field that takes reasons for missing data is followed by a column <column>__missing: "
    "leave it empty when you give a value, or put the reason there is none in it, with the "
    "value cell empty: "
    + ", ".join(f"{code} ({REASON_LABELS[code]})" for code in REASON_CODES)
    + ". Each field lists the reasons it takes."
)
STATUS_HELP = "draft or complete; empty means complete. Drafts may leave required fields empty."


def type_words(element: ScalarElement) -> str:
    """Return the kind of value an element takes, in words ('whole number or unknown')."""
    return element.type_words()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    if element.value_set_code is None:
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
        "missing_reasons": list(element.reasons),
        "missing_column": column_of(name) if element.reasons else None,
    }


def reason_entry(layout: FlatLayout, name: str) -> dict[str, Any]:
    """Return the codebook entry of the reason column beside an element column (KeyError when
    the column is not one or its element takes no reasons)."""
    column = layout.column(name)
    if column is None or not column.element.reasons:
        raise KeyError(name)
    return {
        "column": column_of(name),
        "element": column.path,
        "group": column.group.name if column.group else None,
        "row": column.row,
        "label": f"{column.element.label}: reason for no value",
        "type": "code",
        "value": f"empty when {name} holds a value; else the reason it has none",
        "multiple": False,
        "unit": "",
        "required": "optional; never beside a value",
        "help": MISSING_RULE,
        "codes": [{"code": r, "label": REASON_LABELS[r]} for r in column.element.reasons],
        "missing_reasons": [],
        "missing_column": None,
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
        f"- {MISSING_RULE}",
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
    if element.reasons:
        text += (
            f" Reason for no value in `{column_of(column)}`: "
            + ", ".join(f"`{code}`" for code in element.reasons)
            + "."
        )
    return text
