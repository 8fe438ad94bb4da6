"""What the notification tests share: a platform that e-mails the test SMTP server, the link of
a received message, and reading a person's notification rows."""

from __future__ import annotations

import re

from sqlalchemy import select

from printreg.accounts.models import User
from printreg.notifications.models import Notification
from printreg.platform import Platform
from printreg.settings import Settings
from tests.support.smtp import Received

PUBLIC_URL = "http://testserver"  # the TestClient's own address: a received link opens in it
_LINK = re.compile(r"https?://\S+")


def send_mail_from(platform: Platform, mail_settings: Settings, **more: object) -> Settings:
    """Make the platform e-mail the test SMTP server (links on the test client's address)."""
    platform.settings = mail_settings.model_copy(update={"public_url": PUBLIC_URL, **more})
    return platform.settings


def links(received: Received) -> list[str]:
    """Return every web address in the message's text, in order."""
    return _LINK.findall(received.text())


def notifications_of(platform: Platform, email: str) -> list[Notification]:
    """Return the person's notification rows, oldest first."""
    with platform.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(Notification.id)
            )
        )


def user_id(platform: Platform, email: str) -> int:
    """Return the id of the person with this address."""
    with platform.sessions() as session:
        found = session.scalar(select(User.id).where(User.email == email))
    assert found is not None
    return found
