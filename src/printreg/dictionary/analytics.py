"""What a registry reports: its measures, strata and value evidence, declared as data.

A registry's analytics spec lives beside its definition files (``analytics.yaml``) and refers to
the definition's elements by name; it is checked against the definition when loaded. A measure
may instead take a fact of the model files uploaded to the case's prints (``source: mesh``, see
:data:`MESH_FACTS`). A registry without a spec still gets the generic spec of
:func:`default_spec`: case volume, the mix of every coded element, the median of every number,
and data completeness.

Free text never leaves in an aggregate: no stratum, measure (value, divisor or compared field),
period or value-evidence role may name a ``text`` element (:data:`FREE_TEXT_RULE`). Values
derived by the definition's named functions (the suggested coding, the appropriateness band)
are computed from coded elements and may be mixed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from printreg.dictionary.elements import (
    NAME_PATTERN,
    CodeElement,
    CodesElement,
    DateElement,
    ElementBase,
    GroupElement,
    ReferenceElement,
    TextElement,
)
from printreg.dictionary.loader import SHIPPED_PACKAGE, parse_companion
from printreg.dictionary.models import Definition, DerivedRef

ANALYTICS_FILE = "analytics.yaml"
#: the repeating group whose rows model files are uploaded to (one model per print row)
PRINTS_GROUP = "prints"
#: the facts of a case's model files that a measure with ``source: mesh`` takes as its value,
#: each summed over the models of the case's prints: name → what it is
MESH_FACTS: dict[str, str] = {
    "volume_ml": "enclosed volume (mL); missing when one of the case's models is not closed",
    "surface_area_cm2": "surface area (cm²)",
    "triangles": "triangles",
    "bodies": "separate bodies (connected pieces)",
}


FREE_TEXT_RULE = (
    "free text never leaves in an aggregate: strata, measures and value roles take coded "
    "elements, numbers and dates only"
)


#: attributes of a referenced record that are coded (checked against a fixed list when stored);
#: the others (a printer's manufacturer and model) are typed by the facility: free text
CODED_ATTRIBUTES: dict[str, tuple[str, ...]] = {"printer": ("technology",), "facility": ()}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Success(_Strict):
    """When a case counts as a success of a proportion: exactly one test is given."""

    at_least: float | None = None
    values: list[str | int] | None = Field(default=None, alias="in")
    present: bool | None = None
    count_at_least: int | None = Field(default=None, ge=1)
    matches: str | None = None  # another field that must hold the same value (e.g. coding)

    @model_validator(mode="after")
    def _one_test(self) -> Success:
        given = [k for k, v in self.model_dump(by_alias=False).items() if v is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one test of at_least, in, present, count_at_least, "
                f"matches; got {given or 'none'}"
            )
        return self


class Wording(_Strict):
    """The words a headline compares with, when "higher" and "lower" say it badly (turnaround:
    ``{higher: slower, lower: faster}``)."""

    higher: str = Field(min_length=1, max_length=40)
    lower: str = Field(min_length=1, max_length=40)


class Measure(_Strict):
    """One reported figure: a continuous value, a proportion, or a mix of categories."""

    name: str = Field(pattern=NAME_PATTERN)
    label: str
    kind: Literal["continuous", "proportion", "mix"]
    #: where ``value`` is found: the case's data, or its prints' model files (continuous only)
    source: Literal["case", "mesh"] = "case"
    #: element, derived value, or ``group.element`` (mixes of repeating-group rows); with
    #: ``source: mesh`` one of :data:`MESH_FACTS`
    value: str
    #: reference elements: the attribute of the referenced row (printer: technology, ...)
    attribute: str | None = None
    #: continuous: divide by this element (e.g. effort per part); rows where it is 0 are left out
    per: str | None = None
    unit: str = ""
    #: ``matches`` on ``group.element``: the row element saying how many times the row's value
    #: counts (billed units); each row counts once without it
    weight: str | None = None
    #: proportions: the test of a success, and which cases count (with a value, or every case)
    success: Success | None = None
    among: Literal["present", "all"] = "present"
    #: mixes: the label of cases without a value (left out when empty)
    missing_label: str = ""
    #: continuous: convert minutes to dollars with the cost assumption beside it
    cost: bool = False
    #: follow the measure quarter by quarter (registry and facility)
    trend: bool = False
    description: str = ""
    #: which direction is better (continuous and proportions); none: the headline says only
    #: "higher than" or "lower than", never "better" or "worse"
    better: Literal["higher", "lower"] | None = None
    #: the headline's comparative words instead of "higher"/"lower" (e.g. slower/faster)
    wording: Wording | None = None

    @model_validator(mode="after")
    def _kind_fields(self) -> Measure:
        if self.kind == "mix" and (self.better or self.wording):
            raise ValueError("a mix has no direction: 'better' and 'wording' apply to "
                             "continuous measures and proportions")  # fmt: skip
        if (self.kind == "proportion") != (self.success is not None):
            raise ValueError("a proportion needs 'success'; other kinds must not have it")
        if self.per and self.kind != "continuous":
            raise ValueError("'per' applies to continuous measures only")
        if self.source == "mesh" and (self.kind != "continuous" or self.attribute):
            raise ValueError("a measure of source 'mesh' is continuous, without 'attribute'")
        return self


#: the roles of the value evidence that name a stratum; every other role names a number
STRATUM_ROLES = ("separate", "by")


class ValueSpec(_Strict):
    """Evidence of value: which effect is pooled, across what, never pooling what."""

    effect: str
    separate: str
    by: str
    confidence_before: str | None = None
    confidence_after: str | None = None


class AnalyticsSpec(_Strict):
    """A registry's reporting: period, strata, peer comparison measures, value evidence."""

    registry: str
    version: str = "1.0.0"
    period: str | None = None
    strata: list[str] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    value: ValueSpec | None = None
    #: the charts of the facility feedback report (PDF), in order: ``placement``, ``forest``,
    #: ``funnel_<proportion>``, ``trend_<measure>``, ``mix_<mix>``; empty: every chart
    report: list[str] = Field(default_factory=list)

    @property
    def by_name(self) -> dict[str, Measure]:
        """Measures by name."""
        return {m.name: m for m in self.measures}


