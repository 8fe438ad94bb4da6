"""Small secrets sealed at rest with a key derived from ``secret_key`` (TOTP secrets).

No encryption library is a dependency, so the seal is built from HMAC-SHA256 alone, in the
standard way: a random 16-byte nonce, a keystream of HMAC(enc_key, nonce ‖ counter) blocks XORed
with the plaintext (HMAC as a pseudo-random function in counter mode), then an HMAC tag over
version, nonce and ciphertext with a separate key (encrypt-then-MAC). The two keys are derived
from ``secret_key`` with distinct labels. Changing ``secret_key`` makes sealed values unreadable:
``open_sealed`` then returns None (a person signs in with a recovery code, or an administrator
resets their second factor).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

VERSION = "v1"
_NONCE, _TAG, _BLOCK = 16, 32, 32


def _keys(secret_key: str, purpose: str) -> tuple[bytes, bytes]:
    root = secret_key.encode()
    enc = hmac.new(root, f"printreg seal enc {purpose}".encode(), hashlib.sha256).digest()
    mac = hmac.new(root, f"printreg seal mac {purpose}".encode(), hashlib.sha256).digest()
    return enc, mac


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + _BLOCK - 1) // _BLOCK
    return b"".join(
        hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest() for n in range(blocks)
    )[:length]


def seal(secret_key: str, purpose: str, plaintext: str) -> str:
    """Return ``plaintext`` sealed (``v1:`` and URL-safe base64), unreadable without the key."""
    enc, mac = _keys(secret_key, purpose)
    data = plaintext.encode()
    nonce = secrets.token_bytes(_NONCE)
    body = bytes(a ^ b for a, b in zip(data, _stream(enc, nonce, len(data)), strict=True))
    tag = hmac.new(mac, VERSION.encode() + nonce + body, hashlib.sha256).digest()
    return f"{VERSION}:" + base64.urlsafe_b64encode(nonce + body + tag).decode()


def open_sealed(secret_key: str, purpose: str, sealed: str) -> str | None:
    """Return the plaintext of a sealed value; None when it was sealed with another key or
    altered."""
    version, _, encoded = sealed.partition(":")
    if version != VERSION:
        return None
    try:
        raw = base64.urlsafe_b64decode(encoded.encode())
    except ValueError:
        return None
    if len(raw) < _NONCE + _TAG:
        return None
    nonce, body, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    enc, mac = _keys(secret_key, purpose)
    expected = hmac.new(mac, VERSION.encode() + nonce + body, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        return None
    data = bytes(a ^ b for a, b in zip(body, _stream(enc, nonce, len(body)), strict=True))
    return data.decode()
