"""The registry definition schema: registry, version, value sets, sections, rules, derived values."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from printreg.dictionary.conditions import Condition
from printreg.dictionary.elements import (
    NAME_PATTERN,
    CodeElement,
    DateElement,
    Element,
    ElementBase,
    GroupElement,
    ScalarElement,
    TextElement,
)

SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CodedValue(_Strict):
    """One permitted value: a stable code, a label for people, optional reference attributes."""

    code: str = Field(pattern=CODE_PATTERN, max_length=64)
    label: str
    attributes: dict[str, str | int | float | bool] = Field(default_factory=dict)
    #: other names of the same value (vendor product names, abbreviations); an upgrade from a
    #: free-text element maps them to this code
    aliases: list[str] = Field(default_factory=list)


class ValueSet(_Strict):
    """A named list of coded values, optionally itself versioned (reference tables)."""

    label: str
    version: str | None = None
    source: str = ""
    illustrative: bool = False
    values: list[CodedValue] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ValueSet:
        for attr in ("code", "label"):
            seen: set[str] = set()
            for value in self.values:
                key = str(getattr(value, attr)).strip().lower()
                if key in seen:
                    raise ValueError(f"{attr} {getattr(value, attr)!r} is listed twice")
                seen.add(key)
        owner: dict[str, str] = {}
        for value in self.values:
            for name in (value.code, value.label, *value.aliases):
                key = normalise_name(name)
                if owner.setdefault(key, value.code) != value.code:
                    raise ValueError(f"{name!r} names both {owner[key]!r} and {value.code!r}")
        return self

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Map each code and each label, lower-cased, to its canonical code."""
        table = {v.label.strip().lower(): v.code for v in self.values}
        table.update({v.code.lower(): v.code for v in self.values})
        return table

    @cached_property
    def names(self) -> dict[str, str]:
        """Map each code, label and alias, normalised (:func:`normalise_name`), to its code."""
        return {
            normalise_name(name): v.code
            for v in self.values
            for name in (v.code, v.label, *v.aliases)
        }

    def label_of(self, code: str) -> str:
        """Return the label of a code, or the code itself when it is not in the set."""
        return next((v.label for v in self.values if v.code == code), code)


class Section(_Strict):
    """A titled part of the case form; its elements appear in the order given."""

    code: str = Field(pattern=NAME_PATTERN)
    label: str
    help: str = ""
    #: the REDCap instrument an imported section belongs to: sections after a mid-form section
    #: header (``<form>_2``, ...) share it and are exported back into that one instrument
    form: str | None = Field(default=None, pattern=NAME_PATTERN)
    elements: list[Element] = Field(min_length=1)


class RuleRef(_Strict):
    """A cross-field rule: a named Python function with parameters, and its severity."""

    code: str = Field(pattern=NAME_PATTERN)
    function: str = Field(pattern=NAME_PATTERN)
    params: dict[str, Any] = Field(default_factory=dict)
    severity: Literal["error", "warning"] = "error"
    description: str


class DerivedRef(_Strict):
    """A value computed from others by a named Python function, stored beside the case."""

    name: str = Field(pattern=NAME_PATTERN)
    label: str
    type: Literal["integer", "decimal", "text", "boolean"]
    function: str = Field(pattern=NAME_PATTERN)
    params: dict[str, Any] = Field(default_factory=dict)
    unit: str = ""
    description: str = ""


class ElementUpgrade(_Strict):
    """How a free-text element of an earlier version becomes a coded element of this one.

    A stored text that names a code, a label or an alias of the value set (see
    :meth:`ValueSet.names`) takes that code; any other text takes ``other`` and is kept in the
    ``other_text`` element. Paths are ``name`` or ``group.name`` (both in the same group).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: str = Field(alias="from", pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
    to: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
    other_text: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$")
    other: str = "other"

    @property
    def group(self) -> str | None:
        """Return the repeating group of the three elements, or None at top level."""
        return self.to.split(".")[0] if "." in self.to else None

    @staticmethod
    def leaf(path: str) -> str:
        """Return the element name of a path (``prints.material`` → ``material``)."""
        return path.rsplit(".", maxsplit=1)[-1]


def normalise_name(text: str) -> str:
    """Return a name folded for matching: trimmed, case-folded, inner spaces collapsed."""
    return " ".join(text.split()).casefold()


class RegistryInfo(_Strict):
    """Who the definition belongs to."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=24)
    name: str
    description: str = ""