def _element(definition: Definition, path: str) -> object | None:
    if "." in path:
        group_name, _, name = path.partition(".")
        group = definition.groups.get(group_name)
        return next((e for e in group.elements if e.name == name), None) if group else None
    if path in definition.elements:
        return definition.elements[path]
    return next((d for d in definition.derived if d.name == path), None)


def _free_text(definition: Definition, where: str, ref: str | None) -> list[str]:
    """Return the problem of a reference to a free-text element, or [] when it is not one."""
    if ref is None:
        return []
    element = _element(definition, ref)
    if getattr(element, "identifier", False):  # derived values carry no flag
        return [f"{where}: {ref!r} is marked as a direct identifier, which never leaves"]
    if not isinstance(element, TextElement):
        return []
    return [f"{where}: {ref!r} is a text element ({FREE_TEXT_RULE})"]


def _free_text_problems(spec: AnalyticsSpec, definition: Definition) -> list[str]:
    """Return every place the spec names a free-text element (empty when it names none)."""
    problems = _free_text(definition, "period", spec.period)
    for name in spec.strata:
        problems += _free_text(definition, f"stratum {name!r}", name)
    for measure in spec.measures:
        if measure.source == "mesh":
            continue
        where = f"measure {measure.name!r}"
        problems += _free_text(definition, where, measure.value)
        problems += _free_text(definition, f"{where} per", measure.per)
        matches = measure.success.matches if measure.success else None
        problems += _free_text(definition, f"{where} matches", matches)
    if spec.value is not None:
        for role, ref in spec.value.model_dump().items():
            problems += _free_text(definition, f"value.{role}", ref)
    return problems


def _numeric(target: object) -> bool:
    """Whether the element or derived value is a number."""
    if isinstance(target, DerivedRef):
        return target.type in ("integer", "decimal")
    return isinstance(target, ElementBase) and target.numeric


def _multiple(target: object) -> bool:
    """Whether the element holds a list of values per case (codes, multiple text or integers)."""
    return isinstance(target, ElementBase) and target.holds_list()


def _one_number(definition: Definition, path: str) -> bool:
    """Whether ``path`` names one number per case: a single-valued top-level number or a
    numeric derived value (group elements have one value per row, not per case)."""
    target = _element(definition, path)
    return "." not in path and _numeric(target) and not _multiple(target)


