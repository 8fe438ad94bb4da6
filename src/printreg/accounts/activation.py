"""Deactivate and reactivate people.

A deactivated person cannot sign in, their open sessions end at once, and their API tokens are
refused from the next call (``AccountService`` reads ``users.active`` on every sign-in, session
and token use); their roles, cases and audit trail stay, so that reactivating them gives back
exactly what they had.

Who decides: registry administrators (and the operator) any person; a facility administrator
the people whose every role is at facilities they administer (someone who also works elsewhere,
or holds a registry role, is a registry administrator's call); nobody themselves. A person the
actor may not see is "no such person", as everywhere (``services.people``). Deactivating needs
a reason; both moves are audited.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from printreg.accounts import people
from printreg.accounts.actor import Actor
from printreg.accounts.models import Membership, RegistryRole, User, WebSession
from printreg.accounts.schemas import UserPublic
from printreg.accounts.service import AccountService
from printreg.audit import audit
from printreg.domain.errors import Conflict, Forbidden
from printreg.domain.reasons import optional_reason, required_reason
from printreg.platform import Platform


class ActivationService:
    """Deactivate and reactivate people (see the module docstring for who may)."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def _manageable(self, session: Session, user_id: int) -> User:
        """Return a person whose account the actor may switch off and on; NotFound for one out
        of sight, Forbidden or Conflict for one in sight but not theirs to decide."""
        user = people.visible(session, self.actor, user_id)
        if self.actor.scopes is not None:
            raise Forbidden("people are deactivated by a signed-in administrator, not a token")
        if user.id == self.actor.user_id:
            raise Conflict("you cannot deactivate or reactivate yourself")
        if self.actor.is_platform_admin:
            return user
        facilities = set(
            session.scalars(select(Membership.facility_id).where(Membership.user_id == user.id))
        )
        whole = session.scalar(select(RegistryRole.user_id).where(RegistryRole.user_id == user.id))
        if whole is not None or not all(self.actor.may_manage_facility(f) for f in facilities):
            raise Forbidden(
                "this person also holds roles beyond your facilities: ask a registry "
                "administrator, or take away their role here"
            )
        return user

    def check(self, user_id: int) -> UserPublic:
        """Return the person as the actor sees them if the actor may deactivate or reactivate
        them, refusing as ``set_active`` would and changing nothing (for the confirmation)."""
        with self.platform.sessions() as session:
            self._manageable(session, user_id)
        return AccountService(self.platform).get_user(self.actor, user_id)

    def set_active(self, user_id: int, *, active: bool, reason: str = "") -> UserPublic:
        """Deactivate a person (``active`` False: a reason is required; their sessions end) or
        reactivate them; audited; a no-op when they are already so. Return them as the actor
        sees them."""
        with self.platform.sessions() as session, session.begin():
            user = self._manageable(session, user_id)
            checked = optional_reason(reason) if active else required_reason(reason, "deactivate")
            if user.active != active:
                user.active = active
                if not active:
                    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
                audit(session, self.actor, "reactivate" if active else "deactivate", "user",
                      str(user.id), before={"active": not active},
                      after={"active": active, "reason": checked})  # fmt: skip
        return AccountService(self.platform).get_user(self.actor, user_id)
