"""Single cells of flat files: formulas, their neutralisation, and values written as text."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from printreg.dictionary import MissingReason
from printreg.dictionary.elements import MULTI_SEPARATOR, split_multi

if TYPE_CHECKING:
    import polars as pl

__all__ = [
    "MULTI_SEPARATOR", "format_value", "is_formula", "join_multi", "needs_neutralising",
    "neutralise", "restore", "restore_expr", "split_multi",
]  # fmt: skip

_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
# '=' starts a formula whatever follows; '+', '-' and '@' only before a name or a parenthesis,
# so that negative numbers (-5) and signed values stay values.
_FORMULA = re.compile(r"=\s*\S|[+\-@][A-Za-z_(]")
_RISKY_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula(cell: str) -> bool:
    """Return whether a spreadsheet would read the cell as a formula rather than a value."""
    return _FORMULA.match(cell) is not None


def needs_neutralising(cell: str) -> bool:
    """Return whether a spreadsheet could execute the cell: a risky first character, not a number."""
    return cell.startswith(_RISKY_START) and _PLAIN_NUMBER.fullmatch(cell) is None


def neutralise(cell: str) -> str:
    """Return the cell with a leading apostrophe when a spreadsheet could execute it, else as is."""
    return f"'{cell}" if needs_neutralising(cell) else cell


def restore(cell: str) -> str:
    """Return a cell neutralised by ``neutralise`` as it was; any other cell unchanged."""
    if cell.startswith("'") and needs_neutralising(cell[1:]):
        return cell[1:]
    return cell


def restore_expr(column: str) -> pl.Expr:
    """Return ``restore`` as a polars expression over a string column (same rule, vectorised)."""
    import polars as pl  # noqa: PLC0415 - heavy: only the batch readers need it, not a template

    col = pl.col(column)
    rest = col.str.slice(1)
    risky = rest.str.contains(r"^[=+\-@\t\r]") & ~rest.str.contains(
        r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"
    )
    return pl.when(col.str.starts_with("'") & risky).then(rest).otherwise(col).alias(column)


def format_value(value: Any) -> str:
    """Return one value as cell text: ISO dates, 'true'/'false', a reason's code; '' for None."""
    if value is None:
        return ""
    if isinstance(value, MissingReason):
        return value.code
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def join_multi(values: Sequence[Any], column: str) -> str:
    """Return the values of a multi-valued element as one ';'-separated cell.

    Raises ValueError naming the column (never the value) when a value itself holds a ';'.
    """
    texts = [format_value(v) for v in values]
    if any(MULTI_SEPARATOR in t for t in texts):
        raise ValueError(
            f"a value of column {column} holds a ';', which separates values in flat files"
        )
    return MULTI_SEPARATOR.join(texts)
