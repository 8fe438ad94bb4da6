"""Read throughput while a worker imports 100,000 cases, beside the idle figure (PostgreSQL).

Not a test: it asserts nothing and writes its figures to bench/results/api.json, under the key
``during_import`` (bench/api.py writes the idle comparison with the bare endpoint beside it).

In one run, on loopback only, it
  1. starts a throwaway PostgreSQL server, migrates and seeds it as bench/api.py does
     (synthetic cases at F0001 and F0002, the demo people, a data manager's token at F0001);
  2. writes a CSV of --import-cases synthetic cases of F0001 (the same seeded generator, past
     the cases already loaded, so every row is new) in the import layout;
  3. serves printreg (`printreg serve --workers 2`) with ``job_runner = queue``, and measures reads with
     `wrk` (one case, a 50-case list; 32 connections) with nothing else running: the idle figure;
  4. queues a committing import of the file at F0001 and starts one `printreg worker --once`
     (it runs the job, then exits by itself), waits until rows are being committed, and drives
     the same reads again; each figure says whether the import was still running at its end;
  5. waits for the worker to finish (at most --import-timeout seconds, then stops it) and
     records the import's duration, rows per second and outcome;
and prints, per read, the during/idle throughput ratio (target: at least 0.5).
Run: .venv/bin/python bench/api_import.py [--seconds 10] [--import-cases 100000]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import (  # noqa: E402
    BASE,
    PRINTREG,
    RESULTS,
    SEED,
    Server,
    case_body,
    case_ids,
    child_env,
    drive,
    seed,
    store,
)
from tests.support.pgserver import create_database, start_postgres  # noqa: E402

from printreg.accounts.actor import Actor  # noqa: E402
from printreg.imports.jobs import ImportJobs  # noqa: E402
from printreg.ingest import FlatLayout  # noqa: E402
from printreg.platform import Platform  # noqa: E402
from printreg.settings import Settings  # noqa: E402
from printreg.synthetic import SyntheticRegistry  # noqa: E402

IMPORT_FACILITY = "F0001"  # nine in ten synthetic cases are its own: the file is quick to write
READS = ("get", "list")


def write_import_file(platform: Platform, path: Path, seeded: int, wanted: int) -> int:
    """Write ``wanted`` new synthetic cases of the import facility as CSV; return the count.

    The generator is the one the seed used (same printers); its first ``seeded`` cases are
    already stored, so they are skipped and every row written is a new case."""
    layout = FlatLayout(platform.registry("3dp").current)
    written = 0
    stream = SyntheticRegistry(seed=SEED, facilities=2).cases(seeded + 2 * wanted + 1000)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, layout.columns)
        writer.writeheader()
        for index, (facility, record) in enumerate(stream):
            if index < seeded or facility != IMPORT_FACILITY:
                continue
            record.pop("facility", None)
            writer.writerow(layout.to_row(record))
            written += 1
            if written == wanted:
                break
    return written


def job_state(platform: Platform, job_id: uuid.UUID) -> tuple[str, int]:
    """Return (status, rows committed so far) of an import job."""
    view = ImportJobs(platform, Actor.operator("bench")).get(job_id)
    return view.status, view.rows_done


def measure_reads(
    server: Server, args: argparse.Namespace, env: dict[str, str], watched: dict[str, int],
    platform: Platform | None = None, job_id: uuid.UUID | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Drive each read for --seconds; return its figures (with the import's progress around
    the measurement when a job is given)."""
    figures: dict[str, Any] = {}
    for mode in READS:
        before = job_state(platform, job_id) if platform and job_id else None
        figures[mode] = drive(server.port, mode, args.seconds, args.connections, env, watched)
        if platform is not None and job_id is not None and before is not None:
            after = job_state(platform, job_id)
            figures[mode]["import_rows_during"] = after[1] - before[1]
            figures[mode]["import_running_at_end"] = after[0] == "running"
        print(
            f"  {mode}: {figures[mode]['requests_per_s']}/s p99 {figures[mode]['p99_ms']} ms "
            f"errors {figures[mode]['errors']}",
            flush=True,
        )
    return figures


