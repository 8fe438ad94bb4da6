"""`printreg assessment-link`: send, list, revoke, resend and run-due as the local operator."""

from __future__ import annotations

import json

from tests.support.assessment_links import CLINICIAN, unassessed_case
from tests.support.smtp import SmtpSink
from tests.support.web import HOME
from typer.testing import CliRunner

from printreg.cli.app import app
from printreg.platform import Platform

runner = CliRunner()


def _run(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def test_send_list_revoke_resend_run_due(api_platform: Platform, smtp_server: SmtpSink) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    sent = json.loads(_run("assessment-link", "send", case_id, "--to", CLINICIAN, "--json"))
    assert sent["status"] == "sent"
    assert smtp_server.wait_for(1)[0].recipients == [CLINICIAN]
    listed = json.loads(_run("assessment-link", "list", "--status", "sent", "--json"))
    assert [x["id"] for x in listed] == [sent["id"]]
    assert "surgeon@" in _run("assessment-link", "list")  # the table (narrow: cut short)
    revoked = json.loads(_run("assessment-link", "revoke", sent["id"], "--json"))
    assert revoked["status"] == "revoked"
    resent = json.loads(_run("assessment-link", "resend", sent["id"], "--to",
                             "other@hospital.example", "--json"))  # fmt: skip
    assert resent["resent_from"] == sent["id"]
    assert smtp_server.wait_for(2)[1].recipients == ["other@hospital.example"]
    assert json.loads(_run("assessment-link", "run-due", "--json")) == {
        "reminded": 0, "expired": 0, "not_sent": 0}  # fmt: skip


def test_refusals_exit_1_with_one_line(api_platform: Platform, smtp_server: SmtpSink) -> None:
    case_id, _ = unassessed_case(api_platform, HOME)
    bad = runner.invoke(app, ["assessment-link", "send", case_id, "--to", "nobody"])
    assert bad.exit_code == 1
    assert "e-mail address" in bad.stderr
    status = runner.invoke(app, ["assessment-link", "list", "--status", "pending"])
    assert status.exit_code == 2
    assert smtp_server.received == []
