"""The typed answers of the dashboards: what the service returns and the API, pages, charts and
PDF read.

Every figure about anyone but the viewer's own facility is either released or withheld, and the
type says which: a comparison's ``facility``, ``registry`` and ``peers`` are a union of a released
figure and :class:`Suppressed` (which carries the reason in ``status``), told apart by the
presence of ``status`` so that the JSON keys stay those of the released figure. Counts that may
be withheld are :data:`ReleasedCount` (``None``: suppressed). The answers are built by
validation from the service's figures, and serialized with ``exclude_unset`` so that a key the
service did not give is absent from the JSON rather than ``null``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag

from printreg.schemas import PublicModel


class _Out(PublicModel):
    """An answer shape of the dashboards: immutable, and no key the schema does not declare."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="forbid")


class Reason(StrEnum):
    """Why a figure is withheld."""

    TOO_FEW_CASES = "too few cases"
    TOO_FEW_FACILITIES = "too few facilities"
    SMALL_COUNT = "suppressed (small count)"


class Suppressed(_Out):
    """A withheld figure: the reason, and the counts that may be shown beside it."""

    status: Reason
    #: the facility's own number of values (its own figure only)
    n: int | None = None
    #: the number of facilities the figure would summarise
    facilities: int | None = None


def _released_or_not(value: Any) -> str:
    """Return the tag of a figure: ``suppressed`` when it carries a reason, else ``released``."""
    if isinstance(value, dict):
        return "suppressed" if "status" in value else "released"
    return "suppressed" if isinstance(value, Suppressed) else "released"


#: a count released to the viewer: perturbed, or None when suppressed (small or complementary)
ReleasedCount = Annotated[int | None, Field(description="None: suppressed (small count)")]


class OwnDistribution(_Out):
    """The facility's own median and interquartile range of a continuous measure (exact)."""

    n: int
    median: float | None = None
    q1: float | None = None
    q3: float | None = None
    mean: float | None = None


class Distribution(_Out):
    """Quartiles of facility medians (registry or peer group)."""

    facilities: int
    p25: float | None = None
    p50: float | None = None
    p75: float | None = None


class ProportionFigure(_Out):
    """A proportion: the facility's exact, or a group's as released (perturbed)."""

    n: int
    x: int | None = None
    p: float | None = None
    facilities: int | None = None


OwnContinuous = Annotated[
    Annotated[OwnDistribution, Tag("released")] | Annotated[Suppressed, Tag("suppressed")],
    Discriminator(_released_or_not),
]
GroupContinuous = Annotated[
    Annotated[Distribution, Tag("released")] | Annotated[Suppressed, Tag("suppressed")],
    Discriminator(_released_or_not),
]
Proportion = Annotated[
    Annotated[ProportionFigure, Tag("released")] | Annotated[Suppressed, Tag("suppressed")],
    Discriminator(_released_or_not),
]


class Limits(_Out):
    """Funnel limits at one level around the registry proportion."""

    low: float
    high: float


class Placement(_Out):
    """Where the facility stands (only what is released: no rank among too few facilities)."""

    percentile_rank: float | None = None
    quartile: int | None = None
    peer_percentile_rank: float | None = None
    #: funnel limits by level ("95", "99.8")
    limits: dict[str, Limits] | None = None
    flag: str | None = None


class Dollars(_Out):
    """Minutes converted to dollars at the default and sensitivity rates."""

    default: float
    sensitivity: dict[str, float]
    assumption: str


class ContinuousComparison(_Out):
    """A continuous measure: the facility's median beside the registry's and peers' quartiles."""

    measure: str
    label: str
    kind: Literal["continuous"]
    unit: str
    cost: bool
    facility: OwnContinuous
    registry: GroupContinuous
    peers: GroupContinuous
    placement: Placement
    dollars: Dollars | None = None


class ProportionComparison(_Out):
    """A proportion: the facility's beside the registry's and peers', with a funnel flag."""

    measure: str
    label: str
    kind: Literal["proportion"]
    unit: str
    cost: bool
    facility: Proportion
    registry: Proportion
    peers: Proportion
    placement: Placement


Comparison = Annotated[ContinuousComparison | ProportionComparison, Field(discriminator="kind")]


class FacilityRef(_Out):
    """A facility by code and name."""

    code: str
    name: str


class PeerGroup(_Out):
    """The facility's peer group: its profile key, dimensions and size."""

    key: str | None
    dimensions: dict[str, str]
    facilities: int
    #: the dimensions in words ("academic, metropolitan, South census region, low volume")
    description: str = ""


class Choice(_Out):
    """A code and its label."""

    code: str
    label: str


class StratumChoices(_Out):
    """A stratum of the registry's analytics spec and its codes."""

    name: str
    label: str
    values: list[Choice]


class Filter(_Out):
    """A chosen filter in words: the stratum's label and the chosen code's label."""

    name: str
    label: str
    code: str
    value: str


class MixRow(_Out):
    """A category of a mix: the facility's count and share (exact), the registry's released."""

    category: str
    label: str = ""
    count: int
    share: float | None
    registry: ReleasedCount
    registry_share: float | None


class Mix(_Out):
    """A mix of categories beside the registry's."""

    label: str
    rows: list[MixRow]
    registry_total_hidden: bool


class FunnelPoint(_Out):
    """A facility on a funnel plot (another's only when released, perturbed)."""

    n: int
    p: float
    this_facility: bool