class Definition(_Strict):
    """One version of a registry definition, cross-checked on load."""

    registry: RegistryInfo
    version: str = Field(pattern=SEMVER_PATTERN)
    changes: str = ""
    #: the date element that places a case in time (list filters, reporting periods)
    case_date: str | None = None
    value_sets: dict[str, ValueSet] = Field(default_factory=dict)
    sections: list[Section] = Field(min_length=1)
    rules: list[RuleRef] = Field(default_factory=list)
    derived: list[DerivedRef] = Field(default_factory=list)
    #: free-text elements of earlier versions that this version replaces by coded ones
    upgrades: list[ElementUpgrade] = Field(default_factory=list)

    @cached_property
    def elements(self) -> dict[str, Element]:
        """Top-level elements (scalars and groups) by name, in form order."""
        return {e.name: e for s in self.sections for e in s.elements}

    @cached_property
    def groups(self) -> dict[str, GroupElement]:
        """Repeating groups by name."""
        return {n: e for n, e in self.elements.items() if isinstance(e, GroupElement)}

    @cached_property
    def section_of(self) -> dict[str, str]:
        """Section code of every top-level element."""
        return {e.name: s.code for s in self.sections for e in s.elements}

    @cached_property
    def section_elements(self) -> dict[str, list[str]]:
        """Top-level element names of every section, by section code."""
        return {s.code: [e.name for e in s.elements] for s in self.sections}

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        """The semantic version as three integers."""
        major, minor, patch = (int(p) for p in self.version.split("."))
        return major, minor, patch

    def walk(self) -> Iterator[tuple[GroupElement | None, ScalarElement]]:
        """Yield every scalar element with the group holding it (None at top level)."""
        for element in self.elements.values():
            if isinstance(element, GroupElement):
                for child in element.elements:
                    yield element, child
            else:
                yield None, element

    def value_set_for(self, element: ElementBase) -> ValueSet:
        """Return the value set of a coded element (KeyError when it has none)."""
        if element.value_set_code is None:
            raise KeyError(element.name)
        return self.value_sets[element.value_set_code]

    @model_validator(mode="after")
    def _cross_references(self) -> Definition:
        problems: list[str] = []
        seen: set[str] = set()
        derived_names = {d.name for d in self.derived}
        for section in self.sections:
            for element in section.elements:
                if element.name in seen:
                    problems.append(f"element {element.name!r} is declared twice")
                seen.add(element.name)
        if self.case_date is not None and not isinstance(
            self.elements.get(self.case_date), DateElement
        ):
            problems.append(f"case_date {self.case_date!r} is not a date element")
        seen_sections = {s.code for s in self.sections}
        if len(seen_sections) != len(self.sections):
            problems.append("two sections share a code")
        for clash in sorted(derived_names & seen):
            problems.append(f"derived value {clash!r} has the name of an element")
        for group, element in self.walk():
            where = f"{group.name}.{element.name}" if group else element.name
            coded = element.value_set_code
            if coded is not None and coded not in self.value_sets:
                problems.append(f"{where}: value set {coded!r} is not defined")
            row_names = {e.name for e in group.elements} if group else set()
            for kind, cond in (
                ("required_when", element.required_when),
                ("applies_when", element.applies_when),
            ):
                if cond is not None:
                    problems.extend(self._condition_problems(where, kind, cond, row_names))
        for group in self.groups.values():
            names = [e.name for e in group.elements]
            if len(set(names)) != len(names):
                problems.append(f"{group.name}: two elements of the group share a name")
            if group.min_rows > group.max_rows:
                problems.append(f"{group.name}: min_rows is greater than max_rows")
            for kind, cond in (
                ("required_when", group.required_when),
                ("applies_when", group.applies_when),
            ):
                if cond is not None:
                    problems.extend(self._condition_problems(group.name, kind, cond, set()))
        problems += self._upgrade_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def element_at(self, path: str) -> ElementBase | None:
        """Return the element at ``name`` or ``group.name``, or None when there is none."""
        if "." not in path:
            return self.elements.get(path)
        group, _, name = path.partition(".")
        holder = self.groups.get(group)
        return next((e for e in holder.elements if e.name == name), None) if holder else None

    def _upgrade_problems(self) -> list[str]:
        problems: list[str] = []
        for n, up in enumerate(self.upgrades, start=1):
            where = f"upgrades[{n}]"
            target, text = self.element_at(up.to), self.element_at(up.other_text)
            groups = {
                p.split(".")[0] if "." in p else None for p in (up.from_, up.to, up.other_text)
            }
            if len(groups) != 1:
                problems.append(f"{where}: from, to and other_text must be in the same group")
            if self.element_at(up.from_) is not None:
                problems.append(f"{where}: {up.from_!r} is still an element of this version")
            if not isinstance(target, CodeElement):
                problems.append(f"{where}: to {up.to!r} is not a code element")
            elif target.value_set in self.value_sets and up.other not in {
                v.code for v in self.value_sets[target.value_set].values
            }:
                problems.append(f"{where}: {up.other!r} is not a code of {target.value_set}")
            if not isinstance(text, TextElement):
                problems.append(f"{where}: other_text {up.other_text!r} is not a text element")
        return problems

    def _condition_target(self, name: str | None, row_names: set[str], where: str) -> object:
        if name in row_names:
            group = self.groups[where.split(".", maxsplit=1)[0]]
            return next(e for e in group.elements if e.name == name)
        return self.elements.get(name or "")

    def _condition_problems(
        self, where: str, kind: str, cond: Condition, row_names: set[str]
    ) -> list[str]:
        problems = [
            f"{where}: {kind} refers to unknown field {name!r}"
            for name in cond.fields()
            if name not in row_names and name not in self.elements
        ]
        for leaf in cond.leaves():
            target = self._condition_target(leaf.field, row_names, where)
            coded = target.value_set_code if isinstance(target, ElementBase) else None
            if coded is not None and coded in self.value_sets:
                codes = {v.code for v in self.value_sets[coded].values}
                for value in leaf.compared_values():
                    if str(value) not in codes:
                        problems.append(
                            f"{where}: {kind} compares {leaf.field} with {value!r}, "
                            f"which is not a code of {coded}"
                        )
        problems += [
            f"{where}: {kind} refers to unknown section {code!r}"
            for code in cond.sections()
            if code not in {s.code for s in self.sections}
        ]
        return problems
