"""What leaves the facility: counts and proportions of other facilities, released safely.

Two rules, applied to every figure a viewer gets about anything but their own facility:

- **Counts** go through the cell-key perturbation table (:mod:`printreg.analytics.cellkey`):
  1..threshold − 1 is never shown, other counts move by a small offset fixed by the set of cases.
- **Proportions** beside the viewer's own figure are released only when the *other* facilities'
  part (the group minus the viewer's own cases) passes the threshold rule for rates: its
  denominator ≥ threshold, and its numerator and complement each 0 or ≥ threshold. Otherwise
  the group's n and x, less the viewer's own (which they know), would give a small count. The
  proportion shown is then the perturbed x over the perturbed n, so that differencing two strata
  or quarters gives noise too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from printreg.analytics.cellkey import MODULUS, PerturbationTable, proportion_releasable


def small(count: int, threshold: int) -> bool:
    """Return whether a count is one that is never released: 1..threshold − 1."""
    return 1 <= count < threshold


@dataclass(frozen=True)
class Release:
    """The release rules at one threshold: the perturbation table and the rate rule."""

    table: PerturbationTable

    @classmethod
    def at(cls, threshold: int) -> Release:
        """Return the rules for a threshold (the ``suppression_threshold`` setting)."""
        return cls(PerturbationTable(threshold))

    @property
    def threshold(self) -> int:
        """Return the threshold: counts below it (but above 0) are never released."""
        return self.table.threshold

    def count(self, count: int, key: int | None) -> int | None:
        """Return a count as released: perturbed by its cell key; None when it is small."""
        return self.table.perturb(int(count), int(key or 0) % MODULUS)

    def proportion(
        self,
        n: int,
        x: int,
        n_key: int | None,
        x_key: int | None,
        own_n: int = 0,
        own_x: int = 0,
    ) -> dict[str, Any] | None:
        """Return a group's {"n", "x", "p"} as released beside a facility's own (``own_n``,
        ``own_x``, part of the group), perturbed; None when a small count could be derived."""
        others_n, others_x = n - own_n, x - own_x
        if others_n and not proportion_releasable(others_n, others_x, self.threshold):
            return None
        shown_n, shown_x = self.count(n, n_key), self.count(x, x_key)
        if not shown_n or shown_x is None:
            return None
        # what an outsider computes from the published figures must pass the rule too: the
        # offsets of n and x are independent, so n' − x' could land in 1..threshold − 1
        if others_n and not proportion_releasable(shown_n - own_n, shown_x - own_x, self.threshold):
            return None
        return {"n": shown_n, "x": shown_x, "p": min(1.0, shown_x / shown_n)}
