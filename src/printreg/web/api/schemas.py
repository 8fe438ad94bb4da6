"""API schemas: a family per entity; the public schema decides what leaves the system."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from printreg.domain.facility import RegistryRoleName, Role


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class IssueOut(_Out):
    """One validation problem."""

    severity: str
    record_key: str
    path: str
    rule: str
    message: str
    value: str | None = None


class ProblemOut(BaseModel):
    """An error response; ``issues`` lists validation problems when there are any."""

    detail: str
    issues: list[IssueOut] | list[str] | None = None


class CaseSaved(_Out):
    """The outcome of a create or update."""

    id: uuid.UUID
    local_case_id: str
    status: str
    row_version: int
    warnings: list[IssueOut]


class CasePublic(_Out):
    """A case: system fields, the record in its JSON shape, derived values."""

    id: uuid.UUID
    registry: str
    facility: str
    status: str
    definition_version: str
    row_version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: str
    updated_by: str
    deleted_at: dt.datetime | None
    record: dict[str, Any]
    derived: dict[str, Any]


class CaseSummaryOut(_Out):
    """One line of a case list."""

    id: uuid.UUID
    facility: str
    local_case_id: str
    status: str
    definition_version: str
    updated_at: dt.datetime
    deleted: bool


class CasesPage(BaseModel):
    """A page of cases; pass ``next_cursor`` as ``cursor`` for the next page."""

    items: list[CaseSummaryOut]
    next_cursor: str | None


class HistoryOut(_Out):
    """One audited change of a case."""

    at: dt.datetime
    actor: str
    action: str
    changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class RegistryOut(_Out):
    """A hosted registry."""

    code: str
    name: str
    lifecycle: str
    current_version: str
    versions: list[str]


class FacilityBase(BaseModel):
    """A facility profile."""

    code: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=200)
    facility_type: str
    location: str
    census_region: str
    lab_service_model: str


class FacilityCreate(FacilityBase):
    """A facility to add."""


class FacilityPublic(FacilityBase, _Out):
    """A facility as returned."""


class PrinterCreate(BaseModel):
    """A printer to add to a facility's inventory."""

    label: str = Field(min_length=1, max_length=64)
    manufacturer: str = Field(default="", max_length=100)
    model: str = Field(default="", max_length=100)
    technology: str


class PrinterUpdate(BaseModel):
    """Changes to a printer: the fields given change, the others stay. ``active`` false
    retires it (the case form no longer offers it; a ``reason`` is required and audited), true
    offers it again."""

    label: str | None = Field(default=None, min_length=1, max_length=64)
    manufacturer: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    technology: str | None = None
    active: bool | None = None
    reason: str = Field(default="", max_length=2000)


class PrinterPublic(PrinterCreate, _Out):
    """A printer as returned; ``active`` false: retired (kept on its cases, not offered)."""

    id: int
    facility: str
    active: bool


class UserCreate(BaseModel):
    """A person to add, with their facility roles by registry code, then facility code
    (``{"3dp": {"F0001": "data_manager"}}``), and their registry roles."""

    email: str = Field(min_length=3, max_length=254)
    display_name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=12, max_length=200)
    memberships: dict[str, dict[str, Role]] = Field(default_factory=dict)
    registry_roles: dict[str, RegistryRoleName] = Field(default_factory=dict)


class UserPublic(_Out):
    """A person: never their password hash."""

    id: int
    email: str
    display_name: str
    active: bool
    memberships: dict[str, dict[str, str]]  # registry code → facility code → role
    registry_roles: dict[str, list[str]]


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


class TokenPublic(_Out):
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
