"""Demo accounts, one per role, for the embedded demo and the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from printreg.domain.facility import RegistryRoleName, Role
from printreg.services.accounts import AccountService, hash_password
from printreg.services.actor import Actor
from printreg.services.platform import Platform
from printreg.storage.platform import User

DEMO_PASSWORD = "printreg-demo-2026"  # noqa: S105 - documented demo credential, demo data only
# The committee decides once `committee_quorum` members have voted: the demo has that many
# members (at most this many), so that a decision can be taken by signing in as each in turn.
MAX_DEMO_COMMITTEE = 5


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in and what it may do."""

    email: str
    role: str
    facility: str | None


def demo_accounts(facilities: tuple[str, str], committee: int = 1) -> list[DemoAccount]:
    """Return the demo accounts: every role, at the first facility unless said otherwise, and
    ``committee`` committee members."""
    home, other = facilities
    members = [
        DemoAccount(f"committee.{n}@demo.printreg.org", RegistryRoleName.COMMITTEE, None)
        for n in range(1, committee + 1)
    ]
    return [
        DemoAccount("registry.admin@demo.printreg.org", RegistryRoleName.REGISTRY_ADMIN, None),
        DemoAccount("facility.admin@demo.printreg.org", Role.FACILITY_ADMIN, home),
        DemoAccount("data.manager@demo.printreg.org", Role.DATA_MANAGER, home),
        DemoAccount("viewer@demo.printreg.org", Role.VIEWER, home),
        DemoAccount("other.site@demo.printreg.org", Role.DATA_MANAGER, other),
        DemoAccount("researcher@demo.printreg.org", RegistryRoleName.RESEARCHER, None),
        DemoAccount("sponsor@demo.printreg.org", RegistryRoleName.SPONSOR, None),
        *members,
    ]


@cache
def _demo_hash() -> str:
    """Return one hash of the demo password, shared by every demo account (hashing is slow)."""
    return hash_password(DEMO_PASSWORD)


def ensure_demo_accounts(
    platform: Platform, registry: str, facilities: tuple[str, str]
) -> list[DemoAccount]:
    """Give each demo account its role in ``registry``, creating the accounts that do not exist
    yet (password DEMO_PASSWORD); return all. Run once per registry: roles are per registry."""
    committee = min(platform.settings.committee_quorum, MAX_DEMO_COMMITTEE)
    accounts = demo_accounts(facilities, committee)
    service = AccountService(platform)
    operator = Actor.operator("demo")
    with platform.sessions() as session:
        existing = dict(session.execute(select(User.email, User.id)).all())
    for account in accounts:
        user_id = existing.get(account.email)
        if user_id is None:
            name = account.email.split("@")[0].replace(".", " ").title()
            if account.facility is None:
                service.create_user(operator, account.email, name, None,
                                    registry_roles={registry: RegistryRoleName(account.role)},
                                    password_hash=_demo_hash())  # fmt: skip
            else:
                service.create_user(operator, account.email, name, None,
                                    {registry: {account.facility: Role(account.role)}},
                                    password_hash=_demo_hash())  # fmt: skip
        elif account.facility is None:
            service.set_registry_role(operator, user_id, registry, RegistryRoleName(account.role))
        elif service.get_user(operator, user_id).memberships.get(registry, {}).get(
            account.facility
        ) != Role(account.role):
            service.set_membership(
                operator, user_id, registry, account.facility, Role(account.role)
            )
    return accounts
