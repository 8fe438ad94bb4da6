"""API routes of FHIR R4: the Questionnaire, a case's Bundle, import of one case Bundle."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Body, Query

from printreg.cases.schemas import CaseSaved
from printreg.fhir.service import FhirService
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()
BundleBody = Annotated[
    dict[str, Any],
    Body(description="A FHIR R4 Bundle as GET …/cases/{id}/fhir gives (docs/fhir.md)."),
]


@router.get("/registries/{registry}/fhir/Questionnaire", tags=["fhir"])
def get_questionnaire(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    version: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Return a definition version (default: the current one) as a FHIR Questionnaire."""
    return FhirService(platform, actor).questionnaire(registry, version)


@router.get("/registries/{registry}/cases/{case_id}/fhir", tags=["fhir"])
def get_case_bundle(
    registry: str, case_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> dict[str, Any]:
    """Return a case as a FHIR Bundle; 404 for unknown ids and other facilities' cases alike."""
    return FhirService(platform, actor).case_bundle(registry, case_id)


@router.post("/registries/{registry}/fhir/Bundle", tags=["fhir"], status_code=201)
def import_bundle(
    registry: str,
    bundle: BundleBody,
    platform: PlatformDep,
    actor: ActorDep,
    facility: Annotated[str, Query(min_length=1, max_length=32)],
) -> CaseSaved:
    """Store the case a FHIR Bundle holds, validated as every new case; 422 lists every issue."""
    return FhirService(platform, actor).import_bundle(registry, facility, bundle)
