"""Pseudonyms, year-quarters, random row ids."""

from __future__ import annotations

import datetime as dt

from printreg.research import new_secret, pseudonym, random_row_id, year_quarter


def test_pseudonyms_are_stable_within_a_request_and_unlinkable_across() -> None:
    first, second = new_secret(), new_secret()
    assert pseudonym(first, 7) == pseudonym(first, 7)
    assert pseudonym(first, 7) != pseudonym(first, 8)
    assert {pseudonym(first, n) for n in range(50)}.isdisjoint(
        {pseudonym(second, n) for n in range(50)}
    )
    assert pseudonym(first, 7).startswith("S")
    assert len(pseudonym(first, 7)) == 13


def test_dates_become_quarters() -> None:
    assert [year_quarter(dt.date(2025, m, 1)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2025-Q1", "2025-Q1", "2025-Q2", "2025-Q2", "2025-Q3", "2025-Q3", "2025-Q4", "2025-Q4"]  # fmt: skip


def test_row_ids_are_random() -> None:
    ids = {random_row_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(len(i) == 16 for i in ids)
