"""A web process sees a definition change another process made: the loaded registry is compared
with the database every ``registry_recheck_seconds`` and reloaded when it changed."""

from __future__ import annotations

from sqlalchemy import update

from printreg.platform import Platform
from printreg.registries.models import Registry
from printreg.settings import Settings

REG = "3dp"


def _set_current(platform: Platform, version: str) -> None:
    """Change the current version as another process would (publish writes this column)."""
    with platform.sessions() as session, session.begin():
        session.execute(
            update(Registry).where(Registry.code == REG).values(current_version=version)
        )


def test_a_current_version_changed_by_another_process_is_seen_after_the_recheck(
    api_platform: Platform, settings: Settings
) -> None:
    other = Platform.from_settings(settings)  # what another web process holds
    try:
        loaded = other.registry(REG)
        versions = sorted(loaded.definitions)
        assert len(versions) >= 2, versions
        earlier = next(v for v in versions if v != loaded.current.version)
        _set_current(api_platform, earlier)

        other.registry_recheck_seconds = 3600  # within the interval, the loaded one is used
        assert other.registry(REG) is loaded
        other.registry_recheck_seconds = 0
        reloaded = other.registry(REG)
        assert reloaded is not loaded
        assert reloaded.current.version == earlier
        assert other.registry(REG) is reloaded  # unchanged since: kept, not loaded again
    finally:
        other.close()
