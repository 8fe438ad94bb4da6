"""API throughput under 32 concurrent connections: printreg against a bare endpoint, PostgreSQL.

Not a test: it asserts nothing and writes its figures to bench/results/api.json.

In one run, on loopback only, it
  1. starts a throwaway PostgreSQL server (tests/support/pgserver.py, as the tests do), migrates
     a database and seeds it like the demo: synthetic cases at two facilities, the demo people
     and an API token of the data manager at F0001 (cases:read, cases:write);
  2. captures the SQL printreg runs for one authenticated case read and one 50-case list;
  3. serves printreg as an installation does, `printreg serve --workers 2` (its settings from
     the environment), and the bare endpoint (bench/bare_api.py: the same SQL through psycopg,
     the same JSON fields) in 2 processes started by the same launcher
     (printreg.web.workers), on free loopback ports;
  4. drives each with Debian's `wrk` (C, one thread per core it is given; bench/wrk/api.lua adds
     the bearer token, rotates case ids and writes unique POST bodies): printreg get, list and
     create, bare get and list, each for --seconds after a short warm-up;
  5. does the same against printreg on SQLite in a single process (`printreg serve` today);
and writes requests/s, p50/p95/p99 latency and errors per scenario, with the printreg/bare
ratios, printed at the end. The 1-minute load average before and after is recorded: other work
on the machine slows every figure.
Run: .venv/bin/python bench/api.py [--seconds 10] [--connections 32] [--cases 2000] [--no-sqlite]
     [--no-pre-ping] [--pool-size N] [--max-overflow N] [--label after]
Needs `wrk` (scripts/ensure-system-deps.sh wrk) and the PostgreSQL binaries.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import shutil
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from tests.support.pgserver import create_database, start_postgres  # noqa: E402

from printreg.accounts.actor import Actor  # noqa: E402
from printreg.accounts.models import User  # noqa: E402
from printreg.accounts.service import AccountService  # noqa: E402
from printreg.demo.service import ensure_demo_accounts  # noqa: E402
from printreg.demo.synth import load_synthetic  # noqa: E402
from printreg.platform import Platform  # noqa: E402
from printreg.settings import Settings  # noqa: E402
from printreg.storage.schema import upgrade  # noqa: E402
from printreg.synthetic import SyntheticRegistry  # noqa: E402
from printreg.web.app import create_app  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "api.json"
LUA = ROOT / "bench" / "wrk" / "api.lua"
SEED = 2026
BASE = "/api/v1/registries/3dp/cases"
WARMUP_SECONDS = 2
#: the application ``printreg serve`` runs (its settings from the environment)
PRINTREG = "printreg.web.asgi:create"


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def seed(url: str, data_dir: Path, cases: int) -> tuple[Platform, str]:
    """Migrate and fill a registry like the demo; return its platform and a bearer token."""
    platform = Platform.from_settings(Settings(database_url=url, data_dir=str(data_dir)))
    upgrade(platform.engine)
    operator = Actor.operator("bench")
    load_synthetic(platform, operator, registry="3dp", seed=SEED, facilities=2, cases=cases)
    ensure_demo_accounts(platform, "3dp", ("F0001", "F0002"))
    accounts = AccountService(platform)
    with platform.sessions() as session:
        user_id = session.scalar(
            select(User.id).where(User.email == "data.manager@demo.printreg.org")
        )
    assert user_id is not None  # noqa: S101 - the demo accounts were just made
    secret, _ = accounts.create_token(
        accounts.actor_for(user_id), "F0001", "bench", ["cases:read", "cases:write"], 7
    )
    return platform, secret


def case_ids(platform: Platform, token: str, count: int = 200) -> list[str]:
    """Return ids of cases the token reads (from printreg's own list)."""
    client = TestClient(create_app(platform.settings, platform))
    client.headers["Authorization"] = f"Bearer {token}"
    found = client.get(BASE, params={"facility": "F0001", "limit": count}).json()
    return [item["id"] for item in found["items"]]


def capture_sql(platform: Platform, token: str, case_id: str) -> dict[str, list[Any]]:
    """Return the SELECT statements printreg runs for one case read and one 50-case list, with
    their parameters and the names of those holding the case id (bench/bare_api.py)."""
    client = TestClient(create_app(platform.settings, platform))
    client.headers["Authorization"] = f"Bearer {token}"
    client.get(BASE, params={"facility": "F0001", "limit": 50})  # caches warm, token touched
    seen: list[tuple[str, Any]] = []

    def listen(_c: object, _cur: object, sql: str, params: Any, _x: object, _m: bool) -> None:
        seen.append((sql, params))

    event.listen(platform.engine, "before_cursor_execute", listen)
    captured: dict[str, list[Any]] = {}
    wanted = uuid.UUID(case_id)
    for name, path, params in (
        ("get", f"{BASE}/{case_id}", {}),
        ("list", BASE, {"facility": "F0001", "limit": 50}),
    ):
        seen.clear()
        assert client.get(path, params=params).status_code == 200  # noqa: S101
        captured[name] = [
            (sql, dict(values), [k for k, v in values.items() if v in (wanted, wanted.hex)])
            for sql, values in seen
            if sql.lstrip().upper().startswith("SELECT")
        ]
    event.remove(platform.engine, "before_cursor_execute", listen)
    return captured


def case_body(folder: Path) -> Path:
    """Write a valid synthetic case record of F0001 with a __LOCAL__ local case ID placeholder."""
    # The seed's own stream (seed() loaded it), so the printers are F0001's.
    record = next(
        r for f, r in SyntheticRegistry(seed=SEED, facilities=2).cases(50) if f == "F0001"
    )
    record.pop("facility", None)
    record["local_case_id"] = "__LOCAL__"
    path = folder / "body.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    return path


class Server:
    """A web server in a child process on a free loopback port: printreg as its command line
    starts it (``printreg serve``), or the bare endpoint through the same process launcher
    (printreg.web.workers: one listening socket per process), so both spread connections alike."""

    def __init__(self, factory: str, workers: int, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        if factory == PRINTREG:
            args = [sys.executable, "-m", "printreg", "serve", "--host", "127.0.0.1",
                    "--port", str(self.port), "--workers", str(workers)]  # fmt: skip
        else:
            launch = (
                "import sys; from printreg.web.workers import serve; "
                f"sys.exit(serve({factory!r}, '127.0.0.1', {self.port}, {workers}, "
                "access_log=False, log_level='warning'))"
            )
            args = [sys.executable, "-c", launch]
        self.log = log.open("wb")
        self.process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait(self, path: str, token: str) -> None:
        """Return once the server answers an authenticated request on ``path`` with 200."""
        deadline = time.monotonic() + 180  # a busy machine starts Python slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited ({self.process.returncode}): {self.tail()}")
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
            request.add_header("Authorization", f"Bearer {token}")
            try:
                with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise SystemExit(f"server did not answer: {self.tail()}")

    def tail(self) -> str:
        """Return the last lines of the server's output."""
        self.log.flush()
        return "\n".join(Path(self.log.name).read_text(errors="replace").splitlines()[-20:])

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s)."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def drive(
    port: int, mode: str, seconds: int, connections: int, env: dict[str, str],
    watched: dict[str, int],
) -> dict[str, Any]:  # fmt: skip
    """Run wrk against the server for ``seconds`` (after a warm-up); return its figures for the
    scenario, with the CPU time per request of each watched process tree (a figure that other
    work on the machine disturbs less than the rates)."""
    out = Path(env["BENCH_OUT"])
    cpu: dict[str, float] = {}
    for duration in (WARMUP_SECONDS, seconds):
        cpu = {name: cpu_seconds(pid) for name, pid in watched.items()}
        wrk = shutil.which("wrk") or "wrk"
        command = [wrk, "-t", "2", "-c", str(connections), "-d", f"{duration}s",
                   "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{port}"]  # fmt: skip
        subprocess.run(
            command,
            env=env | {"BENCH_MODE": mode, "BENCH_RUN": run_letters()},
            check=True,
            stdout=subprocess.DEVNULL,
        )
    cpu = {name: cpu_seconds(pid) - cpu[name] for name, pid in watched.items()}
    raw = json.loads(out.read_text())
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "requests_per_s": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "errors": errors,
        "errors_by_kind": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout")},
    } | {
        f"{name}_cpu_ms_per_request": round(seconds_used * 1000 / max(raw["requests"], 1), 2)
        for name, seconds_used in cpu.items()
    }


