"""What one API create costs on PostgreSQL: statements, CPU time, and lock waits under load.

Not a test: it asserts nothing and writes its figures to bench/results/create_cost.json. The
rates and latencies of bench/api.py move by tens of percent with other work on the machine;
the figures here move much less, so they are the evidence for a change to the create path:

  1. statements: one create through the application in this process, with the SQL statements
     its engine sends (by kind), the transactions it opens and the pooled connections it checks
     out (each checkout pings the server first when pre-ping is on): the round trips;
  2. CPU per create: a uvicorn server (1 worker, an app factory over the environment) answers
     --creates creates one after the other on one kept-alive connection; the CPU time of the
     server process and of the PostgreSQL server (all its processes) per create;
  3. lock waits: wrk drives 32 connections of creates of one facility against 2 workers for
     --seconds; the PostgreSQL server logs every lock wait longer than 10 ms
     (log_lock_waits, deadlock_timeout), and the run counts them (warm-up included) by what
     they waited for, with the rate and p95 (noisy).

Run: .venv/bin/python bench/create_cost.py [--label after] [--creates 300] [--seconds 10]
Needs `wrk` (scripts/ensure-system-deps.sh wrk) and the PostgreSQL binaries.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from bench.api import (  # noqa: E402
    BASE,
    PRINTREG,
    Server,
    case_body,
    cpu_seconds,
    drive,
    seed,
    store,
)
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event  # noqa: E402
from tests.support.pgserver import create_database, start_postgres  # noqa: E402

from printreg.platform import Platform  # noqa: E402
from printreg.web.app import create_app  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "create_cost.json"


def statements(platform: Platform, token: str, body: str) -> dict[str, Any]:
    """Return what one create sends to the database: statements by kind, transactions and
    connection checkouts (after a few creates, so caches are warm)."""
    platform.registry_recheck_seconds = 3600  # no recheck of the stored versions mid-count
    client = TestClient(create_app(platform.settings, platform))
    client.headers["Authorization"] = f"Bearer {token}"

    def post(local_id: str) -> None:
        answer = client.post(
            BASE,
            params={"facility": "F0001"},
            content=body.replace("__LOCAL__", local_id),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text  # noqa: S101 - a bench precondition

    for n in range(5):
        post(f"3DP-WARM-{n:06d}")
    seen: list[str] = []
    counts = Counter[str]()

    def on_statement(_c: object, _cur: object, sql: str, *_rest: object) -> None:
        seen.append(" ".join(sql.split())[:90])

    def on_begin(_connection: object) -> None:
        counts["transactions"] += 1

    def on_checkout(*_args: object) -> None:
        counts["checkouts"] += 1

    engine = platform.engine
    event.listen(engine, "before_cursor_execute", on_statement)
    event.listen(engine, "begin", on_begin)
    event.listen(engine.pool, "checkout", on_checkout)
    try:
        post("3DP-STMT-000001")
    finally:
        event.remove(engine, "before_cursor_execute", on_statement)
        event.remove(engine, "begin", on_begin)
        event.remove(engine.pool, "checkout", on_checkout)
    pings = counts["checkouts"] if platform.settings.database_pool_pre_ping else 0
    return {
        "statements": len(seen),
        "transactions": counts["transactions"],
        "checkouts": counts["checkouts"],
        # BEGIN and COMMIT are a round trip each; each pre-ping one more
        "round_trips": len(seen) + 2 * counts["transactions"] + pings,
        "sql": seen,
    }


def sequential_cpu(
    port: int, token: str, body: str, creates: int, pids: dict[str, int]
) -> dict[str, float]:
    """Send ``creates`` creates one after the other on one connection; return the CPU
    milliseconds per create of each watched process tree."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def post(local_id: str) -> None:
        connection.request(
            "POST", f"{BASE}?facility=F0001", body.replace("__LOCAL__", local_id), headers
        )
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 201, answer.status  # noqa: S101 - a bench precondition

    for n in range(30):
        post(f"3DP-SEQW-{n:06d}")
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started = time.perf_counter()
    for n in range(creates):
        post(f"3DP-SEQN-{n:06d}")
    wall = time.perf_counter() - started
    used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    connection.close()
    return {
        f"{name}_cpu_ms_per_create": round(s * 1000 / creates, 2) for name, s in used.items()
    } | {"wall_ms_per_create": round(wall * 1000 / creates, 2)}


