"""The people and token family: what the account service returns and takes, and the API shows."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from printreg.domain.facility import RegistryRoleName, Role
from printreg.schemas import PublicModel

__all__ = [
    "ActivationChange",
    "MembershipSet",
    "TokenCreate",
    "TokenCreated",
    "TokenPublic",
    "UserCreate",
    "UserPublic",
]


class UserCreate(BaseModel):
    """A person to add, with their facility roles by registry code, then facility code
    (``{"3dp": {"F0001": "data_manager"}}``), and their registry roles."""

    email: str = Field(min_length=3, max_length=254)
    display_name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=12, max_length=200)
    memberships: dict[str, dict[str, Role]] = Field(default_factory=dict)
    registry_roles: dict[str, RegistryRoleName] = Field(default_factory=dict)


class UserPublic(PublicModel):
    """A person as others see them: no password hash; facility roles by registry code, then
    facility code, and registry roles by registry code."""

    id: int
    email: str
    display_name: str
    active: bool
    memberships: dict[str, dict[str, Role]]
    registry_roles: dict[str, list[RegistryRoleName]]

    def roles_at(self, facility_code: str) -> dict[str, str]:
        """Return the person's roles at a facility by registry code (empty when none)."""
        return {
            registry: roles[facility_code]
            for registry, roles in self.memberships.items()
            if facility_code in roles
        }


class ActivationChange(BaseModel):
    """Why a person is deactivated (required, audited) or reactivated (optional)."""

    reason: str = Field(default="", max_length=2000)


class MembershipSet(BaseModel):
    """A role to give at a facility in a registry; null removes the membership."""

    role: Role | None


class TokenCreate(BaseModel):
    """An API token to create."""

    name: str = Field(min_length=1, max_length=100)
    facility: str = Field(min_length=1, max_length=32)
    scopes: list[str] = Field(min_length=1, max_length=3)
    days: int = Field(default=90, ge=1, le=3650)


class TokenPublic(PublicModel):
    """An API token without its secret."""

    id: int
    name: str
    facility: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenCreated(TokenPublic):
    """A new token: ``token`` is shown this once and never again."""

    token: str
