"""The e-mail of a notification holds its title and absolute links, and nothing else."""

from __future__ import annotations

import pytest

from printreg.notifications.delivery import compose, retry_delay
from printreg.notifications.kinds import KINDS, NotificationKind, email_defaults
from printreg.settings import Settings


def _settings(public_url: str) -> Settings:
    return Settings(database_url="sqlite://", public_url=public_url)


@pytest.mark.parametrize("public_url", ["https://reg.example.org", "https://reg.example.org/"])
def test_links_start_with_the_public_address(public_url: str) -> None:
    mail = compose(
        _settings(public_url), "a@b.test", "Your data request was approved", "/requests/1"
    )
    assert mail.to == "a@b.test"
    assert mail.subject == "printreg: Your data request was approved"
    assert "\nhttps://reg.example.org/requests/1\n" in mail.text
    assert "https://reg.example.org/notifications/preferences" in mail.text
    assert "//requests" not in mail.text
    assert mail.text.splitlines()[0] == "Your data request was approved"


def test_a_path_prefix_is_kept() -> None:
    mail = compose(_settings("https://h.example/printreg"), "a@b.test", "T", "/requests/1")
    assert "https://h.example/printreg/requests/1" in mail.text


def test_retries_wait_longer_each_time() -> None:
    waits = [retry_delay(n) for n in (1, 2, 3)]
    assert waits[0] > 0
    assert waits == [waits[0], 2 * waits[0], 4 * waits[0]]


def test_every_kind_has_words_and_a_default() -> None:
    assert set(KINDS) == set(NotificationKind)
    defaults = email_defaults()
    assert defaults[NotificationKind.REQUEST_DECISION] is True
    assert defaults[NotificationKind.ASSESSMENT_REQUESTED] is False
    assert all(info.label and len(info.label) <= 200 for info in KINDS.values())
