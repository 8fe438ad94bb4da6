"""The analytics cache of one registry: a fact snapshot on disk and its aggregates in memory.

Freshness comes from the change counters of :mod:`printreg.storage.stamps`, which move in the
same transaction as every case change. A refresh compares them with the counters the snapshot
was built from, reloads only the facilities whose counter moved, and recomputes the aggregates
(all measures for all facilities are a few grouped scans of the snapshot). The snapshot is a
Parquet file sorted by facility, then by single-valued stratum (:func:`cluster_keys`), so one
facility's rows are read without the rest and every aggregate group is a run of rows.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no type information: Any here

from printreg.analytics.measures import Aggregates, compute

FactLoader = Callable[[Iterable[int] | None], pl.DataFrame]
#: bump when the fact table's columns change: snapshots of another format are rebuilt
FACTS_FORMAT = 4
#: rows per Parquet row group, and per slice gathered while writing a snapshot in sorted order
ROW_GROUP = 64_000


@dataclass(frozen=True)
class Fingerprint:
    """What a snapshot and its aggregates were built from."""

    stamps: dict[int, int]
    profiles: str
    spec: str
    min_cases: int


def cluster_keys(schema: pl.Schema) -> list[str]:
    """Return the columns the snapshot is sorted by: facility, then every single-valued
    stratum in spec order, so that each facility's rows, and its rows in each stratum, are
    contiguous (the aggregates then read groups as slices)."""
    strata = [c for c, t in schema.items() if c.startswith("s_") and t == pl.Utf8]
    return ["facility_id", *strata]


def write_clustered(facts: pl.DataFrame, path: Path) -> None:
    """Write the facts to a Parquet file in :func:`cluster_keys` order, one row group at a time.

    Only the sort order (one integer per row) is computed for the whole table; rows are then
    gathered and written a row group at a time, so writing costs a row group of memory instead
    of a sorted copy of the table (about 5 GB at 10 million cases).
    """
    order = facts.select(pl.arg_sort_by(cluster_keys(facts.schema)).alias("i"))["i"]
    schema = facts.head(0).to_arrow().schema
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for start in range(0, facts.height, ROW_GROUP):
            part = facts[order.slice(start, ROW_GROUP)].to_arrow()
            writer.write_table(part.cast(schema), row_group_size=ROW_GROUP)
        if facts.height == 0:
            writer.write_table(schema.empty_table())


class RegistryAnalytics:
    """Snapshot and aggregates of one registry, refreshed on demand (thread-safe)."""

    def __init__(self, folder: Path, registry_code: str) -> None:
        self.folder = folder
        self.registry_code = registry_code
        self.facts_path = folder / f"{registry_code}-facts.parquet"
        self.manifest_path = folder / f"{registry_code}-manifest.json"
        self._lock = threading.Lock()
        self._built: Fingerprint | None = None
        self._aggregates: Aggregates | None = None
        #: moves with every recomputation: caches derived from the aggregates key on it
        self.generation = 0

    def _manifest(self, key: str) -> dict[int, int] | None:
        """Return the counters the snapshot was built from; None when there is no snapshot, or
        it was built for another spec, definition or fact format (then it is rebuilt whole)."""
        if not (self.manifest_path.is_file() and self.facts_path.is_file()):
            return None
        data = json.loads(self.manifest_path.read_text("utf-8"))
        if data.get("key") != f"{FACTS_FORMAT}:{key}":
            return None
        return {int(k): int(v) for k, v in data.get("stamps", {}).items()}

    def _write(self, facts: pl.DataFrame, stamps: dict[int, int], key: str) -> None:
        """Replace the snapshot and its manifest atomically (rename over the old files)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp_facts = self.facts_path.with_suffix(".parquet.tmp")
        write_clustered(facts, tmp_facts)
        tmp_manifest = self.manifest_path.with_suffix(".json.tmp")
        manifest = {"key": f"{FACTS_FORMAT}:{key}", "stamps": stamps}
        tmp_manifest.write_text(json.dumps(manifest), "utf-8")
        tmp_facts.replace(self.facts_path)
        tmp_manifest.replace(self.manifest_path)

    def sync_facts(self, stamps: dict[int, int], load: FactLoader, key: str = "") -> int:
        """Bring the snapshot up to the given counters; return how many facilities were reloaded.

        A missing snapshot, or one built for another ``key`` (spec and definition versions),
        is rebuilt whole."""
        known = self._manifest(key)
        if known is None:
            self._write(load(None), stamps, key)
            return len(stamps)
        changed = {f for f in set(stamps) | set(known) if stamps.get(f) != known.get(f)}
        if not changed:
            return 0
        kept = pl.scan_parquet(self.facts_path).filter(~pl.col("facility_id").is_in(list(changed)))
        fresh = load(sorted(changed))
        merged = pl.concat([kept.collect(), fresh], how="diagonal_relaxed", rechunk=False)
        self._write(merged, stamps, key)
        return len(changed)

    def scan(self) -> pl.LazyFrame:
        """Return the snapshot as a lazy frame (call :meth:`refresh` first)."""
        return pl.scan_parquet(self.facts_path)

    def refresh(
        self,
        stamps: dict[int, int],
        load: FactLoader,
        facilities: pl.DataFrame,
        *,
        spec_key: str,
        min_cases: int,
        compute_aggregates: Callable[[pl.LazyFrame, pl.DataFrame], Aggregates] | None = None,
    ) -> Aggregates:
        """Return the aggregates for the current counters, recomputing only what changed."""
        profiles = str(hash(facilities.select(pl.all().cast(pl.Utf8)).rows().__repr__()))
        wanted = Fingerprint(stamps, profiles, spec_key, min_cases)
        with self._lock:
            if self._aggregates is not None and self._built == wanted:
                return self._aggregates
            self.sync_facts(stamps, load, spec_key)
            if compute_aggregates is None:
                raise ValueError("no aggregate function given")
            self._aggregates = compute_aggregates(self.scan(), facilities)
            self._built = wanted
            self.generation += 1
            return self._aggregates


def aggregate_with(spec: object, min_cases: int) -> Callable[[pl.LazyFrame, pl.DataFrame], Aggregates]:  # fmt: skip
    """Return the aggregate function for a spec (kept apart so benchmarks can time it alone)."""

    def run(facts: pl.LazyFrame, facilities: pl.DataFrame) -> Aggregates:
        return compute(facts, spec, facilities, min_cases=min_cases)  # type: ignore[arg-type]

    return run
