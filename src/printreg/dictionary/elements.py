"""Element types: one small class per type, knowing everything that differs between types.

Every class is a pydantic model of the element's declaration in the definition file. A scalar
type implements the whole contract ``SCALAR_CONTRACT`` (a test holds every registered type to it,
so a new type is this one class and nothing else):

- ``parse`` (raw input from JSON, CSV or a form → canonical Python value) and ``check``
  (constraints of this declaration on a parsed value);
- ``holds_list`` / ``item_bounds``: whether a value is a list of values, and its bounds;
- ``sql_type``: the dialect-agnostic SQLAlchemy type of one stored value;
- ``arrow_value_type`` / ``typed_value``: the Arrow type of one value in exports and the Python
  value of that type; ``extract_value_type`` / ``extract_value`` the same in de-identified
  research extracts (dates leave as year and quarter);
- ``polars_value_type``: the polars type of one canonical value in batch validation;
- ``widget``: the input the case form renders (the templates switch on it);
- ``type_words``: the kind of value, in words, for codebooks and import guides.

The union ``ScalarElement`` below is the single registry of scalar types; a repeating group
(``GroupElement``) is structure, not a value type, and implements none of this. Parsing never
puts the raw value into a message: the value may hold a patient identifier. SQLAlchemy, pyarrow
and polars are imported inside the methods that need them: loading a definition needs none.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from printreg.dictionary.conditions import Condition
from printreg.dictionary.dates import ISO_DATE, date_formats, local_date
from printreg.dictionary.missing import (
    JSON_KEY,
    REASON_CODES,
    REASON_LABELS,
    UNKNOWN,
    MissingReason,
    Reason,
    is_reason,
    reason_named,
)

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
_TRUE = frozenset({"true", "yes", "y", "1", "t"})
_FALSE = frozenset({"false", "no", "n", "0", "f"})


class ValueProblem(Exception):  # noqa: N818 - a problem with one value, not a program error
    """A value breaks a rule of its element: ``rule`` is a stable code, ``message`` says what to do."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message


class ValueContext(Protocol):
    """What checking one value needs beyond its declaration (the validator provides it)."""

    @property
    def today(self) -> dt.date:
        """The submitting facility's today, for dates that must not lie in the future."""
        ...

    @property
    def date_order(self) -> str | None:
        """The submitting facility's local date order ('DMY', 'MDY'), or None: ISO dates only."""
        ...

    def code(self, element: ElementBase, text: str) -> str:
        """Return the canonical code of a code or label of the element's value set."""
        ...

    def reference(self, element: ReferenceElement, text: str) -> str:
        """Return the canonical label of the referenced facility or printer."""
        ...

    def scan(self, element: TextElement, text: str, path: str) -> None:
        """Report identifiers found in a text (never raises: the text itself stays)."""
        ...


@dataclass(frozen=True)
class RedcapShape:
    """How a value of an element is a REDCap data-dictionary field.

    ``notes`` are what the export loses, said to whoever imports it into REDCap; ``note_suffix``
    is added to the field's note. Value-set choices come from the definition, not from here.
    """

    field_type: str = "text"
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    annotations: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    note_suffix: str = ""


REDCAP_NOTES_FROM = 255  # longer texts are REDCap "notes" (a paragraph box)
_REDCAP_LIST = RedcapShape(
    note_suffix="Several values separated by ';'.",
    notes=("several values in one text field, separated by ';'",),
)


