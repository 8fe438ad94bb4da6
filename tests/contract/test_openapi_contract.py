"""The published OpenAPI document against the running app: schemathesis finds no server error.

Every operation of /openapi.json is called with generated inputs, valid and invalid (``EXAMPLES``
per operation, half of each, derandomized so a run is repeatable), as F0001's data manager through
an API token with every scope, on SQLite and on PostgreSQL.

Server errors already reported as bugs are listed in ``KNOWN_5XX`` (each has a strict xfail
reproduction in tests/functional/api/test_cases_api.py); any other 5xx fails this test. When a
bug is fixed, its reproduction XPASSes: remove the marker there and the entry here.
"""

from __future__ import annotations

import contextlib

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from sqlalchemy import select
from tests.support.records import records

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.cases.service import CaseService
from printreg.demo.service import ensure_demo_accounts
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.web.app import create_app

REG = "3dp"
EXAMPLES = 12
DATA_MANAGER = "data.manager@demo.printreg.org"

# (method, path, exception) → the bug report. Only these server errors are tolerated.
KNOWN_5XX: dict[tuple[str, str, str], str] = {}


def _bearer(platform: Platform) -> str:
    """Return a token with every scope for F0001's demo data manager."""
    ensure_demo_accounts(platform, REG, ("F0001", "F0002"))
    accounts = AccountService(platform)
    with platform.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == DATA_MANAGER))
    assert user_id is not None
    secret, _ = accounts.create_token(
        accounts.actor_for(user_id),
        "F0001",
        "contract",
        ["cases:read", "cases:write", "reports:read"],
        30,
    )
    return secret


def test_no_operation_answers_a_server_error(settings: Settings, seeded: Platform) -> None:
    secret = _bearer(seeded)
    operator = Actor.operator("contract")
    for facility in ("F0001", "F0002"):
        CaseService(seeded, operator).create(REG, facility, records(facility, 1)[0])
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(settings, seeded))
    headers = {"Authorization": f"Bearer {secret}"}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20
    statuses: dict[tuple[str, str], set[int]] = {}
    failures: dict[tuple[str, str, str], str] = {}
    calls = [0]

    def exercise(strategy: st.SearchStrategy[schemathesis.Case]) -> None:
        """Call one operation with EXAMPLES // 2 generated inputs of one mode."""

        @hypothesis.settings(
            max_examples=EXAMPLES // 2,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def call(case: schemathesis.Case) -> None:
            where = (case.method.upper(), case.operation.path)
            calls[0] += 1
            try:
                response = case.call(headers=headers)
            except Exception as exc:  # noqa: BLE001 - the test client re-raises the app's 500s
                failures.setdefault(
                    (*where, type(exc).__name__), f"{exc} ← {case.as_curl_command()}"
                )
                return
            statuses.setdefault(where, set()).add(response.status_code)
            try:
                case.validate_response(response, checks=[not_a_server_error], headers=headers)
            except Exception as exc:  # noqa: BLE001 - collected and reported together below
                failures.setdefault((*where, "5xx"), f"{exc} ← {case.as_curl_command()}")

        # no input of this mode may exist (nothing to make invalid): the other mode runs then
        with contextlib.suppress(hypothesis.errors.Unsatisfiable):
            call()

    # Each operation gets its own examples in each mode, so that every one is reached whatever
    # the number of operations (one draw over all of them left some out as the API grew).
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            exercise(
                op.as_strategy(
                    mode, path_parameters={"registry": REG} if "{registry}" in op.path else None
                )
            )
    print(  # noqa: T201 - the figures go in the report
        f"\ncontract: {calls[0]} calls, {len(operations)} operations, {len(statuses)} answered, "
        f"{len(failures)} server-error kinds ({len(set(failures) - set(KNOWN_5XX))} new)"
    )
    for key, what in sorted(failures.items()):
        print(" 5xx", key, what[:300])  # noqa: T201
    assert calls[0] >= EXAMPLES * len(operations) // 2
    unanswered = sorted(
        {(op.method.upper(), op.path) for op in operations}
        - set(statuses)
        - {k[:2] for k in failures}
    )
    assert len(statuses) >= len(operations) - 2, f"most operations must be exercised: {unanswered}"
    new = {key: what for key, what in failures.items() if key not in KNOWN_5XX}
    assert new == {}, "server errors not yet reported"
