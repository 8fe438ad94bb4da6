"""Platform tables of research data requests and the log of their downloads.

On the platform's ``Base``; ``storage.metadata`` imports this module so that Alembic sees them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class DataRequest(Base):
    """A researcher's request for a de-identified extract: what, why, the decision, the file.

    ``elements`` are element paths as submitted (checked); ``approved_elements`` those the
    decision released. ``pseudonym_key`` is the request's own secret for facility pseudonyms,
    wiped when the extract expires. The extract lives under ``data_dir/requests/<id>/``.
    """

    __tablename__ = "data_requests"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    aims: Mapped[str] = mapped_column(Text)
    elements: Mapped[list[str]] = mapped_column(JSON)
    strata: Mapped[dict[str, Any]] = mapped_column(JSON)
    period_from: Mapped[dt.date | None] = mapped_column(Date)
    period_to: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    approved_elements: Mapped[list[str] | None] = mapped_column(JSON)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(254))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    pseudonym_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    extract_rows: Mapped[int | None] = mapped_column(Integer)
    extract_bytes: Mapped[int | None] = mapped_column(BigInteger)
    extract_ready_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    expired_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class DataRequestDownload(Base):
    """One download of a request's extract or codebook: who, when, which file, how many bytes."""

    __tablename__ = "data_request_downloads"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_requests.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(254))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    file: Mapped[str] = mapped_column(String(16))
    bytes: Mapped[int] = mapped_column(BigInteger)
