"""Who may see whom: one rule for ``GET /users/{id}``, a facility's people, the role change and
adding a person, so that none of them tells more than the others (docs/security.md, point 1).

A person sees themselves; registry administrators (and the operator) see everyone; a facility
administrator sees the people who hold a role at a facility they administer, and of them only
their roles there. Everyone else is "no such person", alike for an id that exists nowhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.accounts.models import Membership, User
from printreg.audit import audit
from printreg.domain.errors import NotFound
from printreg.domain.facility import Role

# registry code → facility code → role, as UserPublic holds them
Roles = Mapping[str, Mapping[str, str]]


def sees(session: Session, actor: Actor, user_id: int) -> bool:
    """Return whether the actor may see the person (whether or not they exist)."""
    if actor.user_id == user_id or actor.is_platform_admin:
        return True
    facilities = session.scalars(
        select(Membership.facility_id).where(Membership.user_id == user_id)
    )
    return any(actor.may_manage_facility(f) for f in facilities)


def visible(session: Session, actor: Actor, user_id: int) -> User:
    """Return a person the actor may see; NotFound, the same for a person who does not exist
    and for one who is not theirs to see."""
    user = session.get(User, user_id)
    if user is None or not sees(session, actor, user_id):
        raise NotFound.no_such("person")
    return user


def shown_roles(
    actor: Actor,
    user_id: int,
    memberships: Roles,
    registry_roles: Mapping[str, Sequence[str]],
    facility_ids: Mapping[str, int],
) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """Return the (memberships, registry roles) of a visible person that the actor may see: all
    of them to the person and to registry administrators; to a facility administrator only the
    roles at facilities they administer (``facility_ids``: facility code → id), none else."""
    if actor.user_id == user_id or actor.is_platform_admin:
        return {r: dict(f) for r, f in memberships.items()}, {
            r: list(roles) for r, roles in registry_roles.items()
        }
    kept = {
        registry: {code: role for code, role in roles.items()
                   if code in facility_ids and actor.may_manage_facility(facility_ids[code])}
        for registry, roles in memberships.items()
    }  # fmt: skip
    return {registry: roles for registry, roles in kept.items() if roles}, {}


def join(
    session: Session,
    actor: Actor,
    user: User,
    wanted: list[tuple[str, str, Role]],
    facility_ids: Mapping[str, int],
    registry_ids: Mapping[str, int],
) -> None:
    """Give an existing account that the actor may not see the roles asked for (registry code,
    facility code, role): its name, password and other roles stay as they are; each role given
    is an audit row, as any role given is."""
    for registry, code, role in wanted:
        # Unseen means no role at a facility the actor manages: there is none to replace.
        session.add(Membership(user_id=user.id, facility_id=facility_ids[code],
                               registry_id=registry_ids[registry], role=role.value))  # fmt: skip
        audit(session, actor, "membership", "user", str(user.id), registry_code=registry,
              facility_id=facility_ids[code], before={"role": None},
              after={"role": role.value})  # fmt: skip
    session.flush()
