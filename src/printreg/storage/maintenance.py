"""Database maintenance for operators: bring the schema up to date."""

from __future__ import annotations

from printreg.accounts.actor import Actor
from printreg.platform import Platform
from printreg.storage.schema import upgrade


def upgrade_database(platform: Platform, actor: Actor) -> list[str]:
    """Migrate platform tables, register shipped definitions, create case tables; list changes."""
    actor.require_platform_admin()
    changes = upgrade(platform.engine)
    for code in list(platform.registry_codes_cached()):
        platform.forget(code)
    return changes
