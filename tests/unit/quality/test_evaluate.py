"""Bulk evaluation over a frame of cases: each kind of rule finds the case made for it and not
the others; conditions in polars agree with the definition's own evaluation; scores count cases
per quarter; a finding never carries a value of the case."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest

from printreg.dictionary import Definition
from printreg.dictionary.conditions import Condition
from printreg.dictionary.loader import load_shipped
from printreg.quality.evaluate import condition_expr, evaluate, evaluate_rule, scores
from printreg.quality.rules import QualitySpec, message, shipped_spec

DEFINITION: Definition = max(
    (d for d in load_shipped() if d.registry.code == "3dp"), key=lambda d: d.version_tuple
)
NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)


def _naive(year: int, month: int, day: int) -> dt.datetime:
    """Return a naive UTC time, as the frame holds creation times."""
    return dt.datetime(year, month, day, tzinfo=dt.UTC).replace(tzinfo=None)


STRUCTURE = "anatomic_parts.structure"


def _case(n: int, facility: int = 1, **values: Any) -> dict[str, Any]:
    """Return one ordinary case of the frame: no rule should find it."""
    base: dict[str, Any] = {
        "facility_id": facility,
        "case_id": f"00000000-0000-0000-0000-{n:012d}",
        "status": "complete",
        "created_at": _naive(2026, 10, 1),
        "quarter": "2026-Q4",
        "request_date": dt.date(2026, 9, 1) + dt.timedelta(days=n),
        "procedure_date": dt.date(2026, 11, 20),
        "patient_age_years": 40.0 + n,
        "patient_sex": "female",
        "slice_thickness_mm": 1.0,
        "guide_count": None,
        "turnaround_days": 5,
        "effort_total_min": 300 + 7 * (n % 5),
        "time_saved_min": 10 + n % 3,
        "organ_system": "vascular",
        "ordering_service": "vascular_surgery",
        "object_type": "anatomic_model",
        "respondent_role": "attending",
        "plan_altered": 4,
        "source_modalities": ["ct"],
        STRUCTURE: ["vessel"],
    }
    return base | values


#: no element of the user assessment section answered
UNASSESSED: dict[str, Any] = {"respondent_role": None, "plan_altered": None, "time_saved_min": None}
#: the key values two cases of a likely duplicate share
TWIN: dict[str, Any] = {"request_date": dt.date(2026, 1, 5), "patient_age_years": 60.0}


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema_overrides={
        "source_modalities": pl.List(pl.Utf8), STRUCTURE: pl.List(pl.Utf8),
        "guide_count": pl.Int64, "turnaround_days": pl.Int64,
    })  # fmt: skip


def _found(findings: pl.DataFrame, rule: str) -> set[str]:
    return set(findings.filter(pl.col("rule_id") == rule)["case_id"])


def _id(n: int) -> str:
    return f"00000000-0000-0000-0000-{n:012d}"


@pytest.fixture
def world() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (cases, findings of the shipped rules): twelve ordinary cases at facility 1 and
    one case per rule kind made to be found."""
    rows = [_case(n) for n in range(12)]
    rows += [
        _case(20, patient_age_years=110.0),  # range
        _case(21, effort_total_min=9000),  # outlier
        _case(22, organ_system="cardiac", ordering_service="orthopaedics"),  # combination
        _case(23, status="draft", created_at=_naive(2026, 8, 1)),  # stale draft
        _case(24, procedure_date=dt.date(2026, 9, 1), **UNASSESSED),
        _case(25, **TWIN, **{STRUCTURE: ["vessel", "bone"]}),
        _case(26, **TWIN, **{STRUCTURE: ["bone", "vessel"]}),
        # the same keys at another facility: not a duplicate of facility 1's cases
        _case(27, facility=2, **TWIN, **{STRUCTURE: ["bone", "vessel"]}),
    ]
    frame = _frame(rows)
    spec = shipped_spec(DEFINITION)
    return frame, evaluate(spec, frame, DEFINITION, NOW)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("age_plausible", {20}),
        ("effort_outlier", {21}),
        ("cardiac_from_unlikely_service", {22}),
        ("stale_draft", {23}),
        ("assessment_missing", {24}),
        ("likely_duplicate", {25, 26}),
        ("slice_plausible", set()),
    ],
)
def test_each_rule_finds_the_case_made_for_it(
    world: tuple[pl.DataFrame, pl.DataFrame], rule: str, expected: set[int]
) -> None:
    findings = world[1]
    assert _found(findings, rule) == {_id(n) for n in expected}


def test_a_finding_names_rule_case_facility_and_field_and_no_value(
    world: tuple[pl.DataFrame, pl.DataFrame],
) -> None:
    frame, findings = world
    assert findings.columns == ["rule_id", "facility_id", "case_id", "field_path", "message"]
    age = findings.filter(pl.col("rule_id") == "age_plausible").row(0, named=True)
    assert age["field_path"] == "patient_age_years"
    assert age["facility_id"] == 1
    assert "110" not in age["message"]
    spec = shipped_spec(DEFINITION)
    for rule_id, group in findings.group_by("rule_id"):
        # the same words on every case: nothing of the case is in them
        assert set(group["message"]) == {message(spec.by_id[str(rule_id[0])], DEFINITION)}
    assert frame.height > findings["case_id"].n_unique()


