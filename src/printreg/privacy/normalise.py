"""Fold a text into the plain form the identifier scanner reads, keeping a map back to the original.

An identifier must not slip through because it was typed with full-width letters, a no-break
space, a zero-width space inside a number or Arabic-Indic digits. ``fold`` returns the folded text
and, for each of its characters, the offset of the original character it came from, so that a
finding in the folded text can be cut out of the original exactly.

Folding, character by character:

* compatibility decomposition (Unicode NFKD, the decomposing half of NFKC): full-width and
  mathematical letters and digits become ASCII, ligatures are split, accents are separated;
* combining marks (accents, strike-through overlays) and format characters (Unicode category
  Cf: zero-width space, joiners, soft hyphen, byte-order mark, bidirectional controls) are dropped;
* every Unicode decimal digit becomes its ASCII digit;
* every Unicode space becomes a plain space, every line or paragraph break a line feed, every
  dash a hyphen-minus and every apostrophe-like mark an apostrophe;
* a few Cyrillic and Greek letters that look exactly like Latin ones become the Latin letter.

Plain ASCII text, which is nearly every cell of a bulk import, is returned as it is with no map.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Line and paragraph separators: a name or an address never runs over one.
_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
_APOSTROPHES = frozenset("\u2018\u2019\u02bc\u2032\u00b4\u0060")
# Letters of other scripts that render like Latin letters (the usual homoglyph evasions).
_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХУаеорсхуіјѕԁԛԝІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧαοκνρτυχ",
    "ABEKMHOPCTXYaeopcxyijsdqwIJSABEZHIKMNOPTYXaoKvptuX",
)


@dataclass(frozen=True, slots=True)
class Folded:
    """A folded text and where each of its characters came from.

    ``origins[i]`` is the offset in the original text of the character that produced ``text[i]``;
    ``origins`` is None when the text is the original itself (plain ASCII).
    """

    text: str
    origins: tuple[int, ...] | None
    length: int  # the original's length

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Return the original offsets of the folded span ``[start, end)``."""
        if self.origins is None:
            return start, end
        if end <= start:
            at = self.origins[start] if start < len(self.origins) else self.length
            return at, at
        return self.origins[start], self.origins[end - 1] + 1


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    """Return what one non-ASCII character folds to (possibly nothing)."""
    if char in _BREAKS:
        return "\n"
    if char.isspace():
        return " "
    out = []
    for part in unicodedata.normalize("NFKD", char):
        category = unicodedata.category(part)
        if category[0] == "M" or category == "Cf":
            continue
        if part.isspace():
            out.append("\n" if part in _BREAKS else " ")
            continue
        if category == "Pd":
            out.append("-")  # every dash and hyphen: non-breaking, figure, en, em, minus
            continue
        if part in _APOSTROPHES:
            out.append("'")
            continue
        digit = unicodedata.decimal(part, None)
        out.append(str(digit) if digit is not None else part.translate(_LOOKALIKES))
    return "".join(out)


def fold(text: str) -> Folded:
    """Return ``text`` folded for scanning (see the module docstring) with its offset map."""
    if text.isascii():
        return Folded(text, None, len(text))
    pieces: list[str] = []
    origins: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            pieces.append(char)
            origins.append(index)
            continue
        folded = _fold_char(char)
        pieces.append(folded)
        origins.extend([index] * len(folded))
    return Folded("".join(pieces), tuple(origins), len(text))