def _value_problems(value: ValueSpec, definition: Definition) -> list[str]:
    """Return what in the value-evidence roles does not fit the definition."""
    problems: list[str] = []
    roles: dict[str, str | None] = value.model_dump()
    numbers = {role: ref for role, ref in roles.items() if role not in STRATUM_ROLES}
    for role, ref in roles.items():
        if ref is None:
            continue
        target = _element(definition, ref)
        if target is None:
            problems.append(f"value.{role}: {ref!r} is not an element or derived value")
        elif role in numbers and not _one_number(definition, ref):
            problems.append(f"value.{role}: {ref!r} is not a single number per case")
        elif role not in numbers and isinstance(target, TextElement):
            continue  # reported once by _free_text_problems
        elif role not in numbers and (
            "." in ref
            or _multiple(target)
            or not (isinstance(target, CodeElement) or getattr(target, "type", "") == "text")
        ):
            problems.append(
                f"value.{role}: {ref!r} is not a single-valued coded element or derived value"
            )
    return problems


def _per_problems(measure: Measure, definition: Definition) -> list[str]:
    """Return what is wrong with the divisor of a continuous measure ([] when it has none)."""
    where = f"measure {measure.name!r}"
    if measure.per and _element(definition, measure.per) is None:
        return [f"{where}: per {measure.per!r} is not an element or derived value"]
    if measure.per and not _one_number(definition, measure.per):
        return [f"{where}: per {measure.per!r} is not a single number per case"]
    return []


def _mesh_problems(measure: Measure, definition: Definition) -> list[str]:
    """Return what in a measure of the prints' model files does not fit the definition."""
    where = f"measure {measure.name!r}"
    problems: list[str] = []
    if measure.value not in MESH_FACTS:
        problems.append(
            f"{where}: {measure.value!r} is not a model-file fact; "
            f"choose from {', '.join(sorted(MESH_FACTS))}"
        )
    if PRINTS_GROUP not in definition.groups:
        problems.append(
            f"{where}: source 'mesh' needs the repeating group {PRINTS_GROUP!r} "
            "(model files are uploaded to its rows)"
        )
    return problems + _per_problems(measure, definition)


def check_spec(spec: AnalyticsSpec, definition: Definition) -> list[str]:
    """Return what in the spec does not fit the definition (empty when it all fits)."""
    problems = _free_text_problems(spec, definition)
    if spec.registry != definition.registry.code:
        problems.append(f"spec is for registry {spec.registry!r}, not {definition.registry.code!r}")
    if spec.period and not isinstance(definition.elements.get(spec.period), DateElement):
        problems.append(f"period {spec.period!r} is not a date element")
    for name in spec.strata:
        if isinstance(definition.elements.get(name), TextElement):
            continue  # reported by _free_text_problems
        if not isinstance(definition.elements.get(name), CodeElement | CodesElement):
            problems.append(f"stratum {name!r} is not a coded element")
    names: set[str] = set()
    for measure in spec.measures:
        where = f"measure {measure.name!r}"
        if measure.name in names:
            problems.append(f"{where} is declared twice")
        names.add(measure.name)
        if measure.source == "mesh":
            problems += _mesh_problems(measure, definition)
            continue
        target = _element(definition, measure.value)
        if target is None or isinstance(target, GroupElement):
            problems.append(f"{where}: {measure.value!r} is not an element or derived value")
            continue
        if isinstance(target, TextElement):
            continue  # reported by _free_text_problems
        if measure.kind == "continuous" and not _numeric(target):
            problems.append(f"{where}: {measure.value!r} is not a number")
        elif measure.kind == "continuous" and not _one_number(definition, measure.value):
            problems.append(
                f"{where}: {measure.value!r} holds several values per case; "
                "a continuous measure needs one number per case"
            )
        problems += _per_problems(measure, definition)
        if measure.attribute and not isinstance(target, ReferenceElement):
            problems.append(f"{where}: 'attribute' needs a reference element")
        elif isinstance(target, ReferenceElement) and (
            measure.attribute not in CODED_ATTRIBUTES[target.target]
        ):
            coded = ", ".join(CODED_ATTRIBUTES[target.target]) or "none"
            problems.append(
                f"{where}: a {target.target} reference is aggregated by a coded attribute "
                f"({coded}), never by {measure.attribute or 'the record itself'} ({FREE_TEXT_RULE})"
            )
        if (
            measure.kind == "mix"
            and not isinstance(target, CodeElement | CodesElement | ReferenceElement)
            and getattr(target, "type", "") != "text"  # a derived value, computed from codes
        ):
            problems.append(f"{where}: a mix needs a coded element or a derived value")
        matches = measure.success.matches if measure.success else None
        if measure.weight and not (
            matches
            and "." in measure.value
            and _numeric(
                _element(definition, f"{measure.value.partition('.')[0]}.{measure.weight}")
            )
        ):
            problems.append(
                f"{where}: weight {measure.weight!r} needs 'matches' on a group element and a "
                "number of the same group"
            )
        if matches and _element(definition, matches) is None:
            problems.append(f"{where}: matches {matches!r} is not an element or derived value")
    if spec.value is not None:
        problems += _value_problems(spec.value, definition)
    return problems + _report_problems(spec)


