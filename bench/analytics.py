"""Analytics at national scale: one facility's dashboard and a full registry refresh.

Not a test: it asserts nothing and writes its figures to bench/results/analytics.json.

The data: a real fact table built by `FactBuilder` from synthetic cases stored in SQLite (the
seed cases), resampled with numpy to N cases over F facilities (default 10,000,000 over 6,500),
with a per-facility shift of every continuous measure so facilities differ. It is written as
the registry's analytics snapshot (Parquet, sorted by facility and stratum by the store) with a
manifest whose change counters match the database, exactly as a refresh leaves it.

In one run it times:
(a) one facility's complete dashboard data (`AnalyticsService.facility_dashboard`), aggregates
    cached: median and max over several facilities, plus the first call after start-up;
(b) a full registry refresh: every measure for every facility, stratum level and peer group,
    the quarter-by-quarter trends, mixes, completeness and the pooled value strata;
(c) a hand-written DuckDB query over the same Parquet file computing the same facility medians
    (every continuous measure, the same three stratum levels) and the registry quartiles of
    those medians.
(b) and (c) alternate, twice each, and the best of each counts; the 1-minute load average before
and after is recorded, since other work on the machine slows both. Each refresh (b) runs in a
fresh child process that reads the snapshot a batch at a time, as a refresh does; its peak
resident memory (VmHWM, the interpreter and libraries included) is ``peak_rss_mb``, so the
bench's own building of the 10-million-row table does not count.
Run: .venv/bin/python bench/analytics.py [--cases N] [--facilities F] [--seed-cases S]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
from sqlalchemy import delete, insert

from printreg.accounts.actor import Actor
from printreg.analytics.facts import FactBuilder
from printreg.analytics.store import (
    BATCH_ROWS,
    RegistryAnalytics,
    aggregate_with,
    facility_batches,
)
from printreg.analytics.value import VALUE_COLUMNS, pool_strata, value_facts
from printreg.dashboards.service import AnalyticsService
from printreg.demo.synth import load_synthetic
from printreg.dictionary.analytics import AnalyticsSpec, shipped_spec
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.settings import Settings
from printreg.storage.schema import upgrade
from printreg.storage.stamps import AnalyticsStamp

RESULTS = Path(__file__).parent / "results" / "analytics.json"
TYPES = ("academic", "community", "childrens", "freestanding", "other")
LOCATIONS = ("metropolitan", "suburban", "rural")
REGIONS = ("northeast", "midwest", "south", "west")


def _facilities(platform: Platform, count: int, rng: np.random.Generator) -> None:
    """Add facilities F0013.. up to ``count`` with random profiles (bulk insert)."""
    rows = [
        {
            "code": f"B{i:05d}",
            "name": f"Bench facility {i}",
            "facility_type": str(rng.choice(TYPES)),
            "location": str(rng.choice(LOCATIONS)),
            "census_region": str(rng.choice(REGIONS)),
            "lab_service_model": "radiology",
        }
        for i in range(count)
    ]
    with platform.sessions() as session, session.begin():
        session.execute(insert(Facility), rows)


def _resample(
    seed: pl.DataFrame, cases: int, facility_ids: np.ndarray, rng: np.random.Generator
) -> pl.DataFrame:
    """Return ``cases`` rows drawn from the seed facts, spread over the facilities (volumes
    skewed like a real registry), continuous measures shifted per facility."""
    weights = rng.lognormal(0.0, 1.0, facility_ids.size)
    owner = rng.choice(facility_ids, size=cases, p=weights / weights.sum())
    owner.sort()
    rows = rng.integers(0, seed.height, size=cases)
    out = seed[rows].with_columns(pl.Series("facility_id", owner, dtype=pl.Int64))
    shift = pl.Series("shift", rng.normal(1.0, 0.15, facility_ids.max() + 1))
    factor = pl.col("facility_id").map_batches(
        lambda ids: pl.Series(shift.to_numpy()[ids.to_numpy()]), return_dtype=pl.Float64
    )
    continuous = [c for c, t in out.schema.items() if c.startswith("m_") and t == pl.Float64]
    return out.with_columns([(pl.col(c) * factor).alias(c) for c in continuous])


def _peak_rss_mb() -> float:
    """Return this process's peak resident memory (VmHWM) in MB."""
    for line in Path("/proc/self/status").read_text("utf-8").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _refresh(
    path: Path, spec: AnalyticsSpec, facilities: pl.DataFrame, min_cases: int, out: Connection
) -> None:
    """In a child process: time a full refresh of the snapshot at ``path`` (every aggregate
    and the pooled value) and send back (seconds, peak resident MB, levels)."""
    started = time.perf_counter()
    aggregates = aggregate_with(spec, min_cases)(path, facilities)
    pool_strata(value_facts(facility_batches(path, VALUE_COLUMNS)).effects)
    seconds = time.perf_counter() - started
    out.send((seconds, _peak_rss_mb(), aggregates.levels))
    out.close()


def _refresh_in_child(
    path: Path, spec: AnalyticsSpec, facilities: pl.DataFrame, min_cases: int
) -> tuple[float, float, tuple[tuple[str, ...], ...]]:
    """Return (seconds, peak resident MB, levels) of a refresh run in a fresh process."""
    context = multiprocessing.get_context("spawn")
    mine, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_refresh, args=(path, spec, facilities, min_cases, theirs))
    child.start()
    theirs.close()
    result: tuple[float, float, tuple[tuple[str, ...], ...]] = mine.recv()
    child.join()
    return result


