"""Queries (data clarification requests) on case fields: raise one or many, answer by changing
the value or by confirming it, close, re-open; every step audited and kept as history.

States: ``open`` → ``answered`` (the facility changed the value through the ordinary audited case
update — ``answer_changed_fields``, called by ``CaseService.update`` in its transaction — or
confirmed it with a reason) → ``closed`` by the side that raised it, or ``open`` again when it
re-opens it with a text. Who may do what is asked of ``Actor`` (``accounts/actor.py``): a query
is seen by whoever sees its case, so another facility's query is "no such query", exactly as
an unknown id. Texts are scanned for patient identifiers with the scanner the case free texts
use; a text holding one is refused with a message that names the kind, never the text.

``raise_many`` and the ``_notify_*`` hooks are module functions on a caller's session, so other
features (quality rules) raise queries inside their own transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.cases.service import locate_case
from printreg.domain.errors import Conflict, InvalidRequest, NotFound, ValidationFailed
from printreg.domain.facility import Role
from printreg.domain.issues import Issue
from printreg.facilities.models import Facility
from printreg.notifications.batches import gather
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import facility_staff
from printreg.platform import Platform, RegistryRuntime
from printreg.privacy import describe, scan_text
from printreg.queries.models import Query, QueryEvent
from printreg.queries.paths import check_path, value_at
from printreg.queries.schemas import (
    BULK_MAX,
    TEXT_MAX,
    QueryAction,
    QueryDetail,
    QueryEventPublic,
    QueryPublic,
    QuerySide,
    QueryState,
    QueryTarget,
)
from printreg.storage.base import utcnow
from printreg.validation.shape import to_json_record

ENTITY = "query"  # the audit log's entity type of queries
LIST_LIMIT = 1000


def _aware(value: dt.datetime) -> dt.datetime:
    """Return a stored time with its UTC offset (SQLite gives it back without one)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def checked_text(text: str, field: str = "text") -> str:
    """Return a query's text (a question, a reason, a re-opening) trimmed; InvalidRequest when
    empty or too long, ValidationFailed (rule ``identifier_<kind>``, the kind named, the text
    never repeated) when it seems to hold a patient identifier."""
    text = text.strip()
    if not text:
        raise InvalidRequest(f"write the query's {field}")
    if len(text) > TEXT_MAX:
        raise InvalidRequest(f"the query's {field} has at most {TEXT_MAX} characters")
    kinds = list(dict.fromkeys(f.kind for f in scan_text(text)))
    if kinds:
        issues = [
            Issue("error", "", field, f"identifier_{kind}",
                  f"remove {describe(kind)}: queries must carry no patient identifiers")
            for kind in kinds
        ]  # fmt: skip
        raise ValidationFailed(issues, "the text seems to hold a patient identifier")
    return text


def _open_days(row: Query, now: dt.datetime) -> int | None:
    if row.status != QueryState.OPEN:
        return None
    return max(0, (now - _aware(row.opened_at)).days)


def _public(row: Query, facility_code: str, now: dt.datetime) -> QueryPublic:
    return QueryPublic(
        id=row.id,
        registry=row.registry_code,
        facility=facility_code,
        case_id=row.case_id,
        local_case_id=row.local_case_id,
        path=row.path,
        status=QueryState(row.status),
        text=row.text,
        raised_side=QuerySide(row.raised_side),
        raised_by=row.raised_by,
        raised_at=_aware(row.raised_at),
        opened_at=_aware(row.opened_at),
        updated_at=_aware(row.updated_at),
        open_days=_open_days(row, now),
    )


def _detail(session: Session, row: Query, now: dt.datetime) -> QueryDetail:
    facility = session.get(Facility, row.facility_id)
    events = session.scalars(
        select(QueryEvent).where(QueryEvent.query_id == row.id).order_by(QueryEvent.id)
    )
    history = [
        QueryEventPublic(at=_aware(e.at), actor=e.actor, action=QueryAction(e.action),
                         status=QueryState(e.status), text=e.text)
        for e in events
    ]  # fmt: skip
    public = _public(row, facility.code if facility else "", now)
    return QueryDetail(**public.model_dump(), history=history)


