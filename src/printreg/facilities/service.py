"""Facilities and their printer inventories."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.dictionary.dates import DATE_ORDERS
from printreg.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from printreg.domain.facility import (
    CensusRegion,
    EnrollmentStatus,
    FacilityType,
    LabServiceModel,
    Location,
    PrinterTechnology,
)
from printreg.domain.issues import Issue
from printreg.domain.reasons import optional_reason, required_reason
from printreg.facilities.models import Facility, Participation, Printer
from printreg.facilities.schemas import FacilityProfile, PrinterChanges, PrinterInfo
from printreg.platform import Platform
from printreg.registries.models import Registry


def _printer_issues(label: str, technology: str) -> list[Issue]:
    """Return the problems of a printer's label and technology (none when both are right)."""
    issues = []
    issue = _check_choice(label, "technology", technology, PrinterTechnology)
    if issue is not None:
        issues.append(issue)
    if not label.strip() or len(label) > 64:
        issues.append(
            Issue(
                "error", label, "label", "required", "label: give a label of at most 64 characters"
            )
        )
    return issues


def _printer_info(printer: Printer, facility_code: str) -> PrinterInfo:
    return PrinterInfo(facility_code, printer.label, printer.manufacturer, printer.model,
                       printer.technology, printer.id, printer.active)  # fmt: skip


def _check_choice(record: str, field: str, value: str, allowed: type[object]) -> Issue | None:
    choices = [str(v) for v in allowed]  # type: ignore[attr-defined]
    if value in choices:
        return None
    return Issue(
        "error", record, field, "value_set", f"{field}: choose one of {', '.join(choices)}"
    )


