"""Quality use cases with authorization: evaluate and store, queue an evaluation, read results.

Who sees what: a facility's results (scores and findings, which name case ids) go to whoever
may read its cases; registry staff (who see every facility of the registry) also get the
registry-wide summary. Another facility's results are not found, never forbidden. Evaluating
now is for the operator and the scheduled job; queueing it, for registry staff and the people
who may change a facility's cases. Pages and the API read stored results only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.domain.errors import Forbidden, InvalidRequest, NotFound
from printreg.facilities.models import Facility
from printreg.platform import Platform
from printreg.quality.models import QualityFinding, QualityRun, QualityScore
from printreg.quality.rules import QualitySpec, shipped_spec
from printreg.quality.schemas import (
    Evaluated,
    EvaluationOut,
    EvaluationQueued,
    FacilityQuality,
    FacilityScore,
    FindingOut,
    QualityOverview,
    QuarterScore,
    QueriesRaised,
    RuleFindings,
    Score,
)

#: the job kind of an evaluation (queued on demand and by the workers on a schedule)
JOB_KIND = "quality-evaluate"
#: findings listed per rule on a page or in an answer (``count`` says how many there are)
SHOWN = 500
OVERALL = "Any rule"


def _share(cases: int, flagged: int) -> float | None:
    return None if cases == 0 else round(1 - flagged / cases, 4)


class QualityService:
    """Quality results of one registry as one actor may see and change them."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    # -- evaluating ----------------------------------------------------------------------------

    def spec(self, registry: str) -> QualitySpec:
        """Return the registry's rules, checked against its current definition (NotFound for
        an unknown registry)."""
        return shipped_spec(self.platform.registry(registry).current)

    def evaluate(self, registry: str) -> EvaluationOut:
        """Evaluate every rule over the registry's cases and replace its stored results;
        return what was found (Forbidden unless the operator or a registry administrator)."""
        if not (self.actor.system or self.actor.administers(registry)):
            raise Forbidden(f"only administrators of registry {registry} may evaluate its rules")
        from printreg.quality.evaluate import evaluate, scores  # noqa: PLC0415 - polars
        from printreg.quality.frames import load_cases  # noqa: PLC0415

        runtime = self.platform.registry(registry)
        spec = shipped_spec(runtime.current)
        now = self.platform.clock()
        with self.platform.engine.connect() as connection:
            frame = load_cases(connection, runtime.tables, runtime.current, spec)
        findings = evaluate(spec, frame, runtime.current, now)
        scored = scores(spec, frame, findings)
        with self.platform.sessions.begin() as session:
            session.execute(delete(QualityFinding).where(QualityFinding.registry_code == registry))
            session.execute(delete(QualityScore).where(QualityScore.registry_code == registry))
            session.execute(delete(QualityRun).where(QualityRun.registry_code == registry))
            rows = [
                {**row, "registry_code": registry, "case_id": uuid.UUID(row["case_id"])}
                for row in findings.iter_rows(named=True)
            ]
            for start in range(0, len(rows), 5000):
                session.execute(insert(QualityFinding), rows[start : start + 5000])
            score_rows = [
                {**row, "registry_code": registry} for row in scored.iter_rows(named=True)
            ]
            if score_rows:
                session.execute(insert(QualityScore), score_rows)
            session.add(
                QualityRun(
                    registry_code=registry,
                    evaluated_at=now,
                    rules_version=spec.version,
                    definition_version=runtime.current.version,
                    cases=frame.height,
                    findings=findings.height,
                )
            )
        return EvaluationOut(
            registry=registry,
            rules_version=spec.version,
            cases=frame.height,
            findings=findings.height,
            evaluated_at=now,
        )

    def queue_evaluation(self, registry: str) -> EvaluationQueued:
        """Queue a job that evaluates the registry's rules now; return its id (Forbidden unless
        registry staff or someone who may change a facility's cases in the registry)."""
        self.platform.registry(registry)
        writes = any(
            self.actor.may_write_cases(registry, f)
            for f in self.actor.memberships.get(registry, {})
        )
        if not (self.actor.administers(registry) or writes):
            raise Forbidden("only registry staff and facility data managers may re-evaluate")
        from printreg.jobs import queue  # noqa: PLC0415

        with self.platform.sessions.begin() as session:
            job_id = queue.enqueue(
                session,
                JOB_KIND,
                {"registry": registry},
                max_attempts=self.platform.settings.job_attempts,
            )
        return EvaluationQueued(registry=registry, job_id=job_id)

    # -- reading -------------------------------------------------------------------------------

    def _facility(self, session: Session, registry: str, code: str) -> Facility:
        """Return the facility the actor may read in the registry; NotFound for others alike."""
        facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None or not self.actor.may_read_cases(registry, facility.id):
            raise NotFound.no_such("facility")
        return facility

    def _evaluated(self, session: Session, registry: str) -> Evaluated | None:
        run = session.get(QualityRun, registry)
        if run is None:
            return None
        return Evaluated(
            evaluated_at=run.evaluated_at,
            rules_version=run.rules_version,
            definition_version=run.definition_version,
        )

    def _scores(
        self, session: Session, registry: str, facility_ids: Sequence[int] | None
    ) -> list[QualityScore]:
        statement = select(QualityScore).where(QualityScore.registry_code == registry)
        if facility_ids is not None:
            statement = statement.where(QualityScore.facility_id.in_(list(facility_ids)))
        return list(session.scalars(statement))

    def _summary(
        self, spec: QualitySpec, rows: Iterable[QualityScore]
    ) -> tuple[Score, list[Score], list[QuarterScore]]:
        """Return the overall score, the score of each rule and the overall trend by quarter."""
        totals: dict[str | None, list[int]] = {None: [0, 0]}
        totals.update({r.id: [0, 0] for r in spec.rules})
        quarters: dict[str, list[int]] = {}
        for row in rows:
            if row.rule_id in totals:
                totals[row.rule_id][0] += row.cases
                totals[row.rule_id][1] += row.flagged
            if row.rule_id is None:
                quarter = quarters.setdefault(row.quarter, [0, 0])
                quarter[0] += row.cases
                quarter[1] += row.flagged
        overall = Score(rule_id=None, label=OVERALL, kind="any", cases=totals[None][0],
                        flagged=totals[None][1], score=_share(*totals[None]))  # fmt: skip
        per_rule = [
            Score(rule_id=r.id, label=r.label, kind=r.kind, cases=totals[r.id][0],
                  flagged=totals[r.id][1], score=_share(*totals[r.id]))
            for r in spec.rules
        ]  # fmt: skip
        trend = [
            QuarterScore(quarter=q, cases=c, flagged=f, score=_share(c, f))
            for q, (c, f) in sorted(quarters.items())
        ]
        return overall, per_rule, trend

    def facility(self, registry: str, code: str) -> FacilityQuality:
        """Return a facility's stored results (NotFound for a facility the actor may not read,
        or an unknown one); empty before the first evaluation."""
        spec = self.spec(registry)
        with self.platform.sessions() as session:
            facility = self._facility(session, registry, code)
            rows = self._scores(session, registry, [facility.id])
            overall, per_rule, trend = self._summary(spec, rows)
            findings = [
                self._rule_findings(session, registry, facility.id, rule.id, rule.label, rule.kind)
                for rule in spec.rules
            ]
            return FacilityQuality(
                registry=registry,
                facility=facility.code,
                facility_name=facility.name,
                evaluated=self._evaluated(session, registry),
                overall=overall,
                rules=per_rule,
                trend=trend,
                findings=[f for f in findings if f.count],
            )

    def _rule_findings(
        self, session: Session, registry: str, facility_id: int, rule: str, label: str, kind: str
    ) -> RuleFindings:
        where = (
            QualityFinding.registry_code == registry,
            QualityFinding.facility_id == facility_id,
            QualityFinding.rule_id == rule,
        )
        from sqlalchemy import func  # noqa: PLC0415

        count = session.scalar(select(func.count()).select_from(QualityFinding).where(*where)) or 0
        shown = session.scalars(
            select(QualityFinding).where(*where).order_by(QualityFinding.id).limit(SHOWN)
        )
        return RuleFindings(
            rule_id=rule,
            label=label,
            kind=kind,
            count=count,
            findings=[FindingOut.model_validate(f) for f in shown],
        )

    def overview(self, registry: str) -> QualityOverview:
        """Return the scores of every facility the actor reads in the registry, and their sum
        (registry-wide for registry staff)."""
        spec = self.spec(registry)
        readable = self.actor.readable_facilities(registry)
        with self.platform.sessions() as session:
            rows = self._scores(session, registry, readable)
            overall, per_rule, trend = self._summary(spec, rows)
            ids = {r.facility_id for r in rows} | set(readable or [])
            names = {f.id: f for f in session.scalars(select(Facility).where(Facility.id.in_(ids)))}
            facilities = [
                self._facility_score(names[f], [r for r in rows if r.facility_id == f])
                for f in sorted(ids, key=lambda i: names[i].code)
                if f in names
            ]
            return QualityOverview(
                registry=registry,
                registry_wide=readable is None,
                evaluated=self._evaluated(session, registry),
                overall=overall,
                rules=per_rule,
                trend=trend,
                facilities=facilities,
            )

    @staticmethod
    def _facility_score(facility: Facility, rows: list[QualityScore]) -> FacilityScore:
        cases = sum(r.cases for r in rows if r.rule_id is None)
        flagged = sum(r.flagged for r in rows if r.rule_id is None)
        return FacilityScore(facility=facility.code, facility_name=facility.name, cases=cases,
                             flagged=flagged, score=_share(cases, flagged))  # fmt: skip

    def raise_queries(
        self, registry: str, code: str, rule: str, case_ids: Sequence[uuid.UUID] | None, text: str
    ) -> QueriesRaised:
        """Raise one query with ``text`` on each finding of the rule at the facility (only the
        chosen cases when given), in one transaction; fields that already have an open query,
        and cases deleted since the evaluation, are skipped. NotFound for an unreadable facility
        or an unknown rule; InvalidRequest when nothing is left to query; the queries service's
        own refusals (who may raise, identifiers in the text) otherwise."""
        from printreg.queries.models import Query  # noqa: PLC0415 - only for this action
        from printreg.queries.schemas import BULK_MAX, QueryState  # noqa: PLC0415
        from printreg.queries.service import raise_many  # noqa: PLC0415

        found = self.targets(registry, code, rule, case_ids)
        runtime = self.platform.registry(registry)
        main = runtime.tables.main
        with self.platform.sessions() as session, session.begin():
            wanted = list({case for case, _ in found})
            live = set(
                session.scalars(
                    select(main.c.id).where(main.c.id.in_(wanted), main.c.deleted_at.is_(None))
                )
            )
            open_now = {
                (row[0], row[1])
                for row in session.execute(
                    select(Query.case_id, Query.path).where(
                        Query.registry_code == registry,
                        Query.case_id.in_(wanted),
                        Query.status == QueryState.OPEN.value,
                    )
                )
            }
            targets = [t for t in found if t[0] in live and t not in open_now]
            if not targets:
                raise InvalidRequest("no finding of this rule is left to query")
            now = self.platform.clock()
            for start in range(0, len(targets), BULK_MAX):
                raise_many(session, self.actor, targets[start : start + BULK_MAX], text,
                           runtime=runtime, now=now)  # fmt: skip
        return QueriesRaised(raised=len(targets), skipped=len(found) - len(targets))

    def targets(
        self, registry: str, code: str, rule: str, case_ids: Sequence[uuid.UUID] | None
    ) -> list[tuple[uuid.UUID, str]]:
        """Return (case id, field path) of the rule's stored findings at the facility, only the
        chosen cases when given (NotFound for an unreadable facility or an unknown rule)."""
        if rule not in self.spec(registry).by_id:
            raise NotFound.no_such("rule")
        with self.platform.sessions() as session:
            facility = self._facility(session, registry, code)
            statement = select(QualityFinding.case_id, QualityFinding.field_path).where(
                QualityFinding.registry_code == registry,
                QualityFinding.facility_id == facility.id,
                QualityFinding.rule_id == rule,
            )
            if case_ids is not None:
                statement = statement.where(QualityFinding.case_id.in_(list(case_ids)))
            found: list[Any] = list(session.execute(statement.order_by(QualityFinding.id)))
        return list(dict.fromkeys((row[0], row[1]) for row in found))
