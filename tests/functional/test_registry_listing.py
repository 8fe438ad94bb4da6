"""Listing the hosted registries reads their rows: no definition parsed, no case table built."""

from __future__ import annotations

from printreg.accounts.actor import Actor
from printreg.platform import Platform
from printreg.registries.schemas import RegistryPublic
from printreg.registries.service import RegistryService

#: what `db upgrade` registers from the shipped definitions
SHIPPED = [
    RegistryPublic(
        code="3dp",
        name="3D Printing Registry",
        lifecycle="active",
        current_version="1.1.0",
        versions=["1.0.0", "1.1.0"],
    ),
    RegistryPublic(
        code="gsae",
        name="3D-Printed Guide Safety and Adverse Event Registry",
        lifecycle="active",
        current_version="1.0.0",
        versions=["1.0.0"],
    ),
]


def test_registries_are_listed_without_loading_a_registry(platform: Platform) -> None:
    listed = RegistryService(platform, Actor.operator()).registries()
    assert listed == SHIPPED
    assert platform.registry_codes_cached() == []  # no runtime (definitions, tables) was built


def test_the_listing_agrees_with_each_registry_s_info(platform: Platform) -> None:
    service = RegistryService(platform, Actor.operator())
    service.set_lifecycle("gsae", "closed", "test")
    listed = service.registries()
    assert [r.lifecycle for r in listed] == ["active", "closed"]
    assert listed == [service.info(r.code) for r in listed]
