"""API routes of governance: registry lifecycle, definition versions and case upgrades,
facility enrollment, committee votes. Each parses input, calls one service, returns a schema."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from printreg.governance import schemas as g
from printreg.governance.committee import CommitteeService
from printreg.governance.enrollment import Contact, EnrollmentService
from printreg.registries.schemas import RegistryPublic
from printreg.registries.service import RegistryService
from printreg.web.api.common import ERRORS
from printreg.web.deps import ActorDep, PlatformDep
from printreg.web.json_body import StrictJsonRoute

router = APIRouter(route_class=StrictJsonRoute, prefix="/api/v1", responses=ERRORS)
REG = "/registries/{registry}"
VersionPath = Annotated[str, Path(max_length=32, pattern=r"^\d+\.\d+\.\d+$")]
FacilityPath = Annotated[str, Path(min_length=1, max_length=32)]
SubjectPath = Annotated[str, Path(min_length=1, max_length=64)]


# -- lifecycle and versions (registry administrators) -------------------------------------------


@router.post(REG + "/lifecycle", tags=["governance"])
def change_lifecycle(
    registry: str, body: g.LifecycleChange, platform: PlatformDep, actor: ActorDep
) -> RegistryPublic:
    """Move the registry to its next lifecycle state; 409 for a move that is not allowed."""
    return RegistryService(platform, actor).set_lifecycle(registry, body.status, body.reason)


@router.get(REG + "/versions", tags=["governance"])
def list_versions(registry: str, platform: PlatformDep, actor: ActorDep) -> list[g.VersionOut]:
    """Return the published definition versions with their case counts (administrators)."""
    return [
        g.VersionOut.model_validate(v) for v in RegistryService(platform, actor).versions(registry)
    ]


@router.post(REG + "/versions", tags=["governance"])
def publish_version(
    registry: str,
    body: g.VersionPublish,
    platform: PlatformDep,
    actor: ActorDep,
    response: Response,
) -> g.MigrationReportOut:
    """Return the migration report of a new version (dry run, the default) or publish it (201);
    409 when the report lists problems."""
    report = RegistryService(platform, actor).publish(
        registry, body.definition, dry_run=body.dry_run
    )
    if report.published:
        response.status_code = status.HTTP_201_CREATED
    return g.MigrationReportOut.model_validate(report)


@router.post(REG + "/versions/{version}/upgrade", tags=["governance"])
def upgrade_to_version(
    registry: str,
    version: VersionPath,
    body: g.UpgradeRequest,
    platform: PlatformDep,
    actor: ActorDep,
) -> g.UpgradeReportOut:
    """Re-validate chosen cases against a version and move the valid ones (not in a dry run)."""
    report = RegistryService(platform, actor).upgrade_cases(
        registry, body.cases, version, dry_run=body.dry_run
    )
    return g.UpgradeReportOut.model_validate(report)


# -- enrollment ---------------------------------------------------------------------------------


@router.post(REG + "/enrollments", tags=["enrollment"], status_code=status.HTTP_201_CREATED)
def apply(
    registry: str, body: g.EnrollmentApply, platform: PlatformDep, actor: ActorDep
) -> g.EnrollmentOut:
    """Apply for a facility to join the registry (its administrators)."""
    contacts = [Contact(**c.model_dump()) for c in body.contacts]
    enrollment = EnrollmentService(platform, actor).apply(
        registry, body.facility, contacts, body.statement
    )
    return g.EnrollmentOut.model_validate(enrollment)


@router.get(REG + "/enrollments", tags=["enrollment"])
def list_applications(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    application_status: Annotated[
        str | None, Query(alias="status", pattern="^(open|approved|declined|withdrawn)$")
    ] = None,
) -> list[g.ApplicationOut]:
    """Return the applications the caller may see (committee and administrators: all)."""
    rows = EnrollmentService(platform, actor).applications(registry, application_status)
    return [g.ApplicationOut.model_validate(a) for a in rows]


@router.get(REG + "/enrollments/{facility}", tags=["enrollment"])
def get_enrollment(
    registry: str, facility: FacilityPath, platform: PlatformDep, actor: ActorDep
) -> g.EnrollmentOut:
    """Return a facility's enrollment: state, agreement, fees and every step so far."""
    return g.EnrollmentOut.model_validate(
        EnrollmentService(platform, actor).get(registry, facility)
    )


@router.post(REG + "/enrollments/{facility}/status", tags=["enrollment"])
def change_enrollment(
    registry: str,
    facility: FacilityPath,
    body: g.EnrollmentStatusChange,
    platform: PlatformDep,
    actor: ActorDep,
) -> g.EnrollmentOut:
    """Activate (agreement date and fees), suspend, reinstate or withdraw a participation."""
    enrollment = EnrollmentService(platform, actor).set_status(
        registry, facility, body.status, agreement_date=body.agreement_date, reason=body.reason
    )
    return g.EnrollmentOut.model_validate(enrollment)


@router.post(REG + "/enrollments/{facility}/decision", tags=["enrollment"])
def decide_enrollment(
    registry: str,
    facility: FacilityPath,
    body: g.EnrollmentDecision,
    platform: PlatformDep,
    actor: ActorDep,
) -> g.EnrollmentOut:
    """Record a decision on the open application (registry administrators)."""
    enrollment = EnrollmentService(platform, actor).decide(
        registry, facility, body.decision == "approve", body.reason
    )
    return g.EnrollmentOut.model_validate(enrollment)


@router.get("/facilities/{facility}/enrollments", tags=["enrollment"])
def facility_enrollments(
    facility: FacilityPath, platform: PlatformDep, actor: ActorDep
) -> list[g.EnrollmentOut]:
    """Return the facility's enrollment in every registry, with its history."""
    return [
        g.EnrollmentOut.model_validate(e)
        for e in EnrollmentService(platform, actor).of_facility(facility)
    ]


# -- committee votes ----------------------------------------------------------------------------


@router.get(REG + "/votes/{subject_type}/{subject_id}", tags=["committee"])
def get_votes(
    registry: str,
    subject_type: SubjectPath,
    subject_id: SubjectPath,
    platform: PlatformDep,
    actor: ActorDep,
) -> g.VotesOut:
    """Return the votes on a subject (committee members and registry administrators)."""
    votes = CommitteeService(platform, actor).votes(registry, subject_type, subject_id)
    return g.VotesOut.model_validate(votes)


@router.put(REG + "/votes/{subject_type}/{subject_id}", tags=["committee"])
def cast_vote(
    registry: str,
    subject_type: SubjectPath,
    subject_id: SubjectPath,
    body: g.VoteIn,
    platform: PlatformDep,
    actor: ActorDep,
) -> g.VotesOut:
    """Cast or change the caller's vote; the decision is taken when the rule is met."""
    votes = CommitteeService(platform, actor).vote(
        registry, subject_type, subject_id, body.vote, body.comment
    )
    return g.VotesOut.model_validate(votes)
