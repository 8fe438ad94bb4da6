"""How many SQL statements one API request costs: a bound per request, never a timing.

Under load a request's cost is mostly its statements (each one a round trip and its driver and
SQLAlchemy work: docs/architecture.md, "Request cost"), so a change that adds a query to every
create or read fails here, not only in bench/api.py. The bounds are what each request needs:

- authentication by bearer token: 1 (the token with its owner, whether they confirmed a second
  factor, and their facility and registry roles, in one statement);
- a create: the facility with whether the registry admits it (one statement), its printers,
  one insert per case
  table the record fills (the case table that holds the local case ID also says whether the ID
  is free; on PostgreSQL one statement writes every table), the audit row, the facility's
  analytics stamp;
- a read: where the case is (its facility's id and code), then on PostgreSQL one statement
  reading the case row with every other table's rows and the facility's printer labels
  (storage/cases.py); elsewhere the labels and one select per case table;
- a 50-case list of one facility: the facility, the page.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from tests.support.records import records
from tests.support.web import API, DATA_MANAGER, HOME, REG

from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.platform import Platform
from printreg.storage.audit_log import AuditEntry
from printreg.storage.stamps import AnalyticsStamp

AUTH = 1


@pytest.fixture
def client(api_platform: Platform, bearer_client: Callable[[str], TestClient]) -> TestClient:
    """Return a client with a token of the data manager at the home facility."""
    # No recheck of the registry's stored versions (one statement every 5 s) mid-test.
    api_platform.registry_recheck_seconds = 3600
    accounts = AccountService(api_platform)
    with api_platform.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == DATA_MANAGER))
    assert user_id is not None
    secret, _ = accounts.create_token(
        accounts.actor_for(user_id), HOME, "cost", ["cases:read", "cases:write"], 7
    )
    return bearer_client(secret)


@contextmanager
def statements(platform: Platform) -> Iterator[list[str]]:
    """Collect the SQL statements the platform's engine sends while the block runs."""
    seen: list[str] = []

    def listen(_c: object, _cur: object, sql: str, _p: object, _x: object, _m: bool) -> None:
        seen.append(sql)

    event.listen(platform.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(platform.engine, "before_cursor_execute", listen)


def _record(local_id: str) -> dict[str, Any]:
    record = copy.deepcopy(records(HOME, 1)[0])
    record["local_case_id"] = local_id
    return record


def _tables(platform: Platform) -> int:
    return len(platform.registry(REG).tables.all_tables)


def test_a_create_costs_a_statement_per_filled_table_and_six_more(
    client: TestClient, api_platform: Platform
) -> None:
    client.get(f"{API}/cases", params={"facility": HOME})  # registry loaded, token touched
    # the facility's first change ever also opens its analytics stamp (storage/stamps.py)
    first = client.post(f"{API}/cases", params={"facility": HOME}, json=_record("COST-0"))
    assert first.status_code == 201, first.text
    with statements(api_platform) as seen:
        response = client.post(f"{API}/cases", params={"facility": HOME}, json=_record("COST-1"))
    assert response.status_code == 201, response.text
    inserts = [s for s in seen if s.lstrip().upper().startswith("INSERT INTO REG_")]
    if api_platform.engine.dialect.name == "postgresql":  # the whole case in one statement
        inserts = [s for s in seen if s.lstrip().upper().startswith("WITH T0 AS (INSERT INTO")]
        assert len(inserts) == 1, seen
    assert 1 <= len(inserts) <= _tables(api_platform)
    assert len(seen) <= AUTH + 2 + len(inserts) + 2, seen
    case = client.get(f"{API}/cases/{response.json()['id']}").json()
    sent = {k: v for k, v in _record("COST-1").items() if k not in ("facility", "status")}
    assert case["record"] == sent  # every value of every table read back as sent


def test_a_taken_local_case_id_writes_nothing_and_costs_one_lookup_more(
    client: TestClient, api_platform: Platform
) -> None:
    first = client.post(f"{API}/cases", params={"facility": HOME}, json=_record("COST-2"))
    assert first.status_code == 201, first.text

    def written() -> tuple[int, int]:
        with api_platform.sessions() as session:
            audits = session.scalar(select(func.count()).select_from(AuditEntry)) or 0
            stamp = session.scalar(select(func.sum(AnalyticsStamp.version))) or 0
        return audits, stamp

    before = written()
    with statements(api_platform) as seen:
        again = client.post(f"{API}/cases", params={"facility": HOME}, json=_record("COST-2"))
    assert again.status_code == 422, again.text
    assert [i["rule"] for i in again.json()["issues"]] == ["duplicate_local_case_id"]
    assert first.json()["id"] in again.json()["issues"][0]["message"]
    assert written() == before  # no audit row, no analytics stamp moved
    # the case table's insert found the ID taken; one lookup names the case that has it
    assert len(seen) <= AUTH + 2 + 1 + 1, seen


def test_a_read_costs_two_statements_after_authentication_on_postgresql(
    client: TestClient, api_platform: Platform
) -> None:
    created = client.post(f"{API}/cases", params={"facility": HOME}, json=_record("COST-3"))
    assert created.status_code == 201, created.text
    with statements(api_platform) as seen:
        response = client.get(f"{API}/cases/{created.json()['id']}")
    assert response.status_code == 200, response.text
    assert response.json()["record"]["local_case_id"] == "COST-3"
    sent = {k: v for k, v in _record("COST-3").items() if k not in ("facility", "status")}
    assert response.json()["record"] == sent  # every table's values, printers by label
    whole = api_platform.engine.dialect.name == "postgresql"
    bound = AUTH + 2 if whole else AUTH + 2 + _tables(api_platform)
    assert len(seen) <= bound, "\n".join(s[:50] for s in seen)


def test_a_list_of_one_facility_costs_two_statements_after_authentication(
    client: TestClient, api_platform: Platform
) -> None:
    client.post(f"{API}/cases", params={"facility": HOME}, json=_record("COST-4"))
    with statements(api_platform) as seen:
        response = client.get(f"{API}/cases", params={"facility": HOME, "limit": 50})
    assert response.status_code == 200, response.text
    assert "COST-4" in [item["local_case_id"] for item in response.json()["items"]]
    assert len(seen) <= AUTH + 2, seen
