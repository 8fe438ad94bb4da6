"""Sign-in throttling per client address, per (account, address) pair and per account.

The policy follows the OWASP authentication cheat sheet so that an attacker cannot lock out a
known account at will:

- **address**: failures from one client address, whatever the accounts tried. After
  ``login_failures_before_lockout`` failures each further attempt from it waits a back-off that
  doubles from 1 s (at most a minute); after ``signin_address_failures`` the address is refused
  for ``lockout_minutes``.
- **pair** (account, address): after ``login_failures_before_lockout`` failures that address may
  not try that account for ``lockout_minutes``. The owner signing in from elsewhere is not
  affected.
- **account**: failures of the account from every address. It never locks the account: once it
  reaches ``signin_account_failures`` (a distributed attack), each address that already failed
  on the account waits a back-off that doubles from 1 s (at most ``lockout_minutes``) between
  tries. An address with no failure on the account is never slowed by it, so the owner always
  gets through with the right password (and second factor).

Keys are HMACs of the e-mail address as typed (normalised) and of the client address, so that an
unknown e-mail address is counted exactly as a known one (no enumeration) and neither is stored
in the clear. Counters live in the database, shared by every process serving the registry, and
are written only by failed sign-ins (and cleared by a successful one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
from dataclasses import dataclass

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from printreg.accounts.models import SignInCounter
from printreg.domain.errors import RegistryError
from printreg.settings import Settings

ADDRESS, PAIR, ACCOUNT = "address", "pair", "account"
ADDRESS_BACKOFF_CAP = dt.timedelta(minutes=1)
LOCAL = "local"  # the client address of sign-ins that come from no network (CLI, tests)


class SignInThrottled(RegistryError):  # noqa: N818 - reads as the condition it names
    """Too many failed sign-ins: from this address, or for this account from this address.

    ``retry_after`` is in whole seconds. The message never says whether the account exists."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes for aware columns: read them back as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def backoff(failures: int, free: int, cap: dt.timedelta) -> dt.timedelta:
    """Return the wait after ``failures`` when the first ``free`` cost nothing: 1 s, then
    doubling, never more than ``cap`` (zero while ``failures`` < ``free``)."""
    if failures < free:
        return dt.timedelta(0)
    doublings = min(failures - free, 30)  # 2**30 s is past any cap: no overflow, no float
    return min(dt.timedelta(seconds=2**doublings), cap)


@dataclass(frozen=True)
class Keys:
    """The three counter keys of one sign-in attempt."""

    address: str
    pair: str
    account: str


