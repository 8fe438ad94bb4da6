"""The shapes of assessment links: what staff send, and what the service returns about a link."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from printreg.schemas import PublicModel

#: a plain check of an address's shape; the SMTP server has the last word
EMAIL_PATTERN = r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$"


class LinkStatus(StrEnum):
    """Where a link stands; ``sent`` and ``reminded`` are open (the link works)."""

    SENT = "sent"
    REMINDED = "reminded"
    ANSWERED = "answered"
    EXPIRED = "expired"
    REVOKED = "revoked"


OPEN = (LinkStatus.SENT.value, LinkStatus.REMINDED.value)


class AssessmentLinkCreate(BaseModel):
    """Send a case's user assessment to the clinician who used the print."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(
        min_length=3,
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="The clinician's e-mail address: kept with this sending only, never in "
        "the case.",
    )


class AssessmentLinkPublic(PublicModel):
    """A sending as the facility's staff see it (never the link itself)."""

    id: uuid.UUID
    registry: str
    case_id: uuid.UUID
    facility: str
    section: str
    contact_email: str
    status: LinkStatus
    sent_by: str
    sent_at: dt.datetime
    expires_at: dt.datetime
    reminded_at: dt.datetime | None
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    closed_by: str | None
    resent_from: uuid.UUID | None

    @property
    def is_open(self) -> bool:
        """Whether the link still works (sent or reminded, not past its date)."""
        return self.status in OPEN


class DueRun(PublicModel):
    """What one pass of the periodic job did."""

    reminded: int
    expired: int
    not_sent: int
