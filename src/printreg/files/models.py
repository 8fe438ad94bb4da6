"""Tables of the files kept with cases: de-identified imaging summaries and measured meshes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


class CaseImaging(Base):
    """One DICOM study attached to a case: its salted UID hash and counts, never an identifier.

    ``summary`` holds the study's facts, the upload's pre-fill, notes and the attribute keywords
    that de-identification removed. A study may be attached to several cases (that is reported,
    not refused), hence the non-unique index on its hash.
    """

    __tablename__ = "case_imaging"
    __table_args__ = (
        Index("ix_case_imaging_case", "facility_id", "registry_code", "case_id"),
        Index("ix_case_imaging_study", "facility_id", "registry_code", "study_uid_hash"),
    )

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24))
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    study_uid_hash: Mapped[str | None] = mapped_column(String(64))
    series_count: Mapped[int] = mapped_column(Integer)
    image_count: Mapped[int] = mapped_column(Integer)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))


class PrintMesh(Base):
    """The model file of one print of a case, measured: one row per print (row of the prints
    group, 1-based), replaced when a new file is uploaded.

    The file itself is not kept: only its measurement (as columns for reports, and whole in
    ``measurement``), a PNG thumbnail and a reduced copy for the browser viewer.
    """

    __tablename__ = "print_meshes"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    case_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    print_row: Mapped[int] = mapped_column(Integer, primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))
    volume_ml: Mapped[float | None] = mapped_column(Float)
    surface_area_cm2: Mapped[float] = mapped_column(Float)
    triangles: Mapped[int] = mapped_column(Integer)
    bodies: Mapped[int] = mapped_column(Integer)
    watertight: Mapped[bool] = mapped_column(Boolean)
    measurement: Mapped[dict[str, Any]] = mapped_column(JSON)
    thumbnail_png: Mapped[bytes] = mapped_column(LargeBinary)
    viewer_model: Mapped[bytes] = mapped_column(LargeBinary)
    viewer_format: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))
