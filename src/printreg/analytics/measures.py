"""Every measure for every facility, stratum and peer group, computed from the fact table.

The result (:class:`Aggregates`) is what a registry refresh produces and what dashboards read:

- ``facility``: one row per (level, stratum values, facility) — the wide table of each
  continuous measure's ``<m>__n`` and ``__median`` and each proportion's ``<m>__n`` (cases in the denominator) and ``<m>__x`` (successes), plus
  ``cases``; ``level`` 0 is the whole registry, 1 the first stratum, 2 the first two strata;
- ``registry`` and ``peers``: per stratum (and peer group), the 25th/50th/75th percentiles of
  the medians of facilities with at least ``min_cases`` values (type 7), how many such
  facilities, and pooled proportions;
- ``mix``: counts of each category per deepest stratum over every facility (a facility's own
  counts come from its rows, see :func:`facility_figures`);
- ``registry_trend``: per quarter, the wide table of the measures marked ``trend`` over every
  facility's cases;
- ``completeness``: per facility, cases with a value for each element.

Quantiles are type 7 (linear interpolation); percentile ranks are mid-ranks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import polars as pl

from printreg.analytics.facts import RECORD_KEY, FactColumns
from printreg.dictionary.analytics import AnalyticsSpec, Measure
from printreg.domain.facility import volume_band

QUANTILES = (0.25, 0.5, 0.75)
PEER_DIMENSIONS = ("facility_type", "location", "census_region", "volume_band")
STATS = ("n", "median", "q1", "q3", "mean", "sd")


@dataclass(frozen=True)
class Aggregates:
    """The precomputed figures of one registry (see the module docstring)."""

    levels: tuple[tuple[str, ...], ...]
    facility: pl.DataFrame
    registry: pl.DataFrame
    peers: pl.DataFrame
    mix: pl.DataFrame
    registry_trend: pl.DataFrame
    completeness: pl.DataFrame
    profiles: pl.DataFrame
    min_cases: int


def stratum_levels(spec: AnalyticsSpec, facts: pl.LazyFrame) -> tuple[tuple[str, ...], ...]:
    """Return the strata precomputed: none, the first single-valued stratum, the first two."""
    schema = facts.collect_schema()
    single = [s for s in spec.strata if schema.get(FactColumns.stratum(s)) == pl.Utf8]
    return tuple(tuple(single[:k]) for k in range(min(len(single), 2) + 1))


def _continuous(spec: AnalyticsSpec) -> list[Measure]:
    return [m for m in spec.measures if m.kind == "continuous"]


def _proportions(spec: AnalyticsSpec) -> list[Measure]:
    return [m for m in spec.measures if m.kind == "proportion"]


def _measure_aggs(
    spec: AnalyticsSpec,
    *,
    detail: bool = False,
    only: list[Measure] | None = None,
    keyed: bool = False,
) -> list[pl.Expr]:
    """Return the aggregations of every measure (or ``only`` these): count and median of
    continuous measures (and with ``detail`` their quartiles, mean and SD), count and successes
    of proportions; with ``keyed``, the sums of the record keys of the cases counted
    (``cases__key``, ``<m>__nk``, ``<m>__xk``) for the cell-key perturbation."""
    aggs: list[pl.Expr] = [pl.len().alias("cases")]
    key = pl.col(RECORD_KEY)
    if keyed:
        aggs.append(key.sum().alias("cases__key"))
    for measure in _continuous(spec):
        if only is not None and measure not in only:
            continue
        col = pl.col(FactColumns.measure(measure.name))
        name = measure.name
        aggs += [col.count().alias(f"{name}__n"), col.median().alias(f"{name}__median")]
        if detail:
            aggs += [
                col.quantile(0.25, "linear").alias(f"{name}__q1"),
                col.quantile(0.75, "linear").alias(f"{name}__q3"),
                col.mean().alias(f"{name}__mean"),
                col.std().alias(f"{name}__sd"),
            ]
    for measure in _proportions(spec):
        if only is not None and measure not in only:
            continue
        col = pl.col(FactColumns.measure(measure.name))
        aggs += [
            col.count().alias(f"{measure.name}__n"),
            col.cast(pl.Int64).sum().alias(f"{measure.name}__x"),
        ]
        if keyed:
            aggs += [
                key.filter(col.is_not_null()).sum().alias(f"{measure.name}__nk"),
                key.filter(col.fill_null(value=False)).sum().alias(f"{measure.name}__xk"),
            ]
    return aggs


def _keyed(frame: pl.LazyFrame) -> bool:
    """Return whether the facts carry record keys (built with a secret)."""
    return RECORD_KEY in frame.collect_schema().names()


def _keys(level: tuple[str, ...]) -> list[str]:
    return [FactColumns.stratum(s) for s in level]


def _with_all_keys(frame: pl.DataFrame, levels: Sequence[tuple[str, ...]], k: int) -> pl.DataFrame:
    """Give a level's frame every stratum column of the deepest level (null = all)."""
    deepest = _keys(levels[-1])
    missing = [c for c in deepest if c not in frame.columns]
    return frame.with_columns(
        pl.lit(k, pl.Int8).alias("level"), *[pl.lit(None, pl.Utf8).alias(c) for c in missing]
    )


