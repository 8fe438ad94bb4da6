"""Who is acting, and what they may do: authorization lives here, not in routes or commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from printreg.domain.errors import NotFound
from printreg.domain.facility import Role

CASE_READERS = frozenset({Role.FACILITY_ADMIN, Role.DATA_MANAGER, Role.VIEWER})
CASE_WRITERS = frozenset({Role.FACILITY_ADMIN, Role.DATA_MANAGER})


@dataclass(frozen=True)
class Actor:
    """The person or process behind a call; ``name`` goes into the audit log.

    ``system`` actors (the local CLI operator, the demo loader) act for the whole platform.
    Everyone else acts through facility memberships (facility id → role) and registry roles.
    """

    name: str
    user_id: int | None = None
    system: bool = False
    memberships: Mapping[int, Role] = field(default_factory=dict)
    registry_admin_of: frozenset[str] = frozenset()

    @classmethod
    def operator(cls, name: str = "cli") -> Actor:
        """Return the local operator, who runs the platform from its command line."""
        return cls(name=f"system:{name}", system=True)

    def sees_registry(self, registry_code: str) -> bool:
        """Return whether the actor sees every facility's cases in the registry."""
        return self.system or registry_code in self.registry_admin_of

    def readable_facilities(self, registry_code: str) -> list[int] | None:
        """Return facility ids whose cases the actor may read; None means all of them."""
        if self.sees_registry(registry_code):
            return None
        return [f for f, role in self.memberships.items() if role in CASE_READERS]

    def require_case_read(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound (never Forbidden: existence must not leak) unless the actor may read."""
        if self.sees_registry(registry_code):
            return
        if self.memberships.get(facility_id) not in CASE_READERS:
            raise NotFound("no such case")

    def require_case_write(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound unless the actor may change the facility's cases."""
        if self.sees_registry(registry_code):
            return
        if self.memberships.get(facility_id) not in CASE_WRITERS:
            raise NotFound("no such case")
