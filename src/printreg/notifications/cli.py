"""`printreg notification`: check the e-mail settings, read a person's notifications."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from printreg.cli.common import JsonOpt, console, operator, platform, print_json, run

notification_app = typer.Typer(
    help="Notifications: send a test e-mail, list a person's notifications.",
    no_args_is_help=True,
)


@notification_app.command("test-mail")
def test_mail(
    to: Annotated[str, typer.Argument(help="Address to send the test message to.")],
) -> None:
    """Send one test e-mail through the SMTP settings, to check them."""
    from printreg.domain.errors import InvalidRequest
    from printreg.notifications.mail import Mail, mail_enabled, send_mail
    from printreg.settings import Settings

    def body() -> None:
        settings = Settings()
        if not mail_enabled(settings):
            raise InvalidRequest("no SMTP server is set: set PRINTREG_SMTP_HOST first")
        text = (
            "This is a test message from printreg: its e-mail settings work.\n"
            f"Links in notifications start with {settings.public_url.rstrip('/')}/\n"
        )
        send_mail(settings, Mail(to=to.strip(), subject="printreg: test message", text=text))
        console.print(f"sent a test message through {settings.smtp_host}:{settings.smtp_port}")

    run(body)


@notification_app.command("list")
def list_notifications(
    email: Annotated[str, typer.Argument(help="The person's e-mail address.")],
    unread: Annotated[bool, typer.Option("--unread", help="Only the unread ones.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=500, help="At most this many.")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """List a person's newest notifications (title, link, read or not)."""
    from printreg.notifications.service import NotificationService

    def body() -> None:
        with platform() as p:
            found = NotificationService(p, operator()).of_person(
                email, unread_only=unread, limit=limit
            )
        if as_json:
            print_json(found)
            return
        table = Table("id", "when (UTC)", "kind", "title", "link", "read")
        for n in found.items:
            table.add_row(str(n.id), f"{n.created_at:%Y-%m-%d %H:%M}", n.kind.value, n.title,
                          n.link, "yes" if n.read_at else "no")  # fmt: skip
        console.print(table)
        console.print(f"{found.unread} unread")

    run(body, as_json=as_json)
