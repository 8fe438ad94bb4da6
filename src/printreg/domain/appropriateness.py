"""Appropriateness bands of the RSNA 3D Printing SIG ratings (1–9)."""

from __future__ import annotations

from enum import StrEnum


class Band(StrEnum):
    """The three bands of a 1–9 appropriateness rating."""

    USUALLY = "usually_appropriate"
    MAY_BE = "may_be_appropriate"
    RARELY = "rarely_appropriate"


def band_of(rating: int) -> Band:
    """Return the band of a 1–9 rating: 7–9 usually, 4–6 may be, 1–3 rarely appropriate."""
    if not 1 <= rating <= 9:
        raise ValueError(f"an appropriateness rating is 1–9, not {rating}")
    if rating >= 7:
        return Band.USUALLY
    return Band.MAY_BE if rating >= 4 else Band.RARELY
