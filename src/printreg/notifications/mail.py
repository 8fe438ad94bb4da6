"""Send one e-mail over SMTP (the standard library's smtplib, with TLS verified by default).

Callers pass a subject and a plain text that carry a link and words, never a case value; this
module only delivers. A refused or unreachable server raises :class:`MailNotSent` with what to
check, so that a job can retry and an operator can fix the settings.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from printreg.domain.errors import RegistryError
from printreg.settings import Settings


class MailNotSent(RegistryError):  # noqa: N818 - reads as the condition it names
    """The SMTP server could not be reached or refused the message."""


@dataclass(frozen=True)
class Mail:
    """One message to one recipient."""

    to: str
    subject: str
    text: str


def mail_enabled(settings: Settings) -> bool:
    """Return whether this installation sends e-mail (an SMTP host is set)."""
    return bool(settings.smtp_host)


def _message(settings: Settings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rpartition("@")[2] or None)
    message.set_content(mail.text)
    return message


def send_mail(settings: Settings, mail: Mail) -> None:
    """Deliver ``mail`` through the configured SMTP server.

    Raises :class:`MailNotSent` naming the server and the reason (never the message text) when
    the server is unreachable, refuses the login or refuses the recipient; does nothing more
    when no SMTP host is configured (callers check :func:`mail_enabled` to say so).
    """
    if not mail_enabled(settings):
        return
    message = _message(settings, mail)
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if settings.smtp_security == "tls":
            client = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout_seconds,
                context=context,
            )
        else:
            client = smtplib.SMTP(
                settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
            )
        with client:
            if settings.smtp_security == "starttls":
                client.starttls(context=context)
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password)
            client.send_message(message)
    except smtplib.SMTPRecipientsRefused as error:
        raise MailNotSent(f"the SMTP server {where} refused the recipient address") from error
    except smtplib.SMTPAuthenticationError as error:
        raise MailNotSent(
            f"the SMTP server {where} refused the login: check PRINTREG_SMTP_USERNAME and "
            "PRINTREG_SMTP_PASSWORD"
        ) from error
    except (smtplib.SMTPException, OSError) as error:
        raise MailNotSent(
            f"no e-mail could be sent through {where} ({type(error).__name__}): check "
            "PRINTREG_SMTP_HOST, PRINTREG_SMTP_PORT and PRINTREG_SMTP_SECURITY"
        ) from error
