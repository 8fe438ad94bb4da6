"""Conditions as structured data: when an element applies or is required.

A condition is never code in a string. It is one of:

* ``{field: ELEMENT, equals: CODE}``
* ``{field: ELEMENT, in: [CODE, CODE, ...]}``
* ``{field: ELEMENT, contains: CODE}`` (for multi-valued elements)
* ``{field: ELEMENT, present: true}``
* ``{section_filled: SECTION}`` (any element of that section has a value)
* ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}``
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

Scalar = str | int | float | bool

#: Looks a field up by name in the current scope (the row first, then the case).
Lookup = Callable[[str], Any]
#: Tells whether any element of the named section has a value.
SectionFilled = Callable[[str], bool]


class Condition(BaseModel):
    """One structured condition; exactly one of its forms is given."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str | None = None
    equals: Scalar | None = None
    in_: list[Scalar] | None = Field(default=None, alias="in")
    contains: Scalar | None = None
    present: bool | None = None
    section_filled: str | None = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        tests = [
            t for t in ("equals", "in_", "contains", "present") if getattr(self, t) is not None
        ]
        combinators = [c for c in ("all", "any", "not_", "section_filled") if getattr(self, c)]
        if self.field is not None:
            if len(tests) != 1 or combinators:
                raise ValueError(
                    "a field condition needs exactly one of equals, in, contains, present"
                )
        elif tests:
            raise ValueError("equals/in/contains/present need a 'field'")
        elif len(combinators) != 1:
            raise ValueError("give exactly one of field, all, any, not, section_filled")
        return self

    def evaluate(self, lookup: Lookup, section_filled: SectionFilled) -> bool:
        """Return whether the condition holds; a missing field makes a field test false."""
        if self.all is not None:
            return all(c.evaluate(lookup, section_filled) for c in self.all)
        if self.any is not None:
            return any(c.evaluate(lookup, section_filled) for c in self.any)
        if self.not_ is not None:
            return not self.not_.evaluate(lookup, section_filled)
        if self.section_filled is not None:
            return section_filled(self.section_filled)
        assert self.field is not None  # noqa: S101 - guaranteed by _one_form
        value = lookup(self.field)
        if self.present is not None:
            return (value is not None and value != []) is self.present
        if value is None:
            return False
        if self.equals is not None:
            return _same(value, self.equals)
        if self.in_ is not None:
            return any(_same(value, v) for v in self.in_)
        return isinstance(value, list) and any(_same(v, self.contains) for v in value)

    def leaves(self) -> Iterator[Condition]:
        """Yield every field condition inside this one."""
        if self.field is not None:
            yield self
        for child in (self.all or []) + (self.any or []):
            yield from child.leaves()
        if self.not_ is not None:
            yield from self.not_.leaves()

    def compared_values(self) -> list[Scalar]:
        """Return the values a field condition compares with (none for 'present')."""
        if self.equals is not None:
            return [self.equals]
        if self.contains is not None:
            return [self.contains]
        return list(self.in_ or [])

    def fields(self) -> Iterator[str]:
        """Yield every field name the condition reads."""
        if self.field is not None:
            yield self.field
        for child in (self.all or []) + (self.any or []):
            yield from child.fields()
        if self.not_ is not None:
            yield from self.not_.fields()

    def sections(self) -> Iterator[str]:
        """Yield every section code the condition reads."""
        if self.section_filled is not None:
            yield self.section_filled
        for child in (self.all or []) + (self.any or []):
            yield from child.sections()
        if self.not_ is not None:
            yield from self.not_.sections()


def _same(a: object, b: object) -> bool:
    """Equality that keeps booleans apart from the numbers 1 and 0."""
    return isinstance(a, bool) == isinstance(b, bool) and a == b
