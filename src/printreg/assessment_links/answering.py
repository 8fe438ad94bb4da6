"""The clinician's side of a link: open the section, answer it once, through the case's own
validation and audited update.

Nobody is signed in: the link's token is the only credential. Every way a token can fail —
tampered, unknown, used, expired, revoked, another link's secret, a case since locked or
deleted — raises the same :class:`LinkNotValid`, so the page never says which. The answer is
validated as the case form's would be (``CaseService.update``: identifiers scanned in free
text, rules, derived values, audit), by an actor named ``clinician by link <sending id>`` that
may change only this one case (the service is only ever given its id). The link is claimed
before the case is written and released again when the answer is refused, so two submissions
of one link cannot both be stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from printreg.accounts.actor import Actor
from printreg.assessment_links import tokens
from printreg.assessment_links.models import AssessmentLink
from printreg.assessment_links.schemas import OPEN, LinkStatus
from printreg.assessment_links.service import aware, require_spec
from printreg.assessment_links.spec import AssessmentLinkSpec
from printreg.cases.schemas import CasePublic
from printreg.cases.service import CaseService
from printreg.dictionary import Definition, GroupElement
from printreg.domain.errors import Conflict, NotFound, RegistryError, ValidationFailed
from printreg.domain.facility import CaseStatus, Role, Scope
from printreg.domain.issues import Issue
from printreg.facilities.models import Facility, Printer
from printreg.platform import Platform
from printreg.validation import ValidationContext, validate_record

ANSWER_NEEDED = "answer the questions of this section before sending"


class LinkNotValid(RegistryError):  # noqa: N818 - reads as the condition it names
    """The link does not open anything (the same words whatever the reason)."""

    def __init__(self) -> None:
        super().__init__("this link is not valid")


def link_actor(row: AssessmentLink) -> Actor:
    """Return the actor of an answer: the audit names the sending, never the clinician."""
    return Actor(
        name=f"clinician by link {row.id}",
        memberships={row.registry_code: {row.facility_id: Role.DATA_MANAGER}},
        scopes=frozenset({Scope.CASES_READ, Scope.CASES_WRITE}),
    )


@dataclass(frozen=True)
class Identification:
    """What tells the clinician which print is meant: coded labels and a quarter, no identifier."""

    facility: str
    facts: list[tuple[str, str]]


@dataclass(frozen=True)
class OpenLink:
    """An open link's section, ready for the page."""

    link_id: uuid.UUID
    definition: Definition
    section: str
    names: list[str]  # the section's elements that apply to this case, in form order
    values: dict[str, Any]  # their stored values (JSON shape)
    identification: Identification
    expires_at: dt.datetime


def applicable(definition: Definition, section: str, record: Mapping[str, Any]) -> list[str]:
    """Return the section's elements whose ``applies_when`` holds for the stored record."""
    members = definition.section_elements[section]

    def filled(code: str) -> bool:
        return any(record.get(n) not in (None, []) for n in definition.section_elements[code])

    names = []
    for name in members:
        condition = definition.elements[name].applies_when
        if condition is None or condition.evaluate(record.get, filled):
            names.append(name)
    return names


