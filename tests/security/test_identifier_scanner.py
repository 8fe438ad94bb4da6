"""Attack: hide a patient identifier from the scanner (issue 12).

Each evasion the issue found stored unchanged is posted as a new case, in the clinical indication,
as the local case ID and in the "other, specify" texts of the coded print material and
segmentation software (once free texts that were not scanned). Every one must be refused with 422, an identifier issue at that field, nothing stored,
and the value never repeated in the answer.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from printreg.platform import Platform
from printreg.privacy.normalise import fold
from tests.support.records import records
from tests.support.web import API, HOME, REG, UserClient

EVASIONS = [
    "Patient John Smith",
    "patient john smith",
    "MR. SMITH",
    "Mr. \uff33\uff4d\uff49\uff54\uff48",  # full-width
    "Mr.\u00a0Smith",  # no-break space
    "1234\u200b5678",  # zero-width space
    "1 2 3 4 5 6 7 8",
    "dob 1961.04.03",
    "dob 3 Apr 61",
    "SSN 123.45.6789",
    "12 main street",
    "john.smith [at] example [dot] com",
    "John Smith",
    "DOB 3/4/61",
    "Springfield, IL 62704",
    "call 555 123 4567",
]

# (where the evasion goes, issue path)
FIELDS = [
    ("indication_text", "indication_text"),
    ("local_case_id", "local_case_id"),
    ("material_family_other_text", "prints[1].material_family_other_text"),
    ("segmentation_tool_other_text", "segmentation_tool_other_text"),
]


def _record(field: str, value: str, n: int) -> dict[str, Any]:
    record = copy.deepcopy(records(HOME, 1)[0])
    record["local_case_id"] = f"SEC-{n:04d}"
    if field == "material_family_other_text":
        record["prints"][0] |= {"material_family": "other", field: value}
    elif field == "segmentation_tool_other_text":
        record |= {"segmentation_tool": "other", field: value}
    else:
        record[field] = value
    return record


def _case_count(platform: Platform) -> int:
    main = platform.registry(REG).tables.main
    with platform.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(main)) or 0)


@pytest.mark.parametrize(("field", "path"), FIELDS, ids=[f for f, _ in FIELDS])
def test_every_evasion_is_refused_and_never_echoed(
    dm: UserClient, api_platform: Platform, field: str, path: str
) -> None:
    before = _case_count(api_platform)
    for n, evasion in enumerate(EVASIONS):
        response = dm.post(
            f"{API}/cases", params={"facility": HOME}, json=_record(field, evasion, n)
        )
        assert response.status_code == 422, (field, n, response.text[:300])
        issues = response.json()["issues"]
        rules = {i["rule"] for i in issues if i["path"] == path}
        assert any(rule.startswith("identifier_") for rule in rules), (field, n, issues)
        body = response.text
        decoded = json.dumps(response.json(), ensure_ascii=False)
        for shown in (body, decoded):
            assert evasion not in shown
            assert fold(evasion).text not in shown
    assert _case_count(api_platform) == before
