"""Whether a registry takes cases from a facility: the one check every case write makes."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from printreg.domain.errors import Conflict, NotFound
from printreg.domain.facility import EnrollmentStatus
from printreg.domain.governance import ACCEPTS_CASES, Lifecycle
from printreg.facilities.models import Facility, Participation
from printreg.registries.models import Registry

#: the registry's lifecycle and the facility's participation status (None when it has not
#: applied), in one round trip: every case write asks, so the statement is built once
_ADMISSION = (
    select(Registry.lifecycle, Participation.status)
    .outerjoin(
        Participation,
        (Participation.registry_id == Registry.id)
        & (Participation.facility_id == bindparam("facility_id")),
    )
    .where(Registry.code == bindparam("registry_code"))
)


#: a facility by code with the registry's lifecycle and the facility's participation status,
#: in one round trip (a create asks for all three): (Facility, lifecycle, status) or no row
FACILITY_ADMISSION = (
    select(
        Facility.id, Facility.code, Facility.date_order, Registry.lifecycle, Participation.status
    )
    .select_from(Facility)
    .join(Registry, Registry.code == bindparam("registry_code"))
    .outerjoin(
        Participation,
        (Participation.registry_id == Registry.id) & (Participation.facility_id == Facility.id),
    )
    .where(Facility.code == bindparam("code"))
)


def require_accepting(session: Session, registry_code: str, facility: Facility) -> None:
    """Raise Conflict, naming the state, unless the registry is pilot or active and the
    facility is active in it (applied, suspended, withdrawn... facilities submit nothing).

    Called by every path that creates, replaces or imports cases, after authorization (so that
    another facility's state is never revealed)."""
    row = session.execute(
        _ADMISSION, {"registry_code": registry_code, "facility_id": facility.id}
    ).one_or_none()
    if row is None:
        raise NotFound(f"no registry with code {registry_code!r}")
    check_accepting(registry_code, facility.code, row.lifecycle, row.status)


def check_accepting(
    registry_code: str, facility_code: str, lifecycle: str, status: str | None
) -> None:
    """Raise Conflict as ``require_accepting`` does, from the registry's lifecycle and the
    facility's participation status already read (``FACILITY_ADMISSION``)."""
    if lifecycle not in ACCEPTS_CASES:
        raise Conflict(
            f"registry {registry_code} is {lifecycle}: only "
            f"{Lifecycle.PILOT} and {Lifecycle.ACTIVE} registries accept cases"
        )
    if status != EnrollmentStatus.ACTIVE:
        state = f"is {status} in" if status else "has not enrolled in"
        raise Conflict(
            f"facility {facility_code} {state} registry {registry_code}: only facilities "
            "active in a registry submit cases to it"
        )
