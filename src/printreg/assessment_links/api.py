"""API routes of assessment links (the facility's staff): send a case's assessment section to
a clinician, list the sendings by state, revoke and resend. The clinician's side is a page
(``pages.py``), not the API: it needs no account."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, status

from printreg.assessment_links.schemas import (
    AssessmentLinkCreate,
    AssessmentLinkPublic,
    LinkStatus,
)
from printreg.assessment_links.service import AssessmentLinkService
from printreg.web.api.common import api_router
from printreg.web.deps import ActorDep, PlatformDep

router = api_router()
router.tags = ["assessment links"]


@router.post(
    "/registries/{registry}/cases/{case_id}/assessment-links",
    status_code=status.HTTP_201_CREATED,
)
def send_assessment_link(
    registry: str,
    case_id: uuid.UUID,
    body: AssessmentLinkCreate,
    platform: PlatformDep,
    actor: ActorDep,
) -> AssessmentLinkPublic:
    """E-mail the case's user-assessment section to the clinician who used the print; 502 when
    the SMTP server refuses the message."""
    return AssessmentLinkService(platform, actor).send(registry, case_id, body.email)


@router.get("/registries/{registry}/assessment-links")
def list_assessment_links(
    registry: str,
    platform: PlatformDep,
    actor: ActorDep,
    link_status: Annotated[LinkStatus | None, Query(alias="status")] = None,
    case_id: uuid.UUID | None = None,
) -> list[AssessmentLinkPublic]:
    """Return the sendings of the cases the caller may read, newest first."""
    return AssessmentLinkService(platform, actor).links(registry, link_status, case_id)


@router.post("/assessment-links/{link_id}/revoke")
def revoke_assessment_link(
    link_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> AssessmentLinkPublic:
    """Stop an open link at once; 409 when it is answered, expired or revoked already."""
    return AssessmentLinkService(platform, actor).revoke(link_id)


@router.post("/assessment-links/{link_id}/resend", status_code=status.HTTP_201_CREATED)
def resend_assessment_link(
    link_id: uuid.UUID, platform: PlatformDep, actor: ActorDep
) -> AssessmentLinkPublic:
    """Revoke the link when open and e-mail a new one to the same address; return the new one."""
    return AssessmentLinkService(platform, actor).resend(link_id)
