"""Tests for the analytics spec: the shipped 3dp spec, the generic default, and parse errors."""

from __future__ import annotations

import textwrap

import pytest

from printreg.dictionary import Definition
from printreg.dictionary.analytics import (
    AnalyticsSpec,
    Measure,
    check_spec,
    default_spec,
    parse_spec,
    shipped_spec,
)
from printreg.dictionary.errors import DefinitionError
from printreg.dictionary.loader import load_definition_text, load_shipped


@pytest.fixture(scope="module")
def definition() -> Definition:
    """The newest shipped 3dp definition."""
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


def _problems(text: str, definition: Definition) -> list[str]:
    body = textwrap.dedent(text)
    with pytest.raises(DefinitionError) as failure:
        parse_spec(body, definition, "analytics.yaml")
    assert failure.value.source == "analytics.yaml"
    return failure.value.problems


def _measure(line: str) -> str:
    return f"registry: 3dp\nmeasures:\n  - {line}\n"


def test_shipped_spec_fits_the_definition(definition: Definition) -> None:
    spec = shipped_spec(definition)
    assert spec.registry == "3dp"
    assert spec.period == "request_date"
    assert spec.strata == ["object_type", "organ_system", "intended_uses"]
    assert check_spec(spec, definition) == []
    measures = spec.by_name
    assert {"effort_total", "plan_altered", "assessed", "multi_modality", "cpt_match"} <= set(
        measures
    )
    plan = measures["plan_altered"]
    assert (plan.kind, plan.success and plan.success.at_least, plan.among) == (
        "proportion",
        4,
        "present",
    )
    assert measures["assessed"].among == "all"
    assert measures["effort_total_per_part"].per == "part_count"
    assert measures["time_saved"].cost
    assert measures["technology_mix"].attribute == "technology"
    assert spec.value is not None
    assert (spec.value.effect, spec.value.separate, spec.value.by) == (
        "time_saved_min",
        "object_type",
        "organ_system",
    )


def test_default_spec_covers_codes_and_numbers(definition: Definition) -> None:
    spec = default_spec(definition)
    assert check_spec(spec, definition) == []
    assert spec.period == definition.case_date == "request_date"
    # the first two single-coded elements, in definition order
    assert spec.strata == ["patient_sex", "organ_system"]
    measures = spec.by_name
    assert measures["organ_system_mix"].kind == "mix"
    assert measures["source_modalities_mix"].value == "source_modalities"
    assert measures["patient_age_years"].kind == "continuous"
    assert measures["patient_age_years"].unit == "years"
    assert measures["time_saved_min"].unit == "min"
    # derived numbers too, text-derived values not
    assert measures["effort_total_min"].kind == "continuous"
    assert "cpt_suggested" not in measures
    assert not [m for m in spec.measures if m.kind == "proportion"]
    assert spec.value is None
    # a registry without an analytics.yaml would get exactly this spec back
    assert AnalyticsSpec.model_validate(spec.model_dump(by_alias=True)) == spec


def test_unknown_element(definition: Definition) -> None:
    problems = _problems(_measure("{name: a, label: A, kind: continuous, value: nope}"), definition)
    assert problems == ["measure 'a': 'nope' is not an element or derived value"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("prints", "measure 'a': 'prints' is not an element or derived value"),
        ("prints.nope", "measure 'a': 'prints.nope' is not an element or derived value"),
    ],
)
def test_group_paths(definition: Definition, value: str, message: str) -> None:
    assert _problems(_measure(f"{{name: a, label: A, kind: mix, value: {value}}}"), definition) == [
        message
    ]


def test_continuous_on_a_code(definition: Definition) -> None:
    problems = _problems(
        _measure("{name: a, label: A, kind: continuous, value: organ_system}"), definition
    )
    assert problems == ["measure 'a': 'organ_system' is not a number"]


def test_proportion_without_success(definition: Definition) -> None:
    problems = _problems(
        _measure("{name: a, label: A, kind: proportion, value: plan_altered}"), definition
    )
    assert problems == [
        "measures[1]: Value error, a proportion needs 'success'; other kinds must not have it"
    ]