class TrendPoint(_Out):
    """A quarter of a measure: facility and registry (released) figures."""

    period: str
    quarter: str
    registry: float | None
    facility: float | None
    n: int


class Completeness(_Out):
    """An element's share of reportable cases holding a value and, for an element taking
    reasons for missing data, the share answered with a reason instead (apart from empty)."""

    element: str
    label: str = ""
    registry: float | None
    facility: float | None
    reason_registry: float | None = None
    reason_facility: float | None = None


class PooledEstimate(_Out):
    """A random-effects pooled estimate (no per-facility weights)."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="allow")

    method: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    hksj: bool
    k: int | None = None
    df: int | None = None
    q_df: int | None = None


class PooledStratum(_Out):
    """Time saved pooled over the facilities of one stratum."""

    separate: str
    by: str
    #: the stratum's codes in words, from the definition
    separate_label: str = ""
    by_label: str = ""
    k: ReleasedCount
    cases: ReleasedCount
    pooled: PooledEstimate | None
    note: str
    dollars: Dollars | None = None
    facility_estimate: float | None = None


class ConfidenceTest(_Out):
    """The paired signed-rank test of confidence after − before."""

    n: int
    median_gain: float | None
    mean_gain: float | None
    statistic: float | None
    p_value: float | None
    test: str


Confidence = Annotated[
    Annotated[ConfidenceTest, Tag("released")] | Annotated[Suppressed, Tag("suppressed")],
    Discriminator(_released_or_not),
]


class ExternalEvidence(_Out):
    """The registry's cited external evidence (published studies)."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="allow")

    version: str | None = None
    studies: list[dict[str, Any]] = Field(default_factory=list)


class ValueEvidence(_Out):
    """Pooled time saved per stratum, confidence gain and published evidence."""

    pooled: list[PooledStratum]
    separate: str | None
    external: ExternalEvidence
    confidence: dict[str, Confidence]
    method: str
    cost_assumption: str | None = None


#: a headline's judgement: better / worse when the measure declares which direction is better,
#: higher / lower when it does not, typical in the middle of the facilities or within a
#: proportion's funnel limits
Verdict = Literal["better", "worse", "higher", "lower", "typical"]


class Headline(_Out):
    """One measure in plain words: the sentence, and what it rests on."""

    measure: str
    label: str
    #: the id of the measure's row on the dashboard (details one click away)
    anchor: str
    sentence: str
    #: None when the facility's figure is withheld or there is nothing to compare it with
    verdict: Verdict | None
    #: why the figure is withheld, in plain words (None when shown)
    withheld: str | None = None


class FacilityDashboard(_Out):
    """A facility's benchmark dashboard: its figures beside registry and peers."""

    registry: str
    facility: FacilityRef
    stratum: dict[str, str]
    cases: int
    min_cases: int
    peer_group: PeerGroup
    registry_facilities: int
    measures: list[Comparison]
    period: dict[str, str | None] | None = None
    #: the chosen strata in words
    filters: list[Filter] = Field(default_factory=list)
    strata: list[StratumChoices]
    headlines: list[Headline] = Field(default_factory=list)
    mix: dict[str, Mix]
    funnel: dict[str, list[FunnelPoint]]
    trend: dict[str, list[TrendPoint]]
    completeness: list[Completeness]
    value: ValueEvidence
    disclosure: str
    cost_assumption: str
    methods: dict[str, str]
    report: list[str]
    generated_at: str


class OverviewMeasure(_Out):
    """A headline measure of the registry-wide page."""

    name: str
    label: str
    kind: str
    unit: str


class OverviewRow(_Out):
    """A facility's headline figures, one key per measure name (None without data)."""

    model_config = ConfigDict(from_attributes=True, frozen=True, extra="allow")
    __pydantic_extra__: dict[str, float | None] = Field(init=False)

    facility: str | None
    cases: int


class RegistryOverview(_Out):
    """Every facility's headline figures (registry administrators)."""

    registry: str
    measures: list[OverviewMeasure]
    facilities: list[OverviewRow]
    completeness: list[Completeness]
    value: ValueEvidence
    cost_assumption: str


class Axis(_Out):
    """A side of a cross table: the element, its label, its codes and their labels."""

    element: str
    label: str
    codes: list[str]
    labels: list[str]


class CrossTable(_Out):
    """Released cases by two strata, with margins (last row and column are totals)."""

    rows: Axis
    columns: Axis
    cells: list[list[ReleasedCount]]
    note: str


class PublicMixRow(_Out):
    """A category of a public mix: its label and released count."""

    category: str
    label: str
    count: ReleasedCount


class PublicMix(_Out):
    """A mix as released to anyone."""

    label: str
    rows: list[PublicMixRow]
    total: ReleasedCount


class PublicSummary(_Out):
    """The registry's public aggregates: suppressed counts and pooled estimates only."""

    registry: str
    facilities: ReleasedCount
    #: None when the registry has fewer than two precomputed strata
    cases_by_stratum: CrossTable | None
    mix: dict[str, PublicMix]
    value: ValueEvidence
    cost_assumption: str
    suppression_threshold: int
    disclosure: str


class RefreshOut(_Out):
    """How long rebuilding the analytics took, and how much it holds."""

    seconds: float
    facilities: int
    rows: int
