"""API routes of data quality: stored scores and findings, queueing an evaluation."""

from __future__ import annotations

from printreg.quality.schemas import (
    EvaluationQueued,
    FacilityQuality,
    QualityOverview,
    QueriesRaise,
    QueriesRaised,
)
from printreg.quality.service import QualityService
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()
router.tags = ["quality"]
BASE = "/registries/{registry}/quality"


@router.get(BASE)
def overview(registry: str, platform: PlatformDep, actor: ActorDep) -> QualityOverview:
    """Return the latest scores of every facility the caller reads, and their sum: the whole
    registry for registry staff."""
    return QualityService(platform, actor).overview(registry)


@router.get(BASE + "/facilities/{facility}")
def facility_quality(
    registry: str, facility: str, platform: PlatformDep, actor: ActorDep
) -> FacilityQuality:
    """Return a facility's latest quality results: scores overall and per rule, the trend by
    quarter of case dates, and the findings grouped by rule (whoever reads its cases)."""
    return QualityService(platform, actor).facility(registry, facility)


@router.post(BASE + "/evaluate", status_code=202)
def evaluate(registry: str, platform: PlatformDep, actor: ActorDep) -> EvaluationQueued:
    """Queue an evaluation of the registry's rules now (registry staff, facility data
    managers); a worker runs it and stores the results the pages read."""
    return QualityService(platform, actor).queue_evaluation(registry)


@router.post(BASE + "/facilities/{facility}/rules/{rule}/queries", status_code=201)
def raise_queries(
    registry: str,
    facility: str,
    rule: str,
    body: QueriesRaise,
    platform: PlatformDep,
    actor: ActorDep,
) -> QueriesRaised:
    """Raise one query with the same text on every finding of a rule at the facility (or on
    the chosen cases' findings), in one transaction: registry staff and the facility's data
    managers. Fields with an open query already are skipped."""
    return QualityService(platform, actor).raise_queries(
        registry, facility, rule, body.case_ids, body.text
    )
