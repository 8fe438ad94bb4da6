"""Dates: ISO everywhere, a facility's local order only when it declares one, never guessed."""

from __future__ import annotations

import datetime as dt

import pytest

from printreg.dictionary import DateElement, ValueProblem
from printreg.dictionary.dates import date_formats, local_date


class Context:
    """The part of a validation context that reading a date needs."""

    def __init__(self, order: str | None) -> None:
        self.date_order = order
        self.today = dt.date(2026, 12, 5)


ELEMENT = DateElement(name="request_date", label="Request date", type="date")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("02/11/2026", "DMY", dt.date(2026, 11, 2)),
        ("02/11/2026", "MDY", dt.date(2026, 2, 11)),
        ("2/1/2026", "DMY", dt.date(2026, 1, 2)),
        ("02.11.2026", "DMY", dt.date(2026, 11, 2)),
        ("02-11-2026", "MDY", dt.date(2026, 2, 11)),
        ("2026-11-02", "DMY", dt.date(2026, 11, 2)),
        ("2026-11-02", "MDY", dt.date(2026, 11, 2)),
        ("2026-11-02", None, dt.date(2026, 11, 2)),
        (" 31/12/2026 ", "DMY", dt.date(2026, 12, 31)),
    ],
)
def test_iso_and_the_declared_local_order_are_read(
    text: str, order: str | None, expected: dt.date
) -> None:
    assert ELEMENT.parse_in(text, Context(order)) == expected


@pytest.mark.parametrize(
    ("text", "order", "words"),
    [
        ("02/11/2026", None, "YYYY-MM-DD"),  # no declared order: refused, never guessed
        ("02/11/26", "DMY", "YYYY-MM-DD or DD/MM/YYYY"),  # two-digit years: which century?
        ("02/11-2026", "DMY", "YYYY-MM-DD or DD/MM/YYYY"),  # mixed separators
        ("31/02/2026", "DMY", "real calendar date (YYYY-MM-DD or DD/MM/YYYY)"),
        ("13/01/2026", "MDY", "real calendar date (YYYY-MM-DD or MM/DD/YYYY)"),
        ("2026-02-30", "DMY", "real calendar date (YYYY-MM-DD)"),
        ("61102-02-02", "DMY", "YYYY-MM-DD or DD/MM/YYYY"),
    ],
)
def test_other_forms_are_refused_saying_which_forms_are_read(
    text: str, order: str | None, words: str
) -> None:
    with pytest.raises(ValueProblem) as refused:
        ELEMENT.parse_in(text, Context(order))
    assert refused.value.rule == "type"
    assert words in refused.value.message
    assert text.strip() not in refused.value.message  # the value is never echoed


def test_formats_in_words_and_no_local_date_without_an_order() -> None:
    assert date_formats(None) == "YYYY-MM-DD"
    assert date_formats("MDY") == "YYYY-MM-DD or MM/DD/YYYY"
    assert local_date("02/11/2026", None) is None
    assert local_date("2026-11-02", "DMY") is None
