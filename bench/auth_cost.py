"""What authenticating one request costs in Python: CPU time per bearer token and per session.

Not a test: it asserts nothing and writes its figures to bench/results/auth_cost.json. Every API
request starts by turning its bearer token (or browser session) into an actor
(``AccountService.token_actor`` / ``AccountService.session``); this measures that step alone, in
this process, on one thread, against a throwaway PostgreSQL server seeded like bench/api.py:

  1. statements: the SQL one authentication sends (after a warm-up);
  2. CPU per authentication: ``time.process_time()`` over --calls calls (after a warm-up), for
     a token and for a session, with the wall time beside it (the server's time included);
  3. the same for the whole API dependency (``web.deps.api_actor``: the token, then whether the
     person must still enrol a second factor) with ``require_second_factor_for_registry_roles``
     on, as production runs it.

The last-use touch is written at most once a minute, so a run of calls measures the reads.
Run: .venv/bin/python bench/auth_cost.py [--label after] [--calls 1000]
Needs the PostgreSQL binaries.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import seed, statements_sent, store  # noqa: E402
from fastapi import Request  # noqa: E402
from sqlalchemy import select  # noqa: E402
from tests.support.pgserver import create_database, start_postgres  # noqa: E402

from printreg.accounts.models import User  # noqa: E402
from printreg.accounts.service import AccountService  # noqa: E402
from printreg.platform import Platform  # noqa: E402
from printreg.web.deps import api_actor  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "auth_cost.json"
WARMUP = 50


def cost(call: Callable[[], object], calls: int) -> dict[str, float]:
    """Return the CPU and wall microseconds per call over ``calls`` calls after a warm-up."""
    for _ in range(WARMUP):
        call()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    return {
        "cpu_us": round((time.process_time() - cpu) / calls * 1e6, 1),
        "wall_us": round((time.perf_counter() - wall) / calls * 1e6, 1),
    }


def measure(platform: Platform, token: str, calls: int) -> dict[str, Any]:
    """Return statements and cost of a token and of a session authentication."""
    accounts = AccountService(platform)
    with platform.sessions() as session:
        user_id = session.scalar(
            select(User.id).where(User.email == "data.manager@demo.printreg.org")
        )
    assert user_id is not None  # noqa: S101 - seed() made the demo accounts
    cookie, _ = accounts.start_session(user_id)

    def by_token() -> object:
        found = accounts.token_actor(token)
        assert found is not None  # noqa: S101 - a bench precondition
        return found

    def by_session() -> object:
        found = accounts.session(cookie)
        assert found is not None  # noqa: S101 - a bench precondition
        return found

    strict = Platform.from_settings(
        platform.settings.model_copy(update={"require_second_factor_for_registry_roles": True})
    )

    def by_dependency() -> object:
        # the bearer path of the dependency never reads the request
        return api_actor(cast("Request", None), strict, f"Bearer {token}")

    figures: dict[str, Any] = {}
    try:
        for name, call, of in (
            ("token", by_token, platform),
            ("session", by_session, platform),
            ("api_actor_second_factor_required", by_dependency, strict),
        ):
            call()  # the first use writes its last use / extension
            figures[name] = {"statements": statements_sent(of, call), **cost(call, calls)}
    finally:
        strict.close()
    return figures


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--label", default="after", help="key of this run in the results file")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    figures: dict[str, Any] = {"calls": args.calls, "load_before": round(os.getloadavg()[0], 2)}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp, start_postgres() as server:
        create_database(server, "bench")
        platform, token = seed(server.url("bench"), Path(tmp) / "data", cases=20)
        try:
            figures |= measure(platform, token, args.calls)
        finally:
            platform.close()
    figures["load_after"] = round(os.getloadavg()[0], 2)
    store(RESULTS, args.label, figures)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
