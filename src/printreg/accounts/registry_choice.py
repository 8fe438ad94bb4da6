"""Which registry a person with roles in several is working in: the switcher's choice.

Pages under ``/registries/{code}/`` name their registry; every other page (a facility's
printers, people and enrollment, the account page, ``/``) works in the registry the person
chose in the navigation's switcher, kept in their browser session until they choose another or
sign out, and the default registry before they choose. A choice is a preference, never a right:
only a registry where the person holds a role can be chosen, and each page checks roles anew.
"""

from __future__ import annotations

from sqlalchemy import select, update

from printreg.accounts.actor import Actor
from printreg.accounts.models import WebSession
from printreg.accounts.service import digest
from printreg.domain.errors import NotFound
from printreg.platform import Platform


def registries_of(actor: Actor) -> list[str]:
    """Return the codes of the registries where the actor holds a role, by code (facility
    roles, registry roles, administration); empty for the operator."""
    return sorted(set(actor.memberships) | set(actor.registry_roles) | set(actor.registry_admin_of))


class RegistryChoice:
    """Read and keep a browser session's chosen registry."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def current(self, secret: str | None, actor: Actor) -> str:
        """Return the session's chosen registry while the person still holds a role there;
        the default registry otherwise (no session, no choice, or a role since taken away)."""
        default = self.platform.settings.default_registry
        if secret is None:
            return default
        with self.platform.sessions() as session:
            chosen = session.scalar(
                select(WebSession.registry_code).where(WebSession.id_hash == digest(secret))
            )
        return chosen if chosen in registries_of(actor) else default

    def choose(self, secret: str, actor: Actor, registry: str) -> str:
        """Keep ``registry`` as the session's choice and return it; NotFound (as for a registry
        that does not exist) unless the person holds a role there."""
        if registry not in registries_of(actor):
            raise NotFound.no_such("registry")
        with self.platform.sessions() as session, session.begin():
            session.execute(
                update(WebSession)
                .where(WebSession.id_hash == digest(secret))
                .values(registry_code=registry)
            )
        return registry
