"""Research data requests: submission, feasibility, the decision, the extract, downloads, expiry.

Who may do what (``Actor``): researchers of a registry submit and see their own requests and
download their own extracts; the registry's administrators and committee see every request of
the registry; the committee votes and the administrators decide (or record the committee's
decision); only administrators read the download log. Requests of others are NotFound, actions
on a visible request that the role may not take are Forbidden, and a registry-wide list is
Forbidden to anyone without a role in it (sponsors, facility staff). API tokens act on one
facility's cases and get nothing here.

Time comes from ``platform.clock``, so expiry can be tested without waiting.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.accounts.models import RegistryRole, User
from printreg.audit import audit
from printreg.domain.errors import (
    Conflict,
    Forbidden,
    Gone,
    InvalidRequest,
    NotFound,
    ValidationFailed,
)
from printreg.domain.facility import RegistryRoleName
from printreg.domain.governance import VoteChoice
from printreg.governance.committee import CommitteeService
from printreg.governance.models import CommitteeVote
from printreg.jobs import tasks
from printreg.jobs.models import TaskJob
from printreg.jobs.schemas import TaskOut
from printreg.platform import Platform
from printreg.registries.models import Registry
from printreg.requests import extract_job
from printreg.requests.decisions import SUBJECT, record_decision
from printreg.requests.extracts import (
    CODEBOOK_FILE,
    EXTRACT_FILE,
    build_extract,
    feasibility_counts,
)
from printreg.requests.models import DataRequest, DataRequestDownload
from printreg.requests.schemas import DataRequestPublic, DownloadOut
from printreg.research import (
    RequestStatus,
    check_request,
    check_transition,
    new_secret,
    releasable_elements,
    stratum_elements,
)

ExtractFileName = Literal["extract", "codebook"]
TITLE_MAX = 200
FILES: dict[str, tuple[str, str]] = {
    "extract": (EXTRACT_FILE, "application/vnd.apache.parquet"),
    "codebook": (CODEBOOK_FILE, "application/json"),
}


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Return a stored time with its UTC offset (SQLite gives it back without one)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


@dataclass(frozen=True)
class RequestDraft:
    """What a researcher asks for: aims, elements, and the strata and period of the cases."""

    title: str
    aims: str
    elements: Sequence[str]
    strata: dict[str, list[str]] = field(default_factory=dict)
    period_from: dt.date | None = None
    period_to: dt.date | None = None


@dataclass(frozen=True)
class RequestChoices:
    """What a request may ask for: releasable elements (path, label, group label or ''),
    stratum elements (name, label, [(code, label)]) and the case date of the period."""

    elements: list[tuple[str, str, str]]
    strata: list[tuple[str, str, list[tuple[str, str]]]]
    case_date: str | None


@dataclass
class ExtractFile:
    """An open file of an extract, ready to stream; the caller closes ``handle``."""

    filename: str
    media_type: str
    size: int
    handle: BinaryIO


_PREPARING = "the extract is being prepared: download it once the request is extract ready"


class DataRequestService:
    """The data-request use cases for one actor.

    An approval queues the extract's build as a job (``requests.extract_job``); with
    ``build_now`` (the command line, and the job itself) it is built at once in this process.
    """

    def __init__(self, platform: Platform, actor: Actor, *, build_now: bool = False) -> None:
        self.platform = platform
        self.actor = actor
        self.now_builds = build_now

    # -- who ------------------------------------------------------------------------------------

    def _now(self) -> dt.datetime:
        return self.platform.clock()

    def _person(self) -> None:
        if self.actor.scopes is not None:
            raise Forbidden("API tokens act on one facility's cases: sign in to work with "
                            "data requests")  # fmt: skip

    def _roles(self, registry: str) -> frozenset[str]:
        return frozenset(self.actor.registry_roles.get(registry, frozenset()))

    def _researcher(self, registry: str) -> bool:
        return RegistryRoleName.RESEARCHER in self._roles(registry)

    def _oversees(self, registry: str) -> bool:
        """Return whether the actor sees every request of the registry (admins, committee)."""
        return self.actor.administers(registry) or self.actor.on_committee(registry)

    def _visible(self, row: DataRequest) -> bool:
        own = self.actor.user_id is not None and row.requester_id == self.actor.user_id
        return own or self._oversees(row.registry_code)

    def _load(self, session: Session, request_id: uuid.UUID) -> DataRequest:
        self._person()
        row = session.get(DataRequest, request_id)
        if row is None or not self._visible(row):
            raise NotFound.no_such("data request")
        return row

    def _folder(self, request_id: uuid.UUID) -> Path:
        return Path(self.platform.settings.data_dir) / "requests" / str(request_id)

    # -- views ----------------------------------------------------------------------------------

    def _votes(self, session: Session, row: DataRequest) -> dict[str, int]:
        found = dict(
            session.execute(
                select(CommitteeVote.vote, func.count())
                .where(
                    CommitteeVote.subject_type == SUBJECT, CommitteeVote.subject_id == str(row.id)
                )
                .group_by(CommitteeVote.vote)
            ).all()
        )
        return {choice.value: int(found.get(choice.value, 0)) for choice in VoteChoice}

    def _view(self, session: Session, row: DataRequest) -> DataRequestPublic:
        requester = session.get(User, row.requester_id)
        return DataRequestPublic(
            id=row.id,
            registry=row.registry_code,
            requester=requester.email if requester else "",
            title=row.title,
            aims=row.aims,
            elements=list(row.elements),
            strata={k: list(v) for k, v in row.strata.items()},
            period_from=row.period_from,
            period_to=row.period_to,
            status=RequestStatus(row.status),
            submitted_at=_aware(row.submitted_at) or row.submitted_at,
            approved_elements=list(row.approved_elements) if row.approved_elements else None,
            decided_at=_aware(row.decided_at),
            decided_by=row.decided_by,
            decision_note=row.decision_note,
            votes=self._votes(session, row),
            extract_rows=row.extract_rows,
            extract_bytes=row.extract_bytes,
            extract_ready_at=_aware(row.extract_ready_at),
            expires_at=_aware(row.expires_at),
            expired_at=_aware(row.expired_at),
            extract_job=self._extract_job(session, row),
        )

    @staticmethod
    def _extract_job(session: Session, row: DataRequest) -> TaskOut | None:
        """Return the newest job that built (or builds) the request's extract; None if none."""
        found = session.scalars(
            select(TaskJob)
            .where(TaskJob.kind == extract_job.KIND, TaskJob.subject == str(row.id))
            .order_by(TaskJob.created_at.desc())
            .limit(1)
        ).first()
        return None if found is None else tasks.view(found)

    # -- submit and read ------------------------------------------------------------------------

    def _requester(self, session: Session, registry: str, email: str | None) -> int:
        """Return the requesting person's id: the actor, or (operator) the named researcher."""
        if not self.actor.system:
            if not self._researcher(registry) or self.actor.user_id is None:
                raise Forbidden(f"only researchers of registry {registry} submit data requests")
            return self.actor.user_id
        if not email:
            raise InvalidRequest("the operator submits for a researcher: name them by e-mail")
        found = session.execute(
            select(User.id)
            .join(RegistryRole, RegistryRole.user_id == User.id)
            .join(Registry, Registry.id == RegistryRole.registry_id)
            .where(func.lower(User.email) == email.strip().lower(), Registry.code == registry,
                   RegistryRole.role == RegistryRoleName.RESEARCHER.value)
        ).scalar()  # fmt: skip
        if found is None:
            raise NotFound(f"no researcher of registry {registry} with that e-mail address")
        return int(found)

    def submit(
        self, registry: str, draft: RequestDraft, requester_email: str | None = None
    ) -> DataRequestPublic:
        """Check and store a new request; ValidationFailed lists every element or stratum refused.

        The operator submits for a researcher named by ``requester_email``.
        """
        self._person()
        definition = self.platform.registry(registry).current
        if not draft.title.strip() or not draft.aims.strip():
            raise InvalidRequest("give the study a title and describe its aims")
        if len(draft.title.strip()) > TITLE_MAX:
            raise InvalidRequest(f"shorten the title to at most {TITLE_MAX} characters")
        checked = check_request(definition, draft.elements, draft.strata, draft.period_from,
                                draft.period_to)  # fmt: skip
        with self.platform.sessions() as session, session.begin():
            requester = self._requester(session, registry, requester_email)
            if checked.issues:
                raise ValidationFailed(checked.issues, "the data request cannot be accepted")
            row = DataRequest(
                id=uuid.uuid4(),
                registry_code=registry,
                requester_id=requester,
                title=draft.title.strip(),
                aims=draft.aims.strip(),
                elements=checked.elements,
                strata=checked.strata,
                period_from=draft.period_from,
                period_to=draft.period_to,
                status=RequestStatus.SUBMITTED.value,
                submitted_at=self._now(),
                decision_note="",
            )
            session.add(row)
            session.flush()
            view = self._view(session, row)
            audit(session, self.actor, "submit", SUBJECT, str(row.id), registry_code=registry,
                  after=_audited(view))  # fmt: skip
        return view

    def _require_registry_role(self, registry: str) -> None:
        if not (self._researcher(registry) or self._oversees(registry)):
            raise Forbidden(f"only researchers, the committee and administrators of registry "
                            f"{registry} work with data requests")  # fmt: skip

    def choices(self, registry: str) -> RequestChoices:
        """Return what a request may ask for under the registry's current definition."""
        self._person()
        definition = self.platform.registry(registry).current
        self._require_registry_role(registry)
        elements = [(e.path, e.label, e.group.label if e.group else "")
                    for e in releasable_elements(definition).values()]  # fmt: skip
        strata = [
            (name, element.label,
             [(v.code, v.label) for v in definition.value_set_for(element).values])
            for name, element in stratum_elements(definition).items()
        ]  # fmt: skip
        return RequestChoices(elements, strata, definition.case_date)

    def requests(self, registry: str, status: str | None = None) -> list[DataRequestPublic]:
        """Return the registry's requests the actor sees, newest first (researchers: their own).

        Forbidden to anyone who is neither researcher, committee member nor administrator.
        """
        self._person()
        self.platform.registry(registry)
        self._require_registry_role(registry)
        self.expire_due(registry)
        query = select(DataRequest).where(DataRequest.registry_code == registry)
        if not self._oversees(registry):
            query = query.where(DataRequest.requester_id == self.actor.user_id)
        if status:
            query = query.where(DataRequest.status == status)
        with self.platform.sessions() as session:
            rows = session.scalars(query.order_by(DataRequest.submitted_at.desc())).all()
            return [self._view(session, row) for row in rows]

    def get(self, request_id: uuid.UUID) -> DataRequestPublic:
        """Return a request the actor may see; NotFound otherwise (expired ones are marked so)."""
        self._expire_if_due(request_id)
        with self.platform.sessions() as session:
            return self._view(session, self._load(session, request_id))

    def feasibility(self, request_id: uuid.UUID) -> dict[str, Any]:
        """Return the request's matching case counts by stratum, small counts suppressed and the
        others perturbed (cell-key method)."""
        with self.platform.sessions() as session:
            row = self._load(session, request_id)
            runtime = self.platform.registry(row.registry_code)
            threshold = self.platform.settings.suppression_threshold
            secret = self.platform.settings.record_key_secret()
            return feasibility_counts(session, runtime, row, threshold, secret)

    # -- deciding -------------------------------------------------------------------------------

    def vote(self, request_id: uuid.UUID, choice: str, comment: str = "") -> DataRequestPublic:
        """Cast or change a committee member's vote (``governance.committee``); when the votes
        decide under the settings' rule and quorum, an approval builds the extract at once."""
        with self.platform.sessions() as session:
            registry = self._load(session, request_id).registry_code
        committee = CommitteeService(self.platform, self.actor)
        committee.vote(registry, SUBJECT, str(request_id), choice, comment)
        return self._build_if_approved(request_id)

    def decide(
        self,
        request_id: uuid.UUID,
        approve: bool,
        elements: Sequence[str] | None = None,
        note: str = "",
    ) -> DataRequestPublic:
        """Approve (optionally fewer elements than asked) or decline a submitted request
        (registry administrators, recording the committee's decision); approval builds the
        extract at once."""
        with self.platform.sessions() as session, session.begin():
            row = self._load(session, request_id)
            if not self.actor.administers(row.registry_code):
                raise Forbidden("only the registry's administrators record a decision; "
                                "committee members vote")  # fmt: skip
            record_decision(session, self.actor, row, approve=approve, elements=elements,
                            note=note, by=self.actor.name, now=self._now())  # fmt: skip
        return self._build_if_approved(request_id)

    def _build_if_approved(self, request_id: uuid.UUID) -> DataRequestPublic:
        view = self.get(request_id)
        return self._extract(request_id) if view.status == RequestStatus.APPROVED else view

    def _extract(self, request_id: uuid.UUID) -> DataRequestPublic:
        """Build the extract now (``build_now``) or queue its build; return the request."""
        if self.now_builds:
            return self.build_now(request_id)
        with self.platform.sessions() as session:
            row = self._load(session, request_id)
        extract_job.queue_build(self.platform, self.actor, row)
        return self.get(request_id)

    # -- the extract ----------------------------------------------------------------------------

    def prepare_extract(self, request_id: uuid.UUID) -> DataRequestPublic:
        """Build again the extract of an approved request whose build failed (registry
        administrators); return the request (extract_ready, or with its build job queued)."""
        with self.platform.sessions() as session:
            row = self._load(session, request_id)
            if not self.actor.administers(row.registry_code):
                raise Forbidden("only the registry's administrators build extracts")
        return self._extract(request_id)

    def build_now(self, request_id: uuid.UUID) -> DataRequestPublic:
        """Write the extract and its codebook in this process, start the expiry clock and tell
        the requester (``on_extract_ready``); return the request, now extract_ready."""
        with self.platform.sessions() as session, session.begin():
            row = self._load(session, request_id)
            check_transition(row.status, RequestStatus.EXTRACT_READY)
            runtime = self.platform.registry(row.registry_code)
            now = self._now()
            expires = now + dt.timedelta(days=self.platform.settings.data_request_days)
            row.pseudonym_key = new_secret()
            about = {"id": str(row.id), "title": row.title, "approved_at": _iso(row.decided_at),
                     "expires_at": _iso(expires)}  # fmt: skip
            threshold = self.platform.settings.suppression_threshold
            secret = self.platform.settings.record_key_secret()
            built = build_extract(
                session, runtime, row, self._folder(row.id), about, threshold, now, secret
            )
            row.status = RequestStatus.EXTRACT_READY.value
            row.extract_rows, row.extract_bytes = built
            row.extract_ready_at, row.expires_at = now, expires
            audit(session, self.actor, "extract", SUBJECT, str(row.id),
                  registry_code=row.registry_code,
                  after={"rows": built[0], "bytes": built[1], "expires_at": _iso(expires)})  # fmt: skip
            extract_job.on_extract_ready(session, self.actor, row)
        return self.get(request_id)

    def open_file(self, request_id: uuid.UUID, which: ExtractFileName) -> ExtractFile:
        """Open the extract or its codebook for download and log the download.

        Only the requester (or the operator) downloads; Gone once the extract has expired.
        """
        self._expire_if_due(request_id)
        view = self.get(request_id)
        if view.status == RequestStatus.APPROVED:
            # approved by committee votes cast elsewhere and never queued: queue the build now.
            # A build already queued, running or just finished is not queued again.
            if view.extract_job is None:
                view = self._extract(request_id)
                if not self.now_builds:  # queued: this download does not wait for the build
                    raise Conflict(_PREPARING)
            elif view.extract_job.status == "failed":
                raise Conflict("the extract could not be built: the registry's administrators "
                               "can build it again")  # fmt: skip
            if view.status == RequestStatus.APPROVED:
                raise Conflict(_PREPARING)
        name, media_type = FILES[which]
        with self.platform.sessions() as session, session.begin():
            row = self._load(session, request_id)
            own = self.actor.user_id is not None and row.requester_id == self.actor.user_id
            if not (own or self.actor.system):
                raise Forbidden("only the researcher who asked downloads the extract")
            if row.status == RequestStatus.EXPIRED:
                raise Gone(f"the extract expired on {_iso(row.expired_at)} and was deleted")
            if row.status != RequestStatus.EXTRACT_READY:
                raise Conflict(f"there is no extract: the request is "
                               f"{row.status.replace('_', ' ')}")  # fmt: skip
            path = self._folder(row.id) / name
            try:
                handle = path.open("rb")
            except FileNotFoundError:
                raise Gone("the extract's files are missing: ask the registry team") from None
            size = path.stat().st_size
            session.add(DataRequestDownload(request_id=row.id, user_id=self.actor.user_id,
                                            actor=self.actor.name, at=self._now(), file=which,
                                            bytes=size))  # fmt: skip
            audit(session, self.actor, "download", SUBJECT, str(row.id),
                  registry_code=row.registry_code, after={"file": which, "bytes": size})  # fmt: skip
        filename = f"request-{row.id}-{name}"
        return ExtractFile(filename, media_type, size, handle)

    def downloads(self, request_id: uuid.UUID) -> list[DownloadOut]:
        """Return the request's download log, oldest first (registry administrators)."""
        with self.platform.sessions() as session:
            row = self._load(session, request_id)
            if not self.actor.administers(row.registry_code):
                raise Forbidden("only the registry's administrators read the download log")
            logged = session.scalars(
                select(DataRequestDownload)
                .where(DataRequestDownload.request_id == row.id)
                .order_by(DataRequestDownload.id)
            ).all()
            return [DownloadOut(at=_aware(d.at) or d.at, actor=d.actor, user_id=d.user_id,
                                file=d.file, bytes=d.bytes) for d in logged]  # fmt: skip

    # -- expiry ---------------------------------------------------------------------------------

    def _expire(self, session: Session, row: DataRequest, now: dt.datetime) -> None:
        check_transition(row.status, RequestStatus.EXPIRED)
        shutil.rmtree(self._folder(row.id), ignore_errors=True)
        row.status, row.expired_at, row.pseudonym_key = RequestStatus.EXPIRED.value, now, None
        audit(session, Actor.operator("expiry"), "expire", SUBJECT, str(row.id),
              registry_code=row.registry_code,
              after={"status": row.status, "expires_at": _iso(row.expires_at)})  # fmt: skip

    def _expire_if_due(self, request_id: uuid.UUID) -> None:
        now = self._now()
        with self.platform.sessions() as session, session.begin():
            row = session.get(DataRequest, request_id)
            expires = _aware(row.expires_at) if row is not None else None
            ready = row is not None and row.status == RequestStatus.EXTRACT_READY
            if row is not None and ready and expires is not None and now >= expires:
                self._expire(session, row, now)

    def expire_due(self, registry: str | None = None) -> list[uuid.UUID]:
        """Expire every extract past its expiry (its files deleted); return the requests'
        ids. Runs on every list, and from ``printreg request expire``."""
        now = self._now()
        query = select(DataRequest).where(
            DataRequest.status == RequestStatus.EXTRACT_READY.value,
            DataRequest.expires_at <= now,
        )
        if registry is not None:
            query = query.where(DataRequest.registry_code == registry)
        with self.platform.sessions() as session, session.begin():
            rows = session.scalars(query).all()
            for row in rows:
                self._expire(session, row, now)
            return [row.id for row in rows]


def _iso(value: dt.datetime | None) -> str | None:
    found = _aware(value)
    return found.isoformat(timespec="seconds") if found else None


def _audited(view: DataRequestPublic) -> dict[str, Any]:
    return {"title": view.title, "elements": view.elements, "strata": view.strata,
            "period_from": view.period_from.isoformat() if view.period_from else None,
            "period_to": view.period_to.isoformat() if view.period_to else None,
            "status": view.status}  # fmt: skip