class ElementBase(BaseModel):
    """What every element declares, whatever its type."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=NAME_PATTERN, max_length=48)
    label: str
    help: str = ""
    required: bool = False
    required_when: Condition | None = None
    applies_when: Condition | None = None
    #: the reasons for missing data this element accepts instead of a value (``missing.py``)
    missing_reasons: tuple[Reason, ...] = ()
    #: a direct identifier, as a source such as REDCap's "Identifier?" column marked it: the
    #: value never leaves in an extract or analytics, and a REDCap export flags it again
    identifier: bool = False
    #: the REDCap field type and validation an imported element came from (a text box or a
    #: paragraph, radio or dropdown, number_2dp, date_dmy, email), so that an export gives the
    #: same field back; a REDCap export uses them where they fit the element's type
    redcap_type: str | None = Field(default=None, pattern=NAME_PATTERN)
    redcap_validation: str | None = Field(default=None, pattern=NAME_PATTERN)

    @model_validator(mode="after")
    def _reasons_fit(self) -> ElementBase:
        if self.missing_reasons and (self.holds_list() or getattr(self, "type", "") == "group"):
            raise ValueError(
                "missing_reasons: only an element holding one value takes a reason for missing"
            )
        if len(set(self.missing_reasons)) != len(self.missing_reasons):
            raise ValueError("missing_reasons: list each reason once")
        return self

    @functools.cached_property
    def reasons(self) -> tuple[str, ...]:
        """Return the reasons for missing data the element accepts, in ``REASON_CODES`` order
        (worked out once per element: validating and storing a record ask for every element)."""
        declared = set(self.missing_reasons)
        if self.allows_unknown:
            declared.add("unknown")
        return tuple(code for code in REASON_CODES if code in declared)

    def accepts(self, reason: MissingReason) -> bool:
        """Return whether the element accepts this reason for missing data."""
        return reason.code in self.reasons

    def reason_of(self, value: object) -> MissingReason | None:
        """Return the reason for missing data a stored or JSON value holds; None for a value.

        Reads the canonical reason, JSON's ``{"missing": code}`` and, for numbers taking
        'unknown', the bare string 'unknown' of records written before reasons had a shape.
        """
        if isinstance(value, MissingReason):
            return value
        if isinstance(value, dict) and set(value) == {JSON_KEY}:
            return reason_named(value[JSON_KEY])
        if self.numeric and isinstance(value, str) and "unknown" in self.reasons:
            return UNKNOWN if value.strip().lower() == "unknown" else None
        return None

    def is_missing(self, raw: object) -> bool:
        """Return whether a raw input counts as 'no value given'."""
        return raw is None or (isinstance(raw, str) and not raw.strip()) or raw == []

    def parse(self, raw: object) -> Any:
        """Return the canonical value of a non-missing raw input or raise ValueProblem."""
        raise NotImplementedError

    def parse_in(self, raw: object, context: ValueContext) -> Any:  # noqa: ARG002
        """Return ``parse(raw)``, reading forms only the context makes unambiguous (local dates).

        Raise ValueProblem as ``parse`` does. Most types read every input alone.
        """
        return self.parse(raw)

    def check(self, value: Any) -> None:  # noqa: ARG002 - the base type has no constraints
        """Raise ValueProblem if a parsed value breaks this declaration's constraints."""
        return

    def settle(self, value: Any, context: ValueContext, path: str) -> Any:  # noqa: ARG002
        """Return a checked value settled against the context (codes, references, today).

        Raise ValueProblem when the context refuses it. Most types need no context.
        """
        return value

    # -- what a scalar type knows about itself (SCALAR_CONTRACT) ---------------------------------
    # The defaults below say "not this kind of value"; the methods that raise NotImplementedError
    # are the ones each scalar type must answer itself.

    def holds_list(self) -> bool:
        """Return whether a value of the element is a list of values."""
        return False

    def item_bounds(self) -> tuple[int, int | None]:
        """Return (min_items, max_items) of a multi-valued element; (0, None) for others."""
        return 0, None

    #: whether a value is a number (integer or decimal): ranges, units, medians
    numeric: ClassVar[bool] = False

    @property
    def allows_unknown(self) -> bool:
        """Whether the older ``unknown_allowed: true`` lets 'unknown' be answered."""
        return False

    @property
    def value_set_code(self) -> str | None:
        """Return the code of the value set a coded element draws from; None for others."""
        return None

    @property
    def references(self) -> str | None:
        """Return the platform record a reference points at ('facility', 'printer'); or None."""
        return None

    @property
    def column_name(self) -> str:
        """Return the case-table column holding the element (references hold an id)."""
        return self.name

    def sql_type(self) -> TypeEngine[Any]:
        """Return the SQL type (dialect-agnostic SQLAlchemy) that stores one value."""
        raise NotImplementedError

    def arrow_value_type(self) -> Any:
        """Return the Arrow type of one value in exports (a ``pyarrow.DataType``)."""
        raise NotImplementedError

    def arrow_type(self) -> Any:
        """Return the Arrow type of the element's export column: a list type when multiple."""
        base = self.arrow_value_type()
        return _arrow().list_(base) if self.holds_list() else base

    def typed_value(self, value: Any) -> Any:
        """Return one non-missing value (canonical or JSON shape) as its Arrow type's Python value."""
        raise NotImplementedError

    def extract_value_type(self) -> Any:
        """Return the Arrow type of one value in a de-identified research extract."""
        return self.arrow_value_type()

    def extract_value(self, value: Any) -> Any:
        """Return one non-missing canonical value as a de-identified research extract holds it."""
        return self.typed_value(value)

    #: (codebook type, meaning) when extracts coarsen the value (dates); None when they do not
    extract_coarsening: ClassVar[tuple[str, str] | None] = None

    def polars_value_type(self) -> Any:
        """Return the polars type of one canonical value in batch validation (a ``pl.DataType``)."""
        raise NotImplementedError

    def polars_type(self) -> Any:
        """Return the polars type of the element's batch column: a list type when multiple."""
        base = self.polars_value_type()
        return _polars().List(base) if self.holds_list() else base

    def widget(self) -> Widget:
        """Return the input the case form renders for the element."""
        raise NotImplementedError

    def value_words(self) -> str:
        """Return the kind of one value, in words ('whole number, from 0 to 120 years')."""
        raise NotImplementedError

    def redcap_shape(self) -> RedcapShape:
        """Return how a value of the element is written as a REDCap field."""
        raise NotImplementedError

    def type_words(self) -> str:
        """Return the kind of value the element takes, in words ('whole number or unknown')."""
        words = self.value_words()
        if self.reasons:
            said = " or ".join(REASON_LABELS[r].lower() for r in self.reasons)
            words += f"; or a reason for no value: {said}"
        if self.holds_list():
            words = f"one or more: {words}, separated by ';'"
        return words