def _step(
    session: Session,
    actor: Actor,
    row: Query,
    action: QueryAction,
    status: QueryState,
    text: str,
    now: dt.datetime,
) -> None:
    """Move a query to ``status``: its history row and its audit row, in the caller's session."""
    before = row.status
    row.status = status.value
    row.updated_at = now
    if status == QueryState.OPEN:
        row.opened_at = now
    session.add(QueryEvent(query_id=row.id, at=now, actor=actor.name, action=action.value,
                           status=status.value, text=text))  # fmt: skip
    audit(session, actor, action.value, ENTITY, str(row.id), registry_code=row.registry_code,
          facility_id=row.facility_id, before={"status": before},
          after={"status": status.value, "case_id": str(row.case_id), "path": row.path,
                 "text": text})  # fmt: skip


#: who is told of a query raised on a facility's case
STAFF = (Role.DATA_MANAGER, Role.FACILITY_ADMIN)


# -- notification hooks: one per event, audited and notified ------------------------------------


def _notify_raised(session: Session, actor: Actor, query: QueryPublic) -> None:
    """Tell the facility's data managers and administrators (not the raiser) that a query was
    raised on one of its cases; the queries raised in one transaction (a bulk raise) make one
    notification per facility. Audited as ``notify_raised``, naming the query, never its text
    or a case value; the notification names only codes."""
    audit(session, actor, "notify_raised", ENTITY, str(query.id),
          registry_code=query.registry, after={"facility": query.facility})  # fmt: skip
    facility_id = session.scalar(select(Facility.id).where(Facility.code == query.facility))
    if facility_id is None:
        return
    staff = facility_staff(session, query.registry, facility_id, STAFF)
    people = tuple(p for p in staff if p != actor.user_id)
    where = f"facility {query.facility} (registry {query.registry})"
    gather(session, NotificationKind.QUERY_RAISED, people,
           (f"A query was raised on a case at {where}", f"/queries/{query.id}"),
           (f"{{count}} queries were raised on cases at {where}",
            f"/registries/{query.registry}/queries?facility={query.facility}"))  # fmt: skip


def _notify_answered(session: Session, actor: Actor, query: Query) -> None:
    """Tell the raiser that their query was answered (by a change or a confirmation), unless
    they answered it themselves; the answers of one transaction make one notification.
    Audited as ``notify_answered``, naming the query and who raised it."""
    audit(session, actor, "notify_answered", ENTITY, str(query.id),
          registry_code=query.registry_code, facility_id=query.facility_id,
          after={"raised_by": query.raised_by})  # fmt: skip
    raiser = query.raised_by_user_id
    if raiser is None or raiser == actor.user_id:
        return
    facility = session.get(Facility, query.facility_id)
    code = facility.code if facility is not None else ""
    where = f"facility {code} (registry {query.registry_code})"
    gather(session, NotificationKind.QUERY_ANSWERED, (raiser,),
           (f"A query you raised on a case at {where} was answered", f"/queries/{query.id}"),
           (f"{{count}} queries you raised on cases at {where} were answered",
            f"/registries/{query.registry_code}/queries?facility={code}&status=answered"))  # fmt: skip


# -- raising ------------------------------------------------------------------------------------------


