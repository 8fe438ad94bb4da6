"""TOTP second factor (RFC 6238, 30-second steps, 6 digits) with single-use recovery codes.

A person enrols from the Account page: a secret is drawn and kept *pending* (shown as an
otpauth URI and as text) until they confirm it with a code; then they get 10 recovery codes,
shown once and stored as SHA-256 digests (each holds 80 random bits, so a plain digest is
enough). The secret is stored sealed (``services.sealed``) and never shown again once confirmed.

At sign-in the pages ask for a code after the password (``complete_sign_in``). A code is accepted
from the previous, current or next step, but never for a step at or before the last one used, so
a code cannot be replayed; a recovery code works once. Wrong codes count toward the sign-in
throttle like wrong passwords.

With ``require_second_factor_for_registry_roles`` the holders of registry-level roles
(``SECOND_FACTOR_ROLES``) must enrol before any other page or API call: a request reads it with
its token or session (``Actor.second_factor_due``, no statement of its own); ``required`` answers
for a person known only by id.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, cast

import pyotp
from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.accounts.models import RecoveryCode, RegistryRole, SecondFactor, User
from printreg.accounts.sealed import open_sealed, seal
from printreg.accounts.service import (
    WRONG_CREDENTIALS,
    LoginFailed,
    has_second_factor,
    password_matches,
)
from printreg.accounts.signin_throttle import LOCAL, SignInThrottle
from printreg.audit import audit
from printreg.domain.errors import Conflict, Forbidden, NotFound
from printreg.domain.facility import SECOND_FACTOR_ROLES
from printreg.platform import Platform

ISSUER = "printreg"
PURPOSE = "totp"
STEP_SECONDS = 30
DIGITS = 6
RECOVERY_CODES = 10
WRONG_CODE = "the code is not right"


@dataclass(frozen=True)
class Enrolment:
    """A pending second factor: the secret as text and as an otpauth URI for an app."""

    secret: str
    uri: str


@dataclass(frozen=True)
class SecondFactorStatus:
    """Whether a person has a second factor, how many recovery codes are left, and whether
    their roles require one."""

    enrolled: bool
    recovery_codes_left: int
    required: bool
    pending: bool


def normalise_recovery(code: str) -> str:
    """Return a recovery code as stored before hashing: lower case, no spaces or dashes."""
    return "".join(c for c in code.lower() if c.isalnum())


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(normalise_recovery(code).encode()).hexdigest()


def _new_recovery_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 16 characters, 80 bits
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


class SecondFactorService:
    """Enrolment, verification at sign-in, recovery codes and reset of the TOTP second factor."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.throttle = SignInThrottle(platform.settings)

    # -- state ----------------------------------------------------------------------------------

    def _person(self, session: Session, actor: Actor) -> User:
        if actor.user_id is None or actor.scopes is not None:
            raise Forbidden("a second factor belongs to a signed-in person")
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("no such person")
        return user

    def status(self, actor: Actor) -> SecondFactorStatus:
        """Return the actor's second-factor state."""
        with self.platform.sessions() as session:
            user = self._person(session, actor)
            row = session.get(SecondFactor, user.id)
            left = session.scalar(
                select(func.count()).select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
            ) or 0  # fmt: skip
            required = self._holds_required_role(session, user.id)
        enrolled = row is not None and row.confirmed_at is not None
        return SecondFactorStatus(enrolled, left, required, row is not None and not enrolled)

    def _holds_required_role(self, session: Session, user_id: int) -> bool:
        if not self.settings.require_second_factor_for_registry_roles:
            return False
        found = session.scalar(
            select(RegistryRole.user_id).where(
                RegistryRole.user_id == user_id,
                RegistryRole.role.in_([str(r) for r in SECOND_FACTOR_ROLES]),
            ).limit(1)
        )  # fmt: skip
        return found is not None

    def enrolled(self, user_id: int) -> bool:
        """Return whether the person has a confirmed second factor."""
        with self.platform.sessions() as session:
            return has_second_factor(session, user_id)

    def required(self, user_id: int | None) -> bool:
        """Return whether the person must enrol before anything else: the setting is on, they
        hold a registry-level role, and they have no confirmed second factor. No query when the
        setting is off."""
        if user_id is None or not self.settings.require_second_factor_for_registry_roles:
            return False
        with self.platform.sessions() as session:
            return self._holds_required_role(session, user_id) and not has_second_factor(
                session, user_id
            )

    # -- enrolment ------------------------------------------------------------------------------

    def _enrolment(self, email: str, secret: str) -> Enrolment:
        uri = pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)
        return Enrolment(secret, uri)

    def begin(self, actor: Actor) -> Enrolment:
        """Draw a new pending secret for the actor (replacing a pending one) and return it;
        Conflict when they already have a second factor."""
        with self.platform.sessions() as session, session.begin():
            user = self._person(session, actor)
            row = session.get(SecondFactor, user.id)
            if row is not None and row.confirmed_at is not None:
                raise Conflict("you already have a second factor: turn it off first")
            secret = pyotp.random_base32()
            sealed = seal(self.settings.secret_key, PURPOSE, secret)
            if row is None:
                session.add(SecondFactor(user_id=user.id, secret_sealed=sealed))
            else:
                row.secret_sealed, row.last_step = sealed, None
            return self._enrolment(user.email, secret)

    def pending(self, actor: Actor) -> Enrolment | None:
        """Return the actor's pending enrolment (to show it again); None when there is none."""
        with self.platform.sessions() as session:
            user = self._person(session, actor)
            row = session.get(SecondFactor, user.id)
            if row is None or row.confirmed_at is not None:
                return None
            secret = open_sealed(self.settings.secret_key, PURPOSE, row.secret_sealed)
            return None if secret is None else self._enrolment(user.email, secret)

    def confirm(self, actor: Actor, code: str) -> list[str]:
        """Confirm the pending secret with a code from the app; return the recovery codes (shown
        once). Conflict when the code is wrong or nothing is pending."""
        now = self.platform.clock()
        with self.platform.sessions() as session, session.begin():
            user = self._person(session, actor)
            row = session.get(SecondFactor, user.id)
            if row is None or row.confirmed_at is not None:
                raise Conflict("start setting up a second factor first")
            if not self._use_totp(session, row, code, now):
                raise Conflict(
                    f"{WRONG_CODE}: type the {DIGITS} digits your app shows now (and check that "
                    "the device's clock is right)"
                )
            row.confirmed_at = now
            codes = self._new_recovery_codes(session, user.id)
            audit(session, actor, "second_factor_on", "user", str(user.id))
            return codes

    def regenerate(self, actor: Actor, code: str, address: str = LOCAL) -> list[str]:
        """Replace the actor's recovery codes after a current code; return the new ones (shown
        once). LoginFailed (counted by the throttle) when the code is wrong."""
        now = self.platform.clock()
        with self.platform.sessions() as session, session.begin():
            user = self._person(session, actor)
            keys = self.throttle.keys(user.email, address)
            self.throttle.check(session, keys, now)
            row = session.get(SecondFactor, user.id)
            if row is None or row.confirmed_at is None:
                raise Conflict("you have no second factor")
            codes: list[str] | None = None
            if self._use_code(session, row, code, now):
                codes = self._new_recovery_codes(session, user.id)
                audit(session, actor, "recovery_codes", "user", str(user.id))
            else:
                self.throttle.failed(session, keys, now)
        if codes is None:
            raise LoginFailed(WRONG_CODE)
        return codes

    def disable(self, actor: Actor, password: str, code: str, address: str = LOCAL) -> None:
        """Turn the actor's second factor off after their password and a current (or recovery)
        code; LoginFailed (counted by the throttle) when either is wrong, Conflict when their
        roles require one."""
        now = self.platform.clock()
        with self.platform.sessions() as session, session.begin():
            user = self._person(session, actor)
            if self._holds_required_role(session, user.id):
                raise Conflict(
                    "your registry roles require a second factor: it cannot be turned off "
                    "(a lost device is reset by an administrator: 'printreg user reset-2fa')"
                )
            keys = self.throttle.keys(user.email, address)
            self.throttle.check(session, keys, now)
            row = session.get(SecondFactor, user.id)
            if row is None or row.confirmed_at is None:
                raise Conflict("you have no second factor")
            right = password_matches(user.password_hash, password) and self._use_code(
                session, row, code, now
            )
            if right:
                self._forget(session, user.id)
                audit(session, actor, "second_factor_off", "user", str(user.id))
            else:
                self.throttle.failed(session, keys, now)
        if not right:
            raise LoginFailed("the password or the code is not right")

    def reset(self, actor: Actor, email: str) -> bool:
        """Remove a person's second factor and recovery codes (registry administrators and the
        operator); return whether they had one. NotFound for an unknown e-mail address."""
        actor.require_platform_admin()
        with self.platform.sessions() as session, session.begin():
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None:
                raise NotFound(f"no person with e-mail address {email!r}")
            had = session.get(SecondFactor, user.id) is not None
            self._forget(session, user.id)
            audit(session, actor, "second_factor_reset", "user", str(user.id))
            return had

    # -- sign-in --------------------------------------------------------------------------------

    def complete_sign_in(self, user_id: int, code: str, address: str) -> None:
        """Accept the second step of a sign-in: a current code or an unused recovery code.

        LoginFailed when the code is wrong (counted, like a wrong password, for the address and
        the (account, address) pair); SignInThrottled while they must wait."""
        now = self.platform.clock()
        with self.platform.sessions() as session, session.begin():
            user = session.get(User, user_id)
            if user is None or not user.active:
                raise LoginFailed(WRONG_CREDENTIALS)
            keys = self.throttle.keys(user.email, address)
            self.throttle.check(session, keys, now)
            row = session.get(SecondFactor, user_id)
            right = (
                row is not None
                and row.confirmed_at is not None
                and self._use_code(session, row, code, now)
            )
            if right:
                self.throttle.succeeded(session, keys)
            else:
                self.throttle.failed(session, keys, now)
                audit(session, Actor(name=f"login:{user.email}"), "second_factor_failed",
                      "user", str(user.id))  # fmt: skip
        if not right:
            raise LoginFailed(WRONG_CODE)

    # -- codes ----------------------------------------------------------------------------------

    def _use_code(self, session: Session, row: SecondFactor, code: str, now: dt.datetime) -> bool:
        """Return whether ``code`` is a current TOTP code or an unused recovery code, spending
        it."""
        compact = "".join(code.split())
        if len(compact) == DIGITS and compact.isdigit():
            return self._use_totp(session, row, compact, now)
        return self._use_recovery(session, row.user_id, code, now)

    def _use_totp(self, session: Session, row: SecondFactor, code: str, now: dt.datetime) -> bool:
        secret = open_sealed(self.settings.secret_key, PURPOSE, row.secret_sealed)
        code = "".join(code.split())
        if secret is None or len(code) != DIGITS:
            return False
        totp = pyotp.TOTP(secret)
        current = int(now.timestamp()) // STEP_SECONDS
        for step in (current - 1, current, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                # The step is spent in one conditional update, so that two requests replaying
                # the same code at once cannot both pass.
                spent = cast(
                    "CursorResult[Any]",
                    session.execute(
                        update(SecondFactor)
                        .where(SecondFactor.user_id == row.user_id,
                               or_(SecondFactor.last_step.is_(None),
                                   SecondFactor.last_step < step))
                        .values(last_step=step)
                        .execution_options(synchronize_session=False)
                    ),
                )  # fmt: skip
                return spent.rowcount == 1
        return False

    @staticmethod
    def _use_recovery(session: Session, user_id: int, code: str, now: dt.datetime) -> bool:
        spent = cast(
            "CursorResult[Any]",
            session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.user_id == user_id,
                       RecoveryCode.code_hash == _recovery_digest(code),
                       RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            ),
        )  # fmt: skip
        return spent.rowcount == 1

    @staticmethod
    def _new_recovery_codes(session: Session, user_id: int) -> list[str]:
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
        session.add_all(RecoveryCode(user_id=user_id, code_hash=_recovery_digest(c)) for c in codes)
        return codes

    @staticmethod
    def _forget(session: Session, user_id: int) -> None:
        session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        session.execute(delete(SecondFactor).where(SecondFactor.user_id == user_id))
