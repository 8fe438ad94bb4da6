"""The per-facility aggregates read the same figures whatever the order of the fact rows.

`compute` aggregates each level's groups as runs of rows when the snapshot is clustered by
facility and stratum (as the store writes it) and sorts other input first. Expected figures come
from a plain hashed group-by over the same rows, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest

from printreg.analytics import store as store_module
from printreg.analytics.measures import _contiguous, _runs, compute
from printreg.analytics.store import RegistryAnalytics, cluster_keys, write_clustered
from printreg.dictionary.analytics import AnalyticsSpec, Measure, Success

SPEC = AnalyticsSpec(
    registry="toy",
    period="seen_on",
    strata=["kind", "organ", "uses"],
    measures=[
        Measure(name="t", label="T", kind="continuous", value="t", trend=True),
        Measure(name="u", label="U", kind="continuous", value="u"),
        Measure(name="p", label="P", kind="proportion", value="p", success=Success(present=True)),
        Measure(name="kinds", label="Kinds", kind="mix", value="kind"),
    ],
)
FACILITIES = 30


def _facts(seed: int = 5, rows: int = 3_000) -> pl.DataFrame:
    """Random facts: two single-valued strata with missing values, a multi-valued one, two
    continuous measures with missing values (one with ties), a proportion, a mix."""
    rng = np.random.default_rng(seed)

    def maybe(values: list[str], size: int) -> list[str | None]:
        picked = rng.choice([*values, ""], size=size)
        return [v or None for v in picked.tolist()]

    kind = maybe(["model", "guide"], rows)
    t = rng.normal(100, 30, rows)
    u = rng.integers(0, 5, rows).astype(float)
    return pl.DataFrame(
        {
            "facility_id": rng.integers(1, FACILITIES + 1, rows),
            "period": [dt.date(2024, 1 + 3 * int(q), 1) for q in rng.integers(0, 4, rows)],
            "s_kind": kind,
            "s_organ": maybe(["cardiac", "spine", "dental"], rows),
            "s_uses": [["planning"] if i % 3 else ["planning", "education"] for i in range(rows)],
            "m_t": np.where(rng.random(rows) < 0.2, np.nan, t),
            "m_u": u,
            "m_p": maybe(["yes", "no"], rows),
            "m_kinds": kind,
        }
    ).with_columns(
        pl.col("m_t").fill_nan(None),
        pl.when(pl.col("m_p").is_null()).then(None).otherwise(pl.col("m_p") == "yes").alias("m_p"),
    )


def _profiles() -> pl.DataFrame:
    ids = list(range(1, FACILITIES + 1))
    return pl.DataFrame(
        {
            "facility_id": ids,
            "code": [f"T{i}" for i in ids],
            "facility_type": ["academic" if i % 2 else "community" for i in ids],
            "location": "rural",
            "census_region": "west",
        }
    )


def _expected(facts: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return facts.group_by(keys).agg(
        pl.len().alias("cases"),
        pl.col("m_t").count().alias("t__n"),
        pl.col("m_t").median().alias("t__median"),
        pl.col("m_u").count().alias("u__n"),
        pl.col("m_u").median().alias("u__median"),
        pl.col("m_p").count().alias("p__n"),
        pl.col("m_p").cast(pl.Int64).sum().alias("p__x"),
    )


def _level(frame: pl.DataFrame, level: int, keys: list[str]) -> pl.DataFrame:
    columns = [*keys, "cases", "t__n", "t__median", "u__n", "u__median", "p__n", "p__x"]
    return frame.filter(pl.col("level") == level).select(columns).sort(keys, nulls_last=True)


def _snapshot(facts: pl.DataFrame, folder: Path) -> pl.LazyFrame:
    store = RegistryAnalytics(folder, "toy")
    store.sync_facts({1: 1}, lambda _: facts, "k")  # a first build writes the snapshot whole
    return store.scan()


def test_store_writes_the_snapshot_clustered(tmp_path: Path) -> None:
    facts = _facts().with_row_index("row")
    assert cluster_keys(facts.schema) == ["facility_id", "s_kind", "s_organ"]
    snapshot = _snapshot(facts, tmp_path).collect()
    keys = ["facility_id", "s_kind", "s_organ"]
    assert snapshot.equals(snapshot.sort(keys))
    assert snapshot.sort("row").equals(facts)


@pytest.mark.parametrize("rows", [0, 1, 999, 1_000, 3_001])
def test_the_snapshot_is_written_a_row_group_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    monkeypatch.setattr(store_module, "ROW_GROUP", 1_000)
    facts = _facts(rows=rows).with_row_index("row")
    path = tmp_path / "facts.parquet"
    write_clustered(facts, path)
    written = pl.read_parquet(path)
    assert written.schema == facts.schema
    keys = cluster_keys(facts.schema)
    assert written.select(keys).equals(facts.select(keys).sort(keys))  # in cluster order
    assert written.sort("row").equals(facts)  # every row, whole
    groups = pq.ParquetFile(path).metadata.num_row_groups
    assert groups == max(1, -(-rows // 1_000))


def test_runs_are_contiguous_only_when_clustered(tmp_path: Path) -> None:
    keysets = [["facility_id"], ["facility_id", "s_kind"], ["facility_id", "s_kind", "s_organ"]]
    shuffled = _facts().sample(fraction=1.0, shuffle=True, seed=1)
    assert not _contiguous(_runs(shuffled.lazy(), keysets), keysets)
    by_facility = shuffled.sort("facility_id")  # level 0 is contiguous, the strata are not
    assert not _contiguous(_runs(by_facility.lazy(), keysets), keysets)
    assert _contiguous(_runs(_snapshot(shuffled, tmp_path), keysets), keysets)


@pytest.mark.parametrize("order", ["snapshot", "shuffled", "facility"])
def test_levels_match_a_plain_group_by(tmp_path: Path, order: str) -> None:
    facts = _facts()
    if order == "snapshot":
        source: pl.LazyFrame | pl.DataFrame = _snapshot(facts, tmp_path)
    elif order == "shuffled":
        source = facts.sample(fraction=1.0, shuffle=True, seed=2)
    else:
        source = facts.sort("facility_id")
    aggregates = compute(source, SPEC, _profiles(), min_cases=5)
    assert aggregates.levels == ((), ("kind",), ("kind", "organ"))
    for level, keys in enumerate(
        (["facility_id"], ["facility_id", "s_kind"], ["facility_id", "s_kind", "s_organ"])
    ):
        got = _level(aggregates.facility, level, keys)
        expected = _expected(facts, keys).sort(keys, nulls_last=True).select(got.columns)
        assert got.equals(expected), level


def test_every_figure_is_the_same_in_any_row_order(tmp_path: Path) -> None:
    facts = _facts(seed=11)
    clustered = compute(_snapshot(facts, tmp_path), SPEC, _profiles(), min_cases=5)
    shuffled = compute(
        facts.sample(fraction=1.0, shuffle=True, seed=3), SPEC, _profiles(), min_cases=5
    )
    keys = ["level", "facility_id", "s_kind", "s_organ"]
    assert clustered.facility.sort(keys).equals(shuffled.facility.sort(keys))
    for name, by in (
        ("registry", ["level", "s_kind", "s_organ"]),
        ("peers", ["peer_key", "level", "s_kind", "s_organ"]),
        ("mix", ["measure", "s_kind", "s_organ", "category"]),
        ("registry_trend", ["period"]),
        ("completeness", ["facility_id"]),
        ("profiles", ["facility_id"]),
    ):
        mine, theirs = getattr(clustered, name), getattr(shuffled, name)
        assert mine.sort(by).equals(theirs.select(mine.columns).sort(by)), name


def test_empty_facts_give_empty_levels(tmp_path: Path) -> None:
    empty = _facts().clear()
    for source in (empty, _snapshot(empty, tmp_path)):
        aggregates = compute(source, SPEC, _profiles(), min_cases=5)
        assert aggregates.facility.height == 0
        assert {"t__median", "p__x", "s_kind", "s_organ"} <= set(aggregates.facility.columns)
