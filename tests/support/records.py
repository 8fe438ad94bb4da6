"""Records for functional tests, from the synthetic generator the `seeded` fixture used."""

from __future__ import annotations

from typing import Any

from printreg.synthetic import SyntheticRegistry

SYNTH_SEED = 7


def records(facility: str, count: int, *, status: str = "complete") -> list[dict[str, Any]]:
    """Return ``count`` valid records of one seeded facility, with the wanted status."""
    synth = SyntheticRegistry(seed=SYNTH_SEED, facilities=2)
    out: list[dict[str, Any]] = []
    for code, record in synth.cases(count * 40):
        if code == facility and record["status"] == status:
            out.append(record)
            if len(out) == count:
                return out
    raise AssertionError("the generator gave too few records for the facility")


def gsae_record(n: int, *, event: bool = False) -> dict[str, Any]:
    """Return a valid gsae record; with ``event`` a guide-related adverse event is reported."""
    record: dict[str, Any] = {
        "local_case_id": f"GS-{n:04d}",
        "patient_age_years": 40 + n % 30,
        "procedure_date": f"2025-0{1 + n % 9}-1{n % 9}",
        "report_date": f"2025-0{1 + n % 9}-2{n % 9}",
        "guide_type": ["cutting", "drilling", "positioning"][n % 3],
        "anatomic_region": ["knee", "spine", "craniomaxillofacial"][n % 3],
        "sterilization_method": "steam",
        "guides": [
            {"material": "pa12", "sterilization_cycles": 1},
            *([{"material": "photopolymer", "sterilization_cycles": 2}] if n % 2 else []),
        ],
        "guide_fit": 3 + n % 3,
        "guide_fracture": False,
        "guide_event": event,
    }
    if event:
        record |= {
            "event_types": ["misfit", "delay"],
            "event_severity": "moderate",
            "time_to_event_days": 0,
            "reoperation": False,
            "comment": "free-hand cut after the guide did not seat",
        }
    return record
