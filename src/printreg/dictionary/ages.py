"""Which elements hold a person's age, and the top code ages are released under.

HIPAA Safe Harbor (45 CFR 164.514(b)(2)(i)(C)) lets ages over 89 leave only aggregated as "90 or
older". Research extracts and registry figures apply it; a facility's own case data stays exact.
"""

from __future__ import annotations

from printreg.dictionary.elements import ElementBase

#: ages of this value and over are released only as "90 or older"
AGE_TOP_CODE = 90
_AGE_UNITS = frozenset({"year", "years", "yr", "yrs", "y"})


def is_age(element: object) -> bool:
    """Return whether an element holds a person's age: a number in years named as an age.

    Definitions do not declare ages, and a published definition cannot gain an attribute without
    changing its checksum, so ages are recognised by what they are: an integer or decimal
    element whose unit is years and whose name has the word ``age`` (``patient_age_years``).
    """
    if not (isinstance(element, ElementBase) and element.numeric):
        return False
    return str(
        getattr(element, "unit", "")
    ).strip().lower() in _AGE_UNITS and "age" in element.name.split("_")
