"""The life of a data request: submitted → approved or declined → extract ready → expired."""

from __future__ import annotations

from enum import StrEnum

from printreg.domain.errors import Conflict


class RequestStatus(StrEnum):
    """Where a data request is; declined and expired are final."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    DECLINED = "declined"
    EXTRACT_READY = "extract_ready"
    EXPIRED = "expired"


TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.SUBMITTED: frozenset({RequestStatus.APPROVED, RequestStatus.DECLINED}),
    RequestStatus.APPROVED: frozenset({RequestStatus.EXTRACT_READY}),
    RequestStatus.DECLINED: frozenset(),
    RequestStatus.EXTRACT_READY: frozenset({RequestStatus.EXPIRED}),
    RequestStatus.EXPIRED: frozenset(),
}


def check_transition(current: str, wanted: RequestStatus) -> RequestStatus:
    """Return the wanted status; Conflict saying why when it may not follow the current one."""
    now = RequestStatus(current)
    if wanted not in TRANSITIONS[now]:
        if now in {RequestStatus.DECLINED, RequestStatus.EXPIRED}:
            raise Conflict(f"the request is {now}, which is final")
        raise Conflict(f"a request that is {now.replace('_', ' ')} cannot become "
                       f"{wanted.replace('_', ' ')}")  # fmt: skip
    return wanted