#: The inputs of the case form; the templates switch on these names.
Widget = Literal["text", "textarea", "number", "date", "select", "boolean", "checkboxes", "list"]
TEXTAREA_FROM = 200  # texts allowed longer than this get a textarea


class _Scalar(ElementBase):
    unknown_allowed: bool = False

    def _unknown(self, raw: object) -> bool:
        # the bare string 'unknown', as records gave it before reasons had their own shape
        return (
            "unknown" in self.reasons and isinstance(raw, str) and raw.strip().lower() == "unknown"
        )

    @property
    def allows_unknown(self) -> bool:
        return self.unknown_allowed


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

    def settle(self, value: Any, context: ValueContext, path: str) -> Any:
        context.scan(self, value, path)  # every text, whatever the definition says
        return value

    def holds_list(self) -> bool:
        return self.multiple

    def item_bounds(self) -> tuple[int, int | None]:
        return 0, self.max_items

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import String  # noqa: PLC0415 - storage only

        return String(self.max_length)

    def arrow_value_type(self) -> Any:
        return _arrow().string()

    def typed_value(self, value: Any) -> Any:
        return str(value)

    def polars_value_type(self) -> Any:
        return _polars().String()

    def widget(self) -> Widget:
        if self.multiple:
            return "list"
        if self.redcap_type in ("text", "notes"):
            return "textarea" if self.redcap_type == "notes" else "text"
        return "textarea" if self.max_length > TEXTAREA_FROM else "text"

    def value_words(self) -> str:
        words = f"text of up to {self.max_length} characters"
        return f"{words}, as {self.pattern_hint}" if self.pattern_hint else words

    def redcap_shape(self) -> RedcapShape:
        if self.multiple:
            return _REDCAP_LIST
        if not self.pattern:
            pattern: tuple[str, ...] = ()
            notes: tuple[str, ...] = ()
        else:
            pattern = (f"Pattern: {self.pattern}",)
            notes = ("the text pattern is not checked by REDCap (in the annotation)",)
        return RedcapShape(
            "notes" if self.max_length > REDCAP_NOTES_FROM else "text",
            annotations=(f"@CHARLIMIT={self.max_length}", *pattern),
            notes=notes,
        )