def raise_many(
    session: Session,
    actor: Actor,
    targets: Sequence[QueryTarget | tuple[uuid.UUID, str]],
    text: str,
    *,
    runtime: RegistryRuntime,
    now: dt.datetime | None = None,
) -> list[QueryPublic]:
    """Raise one query with the same ``text`` on each (case id, field path) of ``targets`` in
    the caller's session and transaction; return the created queries in the order of targets.

    All or nothing: the first refusal raises and the caller's transaction must roll back —
    NotFound ("no such case") for a case the actor may not read or that does not exist,
    Forbidden for an actor who may not raise queries there (``Actor.require_query_raise``),
    InvalidRequest for a path the case's definition does not have (``paths.check_path``), an
    empty or too long text, no target, more than ``BULK_MAX`` targets or a (case, path) given
    twice, ValidationFailed when the text seems to hold a patient identifier, Conflict for a
    deleted case or a field that already has an open query. ``runtime`` is the registry's
    (``platform.registry(code)``): every case must be one of its cases. Each query gets one
    audit row (``raise``), one history row and one ``_notify_raised`` call.
    """
    text = checked_text(text)
    pairs = [QueryTarget(uuid.UUID(str(c)), str(p).strip()) for c, p in targets]
    if not pairs:
        raise InvalidRequest("name at least one case field to raise a query on")
    if len(pairs) > BULK_MAX:
        raise InvalidRequest(f"raise at most {BULK_MAX} queries at once")
    if len(set(pairs)) != len(pairs):
        raise InvalidRequest("a case field is named twice: raise one query per field")
    now = now or utcnow()
    side = QuerySide.REGISTRY if actor.oversees_queries(runtime.code) else QuerySide.FACILITY
    open_now = _open_fields(session, runtime.code, {p.case_id for p in pairs})
    created: list[QueryPublic] = []
    codes: dict[int, str] = {}
    for number, (case_id, asked) in enumerate(pairs, start=1):
        case = locate_case(session, runtime, actor, case_id)
        actor.require_query_raise(runtime.code, case.facility_id)
        if case.deleted_at is not None:
            raise Conflict(f"target {number}: the case is deleted: restore it first")
        definition = runtime.definitions[case.definition_version]
        path = check_path(definition, asked, to_json_record(definition, case.record))
        if (case_id, path) in open_now:
            raise Conflict(f"target {number}: that field already has an open query")
        row = Query(
            id=uuid.uuid4(),
            registry_code=runtime.code,
            facility_id=case.facility_id,
            case_id=case_id,
            local_case_id=str(case.record.get("local_case_id", "")),
            path=path,
            status=QueryState.OPEN.value,
            text=text,
            raised_side=side.value,
            raised_by=actor.name,
            raised_by_user_id=actor.user_id,
            raised_at=now,
            opened_at=now,
            updated_at=now,
        )
        session.add(row)
        session.add(QueryEvent(query_id=row.id, at=now, actor=actor.name,
                               action=QueryAction.RAISE.value, status=row.status, text=text))  # fmt: skip
        if case.facility_id not in codes:
            facility = session.get(Facility, case.facility_id)
            codes[case.facility_id] = facility.code if facility else ""
        view = _public(row, codes[case.facility_id], now)
        audit(session, actor, QueryAction.RAISE.value, ENTITY, str(row.id),
              registry_code=runtime.code, facility_id=case.facility_id,
              after={"status": row.status, "case_id": str(case_id), "path": path,
                     "text": text})  # fmt: skip
        _notify_raised(session, actor, view)
        created.append(view)
    session.flush()
    return created


def _open_fields(
    session: Session, registry: str, case_ids: Iterable[uuid.UUID]
) -> set[tuple[uuid.UUID, str]]:
    wanted = list(case_ids)
    rows = session.execute(
        select(Query.case_id, Query.path).where(
            Query.registry_code == registry,
            Query.case_id.in_(wanted),
            Query.status == QueryState.OPEN.value,
        )
    )
    return {(r[0], r[1]) for r in rows}


# -- the hook of the case update ------------------------------------------------------------------


