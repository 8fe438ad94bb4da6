"""Benchmarks and evidence of value, with who-may-see-what and small-cell suppression.

- A facility's own figures go to people with case-level rights at that facility (any member
  role, or an API token with ``reports:read``) and to registry administrators, unsuppressed.
- Registry-wide and peer figures shown beside them are distributions of facility medians (only
  with at least ``min_facilities`` facilities) and counts suppressed below
  ``suppression_threshold`` with complementary suppression.
- The public/sponsor summary holds suppressed counts and pooled estimates only.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import polars as pl
import yaml
from sqlalchemy import select

from printreg.accounts.actor import CASE_READERS, Actor
from printreg.analytics import benchmark
from printreg.analytics.benchmark import Stratum
from printreg.analytics.disclosure import protect_counts, protect_table
from printreg.analytics.facts import FactBuilder
from printreg.analytics.measures import Aggregates, compute, facility_figures
from printreg.analytics.release import Release, small
from printreg.analytics.store import RegistryAnalytics, aggregate_with
from printreg.analytics.value import (
    CostAssumption,
    PooledStratum,
    confidence_gain,
    facility_effects,
    pool_strata,
)
from printreg.dictionary.analytics import (
    AnalyticsSpec,
    category_label,
    element_label,
    shipped_spec,
)
from printreg.domain.errors import Forbidden, InvalidRequest, NotFound
from printreg.domain.facility import Scope
from printreg.facilities.models import Facility
from printreg.ops.metrics import observe_analytics_refresh
from printreg.platform import Platform, RegistryRuntime
from printreg.storage import stamps

SHIPPED = "printreg.definitions"


@cache
def external_evidence(registry_code: str) -> dict[str, Any]:
    """Return the registry's cited external evidence table (empty when it ships none)."""
    path = resources.files(SHIPPED) / registry_code / "evidence.yaml"
    if not path.is_file():
        return {"version": None, "studies": []}
    data: dict[str, Any] = yaml.safe_load(path.read_text("utf-8"))
    return data


@dataclass
class _Cache:
    spec: AnalyticsSpec
    store: RegistryAnalytics
    #: pooled strata and confidence tests, with the store generation they were computed from
    pooled: tuple[int, tuple[list[PooledStratum], dict[str, Any]]] | None = None
    #: aggregates of narrower strata (intended use, period), by (store generation, stratum)
    narrowed: dict[Any, Aggregates] = field(default_factory=dict)


