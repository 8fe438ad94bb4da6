"""Tables of in-app notifications and each person's e-mail preferences per kind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class Notification(Base):
    """One message to one person: a title in words and the path of the page it is about.

    The title is written by code from fixed words and codes (a registry, a facility), never
    from a case value or free text; an e-mail carries only the title and the link.
    ``mail`` says what became of the e-mail: None (none wanted, or no SMTP server), ``queued``,
    ``sent`` or ``failed`` (after every retry).
    """

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    mail: Mapped[str | None] = mapped_column(String(16))
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)


class NotificationPreference(Base):
    """A person's choice of e-mail for one kind; a kind without a row keeps its default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    email: Mapped[bool] = mapped_column()
