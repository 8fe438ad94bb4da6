"""Element types: one small class per type, each parsing and checking its own values.

Every class is a pydantic model of the element's declaration in the definition file and carries
``parse`` (raw input from JSON, CSV or a form → canonical Python value) and ``check`` (constraints
of this declaration on a parsed value). The union ``Element`` below is the single registry of types.
Parsing never puts the raw value into a message: the value may hold a patient identifier.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from printreg.dictionary.conditions import Condition

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


class ValueProblem(Exception):  # noqa: N818 - a problem with one value, not a program error
    """A value breaks a rule of its element: ``rule`` is a stable code, ``message`` says what to do."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class _Unknown:
    """The explicit 'unknown' answer, distinct from a missing value."""

    _instance: ClassVar[_Unknown | None] = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return "unknown"


UNKNOWN = _Unknown()


class ElementBase(BaseModel):
    """What every element declares, whatever its type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=48)
    label: str
    help: str = ""
    required: bool = False
    required_when: Condition | None = None
    applies_when: Condition | None = None

    def is_missing(self, raw: object) -> bool:
        """Return whether a raw input counts as 'no value given'."""
        return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []

    def parse(self, raw: object) -> Any:
        """Return the canonical value of a non-missing raw input or raise ValueProblem."""
        raise NotImplementedError

    def check(self, value: Any) -> None:  # noqa: ARG002 - the base type has no constraints
        """Raise ValueProblem if a parsed value breaks this declaration's constraints."""
        return


class _Scalar(ElementBase):
    unknown_allowed: bool = False

    def _unknown(self, raw: object) -> bool:
        return self.unknown_allowed and isinstance(raw, str) and raw.strip().lower() == "unknown"


class TextElement(_Scalar):
    """Free text, or a list of texts when ``multiple``; always scanned for identifiers."""

    type: Literal["text"]
    max_length: int = Field(default=500, gt=0)
    pattern: str | None = None
    pattern_hint: str = ""
    multiple: bool = False
    max_items: int | None = None
    #: Every text is scanned for every kind of identifier; ``case_identifier`` also refuses
    #: MRN-like values. ``none`` is still read, so that definitions published with it keep
    #: their checksum, but it no longer switches the scan off (issue 12): nothing can.
    identifier_scan: Literal["free_text", "case_identifier", "none"] = "free_text"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", "enter text")
        return str(raw).strip()

    def check(self, value: Any) -> None:
        if "\x00" in value:
            raise ValueProblem("control_character", "remove the NUL character from this text")
        if len(value) > self.max_length:
            raise ValueProblem(
                "max_length",
                f"shorten this text to at most {self.max_length} characters (it has {len(value)})",
            )
        if self.pattern is not None and not re.fullmatch(self.pattern, value):
            hint = f": {self.pattern_hint}" if self.pattern_hint else ""
            raise ValueProblem("pattern", f"use the expected format{hint}")


class _Number(_Scalar):
    min: float | None = None
    max: float | None = None
    unit: str = ""

    def check(self, value: Any) -> None:
        if value is UNKNOWN:
            return
        unit = f" {self.unit}" if self.unit else ""
        if self.min is not None and value < self.min:
            raise ValueProblem("range", f"enter a value of at least {_num(self.min)}{unit}")
        if self.max is not None and value > self.max:
            raise ValueProblem("range", f"enter a value of at most {_num(self.max)}{unit}")


INT_LIMIT = 2**31 - 1  # the range of an SQL INTEGER column on every supported database


class IntegerElement(_Number):
    """A whole number, or a list of them when ``multiple``; 'unknown' when allowed."""

    type: Literal["integer"]
    multiple: bool = False
    max_items: int | None = None

    def parse(self, raw: object) -> Any:
        if self._unknown(raw):
            return UNKNOWN
        if isinstance(raw, bool):
            raise ValueProblem("type", "enter a whole number")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,18}\s*", raw):
            return int(raw)
        if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d+\s*", raw):
            raise ValueProblem("range", "enter a number of at most 18 digits")
        hint = " or 'unknown'" if self.unknown_allowed else ""
        raise ValueProblem("type", f"enter a whole number{hint}")

    def check(self, value: Any) -> None:
        if value is not UNKNOWN and abs(value) > INT_LIMIT:
            raise ValueProblem("range", f"enter a value between -{INT_LIMIT} and {INT_LIMIT}")
        super().check(value)


