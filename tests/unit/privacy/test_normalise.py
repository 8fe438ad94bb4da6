"""Folding a text for the scanner, and the map back to the original offsets."""

from __future__ import annotations

import pytest

from printreg.privacy.normalise import fold


def test_ascii_text_is_its_own_fold_without_a_map() -> None:
    folded = fold("Mr. Smith, 12 mm")
    assert folded.text == "Mr. Smith, 12 mm"
    assert folded.origins is None
    assert folded.span(4, 9) == (4, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ｍｒ. Ｓｍｉｔｈ", "Mr. Smith"),  # full-width letters
        ("Mr.\u00a0Smith", "Mr. Smith"),  # no-break space
        ("Mr.\u2009Smith", "Mr. Smith"),  # thin space
        ("1234\u200b5678", "12345678"),  # zero-width space
        ("12\u00ad34\ufeff56\u200d78", "12345678"),  # soft hyphen, BOM, zero-width joiner
        ("\u0661\u0662\u0663", "123"),  # Arabic-Indic digits
        ("\u0967\u0968", "12"),  # Devanagari digits
        ("Jose\u0301", "Jose"),  # a combining accent
        ("Jos\u00e9", "Jose"),  # a precomposed accent
        ("\u0405mith", "Smith"),  # Cyrillic DZE for S
        ("123\u201145\u20136789", "123-45-6789"),  # non-breaking hyphen, en dash
        ("O\u2019Brien", "O'Brien"),  # typographic apostrophe
        ("a\u2028b", "a\nb"),  # line separator
    ],
)
def test_folding(text: str, expected: str) -> None:
    assert fold(text).text == expected


def test_each_folded_character_maps_to_its_original() -> None:
    text = "x\u200bＳ\u00a0ﬁ"  # zero-width space, full-width S, no-break space, the fi ligature
    folded = fold(text)
    assert folded.text == "xS fi"
    assert folded.origins == (0, 2, 3, 4, 4)
    assert folded.span(1, 2) == (2, 3)  # "S" is the full-width character
    assert folded.span(3, 5) == (4, 5)  # both letters of the ligature are one character
    assert folded.span(0, 2) == (0, 3)  # the zero-width space between them is inside