class FacilityService:
    """Add and list facilities and printers (registry administrators and the operator)."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def add(self, profile: FacilityProfile, registries: tuple[str, ...] = ()) -> FacilityProfile:
        """Create a facility, active in the given registries (all registries when empty)."""
        self.actor.require_platform_admin()
        issues = [
            issue
            for field, value, allowed in (
                ("facility_type", profile.facility_type, FacilityType),
                ("location", profile.location, Location),
                ("census_region", profile.census_region, CensusRegion),
                ("lab_service_model", profile.lab_service_model, LabServiceModel),
            )
            if (issue := _check_choice(profile.code, field, value, allowed)) is not None
        ]
        if not profile.code.strip() or len(profile.code) > 32:
            issues.append(
                Issue(
                    "error",
                    profile.code,
                    "code",
                    "required",
                    "code: give a short code of at most 32 characters",
                )
            )
        if profile.date_order is not None and profile.date_order not in DATE_ORDERS:
            issues.append(
                Issue("error", profile.code, "date_order", "value_set",
                      f"date_order: choose one of {', '.join(DATE_ORDERS)}, or none for ISO only")
            )  # fmt: skip
        if issues:
            raise ValidationFailed(issues)
        with self.platform.sessions() as session, session.begin():
            if session.scalar(select(Facility.id).where(Facility.code == profile.code)):
                raise Conflict(f"a facility with code {profile.code!r} already exists")
            facility = Facility(**profile.__dict__)
            session.add(facility)
            session.flush()
            query = select(Registry)
            if registries:
                query = query.where(Registry.code.in_(registries))
            for registry in session.scalars(query):
                session.add(
                    Participation(
                        facility_id=facility.id,
                        registry_id=registry.id,
                        status=EnrollmentStatus.ACTIVE.value,
                    )
                )
            audit(
                session,
                self.actor,
                "create",
                "facility",
                profile.code,
                facility_id=facility.id,
                after=dict(profile.__dict__),
            )
        return profile

    def facilities(self) -> list[tuple[FacilityProfile, int]]:
        """Return the facilities the actor may see (admins: all) with printer counts, by code."""
        with self.platform.sessions() as session:
            counts = dict(
                session.execute(
                    select(Printer.facility_id, func.count()).group_by(Printer.facility_id)
                ).all()
            )
            query = select(Facility).order_by(Facility.code)
            if not self.actor.is_platform_admin:
                query = query.where(Facility.id.in_(sorted(self.actor.facility_ids)))
            facilities = session.scalars(query).all()
            return [
                (
                    FacilityProfile(
                        f.code,
                        f.name,
                        f.facility_type,
                        f.location,
                        f.census_region,
                        f.lab_service_model,
                        f.date_order,
                    ),
                    counts.get(f.id, 0),
                )
                for f in facilities
            ]

    def ids(self) -> dict[str, int]:
        """Return the ids of the facilities the actor may see, by code (for permission checks
        that `Actor` answers by id)."""
        with self.platform.sessions() as session:
            query = select(Facility.code, Facility.id)
            if not self.actor.is_platform_admin:
                query = query.where(Facility.id.in_(sorted(self.actor.facility_ids)))
            return dict(session.execute(query).all())

    def add_printer(self, printer: PrinterInfo) -> PrinterInfo:
        """Add a printer to a facility's inventory; its label must be new in the facility."""
        issues = _printer_issues(printer.label, printer.technology)
        if issues:
            raise ValidationFailed(issues)
        with self.platform.sessions() as session, session.begin():
            facility = session.scalar(select(Facility).where(Facility.code == printer.facility))
            if facility is None:
                raise NotFound.no_such("facility")
            self.actor.require_facility_admin(facility.id)
            row = Printer(
                facility_id=facility.id,
                label=printer.label,
                manufacturer=printer.manufacturer,
                model=printer.model,
                technology=printer.technology,
            )
            session.add(row)
            self._flush_label(session, printer.facility, printer.label)
            audit(
                session,
                self.actor,
                "create",
                "printer",
                str(row.id),
                facility_id=facility.id,
                after={k: v for k, v in printer.__dict__.items() if k not in {"id", "active"}},
            )
            return _printer_info(row, printer.facility)

    @staticmethod
    def _flush_label(session: Session, facility_code: str, label: str) -> None:
        """Write the printer now; Conflict when its label is already taken in the facility."""
        try:
            session.flush()
        except IntegrityError:
            raise Conflict(
                f"facility {facility_code} already has a printer labelled {label!r}"
            ) from None

    def _managed_printer(self, session: Session, facility_code: str, printer_id: int) -> Printer:
        """Return a printer of a facility the actor administers; NotFound alike for an unknown
        facility, an unknown printer and another facility's (Forbidden for its members)."""
        facility = session.scalar(select(Facility).where(Facility.code == facility_code))
        if facility is None:
            raise NotFound.no_such("printer")
        if not self.actor.may_manage_facility(facility.id):
            if self.actor.belongs_to(facility.id):
                raise Forbidden("only the facility's administrators may change its printers")
            raise NotFound.no_such("printer")
        printer = session.get(Printer, printer_id)
        if printer is None or printer.facility_id != facility.id:
            raise NotFound.no_such("printer")
        return printer

    def set_date_order(self, code: str, order: str | None) -> str | None:
        """Set the local date order a facility's dates are read in besides ISO (DMY, MDY; None
        for ISO only) and return it; facility administrators and the operator; audited."""
        if order is not None and order.upper() not in DATE_ORDERS:
            raise ValidationFailed([
                Issue("error", code, "date_order", "value_set",
                      f"date_order: choose one of {', '.join(DATE_ORDERS)}, or iso for ISO only")
            ])  # fmt: skip
        wanted = order.upper() if order is not None else None
        with self.platform.sessions() as session, session.begin():
            facility = session.scalar(select(Facility).where(Facility.code == code))
            if facility is None or not (
                self.actor.is_platform_admin or self.actor.belongs_to(facility.id)
            ):
                raise NotFound.no_such("facility")
            self.actor.require_facility_admin(facility.id)
            before = facility.date_order
            facility.date_order = wanted
            audit(session, self.actor, "update", "facility", code, facility_id=facility.id,
                  before={"date_order": before}, after={"date_order": wanted})  # fmt: skip
        return wanted

    def date_order(self, code: str) -> str | None:
        """Return a facility's local date order (None: ISO dates only); NotFound as ``get``."""
        return self.get(code).date_order

    def printer(self, facility_code: str, printer_id: int) -> PrinterInfo:
        """Return a printer of a facility the actor administers (for its edit form); NotFound
        for anyone else's."""
        with self.platform.sessions() as session:
            return _printer_info(
                self._managed_printer(session, facility_code, printer_id), facility_code
            )

    def update_printer(
        self,
        facility_code: str,
        printer_id: int,
        changes: PrinterChanges,
        *,
        active: bool | None = None,
        reason: str = "",
    ) -> PrinterInfo:
        """Change a printer's label, manufacturer, model or technology (its facility's
        administrators), audited before → after; with ``active`` retire it (False: a reason is
        required and audited) or offer it again (True), in the same transaction.

        Cases refer to the printer, not to its label: a new label shows on every case printed
        with it. A retired printer stays on those cases and in their reports, but the case form
        no longer offers it."""
        retiring = active is False
        with self.platform.sessions() as session, session.begin():
            row = self._managed_printer(session, facility_code, printer_id)
            checked = required_reason(reason, "retire it") if retiring else optional_reason(reason)
            before = _printer_info(row, facility_code)
            wanted = {k: v for k, v in changes.__dict__.items() if v is not None}
            after = PrinterInfo(**{**before.__dict__, **wanted})
            issues = _printer_issues(after.label, after.technology)
            if issues:
                raise ValidationFailed(issues)
            changed = {k: v for k, v in wanted.items() if getattr(before, k) != v}
            for key, value in changed.items():
                setattr(row, key, value)
            if changed:
                self._flush_label(session, facility_code, after.label)
                audit(session, self.actor, "update", "printer", str(row.id),
                      facility_id=row.facility_id,
                      before={k: getattr(before, k) for k in changed}, after=changed)  # fmt: skip
            if active is not None and row.active != active:
                row.active = active
                audit(session, self.actor, "retire" if retiring else "reinstate", "printer",
                      str(row.id), facility_id=row.facility_id, before={"active": not active},
                      after={"active": active, "reason": checked})  # fmt: skip
            return _printer_info(row, facility_code)

    def set_printer_active(
        self, facility_code: str, printer_id: int, *, active: bool, reason: str = ""
    ) -> PrinterInfo:
        """Retire a printer (``active`` False, with a reason) or offer it again; a no-op when
        it is already so (``update_printer``)."""
        return self.update_printer(
            facility_code, printer_id, PrinterChanges(), active=active, reason=reason
        )

    def get(self, code: str) -> FacilityProfile:
        """Return a facility the actor belongs to (admins: any); NotFound otherwise."""
        with self.platform.sessions() as session:
            f = session.scalar(select(Facility).where(Facility.code == code))
            if f is None or not (self.actor.is_platform_admin or self.actor.belongs_to(f.id)):
                raise NotFound.no_such("facility")
            return FacilityProfile(
                f.code,
                f.name,
                f.facility_type,
                f.location,
                f.census_region,
                f.lab_service_model,
                f.date_order,
            )

    def printers(
        self, facility_code: str | None = None, *, active_only: bool = False
    ) -> list[PrinterInfo]:
        """Return printers of the facilities the actor may see, by facility and label (only
        those in use with ``active_only``, as the case form offers them)."""
        with self.platform.sessions() as session:
            query = select(Printer, Facility.code).join(
                Facility, Facility.id == Printer.facility_id
            )
            if facility_code is not None:
                query = query.where(Facility.code == facility_code)
            if active_only:
                query = query.where(Printer.active.is_(True))
            if not self.actor.is_platform_admin:
                query = query.where(Facility.id.in_(sorted(self.actor.facility_ids)))
            rows = session.execute(query.order_by(Facility.code, Printer.label)).all()
            return [_printer_info(p, code) for p, code in rows]
