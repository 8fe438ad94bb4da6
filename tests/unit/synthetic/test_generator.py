"""Tests for the synthetic registry generator: reproducibility, consistency and a realistic mix."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path
from statistics import fmean
from typing import Any

import pytest

import printreg.definitions
from printreg.dictionary.loader import load_definition
from printreg.domain.coding import billed_units, suggest_units
from printreg.privacy import scan_text
from printreg.synthetic import FacilityPlan, SyntheticRegistry
from printreg.validation import ValidationContext, validate_record

TODAY = dt.date(2025, 6, 30)
N = 20_000
Case = tuple[str, dict[str, Any]]
EFFORT = [
    f"effort_{a}_{s}_min"
    for a in ("consultation", "segmentation", "cad", "prep_post")
    for s in ("clinician", "nonclinician")
]


@pytest.fixture(scope="module")
def registry() -> SyntheticRegistry:
    return SyntheticRegistry(seed=42, facilities=30, today=TODAY)


@pytest.fixture(scope="module")
def cases(registry: SyntheticRegistry) -> list[Case]:
    return list(registry.cases(N))


@pytest.fixture(scope="module")
def complete(cases: list[Case]) -> list[dict[str, Any]]:
    return [rec for _, rec in cases if rec["status"] == "complete"]


def _share(items: list[Any], predicate: Any) -> float:
    return sum(1 for item in items if predicate(item)) / len(items)


# --- reproducibility --------------------------------------------------------------------------


def test_same_seed_gives_same_facilities_printers_and_cases() -> None:
    a = SyntheticRegistry(seed=7, facilities=12, today=TODAY)
    b = SyntheticRegistry(seed=7, facilities=12, today=TODAY)
    assert a.facilities == b.facilities
    assert a.printers == b.printers
    assert list(a.cases(500)) == list(b.cases(500))


def test_different_seeds_differ() -> None:
    a = SyntheticRegistry(seed=1, facilities=12, today=TODAY)
    b = SyntheticRegistry(seed=2, facilities=12, today=TODAY)
    assert a.facilities != b.facilities
    assert list(a.cases(50)) != list(b.cases(50))


def test_needs_a_facility() -> None:
    with pytest.raises(ValueError, match="at least one facility"):
        SyntheticRegistry(seed=1, facilities=0, today=TODAY)


# --- facilities and printers ------------------------------------------------------------------


def test_facilities_and_printers_are_plausible(registry: SyntheticRegistry) -> None:
    codes = [f.code for f in registry.facilities]
    assert codes == [f"F{k:04d}" for k in range(1, 31)]
    assert len({f.name for f in registry.facilities}) == 30
    for facility in registry.facilities:
        assert facility.facility_type in {
            "academic",
            "community",
            "childrens",
            "freestanding",
            "other",
        }
        assert facility.location in {"metropolitan", "suburban", "rural"}
        assert facility.census_region in {"northeast", "midwest", "south", "west"}
        assert facility.lab_service_model in {"radiology", "surgery", "engineering_core", "other"}
        assert facility.annual_volume >= 5
        assert not scan_text(facility.name)
        printers = [p for p in registry.printers if p.facility_code == facility.code]
        assert 1 <= len(printers) <= 6
        assert len({p.label for p in printers}) == len(printers)


def test_cases_come_from_facilities_in_proportion_to_volume(
    registry: SyntheticRegistry, cases: list[Case]
) -> None:
    counts = Counter(code for code, _ in cases)
    total_volume = sum(f.annual_volume for f in registry.facilities)
    biggest = max(registry.facilities, key=lambda f: f.annual_volume)
    expected = biggest.annual_volume / total_volume
    assert counts[biggest.code] / N == pytest.approx(expected, abs=0.02)
    assert all(rec["facility"] == code for code, rec in cases)


# --- identifiers and consistency --------------------------------------------------------------


def test_local_case_ids_are_unique_per_facility_and_not_mrn_like(cases: list[Case]) -> None:
    seen = {(code, rec["local_case_id"]) for code, rec in cases}
    assert len(seen) == len(cases)
    for _, rec in cases:
        assert re.fullmatch(r"3DP-\d{4}-\d{6}", rec["local_case_id"])
        assert not re.search(r"\d{7}", rec["local_case_id"])


def test_free_text_carries_no_identifier(cases: list[Case]) -> None:
    texts = {rec["indication_text"] for _, rec in cases}
    texts |= {rec["assessment_comment"] for _, rec in cases if "assessment_comment" in rec}
    texts |= {rec.get("segmentation_tool_other_text", "") for _, rec in cases}
    texts |= {
        row.get("material_family_other_text", "")
        for _, rec in cases
        for row in rec.get("prints", [])
    }
    for text in texts:
        assert not scan_text(text), text
        assert not re.search(r"\d{5}", text)


def _no_none(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_no_none(v) for v in value.values())
    if isinstance(value, list):
        return all(_no_none(v) for v in value)
    return value is not None


def test_records_are_plain_json_without_nulls(cases: list[Case]) -> None:
    assert all(_no_none(rec) for _, rec in cases)
    sample = [rec for _, rec in cases[:2000]]
    assert json.loads(json.dumps(sample)) == sample  # no tuples, dates or other non-JSON values


def test_parts_prints_and_laterality_are_consistent(
    registry: SyntheticRegistry, cases: list[Case]
) -> None:
    labels = {(p.facility_code, p.label) for p in registry.printers}
    for code, rec in cases:
        parts = rec.get("anatomic_parts", [])
        model = rec["object_type"] == "anatomic_model"
        if model and rec["status"] == "complete":
            assert 1 <= len(parts) <= 6
        for part in parts:
            if part["region"] in {"upper_extremity", "lower_extremity", "breast"}:
                assert part["laterality"] in {"right", "left", "bilateral"}
        prints = rec.get("prints", [])
        if rec["status"] == "complete":
            assert 1 <= len(prints) <= 3
        used: list[int] = []
        for row in prints:
            assert (code, row["printer"]) in labels
            assert row["copies"] >= 1
            assert row["scale_pct"] > 0
            numbers = row.get("part_numbers", [])
            assert all(1 <= n <= len(parts) for n in numbers)
            used.extend(numbers)
        if model and prints:
            assert sorted(used) == list(range(1, len(parts) + 1))  # each part printed once
        if not model:
            assert 1 <= rec["guide_count"] <= 4
            assert rec["guide_type"] in {
                "cutting",
                "drilling",
                "cutting_drilling",
                "positioning",
                "other",
            }
        else:
            assert "guide_type" not in rec
            assert "guide_count" not in rec


def test_dates_are_in_order_and_never_in_the_future(cases: list[Case]) -> None:
    earliest = TODAY - dt.timedelta(days=3 * 365)
    for _, rec in cases:
        request = dt.date.fromisoformat(rec["request_date"])
        assert earliest <= request <= TODAY
        if "delivery_date" in rec:
            delivery = dt.date.fromisoformat(rec["delivery_date"])
            assert 1 <= (delivery - request).days <= 30
            assert delivery <= TODAY
        if "procedure_date" in rec:
            procedure = dt.date.fromisoformat(rec["procedure_date"])
            assert request <= procedure <= TODAY
            assert rec["procedure_performed"] == "yes"
        if rec["status"] == "complete" and rec["procedure_performed"] == "yes":
            assert "procedure_date" in rec
            assert rec["used_phases"]
        if "fluoroscopy_guided" in rec:
            assert rec["procedure_performed"] == "yes"
        if "fluoro_time_saved_min" in rec:
            assert rec["fluoroscopy_guided"] is True


def test_ages_are_ages(complete: list[dict[str, Any]]) -> None:
    ages = [rec["patient_age_years"] for rec in complete]
    assert all(0 <= age <= 120 for age in ages)
    assert all(round(age, 2) == age for age in ages)
    assert all(float(age).is_integer() for age in ages if age >= 2)
    cardiac = [rec["patient_age_years"] for rec in complete if rec["organ_system"] == "cardiac"]
    assert 0.25 < _share(cardiac, lambda a: a < 18) < 0.6
    assert _share(ages, lambda a: a >= 18) > 0.7


# --- the published mix ------------------------------------------------------------------------


def test_object_type_and_organ_system_mix(complete: list[dict[str, Any]]) -> None:
    models = [rec for rec in complete if rec["object_type"] == "anatomic_model"]
    guides = [rec for rec in complete if rec["object_type"] == "anatomic_guide"]
    assert len(models) / len(complete) == pytest.approx(0.70, abs=0.02)
    model_systems = Counter(rec["organ_system"] for rec in models)
    assert model_systems.most_common(1)[0][0] == "cardiac"
    assert model_systems["cardiac"] / len(models) == pytest.approx(0.27, abs=0.02)
    guide_counts = Counter(rec["organ_system"] for rec in guides)
    guide_systems = [system for system, _ in guide_counts.most_common()]
    assert guide_systems[0] == "neurologic"
    assert set(guide_systems[1:3]) == {"craniomaxillofacial", "musculoskeletal"}


def test_effort_matches_the_registry(complete: list[dict[str, Any]]) -> None:
    cells = [rec[key] for rec in complete for key in EFFORT if key in rec]
    assert _share(cells, lambda v: v == "unknown") == pytest.approx(0.03, abs=0.006)
    means = {
        key: fmean(rec[key] for rec in complete if isinstance(rec.get(key), int)) for key in EFFORT
    }
    clinician = sum(v for k, v in means.items() if k.endswith("_clinician_min"))
    nonclinician = sum(v for k, v in means.items() if k.endswith("_nonclinician_min"))
    assert clinician == pytest.approx(90, rel=0.08)
    assert nonclinician == pytest.approx(335, rel=0.08)
    by_activity = {
        a: sum(v for k, v in means.items() if f"_{a}_" in k)
        for a in ("consultation", "segmentation", "cad", "prep_post")
    }
    assert max(by_activity, key=by_activity.__getitem__) == "segmentation"
    values = [rec[key] for rec in complete for key in EFFORT if isinstance(rec.get(key), int)]
    assert max(values) <= 59940
    assert max(values) > 5 * fmean(values)  # a long right tail


def test_printing_technology_mix(registry: SyntheticRegistry, cases: list[Case]) -> None:
    tech = {(p.facility_code, p.label): p.technology for p in registry.printers}
    used = [tech[code, row["printer"]] for code, rec in cases for row in rec.get("prints", [])]
    common = {"material_jetting", "vat_photopolymerization", "material_extrusion"}
    assert _share(used, lambda t: t in common) == pytest.approx(0.85, abs=0.06)


def test_procedure_and_assessment(complete: list[dict[str, Any]]) -> None:
    assert _share(complete, lambda r: r["procedure_performed"] == "yes") > 0.75
    assessed = [rec for rec in complete if "confidence_before" in rec]
    assert len(assessed) / len(complete) == pytest.approx(1 / 3, abs=0.04)
    saved = [rec["time_saved_min"] for rec in assessed if "time_saved_min" in rec]
    assert 30 <= fmean(saved) <= 40
    assert 0.1 < _share(saved, lambda v: v < 0) < 0.35
    assert _share(assessed, lambda r: r["confidence_after"] >= r["confidence_before"]) > 0.85
    guides = [r for r in complete if r["object_type"] == "anatomic_guide" and "used_phases" in r]
    assert all("intra_procedure" in r["used_phases"] for r in guides)
    sterile = [row["sterilized"] for r in guides for row in r["prints"]]
    assert _share(sterile, bool) > 0.8


def test_billing_follows_the_cpt_suggestion_mostly(complete: list[dict[str, Any]]) -> None:
    assert _share(complete, lambda r: "billed_codes" not in r) == pytest.approx(0.40, abs=0.03)
    billed = [rec for rec in complete if "billed_codes" in rec]
    mismatched = 0
    for rec in billed:
        units = billed_units((row["code"], row["units"]) for row in rec["billed_codes"])
        made = {"anatomic_model": "model", "anatomic_guide": "guide"}.get(rec["object_type"])
        suggested = suggest_units(
            made,
            len(rec.get("anatomic_parts", [])),
            rec.get("guide_count"),
        )
        mismatched += units != suggested
        primary = "0559T" if rec["object_type"] == "anatomic_model" else "0561T"
        assert units.get(primary) == 1  # never an add-on code without its primary
    assert mismatched / len(billed) == pytest.approx(0.08, abs=0.02)


def test_drafts_are_a_minority(cases: list[Case]) -> None:
    statuses = Counter(rec["status"] for _, rec in cases)
    assert set(statuses) == {"complete", "draft"}
    assert statuses["complete"] / N == pytest.approx(0.92, abs=0.015)


def test_complete_cases_carry_the_required_elements(complete: list[dict[str, Any]]) -> None:
    required = {
        "local_case_id",
        "patient_age_years",
        "request_date",
        "source_modalities",
        "organ_system",
        "indication_text",
        "object_type",
        "intended_uses",
        "ordering_service",
        "segmentation_tool",
        "prints",
        "procedure_performed",
        *EFFORT,
    }
    for rec in complete:
        assert required <= rec.keys()


def test_scenarios_follow_the_organ_system() -> None:
    registry = SyntheticRegistry(seed=3, facilities=5, today=TODAY)
    codes = ["cardiac_01", "cardiac_02", "cmf_01", "msk-1", "neuro.2"]
    records = [rec for _, rec in registry.cases(4000, scenario_codes=codes)]
    with_scenario = [rec for rec in records if "appropriateness_scenario" in rec]
    cardiac = [rec for rec in records if rec["organ_system"] == "cardiac"]
    share = _share(cardiac, lambda r: "appropriateness_scenario" in r)
    assert share == pytest.approx(0.5, abs=0.06)
    prefix = {
        "cardiac": "cardiac",
        "craniomaxillofacial": "cmf",
        "musculoskeletal": "msk",
        "neurologic": "neuro",
    }
    for rec in with_scenario:
        assert rec["appropriateness_scenario"].startswith(prefix[rec["organ_system"]])
    assert all("appropriateness_scenario" not in rec for _, rec in registry.cases(200))


def test_generated_cases_pass_the_shipped_definition() -> None:
    path = Path(printreg.definitions.__file__).parent / "3dp" / "definition-1.1.0.yaml"
    definition = load_definition(path)
    scenarios = [v.code for v in definition.value_sets["sig_scenario"].values]
    registry = SyntheticRegistry(seed=5, facilities=25, today=TODAY)
    printers: dict[str, dict[str, str]] = {}
    for printer in registry.printers:
        printers.setdefault(printer.facility_code, {})[printer.label] = printer.technology
    checked = Counter[str]()
    for code, rec in registry.cases(2400, scenario_codes=scenarios):
        context = ValidationContext(facility_code=code, printers=printers[code], today=TODAY)
        result = validate_record(rec, definition, context, mode=rec["status"])
        assert not result.errors, (rec["local_case_id"], result.errors)
        checked[rec["status"]] += 1
    assert checked["complete"] >= 2000
    assert checked["draft"] > 0


def test_the_generator_yields_the_number_of_cases_asked_for() -> None:
    """Speed is measured in bench/synthetic.py, not here."""
    registry = SyntheticRegistry(seed=11, facilities=100, today=TODAY)
    assert sum(1 for _ in registry.cases(1234)) == 1234


# --- planned facilities and a growing registry (the demo) ---------------------------------------


def test_plans_fix_the_first_facilities_and_the_others_are_drawn() -> None:
    plans = [
        FacilityPlan("academic", "metropolitan", "northeast", 220),
        FacilityPlan("community", "rural", "west", 12, lab_service_model="surgery"),
    ]
    synth = SyntheticRegistry(seed=7, facilities=4, today=TODAY, plans=plans)
    first, second, *others = synth.facilities
    assert (first.code, first.facility_type, first.location, first.census_region) == (
        "F0001",
        "academic",
        "metropolitan",
        "northeast",
    )
    assert (first.lab_service_model, first.annual_volume) == ("radiology", 220)
    assert (second.facility_type, second.location, second.census_region) == (
        "community",
        "rural",
        "west",
    )
    assert (second.lab_service_model, second.annual_volume) == ("surgery", 12)
    assert "Hospital" in second.name or "Center" in second.name  # a community hospital's name
    assert [f.code for f in others] == ["F0003", "F0004"]
    counts = Counter(code for code, _ in synth.cases(4000))
    # cases follow the volumes: F0001 holds 220 of every (220 + 12 + the drawn volumes)
    total = 232 + sum(f.annual_volume for f in others)
    assert counts["F0001"] / 4000 == pytest.approx(220 / total, abs=0.03)


def test_a_plan_of_an_unknown_facility_type_is_refused() -> None:
    with pytest.raises(ValueError, match="castle"):
        SyntheticRegistry(seed=1, facilities=1, plans=[FacilityPlan("castle", "rural", "west", 9)])


def test_growth_puts_more_cases_in_later_years() -> None:
    synth = SyntheticRegistry(seed=5, facilities=5, today=TODAY, growth=3.0)
    start = TODAY - dt.timedelta(days=3 * 365)
    years = Counter(
        min(2, (dt.date.fromisoformat(rec["request_date"]) - start).days // 365)
        for _, rec in synth.cases(N)
    )
    # the case rate rises linearly from 1 to 3 over three years (density (1 + 2t) / 2 on
    # [0, 1]): year k holds the integral over [k/3, (k+1)/3], (2 + k) / 9 of the cases
    assert years[0] / N == pytest.approx(2 / 9, abs=0.015)
    assert years[1] / N == pytest.approx(3 / 9, abs=0.015)
    assert years[2] / N == pytest.approx(4 / 9, abs=0.015)


def test_growth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SyntheticRegistry(seed=1, facilities=1, growth=0)
