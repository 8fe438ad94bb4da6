"""Facility enrollment: apply → committee decision → agreement and fees → active, suspended,
withdrawn. Every step is an audit row the facility can read back as its enrollment history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound, ValidationFailed
from printreg.domain.facility import EnrollmentStatus
from printreg.domain.governance import (
    Lifecycle,
    VoteChoice,
    check_enrollment,
    enrollment_fees,
)
from printreg.domain.issues import Issue
from printreg.domain.reasons import required_reason
from printreg.facilities.models import Facility, Participation, Printer
from printreg.governance.enrollment_decisions import SUBJECT, record_decision
from printreg.governance.models import EnrollmentApplication
from printreg.governance.schemas import ApplicationOut, EnrollmentEventOut, EnrollmentOut
from printreg.platform import Platform
from printreg.privacy import IdentifierKind, describe, scan_text
from printreg.registries.models import Registry
from printreg.storage.audit_log import AuditEntry
from printreg.storage.base import utcnow

MAX_CONTACTS = 10
PROFILE = ("code", "name", "facility_type", "location", "census_region", "lab_service_model")
PRINTER = ("label", "manufacturer", "model", "technology", "active")
# Patient identifiers have no place in an application; staff contact details do (in contacts).
_PATIENT_KINDS = frozenset(
    {
        IdentifierKind.DATE_OF_BIRTH,
        IdentifierKind.MRN,
        IdentifierKind.SSN,
        IdentifierKind.PERSON_NAME,
    }
)


@dataclass(frozen=True)
class Contact:
    """A person the registry may contact about the facility's participation (staff only)."""

    role: str  # e.g. registry champion, facility administrator, billing
    name: str
    email: str
    phone: str = ""


def _application(row: EnrollmentApplication, registry: str, facility: str) -> ApplicationOut:
    return ApplicationOut(
        id=row.id,
        registry=registry,
        facility=facility,
        status=row.status,
        profile=dict(row.profile),
        printers=list(row.printers),
        contacts=list(row.contacts),
        statement=row.statement,
        submitted_at=row.submitted_at,
        submitted_by=row.submitted_by,
        decided_at=row.decided_at,
    )


def _error(facility: str, path: str, rule: str, message: str) -> Issue:
    return Issue("error", facility, path, rule, message)


def _contacts(facility: str, contacts: Sequence[Contact]) -> list[dict[str, str]]:
    """Return the contacts cleaned up; ValidationFailed listing every problem."""
    issues: list[Issue] = []
    if not 1 <= len(contacts) <= MAX_CONTACTS:
        message = f"give 1 to {MAX_CONTACTS} contact people (name and e-mail address)"
        issues.append(_error(facility, "contacts", "required", message))
    out = []
    for n, contact in enumerate(contacts[:MAX_CONTACTS], start=1):
        where = f"contacts[{n}]"
        email = contact.email.strip().lower()
        if not contact.name.strip() or len(contact.name) > 200:
            issues.append(_error(facility, f"{where}.name", "required", "give the name"))
        if "@" not in email or len(email) > 254:
            issues.append(_error(facility, f"{where}.email", "format", "give an e-mail address"))
        if len(contact.role) > 64 or len(contact.phone) > 40:
            message = "role: at most 64 characters; phone: at most 40"
            issues.append(_error(facility, where, "max_length", message))
        out.append({"role": contact.role.strip(), "name": contact.name.strip(),
                    "email": email, "phone": contact.phone.strip()})  # fmt: skip
    if issues:
        raise ValidationFailed(issues, "the application is not complete")
    return out


def _statement(facility: str, statement: str) -> str:
    """Return the statement; ValidationFailed when too long or holding a patient identifier."""
    found = [f for f in scan_text(statement) if f.kind in _PATIENT_KINDS]
    if len(statement) > 4000:
        message = "the statement has at most 4000 characters"
        raise ValidationFailed([_error(facility, "statement", "max_length", message)])
    if found:
        message = (
            f"the statement seems to hold {describe(found[0].kind)}: an application carries "
            "no patient data"
        )
        raise ValidationFailed([_error(facility, "statement", "identifier", message)])
    return statement.strip()


