"""Platform vocabulary shared by every registry: facility profile, printers, roles, case status."""

from __future__ import annotations

from enum import StrEnum


class FacilityType(StrEnum):
    """Kind of participating site."""

    ACADEMIC = "academic"
    COMMUNITY = "community"
    CHILDRENS = "childrens"
    FREESTANDING = "freestanding"
    OTHER = "other"


class Location(StrEnum):
    """Setting of the site."""

    METROPOLITAN = "metropolitan"
    SUBURBAN = "suburban"
    RURAL = "rural"


class CensusRegion(StrEnum):
    """US Census region."""

    NORTHEAST = "northeast"
    MIDWEST = "midwest"
    SOUTH = "south"
    WEST = "west"


class LabServiceModel(StrEnum):
    """Which department runs the 3D printing lab."""

    RADIOLOGY = "radiology"
    SURGERY = "surgery"
    ENGINEERING_CORE = "engineering_core"
    OTHER = "other"


class EnrollmentStatus(StrEnum):
    """A facility's participation in one registry."""

    APPLIED = "applied"
    APPROVED = "approved"
    DECLINED = "declined"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class PrinterTechnology(StrEnum):
    """The seven additive manufacturing process categories of ISO/ASTM 52900."""

    MATERIAL_EXTRUSION = "material_extrusion"
    VAT_PHOTOPOLYMERIZATION = "vat_photopolymerization"
    MATERIAL_JETTING = "material_jetting"
    BINDER_JETTING = "binder_jetting"
    POWDER_BED_FUSION = "powder_bed_fusion"
    SHEET_LAMINATION = "sheet_lamination"
    DIRECTED_ENERGY_DEPOSITION = "directed_energy_deposition"


class Role(StrEnum):
    """What a person may do at one facility (registry roles are separate)."""

    FACILITY_ADMIN = "facility_admin"
    DATA_MANAGER = "data_manager"
    VIEWER = "viewer"


class RegistryRoleName(StrEnum):
    """Registry-wide roles: administrators see every facility; the others no case data at all."""

    REGISTRY_ADMIN = "registry_admin"
    RESEARCHER = "researcher"
    SPONSOR = "sponsor"
    COMMITTEE = "committee"  # votes on enrollment applications and data requests; no case data


#: the registry roles whose holders must enrol a second factor when
#: ``require_second_factor_for_registry_roles`` is on
SECOND_FACTOR_ROLES = frozenset(
    {RegistryRoleName.REGISTRY_ADMIN, RegistryRoleName.COMMITTEE, RegistryRoleName.RESEARCHER}
)


class Scope(StrEnum):
    """What an API token may do, within its one facility."""

    CASES_READ = "cases:read"
    CASES_WRITE = "cases:write"
    REPORTS_READ = "reports:read"


class CaseStatus(StrEnum):
    """Life of a case: only complete and locked cases enter reports."""

    DRAFT = "draft"
    COMPLETE = "complete"
    LOCKED = "locked"


def volume_band(annual_cases: int) -> str:
    """Return the facility volume band for a count of cases in the last 12 months."""
    if annual_cases < 25:
        return "low"
    if annual_cases < 100:
        return "medium"
    return "high" if annual_cases < 400 else "very_high"
