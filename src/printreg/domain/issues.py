"""A problem found in a record: what, where, how bad, and what to do about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem: ``path`` is like ``prints[2].scale_pct`` (rows count from 1).

    ``value`` is the offending input, kept only when it cannot hold a patient identifier;
    ``message`` never repeats the value.
    """

    severity: Severity
    record_key: str
    path: str
    rule: str
    message: str
    value: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        """Return the issue as a JSON-ready mapping."""
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.record_key} " if self.record_key else ""
        return f"{self.severity}: {where}{self.path or '(record)'} [{self.rule}] {self.message}"