class EnrollmentService:
    """Applications, decisions, agreements and fees, suspension and withdrawal of facilities."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    # -- lookups --------------------------------------------------------------------------------

    def _registry(self, session: Session, code: str) -> Registry:
        registry = session.scalar(select(Registry).where(Registry.code == code))
        if registry is None:
            raise NotFound(f"no registry with code {code!r}: see 'printreg registry list'")
        return registry

    def _facility(self, session: Session, registry: str, code: str) -> Facility:
        """Return a facility whose enrollment the actor may read: its members, the registry's
        administrators and committee; NotFound for anyone else, as for an unknown code."""
        facility = session.scalar(select(Facility).where(Facility.code == code))
        visible = facility is not None and (
            self.actor.administers(registry)
            or self.actor.on_committee(registry)
            or self.actor.belongs_to(facility.id)
        )
        if facility is None or not visible:
            raise NotFound.no_such("facility")
        return facility

    def _latest(
        self, session: Session, registry_id: int, facility_id: int
    ) -> EnrollmentApplication | None:
        return session.scalar(
            select(EnrollmentApplication)
            .where(
                EnrollmentApplication.registry_id == registry_id,
                EnrollmentApplication.facility_id == facility_id,
            )
            .order_by(EnrollmentApplication.id.desc())
            .limit(1)
        )

    def _view(self, session: Session, registry: Registry, facility: Facility) -> EnrollmentOut:
        part = session.get(Participation, (facility.id, registry.id))
        latest = self._latest(session, registry.id, facility.id)
        rows = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.entity_type == SUBJECT,
                AuditEntry.registry_code == registry.code,
                AuditEntry.facility_id == facility.id,
            )
            .order_by(AuditEntry.id)
        )
        events = [
            EnrollmentEventOut(
                at=r.at, actor=r.actor, action=r.action, before=r.before, after=r.after
            )
            for r in rows
        ]
        return EnrollmentOut(
            registry=registry.code,
            facility=facility.code,
            status=EnrollmentStatus(part.status) if part else None,
            agreement_date=part.agreement_date if part else None,
            application_fee=part.application_fee if part else None,
            annual_fee=part.annual_fee if part else None,
            application_fee_waived=part.application_fee_waived if part else None,
            application=_application(latest, registry.code, facility.code) if latest else None,
            history=events,
        )

    def _audit(
        self,
        session: Session,
        action: str,
        registry: Registry,
        facility: Facility,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        audit(
            session,
            self.actor,
            action,
            SUBJECT,
            facility.code,
            registry_code=registry.code,
            facility_id=facility.id,
            before=before,
            after=after,
        )

    # -- reads ----------------------------------------------------------------------------------

    def get(self, registry: str, facility_code: str) -> EnrollmentOut:
        """Return a facility's enrollment in a registry with its audited history."""
        with self.platform.sessions() as session:
            reg = self._registry(session, registry)
            return self._view(session, reg, self._facility(session, registry, facility_code))

    def of_facility(self, facility_code: str) -> list[EnrollmentOut]:
        """Return the facility's enrollment in every registry (members and administrators)."""
        with self.platform.sessions() as session:
            out = []
            for reg in session.scalars(select(Registry).order_by(Registry.code)):
                try:
                    facility = self._facility(session, reg.code, facility_code)
                except NotFound:
                    continue
                out.append(self._view(session, reg, facility))
            if not out:
                raise NotFound.no_such("facility")
            return out

    def applications(self, registry: str, status: str | None = None) -> list[ApplicationOut]:
        """Return a registry's applications, newest first (administrators and committee: all;
        facility members: their facilities'), optionally only those of one status."""
        with self.platform.sessions() as session:
            reg = self._registry(session, registry)
            query = (
                select(EnrollmentApplication, Facility.code)
                .join(Facility, Facility.id == EnrollmentApplication.facility_id)
                .where(EnrollmentApplication.registry_id == reg.id)
            )
            if not (self.actor.administers(registry) or self.actor.on_committee(registry)):
                query = query.where(Facility.id.in_(sorted(self.actor.facility_ids)))
            if status is not None:
                query = query.where(EnrollmentApplication.status == status)
            rows = session.execute(query.order_by(EnrollmentApplication.id.desc())).all()
            return [_application(row, registry, code) for row, code in rows]

    def awaiting_agreement(self, registry: str) -> list[EnrollmentOut]:
        """Return the facilities the committee approved whose participation agreement is not
        recorded yet, by code (registry administrators; Forbidden for anyone else)."""
        self.actor.require_registry_admin(registry)
        with self.platform.sessions() as session:
            reg = self._registry(session, registry)
            facilities = session.scalars(
                select(Facility)
                .join(Participation, Participation.facility_id == Facility.id)
                .where(
                    Participation.registry_id == reg.id,
                    Participation.status == EnrollmentStatus.APPROVED,
                )
                .order_by(Facility.code)
            ).all()
            return [self._view(session, reg, f) for f in facilities]

    # -- the facility applies -------------------------------------------------------------------

    def apply(
        self, registry: str, facility_code: str, contacts: Sequence[Contact], statement: str = ""
    ) -> EnrollmentOut:
        """Submit an application: the facility's profile and printers as they are now, its
        contacts and a statement; the committee then decides. Facility administrators."""
        with self.platform.sessions() as session, session.begin():
            reg = self._registry(session, registry)
            facility = self._facility(session, registry, facility_code)
            if self.actor.scopes is not None or not self.actor.may_manage_facility(facility.id):
                raise Forbidden("only the facility's administrators may apply for it")
            if reg.lifecycle == Lifecycle.CLOSED:
                raise Conflict(f"registry {registry} is closed: it takes no applications")
            part = session.get(Participation, (facility.id, reg.id))
            before = part.status if part else None
            check_enrollment(before, EnrollmentStatus.APPLIED)
            people = _contacts(facility.code, contacts)
            text = _statement(facility.code, statement)
            printers = session.scalars(
                select(Printer)
                .where(Printer.facility_id == facility.id, Printer.active.is_(True))
                .order_by(Printer.label)
            )
            row = EnrollmentApplication(
                registry_id=reg.id,
                facility_id=facility.id,
                status="open",
                profile={k: getattr(facility, k) for k in PROFILE},
                printers=[{k: getattr(p, k) for k in PRINTER} for p in printers],
                contacts=people,
                statement=text,
                submitted_by=self.actor.name,
            )
            session.add(row)
            if part is None:
                part = Participation(facility_id=facility.id, registry_id=reg.id, status="")
                session.add(part)
            part.status = EnrollmentStatus.APPLIED.value
            part.agreement_date = None
            part.application_fee = part.annual_fee = part.application_fee_waived = None
            part.updated_at = utcnow()
            session.flush()
            self._audit(
                session,
                "apply",
                reg,
                facility,
                {"status": before},
                {
                    "status": part.status,
                    "application": row.id,
                    "printers": len(row.printers),
                    "contacts": len(people),
                },
            )
            return self._view(session, reg, facility)

    # -- decisions (the committee's votes, or a registry administrator) -------------------------

    def decide(
        self, registry: str, facility_code: str, approve: bool, reason: str = ""
    ) -> EnrollmentOut:
        """Record the decision on the facility's open application (registry administrators,
        e.g. a decision the committee took in a meeting); Conflict when none is open."""
        with self.platform.sessions() as session, session.begin():
            reg = self._registry(session, registry)
            facility = self._facility(session, registry, facility_code)
            self.actor.require_registry_admin(registry)
            application = self._latest(session, reg.id, facility.id)
            if application is None or application.status != "open":
                raise Conflict(f"facility {facility_code} has no open application to decide")
            choice = VoteChoice.APPROVE if approve else VoteChoice.DECLINE
            record_decision(
                session,
                self.actor,
                reg,
                application,
                choice,
                {"decided_by": "registry administrator", "reason": reason},
            )
            return self._view(session, reg, facility)

    # -- agreement, suspension, withdrawal ------------------------------------------------------

    def _require_withdrawer(self, registry: str, facility: Facility) -> None:
        """Raise Forbidden unless the actor may withdraw the facility from the registry."""
        if self.actor.scopes is not None or not (
            self.actor.administers(registry) or self.actor.may_manage_facility(facility.id)
        ):
            raise Forbidden("only the facility's or the registry's administrators may withdraw it")

    def check_withdrawal(self, registry: str, facility_code: str) -> EnrollmentOut:
        """Return the participation a withdrawal would end, refusing as ``set_status`` would
        (NotFound, Forbidden, Conflict) and changing nothing: the confirmation page asks only
        those who may withdraw, and only when withdrawing is possible."""
        with self.platform.sessions() as session:
            reg = self._registry(session, registry)
            facility = self._facility(session, registry, facility_code)
            self._require_withdrawer(registry, facility)
            part = session.get(Participation, (facility.id, reg.id))
            check_enrollment(part.status if part else None, EnrollmentStatus.WITHDRAWN)
            return self._view(session, reg, facility)

    def set_status(
        self,
        registry: str,
        facility_code: str,
        status: str,
        *,
        agreement_date: dt.date | None = None,
        reason: str = "",
    ) -> EnrollmentOut:
        """Move a facility's participation: ``active`` (records the agreement date and the fees
        of an approved facility, or reinstates a suspended one), ``suspended`` (registry
        administrators) or ``withdrawn`` (also the facility's administrators; a reason is
        required: rejoining takes a new application and a committee vote)."""
        with self.platform.sessions() as session, session.begin():
            reg = self._registry(session, registry)
            facility = self._facility(session, registry, facility_code)
            wanted = EnrollmentStatus(status) if status in set(EnrollmentStatus) else None
            if wanted not in {
                EnrollmentStatus.ACTIVE,
                EnrollmentStatus.SUSPENDED,
                EnrollmentStatus.WITHDRAWN,
            }:
                raise InvalidRequest(
                    "choose active, suspended or withdrawn (facilities apply; "
                    "the committee approves or declines)"
                )
            if wanted == EnrollmentStatus.WITHDRAWN:
                self._require_withdrawer(registry, facility)
                reason = required_reason(reason, "withdraw")
            else:
                self.actor.require_registry_admin(registry)
            part = session.get(Participation, (facility.id, reg.id))
            before_status = part.status if part else None
            check_enrollment(before_status, wanted)
            assert part is not None  # noqa: S101 - check_enrollment refuses a missing one
            before = self._terms(part)
            action = {
                EnrollmentStatus.SUSPENDED: "suspend",
                EnrollmentStatus.WITHDRAWN: "withdraw",
            }.get(wanted, "activate")
            if wanted == EnrollmentStatus.ACTIVE and before_status == EnrollmentStatus.SUSPENDED:
                action = "reinstate"
            elif wanted == EnrollmentStatus.ACTIVE:
                if agreement_date is None:
                    raise InvalidRequest("give the date the participation agreement was signed")
                self._record_agreement(session, reg, facility, part, agreement_date)
            if wanted == EnrollmentStatus.WITHDRAWN:
                application = self._latest(session, reg.id, facility.id)
                if application is not None and application.status == "open":
                    application.status = "withdrawn"
                    application.decided_at = utcnow()
            part.status = wanted.value
            part.updated_at = utcnow()
            self._audit(
                session, action, reg, facility, before, {**self._terms(part), "reason": reason}
            )
            return self._view(session, reg, facility)

    @staticmethod
    def _terms(part: Participation) -> dict[str, Any]:
        return {
            "status": part.status,
            "agreement_date": part.agreement_date.isoformat() if part.agreement_date else None,
            "application_fee": part.application_fee,
            "annual_fee": part.annual_fee,
            "application_fee_waived": part.application_fee_waived,
        }

    def _record_agreement(
        self,
        session: Session,
        reg: Registry,
        facility: Facility,
        part: Participation,
        agreement_date: dt.date,
    ) -> None:
        """Record the agreement date and the fees; the application fee is waived when the
        facility is already active in another registry of the platform."""
        elsewhere = session.scalar(
            select(Participation.registry_id).where(
                Participation.facility_id == facility.id,
                Participation.registry_id != reg.id,
                Participation.status == EnrollmentStatus.ACTIVE,
            )
        )
        settings = self.platform.settings
        fees = enrollment_fees(
            settings.enrollment_application_fee,
            settings.enrollment_annual_fee,
            elsewhere is not None,
        )
        part.agreement_date = agreement_date
        part.application_fee = fees.application_fee
        part.annual_fee = fees.annual_fee
        part.application_fee_waived = fees.application_fee_waived
