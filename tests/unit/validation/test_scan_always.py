"""No definition can switch the identifier scan off (issue 12)."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from printreg.dictionary.loader import parse_definition
from printreg.dictionary.models import Definition
from printreg.validation import ValidationContext, validate_record
from printreg.validation.batch import BatchValidator


def _definition(scan: str | None) -> Definition:
    note: dict[str, Any] = {"name": "note", "label": "Note", "type": "text"}
    if scan is not None:
        note["identifier_scan"] = scan
    return parse_definition(
        {
            "registry": {"code": "mini", "name": "Mini"},
            "version": "1.0.0",
            "sections": [
                {
                    "code": "main",
                    "label": "Main",
                    "elements": [
                        {"name": "local_case_id", "label": "ID", "type": "text", "required": True},
                        note,
                        {
                            "name": "parts",
                            "label": "Parts",
                            "type": "group",
                            "max_rows": 3,
                            "elements": [
                                {"name": "specify", "label": "Other, specify", "type": "text"},
                            ],
                        },
                    ],
                }
            ],
        },
        "mini",
    )


@pytest.mark.parametrize("scan", [None, "free_text", "case_identifier", "none"])
def test_every_text_is_scanned_whatever_the_definition_says(scan: str | None) -> None:
    record = {
        "local_case_id": "John Smith",
        "note": "Mr.\u00a0Smith",
        "parts": [{"specify": "dob 3 Apr 61"}],
    }
    result = validate_record(record, _definition(scan), ValidationContext("F0001", {}))
    rules = {(i.path, i.rule) for i in result.issues}
    assert ("local_case_id", "identifier_person_name") in rules
    assert ("note", "identifier_person_name") in rules
    assert ("parts[1].specify", "identifier_date_of_birth") in rules
    assert not result.ok
    assert all("Smith" not in (i.value or "") and "Smith" not in i.message for i in result.issues)


@pytest.mark.parametrize("scan", ["free_text", "none"])
def test_the_batch_validator_scans_every_text_too(scan: str) -> None:
    frame = pl.DataFrame(
        {
            "status": ["complete"] * 4,
            "local_case_id": ["LAB-1", "John Smith", "LAB-3", "LAB-4"],
            "note": ["aortic root 45 mm", "ok", "Mr.\u00a0Smith", "ok"],
            "parts_1_specify": [None, None, None, "dob 3 Apr 61"],
        }
    )
    outcome = BatchValidator(_definition(scan), ValidationContext("F0001", {})).run(frame)
    assert outcome.ok.to_list() == [True, False, False, False]
