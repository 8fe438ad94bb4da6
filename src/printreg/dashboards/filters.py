"""A dashboard's filters: the strata of the registry's analytics spec and a period, checked
(an unknown name is refused, never silently dropped), and the fact rows they select.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import polars as pl

from printreg.dictionary.analytics import AnalyticsSpec
from printreg.domain.errors import InvalidRequest

#: the filters of a dashboard besides the strata of the registry's analytics spec
PERIOD_FILTERS = ("period_from", "period_to")


def filter_names(spec: AnalyticsSpec) -> list[str]:
    """Return the names a facility dashboard may be filtered by: strata, then the period."""
    return [*spec.strata, *PERIOD_FILTERS]


def checked(spec: AnalyticsSpec, given: Mapping[str, str | None]) -> dict[str, str | None]:
    """Return the filters as given; InvalidRequest naming the allowed ones when a name is not
    a stratum of the registry's analytics spec nor a period bound (never silently dropped)."""
    allowed = filter_names(spec)
    unknown = sorted(name for name in given if name not in allowed)
    if unknown:
        raise InvalidRequest(
            f"cannot filter by {', '.join(map(repr, unknown))}: this registry's dashboard "
            f"filters by {', '.join(allowed)}"
        )
    return {name: (value or None) for name, value in given.items()}


def date_of(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def narrowed(
    facts: pl.LazyFrame, narrow: dict[str, str], period: tuple[dt.date | None, dt.date | None]
) -> pl.LazyFrame:
    """Return the fact rows of the cases in a multi-valued stratum and a period."""
    for name, code in narrow.items():
        facts = facts.filter(pl.col(f"s_{name}").list.contains(code))
    start, end = period
    if start is not None:
        facts = facts.filter(pl.col("case_date") >= start)
    if end is not None:
        facts = facts.filter(pl.col("case_date") <= end)
    return facts
