"""Patient identifiers in free-text fields are refused, and never echoed into issues or logs."""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from printreg.dictionary import Definition, TextElement, load_shipped
from printreg.privacy import IdentifierKind, describe
from printreg.synthetic import SyntheticRegistry
from printreg.validation import ValidationContext, ValidationResult, validate_record

TODAY = dt.date(2025, 6, 30)
Record = dict[str, Any]


@dataclass(frozen=True)
class Identifier:
    kind: IdentifierKind
    text: str
    secrets: tuple[str, ...]  # none of these may appear in any issue or log line


IDENTIFIERS = [
    Identifier(IdentifierKind.DATE_OF_BIRTH, "DOB 03/04/1961", ("03/04/1961", "1961")),
    Identifier(IdentifierKind.MRN, "MRN 48213377", ("48213377",)),
    Identifier(IdentifierKind.SSN, "123-45-6789", ("123-45-6789", "6789")),
    Identifier(IdentifierKind.PHONE, "(555) 123-4567", ("123-4567", "(555)")),
    Identifier(IdentifierKind.EMAIL, "jane.doe@example.org", ("jane.doe", "example.org")),
    Identifier(IdentifierKind.STREET_ADDRESS, "12 Main Street", ("12 Main", "Main Street")),
    Identifier(IdentifierKind.PERSON_NAME, "Patient: Jane Doe", ("Jane", "Doe")),
]
ALWAYS_SECRET = ("48213377", "123-45-6789")


@pytest.fixture(scope="module")
def definition() -> Definition:
    return [d for d in load_shipped() if d.registry.code == "3dp"][-1]


@dataclass(frozen=True)
class Base:
    facility: str
    printers: dict[str, str]
    record: Record


@pytest.fixture(scope="module")
def base(definition: Definition) -> Base:
    """A complete synthetic case with every free-text field filled, known to have no errors."""
    registry = SyntheticRegistry(seed=99, facilities=2, today=TODAY)
    for facility, synthetic in registry.cases(500):
        if synthetic["status"] != "complete" or synthetic["object_type"] != "anatomic_model":
            continue
        printers = {p.label: p.technology for p in registry.printers if p.facility_code == facility}
        record = copy.deepcopy(synthetic)
        for part in record["anatomic_parts"]:
            part.setdefault("subregion", "lateral part")
            part["comment"] = "Segmented from the arterial phase"
        if record.get("procedure_performed") == "yes":
            for name, value in (("respondent_role", "attending"), ("easy_to_use", 4),
                                ("compatible_with_approach", 4), ("plan_altered", 3),
                                ("important_for_case", 4), ("quality_adequate", 5),
                                ("confidence_before", 3), ("confidence_after", 4)):  # fmt: skip
                record.setdefault(name, value)
        record["assessment_comment"] = "Useful for planning the approach."
        record |= {"segmentation_tool": "other", "cad_tool": "other"}
        record["segmentation_tool_other_text"] = "Our own segmentation tool"
        record["cad_tool_other_text"] = "Our own design tool"
        for row in record["prints"]:
            row |= {"material_family": "other", "material_family_other_text": "Our own resin"}
        context = ValidationContext(facility, printers, TODAY)
        if validate_record(record, definition, context).errors:
            continue
        return Base(facility, printers, record)
    pytest.fail("no suitable synthetic case")


def scanned_elements(definition: Definition) -> list[str]:
    # Every text element is scanned (issue 12), whatever its identifier_scan says; one with a
    # pattern (ICD-10 codes) refuses an identifier by its pattern before the scan is reached.
    return [
        f"{group.name}.{element.name}" if group else element.name
        for group, element in definition.walk()
        if isinstance(element, TextElement) and element.pattern is None
    ]


SHIPPED = [d for d in load_shipped() if d.registry.code == "3dp"][-1]
SCANNED = scanned_elements(SHIPPED)


def test_the_scanned_free_text_fields_are_the_expected_ones(definition: Definition) -> None:
    # Guards the parametrization below: a new free-text element is picked up automatically.
    assert set(SCANNED) >= {
        "local_case_id", "indication_text", "anatomic_parts.subregion", "anatomic_parts.comment",
        "assessment_comment", "segmentation_tool_other_text", "cad_tool_other_text",
        "prints.material_family_other_text",
    }  # fmt: skip
    assert scanned_elements(definition) == SCANNED


