"""One way to build a case list query (issue 13): the API, the list page and the CLI call it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from printreg.cases.service import case_query, encode_cursor
from printreg.domain.errors import InvalidRequest


def test_blank_filters_are_no_filters() -> None:
    query = case_query(status="", search="   ", where={})
    assert query.status is None
    assert query.search is None
    assert dict(query.where) == {}
    assert query.after is None
    assert not query.only_deleted


def test_the_cursor_the_previous_page_printed_is_where_the_next_starts() -> None:
    at = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)
    ident = uuid.UUID(int=7)
    query = case_query(cursor=encode_cursor(at, ident), search=" knee ", limit=20, deleted=True)
    assert query.after == (at, ident)
    assert query.search == "knee"
    assert query.limit == 20
    assert query.only_deleted


def test_a_cursor_that_is_not_ours_is_a_clear_refusal() -> None:
    with pytest.raises(InvalidRequest, match="cursor is not valid"):
        case_query(cursor="not-a-cursor")