class DecimalElement(_Number):
    """A number with optional decimals; ``min_exclusive`` for 'greater than' bounds."""

    type: Literal["decimal"]
    min_exclusive: bool = False
    max_decimals: int | None = None

    def parse(self, raw: object) -> Any:
        if self._unknown(raw):
            return UNKNOWN
        if isinstance(raw, bool):
            raise ValueProblem("type", "enter a number")
        try:
            value = float(raw) if isinstance(raw, int | float | str) else math.nan
        except (ValueError, OverflowError):
            value = math.nan
        if not math.isfinite(value):
            raise ValueProblem("type", "enter a number such as 12 or 0.625")
        if self.max_decimals is not None:
            written = raw.strip() if isinstance(raw, str) else repr(raw)
            digits = -Decimal(written).as_tuple().exponent  # type: ignore[operator]
            if digits > self.max_decimals:
                raise ValueProblem(
                    "precision", f"give at most {self.max_decimals} digits after the point"
                )
        return value

    def check(self, value: Any) -> None:
        if value is UNKNOWN:
            return
        if self.min_exclusive and self.min is not None and value <= self.min:
            raise ValueProblem("range", f"enter a value greater than {_num(self.min)}")
        super().check(value)


class DateElement(_Scalar):
    """A calendar date written YYYY-MM-DD; ``not_future`` refuses dates after today."""

    type: Literal["date"]
    not_future: bool = False

    def parse(self, raw: object) -> Any:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw.strip()):
            try:
                return dt.date.fromisoformat(raw.strip())
            except ValueError:
                raise ValueProblem("type", "enter a real calendar date (YYYY-MM-DD)") from None
        raise ValueProblem("type", "enter a date as YYYY-MM-DD")

    def check_against(self, value: dt.date, today: dt.date) -> None:
        """Raise ValueProblem if the date is in the future and this element forbids it."""
        if self.not_future and value > today:
            raise ValueProblem("future_date", f"enter a date on or before today ({today})")


class BooleanElement(_Scalar):
    """Yes or no; accepts true/false, yes/no, 1/0 in any case."""

    type: Literal["boolean"]

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise ValueProblem("type", "answer yes or no (true/false)")


class _Coded(ElementBase):
    value_set: str = Field(pattern=NAME_PATTERN)


class CodeElement(_Coded):
    """One code of a value set; the code or its label is accepted (case-insensitive)."""

    type: Literal["code"]

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", "choose one code of the list")
        return str(raw).strip()


class CodesElement(_Coded):
    """Several codes of a value set, each at most once."""

    type: Literal["codes"]
    min_items: int = Field(default=0, ge=0)
    max_items: int | None = None

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", "choose codes of the list")
        return str(raw).strip()


class ReferenceElement(_Scalar):
    """A reference by code or label to a platform record: the facility or one of its printers."""

    type: Literal["reference"]
    target: Literal["facility", "printer"]

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", f"give the {self.target}'s code or label")
        return str(raw).strip()


ScalarElement = Annotated[
    TextElement
    | IntegerElement
    | DecimalElement
    | DateElement
    | BooleanElement
    | CodeElement
    | CodesElement
    | ReferenceElement,
    Field(discriminator="type"),
]


class GroupElement(ElementBase):
    """A repeating group: rows of scalar elements, between ``min_rows`` and ``max_rows``."""

    type: Literal["group"]
    min_rows: int = Field(default=0, ge=0)
    max_rows: int = Field(default=100, ge=1)
    row_label: str = "row"
    #: prefix of this group's numbered columns in flat files (``print_1_material``)
    column_prefix: str | None = Field(default=None, pattern=NAME_PATTERN)
    elements: list[ScalarElement]

    @property
    def prefix(self) -> str:
        """Return the prefix of the group's numbered flat-file columns."""
        return self.column_prefix or self.name


Element = Annotated[ScalarElement | GroupElement, Field(discriminator="type")]
ELEMENT_TYPES: tuple[str, ...] = (
    "text",
    "integer",
    "decimal",
    "date",
    "boolean",
    "code",
    "codes",
    "reference",
    "group",
)


MULTI_SEPARATOR = ";"


def flat_column(group: GroupElement | None, row: int, element: ElementBase) -> str:
    """Return the flat-file column of an element: its name, or ``<prefix>_<row>_<name>``."""
    return element.name if group is None else f"{group.prefix}_{row}_{element.name}"


def split_multi(cell: str) -> list[str]:
    """Return the values of a flat-file cell holding several values ('ct; mr' → ['ct', 'mr'])."""
    return [part.strip() for part in cell.split(MULTI_SEPARATOR) if part.strip()]


def is_multiple(element: ElementBase) -> bool:
    """Return whether the element holds a list of values."""
    if isinstance(element, CodesElement):
        return True
    return isinstance(element, TextElement | IntegerElement) and element.multiple


def item_bounds(element: ElementBase) -> tuple[int, int | None]:
    """Return (min_items, max_items) of a multi-valued element; (0, None) for others."""
    if isinstance(element, CodesElement):
        return element.min_items, element.max_items
    if isinstance(element, TextElement | IntegerElement):
        return 0, element.max_items
    return 0, None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
