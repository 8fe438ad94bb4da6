"""Conditions ↔ REDCap branching logic: ``[field] = 'x'``, ``[field(code)] = '1'``, and, or.

REDCap's logic has no ``not``, so a negated condition is written out with De Morgan's laws
(``=`` becomes ``<>``, ``and`` becomes ``or``). Both directions refuse what they cannot say
exactly with :class:`Untranslatable`; the caller keeps the field, drops the logic and reports it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from printreg.dictionary.conditions import Condition, Scalar
from printreg.dictionary.elements import (
    ElementBase,
    GroupElement,
)


class Untranslatable(ValueError):  # noqa: N818 - a verdict on a condition, not a program error
    """A condition or a piece of branching logic that the other side cannot express."""


@dataclass(frozen=True)
class Target:
    """What a condition's field name stands for on the REDCap side."""

    #: REDCap variable names: one for a scalar; row 1's columns for a group (its presence)
    names: tuple[str, ...]
    element: ElementBase
    codes: tuple[str, ...] = ()


#: Resolves a condition's field name (row scope first) to its REDCap target.
Resolve = Callable[[str], Target]
#: Returns the fields whose presence makes a section "filled".
SectionTargets = Callable[[str], Sequence[Target]]


def _quote(value: Scalar) -> str:
    text = str(value)
    return f'"{text}"' if "'" in text else f"'{text}'"


def _checkbox(element: ElementBase) -> bool:
    """Return whether the element is a REDCap checkbox field (one variable per code)."""
    return not isinstance(element, GroupElement) and element.redcap_shape().field_type == "checkbox"


def _literal(element: ElementBase, value: Scalar) -> str:
    if isinstance(value, bool) and element.redcap_shape().field_type == "yesno":
        return "'1'" if value else "'0'"
    if element.numeric and not isinstance(value, bool):
        # a decimal read from '5' holds 5.0: write 5, as the source wrote it, not 5.0
        whole = isinstance(value, float) and value.is_integer()
        return str(int(value)) if whole else str(value)
    return _quote(value)


def _join(parts: Sequence[str], word: str) -> str:
    if len(parts) == 1:
        return parts[0]
    return f" {word} ".join(f"({p})" if (" and " in p or " or " in p) else p for p in parts)


def _presence(target: Target, present: bool) -> str:
    """``[f] <> ''`` (or ``= ''``); checkboxes: any box ticked; groups: anything in row 1."""
    if _checkbox(target.element):
        name = target.names[0]
        if present:
            return _join([f"[{name}({c})] = '1'" for c in target.codes], "or")
        return _join([f"[{name}({c})] = '0'" for c in target.codes], "and")
    if present:
        return _join([f"[{n}] <> ''" for n in target.names], "or")
    return _join([f"[{n}] = ''" for n in target.names], "and")


def to_logic(
    cond: Condition, resolve: Resolve, sections: SectionTargets, *, negate: bool = False
) -> str:
    """Return the condition as REDCap branching logic; Untranslatable when it has no equivalent."""
    if cond.all is not None or cond.any is not None:
        both = cond.all is not None
        parts = [
            to_logic(c, resolve, sections, negate=negate) for c in (cond.all or cond.any or [])
        ]
        return _join(parts, "and" if both != negate else "or")
    if cond.not_ is not None:
        return to_logic(cond.not_, resolve, sections, negate=not negate)
    if cond.section_filled is not None:
        parts = [_presence(t, not negate) for t in sections(cond.section_filled)]
        return _join(parts, "and" if negate else "or")
    assert cond.field is not None  # noqa: S101 - a field condition by construction
    target = resolve(cond.field)
    element = target.element
    if cond.present is not None:
        return _presence(target, cond.present != negate)
    if isinstance(element, GroupElement):
        raise Untranslatable(f"{cond.field} is a repeating group: only 'present' is expressible")
    name = target.names[0]
    if _checkbox(element):
        if cond.contains is None:
            raise Untranslatable(f"{cond.field} holds several codes: use 'contains'")
        return f"[{name}({cond.contains})] = '{0 if negate else 1}'"
    if cond.contains is not None:
        raise Untranslatable(f"{cond.field}: 'contains' on a list of texts or numbers")
    op = "<>" if negate else "="
    parts = [f"[{name}] {op} {_literal(element, v)}" for v in cond.compared_values()]
    return _join(parts, "and" if negate else "or")


