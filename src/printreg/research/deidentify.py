"""The de-identifying transformations of an extract: pseudonyms, coarse dates, random row ids.

Each request has its own random secret. A facility's pseudonym is an HMAC-SHA256 of its id under
that secret, so within one extract a facility keeps one pseudonym (analyses by site still work),
while two requests give the same facility unrelated pseudonyms: extracts cannot be linked by
site. Dates are coarsened to the quarter of the year. A case's local ID never leaves; every row
gets a random id instead, drawn afresh for each extract.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from printreg.dictionary.elements import year_quarter

__all__ = ["new_secret", "pseudonym", "random_row_id", "year_quarter"]

SECRET_BYTES = 32
PSEUDONYM_HEX = 12


def new_secret() -> bytes:
    """Return a fresh random per-request secret."""
    return secrets.token_bytes(SECRET_BYTES)


def pseudonym(secret: bytes, facility_id: int) -> str:
    """Return the facility's pseudonym under a request's secret, like ``S3f9a0c1d2b7e``."""
    digest = hmac.new(secret, f"facility:{facility_id}".encode(), hashlib.sha256).hexdigest()
    return "S" + digest[:PSEUDONYM_HEX]


def random_row_id() -> str:
    """Return a random row id (16 hex digits), unrelated to any stored key."""
    return secrets.token_hex(8)