#: the charts of a dashboard that belong to no one measure
WHOLE_CHARTS = ("placement", "forest")


def _report_problems(spec: AnalyticsSpec) -> list[str]:
    """Return the report's chart names that name no chart of the dashboard ([] when all do)."""
    charts = {
        *WHOLE_CHARTS,
        *(f"funnel_{m.name}" for m in spec.measures if m.kind == "proportion"),
        *(f"trend_{m.name}" for m in spec.measures if m.trend),
        *(f"mix_{m.name}" for m in spec.measures if m.kind == "mix"),
    }
    return [
        f"report: {name!r} is not a chart of the dashboard (placement, forest, "
        "funnel_<proportion>, trend_<measure with trend>, mix_<mix>)"
        for name in spec.report
        if name not in charts
    ]


def category_label(definition: Definition, path: str, category: str) -> str:
    """Return what people read for a category of a mix or stratum on ``path``: the label of a
    code, a printer technology in words, or the category itself (derived values, the label of
    missing values) when there is nothing to translate."""
    target = _element(definition, path)
    if not isinstance(target, ElementBase):  # a derived value, or nothing
        return category
    value_set = definition.value_sets.get(target.value_set_code or "")
    if value_set is not None:
        return value_set.label_of(category)
    if target.references is not None:
        return category.replace("_", " ").capitalize()
    return category


def element_label(definition: Definition, path: str) -> str:
    """Return the label of an element or derived value (the path itself when unknown)."""
    target = _element(definition, path)
    return str(getattr(target, "label", path))


def parse_spec(text: str, definition: Definition, source: str) -> AnalyticsSpec:
    """Return the spec in a YAML text, checked against the definition; DefinitionError if not."""
    return parse_companion(text, AnalyticsSpec, check_spec, definition, source)


def default_spec(definition: Definition) -> AnalyticsSpec:
    """Return the generic spec of a registry that declares none: volume, mixes, medians."""
    measures: list[Measure] = []
    strata: list[str] = []
    for name, element in definition.elements.items():
        if element.value_set_code is not None:
            label = element.label
            measures.append(Measure(name=f"{name}_mix", label=label, kind="mix", value=name))
            if not element.holds_list() and len(strata) < 2:  # one code per case
                strata.append(name)
        elif element.numeric and not element.holds_list():
            measures.append(
                Measure(
                    name=name,
                    label=element.label,
                    kind="continuous",
                    value=name,
                    unit=getattr(element, "unit", "") or "",
                )
            )
    for ref in definition.derived:
        if ref.type in ("integer", "decimal"):
            measures.append(
                Measure(
                    name=ref.name, label=ref.label, kind="continuous", value=ref.name, unit=ref.unit
                )
            )
    return AnalyticsSpec(
        registry=definition.registry.code,
        period=definition.case_date,
        strata=strata,
        measures=measures,
    )


def shipped_spec(definition: Definition) -> AnalyticsSpec:
    """Return the registry's shipped analytics spec, or the generic one when it ships none."""
    path = Path(str(resources.files(SHIPPED_PACKAGE))) / definition.registry.code / ANALYTICS_FILE
    if not path.is_file():
        return default_spec(definition)
    return parse_spec(path.read_text("utf-8"), definition, str(path))