def lock_waits(log: Path, offset: int) -> dict[str, int]:
    """Return the lock waits the server logged after byte ``offset`` of its log, counted by
    what was waited for and by the start of the waiting statement."""
    with log.open("rb") as handle:
        handle.seek(offset)
        lines = handle.read().decode(errors="replace").splitlines()
    found = Counter[str]()
    for n, line in enumerate(lines):
        if "still waiting for" not in line:
            continue
        what = line.split("still waiting for", 1)[1].split(" on ")[0].strip()
        statement = next((s for s in lines[n + 1 : n + 4] if "STATEMENT:" in s), "")
        words = statement.split("STATEMENT:", 1)[-1].split()[:4]
        found[f"{what}: {' '.join(words)}"] += 1
    return dict(found.most_common())


def serve_and_measure(
    args: argparse.Namespace, env: dict[str, str], token: str, body: str, log: Path,
    postmaster: int,
) -> dict[str, Any]:  # fmt: skip
    """Return the sequential CPU figures (1 worker) and the concurrent ones (2 workers, wrk)."""
    folder = Path(env["BENCH_OUT"]).parent
    figures: dict[str, Any] = {}
    one = Server(PRINTREG, 1, env, folder / "one.log")
    try:
        one.wait(f"{BASE}?facility=F0001&limit=1", token)
        watched = {"server": one.process.pid, "postgres": postmaster}
        figures["sequential"] = sequential_cpu(one.port, token, body, args.creates, watched)
    finally:
        one.stop()
    print(f"sequential: {figures['sequential']}", flush=True)
    two = Server(PRINTREG, 2, env, folder / "two.log")
    try:
        two.wait(f"{BASE}?facility=F0001&limit=1", token)
        offset = log.stat().st_size
        watched = {"server": two.process.pid, "postgres": postmaster}
        loaded = drive(two.port, "create", args.seconds, args.connections, env, watched)
        time.sleep(0.5)  # the last log lines
        waits = lock_waits(log, offset)
        loaded["lock_waits_over_10ms"] = sum(waits.values())
        loaded["lock_waits_by_kind"] = waits
        figures["concurrent"] = loaded
    finally:
        two.stop()
    print(f"concurrent: {figures['concurrent']}", flush=True)
    return figures


def parse_args() -> argparse.Namespace:
    """Return the command line's options."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="after", help="key of this run in the JSON file")
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--pool-size", type=int, default=None, help="PRINTREG_DATABASE_POOL_SIZE")
    parser.add_argument(
        "--max-overflow", type=int, default=None, help="PRINTREG_DATABASE_MAX_OVERFLOW"
    )
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/ensure-system-deps.sh wrk")
    figures: dict[str, Any] = {"load_before": round(os.getloadavg()[0], 2)}
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTREG_")}
    base_env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp, start_postgres() as server:
        folder = Path(tmp)
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as admin:
            admin.execute("ALTER SYSTEM SET log_lock_waits = on")
            admin.execute("ALTER SYSTEM SET deadlock_timeout = '10ms'")
            admin.execute("SELECT pg_reload_conf()")
        create_database(server, "bench")
        url = server.url("bench")
        platform, token = seed(url, folder / "data", 300)
        body = case_body(folder).read_text(encoding="utf-8")
        figures["per_create"] = statements(platform, token, body)
        platform.close()
        print(
            f"statements per create {figures['per_create']['statements']}, round trips "
            f"{figures['per_create']['round_trips']}",
            flush=True,
        )
        postmaster = int((server.datadir / "postmaster.pid").read_text().split()[0])
        env = base_env | {
            "BENCH_TOKEN": token,
            "BENCH_BODY": str(folder / "body.json"),
            "BENCH_OUT": str(folder / "wrk.json"),
            "BENCH_IDS": str(folder / "ids.txt"),
            "PRINTREG_DATABASE_URL": url,
            "PRINTREG_DATA_DIR": str(folder / "data"),
        }
        for option, name in ((args.pool_size, "POOL_SIZE"), (args.max_overflow, "MAX_OVERFLOW")):
            if option is not None:
                env[f"PRINTREG_DATABASE_{name}"] = str(option)
                figures[name.lower()] = option
        (folder / "ids.txt").write_text("\n")
        figures |= serve_and_measure(args, env, token, body, server.logfile, postmaster)
    figures["load_after"] = round(os.getloadavg()[0], 2)
    store(RESULTS, args.label, figures)
    print(f"written to {RESULTS.relative_to(ROOT)} under {args.label!r}")


if __name__ == "__main__":
    main()
