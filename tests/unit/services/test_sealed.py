"""Sealed secrets: readable with the key they were sealed with, and only with it."""

from __future__ import annotations

import base64

from printreg.accounts.sealed import open_sealed, seal

KEY = "k" * 40


def test_a_sealed_value_opens_with_its_key_and_purpose_only() -> None:
    sealed = seal(KEY, "totp", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert "JBSWY3DP" not in sealed
    assert open_sealed(KEY, "totp", sealed) == "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    assert open_sealed("x" * 40, "totp", sealed) is None
    assert open_sealed(KEY, "other", sealed) is None


def test_sealing_twice_differs_and_an_altered_seal_is_refused() -> None:
    one, two = seal(KEY, "totp", "secret"), seal(KEY, "totp", "secret")
    assert one != two  # a fresh IV each time
    head, _, body = one.partition(":")
    raw = bytearray(base64.urlsafe_b64decode(body))
    for at in (len(raw) // 2, len(raw) - 1):  # a ciphertext byte, then a byte of the tag
        altered = bytearray(raw)
        altered[at] ^= 0x01
        token = base64.urlsafe_b64encode(bytes(altered)).decode()
        assert open_sealed(KEY, "totp", f"{head}:{token}") is None
    assert open_sealed(KEY, "totp", "v1:" + body) is None
    assert open_sealed(KEY, "totp", "v2:!!") is None


def test_values_longer_than_one_block_round_trip() -> None:
    text = "é" * 100
    assert open_sealed(KEY, "totp", seal(KEY, "totp", text)) == text
