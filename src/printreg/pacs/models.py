"""The table of each facility's DICOMweb endpoint (its PACS)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class PacsEndpoint(Base):
    """A facility's DICOMweb base URL and HTTP Basic credentials, the password sealed.

    ``password_sealed`` is ``accounts.sealed.seal`` of the password under ``secret_key`` (purpose
    "pacs"): it is never shown back, only whether it is set.
    """

    __tablename__ = "pacs_endpoints"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500))
    username: Mapped[str | None] = mapped_column(String(200))
    password_sealed: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200))
