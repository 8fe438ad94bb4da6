"""Pure domain rules: CPT suggestion, appropriateness bands, volume bands."""

from __future__ import annotations

from typing import Literal

import pytest

from printreg.domain.appropriateness import Band, band_of
from printreg.domain.coding import billed_units, format_codes, orphan_addons, suggest_units
from printreg.domain.errors import NotFound
from printreg.domain.facility import volume_band


@pytest.mark.parametrize(
    ("made", "parts", "guides", "expected"),
    [
        ("model", 1, None, {"0559T": 1}),
        ("model", 3, None, {"0559T": 1, "0560T": 2}),
        ("guide", 0, 1, {"0561T": 1}),
        ("guide", 2, 4, {"0561T": 1, "0562T": 3}),
        ("model", 0, None, {}),
        (None, 3, 2, {}),
    ],
)
def test_cpt_suggestion(
    made: Literal["model", "guide"] | None, parts: int, guides: int | None, expected: dict[str, int]
) -> None:
    assert suggest_units(made, parts, guides) == expected


def test_billed_units_add_up_and_format_in_code_order() -> None:
    units = billed_units([("0560T", 1), ("0559T", 1), ("0560T", 2)])
    assert units == {"0560T": 3, "0559T": 1}
    assert format_codes(units) == "0559T×1 + 0560T×3"
    assert orphan_addons({"0560T": 1}) == ["0560T"]
    assert orphan_addons({"0559T": 1, "0560T": 1, "0562T": 2}) == ["0562T"]


@pytest.mark.parametrize(("rating", "band"), [(1, Band.RARELY), (3, Band.RARELY), (4, Band.MAY_BE),
                                               (6, Band.MAY_BE), (7, Band.USUALLY), (9, Band.USUALLY)])  # fmt: skip
def test_appropriateness_bands(rating: int, band: Band) -> None:
    assert band_of(rating) is band


@pytest.mark.parametrize("rating", [0, 10])
def test_a_rating_outside_one_to_nine_is_refused(rating: int) -> None:
    with pytest.raises(ValueError, match="1–9"):
        band_of(rating)


@pytest.mark.parametrize(("cases", "band"), [(0, "low"), (24, "low"), (25, "medium"), (99, "medium"),
                                              (100, "high"), (399, "high"), (400, "very_high")])  # fmt: skip
def test_volume_bands(cases: int, band: str) -> None:
    assert volume_band(cases) == band


def test_not_found_for_what_one_may_not_see_names_no_identifier() -> None:
    """One message for an unknown identifier and one the caller may not see (docs/security.md)."""
    assert str(NotFound.no_such("facility")) == "no such facility"
    assert isinstance(NotFound.no_such("case"), NotFound)
