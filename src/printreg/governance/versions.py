"""Definition versions: what publishing one would change, and moving stored cases onto it.

``migration_report`` compares a new version with the stored ones (tables and columns it adds,
elements it retires, value-set codes) and re-validates every stored case against it, counting
the cases that would be invalid by rule and field. ``upgrade`` re-validates chosen cases against
a stored version and, unless it is a dry run, moves the valid ones (one audit row per case).
Both read cases facility by facility in pages of ``PAGE`` cases, so memory stays flat. When the
new version replaces free-text elements by coded ones (its declared ``upgrades``), each case is
mapped first (:func:`printreg.dictionary.upgrades.apply_upgrades`) and both reports count the
values per code taken (:class:`MappingCount`), never the texts themselves.

A version is published only when it is higher than the current one, whatever its content.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.dictionary import Change, Definition, diff_definitions
from printreg.dictionary.upgrades import Mapped, apply_upgrades
from printreg.domain.errors import Conflict
from printreg.domain.facility import CaseStatus
from printreg.domain.issues import Issue
from printreg.facilities.models import Facility, Printer
from printreg.platform import Platform, RegistryRuntime
from printreg.storage.base import utcnow
from printreg.storage.case_tables import CaseTables, build_case_tables
from printreg.storage.cases import StoredCase
from printreg.storage.schema import checksum
from printreg.validation import ValidationContext, ValidationResult, validate_record
from printreg.validation.shape import to_json_record

PAGE = 500
_ROW = re.compile(r"\[\d+\]")
Selection = Sequence[uuid.UUID] | Literal["all"]


@dataclass(frozen=True)
class IssueCount:
    """How many cases break one rule at one field (rows of groups counted together)."""

    rule: str
    field: str
    cases: int
    example: str  # one message, which never repeats a value


@dataclass(frozen=True)
class MappingCount:
    """How many stored texts of a replaced element took one code (counts, never the texts)."""

    element: str  # the coded element (``prints.material_family``)
    code: str
    matched: bool  # False: nothing matched; the texts went to "other" and its specify-text
    values: int


@dataclass(frozen=True)
class ColumnAdded:
    """A column that publishing adds to a case table."""

    table: str
    column: str
    type: str


@dataclass
class MigrationReport:
    """What publishing a definition version does, and what it would do to stored cases."""

    registry: str
    from_version: str | None
    to_version: str
    dry_run: bool
    published: bool = False
    problems: list[str] = field(default_factory=list)  # why it cannot be published
    changes: list[Change] = field(default_factory=list)
    tables_added: list[str] = field(default_factory=list)
    columns_added: list[ColumnAdded] = field(default_factory=list)
    elements_added: list[str] = field(default_factory=list)
    elements_retired: list[str] = field(default_factory=list)
    elements_replaced: list[str] = field(default_factory=list)
    value_set_changes: list[Change] = field(default_factory=list)
    cases_checked: int = 0
    cases_invalid: int = 0
    issues: list[IssueCount] = field(default_factory=list)
    mappings: list[MappingCount] = field(default_factory=list)


@dataclass(frozen=True)
class CaseNotMoved:
    """A case that stays on its version, and why."""

    id: uuid.UUID
    facility: str | None
    local_case_id: str | None
    definition_version: str | None
    reason: str
    issues: list[Issue] = field(default_factory=list)


@dataclass
class UpgradeReport:
    """The outcome of moving cases to a version: how many moved (or would), which could not."""

    registry: str
    to_version: str
    dry_run: bool
    requested: int = 0
    moved: int = 0
    not_moved: list[CaseNotMoved] = field(default_factory=list)
    issues: list[IssueCount] = field(default_factory=list)
    mappings: list[MappingCount] = field(default_factory=list)


class _IssueCounter:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str]] = Counter()
        self.examples: dict[tuple[str, str], str] = {}

    def add(self, issues: list[Issue]) -> None:
        keys = {(i.rule, _ROW.sub("[]", i.path)): i.message for i in issues}
        for key, message in keys.items():
            self.counts[key] += 1
            self.examples.setdefault(key, message)

    def rows(self) -> list[IssueCount]:
        return [
            IssueCount(rule, path, n, self.examples[(rule, path)])
            for (rule, path), n in self.counts.most_common()
        ]


class _MappingCounter:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, bool]] = Counter()

    def add(self, mapped: list[Mapped]) -> None:
        self.counts.update((m.element, m.code, m.matched) for m in mapped)

    def rows(self) -> list[MappingCount]:
        return [
            MappingCount(element, code, matched, n)
            for (element, code, matched), n in sorted(
                self.counts.items(), key=lambda item: (item[0][0], -item[1], item[0][1])
            )
        ]


@dataclass
class _Site:
    code: str
    labels: dict[int, str]  # printer id → label
    ids: dict[str, int]  # printer label → id
    context: ValidationContext


def _site(session: Session, facility_id: int) -> _Site:
    code = session.scalar(select(Facility.code).where(Facility.id == facility_id)) or ""
    printers = list(session.scalars(select(Printer).where(Printer.facility_id == facility_id)))
    return _Site(
        code,
        {p.id: p.label for p in printers},
        {p.label: p.id for p in printers},
        ValidationContext(code, {p.label: p.technology for p in printers}),
    )


def revalidate(
    case: StoredCase, old: Definition, new: Definition, site: _Site
) -> tuple[ValidationResult, list[Mapped]]:
    """Return the verdict of ``new`` on a stored case (drafts in draft mode, others complete),
    after mapping the free texts ``new`` replaces, and what was mapped."""
    status = CaseStatus.DRAFT if case.status == CaseStatus.DRAFT else CaseStatus.COMPLETE
    record, mapped = apply_upgrades(old, new, to_json_record(old, case.record))
    return validate_record({"status": status.value, **record}, new, site.context), mapped


def _pages(
    platform: Platform, tables: CaseTables, where: list[ColumnElement[bool]]
) -> Iterator[tuple[int, list[uuid.UUID]]]:
    """Yield (facility id, case ids) pages of the cases matching ``where``, facility by facility."""
    main = tables.main
    with platform.sessions() as session:
        facility_ids = list(
            session.scalars(
                select(main.c.facility_id).where(*where).distinct().order_by(main.c.facility_id)
            )
        )
    for facility_id in facility_ids:
        last: uuid.UUID | None = None
        while True:
            query = select(main.c.id).where(main.c.facility_id == facility_id, *where)
            if last is not None:
                query = query.where(main.c.id > last)
            with platform.sessions() as session:
                ids = list(session.scalars(query.order_by(main.c.id).limit(PAGE)))
            if not ids:
                break
            yield facility_id, ids
            last = ids[-1]


def _table_changes(
    platform: Platform, old: CaseTables, new: CaseTables
) -> tuple[list[str], list[ColumnAdded], list[str]]:
    """Return (tables added, columns added, columns whose type would change) old → new."""
    dialect = platform.engine.dialect
    before = {t.name: t for t in old.all_tables}
    tables: list[str] = []
    columns: list[ColumnAdded] = []
    retyped: list[str] = []
    for table in new.all_tables:
        if table.name not in before:
            tables.append(table.name)
            continue
        existing = before[table.name].c
        for column in table.columns:
            kind = str(column.type.compile(dialect=dialect))
            if column.name not in existing:
                columns.append(ColumnAdded(table.name, column.name, kind))
            elif str(existing[column.name].type.compile(dialect=dialect)) != kind:
                retyped.append(
                    f"{table.name}.{column.name} would change type from "
                    f"{existing[column.name].type.compile(dialect=dialect)} to {kind}: stored "
                    "columns are never retyped; give the changed element a new name instead"
                )
    return tables, columns, retyped


def migration_report(
    platform: Platform, runtime: RegistryRuntime, new: Definition, *, dry_run: bool
) -> MigrationReport:
    """Return what publishing ``new`` beside the stored versions would do; nothing is written."""
    current = runtime.current
    diff = diff_definitions(current, new)
    report = MigrationReport(runtime.code, current.version, new.version, dry_run)
    stored = runtime.definitions.get(new.version)
    if stored is not None:
        same = checksum(stored) == checksum(new)
        report.problems.append(
            f"version {new.version} is already published"
            + ("" if same else " with other content: give the new definition a new number")
        )
    elif new.version_tuple <= current.version_tuple:
        report.problems.append(
            f"version {new.version} is not higher than the current version {current.version}: "
            "a new version must be higher than the current one"
        )
    elif diff.version_problem:
        report.problems.append(diff.version_problem)
    report.changes = diff.changes
    report.elements_added = [c.path for c in diff.changes if c.kind == "element_added"]
    report.elements_retired = [c.path for c in diff.changes if c.kind == "element_removed"]
    report.elements_replaced = [c.path for c in diff.changes if c.kind == "element_replaced"]
    report.value_set_changes = [c for c in diff.changes if c.kind.startswith("code_")]
    versions = [d for v, d in runtime.definitions.items() if v != new.version]
    tables, columns, retyped = _table_changes(
        platform, runtime.tables, build_case_tables(runtime.code, [*versions, new])
    )
    report.tables_added, report.columns_added = tables, columns
    report.problems += retyped
    counter, mappings = _IssueCounter(), _MappingCounter()
    main = runtime.tables.main
    for facility_id, ids in _pages(platform, runtime.tables, [main.c.deleted_at.is_(None)]):
        with platform.sessions() as session:
            site = _site(session, facility_id)
            cases = runtime.reader.load_many(session, facility_id, ids, site.labels)
        for case in cases.values():
            old = runtime.definitions[case.definition_version]
            result, mapped = revalidate(case, old, new, site)
            mappings.add(mapped)
            report.cases_checked += 1
            if not result.ok:
                report.cases_invalid += 1
                counter.add(result.errors)
    report.issues = counter.rows()
    report.mappings = mappings.rows()
    return report


def _snapshot(definition: Definition, case: StoredCase) -> dict[str, Any]:
    return {
        "status": case.status,
        "definition_version": case.definition_version,
        **to_json_record(definition, case.record),
    }


def upgrade(
    platform: Platform,
    actor: Actor,
    runtime: RegistryRuntime,
    selection: Selection,
    target: str,
    *,
    dry_run: bool,
) -> UpgradeReport:
    """Re-validate the selected cases against ``target`` and move the valid ones (not in a dry
    run), one transaction per page; report the ones that stay and why."""
    new = runtime.definitions[target]
    main = runtime.tables.main
    report = UpgradeReport(runtime.code, target, dry_run)
    counter, mappings = _IssueCounter(), _MappingCounter()
    if selection == "all":
        pages = _pages(
            platform,
            runtime.tables,
            [main.c.deleted_at.is_(None), main.c.definition_version != target],
        )
    else:
        pages = _chosen(platform, runtime, list(dict.fromkeys(selection)), report)
    for facility_id, ids in pages:
        with platform.sessions() as session, session.begin():
            site = _site(session, facility_id)
            cases = runtime.reader.load_many(session, facility_id, ids, site.labels)
            report.requested += len(cases)
            for case in cases.values():
                reason = _why_not(case, new, runtime)
                local_id = str(case.record.get("local_case_id") or "") or None
                if reason is not None:
                    report.not_moved.append(
                        CaseNotMoved(case.id, site.code, local_id, case.definition_version, reason)
                    )
                    continue
                old = runtime.definitions[case.definition_version]
                result, mapped = revalidate(case, old, new, site)
                if not result.ok:
                    counter.add(result.errors)
                    report.not_moved.append(
                        CaseNotMoved(
                            case.id,
                            site.code,
                            local_id,
                            case.definition_version,
                            "not valid under the new version",
                            result.errors,
                        )
                    )
                    continue
                if not dry_run:
                    try:
                        _move(session, actor, runtime, case, old, new, result, site)
                    except Conflict:
                        report.not_moved.append(
                            CaseNotMoved(
                                case.id,
                                site.code,
                                local_id,
                                case.definition_version,
                                "changed by someone else meanwhile: run the upgrade again",
                            )
                        )
                        continue
                mappings.add(mapped)
                report.moved += 1
    report.issues = counter.rows()
    report.mappings = mappings.rows()
    return report


def _chosen(
    platform: Platform, runtime: RegistryRuntime, ids: list[uuid.UUID], report: UpgradeReport
) -> Iterator[tuple[int, list[uuid.UUID]]]:
    """Yield the chosen cases as (facility id, case ids) pages; report ids that do not exist."""
    main = runtime.tables.main
    found: dict[int, list[uuid.UUID]] = {}
    with platform.sessions() as session:
        for start in range(0, len(ids), PAGE):
            chunk = ids[start : start + PAGE]
            for facility_id, case_id in session.execute(
                select(main.c.facility_id, main.c.id).where(main.c.id.in_(chunk))
            ).all():
                found.setdefault(facility_id, []).append(case_id)
    known = {case_id for page in found.values() for case_id in page}
    for case_id in ids:
        if case_id not in known:
            report.requested += 1
            report.not_moved.append(CaseNotMoved(case_id, None, None, None, "no such case"))
    for facility_id, case_ids in sorted(found.items()):
        for start in range(0, len(case_ids), PAGE):
            yield facility_id, case_ids[start : start + PAGE]


def _why_not(case: StoredCase, new: Definition, runtime: RegistryRuntime) -> str | None:
    """Return why a case cannot move to ``new`` whatever its values, or None."""
    if case.deleted_at is not None:
        return "the case is deleted: restore it first"
    if case.status == CaseStatus.LOCKED:
        return "the case is locked"
    if case.definition_version == new.version:
        return f"already on version {new.version}"
    if runtime.definitions[case.definition_version].version_tuple > new.version_tuple:
        return f"on a newer version ({case.definition_version}): cases only move forward"
    return None


def _move(
    session: Session,
    actor: Actor,
    runtime: RegistryRuntime,
    case: StoredCase,
    old: Definition,
    new: Definition,
    result: ValidationResult,
    site: _Site,
) -> None:
    """Rewrite one case under the new version and audit it (before and after)."""
    moved = StoredCase(
        case.id,
        case.facility_id,
        case.status,
        new.version,
        case.row_version + 1,
        case.created_at,
        utcnow(),
        case.created_by,
        actor.name,
        None,
        result.record,
        result.derived,
    )
    runtime.writer(new.version).replace(session, moved, site.ids)
    audit(
        session,
        actor,
        "upgrade",
        "case",
        str(case.id),
        registry_code=runtime.code,
        facility_id=case.facility_id,
        before=_snapshot(old, case),
        after=_snapshot(new, moved),
    )
