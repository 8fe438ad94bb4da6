"""The link's secret: signed with the installation's key, stored only as a SHA-256 hash.

A token is ``itsdangerous``-signed ``[link id, secret]``: a tampered token fails its signature
before any database read, and a validly signed one opens its link only when the SHA-256 of its
secret equals the stored hash (compared in constant time). A reminder draws a new secret.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from itsdangerous import BadSignature, URLSafeSerializer

from printreg.settings import Settings

SALT = "printreg-assessment-link"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=SALT)


def digest(secret: str) -> str:
    """Return the stored form of a secret (hex SHA-256)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token(settings: Settings, link_id: uuid.UUID) -> tuple[str, str]:
    """Return (token for the URL, hash to store) for a fresh secret of the link."""
    secret = secrets.token_urlsafe(32)
    return _serializer(settings).dumps([link_id.hex, secret]), digest(secret)


def read_token(settings: Settings, token: str) -> tuple[uuid.UUID, str] | None:
    """Return (link id, hash of the secret) of a token signed here; None for anything else."""
    if len(token) > 400:
        return None
    try:
        found = _serializer(settings).loads(token)
    except BadSignature:
        return None
    if not (isinstance(found, list) and len(found) == 2 and all(isinstance(p, str) for p in found)):
        return None
    try:
        link_id = uuid.UUID(hex=found[0])
    except ValueError:
        return None
    return link_id, digest(found[1])


def same_hash(stored: str, offered: str) -> bool:
    """Return whether two hashes match, in constant time."""
    return hmac.compare_digest(stored.encode(), offered.encode())


def link_url(settings: Settings, token: str) -> str:
    """Return the absolute address of the link's page."""
    return f"{settings.public_url.rstrip('/')}/assess/{token}"
