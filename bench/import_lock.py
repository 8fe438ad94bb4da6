"""How long an all-or-nothing import holds SQLite's write lock, and what other requests see.

Not a test: it asserts nothing and writes bench/results/import_lock.json. For each way of
writing an all-or-nothing file (``one-transaction``: the old way, the whole file in one
transaction; ``staged``: batches into an attached staging file, then one switch), a fresh SQLite
registry imports N synthetic cases (``printreg import --commit --all-or-nothing``, in a child
process) while this process probes it:

  lock    every 20 ms another connection tries to take the write lock without waiting
          (BEGIN IMMEDIATE, busy_timeout 0): the longest run of refusals is the longest hold;
  reader  an authenticated API read (a bearer token listing the facility's cases), in a loop:
          its latencies and statuses;
  writer  a small write with the application's busy_timeout (sqlite_busy_ms, 5 s), in a loop:
          its latencies and how many gave up ("database is locked", answered 503 by the app).

Run: .venv/bin/python bench/import_lock.py [--cases 130000] [--modes staged,one-transaction]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ingest import SEED, write_file  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import select  # noqa: E402

from printreg.accounts.actor import Actor  # noqa: E402
from printreg.accounts.models import User  # noqa: E402
from printreg.accounts.service import AccountService  # noqa: E402
from printreg.demo.service import ensure_demo_accounts  # noqa: E402
from printreg.demo.synth import load_synthetic  # noqa: E402
from printreg.platform import Platform  # noqa: E402
from printreg.settings import Settings  # noqa: E402
from printreg.storage.schema import upgrade  # noqa: E402
from printreg.web.app import create_app  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "import_lock.json"
PROBE_SECONDS = 0.02

CHILD = r"""
import json, sys, time
from pathlib import Path
from printreg.accounts.actor import Actor
from printreg.imports.service import Importer
from printreg.platform import Platform
from printreg.settings import Settings
url, path, staged = sys.argv[1], Path(sys.argv[2]), sys.argv[3] == "staged"
platform = Platform.from_settings(Settings(database_url=url, data_dir=sys.argv[4]))
started = time.perf_counter()
report = Importer(platform, Actor.operator("bench"), "3dp", "F0001").run(
    path, commit=True, all_or_nothing=True, staging=staged)
print(json.dumps({"seconds": time.perf_counter() - started, "report": report.as_dict()}))
"""


def prepare(folder: Path) -> tuple[Platform, str]:
    """Return a fresh SQLite registry with two facilities and the demo people, and a token."""
    url = f"sqlite:///{folder / 'printreg.db'}"
    platform = Platform.from_settings(Settings(database_url=url, data_dir=str(folder / "data")))
    upgrade(platform.engine)
    operator = Actor.operator("bench")
    load_synthetic(platform, operator, registry="3dp", seed=SEED, facilities=2, cases=0)
    ensure_demo_accounts(platform, "3dp", ("F0001", "F0002"))
    accounts = AccountService(platform)
    with platform.sessions() as session:
        user_id = session.scalar(
            select(User.id).where(User.email == "data.manager@demo.printreg.org")
        )
    assert user_id is not None  # noqa: S101 - the demo accounts were just made
    secret, _ = accounts.create_token(
        accounts.actor_for(user_id), "F0001", "bench", ["cases:read"], 1
    )
    return platform, secret


class Probes:
    """The lock, reader and writer probes of one run, each in its own thread."""

    def __init__(self, platform: Platform, token: str) -> None:
        self.path = str(platform.engine.url.database)
        self.client = TestClient(create_app(platform.settings, platform))
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.stop = threading.Event()
        self.holds: list[float] = []
        self.reads: list[tuple[float, int]] = []
        self.writes: list[tuple[float, bool]] = []
        self.threads = [threading.Thread(target=t, daemon=True)
                        for t in (self._lock, self._reader, self._writer)]  # fmt: skip

    def start(self) -> None:
        self.client.__enter__()
        writer = sqlite3.connect(self.path, isolation_level=None)
        writer.execute("CREATE TABLE IF NOT EXISTS bench_probe (n INTEGER)")
        writer.close()
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()
        self.client.__exit__(None, None, None)

    def _lock(self) -> None:
        held_since: float | None = None
        while not self.stop.is_set():
            probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                if held_since is not None:
                    self.holds.append(time.perf_counter() - held_since)
                    held_since = None
            except sqlite3.OperationalError:
                held_since = held_since if held_since is not None else time.perf_counter()
            finally:
                probe.close()
            time.sleep(PROBE_SECONDS)
        if held_since is not None:
            self.holds.append(time.perf_counter() - held_since)

    def _reader(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            status = self.client.get(
                "/api/v1/registries/3dp/cases", params={"facility": "F0001"}
            ).status_code
            self.reads.append((time.perf_counter() - started, status))
            time.sleep(0.05)

    def _writer(self) -> None:
        connection = sqlite3.connect(self.path, timeout=5.0, isolation_level=None)
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                connection.execute("INSERT INTO bench_probe (n) VALUES (1)")
                done = True
            except sqlite3.OperationalError:
                done = False
            self.writes.append((time.perf_counter() - started, done))
            time.sleep(0.1)
        connection.close()

    def summary(self) -> dict[str, Any]:
        reads = [t for t, _ in self.reads]
        statuses: dict[str, int] = {}
        for _, status in self.reads:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        writes = [t for t, _ in self.writes]
        return {
            "lock_max_hold_s": round(max(self.holds, default=0.0), 3),
            "lock_holds_over_1s": sum(h > 1 for h in self.holds),
            "reader_requests": len(reads),
            "reader_statuses": statuses,
            "reader_max_latency_s": round(max(reads, default=0.0), 3),
            "reader_median_latency_s": round(statistics.median(reads), 3) if reads else None,
            "writer_attempts": len(writes),
            "writer_gave_up": sum(not ok for _, ok in self.writes),
            "writer_max_latency_s": round(max(writes, default=0.0), 3),
        }


def run(mode: str, csv_path: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix=f"printreg-lock-{mode}-") as tmp:
        folder = Path(tmp)
        platform, token = prepare(folder)
        probes = Probes(platform, token)
        probes.start()
        time.sleep(1.0)
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(platform.engine.url), str(csv_path), mode,
             str(folder / "data")],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        time.sleep(1.0)
        probes.finish()
        platform.close()
        child = json.loads(out.stdout.strip().splitlines()[-1])
        report = child["report"]
        return {
            "mode": mode,
            "import_seconds": round(child["seconds"], 1),
            "committed": report["committed"],
            "new": report["new"],
            **probes.summary(),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=130_000)
    parser.add_argument("--modes", default="one-transaction,staged")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="printreg-lock-file-") as tmp:
        csv_path = Path(tmp) / "cases.csv"
        print(f"writing {args.cases} cases ...", flush=True)
        write_file(csv_path, args.cases)
        results = []
        for mode in args.modes.split(","):
            print(f"{mode} ...", flush=True)
            results.append(run(mode, csv_path))
            print(json.dumps(results[-1]), flush=True)
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    RESULTS.write_text(
        json.dumps(
            {"cases": args.cases, "date": time.strftime("%Y-%m-%d"), "load_average": load,
             "runs": results},
            indent=2,
        ) + "\n"
    )  # fmt: skip
    print(f"written {RESULTS}")


if __name__ == "__main__":
    main()