def answer_changed_fields(
    session: Session,
    actor: Actor,
    registry: str,
    case_id: uuid.UUID,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> list[uuid.UUID]:
    """Mark answered (``change``) every open query of the case whose field's value differs
    between the case's JSON snapshots before and after an update; return their ids.

    ``CaseService.update`` calls it in the update's transaction, after its audit row, so the
    answer commits with the change or not at all."""
    rows = session.scalars(
        select(Query).where(
            Query.registry_code == registry,
            Query.case_id == case_id,
            Query.status == QueryState.OPEN.value,
        )
    ).all()
    answered = []
    now = utcnow()
    for row in rows:
        if value_at(before, row.path) != value_at(after, row.path):
            _step(session, actor, row, QueryAction.CHANGE, QueryState.ANSWERED, "", now)
            _notify_answered(session, actor, row)
            answered.append(row.id)
    return answered


# -- the service ------------------------------------------------------------------------------------


class QueryService:
    """The query use cases for one actor; each opens its own transaction."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    def _now(self) -> dt.datetime:
        return self.platform.clock()

    def _load(self, session: Session, query_id: uuid.UUID) -> Query:
        """Return a query the actor sees; NotFound ("no such query") for unknown and unseen."""
        row = session.get(Query, query_id)
        if row is None:
            raise NotFound.no_such("query")
        self.actor.require_query_read(row.registry_code, row.facility_id)
        return row

    def raise_query(self, registry: str, case_id: uuid.UUID, path: str, text: str) -> QueryDetail:
        """Raise one query on a case field; the refusals of ``raise_many``."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session, session.begin():
            (view,) = raise_many(session, self.actor, [QueryTarget(case_id, path)], text,
                                 runtime=runtime, now=self._now())  # fmt: skip
            return _detail(session, session.get_one(Query, view.id), self._now())

    def raise_many(
        self, registry: str, targets: Sequence[QueryTarget], text: str
    ) -> list[QueryPublic]:
        """Raise the same query on many case fields in one transaction (``raise_many``)."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session, session.begin():
            return raise_many(session, self.actor, targets, text, runtime=runtime,
                              now=self._now())  # fmt: skip

    def get(self, query_id: uuid.UUID) -> QueryDetail:
        """Return a query with its history; NotFound ("no such query") when unseen."""
        with self.platform.sessions() as session:
            return _detail(session, self._load(session, query_id), self._now())

    def for_case(self, registry: str, case_id: uuid.UUID) -> list[QueryDetail]:
        """Return every query of a case, oldest first; NotFound ("no such case") when unseen."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session:
            locate_case(session, runtime, self.actor, case_id)
            rows = session.scalars(
                select(Query)
                .where(Query.registry_code == registry, Query.case_id == case_id)
                .order_by(Query.raised_at, Query.id)
            ).all()
            return [_detail(session, row, self._now()) for row in rows]

    def _facility_id(self, session: Session, registry: str, code: str) -> int:
        facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None or not self.actor.may_read_cases(registry, facility.id):
            raise NotFound.no_such("facility")
        return facility.id

    def list(
        self,
        registry: str,
        *,
        facility: str | None = None,
        status: QueryState | None = None,
        min_days: int | None = None,
    ) -> list[QueryPublic]:
        """Return the queries the actor sees in a registry (a facility's people: their
        facilities'; registry staff: all), by facility code then oldest first; filtered by
        facility code (NotFound when unseen), state and at least ``min_days`` open days."""
        self.platform.registry(registry)
        readable = self.actor.readable_facilities(registry)
        now = self._now()
        with self.platform.sessions() as session:
            query = (
                select(Query, Facility.code)
                .join(Facility, Facility.id == Query.facility_id)
                .where(Query.registry_code == registry)
            )
            if readable is not None:
                query = query.where(Query.facility_id.in_(readable))
            if facility:
                query = query.where(
                    Query.facility_id == self._facility_id(session, registry, facility)
                )
            if status is not None:
                query = query.where(Query.status == status.value)
            if min_days is not None:
                query = query.where(
                    Query.status == QueryState.OPEN.value,
                    Query.opened_at <= now - dt.timedelta(days=min_days),
                )
            query = query.order_by(Facility.code, Query.opened_at, Query.id).limit(LIST_LIMIT)
            return [_public(row, code, now) for row, code in session.execute(query)]

    def open_counts(self, registry: str, case_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Return the number of open queries of each of the cases the actor sees (cases with
        none left out): the case list's badges."""
        readable = self.actor.readable_facilities(registry)
        with self.platform.sessions() as session:
            query = (
                select(Query.case_id, func.count())
                .where(
                    Query.registry_code == registry,
                    Query.case_id.in_(list(case_ids)),
                    Query.status == QueryState.OPEN.value,
                )
                .group_by(Query.case_id)
            )
            if readable is not None:
                query = query.where(Query.facility_id.in_(readable))
            return {row[0]: int(row[1]) for row in session.execute(query)}

    def open_total(self, registry: str, facility: str | None = None) -> int:
        """Return how many open queries the actor sees (at one facility, when given)."""
        readable = self.actor.readable_facilities(registry)
        with self.platform.sessions() as session:
            query = select(func.count()).where(
                Query.registry_code == registry, Query.status == QueryState.OPEN.value
            )
            if readable is not None:
                query = query.where(Query.facility_id.in_(readable))
            if facility:
                query = query.where(
                    Query.facility_id == self._facility_id(session, registry, facility)
                )
            return int(session.scalar(query) or 0)

    def may_settle(self, query_id: uuid.UUID) -> bool:
        """Return whether the actor may close or re-open the query (NotFound when unseen)."""
        with self.platform.sessions() as session:
            row = self._load(session, query_id)
            return self.actor.may_settle_query(row.registry_code, row.raised_side,
                                               row.raised_by_user_id)  # fmt: skip

    def confirm(self, query_id: uuid.UUID, reason: str) -> QueryDetail:
        """Answer an open query by confirming the stored value with a reason (scanned like the
        question); Forbidden unless the actor may answer, Conflict unless it is open."""
        reason = checked_text(reason, "reason")
        with self.platform.sessions() as session, session.begin():
            row = self._load(session, query_id)
            self.actor.require_query_answer(row.registry_code, row.facility_id)
            if row.status != QueryState.OPEN:
                raise Conflict(f"the query is {row.status}: only an open query is answered")
            _step(session, self.actor, row, QueryAction.CONFIRM, QueryState.ANSWERED, reason,
                  self._now())  # fmt: skip
            _notify_answered(session, self.actor, row)
            return _detail(session, row, self._now())

    def close(self, query_id: uuid.UUID) -> QueryDetail:
        """Close an open or answered query (its raiser's side); Conflict when already closed."""
        with self.platform.sessions() as session, session.begin():
            row = self._load(session, query_id)
            self.actor.require_query_settle(row.registry_code, row.facility_id, row.raised_side,
                                            row.raised_by_user_id)  # fmt: skip
            if row.status == QueryState.CLOSED:
                raise Conflict("the query is already closed")
            _step(session, self.actor, row, QueryAction.CLOSE, QueryState.CLOSED, "",
                  self._now())  # fmt: skip
            return _detail(session, row, self._now())

    def reopen(self, query_id: uuid.UUID, text: str) -> QueryDetail:
        """Re-open an answered or closed query with a text saying what is still unclear (its
        raiser's side); Conflict when it is open."""
        text = checked_text(text)
        with self.platform.sessions() as session, session.begin():
            row = self._load(session, query_id)
            self.actor.require_query_settle(row.registry_code, row.facility_id, row.raised_side,
                                            row.raised_by_user_id)  # fmt: skip
            if row.status == QueryState.OPEN:
                raise Conflict("the query is open: it is re-opened once answered or closed")
            _step(session, self.actor, row, QueryAction.REOPEN, QueryState.OPEN, text,
                  self._now())  # fmt: skip
            return _detail(session, row, self._now())
