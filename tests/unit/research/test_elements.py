"""What an extract may hold: checking a request against the 3D Printing Registry definition."""

from __future__ import annotations

import datetime as dt

import pytest

from printreg.dictionary import Definition, IntegerElement, load_shipped
from printreg.research import check_request, releasable_elements, withheld_reason
from printreg.research.elements import age_paths, is_age


@pytest.fixture(scope="module")
def definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


def test_free_text_identifiers_and_printers_are_withheld(definition: Definition) -> None:
    withheld = {
        (f"{g.name}.{e.name}" if g else e.name)
        for g, e in definition.walk()
        if withheld_reason(e) is not None
    }
    assert {"local_case_id", "indication_text", "assessment_comment", "prints.printer",
            "prints.material_family_other_text", "anatomic_parts.comment"} <= withheld  # fmt: skip
    releasable = releasable_elements(definition)
    assert "indication_icd10" in releasable, "patterned text is code-like"
    assert "turnaround_days" in releasable, "derived values may be released"
    assert not withheld & set(releasable)


def test_groups_expand_to_their_releasable_elements_in_definition_order(
    definition: Definition,
) -> None:
    checked = check_request(definition, ["prints", "organ_system", "patient_age_years"], {})
    assert checked.issues == []
    assert checked.elements[:2] == ["patient_age_years", "organ_system"]
    assert "prints.scale_pct" in checked.elements
    assert "prints.material_family_other_text" not in checked.elements


def test_every_refused_element_and_stratum_is_reported(definition: Definition) -> None:
    checked = check_request(
        definition,
        ["local_case_id", "organ_sytem", "organ_system"],
        {"organ_system": ["Cardiac", "nope"], "patient_sex": [], "request_date": []},
        dt.date(2025, 2, 1),
        dt.date(2025, 1, 1),
    )
    found = {(i.path, i.rule) for i in checked.issues}
    assert found == {("elements[0]", "withheld"), ("elements[1]", "unknown_element"),
                     ("strata.organ_system[1]", "unknown_code"),
                     ("strata.request_date", "stratum_element"), ("period", "period")}  # fmt: skip
    assert "did you mean organ_system" in next(
        i.message for i in checked.issues if i.rule == "unknown_element"
    )
    assert checked.strata["organ_system"] == ["cardiac"], "labels become codes"


def test_an_empty_request_is_refused(definition: Definition) -> None:
    assert [i.rule for i in check_request(definition, [], {}).issues] == ["required"]


def test_every_age_of_the_shipped_definitions_is_recognised() -> None:
    for definition in load_shipped():
        named = [
            f"{g.name}.{e.name}" if g else e.name
            for g, e in definition.walk()
            if "age" in e.name.split("_") or "age" in e.label.lower().split()
        ]
        assert named, f"{definition.registry.code}: an age element was expected"
        assert age_paths(definition) == named
        others = [e for _, e in definition.walk() if not is_age(e)]
        assert not [e.name for e in others if isinstance(e, IntegerElement) and "age" in e.name]