class _Number(_Scalar):
    min: float | None = None
    max: float | None = None
    unit: str = ""
    numeric: ClassVar[bool] = True

    def check(self, value: Any) -> None:
        if is_reason(value):
            return
        unit = f" {self.unit}" if self.unit else ""
        if self.min is not None and value < self.min:
            raise ValueProblem("range", f"enter a value of at least {_num(self.min)}{unit}")
        if self.max is not None and value > self.max:
            raise ValueProblem("range", f"enter a value of at most {_num(self.max)}{unit}")

    def _redcap_number(self, validation: str, notes: tuple[str, ...] = ()) -> RedcapShape:
        low = "" if self.min is None else _num(self.min)
        high = "" if self.max is None else _num(self.max)
        return RedcapShape(validation=validation, minimum=low, maximum=high, notes=notes)

    def _bounds_words(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        low, high = self.min, self.max
        if low is not None and high is not None:
            return f", from {_num(low)} to {_num(high)}{unit}"
        if low is not None:
            return f", of at least {_num(low)}{unit}"
        if high is not None:
            return f", of at most {_num(high)}{unit}"
        return f", in {self.unit}" if self.unit else ""


INT_LIMIT = 2**31 - 1  # the range of an SQL INTEGER column on every supported database


class IntegerElement(_Number):
    """A whole number, or a list of them when ``multiple``; the string 'unknown' when allowed."""

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
        hint = " or 'unknown'" if "unknown" in self.reasons else ""
        raise ValueProblem("type", f"enter a whole number{hint}")

    def check(self, value: Any) -> None:
        if not is_reason(value) and abs(value) > INT_LIMIT:
            raise ValueProblem("range", f"enter a value between -{INT_LIMIT} and {INT_LIMIT}")
        super().check(value)

    def holds_list(self) -> bool:
        return self.multiple

    def item_bounds(self) -> tuple[int, int | None]:
        return 0, self.max_items

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import Integer  # noqa: PLC0415 - storage only

        return Integer()

    def arrow_value_type(self) -> Any:
        return _arrow().int64()

    def typed_value(self, value: Any) -> Any:
        return int(value)

    def polars_value_type(self) -> Any:
        return _polars().Int64()

    def widget(self) -> Widget:
        return "list" if self.multiple else "number"

    def value_words(self) -> str:
        return "whole number" + self._bounds_words()

    def redcap_shape(self) -> RedcapShape:
        return _REDCAP_LIST if self.multiple else self._redcap_number("integer")


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
        if is_reason(value):
            return
        if self.min_exclusive and self.min is not None and value <= self.min:
            raise ValueProblem("range", f"enter a value greater than {_num(self.min)}")
        super().check(value)

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import Float  # noqa: PLC0415 - storage only

        return Float(precision=53)  # a double on every supported database

    def arrow_value_type(self) -> Any:
        return _arrow().float64()

    def typed_value(self, value: Any) -> Any:
        return float(value)

    def polars_value_type(self) -> Any:
        return _polars().Float64()

    def widget(self) -> Widget:
        return "number"

    def value_words(self) -> str:
        words = "number"
        if self.max_decimals is not None:
            words += f" with at most {self.max_decimals} decimals"
        return words + self._bounds_words()

    def redcap_shape(self) -> RedcapShape:
        low = "" if self.min is None else _num(self.min)
        lost = (f"'greater than {low}' becomes 'at least {low}'",) if self.min_exclusive else ()
        return self._redcap_number("number", lost)


class DateElement(_Scalar):
    """A calendar date written YYYY-MM-DD; ``not_future`` refuses dates after today."""

    type: Literal["date"]
    not_future: bool = False

    def parse(self, raw: object) -> Any:
        if isinstance(raw, dt.datetime):
            return raw.date()
        if isinstance(raw, dt.date):
            return raw
        if isinstance(raw, str) and ISO_DATE.fullmatch(raw.strip()):
            try:
                return dt.date.fromisoformat(raw.strip())
            except ValueError:
                raise ValueProblem("type", "enter a real calendar date (YYYY-MM-DD)") from None
        raise ValueProblem("type", "enter a date as YYYY-MM-DD")

    def parse_in(self, raw: object, context: ValueContext) -> Any:
        order = context.date_order
        if order is None or not isinstance(raw, str) or ISO_DATE.fullmatch(raw.strip()):
            return self.parse(raw)
        formats = date_formats(order)
        try:
            found = local_date(raw.strip(), order)
        except ValueError:
            raise ValueProblem("type", f"enter a real calendar date ({formats})") from None
        if found is None:
            raise ValueProblem("type", f"enter a date as {formats}")
        return found

    def check_against(self, value: dt.date, today: dt.date) -> None:
        """Raise ValueProblem if the date is in the future and this element forbids it."""
        if self.not_future and value > today:
            raise ValueProblem("future_date", f"enter a date on or before today ({today})")

    def settle(self, value: Any, context: ValueContext, path: str) -> Any:  # noqa: ARG002
        self.check_against(value, context.today)
        return value

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import Date  # noqa: PLC0415 - storage only

        return Date()

    def arrow_value_type(self) -> Any:
        return _arrow().date32()

    def typed_value(self, value: Any) -> Any:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))

    def extract_value_type(self) -> Any:
        return _arrow().string()  # year and quarter

    def extract_value(self, value: Any) -> Any:
        return year_quarter(self.typed_value(value))

    extract_coarsening = ("year_quarter", "year and quarter, YYYY-Qn (the date coarsened)")

    def polars_value_type(self) -> Any:
        return _polars().Date()

    def widget(self) -> Widget:
        return "date"

    def value_words(self) -> str:
        return "date YYYY-MM-DD" + (", not in the future" if self.not_future else "")

    def redcap_shape(self) -> RedcapShape:
        return RedcapShape(validation="date_ymd", maximum="today" if self.not_future else "")


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

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import Boolean  # noqa: PLC0415 - storage only

        return Boolean()

    def arrow_value_type(self) -> Any:
        return _arrow().bool_()

    def typed_value(self, value: Any) -> Any:
        return value if isinstance(value, bool) else str(value).strip().lower() in {"true", "yes"}

    def extract_value(self, value: Any) -> Any:
        return bool(value)  # extracts read canonical values only

    def polars_value_type(self) -> Any:
        return _polars().Boolean()

    def widget(self) -> Widget:
        return "boolean"

    def value_words(self) -> str:
        return "yes or no (true/false, yes/no, 1/0)"

    def redcap_shape(self) -> RedcapShape:
        return RedcapShape("yesno")


