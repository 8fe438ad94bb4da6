"""Bulk import speed: validated import into SQLite and PostgreSQL against raw COPY and per-record
inserts, in one run. Not a test: it asserts nothing and writes bench/results/ingest.json.

  (a) validated import of N cases into SQLite (printreg import --commit)
  (b) validated import of N cases into PostgreSQL
  (c) raw COPY of the same, already flattened table rows into the same PostgreSQL tables (the limit)
  (d) per-record inserts through the case service (one transaction per case) of M cases, extrapolated

Targets from the issue: (b) >= 0.5 x throughput of (c); (b) >= 20 x (d); peak RSS < 500 MB.
Run: .venv/bin/python bench/ingest.py [--cases 1000000] [--per-record 20000]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.pgserver import create_database, start_postgres  # noqa: E402

from printreg.accounts.actor import Actor  # noqa: E402
from printreg.cases.service import CaseService  # noqa: E402
from printreg.demo.synth import load_synthetic  # noqa: E402
from printreg.ingest import FlatLayout  # noqa: E402
from printreg.platform import Platform  # noqa: E402
from printreg.settings import Settings  # noqa: E402
from printreg.storage.schema import upgrade  # noqa: E402
from printreg.synthetic import SyntheticRegistry  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "ingest.json"
SEED = 2026


def prepare(url: str) -> Platform:
    platform = Platform.from_settings(Settings(database_url=url))
    upgrade(platform.engine)
    load_synthetic(
        platform, Actor.operator("bench"), registry="3dp", seed=SEED, facilities=1, cases=0
    )
    return platform


def write_file(path: Path, cases: int) -> float:
    synth = SyntheticRegistry(seed=SEED, facilities=1)
    layout = FlatLayout(prepare("sqlite://").registry("3dp").current)
    started = time.perf_counter()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, layout.columns)
        writer.writeheader()
        for _, record in synth.cases(cases):
            record.pop("facility", None)
            record["status"] = "complete" if record.get("status") == "complete" else "draft"
            writer.writerow(layout.to_row(record))
    return time.perf_counter() - started


CHILD = r"""
import json, resource, sys, time
from pathlib import Path
from printreg.accounts.actor import Actor
from printreg.imports.service import Importer
from printreg.platform import Platform
from printreg.settings import Settings
url, path, batch = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
platform = Platform.from_settings(Settings(database_url=url))
started = time.perf_counter()
report = Importer(platform, Actor.operator("bench"), "3dp", "F0001", batch_rows=batch).run(path, commit=True)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "report": report.as_dict(),
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def validated_import(url: str, path: Path, batch: int) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD, url, str(path), str(batch)], check=True,
                         capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def dump_tables(url: str, folder: Path) -> dict[str, int]:
    """Write every case table of an imported database as CSV (the already flattened rows)."""
    import psycopg  # noqa: PLC0415

    platform = Platform.from_settings(Settings(database_url=url))
    tables = platform.registry("3dp").tables
    counts = {}
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for table in tables.all_tables:
            target = folder / f"{table.name}.csv"
            with (
                target.open("wb") as handle,
                cursor.copy(f'COPY "{table.name}" TO STDOUT WITH (FORMAT csv)') as copy,
            ):
                for chunk in copy:
                    handle.write(chunk)
            cursor.execute(f'SELECT count(*) FROM "{table.name}"')  # noqa: S608 - our own table name
            counts[table.name] = cursor.fetchone()[0]  # type: ignore[index]
    platform.close()
    return counts


def raw_copy(url: str, folder: Path) -> float:
    """COPY the dumped rows into a fresh database's case tables; return the seconds taken."""
    import psycopg  # noqa: PLC0415

    platform = prepare(url)
    tables = platform.registry("3dp").tables
    platform.close()
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    started = time.perf_counter()
    with psycopg.connect(conninfo) as connection, connection.cursor() as cursor:
        for table in tables.all_tables:
            with (
                (folder / f"{table.name}.csv").open("rb") as handle,
                cursor.copy(f'COPY "{table.name}" FROM STDIN WITH (FORMAT csv)') as copy,
            ):
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        connection.commit()
    return time.perf_counter() - started


def per_record(url: str, count: int) -> float:
    platform = prepare(url)
    synth = SyntheticRegistry(seed=SEED, facilities=1)
    service = CaseService(platform, Actor.operator("bench"))
    items = [record for _, record in synth.cases(count)]
    started = time.perf_counter()
    for record in items:
        service.create("3dp", "F0001", record)
    elapsed = time.perf_counter() - started
    platform.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--per-record", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=5_000)  # the importer's own default
    args = parser.parse_args()
    figures: dict[str, object] = {"cases": args.cases, "batch_rows": args.batch}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        folder = Path(tmp)
        path = folder / "cases.csv"
        figures["generate_file_seconds"] = round(write_file(path, args.cases), 1)
        figures["file_mb"] = round(path.stat().st_size / 1e6, 1)
        print(f"file: {figures['file_mb']} MB of {args.cases} cases", flush=True)

        sqlite_url = f"sqlite:///{folder / 'bench.db'}"
        prepare(sqlite_url).close()
        a = validated_import(sqlite_url, path, args.batch)
        print("(a) sqlite", json.dumps(a), flush=True)

        server = start_postgres()
        try:
            create_database(server, "validated")
            prepare(server.url("validated")).close()
            b = validated_import(server.url("validated"), path, args.batch)
            print("(b) postgresql", json.dumps(b), flush=True)
            rows = dump_tables(server.url("validated"), folder)
            create_database(server, "raw")
            c_seconds = raw_copy(server.url("raw"), folder)
            print(f"(c) raw COPY {c_seconds:.1f}s of {sum(rows.values())} rows", flush=True)
            create_database(server, "orm")
            d_seconds = per_record(server.url("orm"), args.per_record)
            print(f"(d) per-record {d_seconds:.1f}s for {args.per_record}", flush=True)
        finally:
            server.stop()
    rate = {
        "a_sqlite_validated": args.cases / float(a["seconds"]),  # type: ignore[arg-type]
        "b_postgresql_validated": args.cases / float(b["seconds"]),  # type: ignore[arg-type]
        "c_postgresql_raw_copy": args.cases / c_seconds,
        "d_per_record_service": args.per_record / d_seconds,
    }
    figures.update({
        "seconds": {"a": round(float(a["seconds"]), 1), "b": round(float(b["seconds"]), 1),  # type: ignore[arg-type]
                    "c": round(c_seconds, 1), "d": round(d_seconds, 1),
                    "d_extrapolated_to_cases": round(d_seconds * args.cases / args.per_record, 1)},
        "cases_per_second": {k: round(v) for k, v in rate.items()},
        "table_rows": rows,
        "peak_rss_mb": {"a": round(float(a["peak_rss_mb"])), "b": round(float(b["peak_rss_mb"]))},  # type: ignore[arg-type]
        "ratio_b_over_c": round(rate["b_postgresql_validated"] / rate["c_postgresql_raw_copy"], 3),
        "ratio_b_over_d": round(rate["b_postgresql_validated"] / rate["d_per_record_service"], 1),
        "reports": {"a": a["report"], "b": b["report"]},
        "machine": {"cores": 2, "python": sys.version.split()[0]},
        "self_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    })  # fmt: skip
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(
        json.dumps(
            {
                k: figures[k]
                for k in ("cases_per_second", "ratio_b_over_c", "ratio_b_over_d", "peak_rss_mb")
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
