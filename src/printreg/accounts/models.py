"""Tables of people, their roles, sign-in counters, second factors, sessions and API tokens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from printreg.storage.base import Base, utcnow


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
    # the registry picked in the switcher (None: the default); a preference, never a right
    registry_code: Mapped[str | None] = mapped_column(String(24))


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