def test_the_base_case_is_clean(base: Base, definition: Definition) -> None:
    context = ValidationContext(base.facility, base.printers, TODAY)
    result = validate_record(base.record, definition, context)
    assert result.errors == []
    for key in SCANNED:
        assert read(base.record, key), f"{key} is empty in the base case"


def read(record: Record, key: str) -> Any:
    if "." in key:
        group, name = key.split(".")
        return record[group][0].get(name)
    return record.get(key)


def put(record: Record, key: str, value: Any) -> str:
    """Set the field and return its issue path."""
    if "." in key:
        group, name = key.split(".")
        record[group][0][name] = value
        return f"{group}[1].{name}"
    record[key] = value
    return key


def run_logged(
    caplog: pytest.LogCaptureFixture, record: Record, definition: Definition, base: Base
) -> ValidationResult:
    context = ValidationContext(base.facility, base.printers, TODAY)
    with caplog.at_level(logging.DEBUG):
        return validate_record(record, definition, context)


def assert_not_echoed(result: ValidationResult, caplog: pytest.LogCaptureFixture,
                      secrets: tuple[str, ...]) -> None:  # fmt: skip
    for issue in result.issues:
        for secret in secrets:
            assert secret not in issue.message
            assert secret not in (issue.value or "")
            assert secret not in str(issue)
            assert secret not in issue.record_key
            assert secret not in issue.path
    for secret in secrets:
        assert secret not in caplog.text


@pytest.mark.parametrize("template", ["{}", "Case {} seen"], ids=["alone", "in_text"])
@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=lambda i: i.kind.value)
@pytest.mark.parametrize("key", SCANNED)
def test_an_identifier_in_free_text_is_refused_without_echo(
    key: str,
    identifier: Identifier,
    template: str,
    base: Base,
    definition: Definition,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = copy.deepcopy(base.record)
    path = put(record, key, template.format(identifier.text))
    result = run_logged(caplog, record, definition, base)
    found = [i for i in result.issues if i.rule.startswith("identifier_")]
    assert found, result.issues
    assert {i.path for i in found} == {path}
    assert all(i.severity == "error" for i in found)
    assert not result.ok
    expected = f"identifier_{identifier.kind.value}"
    matching = [i for i in found if i.rule == expected]
    assert matching, [i.rule for i in found]
    for issue in matching:
        assert describe(identifier.kind) in issue.message
    assert_not_echoed(result, caplog, (identifier.text, *identifier.secrets, *ALWAYS_SECRET))


@pytest.mark.parametrize("key", SCANNED)
def test_identifiers_are_not_echoed_when_the_text_is_also_too_long(
    key: str, base: Base, definition: Definition, caplog: pytest.LogCaptureFixture
) -> None:
    record = copy.deepcopy(base.record)
    put(record, key, "MRN 48213377 " + "x" * 1200)
    result = run_logged(caplog, record, definition, base)
    assert not result.ok
    assert_not_echoed(result, caplog, ("48213377",))


@pytest.mark.parametrize(
    "local_case_id", ["48213377", 48213377, "4821-3377", " 4821 3377 ", "MRN 1234"]
)
def test_an_mrn_like_local_case_id_is_refused(
    local_case_id: str | int, base: Base, definition: Definition, caplog: pytest.LogCaptureFixture
) -> None:
    record = copy.deepcopy(base.record)
    record["local_case_id"] = local_case_id
    record["organ_system"] = "not_a_code"  # more issues, each with a record key
    record["prints"][0]["copies"] = 0
    result = run_logged(caplog, record, definition, base)
    rules = [i.rule for i in result.issues if i.path == "local_case_id"]
    assert "identifier_mrn" in rules
    issue = next(i for i in result.issues if i.rule == "identifier_mrn")
    assert issue.severity == "error"
    assert "medical record number" in issue.message
    assert len(result.issues) >= 3
    digits = str(local_case_id).strip()
    for issue in result.issues:
        assert issue.record_key != digits
        assert digits not in issue.record_key
        assert "4821" not in issue.record_key
        assert "1234" not in issue.record_key
    assert_not_echoed(result, caplog, (digits, "48213377", "3377"))


def test_a_local_case_id_of_the_lab_is_accepted(base: Base, definition: Definition) -> None:
    record = copy.deepcopy(base.record)
    record["local_case_id"] = "3DP-2025-000123"
    context = ValidationContext(base.facility, base.printers, TODAY)
    result = validate_record(record, definition, context)
    assert result.errors == []
    record["organ_system"] = "not_a_code"
    result = validate_record(record, definition, context)
    assert {i.record_key for i in result.issues} == {"3DP-2025-000123"}


def test_an_explicit_record_key_is_also_kept_out_when_it_is_an_mrn(
    base: Base, definition: Definition
) -> None:
    record = copy.deepcopy(base.record)
    record["organ_system"] = "not_a_code"
    context = ValidationContext(base.facility, base.printers, TODAY)
    result = validate_record(record, definition, context, record_key="MRN 48213377")
    assert result.issues
    assert all("48213377" not in i.record_key for i in result.issues)


@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=lambda i: i.kind.value)
def test_an_identifier_in_a_coded_field_is_not_echoed(
    identifier: Identifier, base: Base, definition: Definition, caplog: pytest.LogCaptureFixture
) -> None:
    record = copy.deepcopy(base.record)
    record["organ_system"] = identifier.text
    record["prints"][0]["printer"] = identifier.text
    result = run_logged(caplog, record, definition, base)
    assert {i.rule for i in result.issues if i.path == "organ_system"} == {"value_set"}
    assert {i.rule for i in result.issues if i.path == "prints[1].printer"} == {"reference"}
    assert_not_echoed(result, caplog, (identifier.text, *identifier.secrets, *ALWAYS_SECRET))


