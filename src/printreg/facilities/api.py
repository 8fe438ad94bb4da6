"""API routes of facilities and their printer inventories."""

from __future__ import annotations

from fastapi import status

from printreg.facilities.schemas import (
    FacilityCreate,
    FacilityProfile,
    PrinterCreate,
    PrinterInfo,
    PrinterUpdate,
)
from printreg.facilities.service import FacilityService
from printreg.web.api.common import IdPath, api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()


@router.get("/facilities", tags=["facilities"])
def list_facilities(platform: PlatformDep, actor: ActorDep) -> list[FacilityProfile]:
    """Return the facilities the caller belongs to (registry administrators: all)."""
    return [profile for profile, _ in FacilityService(platform, actor).facilities()]


@router.post("/facilities", tags=["facilities"], status_code=status.HTTP_201_CREATED)
def create_facility(
    body: FacilityCreate, platform: PlatformDep, actor: ActorDep
) -> FacilityProfile:
    """Add a facility (registry administrators)."""
    return FacilityService(platform, actor).add(body.profile())


@router.get("/facilities/{facility}", tags=["facilities"])
def get_facility(facility: str, platform: PlatformDep, actor: ActorDep) -> FacilityProfile:
    """Return a facility the caller belongs to."""
    return FacilityService(platform, actor).get(facility)


@router.get("/facilities/{facility}/printers", tags=["facilities"])
def list_printers(facility: str, platform: PlatformDep, actor: ActorDep) -> list[PrinterInfo]:
    """Return a facility's printer inventory."""
    service = FacilityService(platform, actor)
    service.get(facility)
    return service.printers(facility)


@router.post("/facilities/{facility}/printers", tags=["facilities"], status_code=201)
def create_printer(
    facility: str, body: PrinterCreate, platform: PlatformDep, actor: ActorDep
) -> PrinterInfo:
    """Add a printer (facility administrators)."""
    return FacilityService(platform, actor).add_printer(body.info(facility))


@router.patch("/facilities/{facility}/printers/{printer_id}", tags=["facilities"])
def update_printer(
    facility: str, printer_id: IdPath, body: PrinterUpdate, platform: PlatformDep, actor: ActorDep
) -> PrinterInfo:
    """Change a printer, retire it (``active`` false, with a reason: the case form no longer
    offers it, its cases keep it) or offer it again (facility administrators)."""
    return FacilityService(platform, actor).update_printer(
        facility, printer_id, body.changes(), active=body.active, reason=body.reason
    )
