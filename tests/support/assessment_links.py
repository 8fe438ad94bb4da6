"""Helpers of the assessment link tests: a case without its assessment, the link of an e-mail,
and answers for the section, all read from the registry's definition and link spec."""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.assessment_links import tokens
from printreg.assessment_links.models import AssessmentLink
from printreg.assessment_links.spec import link_spec
from printreg.cases.service import CaseService
from printreg.dashboards.service import AnalyticsService
from printreg.dictionary import (
    BooleanElement,
    CodeElement,
    CodesElement,
    DecimalElement,
    Definition,
    IntegerElement,
    TextElement,
)
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.storage.base import utcnow
from tests.support.records import records
from tests.support.smtp import Received
from tests.support.web import REG

if TYPE_CHECKING:
    from playwright.sync_api import Page

LINK = re.compile(r"https?://\S+?(/assess/[A-Za-z0-9._\-]+)")
CLINICIAN = "surgeon@hospital.example"
ASSESSED = "assessed"  # the dashboard's share of cases with a user assessment (analytics.yaml)


def section_names(definition: Definition) -> list[str]:
    """Return the elements of the section a link opens."""
    spec = link_spec(definition)
    assert spec is not None
    return definition.section_elements[spec.section]


def unassessed_case(
    platform: Platform, facility: str, n: int = 1, *, status: str = "complete"
) -> tuple[str, dict[str, Any]]:
    """Store a valid case whose assessment section is empty; return (id, record)."""
    definition = platform.registry(REG).current
    names = set(section_names(definition))
    record = {k: v for k, v in records(facility, n, status=status)[n - 1].items()
              if k not in names}  # fmt: skip
    # letters only: a run of digits could look like a record number to the identifier scan
    record["local_case_id"] = "AL-" + "".join(
        secrets.choice(string.ascii_uppercase) for _ in range(8)
    )
    saved = CaseService(platform, Actor.operator("test")).create(REG, facility, record)
    return str(saved.id), record


def link_path(message: Received) -> str:
    """Return the path of the link in an e-mail (``/assess/<token>``)."""
    found = LINK.search(message.text())
    assert found is not None, "no link in the message"
    return found.group(1)


def answer_for(element: Any) -> str | None:
    """Return a valid form value for one element of the section (None: leave it empty)."""
    if isinstance(element, CodeElement | CodesElement):
        return None
    if isinstance(element, IntegerElement | DecimalElement):
        low = int(element.min) if element.min is not None else 0
        high = int(element.max) if element.max is not None else low + 10
        return str(max(low, min(high, 4)))
    if isinstance(element, BooleanElement):
        return "true"
    if isinstance(element, TextElement):
        return "The model made the approach clearer."
    return None


def form_answers(definition: Definition, names: list[str]) -> dict[str, str]:
    """Return form fields answering every element of ``names`` (codes: the first code)."""
    out: dict[str, str] = {}
    for name in names:
        element = definition.elements[name]
        if isinstance(element, CodeElement | CodesElement):
            out[name] = definition.value_set_for(element).values[0].code
        elif (value := answer_for(element)) is not None:
            out[name] = value
    return out


def fill_section(page: Page, definition: Definition) -> list[str]:
    """Answer, in the form open on ``page`` (the link's page or the case form), every element
    of the link's section that the page shows as an open field (codes: the first code; a field
    hidden or disabled by its condition is left); return the names answered."""
    shown = [(n, page.locator(f"#f-{n}")) for n in section_names(definition)]
    names = [n for n, f in shown if f.count() and f.is_visible() and f.is_enabled()]
    answers = form_answers(definition, names)
    for name, value in answers.items():
        field = page.locator(f"#f-{name}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    return list(answers)


def assessed_share(platform: Platform, facility: str) -> dict[str, Any]:
    """Return the facility's own figure of the dashboard's assessed share (``n`` cases, ``x``
    assessed, share ``p``), from the dashboard service."""
    dashboard = AnalyticsService(platform, Actor.operator("test")).facility_dashboard(REG, facility)
    found = next(m for m in dashboard.model_dump()["measures"] if m["measure"] == ASSESSED)
    figure: dict[str, Any] = found["facility"]
    return figure


def operator_view(platform: Platform, case_id: str) -> Any:
    """Return the case as the operator reads it."""
    return CaseService(platform, Actor.operator("test")).get(REG, uuid.UUID(case_id))


def stored_link(platform: Platform, facility: str, case_id: str) -> str:
    """Store an open sending of a case without e-mailing it (its secret is thrown away);
    return its id. For tests that need a link of some facility to probe."""
    link_id = uuid.uuid4()
    with platform.sessions.begin() as session:
        facility_id = session.scalar(select(Facility.id).where(Facility.code == facility))
        assert facility_id is not None
        session.add(
            AssessmentLink(
                id=link_id, registry_code=REG, case_id=uuid.UUID(case_id),
                facility_id=facility_id, section="probe", contact_email=CLINICIAN,
                token_hash=tokens.new_token(platform.settings, link_id)[1], status="sent",
                sent_by="test", sent_at=utcnow(), expires_at=utcnow() + dt.timedelta(days=1),
            )
        )  # fmt: skip
    return str(link_id)