class SignInThrottle:
    """Checks and counts failed sign-ins in the caller's transaction."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key = hmac.new(
            settings.secret_key.encode(), b"printreg sign-in throttle", hashlib.sha256
        ).digest()

    def keys(self, email: str, address: str) -> Keys:
        """Return the counter keys of an e-mail address (as typed) tried from a client address."""
        email = email.strip().lower()

        def mac(*parts: str) -> str:
            return hmac.new(self._key, "\0".join(parts).encode(), hashlib.sha256).hexdigest()

        return Keys(mac(ADDRESS, address), mac(PAIR, email, address), mac(ACCOUNT, email))

    @property
    def window(self) -> dt.timedelta:
        """Return how long a failure is remembered (and a throttled key waits)."""
        return dt.timedelta(minutes=self.settings.lockout_minutes)

    def _rows(self, session: Session, keys: Keys, now: dt.datetime) -> dict[str, SignInCounter]:
        """Return the live counters of the keys by scope (forgotten ones left out)."""
        wanted = {ADDRESS: keys.address, PAIR: keys.pair, ACCOUNT: keys.account}
        rows = session.scalars(
            select(SignInCounter).where(
                or_(*((SignInCounter.scope == s) & (SignInCounter.key_hash == k)
                      for s, k in wanted.items()))
            )
        ).all()  # fmt: skip
        return {r.scope: r for r in rows if self._live(r, now)}

    def _live(self, row: SignInCounter, now: dt.datetime) -> bool:
        blocked = _aware(row.blocked_until)
        last = _aware(row.last_failure_at)
        return (blocked is not None and blocked > now) or (
            last is not None and last > now - self.window
        )

    def check(self, session: Session, keys: Keys, now: dt.datetime) -> None:
        """Raise SignInThrottled when the attempt must wait; otherwise return (nothing written)."""
        rows = self._rows(session, keys, now)
        waits: list[tuple[dt.datetime, str]] = []
        for scope in (ADDRESS, PAIR):
            blocked = _aware(rows[scope].blocked_until) if scope in rows else None
            if blocked is not None and blocked > now:
                waits.append((blocked, scope))
        account, pair = rows.get(ACCOUNT), rows.get(PAIR)
        if account is not None and pair is not None:
            wait = backoff(account.failures, self.settings.signin_account_failures, self.window)
            until = (_aware(pair.last_failure_at) or now) + wait
            if until > now:
                waits.append((until, ACCOUNT))
        if not waits:
            return
        until, scope = max(waits)
        seconds = max(1, math.ceil((until - now).total_seconds()))
        raise SignInThrottled(self._message(scope, seconds), seconds)

    @staticmethod
    def _message(scope: str, seconds: int) -> str:
        wait = f"{seconds} seconds" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
        if scope == ADDRESS:
            return f"too many failed sign-ins from your network address: try again in {wait}"
        return (
            "too many failed sign-ins with this e-mail address from your network address: "
            f"try again in {wait}, or from another device"
        )

    def failed(self, session: Session, keys: Keys, now: dt.datetime) -> None:
        """Count one failure on each key (in the caller's transaction)."""
        limit = self.settings.login_failures_before_lockout
        cap = {ADDRESS: ADDRESS_BACKOFF_CAP}
        for scope, key in ((ADDRESS, keys.address), (PAIR, keys.pair), (ACCOUNT, keys.account)):
            row = self._counter(session, scope, key)
            last = _aware(row.last_failure_at)
            fresh = last is None or last <= now - self.window
            row.failures = 1 if fresh else row.failures + 1
            row.last_failure_at = now
            if (scope == ADDRESS and row.failures >= self.settings.signin_address_failures) or (
                scope == PAIR and row.failures >= limit
            ):
                row.blocked_until = now + self.window
            elif scope == ADDRESS and row.failures >= limit:
                row.blocked_until = now + backoff(row.failures, limit, cap[ADDRESS])
            else:
                row.blocked_until = None
        # Forget counters nobody has failed on for a whole window (bounded table).
        session.execute(
            delete(SignInCounter).where(
                SignInCounter.last_failure_at < now - self.window,
                or_(SignInCounter.blocked_until.is_(None), SignInCounter.blocked_until < now),
            ),
            execution_options={"synchronize_session": False},
        )

    def succeeded(self, session: Session, keys: Keys) -> None:
        """Forget the pair's failures after a complete sign-in (the address and account counters
        keep counting: an attacker's success elsewhere must not clear them)."""
        session.execute(
            delete(SignInCounter).where(
                SignInCounter.scope == PAIR, SignInCounter.key_hash == keys.pair
            ),
            execution_options={"synchronize_session": False},
        )

    @staticmethod
    def _counter(session: Session, scope: str, key: str) -> SignInCounter:
        """Return the counter row of a key, created if missing and locked for this transaction.

        The insert ignores a row another process created meanwhile; PostgreSQL then locks the
        row (SQLite has one writer at a time anyway), so concurrent failures are all counted.
        """
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        session.execute(
            insert(SignInCounter)
            .values(scope=scope, key_hash=key, failures=0,
                    last_failure_at=dt.datetime(1970, 1, 1, tzinfo=dt.UTC))
            .on_conflict_do_nothing(index_elements=["scope", "key_hash"])
        )  # fmt: skip
        return session.scalars(
            select(SignInCounter)
            .where(SignInCounter.scope == scope, SignInCounter.key_hash == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
