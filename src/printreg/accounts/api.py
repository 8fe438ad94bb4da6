"""API routes of people, their roles, and API tokens."""

from __future__ import annotations

from printreg.accounts.activation import ActivationService
from printreg.accounts.schemas import (
    ActivationChange,
    MembershipSet,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
)
from printreg.accounts.service import AccountService
from printreg.domain.errors import NotFound
from printreg.web.api.common import IdPath, api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()


@router.get("/facilities/{facility}/users", tags=["users"])
def list_users(facility: str, platform: PlatformDep, actor: ActorDep) -> list[UserPublic]:
    """Return the people with a role at a facility (facility administrators)."""
    return AccountService(platform).users_of(actor, facility)


@router.get("/users/me", tags=["users"])
def me(platform: PlatformDep, actor: ActorDep) -> UserPublic:
    """Return the signed-in person (or the token's owner)."""
    if actor.user_id is None:
        raise NotFound("the operator has no account")
    return AccountService(platform).get_user(actor, actor.user_id)


@router.post("/users", tags=["users"], status_code=201)
def create_user(body: UserCreate, platform: PlatformDep, actor: ActorDep) -> UserPublic:
    """Add a person with roles (facility administrators for their facility)."""
    return AccountService(platform).create_user(
        actor,
        body.email,
        body.display_name,
        body.password,
        body.memberships,
        body.registry_roles,
    )


@router.get("/users/{user_id}", tags=["users"])
def get_user(user_id: IdPath, platform: PlatformDep, actor: ActorDep) -> UserPublic:
    """Return a person the caller may see."""
    return AccountService(platform).get_user(actor, user_id)


@router.put("/users/{user_id}/memberships/{registry}/{facility}", tags=["users"])
def set_membership(
    user_id: IdPath,
    registry: str,
    facility: str,
    body: MembershipSet,
    platform: PlatformDep,
    actor: ActorDep,
) -> UserPublic:
    """Give, change or (role null) remove a person's role at a facility in one registry."""
    return AccountService(platform).set_membership(actor, user_id, registry, facility, body.role)


@router.post("/users/{user_id}/deactivate", tags=["users"])
def deactivate_user(
    user_id: IdPath, body: ActivationChange, platform: PlatformDep, actor: ActorDep
) -> UserPublic:
    """Deactivate a person, with a reason: they can no longer sign in, their sessions end and
    their API tokens stop working; their roles stay for a reactivation. Registry
    administrators: anyone; facility administrators: people whose every role is at their
    facilities."""
    return ActivationService(platform, actor).set_active(user_id, active=False, reason=body.reason)


@router.post("/users/{user_id}/reactivate", tags=["users"])
def reactivate_user(
    user_id: IdPath, body: ActivationChange, platform: PlatformDep, actor: ActorDep
) -> UserPublic:
    """Let a deactivated person sign in again, with the roles they had."""
    return ActivationService(platform, actor).set_active(user_id, active=True, reason=body.reason)


@router.get("/tokens", tags=["tokens"])
def list_tokens(platform: PlatformDep, actor: ActorDep) -> list[TokenPublic]:
    """Return the caller's API tokens (never their secrets)."""
    return AccountService(platform).tokens(actor)


@router.post("/tokens", tags=["tokens"], status_code=201)
def create_token(body: TokenCreate, platform: PlatformDep, actor: ActorDep) -> TokenCreated:
    """Create a scoped, expiring token for one of the caller's facilities; shown once."""
    secret, info = AccountService(platform).create_token(
        actor, body.facility, body.name, body.scopes, body.days
    )
    return TokenCreated(**info.model_dump(), token=secret)


@router.delete("/tokens/{token_id}", tags=["tokens"])
def revoke_token(token_id: IdPath, platform: PlatformDep, actor: ActorDep) -> TokenPublic:
    """Revoke one of the caller's tokens."""
    return AccountService(platform).revoke_token(actor, token_id)
