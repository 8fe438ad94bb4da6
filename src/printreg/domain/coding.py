"""CPT Category III coding for 3D printed anatomic models and guides (0559T–0562T)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Literal

MODEL_FIRST, MODEL_ADDON, GUIDE_FIRST, GUIDE_ADDON = "0559T", "0560T", "0561T", "0562T"
#: Each add-on code and the primary code it must accompany.
ADDON_PRIMARY: Mapping[str, str] = {MODEL_ADDON: MODEL_FIRST, GUIDE_ADDON: GUIDE_FIRST}


def suggest_units(
    made: Literal["model", "guide"] | None, part_count: int, guide_count: int | None
) -> dict[str, int]:
    """Return the suggested units per code for what was made; empty when nothing to code.

    A model with n parts is 0559T × 1 + 0560T × (n − 1); a guide case with g guides is
    0561T × 1 + 0562T × (g − 1).
    """
    if made == "model" and part_count >= 1:
        first, addon, count = MODEL_FIRST, MODEL_ADDON, part_count
    elif made == "guide" and guide_count:
        first, addon, count = GUIDE_FIRST, GUIDE_ADDON, guide_count
    else:
        return {}
    return {first: 1, addon: count - 1} if count > 1 else {first: 1}


def billed_units(rows: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Return total units per code from (code, units) rows."""
    totals: Counter[str] = Counter()
    for code, units in rows:
        totals[code] += units
    return dict(totals)


def format_codes(units: Mapping[str, int]) -> str:
    """Return codes as '0559T×1 + 0560T×2' in code order; empty string for none."""
    return " + ".join(f"{code}×{n}" for code, n in sorted(units.items()) if n)


def orphan_addons(units: Mapping[str, int]) -> list[str]:
    """Return the add-on codes billed without their primary code."""
    return [a for a, p in ADDON_PRIMARY.items() if units.get(a) and not units.get(p)]
