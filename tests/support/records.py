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
