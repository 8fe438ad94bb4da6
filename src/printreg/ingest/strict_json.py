"""JSON parsed within bounds: nesting depth, number size, one value per key, no NaN or Infinity.

Python's ``json`` recurses once per nesting level (a deep enough text raises RecursionError,
which a caller would report as an internal error, and a text just under the limit makes every
recursive check after it blow up instead), turns ``1e999`` into infinity, converts a number of
a million digits digit by digit, keeps the last of two equal keys without a word and accepts
``NaN``, and lets through ``\\u0000``, which PostgreSQL cannot store (an internal error on
insert). ``loads`` refuses all of these with a ``JsonRefused`` that says what and, where it can,
on which line; the nesting depth is checked before the parser recurses. Invalid JSON still
raises ``json.JSONDecodeError``.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from printreg.validation import safe_echo

MAX_DEPTH = 64  # a case record nests about five levels (record, group, row, list of codes)
MAX_NUMBER_CHARS = 100  # longer than any measurement; int("9" * 5000) is already refused

# A string literal (closed, or running to the end of the text), or a bracket.
_STRING = re.compile(r'"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z)')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_TOKEN = re.compile(r'"(?:[^"\\]|\\[\s\S])*(?:"|\\?\Z)|[\[\]{}]')
_PARENS = str.maketrans("[{]}", "(())")
# \u0000 with an odd number of backslashes before the u: a NUL character, which PostgreSQL text
# cannot hold (a raw NUL byte is already invalid JSON).
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


class JsonRefused(ValueError):  # noqa: N818 - reads as the condition it names
    """A JSON text refused for its shape; ``line`` is where (1-based), when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


def _deep_line(text: str, max_depth: int) -> int | None:
    """Return the line of the first bracket nested deeper than ``max_depth``, or None."""
    depth = 0
    for match in _TOKEN.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            if depth > max_depth:
                return text.count("\n", 0, match.start()) + 1
        elif found in "]}":
            depth -= 1
    return None


def check_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Return when no array or object of ``text`` nests deeper than ``max_depth``; else raise
    JsonRefused with the line. Linear in the text, and never recursive.

    Each round of removing the innermost ``()`` pairs of the brackets (strings taken out) lowers
    every nesting by one, so pairs left after ``max_depth`` rounds are deeper than allowed.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text)).translate(_PARENS)
    for _ in range(max_depth):
        shorter = brackets.replace("()", "")
        if shorter == brackets:
            return  # nothing left, or unbalanced brackets that the parser reports
        brackets = shorter
    if "()" in brackets:
        raise JsonRefused(
            f"the JSON is nested more than {max_depth} levels deep", _deep_line(text, max_depth)
        )


def check_text(text: str, max_depth: int = MAX_DEPTH) -> None:
    """Return when ``text`` nests no deeper than ``max_depth`` and escapes no NUL character;
    else raise JsonRefused with the line."""
    check_depth(text, max_depth)
    nul = _NUL_ESCAPE.search(text)
    if nul:
        raise JsonRefused(
            "a text holds a NUL character (\\u0000), which cannot be stored: remove it",
            text.count("\n", 0, nul.start()) + 1,
        )


def _number_text(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise JsonRefused(f"a number is longer than {MAX_NUMBER_CHARS} characters")


def _int(text: str) -> int:
    _number_text(text)
    return int(text)


def _float(text: str) -> float:
    _number_text(text)
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused("a number is too large to be stored")
    return value


def _constant(text: str) -> Any:
    raise JsonRefused(f"{text} is not a JSON number: leave the value out or send null")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                shown = repr(key[:60]) if safe_echo(key) else "a key"
                raise JsonRefused(f"{shown} appears twice in one object: keep one of them")
            seen.add(key)
    return value


DECODER = json.JSONDecoder(
    object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def loads(text: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """Return the value of a JSON text; JsonRefused for a hostile shape (nesting, numbers,
    duplicate keys, NaN, NUL characters), json.JSONDecodeError for text that is not JSON."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    check_text(text, max_depth)
    try:
        return DECODER.decode(text)
    except RecursionError:  # only with a max_depth near the interpreter's recursion limit
        raise JsonRefused("the JSON is nested too deeply") from None


def raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """Return (value, end) of the JSON value starting at ``pos`` of a text already checked with
    ``check_text``; JsonRefused or json.JSONDecodeError as ``loads``."""
    try:
        return DECODER.raw_decode(text, pos)
    except RecursionError:
        raise JsonRefused("the JSON is nested too deeply") from None
