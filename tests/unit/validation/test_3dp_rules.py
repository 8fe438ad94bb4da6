"""The rules of the shipped 3D Printing Registry definition, checked on one full, valid case."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from printreg.dictionary import UNKNOWN, Definition, load_shipped
from printreg.synthetic import SyntheticRegistry
from printreg.validation import Issue, ValidationContext, ValidationResult, validate_record

TODAY = dt.date(2025, 6, 30)
EFFORT = [
    f"effort_{activity}_{staff}_min"
    for activity in ("consultation", "segmentation", "cad", "prep_post")
    for staff in ("clinician", "nonclinician")
]
LIKERT = [
    "easy_to_use", "compatible_with_approach", "plan_altered", "important_for_case",
    "quality_adequate", "confidence_before", "confidence_after",
]  # fmt: skip
ASSESSMENT = [
    "respondent_role", *LIKERT, "time_saved_min", "fluoro_time_saved_min", "assessment_comment",
]  # fmt: skip
ASSESSMENT_REQUIRED = ["respondent_role", *LIKERT]
Record = dict[str, Any]


@dataclass(frozen=True)
class Synth:
    facility: str
    record: Record
    printers: dict[str, str]


@pytest.fixture(scope="module")
def definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


@pytest.fixture(scope="module")
def synth() -> Synth:
    registry = SyntheticRegistry(seed=2024, facilities=3, today=TODAY)
    for facility, record in registry.cases(500):
        if record["status"] == "complete" and record["object_type"] == "anatomic_model":
            printers = {
                p.label: p.technology for p in registry.printers if p.facility_code == facility
            }
            return Synth(facility, record, printers)
    pytest.fail("the synthetic registry made no complete anatomic model")


@pytest.fixture(scope="module")
def context(synth: Synth) -> ValidationContext:
    return ValidationContext(synth.facility, synth.printers, TODAY)


def full_model(synth: Synth) -> Record:
    """The synthetic case with every element of the form given a known, valid value."""
    record = copy.deepcopy(synth.record)
    for name in ("guide_type", "guide_count"):
        record.pop(name, None)
    printer = sorted(synth.printers)[0]
    record.update({
        "status": "complete",
        "patient_age_years": 54,
        "patient_sex": "female",
        "request_date": "2025-01-10",
        "delivery_date": "2025-01-17",
        "source_modalities": ["ct"],
        "slice_thickness_mm": 0.625,
        "organ_system": "musculoskeletal",
        "indication_text": "Glenoid bone loss, arthroplasty baseplate positioning",
        "indication_icd10": ["M19.011"],
        "appropriateness_scenario": "msk_glenoid_bone_loss",
        "object_type": "anatomic_model",
        "intended_uses": ["surgical_planning", "patient_education"],
        "ordering_service": "orthopaedics",
        "segmentation_tool": "other",
        "segmentation_tool_other_text": "Our own segmentation tool",
        "segmentation_software_fda_cleared": False,
        "cad_tool": "other",
        "cad_tool_other_text": "Our own design tool",
        "anatomic_parts": [
            {"region": "upper_extremity", "subregion": "glenoid", "structure": "bone",
             "laterality": "left", "comment": "Dominant part"},
            {"region": "upper_extremity", "subregion": "humerus", "structure": "bone",
             "laterality": "left", "comment": "Humeral head"},
            {"region": "chest", "subregion": "ribs", "structure": "bone"},
        ],
        "prints": [
            {"printer": printer, "material_family": "other",
             "material_family_other_text": "Our own resin", "scale_pct": 100, "copies": 1,
             "optical": "opaque", "multicolor": False, "multimaterial": False,
             "sterilized": False, "part_numbers": [1, 2, 3], "machine_time_min": 600,
             "material_cost_usd": 12.5},
        ],
        "procedure_performed": "yes",
        "procedure_date": "2025-01-20",
        "used_phases": ["pre_procedure"],
        "fluoroscopy_guided": True,
        "billed_codes": [{"code": "0559T", "units": 1}, {"code": "0560T", "units": 2}],
        **dict(zip(EFFORT, (30, 20, 40, 160, 0, 70, 15, 80), strict=True)),
        "respondent_role": "attending",
        "easy_to_use": 5,
        "compatible_with_approach": 4,
        "plan_altered": 3,
        "important_for_case": 4,
        "quality_adequate": 5,
        "confidence_before": 2,
        "confidence_after": 4,
        "time_saved_min": 30,
        "fluoro_time_saved_min": 2.5,
        "assessment_comment": "Would request again for similar anatomy.",
    })  # fmt: skip
    return record


def full_guide(synth: Synth) -> Record:
    """A valid anatomic guide case: guide fields given, no anatomic parts, sterilized prints."""
    record = full_model(synth)
    del record["anatomic_parts"]
    del record["prints"][0]["part_numbers"]
    record["prints"][0]["sterilized"] = True
    record.update({
        "object_type": "anatomic_guide",
        "guide_type": "cutting",
        "guide_count": 3,
        "intended_uses": ["intraprocedural_guidance"],
        "used_phases": ["pre_procedure", "intra_procedure"],
        "billed_codes": [{"code": "0561T", "units": 1}, {"code": "0562T", "units": 2}],
    })  # fmt: skip
    return record


@pytest.fixture
def model(synth: Synth) -> Record:
    return full_model(synth)


@pytest.fixture
def guide(synth: Synth) -> Record:
    return full_guide(synth)


def check(
    record: Record, definition: Definition, context: ValidationContext, mode: Any = None
) -> ValidationResult:
    return validate_record(record, definition, context, mode=mode)


def at(result: ValidationResult, path: str) -> list[Issue]:
    return [i for i in result.issues if i.path == path]


def rules_at(result: ValidationResult, path: str) -> list[str]:
    return [i.rule for i in at(result, path)]


def one(result: ValidationResult, path: str, rule: str, severity: str = "error") -> Issue:
    found = at(result, path)
    assert [(i.rule, i.severity) for i in found] == [(rule, severity)], result.issues
    return found[0]


# --- the valid starting points -------------------------------------------------------------------


def test_the_synthetic_case_has_no_errors(
    synth: Synth, definition: Definition, context: ValidationContext
) -> None:
    result = check(synth.record, definition, context)
    assert result.errors == []
    assert result.ok
    assert result.status == "complete"


def test_the_full_model_has_no_issues(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    result = check(model, definition, context)
    assert result.issues == []
    for group, element in definition.walk():
        if element.name in ("guide_type", "guide_count"):
            continue  # for guides only
        given = (
            [row.get(element.name) for row in model[group.name]]
            if group
            else [model.get(element.name)]
        )
        assert any(v not in (None, []) for v in given), (
            f"the full model leaves {element.name} empty"
        )


def test_the_full_guide_has_no_issues(
    guide: Record, definition: Definition, context: ValidationContext
) -> None:
    assert check(guide, definition, context).issues == []


# --- every element refuses a bad value -----------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    key: str  # element, or group.element for the first row
    value: Any
    rule: str
    path: str
    base: str = "model"


LONG = "x" * 1001
BAD_VALUES: list[Bad] = [
    Bad("local_case_id", "L" * 65, "max_length", "local_case_id"),
    Bad("local_case_id", 1.5, "type", "local_case_id"),
    Bad("patient_age_years", "abc", "type", "patient_age_years"),
    Bad("patient_age_years", 121, "range", "patient_age_years"),
    Bad("patient_age_years", "1.255", "precision", "patient_age_years"),
    Bad("patient_sex", "not_a_code", "value_set", "patient_sex"),
    Bad("request_date", "31/02/2024", "type", "request_date"),
    Bad("request_date", "2025-07-01", "future_date", "request_date"),
    Bad("delivery_date", "2024-02-31", "type", "delivery_date"),
    Bad("delivery_date", "2026-01-01", "future_date", "delivery_date"),
    Bad("source_modalities", ["not_a_code"], "value_set", "source_modalities[1]"),
    Bad("source_modalities", ["ct", "CT"], "duplicate_value", "source_modalities[2]"),
    Bad("slice_thickness_mm", "abc", "type", "slice_thickness_mm"),
    Bad("slice_thickness_mm", 0.05, "range", "slice_thickness_mm"),
    Bad("slice_thickness_mm", 11, "range", "slice_thickness_mm"),
    Bad("organ_system", "not_a_code", "value_set", "organ_system"),
    Bad("indication_text", "x" * 501, "max_length", "indication_text"),
    Bad("indication_icd10", ["m19.011"], "pattern", "indication_icd10[1]"),
    Bad("indication_icd10", ["M19.01123"], "max_length", "indication_icd10[1]"),
    Bad("indication_icd10", [f"Q{n:02d}" for n in range(21)], "max_items", "indication_icd10"),
    Bad("appropriateness_scenario", "not_a_code", "value_set", "appropriateness_scenario"),
    Bad("object_type", "not_a_code", "value_set", "object_type"),
    Bad("intended_uses", ["not_a_code"], "value_set", "intended_uses[1]"),
    Bad("ordering_service", "not_a_code", "value_set", "ordering_service"),
    Bad("guide_type", "not_a_code", "value_set", "guide_type", base="guide"),
    Bad("guide_count", "abc", "type", "guide_count", base="guide"),
    Bad("guide_count", 0, "range", "guide_count", base="guide"),
    Bad("guide_count", 21, "range", "guide_count", base="guide"),
    Bad("segmentation_tool", "Mimics", "value_set", "segmentation_tool"),
    Bad("segmentation_tool_other_text", "x" * 121, "max_length", "segmentation_tool_other_text"),
    Bad("segmentation_software_fda_cleared", "maybe", "type", "segmentation_software_fda_cleared"),
    Bad("cad_tool", "not_a_code", "value_set", "cad_tool"),
    Bad("cad_tool_other_text", "x" * 121, "max_length", "cad_tool_other_text"),
    Bad("anatomic_parts.region", "not_a_code", "value_set", "anatomic_parts[1].region"),
    Bad("anatomic_parts.subregion", "x" * 121, "max_length", "anatomic_parts[1].subregion"),
    Bad("anatomic_parts.structure", "not_a_code", "value_set", "anatomic_parts[1].structure"),
    Bad("anatomic_parts.laterality", "not_a_code", "value_set", "anatomic_parts[1].laterality"),
    Bad("anatomic_parts.comment", "x" * 501, "max_length", "anatomic_parts[1].comment"),
    Bad("prints.printer", "No-Such-Printer", "reference", "prints[1].printer"),
    Bad("prints.material_family", "VeroClear", "value_set", "prints[1].material_family"),
    Bad(
        "prints.material_family_other_text",
        "x" * 121,
        "max_length",
        "prints[1].material_family_other_text",
    ),
    Bad("prints.scale_pct", "abc", "type", "prints[1].scale_pct"),
    Bad("prints.scale_pct", 0, "range", "prints[1].scale_pct"),
    Bad("prints.scale_pct", 1001, "range", "prints[1].scale_pct"),
    Bad("prints.copies", "abc", "type", "prints[1].copies"),
    Bad("prints.copies", 0, "range", "prints[1].copies"),
    Bad("prints.optical", "not_a_code", "value_set", "prints[1].optical"),
    Bad("prints.multicolor", "maybe", "type", "prints[1].multicolor"),
    Bad("prints.multimaterial", 2, "type", "prints[1].multimaterial"),
    Bad("prints.sterilized", "perhaps", "type", "prints[1].sterilized"),
    Bad("prints.part_numbers", ["abc"], "type", "prints[1].part_numbers[1]"),
    Bad("prints.part_numbers", [0], "range", "prints[1].part_numbers[1]"),
    Bad("prints.part_numbers", [1, 1], "duplicate_value", "prints[1].part_numbers[2]"),
    Bad("prints.machine_time_min", -1, "range", "prints[1].machine_time_min"),
    Bad("prints.machine_time_min", "abc", "type", "prints[1].machine_time_min"),
    Bad("prints.material_cost_usd", "12.345", "precision", "prints[1].material_cost_usd"),
    Bad("prints.material_cost_usd", -1, "range", "prints[1].material_cost_usd"),
    Bad("procedure_performed", "not_a_code", "value_set", "procedure_performed"),
    Bad("procedure_date", "31/02/2024", "type", "procedure_date"),
    Bad("procedure_date", "2099-01-01", "future_date", "procedure_date"),
    Bad("used_phases", ["not_a_code"], "value_set", "used_phases[1]"),
    Bad("fluoroscopy_guided", "sometimes", "type", "fluoroscopy_guided"),
    Bad("billed_codes.code", "0563T", "value_set", "billed_codes[1].code"),
    Bad("billed_codes.units", 0, "range", "billed_codes[1].units"),
    Bad("billed_codes.units", 21, "range", "billed_codes[1].units"),
    Bad("billed_codes.units", "abc", "type", "billed_codes[1].units"),
    *[Bad(name, "lots", "type", name) for name in EFFORT],
    *[Bad(name, 60000, "range", name) for name in EFFORT],
    Bad("respondent_role", "not_a_code", "value_set", "respondent_role"),
    *[Bad(name, 6, "range", name) for name in LIKERT],
    *[Bad(name, 0, "range", name) for name in LIKERT],
    *[Bad(name, "abc", "type", name) for name in LIKERT],
    Bad("time_saved_min", 601, "range", "time_saved_min"),
    Bad("time_saved_min", -601, "range", "time_saved_min"),
    Bad("time_saved_min", "abc", "type", "time_saved_min"),
    Bad("fluoro_time_saved_min", 121, "range", "fluoro_time_saved_min"),
    Bad("fluoro_time_saved_min", "abc", "type", "fluoro_time_saved_min"),
    Bad("assessment_comment", LONG, "max_length", "assessment_comment"),
]


def element_keys(definition: Definition) -> set[str]:
    return {f"{g.name}.{e.name}" if g else e.name for g, e in definition.walk()}


def test_the_bad_value_table_covers_every_element(definition: Definition) -> None:
    covered = {bad.key for bad in BAD_VALUES}
    assert element_keys(definition) - covered == set(), "elements without a bad-value test"
    assert covered - element_keys(definition) == set(), "table rows for elements that do not exist"


def put(record: Record, key: str, value: Any) -> None:
    if "." in key:
        group, name = key.split(".")
        record[group][0][name] = value
    else:
        record[key] = value


def label_of(definition: Definition, key: str) -> str:
    if "." in key:
        group, name = key.split(".")
        return next(e.label for e in definition.groups[group].elements if e.name == name)
    return definition.elements[key].label


@pytest.mark.parametrize("bad", BAD_VALUES, ids=lambda b: f"{b.key}={str(b.value)[:12]}")
def test_every_element_refuses_a_bad_value(
    bad: Bad, synth: Synth, definition: Definition, context: ValidationContext
) -> None:
    record = full_guide(synth) if bad.base == "guide" else full_model(synth)
    put(record, bad.key, bad.value)
    result = check(record, definition, context)
    issue = one(result, bad.path, bad.rule)
    assert issue.message.startswith(f"{label_of(definition, bad.key)}: ")
    assert not result.ok


@pytest.mark.parametrize("age", [0, 0.5, 1.75, 2, 54, "54", 120])
def test_patient_age_in_years(
    model: Record, definition: Definition, context: ValidationContext, age: Any
) -> None:
    model["patient_age_years"] = age
    assert check(model, definition, context).issues == []


@pytest.mark.parametrize("age", [54.5, "54.37", 2.5])
def test_patient_age_from_two_is_in_whole_years(
    model: Record, definition: Definition, context: ValidationContext, age: Any
) -> None:
    model["patient_age_years"] = age
    result = check(model, definition, context)
    assert [i.severity for i in at(result, "patient_age_years")] == ["error"]


# --- codes or labels -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "given", "canonical"),
    [
        ("organ_system", "Cardiac", "cardiac"),
        ("organ_system", "CARDIAC", "cardiac"),
        ("organ_system", "Abdominal and hepatobiliary", "abdominal"),
        ("source_modalities", ["CT angiography", "MR"], ["cta", "mr"]),
        ("patient_sex", "Female", "female"),
        ("procedure_performed", "Yes", "yes"),
        ("prints.optical", "Opaque", "opaque"),
        ("anatomic_parts.region", "Upper extremity", "upper_extremity"),
        ("billed_codes.code", "0559t", "0559T"),
    ],
)
def test_codes_or_labels_are_accepted(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    key: str,
    given: Any,
    canonical: Any,
) -> None:
    put(model, key, given)
    result = check(model, definition, context)
    assert result.errors == []
    if "." in key:
        group, name = key.split(".")
        assert result.record[group][0][name] == canonical
    else:
        assert result.record[key] == canonical


def test_printer_by_label_in_any_case(
    model: Record, synth: Synth, definition: Definition, context: ValidationContext
) -> None:
    label = sorted(synth.printers)[0]
    model["prints"][0]["printer"] = label.lower()
    result = check(model, definition, context)
    assert result.errors == []
    assert result.record["prints"][0]["printer"] == label


# --- conditional fields --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [("guide_type", "cutting"), ("guide_count", 2)])
def test_guide_fields_are_refused_on_a_model(
    model: Record, definition: Definition, context: ValidationContext, name: str, value: Any
) -> None:
    model[name] = value
    result = check(model, definition, context)
    issue = one(result, name, "not_applicable")
    assert issue.message.startswith(definition.elements[name].label)
    assert "Object type is Anatomic guide" in issue.message
    assert result.record[name] is None


@pytest.mark.parametrize("name", ["guide_type", "guide_count"])
def test_guide_fields_are_required_on_a_guide(
    guide: Record, definition: Definition, context: ValidationContext, name: str
) -> None:
    del guide[name]
    result = check(guide, definition, context)
    one(result, name, "required")


def test_laterality_is_required_for_an_extremity(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    del model["anatomic_parts"][0]["laterality"]
    result = check(model, definition, context)
    issue = one(result, "anatomic_parts[1].laterality", "required")
    assert "Body region is one of Upper extremity, Lower extremity, Breast" in issue.message


@pytest.mark.parametrize("region", ["lower_extremity", "breast"])
def test_laterality_is_required_for_a_leg_or_breast(
    model: Record, definition: Definition, context: ValidationContext, region: str
) -> None:
    model["anatomic_parts"][1]["region"] = region
    del model["anatomic_parts"][1]["laterality"]
    result = check(model, definition, context)
    one(result, "anatomic_parts[2].laterality", "required")


@pytest.mark.parametrize("region", ["head", "chest", "spine"])
def test_laterality_is_optional_elsewhere(
    model: Record, definition: Definition, context: ValidationContext, region: str
) -> None:
    model["anatomic_parts"][0]["region"] = region
    del model["anatomic_parts"][0]["laterality"]
    assert check(model, definition, context).issues == []


@pytest.mark.parametrize("parts", [None, []])
def test_anatomic_parts_are_required_for_a_model(
    model: Record, definition: Definition, context: ValidationContext, parts: Any
) -> None:
    model["anatomic_parts"] = parts
    del model["prints"][0]["part_numbers"]
    model["billed_codes"] = []
    result = check(model, definition, context)
    issue = one(result, "anatomic_parts", "required")
    assert "Object type is Anatomic model" in issue.message


def test_anatomic_parts_are_optional_for_a_guide(
    guide: Record, model: Record, definition: Definition, context: ValidationContext
) -> None:
    assert "anatomic_parts" not in guide
    assert check(guide, definition, context).issues == []
    guide["anatomic_parts"] = model["anatomic_parts"]
    result = check(guide, definition, context)
    assert result.issues == []
    assert len(result.record["anatomic_parts"]) == 3


@pytest.mark.parametrize("name", ["procedure_date", "used_phases"])
def test_procedure_details_are_required_when_performed(
    model: Record, definition: Definition, context: ValidationContext, name: str
) -> None:
    del model[name]
    result = check(model, definition, context)
    one(result, name, "required")


@pytest.mark.parametrize("performed", ["no", "unknown"])
@pytest.mark.parametrize("name", ["procedure_date", "used_phases", "fluoroscopy_guided"])
def test_procedure_details_are_not_applicable_when_not_performed(
    model: Record, definition: Definition, context: ValidationContext, performed: str, name: str
) -> None:
    model["procedure_performed"] = performed
    result = check(model, definition, context)
    one(result, name, "not_applicable")
    assert result.record[name] is None


@pytest.mark.parametrize("performed", ["no", "unknown"])
def test_no_procedure_details_needed_when_not_performed(
    model: Record, definition: Definition, context: ValidationContext, performed: str
) -> None:
    model["procedure_performed"] = performed
    for name in ("procedure_date", "used_phases", "fluoroscopy_guided", "fluoro_time_saved_min"):
        del model[name]
    assert check(model, definition, context).issues == []


def test_fluoro_time_saved_only_when_fluoroscopy_guided(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    assert check(model, definition, context).record["fluoro_time_saved_min"] == 2.5
    model["fluoroscopy_guided"] = False
    result = check(model, definition, context)
    issue = one(result, "fluoro_time_saved_min", "not_applicable")
    assert "Fluoroscopy-guided procedure is true" in issue.message
    del model["fluoroscopy_guided"]
    one(check(model, definition, context), "fluoro_time_saved_min", "not_applicable")


def test_fluoro_time_saved_is_optional_when_fluoroscopy_guided(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    del model["fluoro_time_saved_min"]
    assert check(model, definition, context).issues == []


def test_user_assessment_may_be_left_empty(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    for name in ASSESSMENT:
        del model[name]
    result = check(model, definition, context)
    assert result.issues == []
    assert result.derived["confidence_gain"] is None


@pytest.mark.parametrize(
    ("given", "value"),
    [("time_saved_min", 10), ("assessment_comment", "Useful"), ("easy_to_use", 4),
     ("respondent_role", "trainee")],
)  # fmt: skip
def test_user_assessment_items_are_required_once_any_is_filled(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    given: str,
    value: Any,
) -> None:
    for name in ASSESSMENT:
        del model[name]
    model[given] = value
    result = check(model, definition, context)
    expected = [name for name in ASSESSMENT_REQUIRED if name != given]
    assert [(i.path, i.rule) for i in result.issues] == [(n, "required") for n in expected]
    for issue in result.issues:
        assert "any part of 'User assessment' is filled in" in issue.message


def test_a_refused_value_does_not_fill_the_user_assessment(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    for name in ASSESSMENT:
        del model[name]
    model["time_saved_min"] = "abc"
    result = check(model, definition, context)
    assert [(i.path, i.rule) for i in result.issues] == [("time_saved_min", "type")]


def test_a_not_applicable_value_does_not_fill_the_user_assessment(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    for name in ASSESSMENT:
        del model[name]
    model["fluoroscopy_guided"] = False
    model["fluoro_time_saved_min"] = 3
    result = check(model, definition, context)
    assert [(i.path, i.rule) for i in result.issues] == [
        ("fluoro_time_saved_min", "not_applicable")
    ]


@pytest.mark.parametrize(
    ("name", "raw"),
    [("organ_system", ["cardiac"]), ("source_modalities", "ct"), ("prints", "one print"),
     ("prints", {"printer": "x"}), ("local_case_id", {"id": 1})],
)  # fmt: skip
def test_a_required_value_of_the_wrong_shape_is_not_also_reported_missing(
    model: Record, definition: Definition, context: ValidationContext, name: str, raw: Any
) -> None:
    model[name] = raw
    if name == "prints":
        model["billed_codes"] = []
    result = check(model, definition, context)
    assert [(i.path, i.rule) for i in result.issues] == [(name, "type")]


# --- repeating-group bounds ----------------------------------------------------------------------


@pytest.mark.parametrize("prints", [None, []])
def test_a_case_needs_a_print(
    model: Record, definition: Definition, context: ValidationContext, prints: Any
) -> None:
    model["prints"] = prints
    one(check(model, definition, context), "prints", "required")


def test_at_most_five_prints(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["prints"] = [copy.deepcopy(model["prints"][0]) for _ in range(6)]
    issue = one(check(model, definition, context), "prints", "max_rows")
    assert "at most 5" in issue.message
    model["prints"].pop()
    assert check(model, definition, context).errors == []


def test_at_most_twenty_parts(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    part = {"region": "chest", "structure": "bone"}
    model["anatomic_parts"] = [dict(part) for _ in range(21)]
    model["billed_codes"] = []
    issue = one(check(model, definition, context), "anatomic_parts", "max_rows")
    assert "at most 20" in issue.message
    model["anatomic_parts"].pop()
    assert check(model, definition, context).errors == []


def test_at_most_four_billed_codes(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["billed_codes"] = [{"code": c, "units": 1} for c in ("0559T", "0560T", "0561T",
                                                              "0562T", "0559T")]  # fmt: skip
    result = check(model, definition, context)
    assert "max_rows" in rules_at(result, "billed_codes")
    assert not result.ok


def test_a_print_row_needs_its_required_elements(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["prints"].append({"material_family": "pla"})
    result = check(model, definition, context)
    missing = [i.path for i in result.issues if i.rule == "required"]
    assert missing == [
        "prints[2].printer",
        "prints[2].scale_pct",
        "prints[2].copies",
        "prints[2].optical",
    ]


# --- cross-field rules ---------------------------------------------------------------------------


def test_delivery_before_request(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["delivery_date"] = "2025-01-09"
    issue = one(check(model, definition, context), "delivery_date", "delivery_after_request")
    assert issue.message.startswith("Delivery date is before Request date")


def test_delivery_on_the_request_day_is_fine(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["delivery_date"] = model["request_date"]
    result = check(model, definition, context)
    assert result.issues == []
    assert result.derived["turnaround_days"] == 0


def test_procedure_before_request(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["procedure_date"] = "2024-12-31"
    issue = one(check(model, definition, context), "procedure_date", "procedure_after_request")
    assert issue.message.startswith("Procedure date is before Request date")


def test_part_numbers_must_point_at_existing_parts(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["prints"][0]["part_numbers"] = [4, 1]
    result = check(model, definition, context)
    issue = one(result, "prints[1].part_numbers[1]", "print_parts_exist")
    assert "no row 4" in issue.message
    assert at(result, "prints[1].part_numbers[2]") == []


def test_part_numbers_of_a_guide_without_parts(
    guide: Record, definition: Definition, context: ValidationContext
) -> None:
    guide["prints"][0]["part_numbers"] = [1]
    one(check(guide, definition, context), "prints[1].part_numbers[1]", "print_parts_exist")


def test_the_same_cpt_code_twice(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["billed_codes"] = [{"code": "0559T", "units": 1}, {"code": "0560T", "units": 1},
                             {"code": "0560T", "units": 1}]  # fmt: skip
    result = check(model, definition, context)
    issue = one(result, "billed_codes[3].code", "billed_code_once")
    assert "code 2" in issue.message
    assert not result.ok


def test_an_add_on_code_without_its_primary(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["billed_codes"] = [{"code": "0560T", "units": 2}]
    result = check(model, definition, context)
    issues = {i.rule: i for i in at(result, "billed_codes")}
    assert issues["cpt_addon_needs_primary"].severity == "error"
    assert "0560T" in issues["cpt_addon_needs_primary"].message
    assert "0559T" in issues["cpt_addon_needs_primary"].message
    assert not result.ok


def test_a_guide_add_on_without_its_primary(
    guide: Record, definition: Definition, context: ValidationContext
) -> None:
    guide["billed_codes"] = [{"code": "0562T", "units": 2}]
    result = check(guide, definition, context)
    assert "cpt_addon_needs_primary" in rules_at(result, "billed_codes")
    assert not result.ok


@pytest.mark.parametrize(
    "billed",
    [
        [{"code": "0559T", "units": 1}, {"code": "0560T", "units": 1}],
        [{"code": "0559T", "units": 1}],
        [{"code": "0559T", "units": 1}, {"code": "0560T", "units": 3}],
        [{"code": "0561T", "units": 1}],
    ],
)
def test_billed_units_differing_from_the_suggestion_is_a_warning(
    model: Record, definition: Definition, context: ValidationContext, billed: list[Record]
) -> None:
    model["billed_codes"] = billed
    result = check(model, definition, context)
    issue = one(result, "billed_codes", "cpt_matches_suggestion", severity="warning")
    assert "0559T×1 + 0560T×2" in issue.message
    assert result.ok
    assert result.errors == []


def test_billed_codes_as_suggested_give_no_warning(
    model: Record, guide: Record, definition: Definition, context: ValidationContext
) -> None:
    assert check(model, definition, context).issues == []
    assert check(guide, definition, context).issues == []


def test_an_unsterilized_guide_used_during_the_procedure(
    guide: Record, definition: Definition, context: ValidationContext
) -> None:
    guide["prints"][0]["sterilized"] = False
    result = check(guide, definition, context)
    one(result, "prints[1].sterilized", "guide_sterilized", severity="warning")
    assert result.ok


def test_an_unsterilized_guide_used_before_the_procedure_only(
    guide: Record, definition: Definition, context: ValidationContext
) -> None:
    guide["prints"][0]["sterilized"] = False
    guide["used_phases"] = ["pre_procedure"]
    assert check(guide, definition, context).issues == []


def test_an_unsterilized_model_used_during_the_procedure(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["used_phases"] = ["intra_procedure"]
    assert model["prints"][0]["sterilized"] is False
    assert check(model, definition, context).issues == []


# --- effort --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", EFFORT)
@pytest.mark.parametrize(
    ("given", "kept"),
    [(0, 0), (45, 45), (" 45 ", 45), (59940, 59940), ("unknown", UNKNOWN), ("Unknown", UNKNOWN)],
)
def test_an_effort_cell_takes_minutes_or_unknown(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    name: str,
    given: Any,
    kept: Any,
) -> None:
    model[name] = given
    result = check(model, definition, context)
    assert result.issues == []
    if kept is UNKNOWN:
        assert result.record[name] is UNKNOWN
    else:
        assert result.record[name] == kept


@pytest.mark.parametrize("name", EFFORT)
@pytest.mark.parametrize("missing", [None, "", "DROP"])
def test_an_effort_cell_must_not_be_left_empty(
    model: Record, definition: Definition, context: ValidationContext, name: str, missing: Any
) -> None:
    if missing == "DROP":
        del model[name]
    else:
        model[name] = missing
    issue = one(check(model, definition, context), name, "required")
    assert issue.message.startswith(definition.elements[name].label)


@pytest.mark.parametrize("name", EFFORT)
@pytest.mark.parametrize(
    ("given", "rule"),
    [(-5, "range"), (60000, "range"), (59941, "range"), ("lots", "type"), (12.5, "type"),
     ("45 min", "type"), ("n/a", "type"), (["unknown"], "type")],
)  # fmt: skip
def test_an_effort_cell_refuses_other_answers(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    name: str,
    given: Any,
    rule: str,
) -> None:
    model[name] = given
    result = check(model, definition, context)
    assert rule in rules_at(result, name)
    assert not result.ok


# --- envelope and unknown fields -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "hint"),
    [("organ_sytem", "organ_system"), ("deliverydate", "delivery_date"),
     ("effort_cad_clinician", "effort_cad_clinician_min")],
)  # fmt: skip
def test_unknown_fields_are_refused_with_a_hint(
    model: Record, definition: Definition, context: ValidationContext, key: str, hint: str
) -> None:
    model[key] = "cardiac"
    issue = one(check(model, definition, context), key, "unknown_field")
    assert f"did you mean '{hint}'?" in issue.message


def test_an_unknown_field_without_a_close_match(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["zzzz"] = 1
    issue = one(check(model, definition, context), "zzzz", "unknown_field")
    assert "remove it" in issue.message
    assert "did you mean" not in issue.message


def test_an_unknown_field_in_a_print_row(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["prints"][0]["scale_percent"] = 100
    issue = one(check(model, definition, context), "prints[1].scale_percent", "unknown_field")
    assert "did you mean 'scale_pct'?" in issue.message


def test_a_facility_envelope_mismatch(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["facility"] = "F9999"
    result = check(model, definition, context)
    one(result, "facility", "facility_mismatch")
    assert not result.ok


def test_the_facility_envelope_may_differ_in_case_or_be_left_out(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["facility"] = context.facility_code.lower()
    assert check(model, definition, context).issues == []
    del model["facility"]
    assert check(model, definition, context).issues == []


@pytest.mark.parametrize("status", ["locked", "Complete", "done", ""])
def test_a_status_other_than_draft_or_complete_is_refused(
    model: Record, definition: Definition, context: ValidationContext, status: str
) -> None:
    model["status"] = status
    result = check(model, definition, context)
    one(result, "status", "status")
    assert result.status != "locked"
    assert not result.ok


def test_without_a_status_the_case_is_complete(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    del model["status"]
    result = check(model, definition, context)
    assert result.issues == []
    assert result.status == "complete"


def test_a_definition_version_mismatch(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["definition_version"] = "0.9.0"
    issue = one(check(model, definition, context), "definition_version", "definition_version")
    assert definition.version in issue.message
    model["definition_version"] = definition.version
    assert check(model, definition, context).issues == []


# --- draft mode ----------------------------------------------------------------------------------

DRAFT_DROPS = ["organ_system", "indication_text", "ordering_service", "prints", *EFFORT]


def test_a_draft_without_the_procedure_has_only_warnings(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["status"] = "draft"
    for name in ("procedure_performed", "procedure_date", "used_phases", "fluoroscopy_guided",
                 "fluoro_time_saved_min"):  # fmt: skip
        del model[name]
    result = check(model, definition, context)
    assert result.ok
    assert [(i.path, i.rule, i.severity) for i in result.issues] == [
        ("procedure_performed", "required", "warning")
    ]


def test_a_draft_missing_required_fields_has_only_warnings(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["status"] = "draft"
    for name in DRAFT_DROPS:
        del model[name]
    result = check(model, definition, context)
    assert result.status == "draft"
    assert result.ok
    assert result.errors == []
    assert sorted(i.path for i in result.warnings) == sorted(DRAFT_DROPS)
    assert {i.rule for i in result.warnings} == {"required"}


def test_the_same_case_marked_complete_has_errors(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    for name in DRAFT_DROPS:
        del model[name]
    result = check(model, definition, context)
    assert not result.ok
    assert sorted(i.path for i in result.errors) == sorted(DRAFT_DROPS)


def test_draft_mode_may_be_asked_for(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    del model["organ_system"]
    result = check(model, definition, context, mode="draft")
    one(result, "organ_system", "required", severity="warning")
    assert result.ok


def test_a_draft_with_a_half_filled_print_row_has_only_warnings(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["status"] = "draft"
    model["prints"][0] = {"material_family": "pla"}
    result = check(model, definition, context)
    assert result.ok
    assert {i.path for i in result.warnings} == {
        "prints[1].printer", "prints[1].scale_pct", "prints[1].copies", "prints[1].optical"
    }  # fmt: skip


def test_a_bad_value_in_a_draft_is_still_an_error(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["status"] = "draft"
    del model["organ_system"]
    model["patient_age_years"] = "abc"
    result = check(model, definition, context)
    one(result, "organ_system", "required", severity="warning")
    one(result, "patient_age_years", "type")
    assert not result.ok


@pytest.mark.parametrize(
    ("change", "path", "rule"),
    [
        ({"guide_type": "cutting"}, "guide_type", "not_applicable"),
        ({"delivery_date": "2025-01-01"}, "delivery_date", "delivery_after_request"),
        ({"organ_sytem": "cardiac"}, "organ_sytem", "unknown_field"),
    ],
)
def test_other_problems_in_a_draft_are_still_errors(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    change: Record,
    path: str,
    rule: str,
) -> None:
    model["status"] = "draft"
    model.update(change)
    result = check(model, definition, context)
    one(result, path, rule)
    assert not result.ok


# --- derived values ------------------------------------------------------------------------------


def test_derived_values_of_the_full_model(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    derived = check(model, definition, context).derived
    assert derived == {
        "turnaround_days": 7,
        "part_count": 3,
        "effort_clinician_total_min": 30 + 40 + 0 + 15,
        "effort_nonclinician_total_min": 20 + 160 + 70 + 80,
        "effort_total_min": 415,
        "confidence_gain": 2,
        "cpt_suggested": "0559T×1 + 0560T×2",
        "appropriateness_band": "usually_appropriate",
    }


def test_turnaround_is_empty_without_a_delivery_date(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    del model["delivery_date"]
    assert check(model, definition, context).derived["turnaround_days"] is None


def test_effort_totals_are_empty_when_a_cell_is_unknown(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["effort_cad_clinician_min"] = "unknown"
    derived = check(model, definition, context).derived
    assert derived["effort_clinician_total_min"] is None
    assert derived["effort_total_min"] is None
    assert derived["effort_nonclinician_total_min"] == 330


def test_effort_totals_are_empty_when_a_cell_is_missing_in_a_draft(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    model["status"] = "draft"
    del model["effort_prep_post_nonclinician_min"]
    derived = check(model, definition, context).derived
    assert derived["effort_clinician_total_min"] == 85
    assert derived["effort_nonclinician_total_min"] is None
    assert derived["effort_total_min"] is None


def test_effort_totals_of_zeros(
    model: Record, definition: Definition, context: ValidationContext
) -> None:
    for name in EFFORT:
        model[name] = 0
    derived = check(model, definition, context).derived
    assert derived["effort_total_min"] == 0


@pytest.mark.parametrize(("before", "after", "gain"), [(2, 4, 2), (5, 1, -4), (3, 3, 0)])
def test_confidence_gain(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    before: int,
    after: int,
    gain: int,
) -> None:
    model["confidence_before"], model["confidence_after"] = before, after
    assert check(model, definition, context).derived["confidence_gain"] == gain


@pytest.mark.parametrize("parts", [1, 2, 5])
def test_cpt_suggested_for_a_model(
    model: Record, definition: Definition, context: ValidationContext, parts: int
) -> None:
    model["anatomic_parts"] = [{"region": "chest", "structure": "heart"} for _ in range(parts)]
    model["prints"][0]["part_numbers"] = list(range(1, parts + 1))
    del model["billed_codes"]
    result = check(model, definition, context)
    assert result.issues == []
    expected = "0559T×1" if parts == 1 else f"0559T×1 + 0560T×{parts - 1}"
    assert result.derived["cpt_suggested"] == expected
    assert result.derived["part_count"] == parts


@pytest.mark.parametrize(("count", "expected"), [(1, "0561T×1"), (3, "0561T×1 + 0562T×2")])
def test_cpt_suggested_for_a_guide(
    guide: Record, definition: Definition, context: ValidationContext, count: int, expected: str
) -> None:
    guide["guide_count"] = count
    del guide["billed_codes"]
    result = check(guide, definition, context)
    assert result.issues == []
    assert result.derived["cpt_suggested"] == expected
    assert result.derived["part_count"] == 0


@pytest.mark.parametrize(
    ("scenario", "band"),
    [
        ("msk_glenoid_bone_loss", "usually_appropriate"),
        ("msk_tibial_plateau_fracture", "may_be_appropriate"),
        ("msk_nondisplaced_radius_fracture", "rarely_appropriate"),
        (None, None),
    ],
)
def test_appropriateness_band(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    scenario: str | None,
    band: str | None,
) -> None:
    model["appropriateness_scenario"] = scenario
    result = check(model, definition, context)
    assert result.issues == []
    assert result.derived["appropriateness_band"] == band


@pytest.mark.parametrize(
    ("key", "chosen", "path"),
    [
        ("segmentation_tool", None, "segmentation_tool_other_text"),
        ("cad_tool", None, "cad_tool_other_text"),
        ("prints.material_family", 0, "prints[1].material_family_other_text"),
    ],
)
def test_other_needs_its_specify_text_and_only_other_takes_one(
    model: Record,
    definition: Definition,
    context: ValidationContext,
    key: str,
    chosen: int | None,
    path: str,
) -> None:
    """Definition 1.1.0: "other" requires the specify-text (scanned, never aggregated)."""
    name = key.rpartition(".")[2]
    scope = model if chosen is None else model["prints"][chosen]
    assert scope[name] == "other"
    assert check(model, definition, context).ok
    for blank in (None, "   "):
        scope[f"{name}_other_text"] = blank
        assert rules_at(check(model, definition, context), path) == ["required"]
    # a listed product takes no specify-text: the text would be free text beside a code
    scope[name] = definition.value_set_for(_element(definition, key)).values[0].code
    scope[f"{name}_other_text"] = "A product of our own"
    assert rules_at(check(model, definition, context), path) == ["not_applicable"]
    del scope[f"{name}_other_text"]
    assert check(model, definition, context).ok


def _element(definition: Definition, key: str) -> Any:
    group, _, name = key.rpartition(".")
    if not group:
        return definition.elements[name]
    return next(e for e in definition.groups[group].elements if e.name == name)
