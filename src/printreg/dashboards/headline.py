"""A measure in plain words: the headline sentences that open a facility dashboard.

The sentences are built from the dashboard *as released* (never from the aggregates), so a
headline can only repeat a figure the suppression rules let through; a withheld figure gives its
reason in words instead. Whether "higher" is better is the registry's to say, per measure, in its
analytics spec (``better``, and ``wording`` such as slower/faster); a measure that does not say is
described only as higher or lower than the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from printreg.dashboards.schemas import (
    ContinuousComparison,
    FacilityDashboard,
    Headline,
    ProportionComparison,
    Reason,
    Suppressed,
    Verdict,
)
from printreg.dictionary.analytics import AnalyticsSpec, Measure
from printreg.domain.facility import FacilityType

#: a facility type in words, as the peer group is described
TYPE_WORDS = {
    FacilityType.ACADEMIC: "academic medical centres",
    FacilityType.COMMUNITY: "community hospitals",
    FacilityType.CHILDRENS: "children's hospitals",
    FacilityType.FREESTANDING: "freestanding centres",
    FacilityType.OTHER: "other facilities",
}
#: the funnel flags of a proportion, by the side of the registry figure they stand on
ABOVE = ("above 95% limit", "above 99.8% limit")
BELOW = ("below 95% limit", "below 99.8% limit")
#: percentile ranks said as "about the middle of the facilities" rather than higher or lower
#: (a rank of 50 is the median facility: "higher than 50 %" would mislead)
MIDDLE = (40.0, 60.0)


def number(value: float) -> str:
    """Return a figure as people read it: whole when it is whole (or 100 and more), else with
    one decimal; thousands separated."""
    if abs(value) >= 100 or abs(value - round(value)) < 0.05:
        return f"{round(value):,}"
    return f"{value:,.1f}"


def percent(share: float) -> str:
    """Return a share (0–1) as a whole percentage with a space before the sign ("85 %")."""
    return f"{share * 100:.0f} %"


def _with_unit(value: float, unit: str) -> str:
    return f"{number(value)} {unit}" if unit else number(value)


def _words(measure: Measure | None) -> tuple[str, str]:
    """Return the comparatives of a measure, for a figure above and below the others."""
    if measure is not None and measure.wording is not None:
        return measure.wording.higher, measure.wording.lower
    if measure is not None and measure.better == "higher":
        return "better", "worse"
    if measure is not None and measure.better == "lower":
        return "worse", "better"
    return "higher", "lower"


def _verdict(measure: Measure | None, side: Literal["higher", "lower"]) -> Verdict:
    """Return better/worse for a measure that declares its direction, else the side itself."""
    if measure is None or measure.better is None:
        return side
    return "better" if side == measure.better else "worse"


def withheld_words(figure: Suppressed, min_cases: int) -> str:
    """Return why a figure is withheld, in plain words."""
    if figure.status is Reason.TOO_FEW_CASES:
        so_far = f" ({figure.n} so far)" if figure.n else " (none so far)"
        return f"fewer than {min_cases} cases with a value{so_far}"
    if figure.status is Reason.TOO_FEW_FACILITIES:
        return "too few facilities report it to compare with"
    return "withheld, as it would reveal a small count of other facilities' cases"


def _continuous(item: ContinuousComparison, measure: Measure | None, min_cases: int) -> Headline:
    anchor = f"measure-{item.measure}"
    own = item.facility
    if isinstance(own, Suppressed):
        why = withheld_words(own, min_cases)
        return Headline(measure=item.measure, label=item.label, anchor=anchor,
                        sentence=f"{item.label}: not shown here — {why}", verdict=None,
                        withheld=why)  # fmt: skip
    if own.median is None:  # a released figure always has a median; kept total for the type
        return Headline(measure=item.measure, label=item.label, anchor=anchor,
                        sentence=f"{item.label}: no figure yet", verdict=None)  # fmt: skip
    base = f"{item.label} {_with_unit(own.median, item.unit)}"
    registry = item.registry
    rank = item.placement.percentile_rank
    verdict: Verdict | None = None
    if isinstance(registry, Suppressed):
        sentence = f"{base}; no registry comparison: {withheld_words(registry, min_cases)}"
    elif rank is not None and registry.p50 is not None and MIDDLE[0] <= rank <= MIDDLE[1]:
        verdict = "typical"
        sentence = (
            f"{base} — about the middle of the facilities; registry median {number(registry.p50)}"
        )
    elif rank is not None and registry.p50 is not None:
        higher, lower = _words(measure)
        side: Literal["higher", "lower"] = "higher" if rank > MIDDLE[1] else "lower"
        share = rank if side == "higher" else 100 - rank
        word = higher if side == "higher" else lower
        verdict = _verdict(measure, side)
        sentence = (
            f"{base} — {word} than {share:.0f} % of facilities; "
            f"registry median {number(registry.p50)}"
        )
    elif registry.p50 is not None:
        sentence = f"{base}; registry median {number(registry.p50)}"
    else:
        sentence = f"{base}; no registry figure yet"
    return Headline(measure=item.measure, label=item.label, anchor=anchor, sentence=sentence,
                    verdict=verdict)  # fmt: skip


def _proportion(item: ProportionComparison, measure: Measure | None, min_cases: int) -> Headline:
    anchor = f"measure-{item.measure}"
    own = item.facility
    if isinstance(own, Suppressed) or own.p is None:
        why = (
            withheld_words(own, min_cases)
            if isinstance(own, Suppressed)
            else "no case counts towards it yet"
        )
        return Headline(measure=item.measure, label=item.label, anchor=anchor,
                        sentence=f"{item.label}: not shown here — {why}", verdict=None,
                        withheld=why)  # fmt: skip
    base = f"{item.label}: {percent(own.p)} of {own.n} cases"
    registry = item.registry
    flag = item.placement.flag
    verdict: Verdict | None = None
    if isinstance(registry, Suppressed):
        sentence = f"{base}; no registry comparison: {withheld_words(registry, min_cases)}"
    elif registry.p is None:
        sentence = f"{base}; no registry figure yet"
    elif flag in ABOVE or flag in BELOW:
        side: Literal["higher", "lower"] = "higher" if flag in ABOVE else "lower"
        higher, lower = _words(measure)
        verdict = _verdict(measure, side)
        word = higher if side == "higher" else lower
        sentence = f"{base} — {word} than expected from the registry's {percent(registry.p)}"
    else:
        verdict = "typical"
        sentence = f"{base} — within the expected range around the registry's {percent(registry.p)}"
    return Headline(measure=item.measure, label=item.label, anchor=anchor, sentence=sentence,
                    verdict=verdict)  # fmt: skip


def headlines(dashboard: FacilityDashboard, spec: AnalyticsSpec) -> list[Headline]:
    """Return one headline per compared measure (continuous and proportions), in the spec's
    order; mixes are distributions, not comparisons, and have none."""
    measures = spec.by_name
    out = []
    for item in dashboard.measures:
        measure = measures.get(item.measure)
        if isinstance(item, ContinuousComparison):
            out.append(_continuous(item, measure, dashboard.min_cases))
        else:
            out.append(_proportion(item, measure, dashboard.min_cases))
    return out


def peer_group_words(dimensions: Mapping[str, str]) -> str:
    """Return a peer group's profile in words ("academic medical centres, metropolitan, South
    census region, low volume"); empty when the facility has no profile."""
    kind, location, region, band = (dimensions.get(k, "") for k in _DIMENSIONS)
    if not kind:
        return ""
    words = [TYPE_WORDS.get(FacilityType(kind), kind) if kind in set(FacilityType) else kind]
    if location:
        words.append(location)
    if region:
        words.append(f"{region.capitalize()} census region")
    if band:
        words.append(f"{band.replace('_', ' ')} volume")
    return ", ".join(words)


#: the dimensions of a peer group, as ``benchmark.compare`` names them
_DIMENSIONS = ("facility_type", "location", "census_region", "volume_band")
