"""A registry's data-quality rules, declared as data beside its definition (``quality.yaml``).

Each rule names definition elements and is checked against the definition when loaded: a name
the definition lacks is refused with the rule and the name (:func:`check_spec`). Rules never read
free text (a ``text`` element is refused), so nothing a finding says can come from what a person
typed: a finding's message is built from the rule's and the elements' labels only.

Kinds (``kind``):

* ``range`` – a number outside the registry's plausible range (``min``/``max``), narrower than
  what the definition accepts at all;
* ``outlier`` – a number far from its facility's own values: robust z
  ``0.6745 · (x − median) / MAD`` over the facility's cases beyond ``threshold``;
* ``combination`` – an improbable combination, a condition in the definition's condition
  language (:mod:`printreg.dictionary.conditions`);
* ``stale_draft`` – a draft created more than ``days`` ago;
* ``missing_assessment`` – a ``date`` more than ``days`` past with no element of ``section``
  filled;
* ``duplicate`` – cases of one facility with the same values of every ``keys`` element
  (``group.element`` compares the sorted values of the group's rows).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from printreg.dictionary.conditions import Condition
from printreg.dictionary.elements import NAME_PATTERN, DateElement, ElementBase, TextElement
from printreg.dictionary.loader import SHIPPED_PACKAGE, parse_companion
from printreg.dictionary.models import Definition, DerivedRef

QUALITY_FILE = "quality.yaml"
NO_FREE_TEXT = "a quality rule never reads free text"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Rule(_Strict):
    id: str = Field(pattern=NAME_PATTERN, max_length=48)
    label: str = Field(min_length=1, max_length=120)
    #: the field path a finding points at (and a query is raised on); each kind has a default
    field: str | None = None

    def reads(self) -> list[str]:
        """Return the element and derived-value names the rule reads."""
        return []


class RangeRule(_Rule):
    """A number outside the plausible range."""

    kind: Literal["range"]
    element: str
    min: float | None = None
    max: float | None = None

    def reads(self) -> list[str]:
        """Return the number the rule reads."""
        return [self.element]


class OutlierRule(_Rule):
    """A number far from its facility's own distribution (robust z over median and MAD)."""

    kind: Literal["outlier"]
    element: str
    threshold: float = Field(default=3.5, gt=0)
    #: facilities with fewer values than this are not judged (their spread means nothing yet)
    min_values: int = Field(default=10, ge=3)

    def reads(self) -> list[str]:
        """Return the number the rule reads."""
        return [self.element]


class CombinationRule(_Rule):
    """An improbable combination of values, in the definition's condition language."""

    kind: Literal["combination"]
    when: Condition

    def reads(self) -> list[str]:
        """Return every field the condition reads."""
        return list(dict.fromkeys(self.when.fields()))


class StaleDraftRule(_Rule):
    """A draft created more than ``days`` ago."""

    kind: Literal["stale_draft"]
    days: int = Field(ge=1, le=3650)


class MissingAssessmentRule(_Rule):
    """A date more than ``days`` past and no element of ``section`` filled."""

    kind: Literal["missing_assessment"]
    date: str
    section: str
    days: int = Field(ge=0, le=3650)


class DuplicateRule(_Rule):
    """Cases of one facility sharing the values of every key element."""

    kind: Literal["duplicate"]
    keys: list[str] = Field(min_length=2, max_length=12)

    def reads(self) -> list[str]:
        """Return the key elements."""
        return list(self.keys)


Rule = Annotated[
    RangeRule | OutlierRule | CombinationRule | StaleDraftRule | MissingAssessmentRule
    | DuplicateRule,
    Field(discriminator="kind"),
]  # fmt: skip


class QualitySpec(_Strict):
    """A registry's quality rules; a new ``version`` is a new rule set (results record it)."""

    registry: str
    version: str = Field(default="1.0.0", pattern=r"^\d+\.\d+\.\d+$")
    rules: list[Rule] = Field(default_factory=list)

    @property
    def by_id(self) -> dict[str, Rule]:
        """Return the rules by id."""
        return {r.id: r for r in self.rules}


def _target(definition: Definition, path: str) -> ElementBase | DerivedRef | None:
    """Return the element (``name`` or ``group.name``) or derived value; None when unknown."""
    found = definition.element_at(path)
    if found is not None:
        return found
    return next((d for d in definition.derived if d.name == path), None)


def _number(target: object) -> bool:
    if isinstance(target, DerivedRef):
        return target.type in ("integer", "decimal")
    return isinstance(target, ElementBase) and target.numeric and not target.holds_list()


def _unknown(rule: _Rule, name: str, definition: Definition) -> str:
    return (
        f"rule {rule.id!r}: {name!r} is not an element or derived value of "
        f"{definition.registry.code} {definition.version}"
    )


