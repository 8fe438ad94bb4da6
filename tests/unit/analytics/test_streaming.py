"""A refresh reads and writes the fact snapshot a batch of whole facilities at a time.

Every figure from many small batches must equal the figure from the whole table at once
(``compute`` over one in-memory frame, itself checked against plain group-bys in
test_measures.py); the snapshot writer and reader are checked by counting the rows each call
holds, which is what bounds a refresh's memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from tests.unit.analytics.test_measures import SPEC, _facts, _profiles

from printreg.analytics import store as store_module
from printreg.analytics.measures import Aggregates, aggregate_columns, compute, compute_batches
from printreg.analytics.store import (
    RegistryAnalytics,
    aggregate_with,
    facility_batches,
    plan_batches,
)
from printreg.analytics.value import VALUE_COLUMNS, pool_strata, value_facts

FRAMES = ("facility", "registry", "peers", "mix", "registry_trend", "completeness", "profiles")


def _keyed_facts(seed: int = 5, rows: int = 3_000) -> pl.DataFrame:
    """The random facts of test_measures, with record keys and value-evidence columns."""
    rng = np.random.default_rng(seed)
    facts = _facts(seed, rows)
    effect = rng.normal(20, 8, rows)
    return facts.with_columns(
        pl.Series("record_key", rng.integers(0, 2**20, rows)),
        pl.Series("v_effect", np.where(rng.random(rows) < 0.3, np.nan, effect)).fill_nan(None),
        pl.Series("v_separate", rng.choice(["model", "guide"], rows)),
        pl.Series("v_by", rng.choice(["cardiac", "spine"], rows)),
        pl.Series("v_before", rng.integers(1, 6, rows).astype(float)),
        pl.Series("v_after", np.where(rng.random(rows) < 0.5, np.nan, 3.0)).fill_nan(None),
        pl.Series("c_t", rng.random(rows) < 0.8),  # completeness and a missing-data reason
        pl.Series("r_t_unknown", rng.random(rows) < 0.1),
    )


def _stored(facts: pl.DataFrame, folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Write the facts as a snapshot of many small row groups; return its path."""
    monkeypatch.setattr(store_module, "ROW_GROUP", 97)  # row groups end inside facilities
    store = RegistryAnalytics(folder, "toy")
    store.sync_facts({1: 1}, lambda _: facts, "k")
    return store.facts_path


def _same(mine: Aggregates, theirs: Aggregates) -> None:
    assert mine.levels == theirs.levels
    for name in FRAMES:
        a, b = getattr(mine, name), getattr(theirs, name)
        assert a.schema == b.schema, name
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True)), name


@pytest.mark.parametrize("rows", [1, 40, 250, 1_000, 10**6])
def test_batches_hold_whole_facilities_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    facts = _keyed_facts()
    path = _stored(facts, tmp_path, monkeypatch)
    batches = list(facility_batches(path, rows=rows))
    sizes = facts.group_by("facility_id").len()
    largest = int(sizes["len"].max())  # type: ignore[arg-type]
    seen: list[int] = []
    for batch in batches:
        ids = batch["facility_id"].unique().sort().to_list()
        assert not set(ids) & set(seen)  # a facility never comes back
        assert not seen or ids[0] > seen[-1]
        seen += ids
        assert batch.height <= max(rows, largest)  # one batch, or one facility, at a time
        assert batch.height <= rows or len(ids) == 1
    assert seen == sorted(facts["facility_id"].unique().to_list())
    whole = pl.concat(batches)
    assert whole.sort(whole.columns, nulls_last=True).equals(
        facts.select(whole.columns).sort(whole.columns, nulls_last=True)
    )
    if rows < largest:
        assert len(batches) == facts["facility_id"].n_unique()


def test_batches_read_only_the_columns_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _stored(_keyed_facts(), tmp_path, monkeypatch)
    for batch in facility_batches(path, ["v_effect"], rows=500):
        assert batch.columns == ["facility_id", "v_effect"]


@pytest.mark.parametrize("rows", [1, 33, 400, 10**6])
def test_every_figure_is_the_same_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rows: int
) -> None:
    facts = _keyed_facts(seed=17)
    path = _stored(facts, tmp_path, monkeypatch)
    whole = compute(facts, SPEC, _profiles(), min_cases=5)
    batches = list(facility_batches(path, rows=rows))
    assert len(batches) > 1 or rows == 10**6
    _same(compute_batches(batches, SPEC, _profiles(), min_cases=5), whole)
    # the registry's quarterly medians need every value: checked against numpy too
    for period, group in facts.group_by("period"):
        values = group["m_t"].drop_nulls().to_numpy()
        row = whole.registry_trend.filter(pl.col("period") == period[0])
        assert row["t__median"].item() == float(np.median(values))


def test_empty_snapshot_gives_one_empty_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = _keyed_facts().clear()
    path = _stored(empty, tmp_path, monkeypatch)
    batches = list(facility_batches(path, rows=10))
    assert [b.height for b in batches] == [0]
    assert batches[0].schema == empty.schema
    _same(
        compute_batches(batches, SPEC, _profiles(), min_cases=5),
        compute(empty, SPEC, _profiles(), min_cases=5),
    )


def test_a_facility_split_over_batches_is_refused() -> None:
    facts = _keyed_facts().sort("facility_id")
    cut = facts.height // 2  # most likely inside a facility; make sure
    facts = facts.with_columns(
        pl.when(pl.int_range(pl.len()) == cut)
        .then(pl.col("facility_id").get(cut - 1))
        .otherwise(pl.col("facility_id"))
        .alias("facility_id")
    )
    with pytest.raises(ValueError, match="whole facilities"):
        compute_batches([facts[:cut], facts[cut:]], SPEC, _profiles(), min_cases=5)


