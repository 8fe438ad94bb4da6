"""Fixtures for the assessment link tests: the web app and clients, sending e-mail to a real
SMTP server on loopback (``smtp_server``)."""

from __future__ import annotations

import pytest
from tests.support.smtp import SmtpSink, mailing
from tests.support.web import (  # noqa: F401 - fixtures for this folder
    anon,
    api_platform,
    app,
    client_for,
    dm,
    new_client,
)

from printreg.settings import Settings


@pytest.fixture
def settings(
    settings: Settings, smtp_server: SmtpSink, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """Return the test settings sending e-mail to ``smtp_server`` (exported for the CLI too)."""
    return mailing(settings, smtp_server, monkeypatch)