def run_letters() -> str:
    """Return 4 random capital letters: a run's part of the local case IDs it creates."""
    return "".join(random.choice(string.ascii_uppercase) for _ in range(4))


def cpu_seconds(root: int) -> float:
    """Return the CPU seconds (user + system) used so far by a process and its descendants,
    including descendants that have exited and been waited for."""
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, tuple[int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        times[pid] = (int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14]))
    family, frontier = {root}, [root]
    while frontier:
        current = frontier.pop()
        children = [pid for pid, parent in parents.items() if parent == current]
        family.update(children)
        frontier.extend(children)
    own = sum(times[pid][0] for pid in family if pid in times)
    return (own + times.get(root, (0, 0))[1]) / tick


def body_size(port: int, path: str, token: str) -> int:
    """Return the size in bytes of one answer's body."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return len(answer.read())


def run_target(
    label: str, server: Server, token: str, modes: tuple[str, ...], args: argparse.Namespace,
    env: dict[str, str], ids: list[str], postmaster: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Drive each scenario of one server; return its figures by scenario."""
    server.wait(f"{BASE}?facility=F0001&limit=50", token)
    figures: dict[str, Any] = {}
    try:
        for mode in modes:
            print(f"{label} {mode} ...", end=" ", flush=True)
            watched = {"server": server.process.pid}
            if postmaster is not None:
                watched["postgres"] = postmaster
            figures[mode] = drive(server.port, mode, args.seconds, args.connections, env, watched)
            if mode == "get":
                figures[mode]["body_bytes"] = body_size(server.port, f"{BASE}/{ids[0]}", token)
            print(
                f"{figures[mode]['requests_per_s']}/s p50 {figures[mode]['p50_ms']} ms "
                f"p99 {figures[mode]['p99_ms']} ms errors {figures[mode]['errors']} "
                f"cpu {figures[mode]['server_cpu_ms_per_request']} ms/request",
                flush=True,
            )
    finally:
        server.stop()
    return figures