def facility_profiles(
    facilities: pl.DataFrame, facts: pl.LazyFrame, spec: AnalyticsSpec
) -> pl.DataFrame:
    """Return each facility's peer-group dimensions, its volume band from the cases of the
    last four quarters with data, and its peer key."""
    return _profiles(facilities, _period_counts(facts).collect(), spec)


def _period_counts(facts: pl.LazyFrame) -> pl.LazyFrame:
    """Return the cases per (facility, quarter): all :func:`_profiles` needs of the facts."""
    return facts.group_by("facility_id", "period").agg(pl.len().alias("n"))


def _profiles(facilities: pl.DataFrame, periods: pl.DataFrame, spec: AnalyticsSpec) -> pl.DataFrame:  # fmt: skip
    """Return :func:`facility_profiles` from the cases per (facility, quarter)."""
    latest = periods["period"].max()
    if isinstance(latest, dt.date) and spec.period:
        months = latest.year * 12 + latest.month - 1 - 9  # the latest quarter and three before
        start = dt.date(months // 12, months % 12 + 1, 1)
        recent = periods.filter(pl.col("period") >= start)
    else:
        recent = periods
    counts = recent.group_by("facility_id").agg(
        pl.col("n").sum().cast(periods.schema["n"]).alias("recent_cases")
    )
    out = facilities.join(counts, on="facility_id", how="left").with_columns(
        pl.col("recent_cases").fill_null(0)
    )
    out = out.with_columns(
        pl.col("recent_cases").map_elements(volume_band, return_dtype=pl.Utf8).alias("volume_band")
    )
    return out.with_columns(
        pl.concat_str([pl.col(d) for d in PEER_DIMENSIONS], separator="|").alias("peer_key")
    )


def _distribution(frame: pl.DataFrame, spec: AnalyticsSpec, by: list[str], min_cases: int) -> pl.DataFrame:  # fmt: skip
    """Per group: quartiles of eligible facility medians, their count, pooled proportions."""
    aggs: list[pl.Expr] = [pl.len().alias("facilities"), pl.col("cases").sum().alias("cases")]
    for measure in _continuous(spec):
        name = measure.name
        eligible = pl.col(f"{name}__median").filter(pl.col(f"{name}__n") >= min_cases)
        aggs += [eligible.count().alias(f"{name}__k")]
        aggs += [
            eligible.quantile(q, "linear").alias(f"{name}__p{int(q * 100)}") for q in QUANTILES
        ]
    for measure in _proportions(spec):
        name = measure.name
        aggs += [
            pl.col(f"{name}__n").sum().alias(f"{name}__n"),
            pl.col(f"{name}__x").sum().alias(f"{name}__x"),
        ]
    # record-key sums add up like the counts they go with
    aggs += [pl.col(c).sum() for c in frame.columns if c.endswith(("__key", "__nk", "__xk"))]
    return frame.group_by(by).agg(aggs)


def _runs(frame: pl.LazyFrame, keysets: list[list[str]]) -> pl.DataFrame:
    """Return the frame collected with one ``__run<k>`` column per key set: the number of the
    run of equal keys each row belongs to (sorted by construction). The columns are made
    contiguous once (a scan yields one chunk per row group), or every grouping would do it
    again."""
    return (
        frame.with_columns(
            pl.struct(keys).rle_id().alias(f"__run{k}") for k, keys in enumerate(keysets)
        )
        .collect()
        .rechunk()
    )


def _contiguous(frame: pl.DataFrame, keysets: list[list[str]]) -> bool:
    """Return whether every group of every key set is one run of rows (no key repeats)."""
    return not any(
        frame.group_by(f"__run{k}").agg(pl.col(keys).first()).select(keys).is_duplicated().any()
        for k, keys in enumerate(keysets)
    )


def _level_aggregates(
    lazy: pl.LazyFrame, spec: AnalyticsSpec, levels: tuple[tuple[str, ...], ...]
) -> list[pl.DataFrame]:
    """Return the wide table of every measure per facility at each level (keys, then the
    aggregations of :func:`_measure_aggs`), from one read of the fact table.

    When each level's groups are contiguous runs of rows (the snapshot is written clustered by
    facility and stratum, see :mod:`printreg.analytics.store`), the runs are aggregated as
    slices instead of hashed keys and gathered rows, which is most of the cost of the medians
    of many small groups; other input is sorted first."""
    keysets = [["facility_id", *_keys(level)] for level in levels]
    measured = [FactColumns.measure(m.name) for m in [*_continuous(spec), *_proportions(spec)]]
    keyed = _keyed(lazy)
    names = [*keysets[-1], *measured, *([RECORD_KEY] if keyed else [])]
    frame = _runs(lazy.select(names), keysets)
    if not _contiguous(frame, keysets):
        frame = _runs(frame.lazy().select(names).sort(keysets[-1]), keysets)
    aggs = _measure_aggs(spec, keyed=keyed)
    return [
        frame.group_by(f"__run{k}").agg(pl.col(keys).first(), *aggs).drop(f"__run{k}")
        for k, keys in enumerate(keysets)
    ]


def aggregate_columns(spec: AnalyticsSpec, schema: pl.Schema) -> list[str]:
    """Return the fact columns :func:`compute_batches` reads (of those in ``schema``): keys,
    single-valued strata, measures, completeness and missing-reason flags, record keys."""
    strata = [FactColumns.stratum(s) for s in spec.strata]
    measures = [FactColumns.measure(m.name) for m in spec.measures]
    wanted = {"facility_id", "period", RECORD_KEY, *measures}
    return [
        c
        for c, t in schema.items()
        if c in wanted or c.startswith(("c_", "r_")) or (c in strata and t == pl.Utf8)
    ]


def compute(
    facts: pl.LazyFrame | pl.DataFrame,
    spec: AnalyticsSpec,
    facilities: pl.DataFrame,
    *,
    min_cases: int = 10,
) -> Aggregates:
    """Return every measure for every facility, stratum level and peer group, from facts
    held in memory in any row order (one batch of :func:`compute_batches`).

    ``facilities`` has one row per facility: facility_id, facility_type, location,
    census_region (volume bands come from the facts)."""
    return compute_batches([facts.lazy().collect()], spec, facilities, min_cases=min_cases)


def _summed(parts: list[pl.DataFrame], by: list[str]) -> pl.DataFrame:
    """Return the batches' partial counts and sums added up per ``by`` (each column keeps its
    type): counts and sums are exact whatever the batches."""
    frame = pl.concat(parts, how="vertical_relaxed")
    if len(parts) == 1:
        return frame
    schema = frame.schema
    values = [c for c in frame.columns if c not in by]
    summed = frame.group_by(by).agg(pl.col(values).sum())
    return summed.select(pl.col(c).cast(schema[c]) for c in frame.columns)


@dataclass
class _Partials:
    """What each batch of facts adds to the aggregates: per-facility frames (whole in one
    batch), counts and sums to add up, and the values of the trended continuous measures,
    the only figures (registry medians per quarter) that need every case's value at once."""

    levels: list[list[pl.DataFrame]]
    trend: list[pl.DataFrame] = field(default_factory=list)
    trend_values: dict[str, list[pl.DataFrame]] = field(default_factory=dict)
    completeness: list[pl.DataFrame] = field(default_factory=list)
    mix: list[list[pl.DataFrame]] = field(default_factory=list)
    periods: list[pl.DataFrame] = field(default_factory=list)


def _trend_aggs(spec: AnalyticsSpec, keyed: bool) -> tuple[list[str], list[pl.Expr]]:
    """Return the column order of the registry trend and the aggregations that add up over
    batches (every one but the medians)."""
    trended = [m for m in spec.measures if m.trend]
    aggs = _measure_aggs(spec, only=trended, keyed=keyed)
    names = [e.meta.output_name() for e in aggs]
    return names, [e for e in aggs if not e.meta.output_name().endswith("__median")]


def compute_batches(
    batches: Iterable[pl.DataFrame],
    spec: AnalyticsSpec,
    facilities: pl.DataFrame,
    *,
    min_cases: int = 10,
) -> Aggregates:
    """Return every measure for every facility, stratum level and peer group, reading the
    facts a batch at a time: each batch holds whole facilities, in ascending facility order
    when there are several (what :meth:`RegistryAnalytics.batches` yields). Raises ValueError
    when a facility comes back in a later batch, or when there is no batch at all.

    Per-facility figures are computed within their batch; counts and sums are added up over
    batches; the registry's quarterly medians keep only the values of the trended continuous
    measures (one float and one date per value) until the last batch: every figure is the same
    as from the whole table at once."""
    state: _Partials | None = None
    levels: tuple[tuple[str, ...], ...] = ()
    trend_names: list[str] = []
    keyed, last = False, None
    for batch in batches:
        lazy = batch.lazy()
        if state is None:
            levels = stratum_levels(spec, lazy)
            keyed = _keyed(lazy)
            trend_names, trend_aggs = _trend_aggs(spec, keyed)
            state = _Partials(levels=[[] for _ in levels])
        elif batch.height:
            first = batch["facility_id"].min()
            if last is not None and first <= last:  # type: ignore[operator]
                raise ValueError("fact batches must hold whole facilities in ascending order")
        if batch.height:
            last = batch["facility_id"].max()
        _add_batch(state, batch, spec, levels, keyed, trend_aggs)
    if state is None:
        raise ValueError("no fact batches: not even an empty frame")
    return _finish(state, spec, facilities, levels, trend_names, min_cases)


def _add_batch(
    state: _Partials,
    batch: pl.DataFrame,
    spec: AnalyticsSpec,
    levels: tuple[tuple[str, ...], ...],
    keyed: bool,
    trend_aggs: list[pl.Expr],
) -> None:
    """Add one batch's partial figures to ``state``."""
    lazy = batch.lazy()
    for k, frame in enumerate(_level_aggregates(lazy, spec, levels)):
        state.levels[k].append(frame)
    queries = [lazy.group_by("period").agg(trend_aggs)]
    # filled (c_) and answered with a reason for missing data (r_), counted apart
    completeness_cols = [c for c in batch.columns if c.startswith(("c_", "r_"))]
    completeness_keys = (
        [pl.col(RECORD_KEY).sum().alias("cases__key")]
        + [
            pl.col(RECORD_KEY)
            .filter(pl.col(c))
            .sum()
            .alias(f"k_{c}" if c[0] == "r" else f"k_{c[2:]}")
            for c in completeness_cols
        ]
        if keyed
        else []
    )
    queries.append(
        lazy.group_by("facility_id").agg(
            pl.len().alias("cases"),
            *[pl.col(c).sum() for c in completeness_cols],
            *completeness_keys,
        )
    )
    queries.append(_period_counts(lazy))
    queries += mix_counts(lazy, spec, _keys(levels[-1]))
    results = pl.collect_all(queries)
    state.trend.append(results[0])
    state.completeness.append(results[1])
    state.periods.append(results[2])
    if not state.mix:
        state.mix = [[] for _ in results[3:]]
    for parts, frame in zip(state.mix, results[3:], strict=True):
        parts.append(frame)
    for measure in (m for m in _continuous(spec) if m.trend):
        column = FactColumns.measure(measure.name)
        values = batch.select("period", pl.col(column)).filter(pl.col(column).is_not_null())
        state.trend_values.setdefault(measure.name, []).append(values)


def _trend(state: _Partials, spec: AnalyticsSpec, names: list[str]) -> pl.DataFrame:
    """Return the registry trend: summed counts, and medians of every held value per quarter."""
    trend = _summed(state.trend, ["period"])
    for measure in (m for m in _continuous(spec) if m.trend):
        column = FactColumns.measure(measure.name)
        values = pl.concat(state.trend_values[measure.name], how="vertical_relaxed")
        medians = values.group_by("period").agg(
            pl.col(column).median().alias(f"{measure.name}__median")
        )
        trend = trend.join(medians, on="period", how="left", nulls_equal=True)
        state.trend_values[measure.name] = []  # let the values go as soon as they are used
    return trend.select("period", *names)


def _finish(
    state: _Partials,
    spec: AnalyticsSpec,
    facilities: pl.DataFrame,
    levels: tuple[tuple[str, ...], ...],
    trend_names: list[str],
    min_cases: int,
) -> Aggregates:
    """Return the aggregates from the partial figures of every batch."""
    deepest = _keys(levels[-1])
    per_level = [
        _with_all_keys(pl.concat(parts, how="vertical_relaxed"), levels, k)
        for k, parts in enumerate(state.levels)
    ]
    facility = pl.concat(per_level, how="diagonal_relaxed")
    registry_trend = _trend(state, spec, trend_names)
    completeness = _summed(state.completeness, ["facility_id"])
    mixes = [
        _summed(parts, [*deepest, "category", "measure"]).select(parts[0].columns)
        for parts in state.mix
    ]
    mix = (
        pl.concat(mixes, how="diagonal_relaxed")
        if mixes
        else pl.DataFrame(schema={"measure": pl.Utf8, "category": pl.Utf8, "count": pl.UInt32})
    )
    profiles = _profiles(facilities, _summed(state.periods, ["facility_id", "period"]), spec)
    by = ["level", *deepest]
    registry = _distribution(facility, spec, by, min_cases)
    with_peers = facility.join(profiles.select("facility_id", "peer_key"), on="facility_id")
    peers = _distribution(with_peers, spec, ["peer_key", *by], min_cases)
    return Aggregates(
        levels=levels,
        facility=facility.sort(["facility_id", "level", *deepest], nulls_last=True),
        registry=registry,
        peers=peers,
        mix=mix,
        registry_trend=registry_trend.sort("period"),
        completeness=completeness,
        profiles=profiles,
        min_cases=min_cases,
    )


def mix_counts(lazy: pl.LazyFrame, spec: AnalyticsSpec, by: list[str]) -> list[pl.LazyFrame]:
    """Return, per mix measure, the count of each category by ``by`` (lists are exploded:
    a case with two modalities counts once in each). Counts add up, so coarser strata are sums."""
    out = []
    schema = lazy.collect_schema()
    keyed = RECORD_KEY in schema.names()
    for measure in (m for m in spec.measures if m.kind == "mix"):
        col = FactColumns.measure(measure.name)
        categories = lazy.select(
            *by, pl.col(col).alias("category"), *([RECORD_KEY] if keyed else [])
        )
        if isinstance(schema[col], pl.List):
            categories = categories.explode("category")
        counted = [pl.len().alias("count")]
        if keyed:  # a case counted twice in a category (two prints) adds its key twice
            counted.append(pl.col(RECORD_KEY).sum().alias("key"))
        out.append(
            categories.drop_nulls("category")
            .group_by([*by, "category"])
            .agg(counted)
            .with_columns(pl.lit(measure.name).alias("measure"))
        )
    return out


@dataclass(frozen=True)
class FacilityFigures:
    """One facility's own detail, computed on demand from its rows of the fact table: the
    wide table of every level with quartiles, mean and SD, and its quarter-by-quarter figures."""

    detail: pl.DataFrame
    trend: pl.DataFrame
    mix: pl.DataFrame


def facility_figures(
    own: pl.DataFrame, spec: AnalyticsSpec, levels: tuple[tuple[str, ...], ...]
) -> FacilityFigures:
    """Return the detail of one facility's figures (``own``: its rows of the fact table)."""
    lazy = own.lazy()
    aggs = _measure_aggs(spec, detail=True)
    frames = [
        _with_all_keys(lazy.group_by(["facility_id", *_keys(level)]).agg(aggs).collect(), levels, k)
        for k, level in enumerate(levels)
    ]
    detail = pl.concat(frames, how="diagonal_relaxed")
    trended = [m for m in spec.measures if m.trend]
    trend = lazy.group_by("period").agg(_measure_aggs(spec, only=trended)).sort("period").collect()
    deepest = _keys(levels[-1])
    counts = pl.collect_all(mix_counts(lazy, spec, deepest))
    mix = (
        pl.concat(counts, how="diagonal_relaxed")
        if counts
        else pl.DataFrame(schema={"measure": pl.Utf8, "category": pl.Utf8, "count": pl.UInt32})
    )
    return FacilityFigures(detail, trend, mix)
