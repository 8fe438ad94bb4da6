"""Dates as people write them: ISO always, a facility's local order when it declares one.

ISO 8601 (``YYYY-MM-DD``) is read everywhere. ``03/04/2026`` is the 3rd of April in one country
and the 4th of March in another, so a local form is read only for a facility that declares its
order (``DMY`` or ``MDY``, ``facilities.date_order``), and only with a four-digit year; without
that declaration it is refused, never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, get_args

DateOrder = Literal["DMY", "MDY"]
DATE_ORDERS: tuple[str, ...] = get_args(DateOrder)
ISO_FORMAT = "YYYY-MM-DD"
LOCAL_FORMATS: dict[str, str] = {"DMY": "DD/MM/YYYY", "MDY": "MM/DD/YYYY"}
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# Day and month of one or two digits, one separator used twice ('/', '.' or '-'), a 4-digit year.
_LOCAL_DATE = re.compile(r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})")


def date_formats(order: str | None) -> str:
    """Return the forms a date input takes, in words: 'YYYY-MM-DD' or 'YYYY-MM-DD or DD/MM/YYYY'."""
    local = LOCAL_FORMATS.get(order or "")
    return f"{ISO_FORMAT} or {local}" if local else ISO_FORMAT


def local_date(text: str, order: str | None) -> dt.date | None:
    """Return the date a local form names in the given order; None when it is not one.

    Raises ValueError when it has the shape of one but is no calendar date (31/02/2026).
    """
    if order not in LOCAL_FORMATS:
        return None
    found = _LOCAL_DATE.fullmatch(text)
    if found is None:
        return None
    first, second = int(found["a"]), int(found["b"])
    day, month = (first, second) if order == "DMY" else (second, first)
    return dt.date(int(found["year"]), month, day)