class AnalyticsService:
    """Dashboards, reports and public figures of a registry for one actor."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor
        settings = platform.settings
        self.cost = CostAssumption(
            settings.cost_per_minute,
            tuple(float(v) for v in settings.cost_sensitivity.split(",")),
        )

    # -- the cache --------------------------------------------------------------------------

    def _cache(self, runtime: RegistryRuntime) -> _Cache:
        cached = self.platform.analytics.get(runtime.code)
        if cached is None:
            folder = self.platform.settings.data_dir
            cached = _Cache(
                shipped_spec(runtime.current),
                RegistryAnalytics(Path(folder) / "analytics", runtime.code),
            )
            self.platform.analytics[runtime.code] = cached
        return cached

    def strata(self, registry: str) -> list[str]:
        """Return the registry's reporting strata (element names) from its analytics spec."""
        return list(self._cache(self.platform.registry(registry)).spec.strata)

    def _facilities(self) -> pl.DataFrame:
        """Return every facility's id, code and peer-group profile (a plain Core query)."""
        table = Facility.__table__
        columns = ("id", "code", "facility_type", "location", "census_region")
        with self.platform.engine.connect() as connection:
            rows = connection.execute(select(*(table.c[c] for c in columns))).all()
        return pl.DataFrame(
            [tuple(r) for r in rows],
            schema={
                "facility_id": pl.Int64,
                "code": pl.Utf8,
                "facility_type": pl.Utf8,
                "location": pl.Utf8,
                "census_region": pl.Utf8,
            },
            orient="row",
        )

    def aggregates(self, registry: str) -> tuple[RegistryRuntime, AnalyticsSpec, Aggregates]:
        """Return the registry's aggregates, refreshed if any case changed since last time."""
        runtime = self.platform.registry(registry)
        cache = self._cache(runtime)
        with self.platform.sessions() as session:
            current = stamps.read(session, registry)
        builder = FactBuilder(
            runtime.tables,
            runtime.current,
            cache.spec,
            record_secret=self.platform.settings.record_key_secret(),
        )

        def load(ids: Iterable[int] | None) -> pl.DataFrame:
            with self.platform.engine.connect() as connection:
                return builder.build(connection, None if ids is None else list(ids))

        settings = self.platform.settings
        generation, started = cache.store.generation, time.perf_counter()
        aggregates = cache.store.refresh(
            current,
            load,
            self._facilities(),
            spec_key=f"{cache.spec.version}:{runtime.current.version}",
            min_cases=settings.min_cases,
            compute_aggregates=aggregate_with(cache.spec, settings.min_cases),
        )
        if cache.store.generation != generation:  # rebuilt now, not served from the cache
            observe_analytics_refresh(time.perf_counter() - started)
        return runtime, cache.spec, aggregates

    def refresh(self, registry: str) -> dict[str, Any]:
        """Rebuild the registry's analytics now (registry administrators); return timings."""
        self.actor.require_platform_admin()
        started = time.perf_counter()
        _, _, aggregates = self.aggregates(registry)
        return {
            "seconds": round(time.perf_counter() - started, 3),
            "facilities": aggregates.profiles.height,
            "rows": aggregates.facility.height,
        }

    # -- authorization ------------------------------------------------------------------------

    def _facility(self, code: str) -> Facility:
        with self.platform.sessions() as session:
            facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None:
            raise NotFound.no_such("facility")
        return facility

    def _require_facility_reports(self, registry: str, facility: Facility) -> None:
        """Raise NotFound (never Forbidden) unless the actor may see the facility's reports."""
        if self.actor.scopes is not None and Scope.REPORTS_READ not in self.actor.scopes:
            raise Forbidden(f"this API token lacks the '{Scope.REPORTS_READ}' scope")
        if self.actor.sees_registry(registry):
            return
        if self.actor.role_at(registry, facility.id) not in CASE_READERS:
            raise NotFound.no_such("facility")

    def _threshold(self) -> int:
        return self.platform.settings.suppression_threshold

    def _release(self) -> Release:
        return Release.at(self._threshold())

    # -- facility dashboard -------------------------------------------------------------------

    def facility_dashboard(
        self,
        registry: str,
        facility_code: str,
        stratum: Mapping[str, str | None] | None = None,
    ) -> dict[str, Any]:
        """Return a facility's benchmark dashboard: its figures beside registry and peers.

        ``stratum`` holds the filters: the strata of the registry's analytics spec (code or
        label) and ``period_from``/``period_to``; any other name raises InvalidRequest."""
        facility = self._facility(facility_code)
        self._require_facility_reports(registry, facility)
        runtime, spec, aggregates = self.aggregates(registry)
        wanted = _filters(spec, stratum or {})
        period = (
            _date(wanted.pop("period_from", None), "period_from"),
            _date(wanted.pop("period_to", None), "period_to"),
        )
        narrow = self._narrowing(runtime, spec, aggregates, wanted)
        chosen = self._stratum(runtime, aggregates, wanted)
        facts = self._cache(runtime).store.scan()
        if narrow or period != (None, None):
            facts = _narrowed(facts, narrow, period)
            aggregates = self._narrowed_aggregates(
                registry, spec, aggregates, facts, narrow, period
            )
        own_rows = facts.filter(pl.col("facility_id") == facility.id)
        own = facility_figures(own_rows.collect(), spec, aggregates.levels)
        release = self._release()
        comparison = benchmark.compare(aggregates, spec, facility.id, chosen, own, release)
        self._limit_distributions(comparison)
        mixes = {
            m.name: self._released_mix(m.label, benchmark.mix(aggregates, m.name, own, chosen))
            for m in spec.measures
            if m.kind == "mix"
        }
        funnels = {
            m.name: self._released_funnel(
                benchmark.funnel_points(aggregates, m.name, chosen), facility.id
            )
            for m in spec.measures
            if m.kind == "proportion"
        }
        trends = {
            m.name: benchmark.trend(aggregates, m, own.trend, release)
            for m in spec.measures
            if m.trend
        }
        for item in comparison["measures"]:
            if item.get("cost"):
                item["dollars"] = self.cost.dollars(item["facility"].get("median"))
        if narrow:
            comparison["stratum"] |= narrow
        if period != (None, None):
            comparison["period"] = {"from": _iso(period[0]), "to": _iso(period[1])}
        return {
            "registry": registry,
            "facility": {"code": facility.code, "name": facility.name},
            **comparison,
            "strata": self._strata_choices(runtime, spec),
            "mix": mixes,
            "funnel": funnels,
            "trend": trends,
            "completeness": benchmark.completeness(aggregates, facility.id, release),
            "value": self._value(registry, facility.id),
            "disclosure": release.table.note(),
            "cost_assumption": self.cost.describe(),
            "methods": METHODS,
            "report": list(spec.report),
            "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }

    def _stratum(
        self,
        runtime: RegistryRuntime,
        aggregates: Aggregates,
        values: dict[str, str | None],
    ) -> Stratum:
        allowed = {name for level in aggregates.levels for name in level}
        for name, value in values.items():
            if not value:
                continue
            if name not in allowed:
                raise InvalidRequest(
                    f"cannot compare by {name!r}: choose from {', '.join(sorted(allowed))}"
                )
            codes = runtime.current.value_set_for(runtime.current.elements[name]).lookup
            if value.lower() not in codes:
                raise InvalidRequest(f"{name}: {value!r} is not a code of this registry")
            values[name] = codes[value.lower()]
        stratum = Stratum.of(values)
        if stratum.level_of(aggregates.levels) is None:
            first = aggregates.levels[1][0] if len(aggregates.levels) > 1 else "?"
            raise InvalidRequest(f"choose {first!r} before narrowing further")
        return stratum

    def _narrowing(
        self,
        runtime: RegistryRuntime,
        spec: AnalyticsSpec,
        aggregates: Aggregates,
        values: dict[str, str | None],
    ) -> dict[str, str]:
        """Take the strata that are not precomputed (multi-valued ones such as intended use) out
        of ``values``; return them with their codes checked."""
        precomputed = {name for level in aggregates.levels for name in level}
        out: dict[str, str] = {}
        for name in [n for n in values if n in spec.strata and n not in precomputed]:
            value = values.pop(name)
            if not value:
                continue
            codes = runtime.current.value_set_for(runtime.current.elements[name]).lookup
            if value.lower() not in codes:
                raise InvalidRequest(f"{name}: {value!r} is not a code of this registry")
            out[name] = codes[value.lower()]
        return out

    def _narrowed_aggregates(
        self,
        registry: str,
        spec: AnalyticsSpec,
        base: Aggregates,
        facts: pl.LazyFrame,
        narrow: dict[str, str],
        period: tuple[dt.date | None, dt.date | None],
    ) -> Aggregates:
        """Return the aggregates of the cases in a narrower stratum (cached until a refresh)."""
        cache = self.platform.analytics[registry]
        generation = cache.store.generation
        key = (generation, tuple(sorted(narrow.items())), period)
        found = cache.narrowed.get(key)
        if found is None:
            found = compute(facts, spec, self._facilities(), min_cases=base.min_cases)
            cache.narrowed = {k: v for k, v in cache.narrowed.items() if k[0] == generation}
            cache.narrowed[key] = found
        return found  # type: ignore[no-any-return]

    def _strata_choices(
        self, runtime: RegistryRuntime, spec: AnalyticsSpec
    ) -> list[dict[str, Any]]:
        out = []
        for name in spec.strata:
            element = runtime.current.elements[name]
            values = runtime.current.value_set_for(element).values
            out.append(
                {
                    "name": name,
                    "label": element.label,
                    "values": [{"code": v.code, "label": v.label} for v in values],
                }
            )
        return out

    def _limit_distributions(self, comparison: dict[str, Any]) -> None:
        """Hide registry and peer quartiles built from too few facilities."""
        least = self.platform.settings.min_facilities
        for item in comparison["measures"]:
            for side in ("registry", "peers"):
                figure = item[side]
                if "facilities" in figure and figure["facilities"] < least:
                    item[side] = {
                        "facilities": figure["facilities"],
                        "status": "too few facilities",
                    }
                    # a rank among too few facilities would tell where the others stand
                    hidden = ("percentile_rank", "quartile") if side == "registry" else ()
                    for key in (*hidden, "peer_percentile_rank" if side == "peers" else ""):
                        item["placement"].pop(key, None)
                elif (  # too few facilities is said first: it does not depend on the counts
                    "n" in figure
                    and side == "peers"
                    and figure["n"]
                    and figure["n"] < self._threshold()
                ):
                    item[side] = {"status": "suppressed (small count)"}

    def _released_mix(self, label: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Return a mix with the facility's own counts exact and the registry's released:
        small counts and their complements hidden, a count whose other-facility part (registry
        minus own) is small hidden, every other count perturbed (cell-key method)."""
        if not rows:
            return {"label": label, "rows": [], "registry_total_hidden": False}
        release = self._release()
        registry = protect_counts([r["registry"] for r in rows], self._threshold())
        total = sum(r["registry"] for r in rows)
        others = total - sum(r["count"] for r in rows)
        shown_total = release.count(total, sum(r["registry_key"] for r in rows))
        if small(others, release.threshold):
            shown_total = None
        for row, hidden in zip(rows, registry.hidden[:-1], strict=True):
            key = row.pop("registry_key")
            shown = None if hidden else release.count(row["registry"], key)
            if small(row["registry"] - row["count"], release.threshold):
                shown = None
            row["registry"] = shown
            row["registry_share"] = (
                shown / shown_total if shown is not None and shown_total else None
            )
        return {
            "label": label,
            "rows": rows,
            "registry_total_hidden": bool(registry.hidden[-1]) or shown_total is None,
        }

    def _released_funnel(
        self, points: list[dict[str, Any]], facility_id: int
    ) -> list[dict[str, Any]]:
        """Return funnel points without other facilities' identities: the facility's own point
        exact, another's only when neither its n nor n × p nor n × (1 − p) is a small count,
        perturbed (cell-key method)."""
        release = self._release()
        out = []
        for point in points:
            if point["facility_id"] == facility_id:
                out.append({"n": point["n"], "p": point["p"], "this_facility": True})
                continue
            shown = release.proportion(point["n"], point["x"], point.get("nk"), point.get("xk"))
            if shown is not None:
                out.append({"n": shown["n"], "p": shown["p"], "this_facility": False})
        return out

    # -- value ------------------------------------------------------------------------------

    def _pooled(self, registry: str) -> tuple[list[PooledStratum], dict[str, Any]]:
        """Return the pooled strata and confidence tests (computed once per refresh)."""
        cache = self.platform.analytics[registry]
        if cache.spec.value is None:  # the registry declares no value evidence
            return [], {}
        if cache.pooled is None or cache.pooled[0] != cache.store.generation:
            facts = cache.store.scan()
            separates = facts.select("v_separate").unique().collect()["v_separate"].drop_nulls()
            confidence = {str(v): confidence_gain(facts, str(v)) for v in separates.sort()}
            strata = pool_strata(facility_effects(facts))
            cache.pooled = (cache.store.generation, (strata, confidence))
        return cache.pooled[1]  # type: ignore[no-any-return]

    def _value(self, registry: str, facility_id: int | None) -> dict[str, Any]:
        out = []
        strata, confidence = self._pooled(registry)
        for pooled in strata:
            data = pooled.to_dict()
            if pooled.result is not None:
                data["dollars"] = self.cost.dollars(pooled.result.estimate)
            if facility_id is not None and facility_id in pooled.facility_estimates:
                data["facility_estimate"] = pooled.facility_estimates[facility_id]
            out.append(data)
        cache = self.platform.analytics[registry]
        value = cache.spec.value
        apart = ""
        if value is not None:
            label = element_label(self.platform.registry(registry).current, value.separate)
            apart = f"; {label.lower()}s never pooled together"
        return {
            "pooled": out,
            # the element published studies name their stratum by (the pooled one's 'separate')
            "separate": value.separate if value else None,
            "external": external_evidence(registry),
            "confidence": confidence,
            "method": "REML random effects with the Hartung-Knapp CI on the facility mean effect "
            f"(v = sd²/n, facilities with at least two values){apart}",
        }

    def value_evidence(self, registry: str) -> dict[str, Any]:
        """Return pooled time saved, costs, confidence gain and external evidence (any user)."""
        self.aggregates(registry)  # brings the snapshot up to date
        value = self._value(registry, None)
        value["cost_assumption"] = self.cost.describe()
        return value

    # -- registry-wide and public -------------------------------------------------------------

    def registry_overview(self, registry: str) -> dict[str, Any]:
        """Return every facility's headline figures (registry administrators only)."""
        self.actor.require_platform_admin()
        if not self.actor.sees_registry(registry):
            raise Forbidden("only this registry's administrators may see every facility")
        _, spec, aggregates = self.aggregates(registry)
        level0 = aggregates.facility.filter(pl.col("level") == 0)
        codes = dict(self._facilities().select("facility_id", "code").iter_rows())
        headline = [m for m in spec.measures if m.kind in ("continuous", "proportion")][:6]
        rows = []
        for row in level0.sort("cases", descending=True).iter_rows(named=True):
            item: dict[str, Any] = {
                "facility": codes.get(row["facility_id"]),
                "cases": row["cases"],
            }
            for m in headline:
                if m.kind == "continuous":
                    item[m.name] = row.get(f"{m.name}__median")
                else:
                    n = row.get(f"{m.name}__n") or 0
                    item[m.name] = (row.get(f"{m.name}__x") or 0) / n if n else None
            rows.append(item)
        return {
            "registry": registry,
            "measures": [
                {"name": m.name, "label": m.label, "kind": m.kind, "unit": m.unit} for m in headline
            ],
            "facilities": rows,
            "completeness": benchmark.completeness(aggregates, None),
            "value": self._value(registry, None),
            "cost_assumption": self.cost.describe(),
        }

    def public_summary(self, registry: str) -> dict[str, Any]:
        """Return the suppressed aggregates anyone may see: volumes, mixes, pooled value.

        Categories come with their labels from the definition (codes are for machines)."""
        runtime, spec, aggregates = self.aggregates(registry)
        definition = runtime.current
        threshold = self._threshold()
        release = self._release()
        levels = aggregates.levels
        table: dict[str, Any] = {}
        if len(levels) > 2:
            first, second = levels[2]
            level2 = aggregates.facility.filter(pl.col("level") == 2)
            key = pl.col("cases__key") if "cases__key" in level2.columns else pl.lit(0)
            frame = level2.group_by(f"s_{first}", f"s_{second}").agg(
                pl.col("cases").sum(), key.cast(pl.Int64).sum().alias("key")
            )
            rows = sorted(frame[f"s_{first}"].drop_nulls().unique().to_list())
            cols = sorted(frame[f"s_{second}"].drop_nulls().unique().to_list())
            counts = np.zeros((len(rows), len(cols)), dtype=np.int64)
            keys = np.zeros((len(rows), len(cols)), dtype=object)
            for r, c, n, k in frame.iter_rows():
                if r is not None and c is not None:
                    counts[rows.index(r), cols.index(c)] = n
                    keys[rows.index(r), cols.index(c)] = int(k or 0)
            table = {
                "rows": {
                    "element": first,
                    "label": element_label(definition, first),
                    "codes": rows,
                    "labels": [category_label(definition, first, c) for c in rows],
                },
                "columns": {
                    "element": second,
                    "label": element_label(definition, second),
                    "codes": cols,
                    "labels": [category_label(definition, second, c) for c in cols],
                },
                "cells": _released_table(counts, keys, release) if counts.size else [],
                "note": f"counts 1–{threshold - 1} hidden, with complementary cells; "
                f"last row and column are totals; {release.table.note()}",
            }
        mixes = {}
        for m in spec.measures:
            if m.kind != "mix":
                continue
            rows_ = benchmark.mix(aggregates, m.name)
            if not rows_:
                mixes[m.name] = {"label": m.label, "rows": [], "total": 0}
                continue
            released_counts = protect_counts([r["registry"] for r in rows_], threshold)
            total_key = sum(r["registry_key"] for r in rows_)
            mixes[m.name] = {
                "label": m.label,
                "rows": [
                    {
                        "category": r["category"],
                        "label": category_label(definition, m.value, str(r["category"])),
                        "count": None
                        if hidden
                        else release.count(r["registry"], r["registry_key"]),
                    }
                    for r, hidden in zip(rows_, released_counts.hidden[:-1], strict=True)
                ],
                "total": None
                if released_counts.hidden[-1]
                else release.count(sum(r["registry"] for r in rows_), total_key),
            }
        facilities = int(aggregates.profiles.filter(pl.col("recent_cases") >= 0).height)
        value = self._value(registry, None)
        for item in value["pooled"]:
            if item["cases"] < threshold:
                item["cases"] = None
            if item["k"] < threshold:  # facility counts are released counts too
                item["k"] = None
                if item.get("pooled"):
                    item["pooled"] = {
                        k: v for k, v in item["pooled"].items() if k not in ("k", "df", "q_df")
                    }
        value["confidence"] = {
            key: test
            if (test.get("n") or 0) >= threshold
            else {"status": "suppressed (small count)"}
            for key, test in value["confidence"].items()
        }
        return {
            "registry": registry,
            "facilities": facilities if facilities >= threshold else None,
            "cases_by_stratum": table,
            "mix": mixes,
            "value": value,
            "cost_assumption": self.cost.describe(),
            "suppression_threshold": threshold,
            "disclosure": release.table.note(),
        }


def _released_table(
    counts: npt.NDArray[np.int64], keys: npt.NDArray[Any], release: Release
) -> list[list[int | None]]:
    """Return a cross table with its margins as released: small cells and their complements
    hidden (None), every other cell perturbed by the record keys of its cases."""
    hidden = protect_table(counts, release.threshold).hidden
    rows, cols = counts.shape
    extended = np.zeros((rows + 1, cols + 1), dtype=object)
    extended_keys = np.zeros((rows + 1, cols + 1), dtype=object)
    for target, source in ((extended, counts.astype(object)), (extended_keys, keys)):
        target[:rows, :cols] = source
        target[:rows, cols] = source.sum(axis=1)
        target[rows, :cols] = source.sum(axis=0)
        target[rows, cols] = source.sum()
    return [
        [
            None if hidden[i, j] else release.count(int(extended[i, j]), int(extended_keys[i, j]))
            for j in range(cols + 1)
        ]
        for i in range(rows + 1)
    ]


#: the filters of a dashboard besides the strata of the registry's analytics spec
PERIOD_FILTERS = ("period_from", "period_to")


def filter_names(spec: AnalyticsSpec) -> list[str]:
    """Return the names a facility dashboard may be filtered by: strata, then the period."""
    return [*spec.strata, *PERIOD_FILTERS]


def _filters(spec: AnalyticsSpec, given: Mapping[str, str | None]) -> dict[str, str | None]:
    """Return the filters as given; InvalidRequest naming the allowed ones when a name is not
    a stratum of the registry's analytics spec nor a period bound (never silently dropped)."""
    allowed = filter_names(spec)
    unknown = sorted(name for name in given if name not in allowed)
    if unknown:
        raise InvalidRequest(
            f"cannot filter by {', '.join(map(repr, unknown))}: this registry's dashboard "
            f"filters by {', '.join(allowed)}"
        )
    return {name: (value or None) for name, value in given.items()}


def _date(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _narrowed(
    facts: pl.LazyFrame, narrow: dict[str, str], period: tuple[dt.date | None, dt.date | None]
) -> pl.LazyFrame:
    """Return the fact rows of the cases in a multi-valued stratum and a period."""
    for name, code in narrow.items():
        facts = facts.filter(pl.col(f"s_{name}").list.contains(code))
    start, end = period
    if start is not None:
        facts = facts.filter(pl.col("case_date") >= start)
    if end is not None:
        facts = facts.filter(pl.col("case_date") <= end)
    return facts


METHODS = {
    "quantiles": "type 7 (linear interpolation)",
    "percentile_rank": "mid-rank: 100·(below + 0.5·equal)/n over facilities with enough cases",
    "funnel": "exact binomial limits (Spiegelhalter 2005) at 95% and 99.8%",
    "pooling": "REML random effects, Hartung-Knapp CI, prediction interval on t(k-2)",
    "eligible": "only complete and locked cases count",
}
