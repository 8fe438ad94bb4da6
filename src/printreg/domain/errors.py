"""The domain's error hierarchy, mapped to exit codes and HTTP statuses in one place each."""

from __future__ import annotations

from collections.abc import Sequence

from printreg.domain.issues import Issue


class RegistryError(Exception):
    """Base of every error printreg reports to a person."""


class NotFound(RegistryError):  # noqa: N818 - reads as the condition it names
    """The thing asked for does not exist, or the caller may not know that it does."""

    @classmethod
    def no_such(cls, noun: str) -> NotFound:
        """Return the one answer for a ``noun`` that does not exist or that the caller may not
        see: "no such <noun>", naming no identifier, so that both read alike byte for byte
        (docs/security.md)."""
        return cls(f"no such {noun}")


class Forbidden(RegistryError):  # noqa: N818
    """The caller is known but may not do this."""


class Conflict(RegistryError):  # noqa: N818 - reads as the condition it names
    """The change clashes with stored data (a duplicate key, a stale version, a locked case)."""


class Gone(RegistryError):  # noqa: N818 - reads as the condition it names
    """The thing existed but is no more (an expired research extract, deleted on expiry)."""


class InvalidRequest(RegistryError):  # noqa: N818
    """A request parameter is malformed (a page cursor, an unknown role name)."""


class ValidationFailed(RegistryError):  # noqa: N818
    """A record breaks the definition; ``issues`` lists every problem found."""

    def __init__(self, issues: Sequence[Issue], message: str = "the record is not valid") -> None:
        super().__init__(message)
        self.issues = list(issues)