def test_value_evidence_is_the_same_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    facts = _keyed_facts(seed=23)
    path = _stored(facts, tmp_path, monkeypatch)
    small = value_facts(facility_batches(path, VALUE_COLUMNS, rows=60))
    whole = value_facts([pl.read_parquet(path)])
    keys = ["facility_id", "v_separate", "v_by"]
    mine, theirs = small.effects.sort(keys), whole.effects.sort(keys)
    assert mine.select(*keys, "n").equals(theirs.select(*keys, "n"))
    # polars sums floats in an order that depends on how a group's rows lie in memory, so a
    # mean may differ in its last bits, as it already did between two runs on two threads
    for column in ("mean", "var"):
        assert np.allclose(mine[column], theirs[column], rtol=1e-12, atol=0, equal_nan=True)
    assert small.separates == whole.separates == ["guide", "model"]
    order = ["v_separate", "v_before", "v_after"]
    assert small.pairs.sort(order).equals(whole.pairs.sort(order))
    pairs = facts.filter(pl.col("v_before").is_not_null() & pl.col("v_after").is_not_null())
    assert small.pairs.height == pairs.height
    pooled, expected = pool_strata(small.effects), pool_strata(whole.effects)
    assert [(s.separate, s.by, s.k, s.cases) for s in pooled] == [
        (s.separate, s.by, s.k, s.cases) for s in expected
    ]
    for mine_pool, their_pool in zip(pooled, expected, strict=True):
        if their_pool.result is None:
            assert mine_pool.result is None
            continue
        assert mine_pool.result is not None
        assert mine_pool.result.estimate == pytest.approx(their_pool.result.estimate, rel=1e-9)


class CountingSource:
    """A fact source over a frame that records every load and the rows it returned."""

    def __init__(self, facts: pl.DataFrame) -> None:
        self.facts = facts
        self.loads: list[tuple[list[int] | None, int]] = []

    def sizes(self) -> dict[int, int]:
        counts = self.facts.group_by("facility_id").len()
        return dict(zip(counts["facility_id"].to_list(), counts["len"].to_list(), strict=True))

    def load(self, facility_ids: Sequence[int] | None) -> pl.DataFrame:
        out = self.facts
        if facility_ids is not None:
            out = out.filter(pl.col("facility_id").is_in(list(facility_ids)))
        self.loads.append((None if facility_ids is None else list(facility_ids), out.height))
        return out


def test_plan_batches_cuts_by_rows_and_facilities() -> None:
    sizes = {5: 3, 1: 4, 2: 4, 9: 20, 7: 1}
    assert plan_batches(sizes, 8, 10) == [[1, 2], [5, 7], [9]]
    assert plan_batches(sizes, 100, 2) == [[1, 2], [5, 7], [9]]
    assert plan_batches({}, 8, 10) == []


def test_snapshot_is_built_a_batch_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BATCH_ROWS", 300)
    facts = _keyed_facts(seed=29)
    source = CountingSource(facts)
    store = RegistryAnalytics(tmp_path, "toy")
    stamps = dict.fromkeys(source.sizes(), 1)
    assert store.sync_facts(stamps, source, "k") == len(stamps)
    largest = max(source.sizes().values())
    assert source.loads[0] == ([], 0)  # the columns, typed, and nothing else
    batches = source.loads[1:]
    assert len(batches) > 5
    assert all(rows <= max(300, largest) for _, rows in batches)
    assert all(ids is not None for ids, _ in batches)  # never everything at once
    assert sum(rows for _, rows in batches) == facts.height
    snapshot = store.scan().collect()
    assert snapshot.sort(snapshot.columns, nulls_last=True).equals(
        facts.sort(facts.columns, nulls_last=True)
    )
    keys = ["facility_id", "s_kind", "s_organ"]
    assert snapshot.select(keys).equals(snapshot.select(keys).sort(keys))  # clustered

    # one facility changes: only it is loaded; the others' rows come from the old snapshot
    changed = facts.filter(pl.col("facility_id") == 7).with_columns(pl.col("m_u") + 1)
    source.facts = pl.concat([facts.filter(pl.col("facility_id") != 7), changed])
    source.loads.clear()
    assert store.sync_facts({**stamps, 7: 2}, source, "k") == 1
    loaded = [ids for ids, _ in source.loads if ids]
    assert loaded == [[7]]
    again = store.scan().collect()
    assert again.sort(again.columns, nulls_last=True).equals(
        source.facts.sort(again.columns, nulls_last=True)
    )


def test_writer_refuses_batches_out_of_facility_order(tmp_path: Path) -> None:
    facts = _keyed_facts().sort("facility_id")
    later, earlier = facts.filter(pl.col("facility_id") > 10), facts.filter(pl.col("facility_id") <= 10)  # fmt: skip
    with pytest.raises(ValueError, match="ascending"):
        store_module.write_clustered([later, earlier], tmp_path / "facts.parquet")


def test_the_refresh_reads_only_the_columns_it_aggregates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BATCH_ROWS", 150)
    facts = _keyed_facts(seed=31).with_columns(pl.col("period").alias("case_date"))
    path = _stored(facts, tmp_path, monkeypatch)
    columns = aggregate_columns(SPEC, facts.schema)
    assert not {"case_date", "s_uses", *VALUE_COLUMNS} & set(columns)
    wanted = {"facility_id", "period", "s_kind", "s_organ", "m_t", "m_kinds", "record_key", "c_t"}
    assert {*wanted, "r_t_unknown"} <= set(columns)
    refreshed = aggregate_with(SPEC, 5)(path, _profiles())
    _same(refreshed, compute(facts, SPEC, _profiles(), min_cases=5))
