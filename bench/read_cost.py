"""What one case read and one 50-case list cost in CPU on PostgreSQL, in this process.

Not a test: it asserts nothing and writes its figures to bench/results/read_cost.json. The
rates of bench/api.py move by tens of percent with other work on the machine; the CPU time of
one thread of this process calling the case service over and over moves much less, so it is
the evidence for a change to the read path:

  1. statements: one read and one list with the SQL statements the engine sends;
  2. CPU per call: ``--calls`` calls of ``CaseService.get`` (over the data manager's cases of
     F0001 in turn) and of ``CaseService.list_cases`` (F0001, 50 cases), as the data manager,
     after a warm-up; the process CPU milliseconds per call (``time.process_time``: this
     process only, the PostgreSQL server's work is not in it) and the wall milliseconds.

Run: .venv/bin/python bench/read_cost.py [--label after] [--calls 500] [--cases 300]
(under ``nice -n 19`` on a shared machine). Needs the PostgreSQL binaries.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import seed, statements_sent, store  # noqa: E402
from sqlalchemy import select  # noqa: E402
from tests.support.pgserver import create_database, start_postgres  # noqa: E402

from printreg.accounts.models import User  # noqa: E402
from printreg.accounts.service import AccountService  # noqa: E402
from printreg.cases.service import CaseService, case_query  # noqa: E402
from printreg.platform import Platform  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "read_cost.json"
REGISTRY = "3dp"
FACILITY = "F0001"
WARM_UP = 50


def cpu_per_call(calls: int, call: Callable[[int], object]) -> dict[str, float]:
    """Return the process CPU and wall milliseconds per call of ``call(n)``, after a warm-up."""
    for n in range(WARM_UP):
        call(n)
    cpu, wall = time.process_time(), time.perf_counter()
    for n in range(calls):
        call(n)
    return {
        "cpu_ms_per_call": round((time.process_time() - cpu) * 1000 / calls, 3),
        "wall_ms_per_call": round((time.perf_counter() - wall) * 1000 / calls, 3),
    }


def measure(platform: Platform, calls: int) -> dict[str, Any]:
    """Return the statements and CPU figures of a case read and of a 50-case list."""
    platform.registry_recheck_seconds = 3600  # no recheck of the stored versions mid-count
    with platform.sessions() as session:
        user_id = session.scalar(
            select(User.id).where(User.email == "data.manager@demo.printreg.org")
        )
    assert user_id is not None  # noqa: S101 - seed() made the demo accounts
    service = CaseService(platform, AccountService(platform).actor_for(user_id))
    query = case_query(limit=50)
    page = service.list_cases(REGISTRY, query, FACILITY)
    ids: list[uuid.UUID] = [item.id for item in page.items]

    def read(n: int) -> object:
        return service.get(REGISTRY, ids[n % len(ids)])

    def list_page(_n: int) -> object:
        return service.list_cases(REGISTRY, query, FACILITY)

    figures: dict[str, Any] = {}
    for name, call in (("get", read), ("list", list_page)):
        sql = statements_sent(platform, lambda call=call: call(0))  # type: ignore[misc]
        figures[name] = {"statements": len(sql), "sql": sql} | cpu_per_call(calls, call)
        print(f"{name}: {len(sql)} statements, {figures[name]['cpu_ms_per_call']} ms CPU per call",
              flush=True)  # fmt: skip
    return figures


def parse_args() -> argparse.Namespace:
    """Return the command line's options."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="after", help="key of this run in the JSON file")
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--cases", type=int, default=300)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    figures: dict[str, Any] = {"load_before": round(os.getloadavg()[0], 2), "calls": args.calls}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp, start_postgres() as server:
        create_database(server, "bench")
        platform, _token = seed(server.url("bench"), Path(tmp) / "data", args.cases)
        try:
            figures |= measure(platform, args.calls)
        finally:
            platform.close()
    figures["load_after"] = round(os.getloadavg()[0], 2)
    store(RESULTS, args.label, figures)
    print(f"written to {RESULTS.relative_to(ROOT)} under {args.label!r}")


if __name__ == "__main__":
    main()
