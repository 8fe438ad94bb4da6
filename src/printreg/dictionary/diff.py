"""Differences between two versions of a registry definition, and the version bump they need."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from printreg.dictionary.elements import GroupElement
from printreg.dictionary.models import Definition

Bump = Literal["major", "minor", "patch", "none"]
_ORDER: dict[Bump, int] = {"none": 0, "patch": 1, "minor": 2, "major": 3}
# Changing these constraints can make stored cases invalid: a breaking change.
_BREAKING_ATTRS = frozenset(
    {
        "type",
        "required",
        "required_when",
        "applies_when",
        "min",
        "max",
        "min_exclusive",
        "max_length",
        "pattern",
        "value_set",
        "target",
        "min_rows",
        "max_rows",
        "min_items",
        "max_items",
        "multiple",
        "unknown_allowed",
        "not_future",
        "max_decimals",
    }
)


@dataclass(frozen=True)
class Change:
    """One difference: what kind, where, and a sentence for people."""

    kind: str  # element_added, element_removed, element_changed, code_added, ...
    path: str
    detail: str
    bump: Bump


@dataclass
class DefinitionDiff:
    """Every change from ``old`` to ``new`` and whether the new version number is big enough."""

    old_version: str
    new_version: str
    changes: list[Change] = field(default_factory=list)

    @property
    def required_bump(self) -> Bump:
        """Return the smallest semantic-version bump the changes call for."""
        return max((c.bump for c in self.changes), key=_ORDER.__getitem__, default="none")

    @property
    def actual_bump(self) -> Bump:
        """Return the bump between the two version numbers."""
        old = tuple(int(p) for p in self.old_version.split("."))
        new = tuple(int(p) for p in self.new_version.split("."))
        if new[0] != old[0]:
            return "major"
        if new[1] != old[1]:
            return "minor"
        return "patch" if new[2] != old[2] else "none"

    @property
    def version_problem(self) -> str | None:
        """Return why the new version number is too small for the changes, or None."""
        old = tuple(int(p) for p in self.old_version.split("."))
        new = tuple(int(p) for p in self.new_version.split("."))
        # Whether or not the content changed: a lower number would let an old copy pass as new.
        if new < old:
            return (
                f"version {self.new_version} is lower than the current version "
                f"{self.old_version}: a new version must be higher than the current one"
            )
        needed, actual = self.required_bump, self.actual_bump
        if _ORDER[actual] < _ORDER[needed]:
            return f"these changes need a {needed} version bump, the version shows {actual}"
        return None


def _codes(value: object) -> set[str]:
    """Return the codes of a dumped list attribute (missing_reasons); empty when it has none."""
    return {str(v) for v in value} if isinstance(value, list | tuple) else set()


def _flatten(defn: Definition) -> dict[str, dict[str, object]]:
    out: dict[str, dict[str, object]] = {}
    for element in defn.elements.values():
        out[element.name] = element.model_dump(exclude={"elements"})
        if isinstance(element, GroupElement):
            for child in element.elements:
                out[f"{element.name}.{child.name}"] = child.model_dump()
    return out


def diff_definitions(old: Definition, new: Definition) -> DefinitionDiff:
    """Return the changes from ``old`` to ``new``: elements, value-set codes, rules, derived."""
    result = DefinitionDiff(old.version, new.version)
    add = result.changes.append
    before, after = _flatten(old), _flatten(new)
    # A free-text element replaced by a coded one with a declared mapping loses no stored value
    # and leaves no stored case invalid (the upgrade maps it): a minor change.
    replaced: dict[str, str] = {}
    for up in new.upgrades:
        if up.from_ in before and up.from_ not in after and before[up.from_].get("type") == "text":
            replaced |= {up.from_: up.to, up.to: up.from_, up.other_text: up.from_}
    for path in before.keys() - after.keys():
        if path in replaced:
            detail = f"free text replaced by the coded {replaced[path]}; stored values are mapped"
            add(Change("element_replaced", path, detail, "minor"))
        else:
            add(Change("element_removed", path, "element retired", "major"))
    for path in after.keys() - before.keys():
        if path in replaced:
            detail = f"element added in place of {replaced[path]} (mapped on upgrade)"
            add(Change("element_added", path, detail, "minor"))
            continue
        needs = bool(after[path].get("required") or after[path].get("required_when"))
        add(
            Change(
                "element_added",
                path,
                "required element added" if needs else "optional element added",
                "major" if needs else "minor",
            )
        )
    for path in before.keys() & after.keys():
        for attr in sorted(before[path].keys() | after[path].keys()):
            if before[path].get(attr) != after[path].get(attr):
                bump: Bump = "major" if attr in _BREAKING_ATTRS else "patch"
                if attr == "missing_reasons":
                    # a reason taken away leaves stored answers invalid; a new one does not
                    kept = _codes(after[path].get(attr)) >= _codes(before[path].get(attr))
                    bump = "minor" if kept else "major"
                add(Change("element_changed", path, f"{attr} changed", bump))
    for name in old.value_sets.keys() | new.value_sets.keys():
        old_codes = (
            {v.code for v in old.value_sets[name].values} if name in old.value_sets else set()
        )
        new_codes = (
            {v.code for v in new.value_sets[name].values} if name in new.value_sets else set()
        )
        for code in sorted(old_codes - new_codes):
            add(Change("code_removed", f"{name}:{code}", "code retired", "major"))
        for code in sorted(new_codes - old_codes):
            add(Change("code_added", f"{name}:{code}", "code added", "minor"))
    old_rules = {r.code: r for r in old.rules}
    new_rules = {r.code: r for r in new.rules}
    for code in sorted(old_rules.keys() - new_rules.keys()):
        add(Change("rule_removed", code, "rule dropped", "minor"))
    for code in sorted(new_rules.keys() - old_rules.keys()):
        bump = "major" if new_rules[code].severity == "error" else "minor"
        add(Change("rule_added", code, f"{new_rules[code].severity} rule added", bump))
    for code in sorted(old_rules.keys() & new_rules.keys()):
        if old_rules[code] != new_rules[code]:
            add(Change("rule_changed", code, "rule changed", "major"))
    old_derived = {d.name: d for d in old.derived}
    new_derived = {d.name: d for d in new.derived}
    for name in sorted(old_derived.keys() ^ new_derived.keys()):
        kind = "derived_added" if name in new_derived else "derived_removed"
        add(Change(kind, name, kind.replace("_", " "), "minor"))
    result.changes.sort(key=lambda c: (c.path, c.kind))
    return result


def coded_elements(defn: Definition) -> list[str]:
    """Return the paths of every coded element (used by reports of code changes)."""
    return [
        f"{g.name}.{e.name}" if g else e.name
        for g, e in defn.walk()
        if e.value_set_code is not None
    ]
