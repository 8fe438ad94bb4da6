"""A real SMTP server on loopback for the tests (aiosmtpd in a thread), keeping what it gets."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.support.servers import free_port

if TYPE_CHECKING:
    import pytest

    from printreg.settings import Settings


@dataclass
class Received:
    """One message as the server received it: envelope and parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    def text(self) -> str:
        """Return the plain-text body."""
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content())


@dataclass
class SmtpSink:
    """Messages received by the loopback server, in order."""

    host: str
    port: int
    received: list[Received] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802, ARG002 - aiosmtpd's hook name
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self._arrived:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Return the messages once at least ``count`` have arrived; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} e-mails, got {len(self.received)}"
                self._arrived.wait(left)
            return list(self.received)

    def wait_to(self, address: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        """Return the messages sent to ``address`` once at least ``count`` have arrived; fail
        after ``timeout`` (other recipients' messages may arrive in between)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.to(address)) < count:
                left = deadline - time.monotonic()
                assert left > 0, (
                    f"expected {count} e-mails to one address, got {len(self.to(address))}"
                )
                self._arrived.wait(left)
            return self.to(address)

    def to(self, address: str) -> list[Received]:
        """Return the messages sent to ``address``."""
        return [r for r in self.received if address in r.recipients]


class _ClosingController(Controller):
    """aiosmtpd's controller, closing the connections still open when it stops (a sender
    that has not said QUIT yet would otherwise leave a socket to the garbage collector, which
    warns in whichever test runs then)."""

    def __init__(self, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._sessions: list[SMTP] = []

    def factory(self) -> SMTP:
        session = super().factory()
        self._sessions.append(session)
        return session

    def _close_sessions(self) -> None:
        for session in self._sessions:
            if session.transport is not None:
                session.transport.close()

    def stop(self, no_assert: bool = False) -> None:
        done = threading.Event()

        def close() -> None:
            self._close_sessions()
            done.set()

        self.loop.call_soon_threadsafe(close)
        done.wait(5)
        super().stop(no_assert)


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """Run an SMTP server on a free loopback port for the duration of the block."""
    sink = SmtpSink("127.0.0.1", free_port())
    controller = _ClosingController(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def with_mail(settings: Settings, host: str, port: int) -> Settings:
    """Return ``settings`` sending e-mail to the loopback SMTP server at ``host:port``."""
    return settings.model_copy(
        update={"smtp_host": host, "smtp_port": port, "smtp_security": "none",
                "mail_from": "registry@printreg.test"}
    )  # fmt: skip


def mailing(settings: Settings, sink: SmtpSink, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Return ``settings`` sending e-mail to ``sink``, the same also exported to the
    environment for in-process CLI runs."""
    mailed = with_mail(settings, sink.host, sink.port)
    for name in ("smtp_host", "smtp_port", "smtp_security", "mail_from"):
        monkeypatch.setenv(f"PRINTREG_{name.upper()}", str(getattr(mailed, name)))
    return mailed
