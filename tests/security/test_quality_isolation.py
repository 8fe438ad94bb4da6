"""Attack: read another facility's data quality, or make printreg work for you without the right.

A facility's quality results name its cases (ids, field paths): only those who may read its
cases get them, and another facility's answer reads exactly like one that exists nowhere. The
overview of a facility's people sums their own facilities only (the registry-wide summary is for
registry staff). Queueing an evaluation needs registry staff or a facility data manager, CSRF
for a browser session, and a token's ``cases:read`` scope reads; evaluating in the request is
for the operator and the job only. Raising queries from a rule's findings is for registry
staff and the facility's data managers (never a token), on that facility's findings only.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from printreg.accounts.actor import Actor
from printreg.domain.errors import Forbidden
from printreg.domain.facility import Role
from printreg.jobs.models import QueuedJob
from printreg.platform import Platform
from printreg.quality.service import QualityService
from printreg.queries.models import Query
from tests.support.quality import Seeded, seed_quality_cases
from tests.support.web import (
    API,
    DATA_MANAGER,
    FACILITY_ADMIN,
    HOME,
    OTHER,
    REG,
    REGISTRY_ADMIN,
    RESEARCHER,
    SPONSOR,
    VIEWER,
    UserClient,
)

QUALITY = f"{API}/quality"
Sign = Callable[[str], UserClient]


@pytest.fixture
def evaluated(api_platform: Platform) -> Seeded:
    """Store the seeded cases at both facilities and evaluate the rules."""
    seeded = seed_quality_cases(api_platform)
    QualityService(api_platform, Actor.operator("test")).evaluate(REG)
    return seeded


def _queued(platform: Platform) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(QueuedJob)) or 0


@pytest.mark.parametrize("email", [DATA_MANAGER, FACILITY_ADMIN, VIEWER, RESEARCHER, SPONSOR])
def test_another_facility_answers_like_one_that_exists_nowhere(
    evaluated: Seeded, client_for: Sign, email: str
) -> None:
    client = client_for(email)
    for base in (f"{QUALITY}/facilities", f"/registries/{REG}/quality/facilities"):
        foreign = client.get(f"{base}/{OTHER}")
        unknown = client.get(f"{base}/F9999")
        assert foreign.status_code == 404
        assert (foreign.status_code, foreign.content) == (unknown.status_code, unknown.content)
        assert evaluated.other_facility not in foreign.text
        assert OTHER not in foreign.text


@pytest.mark.parametrize("email", [RESEARCHER, SPONSOR])
def test_people_without_a_facility_role_see_no_facility(
    evaluated: Seeded, client_for: Sign, email: str
) -> None:
    client = client_for(email)
    assert client.get(f"{QUALITY}/facilities/{HOME}").status_code == 404
    overview = client.get(QUALITY).json()
    assert overview["facilities"] == []
    assert overview["overall"]["cases"] == 0
    assert overview["registry_wide"] is False


def test_the_overview_of_a_facility_sums_its_own_cases_only(
    evaluated: Seeded, client_for: Sign
) -> None:
    own = client_for(DATA_MANAGER).get(QUALITY).json()
    assert [f["facility"] for f in own["facilities"]] == [HOME]
    assert own["registry_wide"] is False
    assert own["overall"]["cases"] == own["facilities"][0]["cases"] == 18
    staff = client_for(REGISTRY_ADMIN).get(QUALITY).json()
    assert staff["registry_wide"] is True
    assert [f["facility"] for f in staff["facilities"]] == [HOME, OTHER]
    assert staff["overall"]["cases"] == 19
    other = client_for(REGISTRY_ADMIN).get(f"{QUALITY}/facilities/{OTHER}").json()
    assert evaluated.other_facility in {
        f["case_id"] for g in other["findings"] for f in g["findings"]
    }


def test_a_token_reads_its_facility_only_with_cases_read(
    evaluated: Seeded, client_for: Sign, bearer_client: Callable[[str], TestClient]
) -> None:
    manager = client_for(DATA_MANAGER)

    def token(scopes: list[str]) -> TestClient:
        made = manager.post("/api/v1/tokens", json={"name": "q", "facility": HOME,
                                                     "scopes": scopes})  # fmt: skip
        assert made.status_code == 201, made.text
        return bearer_client(made.json()["token"])

    reader = token(["cases:read"])
    assert reader.get(f"{QUALITY}/facilities/{HOME}").status_code == 200
    assert reader.get(f"{QUALITY}/facilities/{OTHER}").status_code == 404
    reporter = token(["reports:read", "cases:write"])
    assert reporter.get(f"{QUALITY}/facilities/{HOME}").status_code == 404
    assert reporter.get(QUALITY).status_code == 403
    assert evaluated.by_rule


@pytest.mark.parametrize("email", [VIEWER, RESEARCHER, SPONSOR])
def test_only_staff_and_data_managers_queue_an_evaluation(
    api_platform: Platform, client_for: Sign, email: str
) -> None:
    client = client_for(email)
    assert client.post(f"{QUALITY}/evaluate").status_code == 403
    page = client.post(f"/registries/{REG}/quality/evaluate", data={"csrf_token": client.csrf},
                       follow_redirects=False)  # fmt: skip
    assert page.status_code == 403
    assert _queued(api_platform) == 0
    assert client_for(DATA_MANAGER).post(f"{QUALITY}/evaluate").status_code == 202
    assert client_for(REGISTRY_ADMIN).post(f"{QUALITY}/evaluate").status_code == 202
    assert _queued(api_platform) == 2


def test_queueing_needs_the_csrf_token_and_a_sign_in(
    api_platform: Platform, client_for: Sign, anon: TestClient
) -> None:
    manager = client_for(DATA_MANAGER)
    assert manager.post(f"{QUALITY}/evaluate", csrf=False).status_code == 401
    page = manager.post(f"/registries/{REG}/quality/evaluate", data={}, csrf=False,
                        follow_redirects=False)  # fmt: skip
    assert page.status_code in {400, 403}
    assert anon.post(f"{QUALITY}/evaluate").status_code == 401
    assert anon.get(QUALITY).status_code == 401
    assert anon.get(f"/registries/{REG}/quality", follow_redirects=False).status_code in {302, 303}
    assert _queued(api_platform) == 0


def test_evaluating_in_the_request_is_for_the_operator_and_the_job(api_platform: Platform) -> None:
    members = {REG: {1: Role.DATA_MANAGER}}
    with pytest.raises(Forbidden):
        QualityService(api_platform, Actor(name="dm", user_id=1, memberships=members)).evaluate(REG)
    admin = Actor(name="admin", user_id=2, registry_admin_of=frozenset({REG}))
    assert QualityService(api_platform, admin).evaluate(REG).registry == REG


def _query_count(platform: Platform) -> int:
    with platform.sessions() as session:
        return session.scalar(select(func.count()).select_from(Query)) or 0


def test_only_staff_and_data_managers_raise_queries_from_a_rule(
    api_platform: Platform,
    evaluated: Seeded,
    client_for: Sign,
    bearer_client: Callable[[str], TestClient],
) -> None:
    url = f"{QUALITY}/facilities/{HOME}/rules/age_plausible/queries"
    body = {"text": "Please check the age"}
    for email in (VIEWER, RESEARCHER, SPONSOR):
        assert client_for(email).post(url, json=body).status_code in {403, 404}, email
    manager = client_for(DATA_MANAGER)
    made = manager.post("/api/v1/tokens", json={"name": "w", "facility": HOME,
                        "scopes": ["cases:read", "cases:write"]})  # fmt: skip
    assert bearer_client(made.json()["token"]).post(url, json=body).status_code == 403
    assert manager.post(url, json=body, csrf=False).status_code == 401
    assert _query_count(api_platform) == 0
    assert manager.post(url, json=body).status_code == 201
    assert _query_count(api_platform) == len(evaluated.by_rule["age_plausible"])


def test_a_rule_of_another_facility_or_its_cases_cannot_be_queried(
    api_platform: Platform, evaluated: Seeded, client_for: Sign
) -> None:
    manager = client_for(DATA_MANAGER)
    body = {"text": "Please check the age"}
    foreign = manager.post(f"{QUALITY}/facilities/{OTHER}/rules/age_plausible/queries", json=body)
    unknown = manager.post(f"{QUALITY}/facilities/F9999/rules/age_plausible/queries", json=body)
    assert foreign.status_code == 404
    assert (foreign.status_code, foreign.content) == (unknown.status_code, unknown.content)
    # another facility's case named under one's own facility is no finding of it
    smuggled = manager.post(
        f"{QUALITY}/facilities/{HOME}/rules/age_plausible/queries",
        json={**body, "case_ids": [evaluated.other_facility]},
    )
    assert smuggled.status_code == 400
    no_rule = manager.post(f"{QUALITY}/facilities/{HOME}/rules/no_such_rule/queries", json=body)
    assert no_rule.status_code == 404
    assert _query_count(api_platform) == 0
