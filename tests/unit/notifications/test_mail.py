"""E-mail delivery through a real SMTP server on loopback."""

from __future__ import annotations

import pytest
from tests.support.servers import free_port
from tests.support.smtp import SmtpSink

from printreg.notifications.mail import Mail, MailNotSent, mail_enabled, send_mail
from printreg.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(database_url="sqlite://", **values)  # type: ignore[arg-type]


def test_a_mail_reaches_the_server_with_its_headers(smtp_server: SmtpSink) -> None:
    settings = _settings(
        smtp_host=smtp_server.host,
        smtp_port=smtp_server.port,
        smtp_security="none",
        mail_from="registry@printreg.test",
    )
    send_mail(settings, Mail("lab@hospital.test", "A query was raised", "Open: https://x/q/1\n"))
    (received,) = smtp_server.wait_for(1)
    assert received.recipients == ["lab@hospital.test"]
    assert received.sender == "registry@printreg.test"
    assert received.message["Subject"] == "A query was raised"
    assert received.message["Message-ID"].endswith("@printreg.test>")
    assert received.text().strip() == "Open: https://x/q/1"


def test_without_a_host_nothing_is_sent(smtp_server: SmtpSink) -> None:
    settings = _settings()
    assert not mail_enabled(settings)
    send_mail(settings, Mail("lab@hospital.test", "s", "t"))
    assert smtp_server.received == []


def test_an_unreachable_server_is_named_without_the_message() -> None:
    port = free_port()
    settings = _settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    with pytest.raises(MailNotSent) as refused:
        send_mail(settings, Mail("lab@hospital.test", "secret subject", "secret body"))
    message = str(refused.value)
    assert f"127.0.0.1:{port}" in message
    assert "PRINTREG_SMTP_HOST" in message
    assert "secret" not in message


def test_starttls_against_a_plain_server_fails_clearly(smtp_server: SmtpSink) -> None:
    settings = _settings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port, smtp_security="starttls"
    )
    with pytest.raises(MailNotSent, match="PRINTREG_SMTP_SECURITY"):
        send_mail(settings, Mail("lab@hospital.test", "s", "t"))
    assert smtp_server.received == []
