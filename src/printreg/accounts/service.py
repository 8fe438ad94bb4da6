"""People, sign-in, sessions and API tokens.

Passwords are argon2id hashes. Failed sign-ins are throttled per client address and per
(account, address) pair, never by locking the account itself (``services.signin_throttle``; the
same answer whether or not the e-mail exists); a second factor is ``services.second_factor``. Browser sessions and API tokens are random
secrets of which only a SHA-256 hash is stored; a token is shown once, belongs to one facility,
carries scopes and an expiry, can be revoked, and records its last use.

Facility roles are per registry: a membership is (person, facility, registry) → role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    FromClause,
    Integer,
    Select,
    Update,
    bindparam,
    delete,
    exists,
    null,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from printreg.accounts import people
from printreg.accounts.actor import Actor
from printreg.accounts.models import (
    ApiToken,
    Membership,
    RegistryRole,
    SecondFactor,
    User,
    WebSession,
)
from printreg.accounts.schemas import TokenPublic, UserPublic
from printreg.accounts.signin_throttle import LOCAL, SignInThrottle
from printreg.audit import audit
from printreg.domain.errors import Conflict, Forbidden, NotFound, RegistryError
from printreg.domain.facility import SECOND_FACTOR_ROLES, RegistryRoleName, Role, Scope
from printreg.domain.reasons import optional_reason
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.registries.models import Registry
from printreg.storage.base import utcnow
from printreg.storage.engine import is_busy

log = logging.getLogger(__name__)

# OWASP's minimum argon2id parameters: 19 MiB, 2 iterations, 1 lane.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
_DUMMY_HASH = _HASHER.hash("timing-equaliser-for-unknown-accounts")
TOKEN_PREFIX = "prt_"  # noqa: S105 - a public prefix that makes leaked tokens greppable
MIN_PASSWORD = 12
#: a session's extension and a token's last use are written at most this often
TOUCH_EVERY = dt.timedelta(minutes=1)


WRONG_CREDENTIALS = "the e-mail address or password is not right"

# Every authenticated request runs these: built once, as SQLAlchemy expressions cost about as
# much to build as to run (docs/architecture.md, "Request cost"). They are Core statements over
# the tables, never ORM entities: loading instances costs more Python than the query itself.
_USERS = User.__table__.c
_MEMBERS = Membership.__table__.c
_HELD = RegistryRole.__table__.c
_REGISTRIES = Registry.__table__.c
_FACTORS = SecondFactor.__table__.c


def _roles_of(user_id: ColumnElement[int]) -> CompoundSelect[Any]:
    """Return a person's roles as rows: (facility id, role, registry code) per facility role,
    and (None, role, registry code) per registry role."""
    return union_all(
        select(_MEMBERS.facility_id, _MEMBERS.role, _REGISTRIES.code)
        .join_from(Membership.__table__, Registry.__table__,
                   _REGISTRIES.id == _MEMBERS.registry_id)
        .where(_MEMBERS.user_id == user_id),
        select(null().cast(Integer).label("facility_id"), _HELD.role, _REGISTRIES.code)
        .join_from(RegistryRole.__table__, Registry.__table__,
                   _REGISTRIES.id == _HELD.registry_id)
        .where(_HELD.user_id == user_id),
    )  # fmt: skip


def _with_owner(secret: FromClause, key: str, *columns: str) -> Select[Any]:
    """Return, in one round trip, the ``columns`` of the token or session whose ``key`` column
    equals the ``key`` parameter, with its owner (id, e-mail, active, whether a second factor is
    confirmed), once per role of the owner (``_roles_of``; one row with no role when they hold
    none)."""
    found = secret.c[key] == bindparam("key")
    owner = select(secret.c.user_id).where(found).scalar_subquery()
    roles = _roles_of(owner).subquery("roles")
    enrolled = exists().where(_FACTORS.user_id == _USERS.id, _FACTORS.confirmed_at.is_not(None))
    return (
        select(*(secret.c[c] for c in columns), _USERS.id, _USERS.email, _USERS.active,
               enrolled.label("enrolled"), roles.c.facility_id, roles.c.role, roles.c.code)
        .select_from(secret.join(User.__table__, _USERS.id == secret.c.user_id)
                     .outerjoin(roles, true()))
        .where(found)
    )  # fmt: skip


#: a token with its owner and the owner's roles, by the token's hash
_TOKEN_OWNER = _with_owner(
    ApiToken.__table__,
    "token_hash",
    *("id", "facility_id", "scopes", "expires_at", "revoked_at", "last_used_at"),
)
#: a browser session with its owner and the owner's roles, by the session's hash
_SESSION_OWNER = _with_owner(WebSession.__table__, "id_hash", "csrf_token", "expires_at")
#: a person's roles (``_roles_of``), by their id
_ROLES = _roles_of(bindparam("user_id", type_=Integer))


class LoginFailed(RegistryError):  # noqa: N818 - reads as the condition it names
    """Sign-in refused; the message never says whether the account exists."""


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password (checked for length by ``create_user``)."""
    return _HASHER.hash(password)


