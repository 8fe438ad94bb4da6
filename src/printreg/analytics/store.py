"""The analytics cache of one registry: a fact snapshot on disk and its aggregates in memory.

Freshness comes from the change counters of :mod:`printreg.storage.stamps`, which move in the
same transaction as every case change. A refresh compares them with the counters the snapshot
was built from, reloads only the facilities whose counter moved, and recomputes the aggregates
(all measures for all facilities are a few grouped scans of the snapshot). The snapshot is a
Parquet file sorted by facility, then by single-valued stratum (:func:`cluster_keys`), so one
facility's rows are read without the rest and every aggregate group is a run of rows.

Neither the snapshot nor the case tables are ever held whole: the snapshot is written and read a
batch of whole facilities at a time (:data:`BATCH_ROWS` rows), and the aggregates are computed
from partial results per batch (:func:`printreg.analytics.measures.compute_batches`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]  # no type information: Any here

from printreg.analytics.measures import Aggregates, aggregate_columns, compute_batches
from printreg.dictionary.analytics import AnalyticsSpec

FactLoader = Callable[[Sequence[int] | None], pl.DataFrame]
#: computes the aggregates from the snapshot file (read in batches) and the facility profiles
AggregateFunction = Callable[[Path, pl.DataFrame], Aggregates]
#: bump when the fact table's columns change: snapshots of another format are rebuilt
FACTS_FORMAT = 4
#: rows per Parquet row group, and per slice gathered while writing a snapshot in sorted order
ROW_GROUP = 64_000
#: fact rows per batch, read or written: a refresh holds one batch (and the largest facility's
#: rows, which are never split) instead of the whole snapshot
BATCH_ROWS = 200_000
#: facilities per batch at most, so the facility list of a batch query stays a short IN list
BATCH_FACILITIES = 1_000


class FactSource(Protocol):
    """Where the snapshot's rows come from: facility sizes first, then facts a batch at a time."""

    def sizes(self) -> dict[int, int] | None:
        """Return the reportable cases of each facility (None: unknown, load in one batch)."""
        ...

    def load(self, facility_ids: Sequence[int] | None) -> pl.DataFrame:
        """Return the facts of the given facilities (None: every facility; []: none, typed)."""
        ...


@dataclass(frozen=True)
class LoaderSource:
    """A bare loader function as a :class:`FactSource` of unknown sizes (loaded in one batch)."""

    loader: FactLoader

    def sizes(self) -> dict[int, int] | None:
        """Return None: the loader cannot tell sizes, so the snapshot is loaded in one batch."""
        return None

    def load(self, facility_ids: Sequence[int] | None) -> pl.DataFrame:
        """Return what the loader returns for the facilities."""
        return self.loader(facility_ids)


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


def plan_batches(sizes: dict[int, int], rows: int, facilities: int) -> list[list[int]]:
    """Return the facilities in ascending order, cut into batches of at most ``rows`` rows and
    ``facilities`` facilities (a facility larger than ``rows`` is a batch of its own)."""
    out: list[list[int]] = []
    current: list[int] = []
    held = 0
    for facility_id in sorted(sizes):
        size = sizes[facility_id]
        if current and (held + size > rows or len(current) >= facilities):
            out.append(current)
            current, held = [], 0
        current.append(facility_id)
        held += size
    if current:
        out.append(current)
    return out


def write_clustered(facts: pl.DataFrame | Iterable[pl.DataFrame], path: Path) -> int:
    """Write the facts to a Parquet file in :func:`cluster_keys` order; return the rows written.

    ``facts`` is one frame, or batches in ascending facility order each holding whole
    facilities (what :meth:`RegistryAnalytics.sync_facts` feeds): each batch is sorted on its
    own, so the file is in cluster order while only one batch is ever held. Within a batch only
    the sort order (one integer per row) is computed for the whole batch; rows are gathered and
    written a row group at a time, so writing costs a row group of memory on top of the batch.
    """
    batches = [facts] if isinstance(facts, pl.DataFrame) else facts
    writer: pq.ParquetWriter | None = None
    schema = None
    written, last = 0, None
    try:
        for batch in batches:
            if writer is None:
                schema = batch.head(0).to_arrow().schema
                writer = pq.ParquetWriter(path, schema, compression="zstd")
            if batch.height == 0:
                continue
            first = batch["facility_id"].min()
            if last is not None and first is not None and first <= last:  # type: ignore[operator]
                raise ValueError("snapshot batches must hold whole facilities in ascending order")
            last = batch["facility_id"].max()
            order = batch.select(pl.arg_sort_by(cluster_keys(batch.schema)).alias("i"))["i"]
            for start in range(0, batch.height, ROW_GROUP):
                part = batch[order.slice(start, ROW_GROUP)].to_arrow()
                writer.write_table(part.cast(schema), row_group_size=ROW_GROUP)
            written += batch.height
        if writer is None or schema is None:
            raise ValueError("no facts to write: not even an empty frame")
        if written == 0:
            writer.write_table(schema.empty_table())
    finally:
        if writer is not None:
            writer.close()
    return written