# -- REDCap → conditions ------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<field>\[[a-z][a-z0-9_]*(?:\([A-Za-z0-9_]+\))?\])|(?P<string>'[^']*'|\"[^\"]*\")"
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<op><>|!=|<=|>=|=|<|>)|(?P<paren>[()])"
    r"|(?P<word>[A-Za-z_]+))"
)
_FIELD = re.compile(r"\[(?P<name>[a-z][a-z0-9_]*)(?:\((?P<code>[A-Za-z0-9_]+)\))?\]")

#: Element kind of a field for reading its compared values: code, codes, boolean, integer, ...
Kinds = Callable[[str], str | None]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    stripped = text.strip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None or match.end() == position:
            raise Untranslatable(f"cannot read {stripped[position : position + 20]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind == "word":
            if value.lower() not in ("and", "or"):
                raise Untranslatable(f"the function or word {value!r} has no printreg equivalent")
            value = value.lower()
        if kind == "field" and out and out[-1][0] == "field":
            raise Untranslatable("event-prefixed fields (longitudinal projects) are not supported")
        out.append((kind, value))
        position = match.end()
    return out


class _Parser:
    def __init__(self, text: str, kinds: Kinds) -> None:
        self.tokens = _tokens(text)
        self.at = 0
        self.kinds = kinds

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, kind: str) -> str:
        found, value = self.peek()
        if found != kind:
            raise Untranslatable(f"expected {kind}, found {value or 'the end'!r}")
        self.at += 1
        return value

    def parse(self) -> dict[str, Any]:
        node = self.expression()
        if self.peek()[0] != "end":
            raise Untranslatable(f"unexpected {self.peek()[1]!r}")
        return node

    def expression(self) -> dict[str, Any]:
        parts = [self.term()]
        while self.peek() == ("word", "or"):
            self.at += 1
            parts.append(self.term())
        return _combine("any", parts)

    def term(self) -> dict[str, Any]:
        parts = [self.factor()]
        while self.peek() == ("word", "and"):
            self.at += 1
            parts.append(self.factor())
        return _combine("all", parts)

    def factor(self) -> dict[str, Any]:
        if self.peek() == ("paren", "("):
            self.at += 1
            node = self.expression()
            self.take("paren")
            return node
        reference = _FIELD.fullmatch(self.take("field"))
        assert reference is not None  # noqa: S101 - the tokenizer matched the same pattern
        op = self.take("op")
        kind, raw = self.peek()
        if kind not in ("string", "number"):
            raise Untranslatable(f"[{reference['name']}] is compared with {raw or 'nothing'!r}")
        self.at += 1
        text = raw[1:-1] if kind == "string" else raw
        return self.comparison(reference["name"], reference["code"], op, text)

    def comparison(self, name: str, code: str | None, op: str, text: str) -> dict[str, Any]:
        kind = self.kinds(name)
        if kind is None:
            raise Untranslatable(f"[{name}] is not a field of the imported definition")
        if op not in ("=", "<>", "!="):
            raise Untranslatable(f"[{name}] {op} {text}: only = and <> are expressible")
        negated = op != "="
        if code is not None:
            if kind != "codes" or text not in ("0", "1"):
                raise Untranslatable(f"[{name}({code})] must be a checkbox compared with 0 or 1")
            node: dict[str, Any] = {"field": name, "contains": code}
            return {"not": node} if negated == (text == "1") else node
        if text == "":
            return {"field": name, "present": negated}
        if kind == "codes":
            raise Untranslatable(f"[{name}] is a checkbox: compare [{name}(code)] with '1'")
        node = {"field": name, "equals": _value(kind, text, name)}
        return {"not": node} if negated else node


def _value(kind: str, text: str, name: str) -> Scalar:
    try:
        if kind == "boolean":
            return {"1": True, "0": False}[text]
        if kind == "integer":
            return int(text)
        if kind == "decimal":
            return float(text)
    except (KeyError, ValueError):
        raise Untranslatable(f"[{name}] is compared with {text!r}, not a {kind} value") from None
    if kind == "date":
        raise Untranslatable(f"[{name}] = {text!r}: comparing dates is not supported")
    return text


def _combine(kind: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    if len(parts) == 1:
        return parts[0]
    flat: list[dict[str, Any]] = []
    for part in parts:
        flat.extend(part[kind] if set(part) == {kind} else [part])
    fields = {p.get("field") for p in flat}
    if kind == "any" and len(fields) == 1 and all(set(p) == {"field", "equals"} for p in flat):
        return {"field": flat[0]["field"], "in": [p["equals"] for p in flat]}
    return {kind: flat}


def from_logic(text: str, kinds: Kinds) -> Condition:
    """Return REDCap branching logic as a Condition; Untranslatable when it cannot be read."""
    return Condition.model_validate(_Parser(text, kinds).parse())
