"""Small secrets sealed at rest with a key derived from ``secret_key`` (TOTP secrets).

The seal is Fernet (AES-128-CBC with HMAC-SHA256, encrypt-then-MAC, a fresh IV each time) from
the `cryptography` package; its key is derived from ``secret_key`` with HKDF-SHA256 and a label
per purpose, so a value sealed for one purpose does not open for another. Changing
``secret_key`` makes sealed values unreadable: ``open_sealed`` then returns None (a person signs
in with a recovery code, or an administrator resets their second factor).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v2"


def _fernet(secret_key: str, purpose: str) -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"printreg seal {purpose}".encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def seal(secret_key: str, purpose: str, plaintext: str) -> str:
    """Return ``plaintext`` sealed (``v2:`` and a Fernet token), unreadable without the key."""
    token = _fernet(secret_key, purpose).encrypt(plaintext.encode())
    return f"{VERSION}:{token.decode()}"


def open_sealed(secret_key: str, purpose: str, sealed: str) -> str | None:
    """Return the plaintext of a sealed value; None when it was sealed with another key or
    purpose, or altered."""
    version, _, token = sealed.partition(":")
    if version != VERSION:
        return None
    try:
        return _fernet(secret_key, purpose).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError):
        return None