def _cut(batch: pl.DataFrame, size: int) -> int:
    """Return where to end a batch of whole facilities of at most ``size`` rows (more when its
    first facility alone is larger); 0 when the first facility may run on past these rows."""
    ids = batch["facility_id"]
    pivot = ids[size]
    cut = int(ids.search_sorted(pivot, side="left"))
    if cut == 0:  # one facility fills the batch: it is never split
        cut = int(ids.search_sorted(pivot, side="right"))
    return 0 if cut >= batch.height else cut


def facility_batches(
    path: Path, columns: Sequence[str] | None = None, rows: int | None = None
) -> Iterator[pl.DataFrame]:
    """Yield a clustered snapshot's rows in batches of at most ``rows`` rows (default
    :data:`BATCH_ROWS`), each holding whole facilities in ascending order, reading a row group
    at a time: a facility's rows are never split, so a facility larger than ``rows`` is a
    batch of its own, and rows of a facility that runs on past a row group wait for the next.

    An empty snapshot yields one empty (typed) frame. Raises ValueError when the file is not
    in facility order (it was not written by :func:`write_clustered`)."""
    size = BATCH_ROWS if rows is None else rows
    scan = pl.scan_parquet(path)
    if columns is not None:
        scan = scan.select(list(dict.fromkeys(["facility_id", *columns])))
    metadata = pq.ParquetFile(path).metadata
    held: list[pl.DataFrame] = []
    count = offset = 0
    last, yielded = None, False
    for group in range(metadata.num_row_groups):
        length = metadata.row_group(group).num_rows
        frame = scan.slice(offset, length).collect()
        offset += length
        if frame.height == 0:
            continue
        ids = frame["facility_id"]
        if not ids.is_sorted() or (last is not None and ids[0] < last):
            raise ValueError("the snapshot is not in facility order: rebuild it")
        last = ids[-1]
        held.append(frame)
        count += frame.height
        if count <= size:
            continue
        # chunks are kept: the aggregates copy only the columns they read into one chunk
        batch = pl.concat(held, rechunk=False)
        while batch.height > size and (cut := _cut(batch, size)):
            yield batch.slice(0, cut)
            yielded = True
            batch = batch.slice(cut)
        held, count = [batch], batch.height
    if count:
        yield pl.concat(held, rechunk=False)
    elif not yielded:
        yield scan.head(0).collect()


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

    def _write(
        self, facts: pl.DataFrame | Iterable[pl.DataFrame], stamps: dict[int, int], key: str
    ) -> None:
        """Replace the snapshot and its manifest atomically (rename over the old files);
        ``facts`` is one frame or batches of whole facilities in ascending order."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp_facts = self.facts_path.with_suffix(".parquet.tmp")
        write_clustered(facts, tmp_facts)
        tmp_manifest = self.manifest_path.with_suffix(".json.tmp")
        manifest = {"key": f"{FACTS_FORMAT}:{key}", "stamps": stamps}
        tmp_manifest.write_text(json.dumps(manifest), "utf-8")
        tmp_facts.replace(self.facts_path)
        tmp_manifest.replace(self.manifest_path)

    def _kept(self, facility_ids: Sequence[int]) -> pl.DataFrame:
        """Return the current snapshot's rows of the given facilities (only the row groups
        whose facility range meets them are read: the file is in facility order)."""
        low, high = min(facility_ids), max(facility_ids)
        return (
            pl.scan_parquet(self.facts_path)
            .filter(pl.col("facility_id").is_between(low, high))
            .filter(pl.col("facility_id").is_in(list(facility_ids)))
            .collect()
        )

    def _batches(
        self, source: FactSource, changed: set[int], rebuild: bool, sizes: dict[int, int]
    ) -> Iterator[pl.DataFrame]:
        """Yield the new snapshot a batch of whole facilities at a time: the kept facilities'
        rows from the current snapshot, the changed ones' from the source."""
        shape = source.load([])  # the columns, typed: every batch is given all of them
        if not rebuild:
            shape = pl.concat(
                [pl.scan_parquet(self.facts_path).head(0).collect(), shape],
                how="diagonal_relaxed",
            )
        yield shape
        for batch in plan_batches(sizes, BATCH_ROWS, BATCH_FACILITIES):
            fresh = [f for f in batch if rebuild or f in changed]
            kept = [] if rebuild else [f for f in batch if f not in changed]
            parts = [shape]
            if kept:
                parts.append(self._kept(kept))
            if fresh:
                parts.append(source.load(fresh))
            yield pl.concat(parts, how="diagonal_relaxed").select(shape.columns)

    def sync_facts(
        self, stamps: dict[int, int], load: FactSource | FactLoader, key: str = ""
    ) -> int:
        """Bring the snapshot up to the given counters; return how many facilities were reloaded.

        A missing snapshot, or one built for another ``key`` (spec and definition versions),
        is rebuilt whole. When the source knows its facilities' sizes the snapshot is written
        in batches of whole facilities (:data:`BATCH_ROWS` rows), so neither the old nor the
        new snapshot is ever held whole; a bare loader function is read in one batch."""
        source = LoaderSource(load) if callable(load) else load
        known = self._manifest(key)
        rebuild = known is None
        changed = (
            set(stamps)
            if known is None
            else {f for f in set(stamps) | set(known) if stamps.get(f) != known.get(f)}
        )
        if not changed and not rebuild:
            return 0
        sizes = source.sizes()
        if sizes is not None:
            self._write(self._batches(source, changed, rebuild, sizes), stamps, key)
        elif rebuild:
            self._write(source.load(None), stamps, key)
        else:
            kept = pl.scan_parquet(self.facts_path).filter(
                ~pl.col("facility_id").is_in(list(changed))
            )
            fresh = source.load(sorted(changed))
            merged = pl.concat([kept.collect(), fresh], how="diagonal_relaxed", rechunk=False)
            self._write(merged, stamps, key)
        return len(stamps) if rebuild else len(changed)

    def scan(self) -> pl.LazyFrame:
        """Return the snapshot as a lazy frame (call :meth:`refresh` first)."""
        return pl.scan_parquet(self.facts_path)

    def batches(self, columns: Sequence[str] | None = None) -> Iterator[pl.DataFrame]:
        """Return the snapshot's rows (of the given columns) in batches of whole facilities,
        in facility order (see :func:`facility_batches`)."""
        return facility_batches(self.facts_path, columns)

    def refresh(
        self,
        stamps: dict[int, int],
        load: FactSource | FactLoader,
        facilities: pl.DataFrame,
        *,
        spec_key: str,
        min_cases: int,
        compute_aggregates: AggregateFunction | None = None,
    ) -> Aggregates:
        """Return the aggregates for the current counters, recomputing only what changed (the
        snapshot is read a batch of whole facilities at a time, never whole)."""
        profiles = str(hash(facilities.select(pl.all().cast(pl.Utf8)).rows().__repr__()))
        wanted = Fingerprint(stamps, profiles, spec_key, min_cases)
        with self._lock:
            if self._aggregates is not None and self._built == wanted:
                return self._aggregates
            self.sync_facts(stamps, load, spec_key)
            if compute_aggregates is None:
                raise ValueError("no aggregate function given")
            self._aggregates = compute_aggregates(self.facts_path, facilities)
            self._built = wanted
            self.generation += 1
            return self._aggregates


def aggregate_with(spec: AnalyticsSpec, min_cases: int) -> AggregateFunction:
    """Return the aggregate function for a spec: it reads, a batch of whole facilities at a
    time, only the snapshot columns the aggregates use (kept apart so benchmarks can time it
    alone)."""

    def run(path: Path, facilities: pl.DataFrame) -> Aggregates:
        columns = aggregate_columns(spec, pl.scan_parquet(path).collect_schema())
        batches = facility_batches(path, columns)
        return compute_batches(batches, spec, facilities, min_cases=min_cases)

    return run
