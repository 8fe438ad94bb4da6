"""Link tokens: signed, carrying the link id and a secret stored only as its hash."""

from __future__ import annotations

import uuid

from printreg.assessment_links import tokens
from printreg.settings import Settings

SETTINGS = Settings(database_url="sqlite://", secret_key="k" * 40)


def test_a_token_reads_back_to_its_link_and_the_stored_hash() -> None:
    link_id = uuid.uuid4()
    token, stored = tokens.new_token(SETTINGS, link_id)
    read = tokens.read_token(SETTINGS, token)
    assert read is not None
    assert read[0] == link_id
    assert tokens.same_hash(stored, read[1])
    assert stored not in token  # the hash never travels; the secret never rests


def test_two_tokens_of_one_link_differ() -> None:
    link_id = uuid.uuid4()
    first, second = tokens.new_token(SETTINGS, link_id), tokens.new_token(SETTINGS, link_id)
    assert first[0] != second[0]
    assert first[1] != second[1]


def test_tampered_foreign_and_oversized_tokens_read_as_nothing() -> None:
    token, _ = tokens.new_token(SETTINGS, uuid.uuid4())
    other = Settings(database_url="sqlite://", secret_key="o" * 40)
    assert tokens.read_token(SETTINGS, token[:-2] + ("xy" if token[-2:] != "xy" else "zz")) is None
    assert tokens.read_token(other, token) is None  # signed by another installation
    assert tokens.read_token(SETTINGS, "A" * 500) is None
    assert tokens.read_token(SETTINGS, "") is None


def test_the_link_url_starts_with_the_public_address() -> None:
    settings = SETTINGS.model_copy(update={"public_url": "https://reg.example.org/printreg/"})
    assert tokens.link_url(settings, "abc") == "https://reg.example.org/printreg/assess/abc"
