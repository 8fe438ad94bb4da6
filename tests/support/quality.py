"""Cases made to trigger each kind of the 3dp quality rules, for the quality tests."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.platform import Platform
from tests.support.records import records
from tests.support.web import HOME, OTHER, REG

#: a word typed into every case's free text: no finding, answer or page may carry it
MARKER = "Quokka"


@dataclass(frozen=True)
class Seeded:
    """The ids of the cases made for each rule, and the local case ids stored (identifiers)."""

    by_rule: dict[str, set[str]]
    assessed: str
    other_facility: str
    local_ids: list[str]


def _store(platform: Platform, facility: str, record: dict[str, Any]) -> str:
    saved = CaseService(platform, Actor.operator("test")).create(REG, facility, record)
    return str(saved.id)


def seed_quality_cases(platform: Platform) -> Seeded:
    """Store sixteen cases at F0001 (one per rule kind made to be found), a likely duplicate,
    an old draft and one case at F0002; return their ids."""
    base = records(HOME, 16)
    for n, record in enumerate(base):
        record["indication_text"] = f"{MARKER} planning {n}"
    base[1]["patient_age_years"] = 110  # range
    base[3]["effort_segmentation_clinician_min"] = 50000  # outlier
    base[9]["ordering_service"] = "orthopaedics"  # combination: a cardiac case
    twin = copy.deepcopy(base[12])  # duplicate of base[12]
    twin["local_case_id"] = "3DP-TWIN-0001"
    draft = records(HOME, 1, status="draft")[0]
    draft["indication_text"] = f"{MARKER} draft"
    ids = [_store(platform, HOME, r) for r in base]
    twin_id = _store(platform, HOME, twin)
    draft_id = _store(platform, HOME, draft)
    other = records(OTHER, 1)[0]
    other["patient_age_years"] = 111  # found too, but only F0002's people see it
    other_id = _store(platform, OTHER, other)
    return Seeded(
        by_rule={
            "age_plausible": {ids[1]},
            "effort_outlier": {ids[3]},
            "cardiac_from_unlikely_service": {ids[9]},
            "assessment_missing": {ids[10]},
            "likely_duplicate": {ids[12], twin_id},
            "stale_draft": {draft_id},
        },
        assessed=ids[0],
        other_facility=other_id,
        local_ids=[r["local_case_id"] for r in [*base, twin, draft, other]],
    )
