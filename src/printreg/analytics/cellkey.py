"""Consistent perturbation of released counts: the cell-key method of statistical offices.

The method of the Australian Bureau of Statistics' TableBuilder and of Eurostat's "cell key
method" for on-demand tables (Fraser & Wooton 2005; Thompson, Broadfoot & Elazar 2013):

- Every record (a case) has a fixed pseudo-random **record key**, an integer in [0, 2³²):
  HMAC-SHA256 of its case id under a platform secret. Nothing is stored; the key is recomputed.
- A cell's **cell key** is the sum of its records' keys modulo 2³², so it depends only on the
  *set* of records in the cell, never on the query that produced it.
- The published count is the true count plus an offset read from a fixed **perturbation table**
  indexed by the true count and the cell key; each count's row reads the cell key turned by its
  own fixed pseudo-random amount (``row_turn``), so the rows of two counts are unrelated.

So the same set of cases always publishes the same number, whatever table, stratum or request
it comes from: asking again gives nothing new, and the difference of two overlapping releases
(A ∪ B, then B) is the hidden count plus the difference of two independent offsets, never the
count itself with certainty.

The table: 0 publishes as 0; a count from 1 to threshold − 1 is never published (``None``); a
count c ≥ threshold publishes as c + d with d in −2..+2 drawn with weights 3:4:6:4:3 (out of 20,
mean 0, variance 1.6), restricted to offsets that keep c + d ≥ threshold and renormalised. Counts
of threshold + 2 and more are therefore unbiased; the two counts just above the threshold are
biased upwards by less than one. No perturbed count ever falls into 1..threshold − 1.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

KEY_BITS = 32
MODULUS = 1 << KEY_BITS
#: offsets −2..+2 and their weights (out of their sum): mean 0, variance 1.6
OFFSETS = (-2, -1, 0, 1, 2)
WEIGHTS = (3, 4, 6, 4, 3)
NOTE = (
    "counts are perturbed for confidentiality (cell-key method: the same cases always give the "
    "same published count, within ±2 of the true one); counts from 1 to {low} are not shown"
)


def _case_text(case_id: uuid.UUID | str) -> bytes:
    """Return the case id in one spelling (32 lowercase hex digits), whatever the database."""
    if isinstance(case_id, uuid.UUID):
        return case_id.hex.encode("ascii")
    # a database hands ids back as text with or without dashes: cheaper than parsing a UUID
    text = case_id.replace("-", "").lower()
    if len(text) != 32:  # anything else (braces, a urn) is parsed
        text = uuid.UUID(case_id).hex
    return text.encode("ascii")


def record_key(secret: bytes, case_id: uuid.UUID | str) -> int:
    """Return the case's record key, an integer in [0, 2³²) fixed by the secret and the id."""
    digest = hmac.digest(secret, b"printreg record key:" + _case_text(case_id), "sha256")
    return int.from_bytes(digest[: KEY_BITS // 8], "big")


def cell_key(keys: Iterable[int]) -> int:
    """Return the cell key of a set of records: the sum of their record keys modulo 2³²."""
    return sum(keys) % MODULUS


@functools.cache
def row_turn(count: int) -> int:
    """Return the fixed pseudo-random turn of the table's row for a count, in [0, 2³²).

    Without it every row would read the cell key the same way, and a set A of cases whose cell
    key happens to lie near 0 would shift A ∪ B's key hardly at all from B's: the two totals
    would get the same offset for most B, and the mode of many differences would give |A|. With
    each row turned its own way, rows n and n + |A| read unrelated positions (as each row of the
    ABS p-table is laid out on its own).
    """
    digest = hashlib.sha256(f"printreg p-table row {count}".encode()).digest()
    return int.from_bytes(digest[: KEY_BITS // 8], "big")


@dataclass(frozen=True)
class PerturbationTable:
    """The fixed table that turns (true count, cell key) into a published count."""

    threshold: int = 11

    def offsets(self, count: int) -> tuple[tuple[int, int], ...]:
        """Return the (offset, weight) pairs a count ≥ threshold may take; () below it."""
        if count < self.threshold:
            return ()
        return tuple(
            (d, w) for d, w in zip(OFFSETS, WEIGHTS, strict=True) if count + d >= self.threshold
        )

    def perturb(self, count: int, key: int) -> int | None:
        """Return the published value of a cell: 0 for 0, None for 1..threshold − 1, else the
        count moved by the offset its cell key selects."""
        if count < 0:
            raise ValueError("a count cannot be negative")
        if count == 0:
            return 0
        if count < self.threshold:
            return None
        allowed = self.offsets(count)
        total = sum(w for _, w in allowed)
        # the cell key is uniform on [0, 2³²): turn it by the row's own offset, then scale it
        # onto the cumulative weights
        position = ((key + row_turn(count)) % MODULUS) * total // MODULUS
        for offset, weight in allowed:
            if position < weight:
                return count + offset
            position -= weight
        raise AssertionError("unreachable: position < total")  # pragma: no cover

    def rows(self, upto: int) -> list[dict[str, object]]:
        """Return the table as documentation rows for counts 0..upto: count → offsets and
        their probabilities, or what is published instead."""
        out: list[dict[str, object]] = []
        for count in range(upto + 1):
            allowed = self.offsets(count)
            total = sum(w for _, w in allowed)
            out.append(
                {
                    "count": count,
                    "published": "0" if count == 0 else ("hidden" if not allowed else "perturbed"),
                    "offsets": {d: w / total for d, w in allowed} if allowed else {},
                }
            )
        return out

    def note(self) -> str:
        """Return the honest note that goes wherever perturbed counts are shown."""
        return NOTE.format(low=self.threshold - 1)


def proportion_releasable(n: int, x: int, threshold: int) -> bool:
    """Return whether x successes out of n may be released as a proportion to outsiders.

    The threshold rule of statistical offices for rates (numerator, denominator and the
    complement all tested): n ≥ threshold, and x and n − x each either 0 or ≥ threshold, so
    n × p never gives a count from 1 to threshold − 1.
    """
    return n >= threshold and all(v == 0 or v >= threshold for v in (x, n - x))


def released_total(table: PerturbationTable, keys: Sequence[int]) -> int | None:
    """Return the published count of a set of records given their record keys."""
    return table.perturb(len(keys), cell_key(keys))
