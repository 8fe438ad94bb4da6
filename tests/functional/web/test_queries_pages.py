"""Queries on the pages: raised from the case page, shown on the home page, as a badge in the
case list and beside the field in the case form, answered there by a change or a confirmation,
listed for registry staff by facility and age, closed and re-opened from the query's page."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from collections.abc import Callable

from sqlalchemy import select
from tests.support.pages import (
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    Client,
    dm,  # noqa: F401 - fixtures shared with the page tests
    new_client,  # noqa: F401
    people,  # noqa: F401
    sign_in,  # noqa: F401
    store,
)
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.platform import Platform
from printreg.queries.models import Query
from printreg.queries.service import QueryService

TEXT = "Scale looks unusual: please check"


def _raise(client: Client, case_id: str, path: str) -> str:
    http, csrf = client
    sent = http.post(f"/registries/{REG}/cases/{case_id}/queries",
                     data={"csrf_token": csrf, "path": path, "text": TEXT},
                     follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303, sent.text
    page = http.get(f"/registries/{REG}/cases/{case_id}")
    found = re.findall(r'href="/queries/([0-9a-f-]{36})"', page.text)
    assert found, page.text
    return found[-1]


def test_the_facility_sees_and_answers_its_queries(
    people: Platform, sign_in: Callable[[str], Client], dm: Client
) -> None:
    case_id = store(people, HOME, records(HOME, 1)[0])
    admin = sign_in(REGISTRY_ADMIN)
    on_scale = _raise(admin, case_id, "prints[1].scale_pct")
    on_time = _raise(admin, case_id, "time_saved_min")
    http, csrf = dm
    home = http.get(f"/registries/{REG}/home")
    assert 'data-open-queries="2"' in home.text
    listed = http.get(f"/registries/{REG}/cases")
    assert f'href="/registries/{REG}/cases/{case_id}#queries" data-open-queries="2"' in listed.text
    form = http.get(f"/registries/{REG}/cases/{case_id}/edit")
    assert form.status_code == 200
    text = form.text
    # each query sits inside its field's block, after the input of that field
    for name, query_id in (("prints-1-scale_pct", on_scale), ("time_saved_min", on_time)):
        start = text.index(f'data-field="{name}"')
        next_field = text.index('data-field="', start + 1)
        assert start < text.index(f'id="f-{name}"') < text.index(f'id="query-{query_id}"')
        assert text.index(f'id="query-{query_id}"') < next_field
    assert f'<form method="post" action="/queries/{on_time}/confirm" id="qf-{on_time}"' in text
    assert html.escape(TEXT) in text or TEXT in text
    # confirm one with a reason (the form beside the field posts to the query)
    back = f"/registries/{REG}/cases/{case_id}/edit"
    confirmed = http.post(f"/queries/{on_time}/confirm",
                          data={"csrf_token": csrf, "reason": "Measured by the surgeon",
                                "back": back}, follow_redirects=False)  # fmt: skip
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == back
    elsewhere = http.post(f"/queries/{on_scale}/confirm",
                          data={"csrf_token": csrf, "reason": "", "back": "https://evil.example"},
                          follow_redirects=False)  # fmt: skip
    assert elsewhere.status_code == 400
    assert "evil" not in elsewhere.headers.get("location", "")
    detail = http.get(f"/queries/{on_time}")
    assert "Answered: value confirmed" in detail.text
    assert "Measured by the surgeon" in detail.text
    assert 'id="close-query"' not in detail.text  # the registry raised it: the registry closes
    assert 'data-open-queries="1"' in http.get(f"/registries/{REG}/home").text


def test_staff_list_by_facility_and_age_then_close_and_reopen(
    people: Platform, sign_in: Callable[[str], Client]
) -> None:
    cases = {code: store(people, code, records(code, 1)[0]) for code in (HOME, OTHER)}
    admin = sign_in(REGISTRY_ADMIN)
    ids = {code: _raise(admin, cases[code], "time_saved_min") for code in (HOME, OTHER)}
    with people.sessions() as session, session.begin():
        row = session.get_one(Query, uuid.UUID(ids[OTHER]))
        row.opened_at = row.opened_at - dt.timedelta(days=30)
    http, csrf = admin
    page = http.get(f"/registries/{REG}/queries")
    assert page.status_code == 200
    assert f'data-facility="{HOME}"' in page.text
    assert f'data-facility="{OTHER}"' in page.text
    assert page.text.count('data-query-status="open"') == 2
    old = http.get(f"/registries/{REG}/queries", params={"min_days": "14"})
    assert ids[OTHER] in old.text
    assert ids[HOME] not in old.text
    mine = http.get(f"/registries/{REG}/queries", params={"facility": HOME})
    assert ids[HOME] in mine.text
    assert ids[OTHER] not in mine.text
    closed = http.post(f"/queries/{ids[HOME]}/close", data={"csrf_token": csrf},
                       follow_redirects=False)  # fmt: skip
    assert closed.status_code == 303
    assert 'id="query-status">closed' in http.get(f"/queries/{ids[HOME]}").text
    empty = http.post(f"/queries/{ids[HOME]}/reopen", data={"csrf_token": csrf, "text": ""})
    assert empty.status_code == 400
    reopened = http.post(f"/queries/{ids[HOME]}/reopen",
                         data={"csrf_token": csrf, "text": "Still unclear"},
                         follow_redirects=False)  # fmt: skip
    assert reopened.status_code == 303
    assert 'id="query-status">open' in http.get(f"/queries/{ids[HOME]}").text


def test_a_refused_raise_shows_the_case_page_with_the_reason(people: Platform, dm: Client) -> None:
    case_id = store(people, HOME, records(HOME, 1)[0])
    http, csrf = dm
    refused = http.post(f"/registries/{REG}/cases/{case_id}/queries",
                        data={"csrf_token": csrf, "path": "time_saved_min",
                              "text": "Call John Smith on 555-867-5309"})  # fmt: skip
    assert refused.status_code == 422
    assert 'id="query-problem"' in refused.text
    assert "555-867-5309" not in refused.text.split('id="query-problem"')[1].split("</p>")[0]
    with people.sessions() as session:
        assert session.scalars(select(Query)).all() == []
    made = QueryService(people, Actor.operator("test")).list(REG)
    assert made == []
