"""Reasons for missing data: an answer that says why there is no value, kept beside the value.

An element declares the reasons it accepts (``missing_reasons``, a subset of ``REASON_CODES``;
the older ``unknown_allowed: true`` is the reason ``unknown``). A case then holds, per element,
either a value or a reason or neither — never both. A reason is never written into the value:
storage, exports and extracts keep it in a typed text column ``<column>__missing`` beside the
value column, which stays numeric, a date, a boolean.

Every outer shape of a reason is defined here, so that form, API, flat files and REDCap agree:

- the canonical value is one of the ``MissingReason`` singletons (``UNKNOWN`` …);
- in JSON (API, ``case show --json``) a reason stands in place of the value as
  ``{"missing": "<code>"}``; the bare string ``"unknown"`` is still read for numbers that
  allow it (records written before reasons existed);
- in flat files a reason is the cell of the sibling column ``<column>__missing``;
- in REDCap a reason is one of REDCap's missing-data codes (``REDCAP_CODES``).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, get_args

Reason = Literal["unknown", "not_asked", "not_applicable", "declined"]
#: every reason an element may declare, in the order forms and codebooks list them
REASON_CODES: tuple[str, ...] = get_args(Reason)
#: what each reason means, for forms and codebooks
REASON_LABELS: dict[str, str] = {
    "unknown": "Unknown",
    "not_asked": "Not asked",
    "not_applicable": "Not applicable",
    "declined": "Declined to answer",
}
#: REDCap's missing-data codes (HL7 null flavours); 'declined' is "asked but unknown" there
REDCAP_CODES: dict[str, str] = {
    "unknown": "UNK",
    "not_asked": "NASK",
    "not_applicable": "NA",
    "declined": "ASKU",
}
#: the JSON key of a reason given in place of a value
JSON_KEY = "missing"
#: the suffix of the column holding an element's reason (storage, flat files, exports)
COLUMN_SUFFIX = "__missing"
#: the SQL length of a reason column
REASON_LENGTH = 16


class MissingReason:
    """Why an element holds no value: one instance per reason, compared by identity."""

    _instances: ClassVar[dict[str, MissingReason]] = {}
    code: str

    def __new__(cls, code: str) -> MissingReason:
        found = cls._instances.get(code)
        if found is None:
            if code not in REASON_CODES:
                raise ValueError("not a missing-data reason")
            found = super().__new__(cls)
            found.code = code
            cls._instances[code] = found
        return found

    def __repr__(self) -> str:
        return f"MissingReason({self.code!r})"

    def __str__(self) -> str:
        return self.code

    def __reduce__(self) -> tuple[Any, ...]:
        return (MissingReason, (self.code,))

    @property
    def label(self) -> str:
        """Return the reason as people read it ('Not asked')."""
        return REASON_LABELS[self.code]

    @property
    def redcap_code(self) -> str:
        """Return REDCap's missing-data code of the reason ('NASK')."""
        return REDCAP_CODES[self.code]

    def to_json(self) -> dict[str, str]:
        """Return the reason as JSON gives it in place of a value."""
        return {JSON_KEY: self.code}


UNKNOWN = MissingReason("unknown")
REASONS: dict[str, MissingReason] = {code: MissingReason(code) for code in REASON_CODES}
_BY_REDCAP = {code.lower(): REASONS[reason] for reason, code in REDCAP_CODES.items()}


def is_reason(value: object) -> bool:
    """Return whether a canonical value is a reason for missing data rather than a value."""
    return isinstance(value, MissingReason)


def reason_code(value: object) -> str | None:
    """Return the code of a reason for missing data; None for a value or no value."""
    return value.code if isinstance(value, MissingReason) else None


def reason_named(code: object) -> MissingReason | None:
    """Return the reason of a code ('not_asked', any case, trimmed); None when it is none."""
    if not isinstance(code, str):
        return None
    return REASONS.get(code.strip().lower().replace(" ", "_"))


def reason_from_redcap(code: object) -> MissingReason | None:
    """Return the reason of one of REDCap's missing-data codes ('NASK'); None for other cells."""
    return _BY_REDCAP.get(code.strip().lower()) if isinstance(code, str) else None


def column_of(column: str) -> str:
    """Return the reason column beside a value column ('effort_min' → 'effort_min__missing')."""
    return column + COLUMN_SUFFIX
