"""Load synthetic facilities, printers and cases through the same services as real data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.cases.service import CaseService
from printreg.dictionary import Definition
from printreg.dictionary.loader import function_params
from printreg.facilities.models import Facility
from printreg.facilities.schemas import FacilityProfile, PrinterInfo
from printreg.facilities.service import FacilityService
from printreg.platform import Platform
from printreg.synthetic import FacilityPlan, SyntheticRegistry


@dataclass(frozen=True)
class SynthLoad:
    """What a synthetic load added."""

    facilities: int
    printers: int
    cases: int
    rejected: int


def load_synthetic(
    platform: Platform,
    actor: Actor,
    *,
    registry: str,
    seed: int,
    facilities: int,
    cases: int,
    today: dt.date | None = None,
    plans: Sequence[FacilityPlan] = (),
    growth: float = 1.0,
    progress: Callable[[int], None] | None = None,
) -> SynthLoad:
    """Add ``facilities`` fictional facilities (skipping codes already there) and ``cases`` cases;
    ``plans`` and ``growth`` shape the facilities and the spread of dates (see SyntheticRegistry).

    Cases go through CaseService.create_many: the same validation and write path as imports.
    """
    synth = SyntheticRegistry(
        seed=seed, facilities=facilities, today=today, plans=plans, growth=growth
    )
    facility_service = FacilityService(platform, actor)
    with platform.sessions() as session:
        known = set(session.scalars(select(Facility.code)))
    added_facilities = added_printers = 0
    for facility in synth.facilities:
        if facility.code in known:
            continue
        facility_service.add(
            FacilityProfile(
                facility.code,
                facility.name,
                facility.facility_type,
                facility.location,
                facility.census_region,
                facility.lab_service_model,
            )
        )
        added_facilities += 1
        for printer in (p for p in synth.printers if p.facility_code == facility.code):
            facility_service.add_printer(
                PrinterInfo(
                    printer.facility_code,
                    printer.label,
                    printer.manufacturer,
                    printer.model,
                    printer.technology,
                )
            )
            added_printers += 1
    definition = platform.registry(registry).current
    scenarios = _scenario_codes(definition)

    def stream() -> Iterator[tuple[str, Mapping[str, Any]]]:
        for n, item in enumerate(synth.cases(cases, scenario_codes=scenarios), start=1):
            if progress is not None and n % 500 == 0:
                progress(500)
            yield item
        if progress is not None:
            progress(cases % 500)

    result = CaseService(platform, actor).create_many(registry, stream())
    return SynthLoad(added_facilities, added_printers, result.created, len(result.rejected))


def _scenario_codes(definition: Definition) -> list[str]:
    """Return the codes of the value set the definition's appropriateness band is rated from
    (the generator links cases to them); [] when the definition derives no band."""
    for ref in definition.derived:
        if ref.function == "appropriateness_band":
            value_set = definition.value_sets.get(
                str(function_params(definition, ref)["value_set"])
            )
            return [v.code for v in value_set.values] if value_set else []
    return []
