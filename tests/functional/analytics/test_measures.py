"""Every measure of the 3dp spec on a small hand-built registry, stored in a real database.

The cases of tests/support/analytics.py are stored through the case service; the fact table is
built from the database and the aggregates computed with ``min_cases=5``. Expected figures come
from the case tuples themselves (numpy's type-7 percentiles, hand-written values where short),
never from the code under test. FD has only 4 cases, so it is below the minimum everywhere.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import pytest
from scipy import stats as sps  # type: ignore[import-untyped]
from tests.support import analytics as data
from tests.support.analytics import CASES, FACILITIES, GUIDE, MODEL, REG, Case, facilities_frame

from printreg.analytics import benchmark
from printreg.analytics.benchmark import TOO_FEW, Stratum
from printreg.analytics.facts import FactBuilder
from printreg.analytics.measures import Aggregates, FacilityFigures, compute, facility_figures
from printreg.dictionary import Definition
from printreg.dictionary.analytics import (
    AnalyticsSpec,
    Measure,
    Success,
    default_spec,
    shipped_spec,
)

MIN_CASES = 5


def q7(values: list[float], q: float) -> float:
    """Type-7 quantile (numpy's 'linear')."""
    return float(np.percentile(np.asarray(values, dtype=float), 100 * q, method="linear"))


def _per(value: int | None, by: int) -> float | None:
    return None if value is None else value / by


def _assessment(index: int) -> Callable[[Case], float | None]:
    return lambda c: None if c.assessment is None else c.assessment[index]


#: Continuous measures: the value of each case (None: not measured), read off the case tuples.
CONTINUOUS: dict[str, Callable[[Case], float | None]] = {
    "parts_per_case": lambda c: c.parts,
    "effort_total": lambda c: c.effort_total,
    "effort_clinician": lambda c: c.clinician,
    "effort_nonclinician": lambda c: c.nonclinician,
    "effort_total_per_part": lambda c: _per(c.effort_total, c.parts),
    "effort_clinician_per_part": lambda c: _per(c.clinician, c.parts),
    "effort_nonclinician_per_part": lambda c: c.nonclinician / c.parts,
    # the 'unknown' clinician activity is segmentation; consultation then holds 20 minutes
    "effort_consultation_clinician": lambda c: 20 if c.clinician is None else c.clinician - 10,
    "effort_segmentation_clinician": lambda c: None if c.clinician is None else 5,
    "effort_segmentation_nonclinician": lambda c: c.nonclinician - 40,
    "effort_cad_nonclinician": lambda _: 20,
    "turnaround": lambda c: c.turnaround,
    "time_saved": _assessment(1),
    "confidence_gain": lambda c: (
        None if c.assessment is None else c.assessment[3] - c.assessment[2]
    ),
    "fluoro_time_saved": lambda _: None,
}

#: Proportions: True/False per case in the denominator, None outside it.
PROPORTIONS: dict[str, Callable[[Case], bool | None]] = {
    "assessed": lambda c: c.assessment is not None,  # among every case
    "plan_altered": lambda c: None if c.assessment is None else c.assessment[0] >= 4,
    "multi_modality": lambda c: len(c.modalities) >= 2,  # among every case
    "cpt_match": lambda c: None if c.billed is None else c.billed == "match",
}


def values_of(cases: list[Case], measure: str) -> list[float]:
    """The non-missing values of a continuous measure over some cases."""
    return [v for c in cases if (v := CONTINUOUS[measure](c)) is not None]


def counts_of(cases: list[Case], measure: str) -> tuple[int, int]:
    """(denominator, successes) of a proportion over some cases."""
    outcomes = [o for c in cases if (o := PROPORTIONS[measure](c)) is not None]
    return len(outcomes), sum(outcomes)


@dataclass
class Built:
    spec: AnalyticsSpec
    facts: pl.DataFrame
    aggregates: Aggregates
    ids: dict[str, int]

    def row(self, frame: pl.DataFrame, level: int, **strata: str) -> dict[str, Any]:
        """The single row of a per-stratum frame at a level with the given stratum values."""
        out = frame.filter(pl.col("level") == level)
        for name in ("object_type", "organ_system"):
            column = pl.col(f"s_{name}")
            out = out.filter(column == strata[name] if name in strata else column.is_null())
        assert out.height == 1, out
        return out.row(0, named=True)

    def facility_row(self, code: str, level: int = 0, **strata: str) -> dict[str, Any]:
        frame = self.aggregates.facility.filter(pl.col("facility_id") == self.ids[code])
        return self.row(frame, level, **strata)

    def figures(self, code: str) -> FacilityFigures:
        """A facility's own detail, from its rows of the fact table."""
        own = self.facts.filter(pl.col("facility_id") == self.ids[code])
        return facility_figures(own, self.spec, self.aggregates.levels)

    def detail_row(self, code: str, level: int = 0, **strata: str) -> dict[str, Any]:
        return self.row(self.figures(code).detail, level, **strata)


@pytest.fixture(scope="module", params=data.DATABASES)
def stored(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[data.Stored]:
    """The hand-built registry, stored once per database for this module."""
    yield from data.stored_registry(request, tmp_path_factory)


def _build(stored: data.Stored, spec_of: Callable[[Definition], AnalyticsSpec]) -> Built:
    platform = stored.platform(stored.folder)
    try:
        runtime = platform.registry(REG)
        spec = spec_of(runtime.current)
        with platform.engine.connect() as connection:
            facts = FactBuilder(runtime.tables, runtime.current, spec).build(connection)
    finally:
        platform.close()
    ids = stored.loaded.facility_ids
    aggregates = compute(facts, spec, facilities_frame(ids), min_cases=MIN_CASES)
    return Built(spec, facts, aggregates, ids)


@pytest.fixture(scope="module")
def built(stored: data.Stored) -> Built:
    """The fact table of the stored registry, built from the database, and its aggregates."""
    return _build(stored, shipped_spec)


# -- the fact table ---------------------------------------------------------------------------


def test_facts_hold_complete_and_locked_cases_only(built: Built) -> None:
    per_facility = dict(built.facts.group_by("facility_id").len().iter_rows())
    assert per_facility == {built.ids[f]: len(data.of(f)) for f in FACILITIES}
    # the draft (14,000 min) and the deleted case (12,000 min) would stand out; the locked
    # FA-05 (320 min, Q1) is in
    fa = built.facts.filter(pl.col("facility_id") == built.ids["FA"])
    assert sorted(fa["m_effort_total"].drop_nulls().to_list()) == sorted(
        values_of(data.of("FA"), "effort_total")
    )
    assert built.facts["m_effort_total"].max() == 800.0
    assert built.facts["m_turnaround"].max() == 15.0


def test_facts_carry_each_case_as_written(built: Built) -> None:
    def key(
        period: dt.date, effort: float | None, plan: bool | None, cpt: bool | None, parts: float
    ) -> tuple[Any, ...]:
        return (period, -1 if effort is None else effort, str(plan), str(cpt), parts)

    for code, facility_id in built.ids.items():
        rows = built.facts.filter(pl.col("facility_id") == facility_id)
        got = sorted(
            key(*r)
            for r in rows.select(
                "period", "m_effort_total", "m_plan_altered", "m_cpt_match", "m_parts_per_case"
            ).iter_rows()
        )
        expected = sorted(
            key(
                dt.date(c.request.year, 3 * ((c.request.month - 1) // 3) + 1, 1),
                c.effort_total,
                PROPORTIONS["plan_altered"](c),
                PROPORTIONS["cpt_match"](c),
                c.parts,
            )
            for c in data.of(code)
        )
        assert got == expected, code


def test_facts_of_a_facility_without_cases_keep_their_types(
    stored: data.Stored, built: Built
) -> None:
    # a facility whose every case was deleted is reloaded as an empty frame: it must still
    # merge with the other facilities' rows (untyped empty columns broke every dashboard)
    platform = stored.platform(stored.folder)
    try:
        runtime = platform.registry(REG)
        with platform.engine.connect() as connection:
            empty = FactBuilder(runtime.tables, runtime.current, built.spec).build(
                connection, [max(built.ids.values()) + 1]
            )
    finally:
        platform.close()
    assert empty.height == 0
    assert empty.schema == built.facts.schema


# -- facility figures -------------------------------------------------------------------------


def test_facility_effort_by_hand(built: Built) -> None:
    # FA's total effort, one case unknown: 110 145 150 200 220 230 260 320 390 395 500
    row = built.facility_row("FA")
    assert row["cases"] == 12
    assert row["effort_total__n"] == 11
    assert row["effort_total__median"] == 230.0
    detail = built.detail_row("FA")
    assert (detail["cases"], detail["effort_total__n"], detail["effort_total__median"]) == (
        12,
        11,
        230.0,
    )
    assert detail["effort_total__q1"] == 175.0  # position 3.5: (150 + 200) / 2
    assert detail["effort_total__q3"] == 355.0  # position 8.5: (320 + 390) / 2
    # per part: 260/1 200/2 390/3 150/1 320/2 230/1 220/1 500/4 110/2 145/1 395/3 → median 145
    assert row["effort_total_per_part__n"] == 11
    assert row["effort_total_per_part__median"] == 145.0


@pytest.mark.parametrize("code", list(FACILITIES))
def test_facility_continuous_figures(built: Built, code: str) -> None:
    row = built.facility_row(code)
    detail = built.detail_row(code)
    for measure in CONTINUOUS:
        values = values_of(data.of(code), measure)
        assert row[f"{measure}__n"] == detail[f"{measure}__n"] == len(values), measure
        if not values:
            assert row[f"{measure}__median"] is None, measure
            assert detail[f"{measure}__median"] is None, measure
            continue
        median = statistics.median(values)
        assert row[f"{measure}__median"] == pytest.approx(median), measure
        assert detail[f"{measure}__median"] == pytest.approx(median), measure
        assert detail[f"{measure}__q1"] == pytest.approx(q7(values, 0.25)), measure
        assert detail[f"{measure}__q3"] == pytest.approx(q7(values, 0.75)), measure
        assert detail[f"{measure}__mean"] == pytest.approx(statistics.fmean(values)), measure
        sd = statistics.stdev(values) if len(values) > 1 else None
        assert detail[f"{measure}__sd"] == pytest.approx(sd), measure


def test_proportions_by_hand(built: Built) -> None:
    fa = built.facility_row("FA")
    # FA: 9 of 12 cases assessed; plan altered (Likert 5 4 2 3 4 5 1 4 5) ≥ 4 in 6 of the 9;
    # 3 of 12 cases from two modalities; billed codes on 10 cases, one of them mismatched
    assert (fa["assessed__n"], fa["assessed__x"]) == (12, 9)
    assert (fa["plan_altered__n"], fa["plan_altered__x"]) == (9, 6)
    assert (fa["multi_modality__n"], fa["multi_modality__x"]) == (12, 3)
    assert (fa["cpt_match__n"], fa["cpt_match__x"]) == (10, 9)


@pytest.mark.parametrize("measure", list(PROPORTIONS))
def test_proportions_per_facility_and_registry(built: Built, measure: str) -> None:
    for code in FACILITIES:
        row = built.facility_row(code)
        assert (row[f"{measure}__n"], row[f"{measure}__x"]) == counts_of(data.of(code), measure)
    registry = built.row(built.aggregates.registry, 0)
    assert (registry[f"{measure}__n"], registry[f"{measure}__x"]) == counts_of(CASES, measure)
    assert registry["facilities"] == 4
    assert registry["cases"] == len(CASES)


def test_stratum_level_figures(built: Built) -> None:
    models = [c for c in data.of("FA") if c.object_type == MODEL]
    row = built.facility_row("FA", 1, object_type=MODEL)
    assert row["cases"] == len(models) == 10
    assert row["effort_total__median"] == pytest.approx(
        statistics.median(values_of(models, "effort_total"))
    )
    assert (row["plan_altered__n"], row["plan_altered__x"]) == counts_of(models, "plan_altered")
    cardiac_models = [c for c in models if c.organ == "cardiac"]
    row = built.facility_row("FA", 2, object_type=MODEL, organ_system="cardiac")
    assert row["cases"] == len(cardiac_models) == 7
    assert row["turnaround__median"] == pytest.approx(
        statistics.median(values_of(cardiac_models, "turnaround"))
    )


# -- registry and peer distributions ----------------------------------------------------------


def _eligible_medians(
    measure: str, codes: list[str], keep: Callable[[Case], bool] = lambda _: True
) -> list[float]:
    """Medians of the facilities with at least MIN_CASES values."""
    out = []
    for code in codes:
        values = values_of([c for c in data.of(code) if keep(c)], measure)
        if len(values) >= MIN_CASES:
            out.append(statistics.median(values))
    return out


def test_registry_quartiles_of_facility_medians_by_hand(built: Built) -> None:
    # effort medians: FA 230, FB 192.5, FC 535; FD (4 cases) is not eligible
    registry = built.row(built.aggregates.registry, 0)
    assert registry["effort_total__k"] == 3
    assert registry["effort_total__p25"] == 211.25
    assert registry["effort_total__p50"] == 230.0
    assert registry["effort_total__p75"] == 382.5


@pytest.mark.parametrize("measure", [m for m in CONTINUOUS if m != "fluoro_time_saved"])
def test_registry_and_peer_quartiles(built: Built, measure: str) -> None:
    everyone = _eligible_medians(measure, list(FACILITIES))
    registry = built.row(built.aggregates.registry, 0)
    assert registry[f"{measure}__k"] == len(everyone)
    for q in (25, 50, 75):
        assert registry[f"{measure}__p{q}"] == pytest.approx(q7(everyone, q / 100)), (measure, q)
    peers = built.aggregates.peers
    for group in (["FA", "FB"], ["FC", "FD"]):
        medians = _eligible_medians(measure, group)
        key = built.aggregates.profiles.filter(pl.col("facility_id") == built.ids[group[0]])
        row = built.row(peers.filter(pl.col("peer_key") == key["peer_key"].item()), 0)
        assert row[f"{measure}__k"] == len(medians)
        assert row[f"{measure}__p50"] == pytest.approx(q7(medians, 0.5) if medians else None)


def test_stratum_quartiles_use_stratum_medians(built: Built) -> None:
    def is_model(c: Case) -> bool:
        return c.object_type == MODEL

    medians = _eligible_medians("effort_total", list(FACILITIES), is_model)
    row = built.row(built.aggregates.registry, 1, object_type=MODEL)
    assert row["effort_total__k"] == len(medians) == 3
    assert row["effort_total__p25"] == pytest.approx(q7(medians, 0.25))
    assert row["effort_total__p75"] == pytest.approx(q7(medians, 0.75))
    # guides: FA has 2, FB 1 → no facility reaches the minimum
    row = built.row(built.aggregates.registry, 1, object_type=GUIDE)
    assert row["effort_total__k"] == 0
    assert row["effort_total__p50"] is None


def test_peer_groups_and_volume_bands(built: Built) -> None:
    profiles = {r["facility_id"]: r for r in built.aggregates.profiles.iter_rows(named=True)}
    for code, profile in FACILITIES.items():
        row = profiles[built.ids[code]]
        assert row["recent_cases"] == len(data.of(code))
        assert row["volume_band"] == "low"
        expected = f"{profile.facility_type}|{profile.location}|{profile.census_region}|low"
        assert row["peer_key"] == expected


# -- benchmark comparisons --------------------------------------------------------------------


def _mid_rank(value: float, population: list[float]) -> float:
    below = sum(1 for v in population if v < value)
    equal = sum(1 for v in population if v == value)
    return 100 * (below + equal / 2) / len(population)


def _quartile(value: float, q1: float, q2: float, q3: float) -> int:
    return 1 if value <= q1 else 2 if value <= q2 else 3 if value <= q3 else 4


def _item(comparison: dict[str, Any], measure: str) -> dict[str, Any]:
    return next(m for m in comparison["measures"] if m["measure"] == measure)


def test_percentile_rank_and_quartile_by_hand(built: Built) -> None:
    # effort medians FB 192.5 < FA 230 < FC 535; registry quartiles 211.25 / 230 / 382.5
    expected = {"FA": (50.0, 2, 75.0), "FB": (100 / 6, 1, 25.0), "FC": (500 / 6, 4, 50.0)}
    for code, (rank, quartile, peer_rank) in expected.items():
        item = _item(
            benchmark.compare(built.aggregates, built.spec, built.ids[code]), "effort_total"
        )
        assert item["placement"]["percentile_rank"] == pytest.approx(rank), code
        assert item["placement"]["quartile"] == quartile, code
        assert item["placement"]["peer_percentile_rank"] == pytest.approx(peer_rank), code


@pytest.mark.parametrize("code", ["FA", "FB", "FC"])
def test_placement_of_every_continuous_measure(built: Built, code: str) -> None:
    comparison = benchmark.compare(built.aggregates, built.spec, built.ids[code])
    peers = ["FA", "FB"] if code in ("FA", "FB") else ["FC", "FD"]
    for measure in CONTINUOUS:
        item = _item(comparison, measure)
        values = values_of(data.of(code), measure)
        if len(values) < MIN_CASES:
            assert item["facility"] == {"n": len(values), "status": TOO_FEW}, measure
            assert item["placement"] == {}, measure
            continue
        median = statistics.median(values)
        assert item["facility"]["median"] == pytest.approx(median), measure
        everyone = _eligible_medians(measure, list(FACILITIES))
        quartiles = [q7(everyone, q) for q in (0.25, 0.5, 0.75)]
        placement = item["placement"]
        assert placement["percentile_rank"] == pytest.approx(_mid_rank(median, everyone)), measure
        assert placement["quartile"] == _quartile(median, *quartiles), measure
        peer_medians = _eligible_medians(measure, peers)
        assert placement["peer_percentile_rank"] == pytest.approx(
            _mid_rank(median, peer_medians)
        ), measure


def test_minimum_case_rule(built: Built) -> None:
    fd = benchmark.compare(built.aggregates, built.spec, built.ids["FD"])
    assert fd["cases"] == 4
    for item in fd["measures"]:
        assert item["facility"]["status"] == TOO_FEW, item["measure"]
        assert set(item["facility"]) == {"n", "status"}, item["measure"]
        assert item["placement"] == {}, item["measure"]
    # FA has 9 time-saved values overall but only 2 among guides
    fa_guides = benchmark.compare(
        built.aggregates, built.spec, built.ids["FA"], Stratum.of({"object_type": GUIDE})
    )
    assert fa_guides["cases"] == 2
    assert _item(fa_guides, "time_saved")["facility"] == {"n": 2, "status": TOO_FEW}
    fa = benchmark.compare(built.aggregates, built.spec, built.ids["FA"])
    assert _item(fa, "time_saved")["facility"]["n"] == 9
    assert _item(fa, "time_saved")["facility"]["median"] == 20.0
    # and FD is on no funnel plot
    points = benchmark.funnel_points(built.aggregates, "assessed")
    assert sorted(p["facility_id"] for p in points) == sorted(
        built.ids[code] for code in ("FA", "FB", "FC")
    )


def test_proportion_comparison_and_exact_funnel_limits(built: Built) -> None:
    for code in ("FA", "FB", "FC"):
        comparison = benchmark.compare(built.aggregates, built.spec, built.ids[code])
        for measure in PROPORTIONS:
            item = _item(comparison, measure)
            n, x = counts_of(data.of(code), measure)
            total_n, total_x = counts_of(CASES, measure)
            p0 = total_x / total_n
            assert item["registry"]["p"] == pytest.approx(p0)
            if n < MIN_CASES:
                assert item["facility"] == {"n": n, "status": TOO_FEW}
                continue
            assert item["facility"]["p"] == pytest.approx(x / n)
            limits = item["placement"]["limits"]
            for name, level in (("95", 0.95), ("99.8", 0.998)):
                tail = (1 - level) / 2
                assert limits[name]["low"] == pytest.approx(_exact(p0, n, tail))
                assert limits[name]["high"] == pytest.approx(_exact(p0, n, 1 - tail))
            assert item["placement"]["flag"] == _flag(x / n, p0, n)


# -- mixes, trend, completeness ---------------------------------------------------------------


TECHNOLOGY = {p.label: p.technology for p in data.PRINTERS}
BANDS = {"cardiac_dorv": "usually_appropriate", "vascular_acute_pe": "rarely_appropriate"}


def _coding(units: dict[str, int]) -> str:
    return " + ".join(f"{code}×{n}" for code, n in sorted(units.items()))


MIXES: dict[str, Callable[[Case], list[str]]] = {
    "object_type_mix": lambda c: [c.object_type],
    "organ_system_mix": lambda c: [c.organ],
    "intended_use_mix": lambda c: list(c.uses),
    "modality_mix": lambda c: list(c.modalities),
    "technology_mix": lambda c: [TECHNOLOGY[p] for p in c.printers or (f"{c.facility}-P1",)],
    "material_mix": lambda c: [
        "pla" if p.endswith("P1") else "clear_photopolymer"
        for p in c.printers or (f"{c.facility}-P1",)
    ],
    "segmentation_software_mix": lambda _: ["slicer_3d"],
    "cad_software_mix": lambda _: ["none"],
    "cpt_suggested_mix": lambda c: [_coding(c.suggested)],
    "appropriateness_mix": lambda c: [BANDS.get(c.scenario or "", "not linked")],
}


@pytest.mark.parametrize("measure", list(MIXES))
def test_mixes(built: Built, measure: str) -> None:
    own = Counter(v for c in data.of("FA") for v in MIXES[measure](c))
    everyone = Counter(v for c in CASES for v in MIXES[measure](c))
    rows = benchmark.mix(built.aggregates, measure, built.figures("FA"))
    assert {r["category"]: r["count"] for r in rows} == {k: own.get(k, 0) for k in everyone}
    assert {r["category"]: r["registry"] for r in rows} == dict(everyone)
    for row in rows:
        assert row["share"] == pytest.approx(own.get(row["category"], 0) / own.total())
        assert row["registry_share"] == pytest.approx(everyone[row["category"]] / everyone.total())


def test_mix_by_hand_and_within_a_stratum(built: Built) -> None:
    technology = {
        r["category"]: r["count"]
        for r in benchmark.mix(built.aggregates, "technology_mix", built.figures("FA"))
    }
    # FA: 12 cases, 13 prints (FA-02 printed on both printers)
    assert technology == {
        "vat_photopolymerization": 12,
        "material_jetting": 1,
        "material_extrusion": 0,
    }
    guides = benchmark.mix(
        built.aggregates,
        "organ_system_mix",
        built.figures("FA"),
        Stratum.of({"object_type": GUIDE}),
    )
    assert {r["category"]: (r["count"], r["registry"]) for r in guides} == {
        "musculoskeletal": (2, 3)
    }
    bands = benchmark.mix(built.aggregates, "appropriateness_mix")
    assert {r["category"]: r["count"] for r in bands} == {
        "not linked": 32,
        "usually_appropriate": 1,
        "rarely_appropriate": 1,
    }


def _quarter(day: dt.date) -> str:
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def test_trend_per_quarter(built: Built) -> None:
    quarters = sorted({_quarter(c.request) for c in CASES})
    assert quarters == ["2024 Q1", "2024 Q2", "2024 Q3"]
    own = built.figures("FA").trend
    effort = benchmark.trend(built.aggregates, built.spec.by_name["effort_total"], own)
    plan = benchmark.trend(built.aggregates, built.spec.by_name["plan_altered"], own)
    assert [p["quarter"] for p in effort] == quarters
    assert [p["quarter"] for p in plan] == quarters
    for point, plan_point in zip(effort, plan, strict=True):
        everyone = [c for c in CASES if _quarter(c.request) == point["quarter"]]
        mine = [c for c in everyone if c.facility == "FA"]
        values = values_of(mine, "effort_total")
        assert point["n"] == len(values)
        assert point["facility"] == pytest.approx(statistics.median(values))
        assert point["registry"] == pytest.approx(
            statistics.median(values_of(everyone, "effort_total"))
        )
        n, x = counts_of(mine, "plan_altered")
        total_n, total_x = counts_of(everyone, "plan_altered")
        assert plan_point["n"] == n
        assert plan_point["facility"] == pytest.approx(x / n)
        assert plan_point["registry"] == pytest.approx(total_x / total_n)
    # by hand: FA's Q3 cases are FA-10 (145 min), FA-11 (unknown) and FA-12 (395 min)
    assert (effort[2]["n"], effort[2]["facility"]) == (2, 270.0)


#: element → whether a case holds a value for it
COMPLETE: dict[str, Callable[[Case], bool]] = {
    "local_case_id": lambda _: True,
    "delivery_date": lambda c: c.turnaround is not None,
    "guide_type": lambda c: c.object_type == GUIDE,
    "appropriateness_scenario": lambda c: c.scenario is not None,
    "billed_codes": lambda c: c.billed is not None,
    "time_saved_min": lambda c: c.assessment is not None,
    "effort_segmentation_clinician_min": lambda c: c.clinician is not None,
    "fluoro_time_saved_min": lambda _: False,
    "source_modalities": lambda _: True,
    "indication_icd10": lambda _: False,
}


def test_completeness(built: Built) -> None:
    rows = {r["element"]: r for r in benchmark.completeness(built.aggregates, built.ids["FA"])}
    fa = data.of("FA")
    for element, holds in COMPLETE.items():
        assert rows[element]["facility"] == pytest.approx(sum(map(holds, fa)) / len(fa)), element
        assert rows[element]["registry"] == pytest.approx(sum(map(holds, CASES)) / len(CASES)), (
            element
        )
    # by hand: FA-08 has no delivery date; 9 of FA's 12 cases are assessed
    assert rows["delivery_date"]["facility"] == pytest.approx(11 / 12)
    assert rows["time_saved_min"]["facility"] == pytest.approx(9 / 12)
    # answered 'unknown' is counted apart: neither filled nor empty
    segmentation = rows["effort_segmentation_clinician_min"]
    unknown_fa = sum(c.clinician is None for c in fa)
    assert unknown_fa > 0
    assert segmentation["reason_facility"] == pytest.approx(unknown_fa / len(fa))
    assert segmentation["reason_registry"] == pytest.approx(
        sum(c.clinician is None for c in CASES) / len(CASES)
    )
    assert segmentation["facility"] + segmentation["reason_facility"] == pytest.approx(1.0)
    assert "reason_facility" not in rows["delivery_date"]  # takes no reasons


# -- the generic spec -------------------------------------------------------------------------


def test_default_spec_runs_end_to_end(stored: data.Stored) -> None:
    generic = _build(stored, default_spec)
    assert generic.facts.height == len(CASES)
    comparison = benchmark.compare(generic.aggregates, generic.spec, generic.ids["FB"])
    assert comparison["cases"] == 10
    assert _item(comparison, "guide_count")["facility"] == {"n": 1, "status": TOO_FEW}
    gain = _item(comparison, "confidence_gain")
    fb_gains = values_of(data.of("FB"), "confidence_gain")
    assert gain["facility"]["median"] == pytest.approx(statistics.median(fb_gains))
    organs = benchmark.mix(generic.aggregates, "organ_system_mix", generic.figures("FB"))
    assert {r["category"]: r["count"] for r in organs} == {
        "cardiac": 7,
        "vascular": 2,
        "musculoskeletal": 1,
    }
    # the generic strata: patient sex, then organ system
    assert generic.aggregates.levels == ((), ("patient_sex",), ("patient_sex", "organ_system"))


# -- funnel flags and ties, on a fact table written by hand (no database) ---------------------

TOY = AnalyticsSpec(
    registry="toy",
    measures=[
        Measure(name="p", label="P", kind="proportion", value="v", success=Success(present=True)),
        Measure(name="t", label="T", kind="continuous", value="w"),
    ],
)
#: (cases, successes, median of t) per facility; p0 = 250/500 = 0.5 over the first ten
TOY_FACILITIES = [
    (50, 5, 10.0),
    (50, 16, 20.0),
    (50, 20, 20.0),
    (50, 22, 20.0),
    (50, 25, 30.0),
    (50, 25, 30.0),
    (50, 28, 40.0),
    (50, 30, 40.0),
    (50, 34, 50.0),
    (50, 45, 60.0),
    (2, 2, 99.0),  # below the minimum: no figure, no funnel point, not in the quartiles
]


def _toy() -> Aggregates:
    rows = []
    for facility_id, (n, x, median) in enumerate(TOY_FACILITIES, start=1):
        for k in range(n):
            t = median + (k - 1) if k < 3 else None  # three values: median − 1, median, + 1
            rows.append((facility_id, dt.date(2024, 1, 1), k < x, t))
    facts = pl.DataFrame(
        rows,
        schema={"facility_id": pl.Int64, "period": pl.Date, "m_p": pl.Boolean, "m_t": pl.Float64},
        orient="row",
    )
    facilities = pl.DataFrame(
        {
            "facility_id": list(range(1, len(TOY_FACILITIES) + 1)),
            "code": [f"T{i}" for i in range(1, len(TOY_FACILITIES) + 1)],
            "facility_type": "academic",
            "location": "rural",
            "census_region": "west",
        }
    )
    return compute(facts, TOY, facilities, min_cases=3)


def _exact(p0: float, n: int, p: float) -> float:
    """Spiegelhalter's interpolated exact limit, with scipy's binomial cdf."""
    r = 0
    while sps.binom.cdf(r, n, p0) < p:
        r += 1
    at, below = sps.binom.cdf(r, n, p0), sps.binom.cdf(r - 1, n, p0)
    return float(min(max((r - (at - p) / (at - below)) / n, 0.0), 1.0))


def _flag(p: float, p0: float, n: int) -> str:
    high998, high95 = _exact(p0, n, 0.999), _exact(p0, n, 0.975)
    low998, low95 = _exact(p0, n, 0.001), _exact(p0, n, 0.025)
    if p > high998:
        return "above 99.8% limit"
    if p > high95:
        return "above 95% limit"
    if p < low998:
        return "below 99.8% limit"
    if p < low95:
        return "below 95% limit"
    return "within limits"


def test_funnel_flags_against_exact_binomial_limits() -> None:
    aggregates = _toy()
    total_n = sum(n for n, _, _ in TOY_FACILITIES)
    total_x = sum(x for _, x, _ in TOY_FACILITIES)
    p0 = total_x / total_n
    flags = {}
    for facility_id, (n, x, _) in enumerate(TOY_FACILITIES, start=1):
        item = _item(benchmark.compare(aggregates, TOY, facility_id), "p")
        assert item["registry"]["p"] == pytest.approx(p0)
        if n < 3:
            assert item["facility"] == {"n": n, "status": TOO_FEW}
            assert item["placement"] == {}
            continue
        limits = item["placement"]["limits"]
        assert limits["95"]["low"] == pytest.approx(_exact(p0, n, 0.025))
        assert limits["95"]["high"] == pytest.approx(_exact(p0, n, 0.975))
        assert limits["99.8"]["low"] == pytest.approx(_exact(p0, n, 0.001))
        assert limits["99.8"]["high"] == pytest.approx(_exact(p0, n, 0.999))
        flags[facility_id] = item["placement"]["flag"]
        assert flags[facility_id] == _flag(x / n, p0, n), facility_id
    # the data reach every band of the funnel
    assert set(flags.values()) == {
        "above 99.8% limit",
        "above 95% limit",
        "within limits",
        "below 95% limit",
        "below 99.8% limit",
    }
    points = benchmark.funnel_points(aggregates, "p")
    assert [(p["facility_id"], p["n"]) for p in sorted(points, key=lambda p: p["facility_id"])] == [
        (i, 50) for i in range(1, 11)
    ]


def test_percentile_ranks_with_ties() -> None:
    aggregates = _toy()
    medians = [m for n, _, m in TOY_FACILITIES if n >= 3]
    q1, q2, q3 = (q7(medians, q) for q in (0.25, 0.5, 0.75))
    assert (q1, q2, q3) == (20.0, 30.0, 40.0)
    for facility_id, (n, _, median) in enumerate(TOY_FACILITIES, start=1):
        item = _item(benchmark.compare(aggregates, TOY, facility_id), "t")
        if n < 3:
            assert item["placement"] == {}
            continue
        assert item["facility"]["median"] == median
        assert item["registry"] == {"facilities": 10, "p25": q1, "p50": q2, "p75": q3}
        placement = item["placement"]
        assert placement["percentile_rank"] == pytest.approx(_mid_rank(median, medians))
        assert placement["quartile"] == _quartile(median, q1, q2, q3)
    # by hand: 20 ties with three others below one (10): 100·(1 + 3/2)/10 = 25, on Q1 → 1
    second = _item(benchmark.compare(aggregates, TOY, 2), "t")["placement"]
    assert second == {"percentile_rank": 25.0, "quartile": 1, "peer_percentile_rank": 25.0}


def test_volume_band_counts_the_last_four_quarters() -> None:
    # latest quarter 2024 Q4: the band counts cases from 2024-01-01 on
    quarters = [
        dt.date(2022, 10, 1),
        dt.date(2023, 10, 1),
        dt.date(2024, 1, 1),
        dt.date(2024, 10, 1),
    ]
    plan = {1: [0, 0, 15, 15], 2: [20, 0, 5, 5], 3: [0, 30, 0, 1], 4: [0, 0, 50, 60]}
    rows = [
        (facility_id, quarter, True, 1.0)
        for facility_id, counts in plan.items()
        for quarter, n in zip(quarters, counts, strict=True)
        for _ in range(n)
    ]
    facts = pl.DataFrame(
        rows,
        schema={"facility_id": pl.Int64, "period": pl.Date, "m_p": pl.Boolean, "m_t": pl.Float64},
        orient="row",
    )
    facilities = pl.DataFrame(
        {
            "facility_id": [1, 2, 3, 4, 5],
            "code": ["T1", "T2", "T3", "T4", "T5"],
            "facility_type": "academic",
            "location": "rural",
            "census_region": "west",
        }
    )
    dated = TOY.model_copy(update={"period": "seen_on"})  # the facts carry each case's quarter
    profiles = compute(facts, dated, facilities, min_cases=3).profiles
    got = {
        r["facility_id"]: (r["recent_cases"], r["volume_band"])
        for r in profiles.iter_rows(named=True)
    }
    # bands: < 25 low, < 100 medium, < 400 high
    assert got == {
        1: (30, "medium"),
        2: (10, "low"),
        3: (1, "low"),
        4: (110, "high"),
        5: (0, "low"),
    }
    keys = dict(profiles.select("facility_id", "peer_key").iter_rows())
    assert keys[1] == "academic|rural|west|medium"
    assert keys[2] == keys[3] == keys[5] == "academic|rural|west|low"
