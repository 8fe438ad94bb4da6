"""REDCap interop: data dictionaries out and in, branching logic, and records in REDCap's format."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest

from printreg.dictionary import (
    BooleanElement,
    CodeElement,
    CodesElement,
    Condition,
    DateElement,
    DecimalElement,
    Definition,
    GroupElement,
    IntegerElement,
    ReferenceElement,
    ScalarElement,
    TextElement,
    flat_column,
    is_multiple,
    load_definition_text,
    load_shipped,
)
from printreg.dictionary.redcap import (
    HEADERS,
    MISSING_CODE,
    checkbox_column,
    definition_yaml,
    export_dictionary,
    from_redcap_dictionary,
    to_redcap_dictionary,
    to_redcap_records,
)
from printreg.dictionary.redcap_logic import Target, Untranslatable, from_logic, to_logic
from printreg.synthetic import SyntheticRegistry

SHIPPED = {d.registry.code: d for d in load_shipped()}


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- the dictionary -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["3dp", "gsae"])
def test_the_dictionary_has_the_18_redcap_columns_and_the_record_id_first(code: str) -> None:
    text = to_redcap_dictionary(SHIPPED[code])
    header = next(csv.reader(io.StringIO(text)))
    assert header == list(HEADERS)
    assert len(header) == 18
    rows = _rows(text)
    assert rows[0]["Variable / Field Name"] == "local_case_id"
    assert rows[0]["Section Header"] == "Case header"
    names = [r["Variable / Field Name"] for r in rows]
    assert len(names) == len(set(names))


def test_types_choices_and_logic_follow_the_mapping() -> None:
    rows = {r["Variable / Field Name"]: r for r in _rows(to_redcap_dictionary(SHIPPED["3dp"]))}
    types = {
        name: (rows[name]["Field Type"], rows[name]["Text Validation Type OR Show Slider Number"])
        for name in ("indication_text", "assessment_comment", "guide_count", "slice_thickness_mm",
                     "request_date", "segmentation_software_fda_cleared", "organ_system",
                     "source_modalities", "part_1_region", "print_3_printer")
    }  # fmt: skip
    assert types == {
        "indication_text": ("notes", ""),
        "assessment_comment": ("notes", ""),
        "guide_count": ("text", "integer"),
        "slice_thickness_mm": ("text", "number"),
        "request_date": ("text", "date_ymd"),
        "segmentation_software_fda_cleared": ("yesno", ""),
        "organ_system": ("dropdown", ""),
        "source_modalities": ("checkbox", ""),
        "part_1_region": ("dropdown", ""),
        "print_3_printer": ("text", ""),
    }
    assert rows["request_date"]["Text Validation Max"] == "today"
    assert (rows["guide_count"]["Text Validation Min"], rows["guide_count"]["Text Validation Max"]) == ("1", "20")  # fmt: skip
    assert rows["source_modalities"]["Choices, Calculations, OR Slider Labels"].startswith(
        "ct, CT | cta, CT angiography | mr, MR"
    )
    assert rows["guide_type"]["Branching Logic (Show field only if...)"] == (
        "[object_type] = 'anatomic_guide'"
    )
    assert rows["guide_type"]["Required Field?"] == "y"
    assert rows["fluoro_time_saved_min"]["Branching Logic (Show field only if...)"] == (
        "[fluoroscopy_guided] = '1'"
    )
    # a flattened group: numbered fields, row n shown once row n - 1 has a value
    assert "flattened" in rows["part_2_region"]["Field Note"]
    assert (
        rows["part_2_region"]["Branching Logic (Show field only if...)"] == "[part_1_region] <> ''"
    )
    assert "part_21_region" not in rows
    assert rows["part_1_region"]["Field Annotation"] == (
        "Required when: [object_type] = 'anatomic_model' or [part_1_subregion] <> '' or "
        "[part_1_structure] <> '' or [part_1_laterality] <> '' or [part_1_comment] <> ''"
    )
    assert "Unknown allowed" in rows["effort_cad_clinician_min"]["Field Annotation"]


def test_expressible_derived_values_become_calc_fields_and_the_rest_is_noted() -> None:
    exported = export_dictionary(SHIPPED["3dp"])
    calcs = {f.name: f.choices for f in exported.fields if f.field_type == "calc"}
    assert calcs["turnaround_days"] == 'datediff([request_date], [delivery_date], "d", "ymd", true)'
    assert calcs["confidence_gain"] == "[confidence_after] - [confidence_before]"
    assert calcs["effort_clinician_total_min"].startswith(
        "[effort_consultation_clinician_min] + [effort_segmentation_clinician_min]"
    )
    assert calcs["part_count"].startswith("if([part_1_region] <> '', 1, 0) + if([part_2_region]")
    assert "cpt_suggested" not in calcs
    assert any(n.startswith("derived value cpt_suggested") for n in exported.notes)
    assert any(n.startswith("derived value appropriateness_band") for n in exported.notes)
    assert any("prints.printer: reference to a printer" in n for n in exported.notes)


# -- round trip ---------------------------------------------------------------------------------


def _expected_type(element: ScalarElement) -> str:
    """Return the type an element comes back as: references and lists of texts become text."""
    if isinstance(element, ReferenceElement) or (
        is_multiple(element) and not isinstance(element, CodesElement)
    ):
        return "text"
    return element.type


def _values(definition: Definition, element: ScalarElement) -> list[tuple[str, str]]:
    return [(v.code, v.label) for v in definition.value_set_for(element).values]


@pytest.mark.parametrize("code", ["3dp", "gsae"])
def test_the_dictionary_reimports_into_the_same_elements(code: str) -> None:
    original = SHIPPED[code]
    draft, report = from_redcap_dictionary(to_redcap_dictionary(original), f"{code}_copy", "Copy")
    assert (draft.registry.code, draft.version) == (f"{code}_copy", "0.1.0")
    assert draft.case_date == original.case_date
    assert [(s.code, s.label) for s in draft.sections] == [
        (s.code, s.label) for s in original.sections
    ]
    imported = dict(draft.elements)
    for group, element in original.walk():
        rows = range(1, group.max_rows + 1) if group else [0]
        for row in rows:
            name = flat_column(group, row, element)
            got = imported.pop(name)
            assert not isinstance(got, GroupElement), name
            assert got.type == _expected_type(element), name
            if isinstance(element, CodeElement | CodesElement):
                assert isinstance(got, CodeElement | CodesElement)
                assert _values(draft, got) == _values(original, element), name
            if isinstance(element, IntegerElement | DecimalElement) and got.type == element.type:
                assert isinstance(got, IntegerElement | DecimalElement)
                assert (got.min, got.max, got.unit) == (element.min, element.max, element.unit)
                assert got.unknown_allowed == element.unknown_allowed
            if isinstance(element, DateElement):
                assert isinstance(got, DateElement)
                assert got.not_future == element.not_future
            if isinstance(element, TextElement) and not element.multiple:
                assert isinstance(got, TextElement)
                assert got.max_length == element.max_length
            if isinstance(element, CodesElement):
                assert isinstance(got, CodesElement)
                assert got.max_items == element.max_items
            if group is None:
                assert (got.label, got.required) == (element.label, element.required), name
                assert got.applies_when == element.applies_when, name
                assert (got.required_when is None) == (element.required_when is None), name
    assert imported == {}, "the draft has elements the original does not"
    # derived values are left out, each with a line of the report
    calcs = [line for line in report if "calc field" in line]
    expressible = {"sum_of", "difference", "date_difference", "row_count"}
    assert len(calcs) == sum(d.function in expressible for d in original.derived)


def test_row_conditions_come_back_on_the_numbered_fields() -> None:
    draft, _ = from_redcap_dictionary(to_redcap_dictionary(SHIPPED["3dp"]), "copy", "Copy")
    laterality = draft.elements["part_2_laterality"]
    assert laterality.required_when == Condition.model_validate(
        {"field": "part_2_region", "in": ["upper_extremity", "lower_extremity", "breast"]}
    )
    assert laterality.applies_when == Condition(field="part_1_region", present=True)


def test_the_draft_yaml_loads_back_as_the_same_definition() -> None:
    draft, _ = from_redcap_dictionary(to_redcap_dictionary(SHIPPED["gsae"]), "copy", "Copy")
    assert load_definition_text(definition_yaml(draft, "gsae.csv")) == draft


# -- a hand-written REDCap dictionary -----------------------------------------------------------

HAND_WRITTEN = [
    HEADERS,
    ("record_id", "enrolment", "", "text", "Record ID", "", "", "", "", "", "", "", "", "", "", "", "", ""),
    ("intro", "enrolment", "<b>Enrolment</b>", "descriptive", "Please fill in every field.", "", "", "", "", "", "", "", "", "", "", "", "", ""),
    ("visit_date", "enrolment", "", "text", "Visit date", "", "", "date_mdy", "", "today", "", "", "y", "", "", "", "", ""),
    ("age", "enrolment", "", "text", "Age (years)", "", "Whole years", "integer", "18", "100", "", "", "y", "", "", "", "", "@HIDDEN-SURVEY"),
    ("email", "enrolment", "", "text", "Contact e-mail", "", "", "email", "", "", "y", "", "", "", "", "", "", ""),
    ("bmi", "enrolment", "", "calc", "BMI", "[weight] / ([height] * [height])", "", "", "", "", "", "", "", "", "", "", "", ""),
    ("pain", "enrolment", "", "slider", "Pain", "None | Some | Worst", "", "number", "", "", "", "", "", "", "", "", "", ""),
    ("complications", "outcome", "Outcome", "checkbox", "Complications", "1, Bleeding | 2, Infection | 99, Other", "", "", "", "", "", "", "", "", "", "", "", ""),
    ("other_text", "outcome", "", "notes", "Other complication", "", "", "", "", "", "", "[complications(99)] = '1'", "", "", "", "", "", "@CHARLIMIT=300"),
    ("severity", "outcome", "", "radio", "Severity", "mild, Mild | severe, Severe", "", "", "", "", "", "[complications(1)] = '1' or [complications(2)] = '1'", "", "", "", "", "", ""),
    ("readmitted", "outcome", "", "yesno", "Readmitted", "", "", "", "", "", "", "[age] > 65", "", "", "", "", "", ""),
    ("q_fit", "outcome", "", "radio", "Fit", "1, Poor | 2, Good", "", "", "", "", "", "", "", "", "", "fit_matrix", "", ""),
    ("q_ease", "outcome", "", "radio", "Ease", "1, Poor | 2, Good", "", "", "", "", "", "", "", "", "", "fit_matrix", "", ""),
    ("weight", "outcome", "", "text", "Weight (kg)", "", "", "number_1dp", "0", "", "", "[readmitted] = '1' and [severity] <> 'mild'", "", "", "", "", "", "Unit: kg"),
]  # fmt: skip


def _csv(rows: list[tuple[str, ...]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def test_a_hand_written_dictionary_imports_with_a_report_of_what_was_lost() -> None:
    draft, report = from_redcap_dictionary(_csv(HAND_WRITTEN), "trial", "Trial")
    # the record ID stands before the first section header, which starts a second section
    assert [(s.code, s.label, len(s.elements)) for s in draft.sections] == [
        ("enrolment", "Enrolment", 1),
        ("enrolment_2", "Enrolment", 4),
        ("outcome", "Outcome", 7),
    ]
    elements = draft.elements
    assert list(elements) == [
        "local_case_id", "visit_date", "age", "email", "pain", "complications", "other_text",
        "severity", "readmitted", "q_fit", "q_ease", "weight",
    ]  # fmt: skip
    assert isinstance(elements["local_case_id"], TextElement)
    assert elements["local_case_id"].identifier_scan == "case_identifier"
    visit = elements["visit_date"]
    assert isinstance(visit, DateElement)
    assert (visit.not_future, visit.required) == (True, True)
    age = elements["age"]
    assert isinstance(age, IntegerElement)
    assert (age.min, age.max, age.help) == (18, 100, "Whole years")
    pain = elements["pain"]
    assert isinstance(pain, IntegerElement)
    assert (pain.min, pain.max) == (0, 100)
    complications = elements["complications"]
    assert isinstance(complications, CodesElement)
    assert [v.code for v in draft.value_set_for(complications).values] == ["1", "2", "99"]
    other = elements["other_text"]
    assert isinstance(other, TextElement)
    assert other.max_length == 300
    assert other.applies_when == Condition(field="complications", contains="99")
    severity = elements["severity"]
    assert severity.applies_when == Condition.model_validate(
        {"any": [{"field": "complications", "contains": "1"},
                 {"field": "complications", "contains": "2"}]}
    )  # fmt: skip
    assert isinstance(elements["readmitted"], BooleanElement)
    assert elements["readmitted"].applies_when is None
    weight = elements["weight"]
    assert isinstance(weight, DecimalElement)
    assert (weight.max_decimals, weight.min, weight.unit) == (1, 0, "kg")
    assert weight.applies_when == Condition.model_validate(
        {"all": [{"field": "readmitted", "equals": True},
                 {"not": {"field": "severity", "equals": "mild"}}]}
    )  # fmt: skip
    # the two matrix fields share one value set
    q_fit, q_ease = elements["q_fit"], elements["q_ease"]
    assert isinstance(q_fit, CodeElement)
    assert isinstance(q_ease, CodeElement)
    assert q_fit.value_set == q_ease.value_set
    assert draft.case_date == "visit_date"

    expected = [
        "the record ID field record_id becomes local_case_id",
        "line 3, field intro: descriptive field",
        "line 4, field visit_date: date_mdy dates are read as YYYY-MM-DD",
        "line 5, field age: action tags @HIDDEN-SURVEY are ignored",
        "line 6, field email: validation email has no printreg type; kept as text; it looks",
        "line 6, field email: marked as an identifier in REDCap",
        "line 7, field bmi: calc field ([weight] / ([height] * [height]))",
        "line 8, field pain: slider imported as a whole number 0–100; its labels (None | Some",
        "matrix group fit_matrix (q_fit, q_ease): imported as separate fields",
        "field readmitted: branching logic [[age] > 65] not translated (",
        "case_date is visit_date",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in report), start
    assert len(report) == len(expected)


def test_what_is_not_a_data_dictionary_is_refused() -> None:
    from printreg.dictionary import DefinitionError  # noqa: PLC0415

    with pytest.raises(DefinitionError, match="no column field_name"):
        from_redcap_dictionary("name,age\nx,1\n", "trial", "Trial")
    with pytest.raises(DefinitionError, match=r"registry\.code"):
        from_redcap_dictionary(_csv(HAND_WRITTEN), "Not A Code", "Trial")


def test_api_style_column_names_are_read_too() -> None:
    api = [tuple(c.lower() for c in ("field_name", "form_name", "section_header", "field_type",
           "field_label", "select_choices_or_calculations", "field_note",
           "text_validation_type_or_show_slider_number", "text_validation_min",
           "text_validation_max", "identifier", "branching_logic", "required_field",
           "custom_alignment", "question_number", "matrix_group_name", "matrix_ranking",
           "field_annotation")), *HAND_WRITTEN[1:]]  # fmt: skip
    draft, _ = from_redcap_dictionary(_csv(api), "trial", "Trial")
    assert "weight" in draft.elements


# -- branching logic ----------------------------------------------------------------------------


def _resolve(definition: Definition) -> Any:
    def resolve(name: str) -> Target:
        element = definition.elements[name]
        assert not isinstance(element, GroupElement)
        codes = (
            tuple(v.code for v in definition.value_set_for(element).values)
            if isinstance(element, CodesElement)
            else ()
        )
        return Target((name,), element, codes)

    return resolve


def _kinds(definition: Definition) -> Any:
    return lambda name: getattr(definition.elements.get(name), "type", None)


@pytest.mark.parametrize(
    ("condition", "logic"),
    [
        ({"field": "guide_event", "equals": True}, "[guide_event] = '1'"),
        ({"field": "guide_type", "in": ["cutting", "drilling"]},
         "[guide_type] = 'cutting' or [guide_type] = 'drilling'"),
        ({"not": {"field": "event_types", "contains": "debris"}}, "[event_types(debris)] = '0'"),
        ({"field": "report_date", "present": False}, "[report_date] = ''"),
        ({"not": {"all": [{"field": "guide_fit", "equals": 5},
                          {"field": "guide_type", "in": ["cutting", "drilling"]}]}},
         "[guide_fit] <> 5 or ([guide_type] <> 'cutting' and [guide_type] <> 'drilling')"),
    ],
)  # fmt: skip
def test_conditions_become_redcap_logic_and_come_back_equivalent(
    condition: dict[str, Any], logic: str
) -> None:
    definition = SHIPPED["gsae"]
    cond = Condition.model_validate(condition)
    written = to_logic(cond, _resolve(definition), lambda _: [])
    assert written == logic
    back = from_logic(written, _kinds(definition))
    samples = [
        {"guide_event": True, "guide_type": "cutting", "guide_fit": 5, "event_types": ["debris"]},
        {"guide_event": False, "guide_type": "other", "guide_fit": 2, "report_date": "2025-01-01"},
        {"event_types": ["misfit"]},
        {},
    ]
    for sample in samples:
        assert back.evaluate(sample.get, lambda _: False) == cond.evaluate(
            sample.get, lambda _: False
        ), sample


@pytest.mark.parametrize(
    "logic",
    ["[age] > 65", "datediff([a], [b], 'd') > 3", "[event_1_arm_1][age] = '1'", "[guide_fit] ="],
)
def test_logic_without_an_equivalent_is_refused(logic: str) -> None:
    kinds = {"age": "integer", "a": "date", "b": "date", "guide_fit": "integer"}
    with pytest.raises(Untranslatable):
        from_logic(logic, kinds.get)


# -- records ------------------------------------------------------------------------------------


def _gsae_records() -> list[dict[str, Any]]:
    return [
        {"status": "complete", "local_case_id": "GS-1", "patient_age_years": 61,
         "procedure_date": "2025-03-02", "report_date": "2025-03-05", "guide_type": "cutting",
         "anatomic_region": "knee", "sterilization_method": "steam",
         "guides": [{"material": "pa12", "sterilization_cycles": 1},
                    {"material": "photopolymer", "sterilization_cycles": 2}],
         "guide_fit": 4, "guide_fracture": True, "fragments_retrieved": True, "guide_event": True,
         "event_types": ["fracture", "delay"], "event_severity": "mild", "time_to_event_days": 0,
         "reoperation": False, "comment": "tip, broke; retrieved"},
        {"status": "draft", "local_case_id": "GS-2", "patient_age_years": 35,
         "procedure_date": "2025-04-10", "guide_type": "drilling", "anatomic_region": "spine",
         "sterilization_method": "hydrogen_peroxide",
         "guides": [{"material": "pla", "sterilization_cycles": 0}],
         "guide_fit": 5, "guide_fracture": False, "guide_event": False},
    ]  # fmt: skip


def _from_row(definition: Definition, row: dict[str, str]) -> dict[str, Any]:
    """Read a REDCap import row back into a JSON record (the inverse the tests rely on)."""

    def value(element: ScalarElement, name: str) -> Any:
        if isinstance(element, CodesElement):
            codes = [v.code for v in definition.value_set_for(element).values]
            return [c for c in codes if row[checkbox_column(name, c)] == "1"] or None
        cell = row[name]
        if cell == "":
            return None
        if cell == MISSING_CODE:
            return "unknown"
        if is_multiple(element):
            parts = cell.split("; ")
            return [int(p) for p in parts] if isinstance(element, IntegerElement) else parts
        if isinstance(element, BooleanElement):
            return cell == "1"
        if isinstance(element, IntegerElement):
            return int(cell)
        if isinstance(element, DecimalElement):
            return float(cell)
        return cell

    record: dict[str, Any] = {}
    for name, element in definition.elements.items():
        if isinstance(element, GroupElement):
            rows = []
            for n in range(1, element.max_rows + 1):
                cells = {c.name: value(c, flat_column(element, n, c)) for c in element.elements}
                if any(v is not None for v in cells.values()):
                    rows.append({k: v for k, v in cells.items() if v is not None})
            if rows:
                record[name] = rows
        elif (got := value(element, name)) is not None:
            record[name] = got
    return record


def _synthetic_3dp(count: int) -> list[dict[str, Any]]:
    return [r for _, r in SyntheticRegistry(seed=11, facilities=1).cases(count)]


@pytest.mark.parametrize(
    ("code", "make"), [("gsae", _gsae_records), ("3dp", lambda: _synthetic_3dp(25))]
)
def test_records_export_and_read_back_with_the_same_values(code: str, make: Any) -> None:
    definition = SHIPPED[code]
    records = make()
    text = to_redcap_records(definition, records)
    rows = _rows(text)
    assert len(rows) == len(records)
    assert next(csv.reader(io.StringIO(text)))[0] == "local_case_id"
    codes = [n for n, e in definition.elements.items() if isinstance(e, CodesElement)]
    for record, row in zip(records, rows, strict=True):
        expected = {k: v for k, v in record.items() if k in definition.elements}
        got = _from_row(definition, row)
        for name in codes:  # checkboxes are a set: REDCap keeps no order
            assert sorted(got.pop(name, [])) == sorted(expected.pop(name, [])), name
        assert got == expected
        complete = {"complete": "2", "locked": "2", "draft": "0"}[record["status"]]
        assert {row[f"{s.code}_complete"] for s in definition.sections} == {complete}


def test_records_use_redcap_conventions() -> None:
    definition = SHIPPED["gsae"]
    row = _rows(to_redcap_records(definition, _gsae_records()[:1]))[0]
    assert (row["guide_fracture"], row["reoperation"]) == ("1", "0")
    assert (row["event_types___fracture"], row["event_types___debris"]) == ("1", "0")
    assert row["guide_2_material"] == "photopolymer"
    assert row["guide_3_material"] == ""
    assert "guide_count" not in row  # calc fields are never imported into REDCap
    unknown = _synthetic_3dp(1)[0] | {"effort_cad_clinician_min": "unknown"}
    assert (
        _rows(to_redcap_records(SHIPPED["3dp"], [unknown]))[0]["effort_cad_clinician_min"]
        == MISSING_CODE
    )


def test_facilities_become_data_access_groups_and_duplicates_are_refused() -> None:
    definition = SHIPPED["gsae"]
    first, second = _gsae_records()
    both = [first | {"facility": "F0001"}, second | {"facility": "F0002"}, first | {"facility": "F0002"}]  # fmt: skip
    rows = _rows(to_redcap_records(definition, both, data_access_group=True))
    assert [(r["local_case_id"], r["redcap_data_access_group"]) for r in rows] == [
        ("F0001-GS-1", "f0001"),
        ("F0002-GS-2", "f0002"),
        ("F0002-GS-1", "f0002"),
    ]
    with pytest.raises(ValueError, match="appears twice"):
        to_redcap_records(definition, [first, first])
