"""Throttling of link guesses, as sign-in is throttled (``accounts.signin_throttle``).

Each link that opens nothing counts as a failed sign-in of one fixed pseudo-account from the
client's address: after ``login_failures_before_lockout`` such failures the address waits, and
after ``signin_address_failures`` it is refused for ``lockout_minutes`` — for links and sign-in
alike, since one address guessing either is the same attacker. The counters are HMAC keys, so
neither the address nor any token is stored.
"""

from __future__ import annotations

from printreg.accounts.signin_throttle import Keys, SignInThrottle
from printreg.platform import Platform

PSEUDO_ACCOUNT = "\0assessment-link"  # no e-mail address can be this


class LinkThrottle:
    """Check and count bad links per client address."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.throttle = SignInThrottle(platform.settings)

    def _keys(self, address: str) -> Keys:
        return self.throttle.keys(PSEUDO_ACCOUNT, address)

    def check(self, address: str) -> None:
        """Raise SignInThrottled when the address must wait before trying a link again."""
        with self.platform.sessions() as session:
            self.throttle.check(session, self._keys(address), self.platform.clock())

    def failed(self, address: str) -> None:
        """Count one link that opened nothing."""
        with self.platform.sessions.begin() as session:
            self.throttle.failed(session, self._keys(address), self.platform.clock())