def reads_while_importing(
    server: Server, queued: Platform, args: argparse.Namespace, env: dict[str, str],
    watched: dict[str, int], folder: Path,
) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """Queue the import, start one worker that runs it and exits, measure the reads once rows
    are being committed; return (read figures, the import's outcome). The worker is stopped
    after --import-timeout seconds if it has not finished by then."""
    with (folder / "import.csv").open("rb") as stream:
        job = ImportJobs(queued, Actor.operator("bench")).submit(
            "3dp", IMPORT_FACILITY, "import.csv", stream, commit=True
        )
    started = time.perf_counter()
    with (folder / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "printreg", "worker", "--once"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while job_state(queued, job.id)[1] == 0 and time.monotonic() < deadline:
            if worker.poll() is not None:
                break
            time.sleep(0.5)
        print(f"reads while the worker imports (job {job_state(queued, job.id)}):", flush=True)
        during = measure_reads(server, args, env, watched | {"worker": worker.pid}, queued, job.id)
        try:
            worker.wait(args.import_timeout)
        except subprocess.TimeoutExpired:
            worker.terminate()
            worker.wait(60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    status, done = job_state(queued, job.id)
    seconds = time.perf_counter() - started
    outcome = {
        "status": status,
        "rows_committed": done,
        "seconds": round(seconds, 1),
        "rows_per_s": round(done / seconds, 1),
        "finished_by_itself": worker.returncode == 0 and status != "running",
    }
    return during, outcome


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--import-cases", type=int, default=100_000)
    parser.add_argument("--import-timeout", type=int, default=1800)
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=None,
        help="PRINTREG_IMPORT_BATCH_ROWS (default: the setting's)",
    )
    parser.add_argument("--label", default="during_import", help="key of this run in api.json")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/ensure-system-deps.sh wrk")
    figures: dict[str, Any] = {
        "connections": args.connections,
        "seconds": args.seconds,
        "workers": args.workers,
        "cases": args.cases,
        "import_cases": args.import_cases,
        "cpus": os.cpu_count(),
        "load_before": round(os.getloadavg()[0], 2),
    }
    base_env = child_env()
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp, start_postgres() as pg:
        folder = Path(tmp)
        create_database(pg, "bench")
        url = pg.url("bench")
        platform, token = seed(url, folder / "data", args.cases)
        ids = case_ids(platform, token)
        (folder / "ids.txt").write_text("\n".join(ids) + "\n")
        started = time.perf_counter()
        rows = write_import_file(platform, folder / "import.csv", args.cases, args.import_cases)
        print(f"import file: {rows} cases in {time.perf_counter() - started:.0f} s", flush=True)
        platform.close()
        env = base_env | {
            "BENCH_TOKEN": token,
            "BENCH_IDS": str(folder / "ids.txt"),
            "BENCH_BODY": str(case_body(folder)),
            "BENCH_OUT": str(folder / "wrk.json"),
        }
        settings = {
            "PRINTREG_DATABASE_URL": url,
            "PRINTREG_DATA_DIR": str(folder / "data"),
            "PRINTREG_JOB_RUNNER": "queue",
        } | ({"PRINTREG_IMPORT_BATCH_ROWS": str(args.batch_rows)} if args.batch_rows else {})
        postmaster = int((pg.datadir / "postmaster.pid").read_text().split()[0])
        server = Server(PRINTREG, args.workers, env | settings, folder / "printreg.log")
        queued = Platform.from_settings(
            Settings(database_url=url, data_dir=str(folder / "data"), job_runner="queue")
        )
        try:
            server.wait(f"{BASE}?facility=F0001&limit=50", token)
            watched = {"server": server.process.pid, "postgres": postmaster}
            print("idle reads:", flush=True)
            figures["idle"] = measure_reads(server, args, env, watched)
            figures["during_import"], figures["import"] = reads_while_importing(
                server, queued, args, env | settings, watched, folder
            )
            print(f"import: {figures['import']}", flush=True)
        finally:
            server.stop()
            queued.close()
    figures["ratio"] = {
        mode: {
            "throughput": round(
                figures["during_import"][mode]["requests_per_s"]
                / figures["idle"][mode]["requests_per_s"],
                2,
            ),
            "p99": round(figures["during_import"][mode]["p99_ms"] / figures["idle"][mode]["p99_ms"], 2),
        }
        for mode in READS
    }  # fmt: skip
    figures["load_after"] = round(os.getloadavg()[0], 2)
    store(RESULTS, args.label, figures)
    for mode, ratio in figures["ratio"].items():
        print(
            f"{mode} while importing / idle: throughput {ratio['throughput']}x (target >= 0.5), "
            f"p99 {ratio['p99']}x"
        )
    print(f"written to {RESULTS.relative_to(ROOT)} under {args.label!r}")


if __name__ == "__main__":
    main()
