"""Fixtures for the assessment link tests: the web app and clients, sending e-mail to a real
SMTP server on loopback (``smtp_server``)."""

from __future__ import annotations

import pytest
from tests.support.assessment_links import with_mail
from tests.support.smtp import SmtpSink
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
    monkeypatch.setenv("PRINTREG_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("PRINTREG_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("PRINTREG_SMTP_SECURITY", "none")
    return with_mail(settings, smtp_server.host, smtp_server.port)
