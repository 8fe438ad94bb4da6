"""Queries through the service on a real database: raise (one and many, all or nothing), answer
by a changed value or a confirmation, close, re-open; history, audit, refusals."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select
from tests.support.records import records
from tests.support.web import DATA_MANAGER, HOME, OTHER, REG, REGISTRY_ADMIN, VIEWER

from printreg.accounts.actor import Actor
from printreg.accounts.models import User
from printreg.accounts.service import AccountService
from printreg.cases.service import CaseService
from printreg.demo.service import ensure_demo_accounts
from printreg.domain.errors import Conflict, Forbidden, InvalidRequest, NotFound, ValidationFailed
from printreg.platform import Platform
from printreg.queries.models import Query
from printreg.queries.schemas import QueryTarget
from printreg.queries.service import QueryService, raise_many
from printreg.storage.audit_log import AuditEntry

TEXT = "Scale looks unusual: please check"


def _actor(platform: Platform, email: str) -> Actor:
    with platform.sessions() as session:
        user_id = session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None
    return AccountService(platform).actor_for(user_id)


@pytest.fixture
def world(seeded: Platform) -> tuple[Platform, dict[str, list[uuid.UUID]]]:
    ensure_demo_accounts(seeded, REG, (HOME, OTHER))
    cases = CaseService(seeded, Actor.operator("test"))
    ids = {
        code: [cases.create(REG, code, r).id for r in records(code, 3)] for code in (HOME, OTHER)
    }
    return seeded, ids


def _audit(platform: Platform, query_id: uuid.UUID) -> list[str]:
    with platform.sessions() as session:
        rows = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_type == "query",
                                            AuditEntry.entity_id == str(query_id))
            .order_by(AuditEntry.id)
        )  # fmt: skip
        return list(rows)


def test_a_query_answered_by_a_change_then_closed(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    staff = QueryService(platform, _actor(platform, REGISTRY_ADMIN))
    manager = _actor(platform, DATA_MANAGER)
    case_id = ids[HOME][0]
    query = staff.raise_query(REG, case_id, "prints[1].scale_pct", TEXT)
    assert (query.status, query.raised_side, query.facility) == ("open", "registry", HOME)
    assert query.open_days == 0
    # an update that leaves the field alone does not answer it
    cases = CaseService(platform, manager)
    shown = cases.get(REG, case_id)
    other = {**shown.record, "time_saved_min": (shown.record.get("time_saved_min") or 0) + 1}
    cases.update(REG, case_id, {**other, "status": shown.status})
    assert staff.get(query.id).status == "open"
    # changing the field through the ordinary update answers it, in the same transaction
    shown = cases.get(REG, case_id)
    prints = [dict(p) for p in shown.record["prints"]]
    prints[0]["scale_pct"] = 100 if prints[0].get("scale_pct") != 100 else 90
    cases.update(REG, case_id, {**shown.record, "prints": prints, "status": shown.status})
    answered = staff.get(query.id)
    assert answered.status == "answered"
    assert [e.action for e in answered.history] == ["raise", "change"]
    assert answered.history[1].actor == manager.name
    with pytest.raises(Forbidden):
        QueryService(platform, manager).close(query.id)
    closed = staff.close(query.id)
    assert closed.status == "closed"
    assert _audit(platform, query.id) == ["raise", "notify_raised", "change", "notify_answered",
                                          "close"]  # fmt: skip
    with pytest.raises(Conflict):
        staff.close(query.id)


def test_confirm_with_a_reason_then_reopen(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    staff = QueryService(platform, _actor(platform, REGISTRY_ADMIN))
    manager = QueryService(platform, _actor(platform, DATA_MANAGER))
    query = staff.raise_query(REG, ids[HOME][1], "time_saved_min", TEXT)
    with pytest.raises(Forbidden):
        QueryService(platform, _actor(platform, VIEWER)).confirm(query.id, "It is right")
    confirmed = manager.confirm(query.id, "The surgeon confirmed the figure")
    assert confirmed.status == "answered"
    assert confirmed.history[-1].text == "The surgeon confirmed the figure"
    with pytest.raises(Conflict):
        manager.confirm(query.id, "again")
    reopened = staff.reopen(query.id, "Please give the minutes of the whole procedure")
    assert reopened.status == "open"
    assert [e.action for e in reopened.history] == ["raise", "confirm", "reopen"]
    with pytest.raises(Conflict):
        staff.reopen(query.id, "again")


def test_texts_with_identifiers_are_refused_without_echo(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    staff = QueryService(platform, _actor(platform, REGISTRY_ADMIN))
    identified = "Call John Smith at 555-867-5309, MRN 12345678"
    with pytest.raises(ValidationFailed) as refused:
        staff.raise_query(REG, ids[HOME][0], "time_saved_min", identified)
    said = str(refused.value) + " ".join(i.message for i in refused.value.issues)
    assert {i.rule for i in refused.value.issues} >= {"identifier_phone"}
    for part in ("John", "Smith", "555", "12345678"):
        assert part not in said
    query = staff.raise_query(REG, ids[HOME][0], "time_saved_min", TEXT)
    with pytest.raises(ValidationFailed):
        QueryService(platform, _actor(platform, DATA_MANAGER)).confirm(query.id, identified)
    with pytest.raises(InvalidRequest):
        staff.raise_query(REG, ids[HOME][0], "patient_age_years", "   ")


def test_raise_many_is_all_or_nothing(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    admin = _actor(platform, REGISTRY_ADMIN)
    runtime = platform.registry(REG)
    good = [QueryTarget(c, "time_saved_min") for c in ids[HOME] + ids[OTHER]]
    bad = [*good, QueryTarget(uuid.uuid4(), "time_saved_min")]
    with platform.sessions() as session, session.begin():
        with pytest.raises(NotFound):
            raise_many(session, admin, bad, TEXT, runtime=runtime)
        session.rollback()
    with platform.sessions() as session:
        assert session.scalars(select(Query)).all() == []
    made = QueryService(platform, admin).raise_many(REG, good, TEXT)
    assert [(q.case_id, q.path) for q in made] == [(t.case_id, t.path) for t in good]
    assert {q.facility for q in made} == {HOME, OTHER}
    for q in made:
        assert _audit(platform, q.id) == ["raise", "notify_raised"]
    with pytest.raises(Conflict):  # the same fields again: already open
        QueryService(platform, admin).raise_many(REG, good[:1], TEXT)
    with pytest.raises(InvalidRequest):
        QueryService(platform, admin).raise_many(REG, [good[0], good[0]], TEXT)


def test_facility_people_see_their_own_and_raise_only_there(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    staff = QueryService(platform, _actor(platform, REGISTRY_ADMIN))
    mine = staff.raise_query(REG, ids[HOME][0], "time_saved_min", TEXT)
    theirs = staff.raise_query(REG, ids[OTHER][0], "time_saved_min", TEXT)
    manager = QueryService(platform, _actor(platform, DATA_MANAGER))
    assert [q.id for q in manager.list(REG)] == [mine.id]
    assert {q.id for q in staff.list(REG)} == {mine.id, theirs.id}
    with pytest.raises(NotFound) as hidden:
        manager.get(theirs.id)
    with pytest.raises(NotFound) as missing:
        manager.get(uuid.uuid4())
    assert str(hidden.value) == str(missing.value) == "no such query"
    with pytest.raises(NotFound):
        manager.raise_query(REG, ids[OTHER][1], "time_saved_min", TEXT)
    with pytest.raises(Forbidden):
        QueryService(platform, _actor(platform, VIEWER)).raise_query(
            REG, ids[HOME][1], "time_saved_min", TEXT
        )
    own = manager.raise_query(REG, ids[HOME][1], "time_saved_min", TEXT)
    assert own.raised_side == "facility"
    assert manager.may_settle(own.id)
    assert not manager.may_settle(mine.id)
    assert manager.open_total(REG) == 2
    assert manager.open_counts(REG, [*ids[HOME], *ids[OTHER]]) == {ids[HOME][0]: 1, ids[HOME][1]: 1}
    with pytest.raises(NotFound):
        manager.list(REG, facility=OTHER)


def test_age_counts_days_since_opened_and_filters(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    staff = QueryService(platform, _actor(platform, REGISTRY_ADMIN))
    old = staff.raise_query(REG, ids[HOME][0], "time_saved_min", TEXT)
    new = staff.raise_query(REG, ids[HOME][1], "time_saved_min", TEXT)
    with platform.sessions() as session, session.begin():
        row = session.get_one(Query, old.id)
        row.opened_at = row.opened_at - dt.timedelta(days=20)
    shown = {q.id: q.open_days for q in staff.list(REG)}
    assert shown == {old.id: 20, new.id: 0}
    assert [q.id for q in staff.list(REG, min_days=14)] == [old.id]
    assert [q.id for q in staff.list(REG, facility=HOME)] == [old.id, new.id]


def test_bad_paths_and_deleted_cases_are_refused(world: tuple[Platform, dict]) -> None:
    platform, ids = world
    staff = QueryService(platform, _actor(platform, REGISTRY_ADMIN))
    with pytest.raises(InvalidRequest):
        staff.raise_query(REG, ids[HOME][0], "prints[9].scale_pct", TEXT)
    with pytest.raises(InvalidRequest):
        staff.raise_query(REG, ids[HOME][0], "nothing_like_this", TEXT)
    CaseService(platform, Actor.operator("test")).delete(REG, ids[HOME][2])
    with pytest.raises(Conflict):
        staff.raise_query(REG, ids[HOME][2], "time_saved_min", TEXT)
