"""Validate one record against a definition version: parse, apply, require, check, scan, derive."""

from __future__ import annotations

import datetime as dt
import difflib
import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from printreg.dictionary import (
    Condition,
    Definition,
    DefinitionError,
    ElementBase,
    GroupElement,
    ReferenceElement,
    ScalarElement,
    TextElement,
    ValueProblem,
    is_multiple,
)
from printreg.dictionary.elements import item_bounds
from printreg.dictionary.loader import function_params
from printreg.dictionary.missing import (
    JSON_KEY,
    MissingReason,
    reason_from_redcap,
    reason_named,
)
from printreg.domain.issues import Issue, Severity
from printreg.privacy import describe, looks_like_mrn, scan_case_identifier, scan_text
from printreg.validation.functions import DERIVED, RULES, NamedFunction

Mode = Literal["draft", "complete"]
ENVELOPE = ("facility", "status", "definition_version")
ENTERED_STATUSES = ("draft", "complete")
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")


@dataclass(frozen=True)
class ValidationContext:
    """What validation needs beyond the record: who submits it, their printers, today's date."""

    facility_code: str
    printers: Mapping[str, str] = field(default_factory=dict)  # label → technology
    today: dt.date = field(default_factory=dt.date.today)
    date_order: str | None = None  # the facility's local date order (DMY, MDY); None: ISO only


@dataclass
class ValidationResult:
    """Issues found, the canonical record (parsed values, codes not labels), derived values."""

    issues: list[Issue]
    record: dict[str, Any]
    derived: dict[str, Any]
    status: str

    @property
    def errors(self) -> list[Issue]:
        """Return the issues of severity error."""
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        """Return the issues of severity warning."""
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def ok(self) -> bool:
        """Return whether the record has no errors (warnings allowed)."""
        return not self.errors


def check_definition(definition: Definition) -> list[str]:
    """Return problems binding the definition's named rules and derived values; empty when fine."""
    problems: list[str] = []
    for kind, refs, table in (
        ("rule", definition.rules, RULES),
        ("derived", definition.derived, DERIVED),
    ):
        for ref in refs:
            name = getattr(ref, "code", None) or getattr(ref, "name", "")
            named = table.get(ref.function)
            if named is None:
                problems.append(f"{kind} {name}: no function named {ref.function!r}")
                continue
            params = function_params(definition, ref)
            problems.extend(_param_problems(f"{kind} {name}", named, params, definition))
    return problems


def _param_problems(
    where: str, named: NamedFunction, params: Mapping[str, Any], definition: Definition
) -> list[str]:
    try:
        inspect.signature(named.func).bind(None, definition, **params)
    except TypeError as exc:
        return [f"{where}: parameters do not fit {named.func.__name__}: {exc}"]
    problems = []
    for param in named.field_params:
        values = params[param] if isinstance(params[param], list) else [params[param]]
        problems += [
            f"{where}: {param} names unknown element {v!r}"
            for v in values
            if v not in definition.elements
        ]
    problems += [
        f"{where}: {param} names unknown group {params[param]!r}"
        for param in named.group_params
        if params[param] not in definition.groups
    ]
    return problems


def ensure_bound(definition: Definition) -> None:
    """Raise DefinitionError if the definition names functions that do not exist or do not fit."""
    problems = check_definition(definition)
    if problems:
        raise DefinitionError(f"{definition.registry.code} {definition.version}", problems)


def describe_condition(cond: Condition, definition: Definition, group: GroupElement | None) -> str:
    """Return a condition in words, with labels: 'Object type is Anatomic guide'."""
    if cond.all is not None:
        return " and ".join(describe_condition(c, definition, group) for c in cond.all)
    if cond.any is not None:
        return " or ".join(describe_condition(c, definition, group) for c in cond.any)
    if cond.not_ is not None:
        return f"not ({describe_condition(cond.not_, definition, group)})"
    if cond.section_filled is not None:
        section = next(s for s in definition.sections if s.code == cond.section_filled)
        return f"any part of '{section.label}' is filled in"
    assert cond.field is not None  # noqa: S101 - a field condition by construction
    element = _element(definition, group, cond.field)
    label = element.label if element else cond.field

    def word(code: object) -> str:
        if element is not None and element.value_set_code is not None:
            return definition.value_set_for(element).label_of(str(code))
        return str(code).lower() if isinstance(code, bool) else str(code)

    if cond.present is not None:
        return f"{label} is {'given' if cond.present else 'empty'}"
    if cond.equals is not None:
        return f"{label} is {word(cond.equals)}"
    if cond.in_ is not None:
        return f"{label} is one of {', '.join(word(c) for c in cond.in_)}"
    return f"{label} includes {word(cond.contains)}"


