"""A clock that tests move by hand, to stand for ``Platform.clock``."""

from __future__ import annotations

import datetime as dt

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


class Clock:
    """Return a fixed time until the test advances it."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time forward."""
        self.now += dt.timedelta(seconds=seconds)
