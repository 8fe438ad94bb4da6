"""`printreg notification`: a test e-mail through the real SMTP server, a person's list."""

from __future__ import annotations

import json

import pytest
from tests.support.notifications import user_id
from tests.support.servers import free_port
from tests.support.smtp import SmtpSink
from tests.support.web import DATA_MANAGER
from typer.testing import CliRunner

from printreg.cli.app import app
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import notify
from printreg.platform import Platform
from printreg.settings import Settings

runner = CliRunner()


def test_test_mail_reaches_the_server(mail_settings: Settings, smtp_server: SmtpSink) -> None:
    del mail_settings  # exported as PRINTREG_SMTP_* for the command
    result = runner.invoke(app, ["notification", "test-mail", "ops@hospital.test"])
    assert result.exit_code == 0, result.output
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["ops@hospital.test"]
    assert received.message["Subject"] == "printreg: test message"


def test_test_mail_names_what_to_check(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    del settings
    no_host = runner.invoke(app, ["notification", "test-mail", "ops@hospital.test"])
    assert no_host.exit_code == 1
    assert "PRINTREG_SMTP_HOST" in no_host.output

    monkeypatch.setenv("PRINTREG_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PRINTREG_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("PRINTREG_SMTP_SECURITY", "none")
    down = runner.invoke(app, ["notification", "test-mail", "ops@hospital.test"])
    assert down.exit_code == 1
    assert "PRINTREG_SMTP_PORT" in down.output
    assert "Traceback" not in down.output


def test_list_shows_a_person_s_notifications(api_platform: Platform) -> None:
    with api_platform.sessions() as session, session.begin():
        notify(session, [user_id(api_platform, DATA_MANAGER)], NotificationKind.QUERY_RAISED,
               "A query was raised on a case at F0001", "/registries/3dp/cases")  # fmt: skip
    result = runner.invoke(app, ["notification", "list", DATA_MANAGER, "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert listed["unread"] == 1
    assert [n["title"] for n in listed["items"]] == ["A query was raised on a case at F0001"]
    unknown = runner.invoke(app, ["notification", "list", "nobody@example.org"])
    assert unknown.exit_code == 1