def digest(secret: str) -> str:
    """Return the SHA-256 hex digest under which a session or token secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


# registry code → facility code → role
Memberships = Mapping[str, Mapping[str, Role]]


class AccountService:
    """Users and memberships, sign-in with back-off, sessions and API tokens."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings

    # -- people ---------------------------------------------------------------------------------

    def _info(self, session: Session, user: User) -> UserPublic:
        codes = dict(session.execute(select(Facility.id, Facility.code)).all())
        registries = dict(session.execute(select(Registry.id, Registry.code)).all())
        members: dict[str, dict[str, str]] = {}
        for m in session.scalars(select(Membership).where(Membership.user_id == user.id)):
            members.setdefault(registries[m.registry_id], {})[codes[m.facility_id]] = m.role
        roles: dict[str, list[str]] = {}
        for row in session.scalars(select(RegistryRole).where(RegistryRole.user_id == user.id)):
            roles.setdefault(registries[row.registry_id], []).append(row.role)
        return UserPublic(
            id=user.id,
            email=user.email,
            display_name=user.display_name,
            active=user.active,
            memberships={r: dict(sorted(f.items())) for r, f in sorted(members.items())},
            registry_roles=roles,
        )

    def create_user(
        self,
        actor: Actor,
        email: str,
        display_name: str,
        password: str | None,
        memberships: Memberships | None = None,
        registry_roles: Mapping[str, RegistryRoleName] | None = None,
        *,
        password_hash: str | None = None,
    ) -> UserPublic:
        """Create a person with roles (``memberships``: registry code → facility code → role);
        facility administrators may add people to their facility, and must give them a role.

        An address whose account the actor may see is a Conflict; one whose account they may not
        see is given the roles asked for and answered as a new person (``people.join``), so that
        nobody learns which addresses have an account elsewhere (docs/security.md).

        ``password_hash`` (from ``hash_password``) stands for ``password`` when many people
        share one, as the demo accounts do: hashing is slow on purpose."""
        email = email.strip().lower()
        if "@" not in email or len(email) > 254:
            raise Conflict("give a valid e-mail address")
        if password is not None and len(password) < MIN_PASSWORD:
            raise Conflict(f"a password needs at least {MIN_PASSWORD} characters")
        with self.platform.sessions() as session, session.begin():
            wanted = [
                (registry, code, Role(role))
                for registry, roles in (memberships or {}).items()
                for code, role in roles.items()
            ]
            facility_ids = self._facility_ids(session, sorted({code for _, code, _ in wanted}))
            registry_ids = self._registry_ids(session, sorted({r for r, _, _ in wanted}))
            for registry, code, _ in wanted:
                actor.require_role_grant(registry, facility_ids[code])
            for registry_code in registry_roles or {}:  # only that registry's administrators
                actor.require_registry_admin(registry_code)
            if not (wanted or registry_roles or actor.is_platform_admin):
                raise Conflict("give the person a role at one of your facilities")
            existing = session.scalar(select(User).where(User.email == email))
            if existing is not None and people.sees(session, actor, existing.id):
                raise Conflict("a person with this e-mail address already exists")
            if existing is not None:
                people.join(session, actor, existing, wanted, facility_ids, registry_ids)
                return _shown(actor, self._info(session, existing), facility_ids)
            if password_hash is None and password:
                password_hash = _HASHER.hash(password)
            user = User(email=email, display_name=display_name, password_hash=password_hash)
            session.add(user)
            session.flush()
            for registry, code, role in wanted:
                session.add(Membership(user_id=user.id, facility_id=facility_ids[code],
                                       registry_id=registry_ids[registry],
                                       role=role.value))  # fmt: skip
            whole = self._registry_ids(session, sorted(registry_roles or {}))
            for registry_code, registry_role in (registry_roles or {}).items():
                session.add(RegistryRole(user_id=user.id, registry_id=whole[registry_code],
                                         role=RegistryRoleName(registry_role).value))  # fmt: skip
            session.flush()
            info = self._info(session, user)
            audit(session, actor, "create", "user", str(user.id),
                  after={"email": email, "memberships": info.memberships,
                         "registry_roles": info.registry_roles})  # fmt: skip
            return _shown(actor, info, facility_ids)

    def _shown_to(self, session: Session, actor: Actor, info: UserPublic) -> UserPublic:
        """Return a visible person as the actor may see them (``_shown``)."""
        return _shown(actor, info, dict(session.execute(select(Facility.code, Facility.id)).all()))

    def _facility_ids(self, session: Session, codes: list[str]) -> dict[str, int]:
        return _ids_by_code(session, Facility, "facility", codes)

    def _registry_ids(self, session: Session, codes: list[str]) -> dict[str, int]:
        return _ids_by_code(session, Registry, "registry", codes)

    def set_membership(
        self,
        actor: Actor,
        user_id: int,
        registry_code: str,
        facility_code: str,
        role: Role | None,
    ) -> UserPublic:
        """Give a person a role at a facility in one registry, change it, or (None) remove it."""
        with self.platform.sessions() as session, session.begin():
            facility_id = self._facility_ids(session, [facility_code])[facility_code]
            actor.require_role_grant(registry_code, facility_id)
            registry_id = self._registry_ids(session, [registry_code])[registry_code]
            user = people.visible(session, actor, user_id)  # as GET /users/{id}: nothing changes
            current = session.get(Membership, (user_id, facility_id, registry_id))
            before = {"role": current.role if current else None}
            if current is not None:
                session.delete(current)
                session.flush()
            if role is not None:
                session.add(Membership(user_id=user_id, facility_id=facility_id,
                                       registry_id=registry_id, role=Role(role).value))  # fmt: skip
            audit(session, actor, "membership", "user", str(user_id),
                  registry_code=registry_code, facility_id=facility_id,
                  before=before, after={"role": role.value if role else None})  # fmt: skip
            session.flush()
            if not people.sees(session, actor, user_id):
                # The caller removed the last role by which they saw the person: say what
                # changed at this facility, nothing else about them.
                return UserPublic(
                    id=user.id,
                    email=user.email,
                    display_name=user.display_name,
                    active=user.active,
                    memberships={},
                    registry_roles={},
                )
            return self._shown_to(session, actor, self._info(session, user))

    def set_registry_role(
        self, actor: Actor, user_id: int, registry_code: str, role: RegistryRoleName
    ) -> UserPublic:
        """Give a person a registry role (registry administrators); a no-op when they hold it."""
        actor.require_registry_admin(registry_code)
        with self.platform.sessions() as session, session.begin():
            registry_id = self._registry_ids(session, [registry_code])[registry_code]
            user = session.get(User, user_id)
            if user is None:
                raise NotFound.no_such("person")
            wanted = RegistryRoleName(role).value
            if session.get(RegistryRole, (user_id, registry_id, wanted)) is None:
                session.add(RegistryRole(user_id=user_id, registry_id=registry_id, role=wanted))
                audit(session, actor, "registry_role", "user", str(user_id),
                      registry_code=registry_code, after={"role": wanted})  # fmt: skip
                session.flush()
            return self._info(session, user)

    def users_of(self, actor: Actor, facility_code: str) -> list[UserPublic]:
        """Return the people with a role at a facility in any registry (for its administrators
        and registry administrators)."""
        with self.platform.sessions() as session:
            facility_id = self._facility_ids(session, [facility_code])[facility_code]
            actor.require_facility_admin(facility_id)
            users = session.scalars(
                select(User).where(User.id.in_(
                    select(Membership.user_id).where(Membership.facility_id == facility_id)
                )).order_by(User.email)
            ).all()  # fmt: skip
            return [self._shown_to(session, actor, self._info(session, u)) for u in users]

    def get_user(self, actor: Actor, user_id: int) -> UserPublic:
        """Return a person the actor may see (themselves, or someone at a facility they manage)
        as ``_shown`` lets them; NotFound alike for an unknown id and someone else's person."""
        with self.platform.sessions() as session:
            user = people.visible(session, actor, user_id)
            return self._shown_to(session, actor, self._info(session, user))

    def user_by_email(self, actor: Actor, email: str) -> UserPublic:
        """Return a person the actor may see by e-mail address; NotFound otherwise."""
        with self.platform.sessions() as session:
            user_id = session.scalar(select(User.id).where(User.email == email.strip().lower()))
        if user_id is None:
            raise NotFound(f"no person with e-mail address {email!r}")
        return self.get_user(actor, user_id)

    # -- sign-in and sessions -------------------------------------------------------------------

    def authenticate(self, email: str, password: str, address: str = LOCAL) -> UserPublic:
        """Return the person for a correct e-mail and password tried from a client address;
        LoginFailed otherwise, SignInThrottled while the address or the (account, address)
        pair must wait (``services.signin_throttle``).

        Every refusal has the same message whether or not the e-mail exists, and an unknown
        address costs the same hashing time. Failures are counted and committed before the
        refusal is raised. A person with a second factor is only half signed in: the pages ask
        for the code next (``SecondFactorService.complete_sign_in``), and the pair's failures
        are cleared only then.
        """
        now = self.platform.clock()
        throttle = SignInThrottle(self.settings)
        keys = throttle.keys(email, address)
        with self.platform.sessions() as session, session.begin():
            throttle.check(session, keys, now)
            user = session.scalar(select(User).where(User.email == email.strip().lower()))
            if user is None or user.password_hash is None or not user.active:
                _check(_DUMMY_HASH, password)
                info = None
            elif _check(user.password_hash, password):
                if not has_second_factor(session, user.id):
                    throttle.succeeded(session, keys)
                info = self._info(session, user)
            else:
                audit(session, Actor(name=f"login:{user.email}"), "login_failed", "user",
                      str(user.id))  # fmt: skip
                info = None
            if info is None:
                throttle.failed(session, keys, now)
        if info is None:
            raise LoginFailed(WRONG_CREDENTIALS)
        return info

    def start_session(self, user_id: int) -> tuple[str, str]:
        """Open a session for a signed-in person; return (session secret, CSRF token)."""
        secret, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.platform.sessions() as session, session.begin():
            expires = utcnow() + dt.timedelta(hours=self.settings.session_hours)
            session.add(WebSession(id_hash=digest(secret), user_id=user_id, csrf_token=csrf,
                                   expires_at=expires))  # fmt: skip
        return secret, csrf

    def session(self, secret: str) -> tuple[Actor, str] | None:
        """Return (actor, CSRF token) of a live session, extending it; None when unknown or over.

        The extension is written at most once per ``TOUCH_EVERY``, so that an ordinary request
        writes nothing (a session lasts ``session_hours`` less up to a minute), and never waits
        for a busy database (``_touch``). A live session is read with its owner and their roles
        in one statement outside any transaction; only an expired one is deleted, in a
        transaction of its own."""
        now = utcnow()
        extended = now + dt.timedelta(hours=self.settings.session_hours)
        id_hash = digest(secret)
        rows = self._read(_SESSION_OWNER, id_hash)
        if not rows:
            return None
        csrf_token, expires = rows[0][0], _aware(rows[0][1])
        if expires is None or expires <= now:
            with self.platform.sessions() as session, session.begin():
                session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))
            return None
        actor = self._owner(rows, 2)
        if actor is None:
            return None
        if extended - expires >= TOUCH_EVERY:
            self._touch(
                update(WebSession).where(WebSession.id_hash == id_hash).values(expires_at=extended)
            )
        return actor, csrf_token

    def end_session(self, secret: str) -> None:
        """Sign out: forget the session."""
        with self.platform.sessions() as session, session.begin():
            session.execute(delete(WebSession).where(WebSession.id_hash == digest(secret)))

    def actor_for(self, user_id: int) -> Actor:
        """Return the actor of a person with all their roles; NotFound when inactive or unknown."""
        with self.platform.sessions() as session:
            actor = self._actor(session, user_id)
        if actor is None:
            raise NotFound.no_such("person")
        return actor

    def _actor(self, session: Session, user_id: int) -> Actor | None:
        """Return the actor of an active person with all their roles; None when inactive or
        unknown."""
        user = session.get(User, user_id)
        return None if user is None else self._actor_of(session, user)

    def _actor_of(self, session: Session, user: User) -> Actor | None:
        """Return the actor of a person already read, with all their roles (read in one
        statement); None when inactive."""
        if not user.active:
            return None
        return _person(user.id, user.email, session.execute(_ROLES, {"user_id": user.id}).all())

    def _owner(self, rows: Sequence[Sequence[Any]], at: int) -> Actor | None:
        """Return the actor of the owner read by ``_with_owner`` (their columns start at ``at``
        in each row), with whether they must still enrol a second factor; None when inactive."""
        user_id, email, active, enrolled = rows[0][at : at + 4]
        if not active:
            return None
        actor = _person(user_id, email, [row[at + 4 : at + 7] for row in rows])
        due = (
            self.settings.require_second_factor_for_registry_roles
            and not enrolled
            and any(SECOND_FACTOR_ROLES & held for held in actor.registry_roles.values())
        )
        return replace(actor, second_factor_due=True) if due else actor

    def _read(self, statement: Select[Any], key: str) -> Sequence[Sequence[Any]]:
        """Return the rows of a token's or session's ``_with_owner`` statement.

        It runs on a bare connection of ``Platform.read_engine`` (autocommit on PostgreSQL): a
        session costs more Python than this one-statement read."""
        with self.platform.read_engine.connect() as connection:
            return connection.execute(statement, {"key": key}).all()

    def _touch(self, statement: Update) -> None:
        """Write a session's extension or a token's last use, unless the database is busy.

        Both are hints that the next minute may write as well: a request must never wait for
        SQLite's write lock, nor fail, for them (a large import may hold it for seconds).
        """
        engine = self.platform.engine
        sqlite = engine.dialect.name == "sqlite"
        with engine.connect() as connection:
            if sqlite:
                connection.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                connection.execute(statement)
                connection.commit()
            except OperationalError as exc:
                connection.rollback()
                if not is_busy(exc):
                    raise
                log.info("database busy: a session or token's last use waits for the next request")
            finally:
                if sqlite:
                    connection.exec_driver_sql(
                        f"PRAGMA busy_timeout={int(self.settings.sqlite_busy_ms)}"
                    )

    # -- API tokens -----------------------------------------------------------------------------

    def create_token(
        self, actor: Actor, facility_code: str, name: str, scopes: list[str], days: int
    ) -> tuple[str, TokenPublic]:
        """Create a token for the actor at one of their facilities; return (secret, info).

        The secret is shown once: only its hash is stored.
        """
        if actor.user_id is None or actor.scopes is not None:
            raise Forbidden("API tokens are created by a signed-in person")
        wanted = sorted(set(scopes))
        unknown = [s for s in wanted if s not in {str(v) for v in Scope}]
        if unknown or not wanted:
            raise Conflict(f"choose scopes among {', '.join(str(s) for s in Scope)}")
        if not 1 <= days <= self.settings.token_max_days:
            raise Conflict(f"a token lasts 1 to {self.settings.token_max_days} days")
        if not name.strip() or len(name) > 100:
            raise Conflict("give the token a name of at most 100 characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.platform.sessions() as session, session.begin():
            facility_id = self._facility_ids(session, [facility_code])[facility_code]
            if not actor.belongs_to(facility_id):
                raise NotFound.no_such("facility")
            now = utcnow()
            token = ApiToken(user_id=actor.user_id, facility_id=facility_id, name=name.strip(),
                             token_hash=digest(secret), scopes=wanted, created_at=now,
                             expires_at=now + dt.timedelta(days=days))  # fmt: skip
            session.add(token)
            session.flush()
            audit(session, actor, "create", "api_token", str(token.id), facility_id=facility_id,
                  after={"name": token.name, "scopes": wanted, "days": days})  # fmt: skip
            return secret, self._token_info(token, facility_code)

    @staticmethod
    def _token_info(token: ApiToken, facility: str) -> TokenPublic:
        return TokenPublic(
            id=token.id,
            name=token.name,
            facility=facility,
            scopes=list(token.scopes),
            created_at=_aware(token.created_at) or token.created_at,
            expires_at=_aware(token.expires_at) or token.expires_at,
            revoked_at=_aware(token.revoked_at),
            last_used_at=_aware(token.last_used_at),
        )

    def tokens(self, actor: Actor) -> list[TokenPublic]:
        """Return the actor's own tokens, newest first."""
        with self.platform.sessions() as session:
            rows = session.execute(
                select(ApiToken, Facility.code).join(Facility, Facility.id == ApiToken.facility_id)
                .where(ApiToken.user_id == actor.user_id).order_by(ApiToken.id.desc())
            ).all()  # fmt: skip
            return [self._token_info(t, code) for t, code in rows]

    def token(self, actor: Actor, token_id: int) -> TokenPublic:
        """Return one of the actor's tokens; NotFound for anyone else's, as for an unknown id."""
        with self.platform.sessions() as session:
            token = self._own_token(session, actor, token_id)
            code = session.scalar(select(Facility.code).where(Facility.id == token.facility_id))
            return self._token_info(token, code or "")

    @staticmethod
    def _own_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
        token = session.get(ApiToken, token_id)
        if token is None or token.user_id != actor.user_id or actor.scopes is not None:
            raise NotFound.no_such("token")
        return token

    def revoke_token(self, actor: Actor, token_id: int, reason: str = "") -> TokenPublic:
        """Revoke one of the actor's tokens (audited, with the reason when one is given);
        NotFound for anyone else's."""
        with self.platform.sessions() as session, session.begin():
            token = self._own_token(session, actor, token_id)
            if token.revoked_at is None:
                token.revoked_at = utcnow()
                audit(session, actor, "revoke", "api_token", str(token.id),
                      facility_id=token.facility_id,
                      after={"reason": optional_reason(reason)} if reason.strip() else None)  # fmt: skip
            code = session.scalar(select(Facility.code).where(Facility.id == token.facility_id))
            return self._token_info(token, code or "")

    def token_actor(self, secret: str) -> Actor | None:
        """Return the actor of a live token (recording its use, to the minute); None when unknown
        or over, and when its owner is inactive or has no role left at its facility."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        now = utcnow()
        rows = self._read(_TOKEN_OWNER, digest(secret))
        if not rows:
            return None
        token_id, facility_id, scopes, expires_at, revoked_at, last_used_at = rows[0][:6]
        expires = _aware(expires_at)
        if revoked_at is not None or expires is None or expires <= now:
            return None
        person = self._owner(rows, 6)
        if person is None or not person.belongs_to(facility_id):
            return None
        last = _aware(last_used_at)
        if last is None or now - last >= TOUCH_EVERY:  # else no write (see ``session``)
            self._touch(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now))
        # A token is per facility, not per registry: it acts with its owner's roles at that
        # facility in each registry, read afresh on every use (docs/architecture.md).
        reach = {
            registry: {facility_id: roles[facility_id]}
            for registry, roles in person.memberships.items()
            if facility_id in roles
        }
        return Actor(name=f"{person.name} (token {token_id})", user_id=person.user_id,
                     memberships=reach, scopes=frozenset(scopes),
                     second_factor_due=person.second_factor_due)  # fmt: skip


def _person(user_id: int, email: str, held: Iterable[Sequence[Any]]) -> Actor:
    """Return the actor of an active person from their roles: (facility id, role, registry
    code) per facility role, (None, role, registry code) per registry role; a row whose role is
    None (a person without any) adds nothing."""
    members: dict[str, dict[int, Role]] = {}
    roles: dict[str, set[str]] = {}
    for facility_id, role, code in held:
        if role is None:
            continue
        if facility_id is None:
            roles.setdefault(code, set()).add(role)
        else:
            members.setdefault(code, {})[facility_id] = Role(role)
    admin = frozenset(c for c, r in roles.items() if RegistryRoleName.REGISTRY_ADMIN in r)
    return Actor(name=email, user_id=user_id, memberships=members, registry_admin_of=admin,
                 registry_roles={c: frozenset(r) for c, r in roles.items()})  # fmt: skip


def has_second_factor(session: Session, user_id: int) -> bool:
    """Return whether the person has a confirmed second factor (pending enrolments do not count)."""
    found = session.scalar(
        select(SecondFactor.user_id).where(
            SecondFactor.user_id == user_id, SecondFactor.confirmed_at.is_not(None)
        )
    )
    return found is not None


def password_matches(hashed: str | None, password: str) -> bool:
    """Return whether a password matches its stored hash (False when there is none)."""
    if hashed is None:
        _check(_DUMMY_HASH, password)
        return False
    return _check(hashed, password)


def _shown(actor: Actor, info: UserPublic, facility_ids: Mapping[str, int]) -> UserPublic:
    """Return a visible person with only the roles the actor may see (``people.shown_roles``)."""
    memberships, registry_roles = people.shown_roles(
        actor, info.id, info.memberships, info.registry_roles, facility_ids
    )
    shown = {"memberships": memberships, "registry_roles": registry_roles}
    return UserPublic.model_validate({**info.model_dump(), **shown})


def _check(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _ids_by_code(
    session: Session, model: type[Facility] | type[Registry], noun: str, codes: list[str]
) -> dict[str, int]:
    """Return the ids of the facilities or registries with these codes; NotFound naming the
    first unknown code."""
    found = dict(session.execute(select(model.code, model.id).where(model.code.in_(codes))).all())
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound.no_such(noun)
    return found