def _duckdb(path: Path, measures: list[str], levels: list[list[str]]) -> float:
    """Time the hand-written DuckDB query: facility medians per level, registry quartiles."""
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    started = time.perf_counter()
    for level in levels:
        keys = ", ".join(["facility_id", *level])
        medians = ", ".join(f"median(m_{m}) AS {m}_median, count(m_{m}) AS {m}_n" for m in measures)
        quartiles = ", ".join(
            f"quantile_cont({m}_median, [0.25, 0.5, 0.75]) FILTER (WHERE {m}_n >= 10) AS {m}_q"
            for m in measures
        )
        group = ", ".join(level) if level else "()"
        select_keys = ", ".join(level) + ", " if level else ""
        sql = (
            f"WITH f AS (SELECT {keys}, {medians} FROM read_parquet('{path}') GROUP BY {keys}) "  # noqa: S608 - names from the spec
            f"SELECT {select_keys}{quartiles} FROM f GROUP BY {group}"
        )
        con.execute(sql).fetchall()
    seconds = time.perf_counter() - started
    con.close()
    return seconds


def main() -> None:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000_000)
    parser.add_argument("--facilities", type=int, default=6_500)
    parser.add_argument("--seed-cases", type=int, default=5_000)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    figures: dict[str, object] = {"cases": args.cases, "facilities": args.facilities}
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database_url=f"sqlite:///{tmp}/bench.db", data_dir=tmp)
        platform = Platform.from_settings(settings)
        upgrade(platform.engine)
        actor = Actor.operator("bench")
        started = time.perf_counter()
        load_synthetic(
            platform, actor, registry="3dp", seed=3, facilities=12, cases=args.seed_cases
        )
        runtime = platform.registry("3dp")
        spec = shipped_spec(runtime.current)
        with platform.engine.connect() as connection:
            seed = FactBuilder(runtime.tables, runtime.current, spec).build(connection)
        _facilities(platform, args.facilities - 12, rng)
        ids = np.arange(1, args.facilities + 1)
        facts = _resample(seed, args.cases, ids, rng)
        stamps = {int(i): 1 for i in ids}
        with platform.sessions() as session, session.begin():
            session.execute(delete(AnalyticsStamp))
            session.execute(
                insert(AnalyticsStamp),
                [{"registry_code": "3dp", "facility_id": i, "version": 1} for i in stamps],
            )
        store = RegistryAnalytics(Path(tmp) / "analytics", "3dp")
        key = f"{spec.version}:{runtime.current.version}"
        store._write(facts, stamps, key)  # noqa: SLF001 - the snapshot a refresh would leave
        figures["build_seconds"] = round(time.perf_counter() - started, 1)
        figures["snapshot_mb"] = round(store.facts_path.stat().st_size / 1e6, 1)
        del facts, seed

        service = AnalyticsService(platform, actor)
        facilities_frame = service._facilities()  # noqa: SLF001

        # (b) full refresh of every measure for every facility and peer group, and the value,
        # alternating with (c) DuckDB: the same facility medians and registry quartiles, so
        # that both sides meet the same load from other work on the machine
        continuous = [m.name for m in spec.measures if m.kind == "continuous"]
        refresh_times, duck, peaks = [], [], []
        load_before = os.getloadavg()[0]
        for _ in range(2):
            seconds, peak, found = _refresh_in_child(
                store.facts_path, spec, facilities_frame, settings.min_cases
            )
            refresh_times.append(seconds)
            peaks.append(peak)
            levels = [[f"s_{s}" for s in level] for level in found]
            duck.append(_duckdb(store.facts_path, continuous, levels))
        figures["b_refresh_seconds"] = round(min(refresh_times), 3)
        figures["c_duckdb_seconds"] = round(min(duck), 3)
        figures["b_over_c"] = round(figures["b_refresh_seconds"] / figures["c_duckdb_seconds"], 2)  # type: ignore[operator]
        figures["load_average_1min"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]

        # (a) one facility's dashboard: first call (computes the aggregates), then cached ones
        n = args.facilities - 13
        codes = ["F0001", "F0005", *(f"B{i:05d}" for i in (10, n // 4, n // 2, n))]
        started = time.perf_counter()
        service.facility_dashboard("3dp", codes[0])
        figures["a_first_dashboard_seconds"] = round(time.perf_counter() - started, 3)
        times = []
        for code in codes * 2:
            started = time.perf_counter()
            service.facility_dashboard("3dp", code)
            times.append(time.perf_counter() - started)
        figures["a_dashboard_seconds_median"] = round(statistics.median(times), 3)
        figures["a_dashboard_seconds_max"] = round(max(times), 3)
        started = time.perf_counter()
        service.facility_dashboard(
            "3dp", codes[3], {"object_type": "anatomic_model", "organ_system": "cardiac"}
        )
        figures["a_dashboard_stratum_seconds"] = round(time.perf_counter() - started, 3)
        platform.close()
    figures["peak_rss_mb"] = round(max(peaks))
    figures["batch_rows"] = BATCH_ROWS
    figures["bench_process_peak_rss_mb"] = round(_peak_rss_mb())
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n", "utf-8")
    print(json.dumps(figures, indent=2))
    print(f"(a) dashboard: {figures['a_dashboard_seconds_median']} s median (target < 1 s)")
    print(f"(b)/(c) = {figures['b_over_c']} (target <= 1.5)")
    print(f"refresh peak resident memory: {figures['peak_rss_mb']} MB (target < 2000)")


if __name__ == "__main__":
    main()
