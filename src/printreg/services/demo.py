"""Demo accounts, one per role, for the embedded demo and the browser tests."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from printreg.domain.facility import RegistryRoleName, Role
from printreg.services.accounts import AccountService
from printreg.services.actor import Actor
from printreg.services.platform import Platform
from printreg.storage.platform import User

DEMO_PASSWORD = "printreg-demo-2026"  # noqa: S105 - documented demo credential, demo data only


@dataclass(frozen=True)
class DemoAccount:
    """A demo sign-in and what it may do."""

    email: str
    role: str
    facility: str | None


def demo_accounts(facilities: tuple[str, str]) -> list[DemoAccount]:
    """Return the demo accounts: every role, at the first facility unless said otherwise."""
    home, other = facilities
    return [
        DemoAccount("registry.admin@demo.printreg.org", RegistryRoleName.REGISTRY_ADMIN, None),
        DemoAccount("facility.admin@demo.printreg.org", Role.FACILITY_ADMIN, home),
        DemoAccount("data.manager@demo.printreg.org", Role.DATA_MANAGER, home),
        DemoAccount("viewer@demo.printreg.org", Role.VIEWER, home),
        DemoAccount("other.site@demo.printreg.org", Role.DATA_MANAGER, other),
        DemoAccount("researcher@demo.printreg.org", RegistryRoleName.RESEARCHER, None),
        DemoAccount("sponsor@demo.printreg.org", RegistryRoleName.SPONSOR, None),
    ]


def ensure_demo_accounts(
    platform: Platform, registry: str, facilities: tuple[str, str]
) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet (password DEMO_PASSWORD); return all."""
    accounts = demo_accounts(facilities)
    service = AccountService(platform)
    operator = Actor.operator("demo")
    with platform.sessions() as session:
        existing = set(session.scalars(select(User.email)))
    for account in accounts:
        if account.email in existing:
            continue
        name = account.email.split("@")[0].replace(".", " ").title()
        if account.facility is None:
            service.create_user(operator, account.email, name, DEMO_PASSWORD,
                                registry_roles={registry: RegistryRoleName(account.role)})  # fmt: skip
        else:
            service.create_user(operator, account.email, name, DEMO_PASSWORD,
                                memberships={account.facility: Role(account.role)})  # fmt: skip
    return accounts