def test_success_on_a_mix(definition: Definition) -> None:
    problems = _problems(
        _measure("{name: a, label: A, kind: mix, value: organ_system, success: {present: true}}"),
        definition,
    )
    assert problems == [
        "measures[1]: Value error, a proportion needs 'success'; other kinds must not have it"
    ]


def test_success_needs_exactly_one_test(definition: Definition) -> None:
    problems = _problems(
        _measure(
            "{name: a, label: A, kind: proportion, value: plan_altered,"
            " success: {at_least: 4, present: true}}"
        ),
        definition,
    )
    assert len(problems) == 1
    assert problems[0].startswith("measures[1].success: ")
    assert "give exactly one test" in problems[0]
    assert "['at_least', 'present']" in problems[0]
    problems = _problems(
        _measure("{name: a, label: A, kind: proportion, value: plan_altered, success: {}}"),
        definition,
    )
    assert "got none" in problems[0]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "{name: a, label: A, kind: mix, value: organ_system, per: part_count}",
            "measures[1]: Value error, 'per' applies to continuous measures only",
        ),
        (
            "{name: a, label: A, kind: mix, value: organ_system, colour: red}",
            "measures[1].colour: Extra inputs are not permitted",
        ),
        (
            "{name: Bad Name, label: A, kind: mix, value: organ_system}",
            "measures[1].name: String should match pattern '^[a-z][a-z0-9_]*$'",
        ),
        (
            "{name: a, label: A, kind: average, value: organ_system}",
            "measures[1].kind: Input should be 'continuous', 'proportion' or 'mix'",
        ),
        (
            "{name: a, label: A, kind: mix, value: organ_system, attribute: technology}",
            "measure 'a': 'attribute' needs a reference element",
        ),
        (
            "{name: a, label: A, kind: mix, value: patient_age_years}",
            "measure 'a': a mix needs a coded element or a derived value",
        ),
        (
            "{name: a, label: A, kind: continuous, value: part_count, per: nope}",
            "measure 'a': per 'nope' is not an element or derived value",
        ),
        (
            (
                "{name: a, label: A, kind: proportion, value: billed_codes.code,"
                " success: {matches: nope}}"
            ),
            "measure 'a': matches 'nope' is not an element or derived value",
        ),
    ],
)
def test_measure_problems(definition: Definition, line: str, message: str) -> None:
    assert _problems(_measure(line), definition) == [message]


def test_spec_level_problems(definition: Definition) -> None:
    problems = _problems(
        """\
        registry: 3dp
        period: organ_system
        strata: [patient_age_years, source_modalities]
        measures:
          - {name: a, label: A, kind: mix, value: organ_system}
          - {name: a, label: B, kind: mix, value: object_type}
        value: {effect: nope, separate: object_type, by: organ_system}
        """,
        definition,
    )
    assert problems == [
        "period 'organ_system' is not a date element",
        "stratum 'patient_age_years' is not a coded element",
        "measure 'a' is declared twice",
        "value.effect: 'nope' is not an element or derived value",
    ]


def test_wrong_registry_and_bad_yaml(definition: Definition) -> None:
    assert _problems("registry: xyz\n", definition) == ["spec is for registry 'xyz', not '3dp'"]
    problems = _problems("registry: 3dp\nmeasures: [\n", definition)
    assert len(problems) == 1
    assert problems[0].startswith("not valid YAML")


def test_a_valid_custom_spec_parses(definition: Definition) -> None:
    spec = parse_spec(
        textwrap.dedent(
            """\
            registry: 3dp
            period: procedure_date
            strata: [organ_system]
            measures:
              - {name: cardiac_share, label: Cardiac, kind: proportion, value: organ_system,
                 success: {in: [cardiac]}, among: all}
              - {name: scale, label: Scale, kind: mix, value: prints.material_family}
            """
        ),
        definition,
        "custom.yaml",
    )
    measure = spec.by_name["cardiac_share"]
    assert isinstance(measure, Measure)
    assert measure.success is not None
    assert measure.success.values == ["cardiac"]
    assert spec.value is None


