"""The table of assessment links: one row per sending of a case's user assessment.

On the platform's ``Base``; ``storage.metadata`` imports this module so that Alembic sees it.
The clinician's e-mail address is a staff contact of the sending, kept here only: never in the
case, its exports or the analytics. Only a hash of the link's secret is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class AssessmentLink(Base):
    """A link sent to a clinician: which case and section, to whom, and where it stands.

    ``status``: ``sent``, ``reminded`` (both open), ``answered``, ``expired`` or ``revoked``.
    ``token_hash`` is the SHA-256 of the link's secret (a reminder replaces it with a new one's).
    """

    __tablename__ = "assessment_links"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    section: Mapped[str] = mapped_column(String(64))
    contact_email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    sent_by: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by: Mapped[str | None] = mapped_column(String(254))
    resent_from: Mapped[uuid.UUID | None] = mapped_column(Uuid)
