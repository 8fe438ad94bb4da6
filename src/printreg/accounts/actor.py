"""Who is acting, and what they may do: authorization lives here, not in routes or commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from printreg.domain.errors import Forbidden, NotFound
from printreg.domain.facility import RegistryRoleName, Role, Scope

CASE_READERS = frozenset({Role.FACILITY_ADMIN, Role.DATA_MANAGER, Role.VIEWER})
CASE_WRITERS = frozenset({Role.FACILITY_ADMIN, Role.DATA_MANAGER})


@dataclass(frozen=True)
class Actor:
    """The person or process behind a call; ``name`` goes into the audit log.

    ``system`` actors (the local CLI operator, the demo loader) act for the whole platform.
    Everyone else acts through facility memberships, which are per registry (registry code →
    facility id → role), and registry roles.
    An API token's actor carries ``scopes``; a signed-in person's carries None (all their rights).
    ``second_factor_due`` is only ever set when a token or session is authenticated.
    Other facilities' cases are reported as not found, never as forbidden, so that nobody learns
    that they exist.
    """

    name: str
    user_id: int | None = None
    system: bool = False
    memberships: Mapping[str, Mapping[int, Role]] = field(default_factory=dict)
    registry_admin_of: frozenset[str] = frozenset()
    registry_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    scopes: frozenset[str] | None = None
    #: their registry roles require a second factor they have not confirmed (read with the token
    #: or session that authenticated them; ``web.deps`` refuses them until they enrol)
    second_factor_due: bool = False

    @classmethod
    def operator(cls, name: str = "cli") -> Actor:
        """Return the local operator, who runs the platform from its command line."""
        return cls(name=f"system:{name}", system=True)

    def role_at(self, registry_code: str, facility_id: int) -> Role | None:
        """Return the actor's role at the facility in the registry; None when they hold none."""
        return self.memberships.get(registry_code, {}).get(facility_id)

    @property
    def facility_ids(self) -> frozenset[int]:
        """Return the facilities where the actor holds a role in at least one registry."""
        return frozenset(f for roles in self.memberships.values() for f in roles)

    def belongs_to(self, facility_id: int) -> bool:
        """Return whether the actor holds a role at the facility in any registry."""
        return facility_id in self.facility_ids

    @property
    def manages_any_facility(self) -> bool:
        """Return whether the actor administers at least one facility (or every one)."""
        return self.scopes is None and (
            self.is_platform_admin or any(self._administers_facility(f) for f in self.facility_ids)
        )

    @property
    def is_platform_admin(self) -> bool:
        """Return whether the actor administers at least one registry (or is the operator)."""
        return self.system or bool(self.registry_admin_of)

    def _scoped(self, scope: Scope) -> None:
        if self.scopes is not None and scope not in self.scopes:
            raise Forbidden(f"this API token lacks the '{scope}' scope")

    def sees_registry(self, registry_code: str) -> bool:
        """Return whether the actor sees every facility's cases in the registry."""
        return self.system or registry_code in self.registry_admin_of

    def reads_cases(self, registry_code: str) -> bool:
        """Return whether the actor may read the cases of at least one facility in the registry
        (what decides whether a page links to the case list)."""
        if self.scopes is not None and Scope.CASES_READ not in self.scopes:
            return False
        if self.sees_registry(registry_code):
            return True
        return any(r in CASE_READERS for r in self.memberships.get(registry_code, {}).values())

    def researches(self, registry_code: str) -> bool:
        """Return whether the actor is one of the registry's researchers (never through a token)."""
        roles = self.registry_roles.get(registry_code, frozenset())
        return self.scopes is None and RegistryRoleName.RESEARCHER in roles

    def readable_facilities(self, registry_code: str) -> list[int] | None:
        """Return facility ids whose cases the actor may read; None means all of them."""
        self._scoped(Scope.CASES_READ)
        if self.sees_registry(registry_code):
            return None
        roles = self.memberships.get(registry_code, {})
        return [f for f, role in roles.items() if role in CASE_READERS]

    def may_read_cases(self, registry_code: str, facility_id: int) -> bool:
        """Return whether the actor may read the facility's cases and reports in the registry."""
        if self.scopes is not None and Scope.CASES_READ not in self.scopes:
            return False
        return self.sees_registry(registry_code) or (
            self.role_at(registry_code, facility_id) in CASE_READERS
        )

    def require_case_read(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound (never Forbidden: existence must not leak) unless the actor may read."""
        self._scoped(Scope.CASES_READ)
        if not self.may_read_cases(registry_code, facility_id):
            raise NotFound.no_such("case")

    def may_write_cases(self, registry_code: str, facility_id: int) -> bool:
        """Return whether the actor may enter and change the facility's cases in the registry."""
        if self.scopes is not None and Scope.CASES_WRITE not in self.scopes:
            return False
        return self.sees_registry(registry_code) or (
            self.role_at(registry_code, facility_id) in CASE_WRITERS
        )

    def require_case_write(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound unless the actor may change the facility's cases."""
        self._scoped(Scope.CASES_WRITE)
        if not self.may_write_cases(registry_code, facility_id):
            role = self.role_at(registry_code, facility_id)
            if role in CASE_READERS:
                raise Forbidden("your role at this facility may read cases but not change them")
            raise NotFound.no_such("case")

    def may_manage_facility(self, facility_id: int) -> bool:
        """Return whether the actor may change the facility's profile, printers and people.

        The profile and the printers belong to the facility, not to one registry: its
        administrator in any registry manages them (and registry administrators, every one).
        """
        if self.scopes is not None:
            return False
        return self.is_platform_admin or self._administers_facility(facility_id)

    def _administers_facility(self, facility_id: int) -> bool:
        return any(
            roles.get(facility_id) == Role.FACILITY_ADMIN for roles in self.memberships.values()
        )

    def require_facility_admin(self, facility_id: int) -> None:
        """Raise NotFound unless the actor administers the facility (Forbidden for its members)."""
        if not self.may_manage_facility(facility_id):
            if self.belongs_to(facility_id):
                raise Forbidden("only the facility's administrators may do this")
            raise NotFound.no_such("facility")

    def require_role_grant(self, registry_code: str, facility_id: int) -> None:
        """Raise unless the actor may give roles at the facility in the registry: the
        facility's administrators (in any registry: they run the facility's participation
        everywhere) and the registry's own administrators; NotFound for strangers."""
        if self.scopes is None and (
            self.administers(registry_code) or self._administers_facility(facility_id)
        ):
            return
        self.require_facility_admin(facility_id)
        raise Forbidden(f"only administrators of registry {registry_code} may do this")

    def require_platform_admin(self) -> None:
        """Raise Forbidden unless the actor administers a registry."""
        if self.scopes is not None or not self.is_platform_admin:
            raise Forbidden("only registry administrators may do this")

    def administers(self, registry_code: str) -> bool:
        """Return whether the actor administers this registry (the operator: every one)."""
        return self.scopes is None and self.sees_registry(registry_code)

    def require_registry_admin(self, registry_code: str) -> None:
        """Raise Forbidden unless the actor administers this registry."""
        if not self.administers(registry_code):
            raise Forbidden(f"only administrators of registry {registry_code} may do this")

    def on_committee(self, registry_code: str) -> bool:
        """Return whether the actor sits on the registry's committee (never through a token)."""
        roles = self.registry_roles.get(registry_code, frozenset())
        return self.scopes is None and RegistryRoleName.COMMITTEE in roles

    # -- queries on case fields (printreg.queries) -----------------------------------------------

    def oversees_queries(self, registry_code: str) -> bool:
        """Return whether the actor is registry staff for queries: raises them at any facility
        and sees every facility's (the registry's administrators; never through a token)."""
        return self.administers(registry_code)

    def may_raise_query(self, registry_code: str, facility_id: int) -> bool:
        """Return whether the actor may raise queries on the facility's cases: registry staff,
        and the facility's own data managers (and administrators); never through a token."""
        return self.scopes is None and (
            self.oversees_queries(registry_code)
            or self.role_at(registry_code, facility_id) in CASE_WRITERS
        )

    def require_query_read(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound ("no such query", as for an unknown id) unless the actor may read the
        facility's cases: a query is seen by whoever sees its case."""
        self._scoped(Scope.CASES_READ)
        if not self.may_read_cases(registry_code, facility_id):
            raise NotFound.no_such("query")

    def require_query_raise(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound ("no such case") unless the actor reads the case, Forbidden unless
        they may raise queries on it."""
        self.require_case_read(registry_code, facility_id)
        if not self.may_raise_query(registry_code, facility_id):
            raise Forbidden("only registry staff and the facility's data managers raise queries")

    def may_answer_query(self, registry_code: str, facility_id: int) -> bool:
        """Return whether the actor may answer the facility's queries: whoever may change its
        cases (a token: with the ``cases:write`` scope)."""
        return self.may_write_cases(registry_code, facility_id)

    def require_query_answer(self, registry_code: str, facility_id: int) -> None:
        """Raise NotFound unless the actor sees the query, Forbidden unless they may answer it."""
        self.require_query_read(registry_code, facility_id)
        self._scoped(Scope.CASES_WRITE)
        if not self.may_answer_query(registry_code, facility_id):
            raise Forbidden("only the facility's data managers answer its queries")

    def may_settle_query(
        self, registry_code: str, raised_side: str, raised_by_user_id: int | None
    ) -> bool:
        """Return whether the actor may close or re-open a query: the side that raised it —
        registry staff for the registry's queries; for a facility's own, the person who raised
        it (and registry staff). Never through a token."""
        if self.scopes is not None:
            return False
        if self.oversees_queries(registry_code):
            return True
        return (
            raised_side == "facility"
            and self.user_id is not None
            and self.user_id == raised_by_user_id
        )

    def require_query_settle(
        self,
        registry_code: str,
        facility_id: int,
        raised_side: str,
        raised_by_user_id: int | None,
    ) -> None:
        """Raise NotFound unless the actor sees the query, Forbidden unless they raised it."""
        self.require_query_read(registry_code, facility_id)
        if not self.may_settle_query(registry_code, raised_side, raised_by_user_id):
            raise Forbidden("only who raised the query closes or re-opens it")