# Specs that passed the check but broke the fact table at the first refresh (polars could not
# cast a code to a number, or a list of values to one value): now refused when loaded.
@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            _measure("{name: a, label: A, kind: continuous, value: prints.scale_pct}"),
            (
                "measure 'a': 'prints.scale_pct' holds several values per case; a continuous "
                "measure needs one number per case"
            ),
        ),
        (
            _measure("{name: a, label: A, kind: continuous, value: part_count, per: organ_system}"),
            "measure 'a': per 'organ_system' is not a single number per case",
        ),
        (
            "registry: 3dp\nvalue: {effect: organ_system, separate: object_type, by: organ_system}",
            "value.effect: 'organ_system' is not a single number per case",
        ),
        (
            (
                "registry: 3dp\nvalue: {effect: time_saved_min, separate: object_type, "
                "by: intended_uses}"
            ),
            "value.by: 'intended_uses' is not a single-valued coded element or derived value",
        ),
        (
            (
                "registry: 3dp\nvalue: {effect: time_saved_min, separate: prints.material_family, "
                "by: organ_system, confidence_after: respondent_role}"
            ),
            "value.confidence_after: 'respondent_role' is not a single number per case",
        ),
    ],
)
def test_values_the_fact_table_cannot_hold(definition: Definition, text: str, message: str) -> None:
    assert message in _problems(text, definition)


MINI = """\
registry: {code: mini, name: Mini registry}
version: 1.0.0
case_date: seen_on
value_sets:
  colour:
    label: Colour
    values: [{code: red, label: Red}, {code: blue, label: Blue}]
sections:
  - code: main
    label: Main
    elements:
      - {name: seen_on, label: Seen on, type: date}
      - {name: colour, label: Colour, type: code, value_set: colour}
      - {name: weight, label: Weight, type: decimal, min: 0, unit: kg}
      - {name: doses, label: Doses, type: integer, multiple: true, min: 0, max: 9, max_items: 5}
"""


def test_default_spec_of_a_registry_with_a_list_of_numbers() -> None:
    mini = load_definition_text(MINI, "mini.yaml")
    spec = default_spec(mini)
    # a list of numbers per case has no single value to take the median of
    assert [m.name for m in spec.measures] == ["colour_mix", "weight"]
    assert spec.strata == ["colour"]
    assert check_spec(spec, mini) == []
    problems = check_spec(
        AnalyticsSpec(
            registry="mini",
            measures=[Measure(name="d", label="D", kind="continuous", value="doses")],
        ),
        mini,
    )
    assert problems == [
        (
            "measure 'd': 'doses' holds several values per case; a continuous measure needs one "
            "number per case"
        )
    ]


def test_the_report_names_charts_of_the_dashboard(definition: Definition) -> None:
    good = _measure("{name: fit, label: Fit, kind: proportion, value: plan_altered, "
                    "success: {at_least: 4}, trend: true}")  # fmt: skip
    spec = parse_spec(good + "report: [placement, funnel_fit, trend_fit]\n", definition, "a")
    assert spec.report == ["placement", "funnel_fit", "trend_fit"]
    problems = _problems(good + "report: [funnel_fit, mix_fit, pie]\n", definition)
    assert [p.split(" is not")[0] for p in problems] == ["report: 'mix_fit'", "report: 'pie'"]


def test_a_weight_needs_a_match_on_group_rows_and_a_number_of_the_group(
    definition: Definition,
) -> None:
    match = ("{name: m, label: M, kind: proportion, value: billed_codes.code, weight: %s, "
             "success: {matches: cpt_suggested}}")  # fmt: skip
    spec = parse_spec(_measure(match % "units"), definition, "a")
    assert spec.by_name["m"].weight == "units"
    problems = _problems(_measure(match % "code"), definition)
    rule = "needs 'matches' on a group element and a number of the same group"
    assert problems == [f"measure 'm': weight 'code' {rule}"]
    loose = "{name: n, label: N, kind: mix, value: object_type, weight: units}"
    assert len(_problems(_measure(loose), definition)) == 1