def _quarter(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return f"{day.year} Q{(day.month - 1) // 3 + 1}"


def identification(
    definition: Definition, spec: AssessmentLinkSpec, record: Mapping[str, Any], facility: str
) -> Identification:
    """Return the labels of the spec's coded elements and the quarter of its date."""
    facts: list[tuple[str, str]] = []
    for name in spec.identify:
        element = definition.elements[name]
        value = record.get(name)
        if value in (None, []) or isinstance(element, GroupElement):
            continue
        value_set = definition.value_set_for(element)
        codes = value if isinstance(value, list) else [value]
        facts.append((element.label, ", ".join(value_set.label_of(str(c)) for c in codes)))
    if spec.quarter_of is not None:
        quarter = _quarter(record.get(spec.quarter_of))
        if quarter is not None:
            facts.append((definition.elements[spec.quarter_of].label, f"in {quarter}"))
    return Identification(facility, facts)


class LinkAnswers:
    """Open and answer links by their token (no account)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def _row(self, token: str) -> AssessmentLink:
        """Return the open link a token opens; LinkNotValid for every other token."""
        read = tokens.read_token(self.platform.settings, token)
        if read is None:
            raise LinkNotValid
        link_id, hashed = read
        with self.platform.sessions() as session:
            row = session.get(AssessmentLink, link_id)
            if row is not None:
                session.expunge(row)
        # the hash is compared even for an unknown id, so that both take the same time
        stored = row.token_hash if row is not None else "0" * 64
        matches = tokens.same_hash(stored, hashed)
        if row is None or not matches or row.status not in OPEN:
            raise LinkNotValid
        if aware(row.expires_at) <= self.platform.clock():
            raise LinkNotValid
        return row

    def _case(self, row: AssessmentLink) -> CasePublic:
        try:
            case = CaseService(self.platform, link_actor(row)).get(row.registry_code, row.case_id)
        except NotFound:
            raise LinkNotValid from None
        if case.deleted_at is not None or case.status == CaseStatus.LOCKED:
            raise LinkNotValid
        return case

    def open(self, token: str) -> OpenLink:
        """Return the section a token opens; LinkNotValid otherwise."""
        row = self._row(token)
        case = self._case(row)
        runtime = self.platform.registry(row.registry_code)
        definition = runtime.current
        spec = require_spec(runtime)
        names = applicable(definition, spec.section, case.record)
        return OpenLink(
            link_id=row.id,
            definition=definition,
            section=spec.section,
            names=names,
            values={n: case.record[n] for n in names if n in case.record},
            identification=identification(definition, spec, case.record, case.facility),
            expires_at=aware(row.expires_at),
        )

    def answer(self, token: str, answers: Mapping[str, Any]) -> uuid.UUID:
        """Store the answers in the case as its form would, once; return the sending's id.

        LinkNotValid when the token opens nothing; ValidationFailed (the link stays open) when
        the answers are refused, listing every issue."""
        row = self._row(token)
        self._claim(row)
        try:
            self._store(row, answers)
        except BaseException:
            self._release(row)
            raise
        return row.id

    def _claim(self, row: AssessmentLink) -> None:
        """Mark the link answered, or raise LinkNotValid when another answer got there first."""
        with self.platform.sessions.begin() as session:
            done = session.execute(
                update(AssessmentLink)
                .where(AssessmentLink.id == row.id, AssessmentLink.status == row.status,
                       AssessmentLink.token_hash == row.token_hash)
                .values(status=LinkStatus.ANSWERED.value, answered_at=self.platform.clock(),
                        closed_at=self.platform.clock(), closed_by=link_actor(row).name)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise LinkNotValid

    def _release(self, row: AssessmentLink) -> None:
        """Open the link again after a refused answer."""
        with self.platform.sessions.begin() as session:
            session.execute(
                update(AssessmentLink)
                .where(AssessmentLink.id == row.id,
                       AssessmentLink.status == LinkStatus.ANSWERED.value)
                .values(status=row.status, answered_at=None, closed_at=None, closed_by=None)
                .execution_options(synchronize_session=False)
            )  # fmt: skip

    def _store(self, row: AssessmentLink, answers: Mapping[str, Any]) -> None:
        case = self._case(row)
        runtime = self.platform.registry(row.registry_code)
        definition = runtime.current
        spec = require_spec(runtime)
        names = applicable(definition, spec.section, case.record)
        given = {n: answers[n] for n in names if answers.get(n) not in (None, "", [])}
        if not given:
            raise ValidationFailed([Issue("error", "", "", "answer_needed", ANSWER_NEEDED)])
        members = set(definition.section_elements[spec.section])
        record = {k: v for k, v in case.record.items() if k not in members}
        record = {**record, **given, "status": case.status}
        self._require_whole_section(row, definition, members, record)
        actor = link_actor(row)
        try:
            CaseService(self.platform, actor).update(
                row.registry_code, row.case_id, record, expected_version=case.row_version
            )
        except (NotFound, Conflict):
            raise LinkNotValid from None

    def _require_whole_section(
        self,
        row: AssessmentLink,
        definition: Definition,
        members: set[str],
        record: Mapping[str, Any],
    ) -> None:
        """Refuse an answer that leaves out what the section requires once filled, even on a
        draft case (whose form would only warn): the clinician answers once."""
        with self.platform.sessions() as session:
            facility = session.get(Facility, row.facility_id)
            assert facility is not None  # noqa: S101 - a foreign key guarantees it
            printers = session.scalars(select(Printer).where(Printer.facility_id == facility.id))
            context = ValidationContext(
                facility.code,
                {p.label: p.technology for p in printers},
                date_order=facility.date_order,
            )
        result = validate_record(record, definition, context, mode="complete")
        mine = [
            issue
            for issue in result.issues
            if issue.severity == "error" and issue.path.split("[")[0].split(".")[0] in members
        ]
        if mine:
            raise ValidationFailed(mine)