def test_the_outlier_needs_enough_values_and_a_spread() -> None:
    spec = shipped_spec(DEFINITION)
    rule = spec.by_id["effort_outlier"]
    few = _frame([_case(n) for n in range(5)] + [_case(21, effort_total_min=9000)])
    assert evaluate_rule(rule, few, DEFINITION, NOW).is_empty()  # 6 values < min_values 10
    flat = _frame([_case(n, effort_total_min=300) for n in range(12)]
                  + [_case(21, effort_total_min=9000)])  # fmt: skip
    assert evaluate_rule(rule, flat, DEFINITION, NOW).is_empty()  # MAD 0: no scale to judge


def test_the_outlier_compares_a_case_with_its_own_facility() -> None:
    rule = shipped_spec(DEFINITION).by_id["effort_outlier"]
    rows = [_case(n) for n in range(12)]
    rows += [_case(100 + n, facility=2, effort_total_min=9000 + 13 * n) for n in range(12)]
    found = evaluate_rule(rule, _frame(rows), DEFINITION, NOW)
    assert found.is_empty()  # facility 2's large values are its own usual values


def test_a_recent_draft_and_an_assessed_case_are_not_findings() -> None:
    spec = shipped_spec(DEFINITION)
    frame = _frame([
        _case(1, status="draft", created_at=_naive(2026, 11, 20)),
        _case(2, procedure_date=dt.date(2026, 9, 1)),  # assessed
        _case(3, procedure_date=dt.date(2026, 11, 15), **UNASSESSED),
        _case(4, procedure_date=None, **UNASSESSED),
    ])  # fmt: skip
    findings = evaluate(spec, frame, DEFINITION, NOW)
    assert _found(findings, "stale_draft") == set()
    assert _found(findings, "assessment_missing") == set()


CONDITIONS = [
    {"field": "organ_system", "equals": "cardiac"},
    {"field": "organ_system", "in": ["cardiac", "vascular"]},
    {"field": "source_modalities", "contains": "mr"},
    {"field": "guide_count", "present": True},
    {"field": "guide_count", "present": False},
    {"field": "patient_age_years", "equals": 41},
    {"not": {"field": "organ_system", "equals": "cardiac"}},
    {"any": [{"field": "organ_system", "equals": "cardiac"},
             {"field": "source_modalities", "contains": "ct"}]},
    {"all": [{"field": "organ_system", "equals": "vascular"},
             {"not": {"field": "guide_count", "present": True}}]},
    {"section_filled": "user_assessment"},
]  # fmt: skip


@pytest.mark.parametrize("number", range(len(CONDITIONS)))
def test_conditions_in_polars_agree_with_the_definition(number: int) -> None:
    cond = Condition.model_validate(CONDITIONS[number])
    rows = [
        _case(1),
        _case(2, organ_system="cardiac", source_modalities=["mr", "ct"], guide_count=2),
        _case(3, organ_system=None, source_modalities=[], **UNASSESSED),
        _case(4, patient_age_years=41.0, source_modalities=None),
    ]
    frame = _frame(rows)
    got = frame.select(condition_expr(cond, DEFINITION, frame).alias("x"))["x"].to_list()
    sections = DEFINITION.section_elements

    def expected(row: dict[str, Any]) -> bool:
        def filled(code: str) -> bool:
            return any(row.get(n) not in (None, []) for n in sections[code])

        return cond.evaluate(row.get, filled)

    assert got == [expected(r) for r in rows]


def test_scores_count_cases_and_flagged_cases_per_quarter_and_rule() -> None:
    spec = QualitySpec.model_validate(
        {"registry": "3dp", "rules": [
            {"id": "age", "kind": "range", "label": "Age", "element": "patient_age_years", "max": 100},
            {"id": "old", "kind": "stale_draft", "label": "Old", "days": 30}]}
    )  # fmt: skip
    frame = _frame([
        _case(1, patient_age_years=110.0, status="draft", created_at=_naive(2026, 1, 1),
              quarter="2026-Q1"),
        _case(2, quarter="2026-Q1"),
        _case(3, patient_age_years=111.0),
        _case(4, facility=2),
    ])  # fmt: skip
    table = scores(spec, frame, evaluate(spec, frame, DEFINITION, NOW))
    got = {(r["facility_id"], r["quarter"], r["rule_id"]): (r["cases"], r["flagged"])
           for r in table.iter_rows(named=True)}  # fmt: skip
    assert got == {
        (1, "2026-Q1", "age"): (2, 1),
        (1, "2026-Q1", "old"): (2, 1),
        (1, "2026-Q1", None): (2, 1),  # one case with two findings counts once
        (1, "2026-Q4", "age"): (1, 1),
        (1, "2026-Q4", "old"): (1, 0),
        (1, "2026-Q4", None): (1, 1),
        (2, "2026-Q4", "age"): (1, 0),
        (2, "2026-Q4", "old"): (1, 0),
        (2, "2026-Q4", None): (1, 0),
    }