@pytest.mark.parametrize("identifier", IDENTIFIERS, ids=lambda i: i.kind.value)
def test_an_identifier_used_as_a_field_name_is_not_echoed(
    identifier: Identifier, base: Base, definition: Definition, caplog: pytest.LogCaptureFixture
) -> None:
    record = copy.deepcopy(base.record)
    record[identifier.text] = "x"
    record["prints"][0][identifier.text] = "x"
    result = run_logged(caplog, record, definition, base)
    assert [i.rule for i in result.issues] == ["unknown_field", "unknown_field"]
    assert_not_echoed(result, caplog, (identifier.text, *ALWAYS_SECRET))


@pytest.mark.parametrize(
    ("local_case_id", "kind"),
    [
        ("John Smith", IdentifierKind.PERSON_NAME),
        ("john smith", IdentifierKind.PERSON_NAME),
        ("Mr.\u00a0Ｓｍｉｔｈ", IdentifierKind.PERSON_NAME),
        ("DOB 3/4/61", IdentifierKind.DATE_OF_BIRTH),
        ("1234\u200b5678", IdentifierKind.MRN),
        ("jsmith at example dot com", IdentifierKind.EMAIL),
        ("john.smith", IdentifierKind.PERSON_NAME),
        ("Smith_John", IdentifierKind.PERSON_NAME),
    ],
)
def test_a_local_case_id_holding_an_identifier_is_refused_without_echo(
    local_case_id: str,
    kind: IdentifierKind,
    base: Base,
    definition: Definition,
    caplog: pytest.LogCaptureFixture,
) -> None:
    record = copy.deepcopy(base.record)
    record["local_case_id"] = local_case_id
    record["organ_system"] = "not_a_code"  # another issue, which carries the record key
    result = run_logged(caplog, record, definition, base)
    rules = {i.rule for i in result.issues if i.path == "local_case_id"}
    assert f"identifier_{kind.value}" in rules
    assert any(describe(kind) in i.message for i in result.issues if i.path == "local_case_id")
    assert not result.ok
    secrets = (local_case_id, "Smith", "mith", "3/4/61", "5678", "jsmith", "john")
    assert_not_echoed(result, caplog, secrets)
