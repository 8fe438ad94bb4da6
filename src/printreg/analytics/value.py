"""Evidence of value: pooled time saved per stratum, cost conversion, confidence gain.

Facility means of the effect (y_i = mean, v_i = sd_i²/n_i; facilities with at least two values
and a positive variance) are pooled by REML with the Hartung–Knapp CI, per (separate × by)
stratum and per separate value across every ``by`` — never across ``separate`` values (models are
never pooled with guides). k < 5 flags the prediction interval as unreliable; k = 1 is not pooled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from printreg.analytics.meta import PoolResult, empirical_bayes, pool
from printreg.analytics.stats import signed_rank

ALL = "all"


@dataclass(frozen=True)
class CostAssumption:
    """Operating-room cost per minute used to turn minutes into dollars."""

    per_minute: float = 36.0
    sensitivity: tuple[float, ...] = (22.0, 62.0, 133.0)
    source: str = "mean US operating-room cost per minute, 2018"

    def describe(self) -> str:
        """Return the assumption as printed beside every dollar figure."""
        others = ", ".join(f"${v:g}" for v in self.sensitivity)
        return f"at ${self.per_minute:g}/min ({self.source}; sensitivity {others} per minute)"

    def dollars(self, minutes: float | None) -> dict[str, Any] | None:
        """Return minutes converted at the default and sensitivity rates (None without data)."""
        if minutes is None:
            return None
        return {
            "default": minutes * self.per_minute,
            "sensitivity": {f"{v:g}": minutes * v for v in self.sensitivity},
            "assumption": self.describe(),
        }


def facility_effects(facts: pl.LazyFrame) -> pl.DataFrame:
    """Return per facility and stratum the mean effect, its variance and n (both levels)."""
    base = facts.filter(pl.col("v_effect").is_not_null() & pl.col("v_separate").is_not_null())
    aggs = [
        pl.len().alias("n"),
        pl.col("v_effect").mean().alias("mean"),
        pl.col("v_effect").var().alias("var"),
    ]
    by_stratum = base.group_by("facility_id", "v_separate", "v_by").agg(aggs)
    overall = (
        base.group_by("facility_id", "v_separate").agg(aggs).with_columns(pl.lit(ALL).alias("v_by"))
    )
    strata, everything = pl.collect_all([by_stratum, overall])
    return pl.concat([strata, everything.select(strata.columns)])


#: the fact columns the evidence of value reads
VALUE_COLUMNS = ("v_effect", "v_separate", "v_by", "v_before", "v_after")


@dataclass(frozen=True)
class ValueFacts:
    """What the evidence of value needs of the facts, gathered a batch at a time: the
    facility effects (:func:`facility_effects`), the confidence pairs (separate value, before,
    after: the signed-rank test needs every one) and the separate values seen."""

    effects: pl.DataFrame
    pairs: pl.DataFrame
    separates: list[str]


def value_facts(batches: Iterable[pl.DataFrame]) -> ValueFacts:
    """Return the value facts of batches holding whole facilities (one batch: any order)."""
    effects, pairs = [], []
    separates: set[str] = set()
    for batch in batches:
        effects.append(facility_effects(batch.lazy()))
        both = pl.col("v_before").is_not_null() & pl.col("v_after").is_not_null()
        pairs.append(batch.select("v_separate", "v_before", "v_after").filter(both))
        separates.update(batch["v_separate"].drop_nulls().unique().to_list())
    if not effects:
        raise ValueError("no fact batches: not even an empty frame")
    return ValueFacts(pl.concat(effects), pl.concat(pairs), sorted(separates))


@dataclass(frozen=True)
class PooledStratum:
    """The pooled effect of one stratum, and each facility's shrunken estimate."""

    separate: str
    by: str
    k: int
    cases: int
    result: PoolResult | None
    facility_estimates: dict[int, float]
    note: str

    def to_dict(self) -> dict[str, Any]:
        """Return the stratum as JSON-ready data."""
        return {
            "separate": self.separate,
            "by": self.by,
            "k": self.k,
            "cases": self.cases,
            # no per-facility weights: they would single out facilities and weigh kilobytes
            "pooled": self.result.to_dict(weights=False) if self.result else None,
            "note": self.note,
        }


def pool_strata(effects: pl.DataFrame, *, min_k: int = 2) -> list[PooledStratum]:
    """Return REML + HKSJ pooled effects of every stratum with enough facilities."""
    # a fixed order of facilities: the pooled sums are then the same in every run
    usable = effects.filter((pl.col("n") >= 2) & (pl.col("var") > 0)).sort(
        "v_separate", "v_by", "facility_id"
    )
    out: list[PooledStratum] = []
    for (separate, by), group in usable.group_by("v_separate", "v_by", maintain_order=True):
        k = group.height
        cases = int(group["n"].sum())
        if k < min_k:
            out.append(
                PooledStratum(
                    str(separate), str(by), k, cases, None, {}, "one facility: not pooled"
                )
            )
            continue
        y = group["mean"].to_numpy()
        v = (group["var"] / group["n"]).to_numpy()
        result = pool(y, v, "REML", hksj=True)
        shrunk = empirical_bayes(y, v, result)
        note = "prediction interval unreliable (fewer than 5 facilities)" if k < 5 else ""
        estimates = dict(
            zip(group["facility_id"].to_list(), np.asarray(shrunk).tolist(), strict=True)
        )
        out.append(PooledStratum(str(separate), str(by), k, cases, result, estimates, note))
    return sorted(out, key=lambda s: (s.separate, s.by != ALL, s.by))


def confidence_gain(facts: pl.LazyFrame, separate: str | None = None) -> dict[str, Any]:
    """Return the paired signed-rank test of confidence after − before (one separate value or
    every case)."""
    frame = facts.filter(pl.col("v_before").is_not_null() & pl.col("v_after").is_not_null())
    if separate is not None:
        frame = frame.filter(pl.col("v_separate") == separate)
    diffs = frame.select((pl.col("v_after") - pl.col("v_before")).alias("d")).collect()["d"]
    test = signed_rank(diffs.to_list())
    return {
        "n": test.n,
        "median_gain": test.median_difference,
        "mean_gain": float(diffs.mean()) if len(diffs) else None,  # type: ignore[arg-type]
        "statistic": test.statistic,
        "p_value": test.p_value,
        "test": "Wilcoxon signed-rank, two-sided, zeros dropped",
    }