class _Coded(ElementBase):
    value_set: str = Field(pattern=NAME_PATTERN)

    @property
    def value_set_code(self) -> str | None:
        return self.value_set

    def settle(self, value: Any, context: ValueContext, path: str) -> Any:  # noqa: ARG002
        return context.code(self, value)

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import String  # noqa: PLC0415 - storage only

        return String(64)

    def arrow_value_type(self) -> Any:
        return _arrow().string()

    def typed_value(self, value: Any) -> Any:
        return str(value)

    def polars_value_type(self) -> Any:
        return _polars().String()


class CodeElement(_Coded):
    """One code of a value set; the code or its label is accepted (case-insensitive)."""

    type: Literal["code"]

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", "choose one code of the list")
        return str(raw).strip()

    def widget(self) -> Widget:
        return "select"

    def value_words(self) -> str:
        return "one code of the list (or its label)"

    def redcap_shape(self) -> RedcapShape:
        return RedcapShape("dropdown")


class CodesElement(_Coded):
    """Several codes of a value set, each at most once."""

    type: Literal["codes"]
    min_items: int = Field(default=0, ge=0)
    max_items: int | None = None

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", "choose codes of the list")
        return str(raw).strip()

    def holds_list(self) -> bool:
        return True

    def item_bounds(self) -> tuple[int, int | None]:
        return self.min_items, self.max_items

    def widget(self) -> Widget:
        return "checkboxes"

    def value_words(self) -> str:
        return "codes of the list (or labels)"

    def redcap_shape(self) -> RedcapShape:
        return RedcapShape(
            "checkbox", annotations=(f"@MAXCHECKED={self.max_items}",) if self.max_items else ()
        )

    def type_words(self) -> str:
        return self.value_words() + ", separated by ';'"  # plural already: no "one or more"


