"""Tables of facilities, their participation in registries, and their printers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class Facility(Base):
    """A participating site and its profile."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    facility_type: Mapped[str] = mapped_column(String(24))
    location: Mapped[str] = mapped_column(String(24))
    census_region: Mapped[str] = mapped_column(String(24))
    lab_service_model: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: the local order its people write dates in (DMY, MDY), read besides ISO; None: ISO only
    date_order: Mapped[str | None] = mapped_column(String(3))


class Participation(Base):
    """A facility's enrollment in one registry."""

    __tablename__ = "participations"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    agreement_date: Mapped[dt.date | None] = mapped_column(Date)
    # Fees in whole US dollars, recorded with the agreement (see docs/governance.md).
    application_fee: Mapped[int | None] = mapped_column(Integer)
    annual_fee: Mapped[int | None] = mapped_column(Integer)
    application_fee_waived: Mapped[bool | None] = mapped_column(Boolean)
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Printer(Base):
    """A printer in a facility's inventory, named by a label unique within the facility."""

    __tablename__ = "printers"
    __table_args__ = (UniqueConstraint("facility_id", "label"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))
    manufacturer: Mapped[str] = mapped_column(String(100))
    model: Mapped[str] = mapped_column(String(100))
    technology: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
