"""What a research extract may hold, and checking a request against a registry definition.

An element may be released unless it is free text, the local case ID, or a reference to a
facility's printer (its label would name the facility). Text elements that declare a pattern
(ICD-10 codes, for example) are code-like and may be released. Derived values are computed by the
registry's own functions and may be released. A requested group stands for its releasable
elements; one element of a group is asked for as ``group.element`` (``prints.scale_pct``).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from printreg.dictionary import (
    CodeElement,
    Definition,
    DerivedRef,
    GroupElement,
    ScalarElement,
    TextElement,
)
from printreg.dictionary.ages import AGE_TOP_CODE, is_age
from printreg.domain.issues import Issue
from printreg.validation import safe_echo


@dataclass(frozen=True)
class ExtractElement:
    """One element an extract may carry: a scalar (top level or in a group) or a derived value."""

    path: str
    label: str
    element: ScalarElement | None = None
    group: GroupElement | None = None
    derived: DerivedRef | None = None


@dataclass(frozen=True)
class CheckedRequest:
    """A request as checked: elements in definition order, strata by canonical codes, issues."""

    elements: list[str]
    strata: dict[str, list[str]]
    issues: list[Issue] = field(default_factory=list)


def withheld_reason(element: ScalarElement) -> str | None:
    """Return why an element never leaves in an extract, or None when it may."""
    if element.identifier:
        return "it is marked as a direct identifier (REDCap's 'Identifier?'), never released"
    if isinstance(element, TextElement):
        if element.identifier_scan == "case_identifier":
            return "it identifies the case at its facility; extracts carry a random row id instead"
        if element.pattern is None:
            return "it is free text, which is never released"
    if element.references is not None:
        return f"it names a {element.references} of one facility, which would identify the facility"
    return None


__all__ = ["AGE_TOP_CODE", "is_age"]


def age_paths(definition: Definition) -> list[str]:
    """Return the paths of every age element of the definition (``group.element`` in groups)."""
    return [
        f"{group.name}.{element.name}" if group else element.name
        for group, element in definition.walk()
        if is_age(element)
    ]


def releasable_elements(definition: Definition) -> dict[str, ExtractElement]:
    """Return every element an extract may carry, by path, in definition order."""
    found: dict[str, ExtractElement] = {}
    for group, element in definition.walk():
        if withheld_reason(element) is not None:
            continue
        path = f"{group.name}.{element.name}" if group else element.name
        found[path] = ExtractElement(path, element.label, element=element, group=group)
    for derived in definition.derived:
        found[derived.name] = ExtractElement(derived.name, derived.label, derived=derived)
    return found


def stratum_elements(definition: Definition) -> dict[str, CodeElement]:
    """Return the elements a request may be stratified by: top-level single-code elements."""
    return {n: e for n, e in definition.elements.items() if isinstance(e, CodeElement)}


def _known_paths(definition: Definition) -> dict[str, ScalarElement]:
    paths: dict[str, ScalarElement] = {}
    for group, element in definition.walk():
        paths[f"{group.name}.{element.name}" if group else element.name] = element
    return paths


def _issue(path: str, rule: str, message: str, value: str | None = None) -> Issue:
    return Issue("error", "", path, rule, message, value)


def resolve_elements(definition: Definition, requested: Sequence[str]) -> CheckedRequest:
    """Return the requested elements as releasable paths, and an issue for each refused one.

    A group name stands for the group's releasable elements. Issues name the position of the
    element in the request (``elements[2]``) and say why it cannot be released.
    """
    releasable = releasable_elements(definition)
    known = _known_paths(definition)
    wanted: set[str] = set()
    issues: list[Issue] = []
    for n, raw in enumerate(requested):
        name = raw.strip()
        where = f"elements[{n}]"
        if name in definition.groups:
            children = [p for p in releasable if p.startswith(f"{name}.")]
            if not children:
                issues.append(_issue(where, "withheld", f"no element of {name} may be released"))
            wanted.update(children)
        elif name in releasable:
            wanted.add(name)
        elif name in known:
            reason = withheld_reason(known[name])
            issues.append(_issue(where, "withheld", f"{name} cannot be released: {reason}", name))
        else:
            close = difflib.get_close_matches(name, [*releasable, *definition.groups], n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            issues.append(
                _issue(
                    where,
                    "unknown_element",
                    f"this registry's definition {definition.version} has no element of that "
                    f"name{hint}",
                    safe_echo(name),
                )
            )
    if not requested:
        issues.append(_issue("elements", "required", "ask for at least one element"))
    ordered = [p for p in releasable if p in wanted]
    return CheckedRequest(ordered, {}, issues)


def _check_strata(
    definition: Definition, strata: Mapping[str, Sequence[str]]
) -> tuple[dict[str, list[str]], list[Issue]]:
    allowed = stratum_elements(definition)
    issues: list[Issue] = []
    checked: dict[str, list[str]] = {}
    for name, codes in strata.items():
        element = allowed.get(name)
        if element is None:
            issues.append(
                _issue(
                    f"strata.{name}" if name.isidentifier() else "strata",
                    "stratum_element",
                    "strata are single-code elements of the registry: "
                    + ", ".join(sorted(allowed)),
                )
            )
            continue
        lookup = definition.value_set_for(element).lookup
        canonical: list[str] = []
        for n, code in enumerate(codes):
            found = lookup.get(str(code).strip().lower())
            if found is None:
                issues.append(
                    _issue(f"strata.{name}[{n}]", "unknown_code", f"not a code of {element.label}")
                )
            elif found not in canonical:
                canonical.append(found)
        checked[name] = canonical
    return checked, issues


def check_request(
    definition: Definition,
    elements: Sequence[str],
    strata: Mapping[str, Sequence[str]],
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
) -> CheckedRequest:
    """Return a request checked against the definition: releasable elements, canonical strata.

    An empty code list in ``strata`` means every code of that element. ``issues`` is empty when
    the request may be submitted.
    """
    resolved = resolve_elements(definition, elements)
    checked, issues = _check_strata(definition, strata)
    issues = [*resolved.issues, *issues]
    if (period_from or period_to) and definition.case_date is None:
        issues.append(_issue("period", "period", "this registry has no case date to filter on"))
    if period_from and period_to and period_from > period_to:
        issues.append(_issue("period", "period", "the period ends before it starts"))
    return CheckedRequest(resolved.elements, checked, issues)