def _element(definition: Definition, group: GroupElement | None, name: str) -> ElementBase | None:
    if group is not None:
        for child in group.elements:
            if child.name == name:
                return child
    return definition.elements.get(name)


def safe_echo(raw: object) -> str | None:
    """Return the raw value as short text when it cannot carry a patient identifier, else None."""
    if raw is None or isinstance(raw, list | dict):
        return None
    text = str(raw)
    if len(text) > 60 or scan_case_identifier(text) or looks_like_mrn(text):
        return None
    return text


class _Run:
    """One validation of one record; collects issues while it builds the canonical record."""

    def __init__(
        self, definition: Definition, context: ValidationContext, mode: Mode, key: str
    ) -> None:
        self.defn = definition
        self.ctx = context
        self.mode = mode
        self.key = key
        self.issues: list[Issue] = []
        self.out: dict[str, Any] = {}
        self.invalid: set[str] = set()  # paths whose given value was refused
        self.inapplicable: set[str] = set()  # paths whose element does not apply here

    def add(
        self, path: str, rule: str, message: str, raw: object = None, severity: Severity = "error"
    ) -> None:
        self.issues.append(Issue(severity, self.key, path, rule, message, safe_echo(raw)))

    def unknown_keys(self, given: Mapping[str, Any], allowed: Sequence[str], prefix: str) -> None:
        for name in given:
            if name in allowed:
                continue
            if not _FIELD_NAME.fullmatch(str(name)) or safe_echo(name) is None:
                # A stray key may itself be an identifier (a CSV without its header line).
                self.add(prefix.rstrip(".") or "", "unknown_field",
                         "a field name here looks like data, not a field of this registry: "
                         "remove it (it is not repeated here in case it identifies a patient)")  # fmt: skip
                continue
            close = difflib.get_close_matches(str(name), allowed, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ": remove it"
            self.add(
                f"{prefix}{name}", "unknown_field", f"this registry has no field of that name{hint}"
            )

    # -- values ---------------------------------------------------------------------------------

    def value(self, element: ScalarElement, raw: object, path: str) -> Any:
        """Return the canonical value of one non-missing input, or None after adding an issue."""
        try:
            value = element.parse_in(raw, self)
            element.check(value)
            value = element.settle(value, self, path)  # codes, references, today, the scan
        except ValueProblem as problem:
            self.add(path, problem.rule, f"{element.label}: {problem.message}", raw)
            self.invalid.add(re.sub(r"\[\d+\]$", "", path))  # an item's element path
            return None
        return value

    @property
    def today(self) -> dt.date:
        """The submitting facility's today."""
        return self.ctx.today

    @property
    def date_order(self) -> str | None:
        """The submitting facility's local date order, or None (ISO dates only)."""
        return self.ctx.date_order

    def code(self, element: ElementBase, text: str) -> str:
        value_set = self.defn.value_set_for(element)
        code = value_set.lookup.get(text.lower())
        if code is None:
            choices = [v.code for v in value_set.values]
            shown = ", ".join(choices[:12]) + (", …" if len(choices) > 12 else "")
            raise ValueProblem("value_set", f"choose a code or label of {value_set.label}: {shown}")
        return code

    def reference(self, element: ReferenceElement, text: str) -> str:
        if element.target == "facility":
            if text.lower() != self.ctx.facility_code.lower():
                raise ValueProblem("reference", "give the code of the submitting facility")
            return self.ctx.facility_code
        labels = {label.lower(): label for label in self.ctx.printers}
        if text.lower() in labels:
            return labels[text.lower()]
        if not labels:
            raise ValueProblem("reference", "the facility has no printers yet: add one first")
        raise ValueProblem(
            "reference",
            f"choose one of the facility's printers: {', '.join(sorted(labels.values()))}",
        )

    def scan(self, element: TextElement, text: str, path: str) -> None:
        # Every text is scanned, whatever the definition says: no declaration can switch the
        # scan off (a published definition's legacy ``identifier_scan: none`` is ignored).
        if element.identifier_scan == "case_identifier" and looks_like_mrn(text):
            self.add(
                path,
                "identifier_mrn",
                f"{element.label}: this looks like a medical record "
                "number; use the lab's own case number, never the patient's MRN",
            )
        case_identifier = element.identifier_scan == "case_identifier"
        found = scan_case_identifier(text) if case_identifier else scan_text(text)
        for kind in dict.fromkeys(f.kind for f in found):
            self.add(
                path,
                f"identifier_{kind}",
                f"{element.label}: remove {describe(kind)}; "
                "cases must carry no patient identifiers",
            )

    def reason(self, element: ScalarElement, raw: Mapping[Any, Any], path: str) -> Any:
        """Return the reason for missing data a ``{"missing": …}`` input gives, or None after
        adding an issue (a reason the element does not accept, a value given beside it)."""
        given = raw.get(JSON_KEY)
        reason = (
            given
            if isinstance(given, MissingReason)
            else reason_named(given) or reason_from_redcap(given)
        )
        if set(raw) - {JSON_KEY, "value"} or reason is None:
            self.add(
                path,
                "missing_reason",
                f"{element.label}: give a value, or "
                f'{{"missing": reason}} with one of: {", ".join(element.reasons) or "none"}',
            )
        elif not element.is_missing(raw.get("value")):
            self.add(
                path,
                "missing_and_value",
                f"{element.label}: give either a value or a reason for no value, not both",
            )
        elif not element.accepts(reason):
            accepted = ", ".join(element.reasons) or "none: give a value or leave it empty"
            self.add(
                path,
                "missing_reason",
                f"{element.label}: this field takes these reasons for no value: {accepted}",
            )
        else:
            return reason
        self.invalid.add(path)
        return None

    def element(self, element: ScalarElement, raw: object, path: str) -> Any:
        if isinstance(raw, MissingReason):
            raw = {JSON_KEY: raw}
        if isinstance(raw, Mapping) and JSON_KEY in raw:
            return self.reason(element, raw, path)
        if element.is_missing(raw):
            return None
        if not is_multiple(element):
            if isinstance(raw, list | dict):
                self.add(path, "type", f"{element.label}: give one value, not a list")
                self.invalid.add(path)
                return None
            return self.value(element, raw, path)
        items = raw if isinstance(raw, list) else None
        if items is None:
            self.add(path, "type", f"{element.label}: give a list of values")
            self.invalid.add(path)
            return None
        values = []
        for j, item in enumerate(items, start=1):
            if element.is_missing(item):
                continue
            value = self.value(element, item, f"{path}[{j}]")
            if value is None:
                continue
            if value in values:
                self.add(
                    f"{path}[{j}]",
                    "duplicate_value",
                    f"{element.label}: this value is listed twice; give it once",
                    item,
                )
                continue
            values.append(value)
        max_items = item_bounds(element)[1]
        if max_items is not None and len(values) > max_items:
            self.add(path, "max_items", f"{element.label}: give at most {max_items} values")
        return values

    # -- presence -------------------------------------------------------------------------------

    def _scope(self, scope: Mapping[str, Any], group: GroupElement | None) -> tuple[Any, Any]:
        def lookup(name: str) -> Any:
            return scope[name] if group is not None and name in scope else self.out.get(name)

        def filled(section: str) -> bool:
            names = self.defn.section_elements[section]
            return any(self.out.get(name) not in (None, []) for name in names)

        return lookup, filled

    def applies(
        self, element: ElementBase, value: Any, path: str,
        scope: Mapping[str, Any], group: GroupElement | None,
    ) -> bool:  # fmt: skip
        """Return whether the element applies here; a value given where it does not is an issue."""
        if element.applies_when is None or element.applies_when.evaluate(
            *self._scope(scope, group)
        ):
            return True
        self.inapplicable.add(path)
        if value is not None and value != []:
            when = describe_condition(element.applies_when, self.defn, group)
            self.add(
                path,
                "not_applicable",
                f"{element.label}: leave this empty; it applies only when {when}",
            )
        return False

    def require(
        self, element: ElementBase, value: Any, path: str,
        scope: Mapping[str, Any], group: GroupElement | None,
    ) -> None:  # fmt: skip
        """Add an issue when an applicable element is required here and has no value."""
        present = value is not None and value != []
        if path in self.invalid or path in self.inapplicable:
            return  # a refused value is not also "missing"; an inapplicable one is never needed
        required = element.required or (
            element.required_when is not None
            and element.required_when.evaluate(*self._scope(scope, group))
        )
        if required and not present:
            when = ""
            if element.required_when is not None:
                when = f" when {describe_condition(element.required_when, self.defn, group)}"
            self.add(
                path, "required", f"{element.label}: this is required{when}; fill it in",
                severity=self._soft(),
            )  # fmt: skip
        min_items = item_bounds(element)[0]
        if present and isinstance(value, list) and len(value) < min_items:
            self.add(path, "min_items", f"{element.label}: choose at least {min_items}")

    # -- groups ---------------------------------------------------------------------------------

    def group_rows(self, group: GroupElement, raw: object) -> list[dict[str, Any]]:
        if raw is None or raw == []:
            return []
        if not isinstance(raw, list) or not all(isinstance(r, Mapping) for r in raw):
            self.add(group.name, "type", f"{group.label}: give a list of rows")
            self.invalid.add(group.name)
            return []
        if len(raw) > group.max_rows:
            self.add(
                group.name,
                "max_rows",
                f"{group.label}: at most {group.max_rows} "
                f"{group.row_label}s are allowed; this case has {len(raw)}",
            )
        rows = []
        names = [e.name for e in group.elements]
        for i, raw_row in enumerate(raw, start=1):
            prefix = f"{group.name}[{i}]."
            self.unknown_keys(raw_row, names, prefix)
            rows.append(
                {
                    e.name: self.element(e, raw_row.get(e.name), prefix + e.name)
                    for e in group.elements
                }
            )
        return rows

    def run(self, record: object) -> tuple[dict[str, Any], str]:
        if not isinstance(record, Mapping):
            self.add("", "type", "a case record must be a JSON object of field names and values")
            return {}, "draft"
        status = self.envelope(record)
        self.unknown_keys(record, [*ENVELOPE, *self.defn.elements], "")
        groups: dict[str, list[dict[str, Any]]] = {}
        for name, element in self.defn.elements.items():
            if isinstance(element, GroupElement):
                groups[name] = self.group_rows(element, record.get(name))
            else:
                self.out[name] = self.element(element, record.get(name), name)
        # Applicability first, for every element, so that 'section filled' and other conditions
        # never see a value that is about to be refused as not applicable.
        scalars = [n for n, e in self.defn.elements.items() if not isinstance(e, GroupElement)]
        for name in scalars:
            if not self.applies(self.defn.elements[name], self.out[name], name, {}, None):
                self.out[name] = None
        for name, group in self.defn.groups.items():
            if not self.applies(group, groups[name], name, {}, None):
                groups[name] = []
            for i, row in enumerate(groups[name], start=1):
                for child in group.elements:
                    path = f"{name}[{i}].{child.name}"
                    if not self.applies(child, row[child.name], path, row, group):
                        row[child.name] = None
            self.out[name] = groups[name]
        for name in scalars:
            self.require(self.defn.elements[name], self.out[name], name, {}, None)
        for name, group in self.defn.groups.items():
            rows = groups[name]
            if name in self.inapplicable:
                continue
            self.require(group, rows, name, {}, None)
            if rows and len(rows) < group.min_rows:
                self.add(
                    name, "min_rows", f"{group.label}: give at least {group.min_rows} {group.row_label}s",
                    severity=self._soft(),
                )  # fmt: skip
            for i, row in enumerate(rows, start=1):
                for child in group.elements:
                    path = f"{name}[{i}].{child.name}"
                    self.require(child, row[child.name], path, row, group)
        return self.out, status

    def _soft(self) -> Severity:
        return "warning" if self.mode == "draft" else "error"

    def envelope(self, record: Mapping[str, Any]) -> str:
        facility = record.get("facility")
        if facility is not None and str(facility).lower() != self.ctx.facility_code.lower():
            self.add(
                "facility",
                "facility_mismatch",
                "the record names another facility than "
                "the one submitting it: remove 'facility' or correct it",
            )
        version = record.get("definition_version")
        if version is not None and str(version) != self.defn.version:
            self.add(
                "definition_version",
                "definition_version",
                f"this record follows version {self.defn.version}: remove "
                f"'definition_version' or set it to {self.defn.version}",
            )
        status = record.get("status", self.mode)
        if status not in ENTERED_STATUSES:
            self.add(
                "status",
                "status",
                "status must be 'draft' or 'complete' (cases are locked "
                "by the registry, not by the record)",
                status,
            )
            return "draft"
        return str(status)


def validate_record(
    record: object,
    definition: Definition,
    context: ValidationContext,
    mode: Mode | None = None,
    record_key: str | None = None,
) -> ValidationResult:
    """Return every issue of one record against one definition version, with derived values.

    ``mode`` defaults to the record's own ``status`` ('complete' when it gives none). In draft
    mode, missing required values are warnings; every other problem is an error in both modes.
    """
    status_hint = record.get("status") if isinstance(record, Mapping) else None
    effective: Mode = mode or ("draft" if status_hint == "draft" else "complete")
    key = record_key or (
        str(record.get("local_case_id") or "") if isinstance(record, Mapping) else ""
    )
    key = key if safe_echo(key) else "(case)"
    run = _Run(definition, context, effective, key)
    canonical, status = run.run(record)
    for ref in definition.rules:
        func = RULES[ref.function].func
        for path, message in func(canonical, definition, **function_params(definition, ref)):
            run.add(path, ref.code, message, severity=ref.severity)
    derived = {
        ref.name: DERIVED[ref.function].func(
            canonical, definition, **function_params(definition, ref)
        )
        for ref in definition.derived
    }
    return ValidationResult(run.issues, canonical, derived, status)