def parse_args() -> argparse.Namespace:
    """Return the command line's options."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--label", default="after", help="key of this run in api.json")
    parser.add_argument(
        "--no-pre-ping", action="store_true", help="PRINTREG_DATABASE_POOL_PRE_PING=false"
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="PRINTREG_DATABASE_POOL_SIZE (default: the setting's default)",
    )
    parser.add_argument(
        "--max-overflow",
        type=int,
        default=None,
        help="PRINTREG_DATABASE_MAX_OVERFLOW (default: the setting's default)",
    )
    return parser.parse_args()


def child_env() -> dict[str, str]:
    """Return the environment for the servers a bench starts: this one without any
    PRINTREG_ setting, with this checkout's sources first on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRINTREG_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
    return env


def store(results: Path, label: str, figures: dict[str, Any]) -> None:
    """Write ``figures`` under ``label`` into the JSON file of results (kept: the other labels)."""
    stored: dict[str, Any] = json.loads(results.read_text()) if results.exists() else {}
    stored[label] = figures
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(stored, indent=2) + "\n")


def statements_sent(platform: Platform, call: Callable[[], object]) -> list[str]:
    """Return the SQL statements (their first 90 characters) the platform's engine sends while
    ``call`` runs."""
    seen: list[str] = []

    def on_statement(_c: object, _cur: object, sql: str, *_rest: object) -> None:
        seen.append(" ".join(sql.split())[:90])

    event.listen(platform.engine, "before_cursor_execute", on_statement)
    try:
        call()
    finally:
        event.remove(platform.engine, "before_cursor_execute", on_statement)
    return seen


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/ensure-system-deps.sh wrk")
    figures: dict[str, Any] = {
        "connections": args.connections,
        "seconds": args.seconds,
        "workers": args.workers,
        "cases": args.cases,
        "cpus": os.cpu_count(),
        "load_before": round(os.getloadavg()[0], 2),
        "pre_ping": not args.no_pre_ping,
        "pool_size": args.pool_size or "default",
        "max_overflow": "default" if args.max_overflow is None else args.max_overflow,
    }
    base_env = child_env()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp, start_postgres() as server:
        folder = Path(tmp)
        create_database(server, "bench")
        url = server.url("bench")
        platform, token = seed(url, folder / "data", args.cases)
        ids = case_ids(platform, token)
        statements = folder / "statements.pickle"
        statements.write_bytes(pickle.dumps(capture_sql(platform, token, ids[0])))
        platform.close()
        (folder / "ids.txt").write_text("\n".join(ids) + "\n")
        env = base_env | {
            "BENCH_TOKEN": token,
            "BENCH_IDS": str(folder / "ids.txt"),
            "BENCH_BODY": str(case_body(folder)),
            "BENCH_OUT": str(folder / "wrk.json"),
        }
        printreg_env = (
            env
            | {
                "PRINTREG_DATABASE_URL": url,
                "PRINTREG_DATA_DIR": str(folder / "data"),
                "PRINTREG_DATABASE_POOL_PRE_PING": str(not args.no_pre_ping).lower(),
            }
            | ({"PRINTREG_DATABASE_POOL_SIZE": str(args.pool_size)} if args.pool_size else {})
            | (
                {"PRINTREG_DATABASE_MAX_OVERFLOW": str(args.max_overflow)}
                if args.max_overflow is not None
                else {}
            )
        )
        bare_env = env | {
            "BENCH_BARE_SQL": str(statements),
            "BENCH_BARE_CONNINFO": server.conninfo("bench"),
        }
        postmaster = int((server.datadir / "postmaster.pid").read_text().split()[0])
        pg: dict[str, Any] = {}
        pg["printreg"] = run_target(
            "postgresql printreg",
            Server(PRINTREG, args.workers, printreg_env, folder / "printreg.log"),
            token, ("get", "list", "create"), args, env, ids, postmaster,
        )  # fmt: skip
        pg["bare"] = run_target(
            "postgresql bare",
            Server("bench.bare_api:bare_app", args.workers, bare_env, folder / "bare.log"),
            token, ("get", "list"), args, env, ids, postmaster,
        )  # fmt: skip
        pg["ratio"] = {
            mode: {
                "throughput": round(
                    pg["printreg"][mode]["requests_per_s"] / pg["bare"][mode]["requests_per_s"], 2
                ),
                "p99": round(pg["printreg"][mode]["p99_ms"] / pg["bare"][mode]["p99_ms"], 2),
                "server_cpu_per_request": round(
                    pg["printreg"][mode]["server_cpu_ms_per_request"]
                    / pg["bare"][mode]["server_cpu_ms_per_request"],
                    2,
                ),
            }
            for mode in ("get", "list")
        }
        figures["postgresql"] = pg
        if not args.no_sqlite:
            sqlite_url = f"sqlite:///{folder / 'bench.db'}"
            platform, token = seed(sqlite_url, folder / "sqlite-data", args.cases)
            sqlite_ids = case_ids(platform, token)
            platform.close()
            (folder / "ids.txt").write_text("\n".join(sqlite_ids) + "\n")
            sqlite_env = env | {
                "BENCH_TOKEN": token,
                "PRINTREG_DATABASE_URL": sqlite_url,
                "PRINTREG_DATA_DIR": str(folder / "sqlite-data"),
            }
            figures["sqlite_single_process"] = run_target(
                "sqlite printreg (1 process)",
                Server(PRINTREG, 1, sqlite_env, folder / "sqlite.log"),
                token, ("get", "list", "create"), args, sqlite_env, sqlite_ids,
            )  # fmt: skip
    figures["load_after"] = round(os.getloadavg()[0], 2)
    store(RESULTS, args.label, figures)
    for mode, ratio in figures["postgresql"]["ratio"].items():
        print(
            f"printreg/bare {mode}: throughput {ratio['throughput']}x "
            f"(target >= 0.5), p99 {ratio['p99']}x (target <= 3)"
        )
    create = figures["postgresql"]["printreg"]["create"]
    print(f"printreg create p95: {create['p95_ms']} ms (target < 250), errors {create['errors']}")
    print(f"written to {RESULTS.relative_to(ROOT)} under {args.label!r}")


if __name__ == "__main__":
    main()
