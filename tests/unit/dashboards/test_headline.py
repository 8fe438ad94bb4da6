"""Headline wording from figures written by hand: each sentence is spelled out in full."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from printreg.analytics import benchmark
from printreg.dashboards.headline import headlines, number, peer_group_words, percent
from printreg.dashboards.schemas import FacilityDashboard, Reason
from printreg.dictionary.analytics import AnalyticsSpec, Measure, Wording, default_spec, parse_spec
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.loader import load_shipped

MIN_CASES = 5


def _continuous(name: str, label: str, unit: str, **figures: Any) -> dict[str, Any]:
    return {"measure": name, "label": label, "kind": "continuous", "unit": unit, "cost": False,
            "placement": {}, **figures}  # fmt: skip


def _proportion(name: str, label: str, **figures: Any) -> dict[str, Any]:
    return {"measure": name, "label": label, "kind": "proportion", "unit": "", "cost": False,
            "placement": {}, **figures}  # fmt: skip


def board(*measures: dict[str, Any]) -> FacilityDashboard:
    """Return a dashboard holding only the given comparisons (as the API's JSON)."""
    return FacilityDashboard.model_validate(
        {
            "registry": "r", "facility": {"code": "FA", "name": "Alder"}, "stratum": {},
            "cases": 40, "min_cases": MIN_CASES, "registry_facilities": 20,
            "peer_group": {"key": None, "dimensions": {}, "facilities": 0},
            "measures": list(measures), "strata": [], "mix": {}, "funnel": {}, "trend": {},
            "completeness": [], "disclosure": "", "cost_assumption": "", "methods": {},
            "report": [], "generated_at": "2026-01-01T00:00:00+00:00",
            "value": {"pooled": [], "separate": None, "external": {}, "confidence": {},
                      "method": ""},
        }
    )  # fmt: skip


def spec(*measures: Measure) -> AnalyticsSpec:
    return AnalyticsSpec(registry="r", measures=list(measures))


def turnaround(rank: float, median: float = 7.0, p50: float = 6.0) -> dict[str, Any]:
    return _continuous(
        "turnaround", "Turnaround", "days",
        facility={"n": 30, "median": median, "q1": 5.0, "q3": 9.0},
        registry={"facilities": 20, "p25": 4.0, "p50": p50, "p75": 8.0},
        peers={"facilities": 3, "status": "too few facilities"},
        placement={"percentile_rank": rank, "quartile": 4},
    )  # fmt: skip


SLOWER = Measure(name="turnaround", label="Turnaround", kind="continuous", value="days",
                 better="lower", wording=Wording(higher="slower", lower="faster"))  # fmt: skip


def only(dashboard: FacilityDashboard, analytics: AnalyticsSpec) -> tuple[str, str | None]:
    (headline,) = headlines(dashboard, analytics)
    return headline.sentence, headline.verdict


def test_the_issue_s_own_example() -> None:
    assert only(board(turnaround(85.0)), spec(SLOWER)) == (
        "Turnaround 7 days — slower than 85 % of facilities; registry median 6",
        "worse",
    )


def test_a_low_rank_reads_from_the_other_side() -> None:
    sentence, verdict = only(board(turnaround(15.0, median=3.5)), spec(SLOWER))
    assert sentence == "Turnaround 3.5 days — faster than 85 % of facilities; registry median 6"
    assert verdict == "better"


def test_without_a_direction_the_wording_is_neutral() -> None:
    plain = Measure(name="turnaround", label="Turnaround", kind="continuous", value="days")
    assert only(board(turnaround(85.0)), spec(plain)) == (
        "Turnaround 7 days — higher than 85 % of facilities; registry median 6",
        "higher",
    )
    assert only(board(turnaround(10.0)), spec(plain))[0] == (
        "Turnaround 7 days — lower than 90 % of facilities; registry median 6"
    )


def test_a_declared_direction_without_wording_says_better_or_worse() -> None:
    more = Measure(name="turnaround", label="Turnaround", kind="continuous", value="d",
                   better="higher")  # fmt: skip
    assert only(board(turnaround(30.0)), spec(more)) == (
        "Turnaround 7 days — worse than 70 % of facilities; registry median 6",
        "worse",
    )


def test_the_middle_of_the_facilities_is_said_as_such() -> None:
    assert only(board(turnaround(50.0, median=6.0)), spec(SLOWER)) == (
        "Turnaround 6 days — about the middle of the facilities; registry median 6",
        "typical",
    )


def test_too_few_cases_says_why_without_a_figure() -> None:
    few = _continuous(
        "turnaround", "Turnaround", "days",
        facility={"n": 3, "status": "too few cases"},
        registry={"facilities": 20, "p25": 4.0, "p50": 6.0, "p75": 8.0},
        peers={"facilities": 20, "p25": 4.0, "p50": 6.0, "p75": 8.0},
    )  # fmt: skip
    (headline,) = headlines(board(few), spec(SLOWER))
    assert headline.sentence == (
        "Turnaround: not shown here — fewer than 5 cases with a value (3 so far)"
    )
    assert (headline.verdict, headline.withheld) == (
        None,
        "fewer than 5 cases with a value (3 so far)",
    )
    assert "6" not in headline.sentence  # the registry median is not used without a comparison


def test_too_few_facilities_withholds_the_comparison() -> None:
    lonely = _continuous(
        "turnaround", "Turnaround", "days",
        facility={"n": 30, "median": 7.0, "q1": 5.0, "q3": 9.0},
        registry={"facilities": 3, "status": "too few facilities"},
        peers={"facilities": 1, "status": "too few facilities"},
    )  # fmt: skip
    assert only(board(lonely), spec(SLOWER)) == (
        "Turnaround 7 days; no registry comparison: too few facilities report it to compare with",
        None,
    )


def _plan(flag: str | None, registry: dict[str, Any]) -> dict[str, Any]:
    placement = {"flag": flag} if flag else {}
    return _proportion(
        "plan", "Plan altered",
        facility={"n": 40, "x": 30, "p": 0.75},
        registry=registry, peers={"status": "suppressed (small count)", "facilities": 2},
        placement=placement,
    )  # fmt: skip


REGISTRY = {"n": 800, "x": 480, "p": 0.6, "facilities": 20}
UP = Measure(name="plan", label="Plan altered", kind="proportion", value="v",
             success={"at_least": 4}, better="higher")  # fmt: skip


@pytest.mark.parametrize(
    ("flag", "sentence", "verdict"),
    [
        ("above 99.8% limit", ("Plan altered: 75 % of 40 cases — better than expected from the "
         "registry's 60 %"), "better"),
        ("below 95% limit", ("Plan altered: 75 % of 40 cases — worse than expected from the "
         "registry's 60 %"), "worse"),
        ("within limits", ("Plan altered: 75 % of 40 cases — within the expected range around "
         "the registry's 60 %"), "typical"),
    ],
)  # fmt: skip
def test_a_proportion_is_placed_by_its_funnel_limits(
    flag: str, sentence: str, verdict: str
) -> None:
    assert only(board(_plan(flag, REGISTRY)), spec(UP)) == (sentence, verdict)


def test_a_suppressed_registry_proportion_is_not_repeated() -> None:
    hidden = {"status": "suppressed (small count)", "facilities": 6}
    assert only(board(_plan(None, hidden)), spec(UP)) == (
        (
            "Plan altered: 75 % of 40 cases; no registry comparison: withheld, as it would reveal "
            "a small count of other facilities' cases"
        ),
        None,
    )


def test_numbers_and_percentages_read_plainly() -> None:
    assert [number(v) for v in (7.0, 6.96, 13.5, 230.4, 1234.0)] == [
        "7",
        "7",
        "13.5",
        "230",
        "1,234",
    ]
    assert percent(0.666) == "67 %"


def test_the_peer_group_in_words() -> None:
    dimensions = {"facility_type": "childrens", "location": "suburban",
                  "census_region": "midwest", "volume_band": "very_high"}  # fmt: skip
    assert peer_group_words(dimensions) == (
        "children's hospitals, suburban, Midwest census region, very high volume"
    )
    assert peer_group_words({}) == ""


def test_a_mix_may_not_declare_a_direction() -> None:
    with pytest.raises(ValidationError, match="a mix has no direction"):
        Measure(name="m", label="M", kind="mix", value="v", better="higher")
    with pytest.raises(ValidationError):
        Measure(name="m", label="M", kind="continuous", value="v", better="up")  # type: ignore[arg-type]


def test_the_generic_spec_declares_no_direction() -> None:
    for definition in load_shipped():
        assert all(
            m.better is None and m.wording is None for m in default_spec(definition).measures
        )


def test_the_spec_loader_refuses_a_bad_direction() -> None:
    definition = next(d for d in load_shipped() if d.registry.code == "gsae")
    number_element = next(n for n, e in definition.elements.items() if e.numeric)
    body = (
        "registry: gsae\nmeasures:\n"
        f"  - {{name: a, label: A, kind: continuous, value: {number_element}, better: faster}}\n"
    )
    with pytest.raises(DefinitionError) as failure:
        parse_spec(body, definition, "analytics.yaml")
    assert "better" in str(failure.value)
    wording_only_half = body.replace("better: faster", "wording: {higher: slower}")
    with pytest.raises(DefinitionError, match="lower"):
        parse_spec(wording_only_half, definition, "analytics.yaml")


def test_the_reasons_are_the_core_s_words() -> None:
    assert Reason.TOO_FEW_CASES == benchmark.TOO_FEW
    assert Reason.SMALL_COUNT == benchmark.SUPPRESSED
