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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import select

from printreg.accounts.actor import CASE_READERS, Actor
from printreg.analytics import benchmark
from printreg.analytics.benchmark import Stratum
from printreg.analytics.disclosure import protect_counts
from printreg.analytics.facts import FactBuilder
from printreg.analytics.measures import Aggregates, compute_batches, facility_figures
from printreg.analytics.release import Release
from printreg.analytics.store import RegistryAnalytics, aggregate_with
from printreg.analytics.value import (
    VALUE_COLUMNS,
    CostAssumption,
    PooledStratum,
    confidence_gain,
    pool_strata,
    value_facts,
)
from printreg.dashboards import filters, released
from printreg.dashboards.headline import headlines, peer_group_words
from printreg.dashboards.schemas import (
    FacilityDashboard,
    PublicSummary,
    Reason,
    RefreshOut,
    RegistryOverview,
    ValueEvidence,
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


@dataclass(frozen=True)
class DatabaseFacts:
    """The registry's case tables as the snapshot's :class:`FactSource`: facility sizes in
    one grouped count, facts a batch of facilities at a time (one connection per call)."""

    platform: Platform
    builder: FactBuilder

    def sizes(self) -> dict[int, int]:
        """Return the reportable cases of each facility."""
        with self.platform.engine.connect() as connection:
            return self.builder.sizes(connection)

    def load(self, facility_ids: Sequence[int] | None) -> pl.DataFrame:
        """Return the facts of the given facilities (None: every one)."""
        with self.platform.engine.connect() as connection:
            return self.builder.build(connection, facility_ids)


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

        settings = self.platform.settings
        generation, started = cache.store.generation, time.perf_counter()
        aggregates = cache.store.refresh(
            current,
            DatabaseFacts(self.platform, builder),
            self._facilities(),
            spec_key=f"{cache.spec.version}:{runtime.current.version}",
            min_cases=settings.min_cases,
            compute_aggregates=aggregate_with(cache.spec, settings.min_cases),
        )
        if cache.store.generation != generation:  # rebuilt now, not served from the cache
            observe_analytics_refresh(time.perf_counter() - started)
        return runtime, cache.spec, aggregates

    def refresh(self, registry: str) -> RefreshOut:
        """Rebuild the registry's analytics now (registry administrators); return timings."""
        self.actor.require_platform_admin()
        started = time.perf_counter()
        _, _, aggregates = self.aggregates(registry)
        return RefreshOut(
            seconds=round(time.perf_counter() - started, 3),
            facilities=aggregates.profiles.height,
            rows=aggregates.facility.height,
        )

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
    ) -> FacilityDashboard:
        """Return a facility's benchmark dashboard: its figures beside registry and peers,
        and a plain-words headline per measure built from the released figures only.

        ``stratum`` holds the filters: the strata of the registry's analytics spec (code or
        label) and ``period_from``/``period_to``; any other name raises InvalidRequest."""
        facility = self._facility(facility_code)
        self._require_facility_reports(registry, facility)
        runtime, spec, aggregates = self.aggregates(registry)
        wanted = filters.checked(spec, stratum or {})
        period = (
            filters.date_of(wanted.pop("period_from", None), "period_from"),
            filters.date_of(wanted.pop("period_to", None), "period_to"),
        )
        narrow = self._narrowing(runtime, spec, aggregates, wanted)
        chosen = self._stratum(runtime, aggregates, wanted)
        facts = self._cache(runtime).store.scan()
        if narrow or period != (None, None):
            facts = filters.narrowed(facts, narrow, period)
            aggregates = self._narrowed_aggregates(registry, spec, aggregates, narrow, period)
        own_rows = facts.filter(pl.col("facility_id") == facility.id)
        own = facility_figures(own_rows.collect(), spec, aggregates.levels)
        release = self._release()
        comparison = benchmark.compare(aggregates, spec, facility.id, chosen, own, release)
        self._limit_distributions(comparison)
        definition = runtime.current
        mixes = {
            m.name: released.released_mix(
                m.label,
                released.labelled(
                    definition, m.value, benchmark.mix(aggregates, m.name, own, chosen)
                ),
                release,
            )
            for m in spec.measures
            if m.kind == "mix"
        }
        funnels = {
            m.name: released.released_funnel(
                benchmark.funnel_points(aggregates, m.name, chosen), facility.id, release
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
            comparison["period"] = {"from": filters.iso(period[0]), "to": filters.iso(period[1])}
        comparison["peer_group"]["description"] = peer_group_words(
            comparison["peer_group"]["dimensions"]
        )
        dashboard = FacilityDashboard.model_validate(
            {
                "registry": registry,
                "facility": {"code": facility.code, "name": facility.name},
                **comparison,
                "filters": [
                    {
                        "name": name,
                        "label": element_label(definition, name),
                        "code": code,
                        "value": category_label(definition, name, code),
                    }
                    for name, code in comparison["stratum"].items()
                ],
                "strata": self._strata_choices(runtime, spec),
                "mix": mixes,
                "funnel": funnels,
                "trend": trends,
                "completeness": released.completeness_labelled(
                    definition, benchmark.completeness(aggregates, facility.id, release)
                ),
                "value": self._value(registry, facility.id),
                "disclosure": release.table.note(),
                "cost_assumption": self.cost.describe(),
                "methods": released.METHODS,
                "report": list(spec.report),
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            }
        )
        return dashboard.model_copy(update={"headlines": headlines(dashboard, spec)})

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
        narrow: dict[str, str],
        period: tuple[dt.date | None, dt.date | None],
    ) -> Aggregates:
        """Return the aggregates of the cases in a narrower stratum (cached until a refresh),
        reading the snapshot a batch at a time."""
        cache = self.platform.analytics[registry]
        generation = cache.store.generation
        key = (generation, tuple(sorted(narrow.items())), period)
        found = cache.narrowed.get(key)
        if found is None:
            batches = (
                filters.narrowed(batch.lazy(), narrow, period).collect()
                for batch in cache.store.batches()
            )
            found = compute_batches(batches, spec, self._facilities(), min_cases=base.min_cases)
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
                        "status": Reason.TOO_FEW_FACILITIES,
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
                    item[side] = {"status": Reason.SMALL_COUNT}

    # -- value ------------------------------------------------------------------------------

    def _pooled(self, registry: str) -> tuple[list[PooledStratum], dict[str, Any]]:
        """Return the pooled strata and confidence tests (computed once per refresh)."""
        cache = self.platform.analytics[registry]
        if cache.spec.value is None:  # the registry declares no value evidence
            return [], {}
        if cache.pooled is None or cache.pooled[0] != cache.store.generation:
            facts = value_facts(cache.store.batches(VALUE_COLUMNS))
            pairs = facts.pairs.lazy()
            confidence = {v: confidence_gain(pairs, v) for v in facts.separates}
            strata = pool_strata(facts.effects)
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
            definition = self.platform.registry(registry).current
            label = element_label(definition, value.separate)
            apart = f"; {label.lower()}s never pooled together"
            for data in out:
                data["separate_label"] = category_label(
                    definition, value.separate, data["separate"]
                )
                data["by_label"] = category_label(definition, value.by, data["by"])
        return {
            "pooled": out,
            # the element published studies name their stratum by (the pooled one's 'separate')
            "separate": value.separate if value else None,
            "external": released.external_evidence(registry),
            "confidence": confidence,
            "method": "REML random effects with the Hartung-Knapp CI on the facility mean effect "
            f"(v = sd²/n, facilities with at least two values){apart}",
        }

    def value_evidence(self, registry: str) -> ValueEvidence:
        """Return pooled time saved, costs, confidence gain and external evidence (any user)."""
        self.aggregates(registry)  # brings the snapshot up to date
        value = self._value(registry, None)
        value["cost_assumption"] = self.cost.describe()
        return ValueEvidence.model_validate(value)

    # -- registry-wide and public -------------------------------------------------------------

    def registry_overview(self, registry: str) -> RegistryOverview:
        """Return every facility's headline figures (registry administrators only)."""
        self.actor.require_platform_admin()
        if not self.actor.sees_registry(registry):
            raise Forbidden("only this registry's administrators may see every facility")
        runtime, spec, aggregates = self.aggregates(registry)
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
        return RegistryOverview.model_validate(
            {
                "registry": registry,
                "measures": [
                    {"name": m.name, "label": m.label, "kind": m.kind, "unit": m.unit}
                    for m in headline
                ],
                "facilities": rows,
                "completeness": released.completeness_labelled(
                    runtime.current, benchmark.completeness(aggregates, None)
                ),
                "value": self._value(registry, None),
                "cost_assumption": self.cost.describe(),
            }
        )

    def public_summary(self, registry: str) -> PublicSummary:
        """Return the suppressed aggregates anyone may see: volumes, mixes, pooled value.

        Categories come with their labels from the definition (codes are for machines)."""
        runtime, spec, aggregates = self.aggregates(registry)
        definition = runtime.current
        threshold = self._threshold()
        release = self._release()
        table = released.cross_table(aggregates, definition, release)
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
            key: test if (test.get("n") or 0) >= threshold else {"status": Reason.SMALL_COUNT}
            for key, test in value["confidence"].items()
        }
        return PublicSummary.model_validate(
            {
                "registry": registry,
                "facilities": facilities if facilities >= threshold else None,
                "cases_by_stratum": table,
                "mix": mixes,
                "value": value,
                "cost_assumption": self.cost.describe(),
                "suppression_threshold": threshold,
                "disclosure": release.table.note(),
            }
        )
