"""The shipped 3D Printing Registry definition 1.0.0 carries the case form (CASE-FORM-3DP.md)
under the element names of docs/record-shape.md."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from printreg.dictionary import (
    CodeElement,
    CodesElement,
    Condition,
    DecimalElement,
    Definition,
    ElementBase,
    GroupElement,
    IntegerElement,
    TextElement,
    ValueProblem,
    is_multiple,
    load_definition,
    shipped_definition_paths,
)
from printreg.domain.appropriateness import Band, band_of
from printreg.validation.engine import check_definition

PATH = Path(str(resources.files("printreg.definitions"))) / "3dp" / "definition-1.0.0.yaml"

# docs/record-shape.md, section by section; groups map to their row elements.
RECORD_SHAPE: dict[str, list[str]] = {
    "header": [
        "local_case_id", "patient_age_years", "patient_sex", "request_date", "delivery_date",
    ],
    "imaging": [
        "source_modalities", "slice_thickness_mm", "organ_system", "indication_text",
        "indication_icd10", "appropriateness_scenario",
    ],
    "digital_model": [
        "object_type", "intended_uses", "ordering_service", "guide_type", "guide_count",
        "segmentation_software", "segmentation_software_fda_cleared", "cad_software",
        "anatomic_parts",
    ],
    "prints": ["prints"],
    "procedure": [
        "procedure_performed", "procedure_date", "used_phases", "fluoroscopy_guided",
        "billed_codes",
    ],
    "effort": [
        f"effort_{activity}_{staff}_min"
        for activity in ("consultation", "segmentation", "cad", "prep_post")
        for staff in ("clinician", "nonclinician")
    ],
    "user_assessment": [
        "respondent_role", "easy_to_use", "compatible_with_approach", "plan_altered",
        "important_for_case", "quality_adequate", "confidence_before", "confidence_after",
        "time_saved_min", "fluoro_time_saved_min", "assessment_comment",
    ],
}  # fmt: skip
GROUP_SHAPE: dict[str, list[str]] = {
    "anatomic_parts": ["region", "subregion", "structure", "laterality", "comment"],
    "prints": [
        "printer", "material", "scale_pct", "copies", "optical", "multicolor", "multimaterial",
        "sterilized", "part_numbers", "machine_time_min", "material_cost_usd",
    ],
    "billed_codes": ["code", "units"],
}  # fmt: skip
MULTIPLE = {"source_modalities", "indication_icd10", "intended_uses", "used_phases",
            "part_numbers"}  # fmt: skip
EFFORT = RECORD_SHAPE["effort"]
LIKERT = [
    "easy_to_use", "compatible_with_approach", "plan_altered", "important_for_case",
    "quality_adequate", "confidence_before", "confidence_after",
]  # fmt: skip

# CASE-FORM-3DP.md pick-lists: value set → exact codes.
VALUE_SETS: dict[str, set[str]] = {
    "sex": {"female", "male", "other", "unknown"},
    "modality": {"ct", "cta", "mr", "mra", "us", "echo_3d", "pet", "cbct", "rotational_angio",
                 "other"},
    "organ_system": {"cardiac", "vascular", "neurologic", "craniomaxillofacial", "head_neck",
                     "thoracic", "breast", "abdominal", "genitourinary", "musculoskeletal", "spine",
                     "other"},
    "object_type": {"anatomic_model", "anatomic_guide"},
    "intended_use": {"surgical_planning", "intraprocedural_guidance", "procedure_rehearsal",
                     "device_sizing", "patient_education", "trainee_education",
                     "multidisciplinary_communication", "other"},
    "ordering_service": {"cardiac_surgery", "cardiology", "neurosurgery", "orthopaedics",
                         "omfs_ent", "urology", "general_hpb_surgery", "vascular_surgery",
                         "interventional_radiology", "plastic_surgery", "other"},
    "guide_type": {"cutting", "drilling", "cutting_drilling", "positioning", "other"},
    "body_region": {"head", "neck", "chest", "abdomen", "pelvis", "upper_extremity",
                    "lower_extremity", "breast", "spine", "other"},
    "structure": {"bone", "vessel", "heart", "airway", "organ", "tumor", "nerve", "muscle",
                  "other"},
    "laterality": {"right", "left", "bilateral", "not_applicable"},
    "optical": {"transparent", "translucent", "opaque"},
    "yes_no_unknown": {"yes", "no", "unknown"},
    "used_phase": {"pre_procedure", "intra_procedure", "post_procedure", "education_only"},
    "cpt_code": {"0559T", "0560T", "0561T", "0562T"},
    "respondent_role": {"attending", "trainee", "other"},
}  # fmt: skip
OURS = {"organ_system", "intended_use", "ordering_service", "guide_type", "structure"}

# element (group.child for rows) → value set
CODED: dict[str, str] = {
    "patient_sex": "sex", "source_modalities": "modality", "organ_system": "organ_system",
    "appropriateness_scenario": "sig_scenario", "object_type": "object_type",
    "intended_uses": "intended_use", "ordering_service": "ordering_service",
    "guide_type": "guide_type", "anatomic_parts.region": "body_region",
    "anatomic_parts.structure": "structure", "anatomic_parts.laterality": "laterality",
    "prints.optical": "optical", "procedure_performed": "yes_no_unknown",
    "used_phases": "used_phase", "billed_codes.code": "cpt_code",
    "respondent_role": "respondent_role",
}  # fmt: skip

# element → (type, min, max); None where the form sets no bound.
NUMBERS: dict[str, tuple[str, float | None, float | None]] = {
    "patient_age_years": ("decimal", 0, 120),
    "slice_thickness_mm": ("decimal", 0.1, 10),
    "guide_count": ("integer", 1, 20),
    "prints.scale_pct": ("decimal", 0, 1000),
    "prints.copies": ("integer", 1, 1000),
    "prints.part_numbers": ("integer", 1, 20),
    "prints.machine_time_min": ("integer", 0, 100000),
    "prints.material_cost_usd": ("decimal", 0, 1000000),
    "billed_codes.units": ("integer", 1, 20),
    "time_saved_min": ("integer", -600, 600),
    "fluoro_time_saved_min": ("decimal", -120, 120),
    **dict.fromkeys(EFFORT, ("integer", 0, 59940)),
    **dict.fromkeys(LIKERT, ("integer", 1, 5)),
}

IDENTIFIER_SCAN: dict[str, str] = {
    "local_case_id": "case_identifier",
    "indication_text": "free_text",
    "indication_icd10": "none",
    "segmentation_software": "none",
    "cad_software": "none",
    "anatomic_parts.subregion": "free_text",
    "anatomic_parts.comment": "free_text",
    "prints.material": "none",
    "assessment_comment": "free_text",
}

RULES: dict[str, tuple[str, dict[str, Any], str]] = {
    "age_whole_years_from_two": (
        "whole_number_from", {"field": "patient_age_years", "threshold": 2}, "error"),
    "delivery_after_request": (
        "date_order", {"earlier": "request_date", "later": "delivery_date"}, "error"),
    "procedure_after_request": (
        "date_order", {"earlier": "request_date", "later": "procedure_date"}, "error"),
    "print_parts_exist": (
        "row_references",
        {"group": "prints", "field": "part_numbers", "target": "anatomic_parts"}, "error"),
    "billed_code_once": ("unique_in_group", {"group": "billed_codes", "field": "code"}, "error"),
    "cpt_addon_needs_primary": ("cpt_addon_requires_primary", {"group": "billed_codes"}, "error"),
    "cpt_matches_suggestion": ("cpt_matches_suggestion", {"group": "billed_codes"}, "warning"),
    "guide_sterilized": ("sterile_guides", {}, "warning"),
}  # fmt: skip

_CLIN = [f"effort_{a}_clinician_min" for a in ("consultation", "segmentation", "cad", "prep_post")]
_NONCLIN = [n.replace("_clinician_", "_nonclinician_") for n in _CLIN]
DERIVED: dict[str, tuple[str, str, dict[str, Any]]] = {
    "turnaround_days": (
        "integer", "date_difference", {"start": "request_date", "end": "delivery_date"}),
    "part_count": ("integer", "row_count", {"group": "anatomic_parts"}),
    "effort_clinician_total_min": ("integer", "sum_of", {"fields": _CLIN}),
    "effort_nonclinician_total_min": ("integer", "sum_of", {"fields": _NONCLIN}),
    "effort_total_min": ("integer", "sum_of", {"fields": _CLIN + _NONCLIN}),
    "confidence_gain": (
        "integer", "difference",
        {"minuend": "confidence_after", "subtrahend": "confidence_before"}),
    "cpt_suggested": ("text", "cpt_suggestion", {}),
    "appropriateness_band": (
        "text", "appropriateness_band",
        {"field": "appropriateness_scenario", "value_set": "sig_scenario"}),
}  # fmt: skip

SIG_AREAS = {"cardiac", "vascular", "craniomaxillofacial", "genitourinary", "musculoskeletal",
             "breast", "abdominal", "neurologic"}  # fmt: skip

GUIDE = Condition.model_validate({"field": "object_type", "equals": "anatomic_guide"})
MODEL = Condition.model_validate({"field": "object_type", "equals": "anatomic_model"})
PERFORMED = Condition.model_validate({"field": "procedure_performed", "equals": "yes"})
ASSESSED = Condition.model_validate({"section_filled": "user_assessment"})


@pytest.fixture(scope="module")
def definition() -> Definition:
    return load_definition(PATH)


def _element(definition: Definition, dotted: str) -> ElementBase:
    if "." not in dotted:
        return definition.elements[dotted]
    group_name, child_name = dotted.split(".")
    group = definition.groups[group_name]
    return next(e for e in group.elements if e.name == child_name)


def _conditions(definition: Definition) -> list[tuple[str, GroupElement | None, Condition]]:
    found: list[tuple[str, GroupElement | None, Condition]] = []
    for top in definition.groups.values():
        found += [(top.name, None, c) for c in (top.required_when, top.applies_when) if c]
    for group, element in definition.walk():
        where = f"{group.name}.{element.name}" if group else element.name
        found += [(where, group, c) for c in (element.required_when, element.applies_when) if c]
    return found


def _leaves(cond: Condition) -> list[Condition]:
    children = (cond.all or []) + (cond.any or []) + ([cond.not_] if cond.not_ else [])
    return [cond] if not children else [leaf for c in children for leaf in _leaves(c)]


# --- identity -----------------------------------------------------------------------------------


def test_file_ships_with_the_package() -> None:
    assert PATH in shipped_definition_paths()


def test_registry_and_version(definition: Definition) -> None:
    assert definition.registry.code == "3dp"
    assert definition.registry.name == "3D Printing Registry"
    assert definition.version == "1.0.0"
    assert definition.version_tuple == (1, 0, 0)


def test_sections_in_form_order(definition: Definition) -> None:
    assert [s.code for s in definition.sections] == list(RECORD_SHAPE)


def test_named_rules_and_derived_values_bind_to_functions(definition: Definition) -> None:
    assert check_definition(definition) == []


# --- elements of docs/record-shape.md ------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "name"), [(s, n) for s, names in RECORD_SHAPE.items() for n in names]
)
def test_record_shape_element_is_in_its_section(
    definition: Definition, section: str, name: str
) -> None:
    assert definition.section_of.get(name) == section


@pytest.mark.parametrize("section", list(RECORD_SHAPE))
def test_section_holds_only_record_shape_elements(definition: Definition, section: str) -> None:
    declared = next(s for s in definition.sections if s.code == section)
    assert [e.name for e in declared.elements] == RECORD_SHAPE[section]


@pytest.mark.parametrize(("group", "children"), list(GROUP_SHAPE.items()))
def test_group_rows_hold_record_shape_elements(
    definition: Definition, group: str, children: list[str]
) -> None:
    assert [e.name for e in definition.groups[group].elements] == children


def test_groups_are_exactly_the_record_shape_groups(definition: Definition) -> None:
    assert set(definition.groups) == set(GROUP_SHAPE)


def test_multi_valued_elements(definition: Definition) -> None:
    assert {e.name for _, e in definition.walk() if is_multiple(e)} == MULTIPLE


def test_every_element_has_a_label_and_help(definition: Definition) -> None:
    bare = [e.name for e in definition.elements.values() if not (e.label and e.help.strip())]
    bare += [e.name for _, e in definition.walk() if not (e.label and e.help.strip())]
    assert bare == []


def test_element_count(definition: Definition) -> None:
    assert len(definition.elements) == sum(len(n) for n in RECORD_SHAPE.values())
    assert len(list(definition.walk())) == (
        len(definition.elements) - len(GROUP_SHAPE) + sum(len(c) for c in GROUP_SHAPE.values())
    )


# --- value sets ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "codes"), list(VALUE_SETS.items()))
def test_value_set_codes(definition: Definition, name: str, codes: set[str]) -> None:
    value_set = definition.value_sets[name]
    assert {v.code for v in value_set.values} == codes
    assert all(v.label.strip() for v in value_set.values)
    assert value_set.source


def test_no_value_sets_beyond_the_form(definition: Definition) -> None:
    assert set(definition.value_sets) == set(VALUE_SETS) | {"sig_scenario"}


def test_organ_system_has_twelve(definition: Definition) -> None:
    assert len(definition.value_sets["organ_system"].values) == 12


@pytest.mark.parametrize("name", sorted(OURS))
def test_our_value_sets_say_so(definition: Definition, name: str) -> None:
    assert "ours" in definition.value_sets[name].source.lower()


@pytest.mark.parametrize("name", sorted(set(VALUE_SETS) - {"cpt_code"}))
def test_codes_are_lower_snake_case(definition: Definition, name: str) -> None:
    bad = [
        v.code
        for v in definition.value_sets[name].values
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v.code)
    ]
    assert bad == []


@pytest.mark.parametrize(("code", "words"), [
    ("0559T", "first"), ("0560T", "0559T"), ("0561T", "first"), ("0562T", "0561T"),
])  # fmt: skip
def test_cpt_labels_describe_each_code(definition: Definition, code: str, words: str) -> None:
    label = definition.value_sets["cpt_code"].label_of(code)
    assert label.startswith(code)
    assert words in label.removeprefix(code)


@pytest.mark.parametrize(("dotted", "value_set"), list(CODED.items()))
def test_coded_element_uses_its_value_set(
    definition: Definition, dotted: str, value_set: str
) -> None:
    element = _element(definition, dotted)
    assert isinstance(element, CodeElement | CodesElement)
    assert element.value_set == value_set


# --- constraints ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("dotted", "bounds"), list(NUMBERS.items()))
def test_numeric_bounds(
    definition: Definition, dotted: str, bounds: tuple[str, float | None, float | None]
) -> None:
    kind, low, high = bounds
    element = _element(definition, dotted)
    assert isinstance(element, IntegerElement | DecimalElement)
    assert (element.type, element.min, element.max) == (kind, low, high)


def test_scale_is_strictly_positive(definition: Definition) -> None:
    element = _element(definition, "prints.scale_pct")
    assert isinstance(element, DecimalElement)
    assert element.min_exclusive
    with pytest.raises(ValueProblem):
        element.check(0.0)
    element.check(100.0)


def test_age_allows_two_decimals(definition: Definition) -> None:
    element = definition.elements["patient_age_years"]
    assert isinstance(element, DecimalElement)
    assert element.max_decimals == 2
    assert element.unit == "years"
    assert element.required


@pytest.mark.parametrize("name", ["request_date", "delivery_date", "procedure_date"])
def test_dates_are_not_in_the_future(definition: Definition, name: str) -> None:
    assert getattr(definition.elements[name], "not_future", False)


@pytest.mark.parametrize(("dotted", "scan"), list(IDENTIFIER_SCAN.items()))
def test_identifier_scan(definition: Definition, dotted: str, scan: str) -> None:
    element = _element(definition, dotted)
    assert isinstance(element, TextElement)
    assert element.identifier_scan == scan


@pytest.mark.parametrize(("dotted", "length"), [
    ("local_case_id", 64), ("indication_text", 500), ("segmentation_software", 120),
    ("prints.material", 120), ("anatomic_parts.comment", 500), ("assessment_comment", 1000),
])  # fmt: skip
def test_text_lengths(definition: Definition, dotted: str, length: int) -> None:
    element = _element(definition, dotted)
    assert isinstance(element, TextElement)
    assert element.max_length == length


@pytest.mark.parametrize("code", ["Q20.1", "C64.1", "I25.10", "S72.001A", "C4A.9", "Z99"])
def test_icd10_pattern_accepts(definition: Definition, code: str) -> None:
    element = definition.elements["indication_icd10"]
    element.check(code)


@pytest.mark.parametrize("code", ["q20.1", "Q2", "Q20.12345", "Q20-1", "20.1", "Q20."])
def test_icd10_pattern_refuses(definition: Definition, code: str) -> None:
    element = definition.elements["indication_icd10"]
    with pytest.raises(ValueProblem):
        element.check(code)


def test_icd10_list_is_bounded_and_hinted(definition: Definition) -> None:
    element = definition.elements["indication_icd10"]
    assert isinstance(element, TextElement)
    assert element.multiple
    assert element.max_items == 20
    assert element.pattern_hint


@pytest.mark.parametrize("name", ["source_modalities", "intended_uses", "used_phases"])
def test_multi_selects_need_one(definition: Definition, name: str) -> None:
    element = definition.elements[name]
    assert isinstance(element, CodesElement)
    assert element.min_items == 1
    assert element.required


@pytest.mark.parametrize("name", EFFORT)
def test_effort_is_minutes_or_unknown(definition: Definition, name: str) -> None:
    element = definition.elements[name]
    assert isinstance(element, IntegerElement)
    assert element.required
    assert element.unknown_allowed
    assert element.unit == "min"
    assert "never both, never neither" in element.help
    staff = "MD" if name.endswith("_clinician_min") else "engineers"
    assert staff in element.help


# --- applicability -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["guide_type", "guide_count"])
def test_guide_fields_apply_to_guides_only(definition: Definition, name: str) -> None:
    element = definition.elements[name]
    assert element.applies_when == GUIDE
    assert element.required


def test_anatomic_parts_required_for_models(definition: Definition) -> None:
    parts = definition.groups["anatomic_parts"]
    assert parts.required_when == MODEL
    assert parts.applies_when is None
    assert (parts.min_rows, parts.max_rows, parts.row_label) == (1, 20, "part")


def test_prints_group(definition: Definition) -> None:
    prints = definition.groups["prints"]
    assert prints.required
    assert (prints.min_rows, prints.max_rows, prints.row_label) == (1, 5, "print")
    printer = _element(definition, "prints.printer")
    assert getattr(printer, "target", None) == "printer"
    assert printer.required


def test_billed_codes_group(definition: Definition) -> None:
    billed = definition.groups["billed_codes"]
    assert not billed.required
    assert billed.required_when is None
    assert (billed.max_rows, billed.row_label) == (4, "code")


def test_laterality_required_for_extremities_and_breast(definition: Definition) -> None:
    laterality = _element(definition, "anatomic_parts.laterality")
    assert laterality.required_when == Condition.model_validate(
        {"field": "region", "in": ["upper_extremity", "lower_extremity", "breast"]}
    )


@pytest.mark.parametrize(("name", "required"), [
    ("procedure_date", True), ("used_phases", True), ("fluoroscopy_guided", False),
])  # fmt: skip
def test_procedure_fields_apply_when_performed(
    definition: Definition, name: str, required: bool
) -> None:
    element = definition.elements[name]
    assert element.applies_when == PERFORMED
    # "yes" must stay a string: unquoted, YAML 1.1 would turn it into True.
    assert element.applies_when.equals == "yes"
    assert element.required is required


def test_fluoro_time_saved_applies_to_fluoroscopy(definition: Definition) -> None:
    element = definition.elements["fluoro_time_saved_min"]
    assert element.applies_when == Condition.model_validate(
        {"field": "fluoroscopy_guided", "equals": True}
    )
    assert element.applies_when.equals is True


@pytest.mark.parametrize("name", ["respondent_role", *LIKERT])
def test_assessment_required_once_section_filled(definition: Definition, name: str) -> None:
    element = definition.elements[name]
    assert element.required_when == ASSESSED
    assert not element.required


@pytest.mark.parametrize("name", LIKERT)
def test_likert_help_gives_anchors(definition: Definition, name: str) -> None:
    anchors = ("not at all", "completely") if name.startswith("confidence") else (
        "strongly disagree", "strongly agree")  # fmt: skip
    help_text = definition.elements[name].help
    assert all(a in help_text for a in anchors)


def test_condition_values_are_codes_of_the_field(definition: Definition) -> None:
    problems = []
    for where, group, cond in _conditions(definition):
        for leaf in _leaves(cond):
            if leaf.field is None:
                continue
            target = next((e for e in (group.elements if group else []) if e.name == leaf.field),
                          definition.elements.get(leaf.field))  # fmt: skip
            if not isinstance(target, CodeElement | CodesElement):
                continue
            codes = {v.code for v in definition.value_set_for(target).values}
            wanted = [leaf.equals, leaf.contains, *(leaf.in_ or [])]
            problems += [f"{where}: {w!r}" for w in wanted if w is not None and w not in codes]
    assert problems == []


# --- rules and derived values --------------------------------------------------------------------


def test_rules(definition: Definition) -> None:
    declared = {r.code: (r.function, r.params, r.severity) for r in definition.rules}
    assert declared == RULES
    assert all(r.description.strip() for r in definition.rules)


def test_derived_values(definition: Definition) -> None:
    declared = {d.name: (d.type, d.function, d.params) for d in definition.derived}
    assert declared == DERIVED
    units = {d.name: d.unit for d in definition.derived}
    assert units["turnaround_days"] == "days"


# --- SIG appropriateness scenarios ---------------------------------------------------------------


def test_sig_table_is_versioned_and_illustrative(definition: Definition) -> None:
    sig = definition.value_sets["sig_scenario"]
    assert sig.version == "2024.1"
    assert sig.illustrative
    assert "illustrative" in sig.source
    assert "RSNA" in sig.source


def test_sig_ratings_are_one_to_nine(definition: Definition) -> None:
    ratings = [v.attributes.get("rating") for v in definition.value_sets["sig_scenario"].values]
    assert all(isinstance(r, int) and not isinstance(r, bool) and 1 <= r <= 9 for r in ratings)


def test_sig_all_three_bands_occur(definition: Definition) -> None:
    sig = definition.value_sets["sig_scenario"]
    assert {band_of(int(v.attributes["rating"])) for v in sig.values} == set(Band)


def test_sig_areas(definition: Definition) -> None:
    sig = definition.value_sets["sig_scenario"]
    areas = [str(v.attributes.get("area")) for v in sig.values]
    assert set(areas) == SIG_AREAS
    assert set(VALUE_SETS["organ_system"]) >= SIG_AREAS
    assert all(4 <= areas.count(area) <= 6 for area in SIG_AREAS)


def test_sig_dorv_is_usually_appropriate(definition: Definition) -> None:
    sig = definition.value_sets["sig_scenario"]
    dorv = next(v for v in sig.values if v.code == "cardiac_dorv")
    assert "double outlet right ventricle" in dorv.label
    assert band_of(int(dorv.attributes["rating"])) is Band.USUALLY
