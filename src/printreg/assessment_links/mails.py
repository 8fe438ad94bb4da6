"""The e-mails of assessment links: a link and words, never a value of the case."""

from __future__ import annotations

import datetime as dt

from printreg.notifications.mail import Mail


def _until(expires_at: dt.datetime) -> str:
    return f"{expires_at:%d %B %Y} (UTC)"


def request_mail(to: str, registry_name: str, url: str, expires_at: dt.datetime) -> Mail:
    """Return the first message of a sending."""
    text = (
        "Hello,\n\n"
        "The 3D printing team of your facility asks you, as the person who used a 3D-printed "
        f"object, to answer its short user assessment for the {registry_name}. It takes about "
        "two minutes and needs no account:\n\n"
        f"{url}\n\n"
        f"The link works once, until {_until(expires_at)}. Do not forward it. If you did not "
        "use a printed object, ignore this message.\n"
    )
    return Mail(to, "Your assessment of a 3D-printed object is asked for", text)


def reminder_mail(to: str, registry_name: str, url: str, expires_at: dt.datetime) -> Mail:
    """Return the one reminder of a sending; its link replaces the first one."""
    text = (
        "Hello,\n\n"
        "A reminder: the 3D printing team of your facility still awaits your short user "
        f"assessment of a 3D-printed object you used, for the {registry_name}:\n\n"
        f"{url}\n\n"
        "This link replaces the one sent earlier, which no longer works. It works once, until "
        f"{_until(expires_at)}. If you did not use a printed object, ignore this message.\n"
    )
    return Mail(to, "Reminder: your assessment of a 3D-printed object", text)