def _rule_problems(rule: _Rule, definition: Definition) -> list[str]:
    """Return what in one rule does not fit the definition (empty when it fits)."""
    where = f"rule {rule.id!r}"
    problems: list[str] = []
    for name in rule.reads():
        target = _target(definition, name)
        if target is None:
            problems.append(_unknown(rule, name, definition))
        elif isinstance(target, TextElement):
            problems.append(f"{where}: {name!r} is a text element ({NO_FREE_TEXT})")
        elif "." in name and not isinstance(rule, DuplicateRule):
            problems.append(f"{where}: {name!r} is in a repeating group; name a case element")
    if (
        isinstance(rule, RangeRule | OutlierRule)
        and not problems
        and not _number(_target(definition, rule.element))
    ):
        problems.append(f"{where}: {rule.element!r} is not one number per case")
    if isinstance(rule, RangeRule) and rule.min is None and rule.max is None:
        problems.append(f"{where}: give min, max or both")
    if isinstance(rule, CombinationRule):
        sections = {s.code for s in definition.sections}
        problems += [
            f"{where}: section {code!r} is not a section of {definition.registry.code}"
            for code in rule.when.sections()
            if code not in sections
        ]
        problems += _code_problems(rule, definition)
    if isinstance(rule, MissingAssessmentRule):
        if not isinstance(definition.elements.get(rule.date), DateElement):
            if _target(definition, rule.date) is None:
                problems.append(_unknown(rule, rule.date, definition))
            else:
                problems.append(f"{where}: {rule.date!r} is not a date element")
        if rule.section not in definition.section_elements:
            problems.append(
                f"{where}: section {rule.section!r} is not a section of {definition.registry.code}"
            )
    if rule.field is not None and _target(definition, rule.field) is None:
        problems.append(_unknown(rule, rule.field, definition))
    return problems


def _code_problems(rule: CombinationRule, definition: Definition) -> list[str]:
    """Return the codes a combination compares with that its element's value set lacks."""
    problems: list[str] = []
    for leaf in rule.when.leaves():
        target = definition.elements.get(leaf.field or "")
        code = target.value_set_code if isinstance(target, ElementBase) else None
        if code is None or code not in definition.value_sets:
            continue
        codes = {v.code for v in definition.value_sets[code].values}
        problems += [
            f"rule {rule.id!r}: {value!r} is not a code of {leaf.field}"
            for value in leaf.compared_values()
            if str(value) not in codes
        ]
    return problems


def check_spec(spec: QualitySpec, definition: Definition) -> list[str]:
    """Return what in the rules does not fit the definition (empty when everything fits)."""
    problems: list[str] = []
    if spec.registry != definition.registry.code:
        problems.append(
            f"rules are for registry {spec.registry!r}, not {definition.registry.code!r}"
        )
    seen: set[str] = set()
    for rule in spec.rules:
        if rule.id in seen:
            problems.append(f"rule {rule.id!r} is declared twice")
        seen.add(rule.id)
        problems += _rule_problems(rule, definition)
    return problems


def parse_spec(text: str, definition: Definition, source: str) -> QualitySpec:
    """Return the rules in a YAML text, checked against the definition; DefinitionError if not."""
    return parse_companion(text, QualitySpec, check_spec, definition, source)


def shipped_path(registry: str) -> Path:
    """Return where a shipped registry keeps its rules (the file may be absent)."""
    return Path(str(resources.files(SHIPPED_PACKAGE))) / registry / QUALITY_FILE


#: checked rules by (registry, definition version, rules text): a published version's
#: definition cannot change (its checksum is stored), so the check holds while the text does
_CHECKED: dict[tuple[str, str, str], QualitySpec] = {}


def shipped_spec(definition: Definition) -> QualitySpec:
    """Return the registry's shipped rules checked against the definition; no rules when it
    ships none."""
    path = shipped_path(definition.registry.code)
    if not path.is_file():
        return QualitySpec(registry=definition.registry.code, version="0.0.0")
    text = path.read_text("utf-8")
    key = (definition.registry.code, definition.version, text)
    if key not in _CHECKED:
        _CHECKED[key] = parse_spec(text, definition, str(path))
    return _CHECKED[key]


def finding_field(rule: Rule, definition: Definition) -> str:
    """Return the field path the rule's findings point at: the rule's ``field``, else its
    element, first key, first condition field, the section's first element, the case date."""
    if rule.field is not None:
        return rule.field
    if isinstance(rule, RangeRule | OutlierRule):
        return rule.element
    if isinstance(rule, DuplicateRule | CombinationRule):
        return rule.reads()[0]
    if isinstance(rule, MissingAssessmentRule):
        return definition.section_elements[rule.section][0]
    return definition.case_date or next(iter(definition.elements))


def label_of(definition: Definition, path: str) -> str:
    """Return the label of an element or derived value (the path when unknown)."""
    return str(getattr(_target(definition, path), "label", path))


def message(rule: Rule, definition: Definition) -> str:
    """Return what a finding of the rule says: the rule's label and fixed words built from the
    definition's labels and the rule's figures, never a value of a case."""
    words: str
    if isinstance(rule, RangeRule):
        low = "" if rule.min is None else f"{rule.min:g}"
        high = "" if rule.max is None else f"{rule.max:g}"
        words = f"{label_of(definition, rule.element)} is outside the plausible range {low}–{high}"
    elif isinstance(rule, OutlierRule):
        words = (
            f"{label_of(definition, rule.element)} is far from this facility's usual values "
            f"(robust z beyond {rule.threshold:g})"
        )
    elif isinstance(rule, CombinationRule):
        names = ", ".join(label_of(definition, f) for f in rule.reads())
        words = f"an improbable combination of {names}"
    elif isinstance(rule, StaleDraftRule):
        words = f"a draft created more than {rule.days} days ago"
    elif isinstance(rule, MissingAssessmentRule):
        section = next(s.label for s in definition.sections if s.code == rule.section)
        words = (
            f"{label_of(definition, rule.date)} is more than {rule.days} days past and "
            f"the {section.lower()} is empty"
        )
    else:
        names = ", ".join(label_of(definition, k) for k in rule.reads())
        words = f"another case of the facility has the same {names}"
    return f"{rule.label}: {words}"
