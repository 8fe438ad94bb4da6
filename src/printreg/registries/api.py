"""API routes of the hosted registries: the list, one registry, a definition version."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from printreg.registries.schemas import RegistryPublic
from printreg.registries.service import RegistryService
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()


@router.get("/registries", tags=["registries"])
def list_registries(platform: PlatformDep, actor: ActorDep) -> list[RegistryPublic]:
    """Return the hosted registries."""
    return RegistryService(platform, actor).registries()


@router.get("/registries/{registry}", tags=["registries"])
def get_registry(registry: str, platform: PlatformDep, actor: ActorDep) -> RegistryPublic:
    """Return one registry."""
    return RegistryService(platform, actor).info(registry)


@router.get("/registries/{registry}/definition", tags=["registries"])
def get_definition(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    version: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """Return a definition version (the data dictionary) as JSON."""
    definition = RegistryService(platform, actor).definition(registry, version)
    return definition.model_dump(mode="json", by_alias=True, exclude_defaults=True)
