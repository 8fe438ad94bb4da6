"""The flat CSV layout generated from the 3dp definition: columns, records, headers, template."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from printreg.dictionary import Definition, GroupElement, load_shipped
from printreg.ingest import FlatLayout
from printreg.synthetic import SyntheticRegistry
from printreg.validation import ValidationContext, validate_record
from printreg.validation.shape import to_json_record

TODAY = dt.date(2025, 6, 30)
IDENTIFIER = "MRN 48213377"


@pytest.fixture(scope="module")
def definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


@pytest.fixture(scope="module")
def layout(definition: Definition) -> FlatLayout:
    return FlatLayout(definition)


def test_columns_follow_the_form_with_numbered_group_columns(layout: FlatLayout) -> None:
    columns = layout.columns
    assert columns[:3] == ["status", "local_case_id", "patient_age_years"]
    assert "source_modalities" in columns
    assert columns.index("part_1_region") < columns.index("part_1_comment")
    assert columns.index("part_1_comment") < columns.index("part_2_region")
    assert columns.index("part_20_comment") < columns.index("print_1_printer")
    assert "print_5_material_cost_usd" in columns
    assert "print_6_printer" not in columns
    assert [c for c in columns if c.startswith("billed_code_4_")] == [
        "billed_code_4_code",
        "billed_code_4_units",
    ]
    assert not {"anatomic_parts", "prints", "billed_codes"} & set(columns)
    assert len(columns) == len(set(columns))


def test_required_columns_are_unconditional_elements(layout: FlatLayout) -> None:
    required = layout.required_columns
    assert "local_case_id" in required
    assert "effort_cad_clinician_min" in required
    assert "print_1_printer" in required
    assert "print_2_printer" not in required
    assert "guide_type" not in required  # applies only to guides
    assert "part_1_region" not in required  # the parts group is required only for models
    assert "status" not in required


def test_cells_become_a_record(layout: FlatLayout) -> None:
    row = {
        "status": "Complete",
        "local_case_id": " 3DP-1 ",
        "patient_sex": "",
        "source_modalities": "ct; mr;",
        "part_1_region": "head",
        "part_1_structure": "bone",
        "part_2_subregion": "left lobe",
        "print_1_part_numbers": "1;2",
        "print_1_copies": "2",
        "billed_code_1_code": "",
    }
    record, issues = layout.to_record(row)
    assert issues == []
    assert record == {
        "status": "complete",
        "local_case_id": "3DP-1",
        "source_modalities": ["ct", "mr"],
        "anatomic_parts": [{"region": "head", "structure": "bone"}, {"subregion": "left lobe"}],
        "prints": [{"copies": "2", "part_numbers": ["1", "2"]}],
    }


def test_a_gap_in_a_group_is_an_issue_naming_the_row(layout: FlatLayout) -> None:
    record, issues = layout.to_record(
        {"local_case_id": "3DP-2", "part_1_region": "head", "part_3_region": "neck"}
    )
    assert [(i.rule, i.path, i.record_key) for i in issues] == [
        ("row_gap", "anatomic_parts[2]", "3DP-2")
    ]
    assert "part 2" in issues[0].message
    assert "part 3" in issues[0].message
    assert record["anatomic_parts"] == [{"region": "head"}, {"region": "neck"}]


def test_envelope_columns_pass_through_and_errors_are_ignored(layout: FlatLayout) -> None:
    record, issues = layout.to_record(
        {"facility": "F0001", "definition_version": "1.0.0", "_errors": "x", "local_case_id": "A"}
    )
    assert issues == []
    assert record == {"facility": "F0001", "definition_version": "1.0.0", "local_case_id": "A"}


def test_unknown_columns_are_issues_not_dropped(layout: FlatLayout) -> None:
    _, issues = layout.to_record({"local_case_id": "A", "pateint_sex": "male", IDENTIFIER: "1"})
    assert [i.rule for i in issues] == ["unknown_column", "unknown_column"]
    assert issues[0].path == "pateint_sex"
    assert "did you mean patient_sex?" in issues[0].message
    assert all(IDENTIFIER not in f"{i.path} {i.message}" for i in issues)


def test_header_problems_name_each_problem(layout: FlatLayout) -> None:
    assert layout.header_problems(layout.columns) == []
    assert layout.header_problems(["facility", *layout.required_columns, "_errors"]) == []
    header = [
        *layout.required_columns,
        "Local_Case_ID ",
        "colour",
        "part_21_region",
        "",
        IDENTIFIER,
    ]
    header.remove("organ_system")
    problems = layout.header_problems(header)
    assert any("local_case_id appears 2 times" in p for p in problems)
    assert any("unknown column colour" in p for p in problems)
    assert any("part_21_region" in p and "at most 20 parts" in p for p in problems)
    assert any(f"column {header.index('') + 1} has no name" in p for p in problems)
    assert any("missing: organ_system" in p for p in problems)
    assert len(problems) == 6
    assert all(IDENTIFIER not in p and "48213377" not in p for p in problems)


def test_to_row_refuses_what_the_layout_cannot_hold(layout: FlatLayout) -> None:
    with pytest.raises(ValueError, match="indication_icd10") as caught:
        layout.to_row({"indication_icd10": ["Q20.1", f"{IDENTIFIER};x"]})
    assert IDENTIFIER not in str(caught.value)
    with pytest.raises(ValueError, match="5"):
        layout.to_row({"prints": [{}] * 6})


def test_to_row_writes_every_column_as_text(layout: FlatLayout) -> None:
    row = layout.to_row(
        {
            "status": "draft",
            "patient_age_years": 45.0,
            "slice_thickness_mm": 0.625,
            "request_date": dt.date(2024, 1, 2),
            "segmentation_software_fda_cleared": False,
            "prints": [{"part_numbers": [1, 2], "multicolor": True}],
        }
    )
    assert set(row) == set(layout.columns)
    assert row["patient_age_years"] == "45"
    assert row["slice_thickness_mm"] == "0.625"
    assert row["request_date"] == "2024-01-02"
    assert row["segmentation_software_fda_cleared"] == "false"
    assert row["print_1_part_numbers"] == "1;2"
    assert row["print_1_multicolor"] == "true"
    assert row["print_2_copies"] == ""


def _canonical(definition: Definition, record: Any, context: ValidationContext) -> dict[str, Any]:
    result = validate_record(record, definition, context)
    assert result.errors == []
    return {"status": result.status, **to_json_record(definition, result.record)}


def test_round_trip_of_300_synthetic_records(definition: Definition, layout: FlatLayout) -> None:
    registry = SyntheticRegistry(seed=11, facilities=4, today=TODAY)
    printers: dict[str, dict[str, str]] = {}
    for printer in registry.printers:
        printers.setdefault(printer.facility_code, {})[printer.label] = printer.technology
    scenarios = list(definition.value_sets["sig_scenario"].lookup.values())
    seen_groups: set[str] = set()
    for facility, record in registry.cases(300, scenario_codes=scenarios):
        context = ValidationContext(facility, printers[facility], TODAY)
        back, issues = layout.to_record(layout.to_row(record))
        assert issues == []
        assert back["facility"] == facility
        assert _canonical(definition, back, context) == _canonical(definition, record, context)
        seen_groups |= {n for n in definition.groups if n in record}
    assert seen_groups == set(definition.groups)


def test_template_is_the_header_row(layout: FlatLayout) -> None:
    rows = list(csv.reader(io.StringIO(layout.template_csv())))
    assert rows == [layout.columns]


def test_template_readme_explains_every_column(definition: Definition, layout: FlatLayout) -> None:
    text = layout.template_readme()
    for name, element in definition.elements.items():
        if isinstance(element, GroupElement):
            for child in element.elements:
                assert f"`{element.prefix}_<n>_{child.name}`" in text
        else:
            assert f"`{name}`:" in text
    assert "separated by ';'" in text
    assert "`female` Female" in text
    assert "`0559T` 0559T" in text
    assert "from 0.1 to 10 mm" in text
    assert "or 'unknown'" in text
    assert "required when Object type is Anatomic model" in text
    assert "only when Object type is Anatomic guide" in text
