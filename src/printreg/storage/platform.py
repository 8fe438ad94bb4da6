"""Platform tables shared by every registry, migrated by Alembic."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the current time in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the platform tables."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON}  # noqa: RUF012 - SQLAlchemy reads it as declared


class Registry(Base):
    """A registry hosted on the platform (the 3D Printing Registry is the first)."""

    __tablename__ = "registries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    lifecycle: Mapped[str] = mapped_column(String(16), default="active")
    current_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DefinitionVersion(Base):
    """One published version of a registry definition, kept whole so old cases stay readable."""

    __tablename__ = "definition_versions"
    __table_args__ = (UniqueConstraint("registry_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"))
    version: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    checksum: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


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


class User(Base):
    """A person who signs in; roles come from memberships and registry roles."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SignInCounter(Base):
    """Failed sign-ins counted for one key: a client address, an (account, address) pair or an
    account (``services.signin_throttle``). The key is an HMAC of the address or e-mail, never
    the value itself; rows are forgotten once their failures are older than the window."""

    __tablename__ = "signin_counters"

    scope: Mapped[str] = mapped_column(String(8), primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class SecondFactor(Base):
    """A person's TOTP second factor: the sealed secret, pending until ``confirmed_at``, and the
    last time step used (a code is never accepted twice)."""

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret_sealed: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_step: Mapped[int | None] = mapped_column(BigInteger)


class RecoveryCode(Base):
    """One single-use recovery code of a person's second factor; only its SHA-256 is kept."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Membership(Base):
    """A person's role at one facility in one registry.

    Roles are per registry: a data manager of a facility in one registry has no rights to the
    facility's cases in another unless given a membership there too. A person may hold roles at
    several facilities and in several registries.
    """

    __tablename__ = "memberships"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(24))


class RegistryRole(Base):
    """A registry-wide role: registry administrator, researcher or sponsor."""

    __tablename__ = "registry_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(24), primary_key=True)


class WebSession(Base):
    """A signed-in browser session; the cookie carries the id, the table only its hash."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class ApiToken(Base):
    """A scoped, expiring API token of one user for one facility; only its hash is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """An append-only record of one change: who, when, what, before and after."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    at: Mapped[dt.datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, server_default=func.current_timestamp()
    )
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(32))
    entity_type: Mapped[str] = mapped_column(String(48))
    entity_id: Mapped[str] = mapped_column(String(64))
    registry_code: Mapped[str | None] = mapped_column(String(24))
    facility_id: Mapped[int | None] = mapped_column(Integer, index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportJob(Base):
    """A file import run in the background for the API and the pages: status, progress, report.

    The uploaded file (``stored_file``) and the error file live under ``data_dir/imports/<id>/``.
    """

    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    registry_code: Mapped[str] = mapped_column(String(24))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))
    commit: Mapped[bool] = mapped_column()
    all_or_nothing: Mapped[bool] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    rows_done: Mapped[int] = mapped_column(default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error_file: Mapped[str | None] = mapped_column(Text)
    stored_file: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    # The process running the job (a random id per process guards against a reused pid), so
    # that start-up fails the jobs of dead processes and leaves live ones alone.
    runner_host: Mapped[str | None] = mapped_column(String(255))
    runner_pid: Mapped[int | None] = mapped_column()
    runner_id: Mapped[str | None] = mapped_column(String(36))
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    #: rows of the batches committed so far, written in each batch's own transaction
    rows_committed: Mapped[int] = mapped_column(default=0, server_default="0")


class AnalyticsStamp(Base):
    """How many times a facility's cases in a registry have changed: analytics caches compare
    these counters with the ones they were built from to know what to reload.

    Bumped in the same transaction as every audited case change (single and bulk)."""

    __tablename__ = "analytics_stamps"

    registry_code: Mapped[str] = mapped_column(String(24), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


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


class EnrollmentApplication(Base):
    """A facility's application to join a registry: what it declared, and how it was decided.

    ``profile`` and ``printers`` are copies of the facility's profile and inventory when it
    applied; ``contacts`` are the staff the registry may contact (never patient data).
    """

    __tablename__ = "enrollment_applications"
    __table_args__ = (Index("ix_enrollment_applications_facility", "facility_id", "registry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    status: Mapped[str] = mapped_column(String(16))  # open, approved, declined, withdrawn
    profile: Mapped[dict[str, Any]] = mapped_column(JSON)
    printers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class CommitteeVote(Base):
    """One committee member's vote on one subject (an enrollment application, a data request).

    One row per member and subject; a changed vote updates the row and is audited.
    """

    __tablename__ = "committee_votes"
    __table_args__ = (UniqueConstraint("registry_id", "subject_type", "subject_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registry_id: Mapped[int] = mapped_column(ForeignKey("registries.id"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    vote: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    cast_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