class ReferenceElement(_Scalar):
    """A reference by code or label to a platform record: the facility or one of its printers."""

    type: Literal["reference"]
    target: Literal["facility", "printer"]

    def parse(self, raw: object) -> Any:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ValueProblem("type", f"give the {self.target}'s code or label")
        return str(raw).strip()

    @property
    def references(self) -> str | None:
        return self.target

    def settle(self, value: Any, context: ValueContext, path: str) -> Any:  # noqa: ARG002
        return context.reference(self, value)

    @property
    def column_name(self) -> str:
        return f"{self.name}_id"

    def sql_type(self) -> TypeEngine[Any]:
        from sqlalchemy import Integer  # noqa: PLC0415 - storage only

        return Integer()  # the referenced row's id

    def arrow_value_type(self) -> Any:
        return _arrow().string()  # exports carry the code or label, never the row id

    def typed_value(self, value: Any) -> Any:
        return str(value)

    def polars_value_type(self) -> Any:
        return _polars().String()

    def widget(self) -> Widget:
        return "select"

    def value_words(self) -> str:
        return f"the {self.target}'s code or label"

    def redcap_shape(self) -> RedcapShape:
        return RedcapShape(notes=(f"reference to a {self.target}, exported as free text",))


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
#: Every scalar element type by its ``type`` name, read off the union above: the one registry.
SCALAR_TYPES: dict[str, type[ElementBase]] = {
    get_args(cls.model_fields["type"].annotation)[0]: cls
    for cls in get_args(get_args(ScalarElement)[0])
}
ELEMENT_TYPES: tuple[str, ...] = (*SCALAR_TYPES, "group")
#: What every scalar type answers itself (``ElementBase`` only declares these).
SCALAR_CONTRACT: tuple[str, ...] = (
    "parse",
    "sql_type",
    "arrow_value_type",
    "typed_value",
    "polars_value_type",
    "widget",
    "value_words",
    "redcap_shape",
)


MULTI_SEPARATOR = ";"


def flat_column(group: GroupElement | None, row: int, element: ElementBase) -> str:
    """Return the flat-file column of an element: its name, or ``<prefix>_<row>_<name>``."""
    return element.name if group is None else f"{group.prefix}_{row}_{element.name}"


def split_multi(cell: str) -> list[str]:
    """Return the values of a flat-file cell holding several values ('ct; mr' → ['ct', 'mr'])."""
    return [part.strip() for part in cell.split(MULTI_SEPARATOR) if part.strip()]


def split_list(element: ElementBase, text: str) -> list[str]:
    """Return the values typed in one form input of a multi-valued element.

    ';' separates values, as in flat files. The form's earlier separator ',' is still read when
    the text has no ';' and a comma cannot be part of a value: numbers, codes, and texts held to
    a pattern the whole text does not match (ICD-10 codes). A free text may hold a comma, so
    there it stays one value.
    """
    if MULTI_SEPARATOR in text or "," not in text:
        return split_multi(text)
    if isinstance(element, TextElement) and (
        element.pattern is None or re.fullmatch(element.pattern, text.strip())
    ):
        return split_multi(text)
    return [part.strip() for part in text.split(",") if part.strip()]


def is_multiple(element: ElementBase) -> bool:
    """Return whether the element holds a list of values."""
    return element.holds_list()


def item_bounds(element: ElementBase) -> tuple[int, int | None]:
    """Return (min_items, max_items) of a multi-valued element; (0, None) for others."""
    return element.item_bounds()


def year_quarter(value: dt.date) -> str:
    """Return the year and quarter of a date, like ``2025-Q1``."""
    return f"{value.year}-Q{(value.month - 1) // 3 + 1}"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _arrow() -> Any:
    """Return pyarrow, imported only when an export or extract asks for a type."""
    # pyarrow ships no type information; its objects are Any here.
    import pyarrow as pa  # type: ignore[import-untyped]  # noqa: PLC0415 - heavy, lazy

    return pa


def _polars() -> Any:
    """Return polars, imported only when batch validation asks for a type."""
    import polars as pl  # noqa: PLC0415 - heavy: loading a definition must not need it

    return pl
