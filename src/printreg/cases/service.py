"""The case service: the only way cases are written, read, listed, deleted and restored."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select, Table, bindparam, func, insert, select
from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit, case_update_action
from printreg.cases.schemas import (
    CaseHistoryEntry,
    CasePage,
    CasePublic,
    CaseSaved,
    CaseSummary,
)
from printreg.dictionary import CodeElement, Definition
from printreg.domain.errors import Conflict, InvalidRequest, NotFound, ValidationFailed
from printreg.domain.facility import CaseStatus
from printreg.domain.issues import Issue
from printreg.domain.reasons import optional_reason
from printreg.facilities.models import Facility, Printer
from printreg.governance.admission import (
    FACILITY_ADMISSION,
    check_accepting,
    require_accepting,
)
from printreg.platform import Platform, RegistryRuntime
from printreg.storage import stamps
from printreg.storage.audit_log import AuditEntry
from printreg.storage.base import utcnow
from printreg.storage.cases import CaseQuery, StoredCase, list_statement, new_case_id
from printreg.validation import ValidationContext, ValidationResult, validate_record
from printreg.validation.shape import changed_fields, to_json_record

__all__ = [
    "BulkResult",
    "CaseHistoryEntry",
    "CasePage",
    "CasePublic",
    "CaseQuery",
    "CaseSaved",
    "CaseService",
    "CaseSummary",
    "FacilityRef",
    "case_query",
    "decode_cursor",
    "encode_cursor",
    "locate_case",
    "locate_case_at",
    "read_case_at",
]  # fmt: skip


@dataclass
class BulkResult:
    """How many cases a bulk write stored, and the issues of each record it rejected."""

    created: int = 0
    rejected: list[list[Issue]] = field(default_factory=list)


def encode_cursor(at: dt.datetime, case_id: uuid.UUID) -> str:
    """Return an opaque cursor for keyset pagination."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{case_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[dt.datetime, uuid.UUID]:
    """Return (updated_at, id) from a cursor; ValueError when it is not one of ours."""
    try:
        at, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return dt.datetime.fromisoformat(at), uuid.UUID(case_id)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest(
            "the page cursor is not valid: start again from the first page"
        ) from exc


def case_query(
    *,
    status: str | None = None,
    where: Mapping[str, str] | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    search: str | None = None,
    deleted: bool = False,
    limit: int = 50,
    cursor: str | None = None,
) -> CaseQuery:
    """Return the list query the API, the case list page and the CLI ask for, built one way:
    ``where`` is element → code or label (the list checks the names), ``cursor`` the one the
    previous page printed; an empty search or status is no filter."""
    return CaseQuery(
        status=status or None,
        where=dict(where or {}),
        date_from=date_from,
        date_to=date_to,
        search=(search or "").strip() or None,
        only_deleted=deleted,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )


#: the case table's columns that a case summary shows (a list page adds the chosen ones)
SUMMARY_COLUMNS = (
    "id",
    "facility_id",
    "local_case_id",
    "status",
    "definition_version",
    "updated_at",
    "deleted_at",
)


# Statements every case request runs, built once (building costs about as much as running).
# The facility look-ups select the table's columns, not the entity's: a Core statement skips
# the ORM's statement and result handling, about a third of a list's CPU (bench/read_cost.py).
_FACILITIES = Facility.__table__
_FACILITY_BY_CODE = select(_FACILITIES.c.id, _FACILITIES.c.code).where(
    _FACILITIES.c.code == bindparam("code")
)
#: what a case's validation and storage need of a facility's printers, as rows (no entities)
_PRINTERS_OF = select(Printer.id, Printer.label, Printer.technology).where(
    Printer.facility_id == bindparam("facility_id")
)


class PrinterRef(NamedTuple):
    """A printer's id, label and technology, read as a row."""

    id: int
    label: str
    technology: str


@dataclass(frozen=True)
class FacilityRef:
    """A facility's id and code (and local date order, where a record is validated), read as
    a row: what a case read, list or create needs of it, without the cost of loading the
    facility entity."""

    id: int
    code: str
    date_order: str | None = None


#: a facility as an entity or as a row (the look-ups that check visibility return either)
_Facility = TypeVar("_Facility", Facility, FacilityRef)


@functools.lru_cache(maxsize=64)
def _where_case_is(
    main: Table, *, scoped: bool, entity: bool
) -> Select[Facility] | Select[int, str]:
    """Return the statement finding a case's facility (the entity, or its id and code) by the
    case id (``case_id``), among the facilities ``facility_ids`` when ``scoped``; built once
    per case table and kind."""
    what = select(Facility) if entity else select(_FACILITIES.c.id, _FACILITIES.c.code)
    query = what.join(main, main.c.facility_id == _FACILITIES.c.id).where(
        main.c.id == bindparam("case_id")
    )
    if scoped:
        query = query.where(main.c.facility_id.in_(bindparam("facility_ids", expanding=True)))
    return query


def _case_params(actor: Actor, runtime: RegistryRuntime, case_id: uuid.UUID) -> dict[str, Any]:
    return {"case_id": case_id, "facility_ids": actor.readable_facilities(runtime.code)}


def _load(
    session: Session, runtime: RegistryRuntime, facility_id: int, case_id: uuid.UUID
) -> StoredCase:
    """Return the facility's case with the labels of its printers (read with it)."""
    case = runtime.reader.load(session, facility_id, case_id, None)
    if case is None:
        raise NotFound.no_such("case")
    return case


def locate_case(
    session: Session, runtime: RegistryRuntime, actor: Actor, case_id: uuid.UUID
) -> StoredCase:
    """Return a stored case the actor may read; NotFound ("no such case") for an unknown id and
    for another facility's case alike. Every service that opens a case goes through here."""
    return locate_case_at(session, runtime, actor, case_id)[1]


def locate_case_at(
    session: Session, runtime: RegistryRuntime, actor: Actor, case_id: uuid.UUID
) -> tuple[Facility, StoredCase]:
    """Return (its facility, the stored case) of a case the actor may read, as ``locate_case``
    does; the facility entity comes with the lookup (and stays in the session), so using it
    costs no query more."""
    params = _case_params(actor, runtime, case_id)
    scoped = params["facility_ids"] is not None
    where = _where_case_is(runtime.tables.main, scoped=scoped, entity=True)
    facility: Facility | None = session.scalar(where, params)
    if facility is None:
        raise NotFound.no_such("case")
    return facility, _load(session, runtime, facility.id, case_id)


def read_case_at(
    session: Session, runtime: RegistryRuntime, actor: Actor, case_id: uuid.UUID
) -> tuple[FacilityRef, StoredCase]:
    """Return (its facility's id and code, the stored case) as ``locate_case_at`` does, the
    facility read as a row: for showing a case, the cheapest read (one statement locates it,
    one more reads it whole on PostgreSQL)."""
    params = _case_params(actor, runtime, case_id)
    scoped = params["facility_ids"] is not None
    where = _where_case_is(runtime.tables.main, scoped=scoped, entity=False)
    found = session.execute(where, params).first()
    if found is None:
        raise NotFound.no_such("case")
    facility = FacilityRef(*found)
    return facility, _load(session, runtime, facility.id, case_id)


class CaseService:
    """Create, update, read, list, delete, restore and trace cases, with validation and audit."""

    def __init__(self, platform: Platform, actor: Actor) -> None:
        self.platform = platform
        self.actor = actor

    # -- helpers --------------------------------------------------------------------------------

    def _facility(self, session: Session, registry: str, code: str) -> FacilityRef:
        """Return (the id and code of) a facility where the actor holds a role in the registry
        (its administrators: any); NotFound, with the same words for a facility that does not
        exist and one that is not theirs in this registry."""
        found = session.execute(_FACILITY_BY_CODE, {"code": code}).first()
        return self._visible(registry, FacilityRef(*found) if found else None)

    def _visible(self, registry: str, facility: _Facility | None) -> _Facility:
        """Return the facility if the actor holds a role there in the registry (its
        administrators: any); else NotFound, as ``_facility`` says it."""
        visible = facility is not None and (
            self.actor.sees_registry(registry)
            or self.actor.role_at(registry, facility.id) is not None
        )
        if facility is None or not visible:
            raise NotFound.no_such("facility")
        return facility

    def _printers(self, session: Session, facility_id: int) -> list[PrinterRef]:
        rows = session.execute(_PRINTERS_OF, {"facility_id": facility_id})
        return [PrinterRef(*row) for row in rows]

    def _validate(
        self,
        runtime: RegistryRuntime,
        facility: Facility | FacilityRef,
        printers: Sequence[PrinterRef | Printer],
        record: Mapping[str, Any],
    ) -> ValidationResult:
        context = ValidationContext(
            facility.code,
            {p.label: p.technology for p in printers},
            date_order=facility.date_order,
        )
        result = validate_record(record, runtime.current, context)
        if not result.ok:
            raise ValidationFailed(result.issues)
        return result

    def _locate(self, session: Session, runtime: RegistryRuntime, case_id: uuid.UUID) -> StoredCase:
        return locate_case(session, runtime, self.actor, case_id)

    def _view(
        self,
        session: Session,
        runtime: RegistryRuntime,
        case: StoredCase,
        facility: Facility | FacilityRef | None = None,
    ) -> CasePublic:
        facility = facility or session.get(Facility, case.facility_id)
        assert facility is not None  # noqa: S101 - a foreign key guarantees it
        definition = runtime.definitions[case.definition_version]
        return CasePublic(
            id=case.id,
            registry=runtime.code,
            facility=facility.code,
            status=case.status,
            definition_version=case.definition_version,
            row_version=case.row_version,
            created_at=case.created_at,
            updated_at=case.updated_at,
            created_by=case.created_by,
            updated_by=case.updated_by,
            deleted_at=case.deleted_at,
            record=to_json_record(definition, case.record),
            derived={k: v for k, v in case.derived.items() if v is not None},
        )

    def _snapshot(self, runtime: RegistryRuntime, case: StoredCase) -> dict[str, Any]:
        definition = runtime.definitions[case.definition_version]
        return {
            "status": case.status,
            "definition_version": case.definition_version,
            **to_json_record(definition, case.record),
        }

    # -- writes ---------------------------------------------------------------------------------

    def _new_case(
        self,
        runtime: RegistryRuntime,
        facility_id: int,
        status: str,
        record: dict[str, Any],
        derived: dict[str, Any],
        now: dt.datetime,
    ) -> StoredCase:
        """Return a new case of the registry's current definition at row version 1, created
        and last changed ``now`` by the actor."""
        return StoredCase(new_case_id(), facility_id, status, runtime.current.version, 1, now, now,
                          self.actor.name, self.actor.name, None, record, derived)  # fmt: skip

    def create(self, registry: str, facility_code: str, record: Mapping[str, Any]) -> CaseSaved:
        """Validate and store a new case; raise ValidationFailed listing every issue."""
        runtime = self.platform.registry(registry)
        # The look-ups and the validation run before the write transaction: under READ
        # COMMITTED they would see no more inside it (each statement takes its own snapshot),
        # and a transaction held open while the record is validated keeps a connection and,
        # once it has written, row locks that concurrent creates of the facility meet.
        with self.platform.reads() as session:
            found = session.execute(
                FACILITY_ADMISSION, {"code": facility_code, "registry_code": registry}
            ).one_or_none()
            facility = self._visible(
                registry, FacilityRef(found.id, found.code, found.date_order) if found else None
            )
            self.actor.require_case_write(registry, facility.id)
            assert found is not None  # noqa: S101 - _visible refused a missing facility
            check_accepting(registry, facility.code, found.lifecycle, found.status)
            printers = self._printers(session, facility.id)
        result = self._validate(runtime, facility, printers, record)
        local_id = result.record["local_case_id"]
        now = utcnow()
        case = self._new_case(runtime, facility.id, result.status, result.record,
                              result.derived, now)  # fmt: skip
        snapshot = self._snapshot(runtime, case)
        printer_ids = {p.label: p.id for p in printers}
        with self.platform.sessions() as session, session.begin():
            stored = runtime.writer(case.definition_version).insert_new(session, case, printer_ids)
            if not stored:  # the facility has a case with this local case ID: nothing written
                main = runtime.tables.main
                clash = session.scalar(
                    select(main.c.id).where(
                        main.c.facility_id == facility.id, main.c.local_case_id == local_id
                    )
                )
                raise ValidationFailed([_duplicate(local_id, f"is already case {clash}")])
            audit(session, self.actor, "create", "case", str(case.id), registry_code=registry,
                  facility_id=facility.id, after=snapshot)  # fmt: skip
        return CaseSaved(
            id=case.id,
            local_case_id=local_id,
            status=case.status,
            row_version=case.row_version,
            warnings=result.warnings,
        )

    def check_create(self, registry: str, facility_code: str) -> None:
        """Refuse as ``create`` would before reading a record (NotFound for a facility that is
        not the actor's, Forbidden without write access); change nothing."""
        self.platform.registry(registry)
        with self.platform.reads() as session:
            facility = self._facility(session, registry, facility_code)
            self.actor.require_case_write(registry, facility.id)

    def create_many(
        self, registry: str, items: Iterable[tuple[str, Mapping[str, Any]]], batch_size: int = 1000
    ) -> BulkResult:
        """Validate and store many new cases, one transaction per batch; keep going past errors.

        Each item is (facility code, record). Invalid records and local case IDs already stored
        are reported in ``rejected``; every stored case gets its audit row in its batch.
        """
        runtime = self.platform.registry(registry)
        result = BulkResult()
        batch: list[tuple[str, Mapping[str, Any]]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= batch_size:
                self._store_batch(runtime, batch, result)
                batch = []
        if batch:
            self._store_batch(runtime, batch, result)
        return result

    def _store_batch(
        self,
        runtime: RegistryRuntime,
        batch: list[tuple[str, Mapping[str, Any]]],
        result: BulkResult,
    ) -> None:
        main = runtime.tables.main
        with self.platform.sessions() as session, session.begin():
            codes = {code for code, _ in batch}
            facilities = {
                f.code: f for f in session.scalars(select(Facility).where(Facility.code.in_(codes)))
            }
            printers: dict[int, list[Printer]] = {f.id: [] for f in facilities.values()}
            for printer in session.scalars(
                select(Printer).where(Printer.facility_id.in_(list(printers)))
            ):
                printers[printer.facility_id].append(printer)
            cases: list[StoredCase] = []
            seen: set[tuple[int, str]] = set()
            admitted: set[int] = set()
            now = utcnow()
            for code, record in batch:
                facility = facilities.get(code)
                if facility is None:
                    result.rejected.append(
                        [
                            Issue(
                                "error",
                                "",
                                "facility",
                                "reference",
                                "no such facility",
                            )
                        ]
                    )
                    continue
                self.actor.require_case_write(runtime.code, facility.id)
                if facility.id not in admitted:
                    require_accepting(session, runtime.code, facility)
                    admitted.add(facility.id)
                context = ValidationContext(
                    facility.code,
                    {p.label: p.technology for p in printers[facility.id]},
                    date_order=facility.date_order,
                )
                checked = validate_record(record, runtime.current, context)
                key = (facility.id, str(checked.record.get("local_case_id")))
                if checked.ok and key in seen:
                    checked.issues.append(_duplicate(key[1], "appears twice in the batch"))
                if not checked.ok:
                    result.rejected.append(checked.issues)
                    continue
                seen.add(key)
                cases.append(self._new_case(runtime, facility.id, checked.status,
                                            checked.record, checked.derived, now))  # fmt: skip
            existing = set()
            for facility_id in {c.facility_id for c in cases}:
                wanted = [c.record["local_case_id"] for c in cases if c.facility_id == facility_id]
                existing |= {
                    (facility_id, v)
                    for v in session.scalars(
                        select(main.c.local_case_id).where(
                            main.c.facility_id == facility_id, main.c.local_case_id.in_(wanted)
                        )
                    )
                }
            fresh = []
            for case in cases:
                local_id = case.record["local_case_id"]
                if (case.facility_id, local_id) in existing:
                    result.rejected.append([_duplicate(local_id, "is already stored")])
                else:
                    fresh.append(case)
            ids = {fid: {p.label: p.id for p in ps} for fid, ps in printers.items()}
            runtime.writer(runtime.current.version).insert(session, fresh, ids)
            if fresh:
                session.execute(
                    insert(AuditEntry),
                    [
                        {
                            "actor": self.actor.name,
                            "action": "create",
                            "entity_type": "case",
                            "entity_id": str(c.id),
                            "registry_code": runtime.code,
                            "at": now,
                            "facility_id": c.facility_id,
                            "before": None,
                            "after": self._snapshot(runtime, c),
                        }
                        for c in fresh
                    ],
                )
                stamps.bump(session, runtime.code, {c.facility_id for c in fresh})
            result.created += len(fresh)

    def update(
        self,
        registry: str,
        case_id: uuid.UUID,
        record: Mapping[str, Any],
        expected_version: int | None = None,
    ) -> CaseSaved:
        """Validate and replace a case's record; Conflict if locked, deleted or changed meanwhile."""
        runtime = self.platform.registry(registry)
        with self.platform.sessions() as session, session.begin():
            stored = self._locate(session, runtime, case_id)
            self.actor.require_case_write(registry, stored.facility_id)
            if stored.status == CaseStatus.LOCKED:
                raise Conflict("the case is locked: ask a registry administrator to unlock it")
            if stored.deleted_at is not None:
                raise Conflict("the case is deleted: restore it before changing it")
            if expected_version is not None and expected_version != stored.row_version:
                raise Conflict("the case was changed by someone else meanwhile: reload and retry")
            facility = session.get(Facility, stored.facility_id)
            assert facility is not None  # noqa: S101 - a foreign key guarantees it
            require_accepting(session, registry, facility)
            printers = self._printers(session, facility.id)
            result = self._validate(runtime, facility, printers, record)
            if result.record["local_case_id"] != stored.record["local_case_id"]:
                raise ValidationFailed(
                    [
                        Issue(
                            "error",
                            str(stored.record["local_case_id"]),
                            "local_case_id",
                            "local_case_id_changed",
                            "the local case ID identifies the case and cannot "
                            "change: create a new case instead",
                        )
                    ]
                )
            before = self._snapshot(runtime, stored)
            updated = StoredCase(
                stored.id,
                stored.facility_id,
                result.status,
                runtime.current.version,
                stored.row_version + 1,
                stored.created_at,
                utcnow(),
                stored.created_by,
                self.actor.name,
                None,
                result.record,
                result.derived,
            )
            after = self._snapshot(runtime, updated)
            if after != before:
                runtime.writer(updated.definition_version).replace(
                    session, updated, {p.label: p.id for p in printers}
                )
                audit(
                    session,
                    self.actor,
                    case_update_action(stored.status, updated.status),
                    "case",
                    str(stored.id),
                    registry_code=registry,
                    facility_id=stored.facility_id,
                    before=before,
                    after=after,
                )
                # A changed value answers the open queries on its field, in this transaction.
                from printreg.queries.service import (  # noqa: PLC0415 - it imports this module
                    answer_changed_fields,
                )

                answer_changed_fields(session, self.actor, registry, stored.id, before, after)
            else:
                updated = stored
        return CaseSaved(
            id=updated.id,
            local_case_id=updated.record["local_case_id"],
            status=updated.status,
            row_version=updated.row_version,
            warnings=result.warnings,
        )

    def _set_state(
        self,
        registry: str,
        case_id: uuid.UUID,
        action: str,
        reason: str | None = None,
        *,
        check_only: bool = False,
    ) -> CasePublic:
        runtime = self.platform.registry(registry)
        main = runtime.tables.main
        with self.platform.sessions() as session, session.begin():
            stored = self._locate(session, runtime, case_id)
            if action == "lock":
                if not self.actor.sees_registry(registry):
                    self.actor.require_case_read(registry, stored.facility_id)
                    raise NotFound.no_such("case")
            else:
                self.actor.require_case_write(registry, stored.facility_id)
            changes: dict[str, Any] = {}
            if action == "delete":
                if stored.deleted_at is not None:
                    raise Conflict("the case is already deleted")
                if stored.status == CaseStatus.LOCKED:
                    raise Conflict("a locked case cannot be deleted")
                changes["deleted_at"] = utcnow()
            elif action == "restore":
                if stored.deleted_at is None:
                    raise Conflict("the case is not deleted")
                changes["deleted_at"] = None
            elif action == "lock":
                if stored.status != CaseStatus.COMPLETE or stored.deleted_at is not None:
                    raise Conflict("only complete, undeleted cases can be locked")
                changes["status"] = CaseStatus.LOCKED.value
            if check_only:  # the confirmation page: every refusal above, nothing written
                return self._view(session, runtime, stored)
            before = {"status": stored.status, "deleted_at": _iso(stored.deleted_at)}
            session.execute(
                main.update()
                .where(main.c.facility_id == stored.facility_id, main.c.id == stored.id)
                .values(
                    **changes,
                    row_version=stored.row_version + 1,
                    updated_at=utcnow(),
                    updated_by=self.actor.name,
                )
            )
            for key, value in changes.items():
                setattr(stored, key, value)
            stored.row_version += 1
            after: dict[str, Any] = {"status": stored.status, "deleted_at": _iso(stored.deleted_at)}
            if reason is not None:
                after["reason"] = reason
            audit(
                session,
                self.actor,
                action,
                "case",
                str(stored.id),
                registry_code=registry,
                facility_id=stored.facility_id,
                before=before,
                after=after,
            )
            return self._view(session, runtime, stored)

    def delete(self, registry: str, case_id: uuid.UUID, reason: str = "") -> CasePublic:
        """Soft-delete a case: it leaves lists and reports but stays restorable and audited
        (with the reason, when one is given; the pages require one)."""
        return self._set_state(registry, case_id, "delete", optional_reason(reason) or None)

    def check_delete(self, registry: str, case_id: uuid.UUID) -> CasePublic:
        """Return the case a deletion would remove, refusing as ``delete`` would (NotFound,
        Forbidden, Conflict) and changing nothing."""
        return self._set_state(registry, case_id, "delete", check_only=True)

    def restore(self, registry: str, case_id: uuid.UUID) -> CasePublic:
        """Bring a soft-deleted case back."""
        return self._set_state(registry, case_id, "restore")

    def lock(self, registry: str, case_id: uuid.UUID) -> CasePublic:
        """Lock a complete case against change (registry administrators only)."""
        return self._set_state(registry, case_id, "lock")

    # -- reads ----------------------------------------------------------------------------------

    def get(self, registry: str, case_id: uuid.UUID) -> CasePublic:
        """Return a case the actor may read; NotFound for unknown ids and other facilities'."""
        runtime = self.platform.registry(registry)
        with self.platform.reads() as session:
            facility, case = read_case_at(session, runtime, self.actor, case_id)
            return self._view(session, runtime, case, facility)

    def find(self, registry: str, facility_code: str, local_case_id: str) -> CasePublic:
        """Return a case by its facility and local case ID; NotFound when there is none."""
        runtime = self.platform.registry(registry)
        main = runtime.tables.main
        with self.platform.reads() as session:
            facility = self._facility(session, registry, facility_code)
            self.actor.require_case_read(registry, facility.id)
            case_id = session.scalar(
                select(main.c.id).where(
                    main.c.facility_id == facility.id, main.c.local_case_id == local_case_id
                )
            )
            if case_id is None:
                raise NotFound.no_such("case")
            return self._view(session, runtime, self._locate(session, runtime, case_id))

    def list_cases(
        self,
        registry: str,
        query: CaseQuery,
        facility_code: str | None = None,
        columns: tuple[str, ...] = (),
    ) -> CasePage:
        """Return one page of the cases the actor may read, newest change first."""
        runtime = self.platform.registry(registry)
        readable = self.actor.readable_facilities(registry)
        with self.platform.reads() as session:
            ids = readable
            known: dict[int, str] = {}  # facility id -> code, of the facility asked for
            if facility_code is not None:
                facility = self._facility(session, registry, facility_code)
                if readable is not None and facility.id not in readable:
                    raise NotFound.no_such("facility")
                ids = [facility.id]
                known = {facility.id: facility.code}
            for name in columns:
                if name not in runtime.tables.main.c:
                    raise InvalidRequest(f"cannot show {name!r}: not a case field")
            query = _coded_filters(runtime.current, query)
            statement, params = list_statement(
                runtime.tables,
                runtime.current,
                _replace_ids(query, ids),
                (*SUMMARY_COLUMNS, *columns),
            )
            rows = session.execute(statement, params).mappings().all()
            # the codes of this page's facilities only (one, when the list is of one facility)
            shown = sorted({r["facility_id"] for r in rows})
            if not known and shown:
                known = dict(
                    session.execute(
                        select(_FACILITIES.c.id, _FACILITIES.c.code).where(
                            _FACILITIES.c.id.in_(shown)
                        )
                    ).all()
                )
            codes = known
        items = [
            CaseSummary(
                id=r["id"],
                facility=codes[r["facility_id"]],
                local_case_id=r["local_case_id"],
                status=r["status"],
                definition_version=r["definition_version"],
                updated_at=r["updated_at"],
                deleted=r["deleted_at"] is not None,
                fields={c: r[c] for c in columns},
            )
            for r in rows
        ]
        more = len(items) == query.limit
        cursor = encode_cursor(rows[-1]["updated_at"], rows[-1]["id"]) if more and rows else None
        return CasePage(items=items, next_cursor=cursor)

    def count(self, registry: str, facility_code: str | None = None) -> dict[str, int]:
        """Return counts of the actor's readable, undeleted cases by status (of one facility).

        A facility where the actor holds no role in the registry is NotFound, as an unknown one.
        """
        runtime = self.platform.registry(registry)
        main = runtime.tables.main
        readable = self.actor.readable_facilities(registry)
        query = select(main.c.status, func.count()).where(main.c.deleted_at.is_(None))
        if readable is not None:
            query = query.where(main.c.facility_id.in_(readable))
        with self.platform.reads() as session:
            if facility_code is not None:
                facility = self._facility(session, registry, facility_code)
                query = query.where(main.c.facility_id == facility.id)
            return dict(session.execute(query.group_by(main.c.status)).all())

    def warnings(self, registry: str, case_id: uuid.UUID) -> list[Issue]:
        """Return the warnings a stored case gives under its definition version and status
        (a draft: every required value still missing too); [] when it gives none."""
        runtime = self.platform.registry(registry)
        with self.platform.reads() as session:
            stored = self._locate(session, runtime, case_id)
            facility = session.get(Facility, stored.facility_id)
            assert facility is not None  # noqa: S101 - a foreign key guarantees it
            printers = self._printers(session, facility.id)
        definition = runtime.definitions[stored.definition_version]
        context = ValidationContext(facility.code, {p.label: p.technology for p in printers})
        draft = stored.status == CaseStatus.DRAFT
        status = CaseStatus.DRAFT.value if draft else CaseStatus.COMPLETE.value
        record = {**to_json_record(definition, stored.record), "status": status}
        return validate_record(record, definition, context).warnings

    def history(self, registry: str, case_id: uuid.UUID) -> list[CaseHistoryEntry]:
        """Return every audited change of a case, oldest first."""
        runtime = self.platform.registry(registry)
        with self.platform.reads() as session:
            stored = self._locate(session, runtime, case_id)
            rows = session.scalars(
                select(AuditEntry)
                .where(AuditEntry.entity_type == "case", AuditEntry.entity_id == str(stored.id))
                .order_by(AuditEntry.id)
            ).all()
        return [
            CaseHistoryEntry(
                at=r.at,
                actor=r.actor,
                action=r.action,
                changed=changed_fields(r.before, r.after),
                before=r.before,
                after=r.after,
            )
            for r in rows
        ]


def parse_filters(values: Iterable[str]) -> dict[str, str]:
    """Return ``ELEMENT=VALUE`` filters as element → value (the list service checks them);
    InvalidRequest for one not of that shape."""
    out: dict[str, str] = {}
    for value in values:
        element, sep, wanted = value.partition("=")
        if not sep or not element.strip() or not wanted.strip():
            raise InvalidRequest(
                f"filter {value!r}: give ELEMENT=VALUE, a coded element and one of its codes"
            )
        out[element.strip()] = wanted.strip()
    return out


def _coded_filters(definition: Definition, query: CaseQuery) -> CaseQuery:
    """Return the query with each filter's value as its code; InvalidRequest when a filter is
    not a coded element of the registry or the value is not one of its codes or labels."""
    coded = {n: e for n, e in definition.elements.items() if isinstance(e, CodeElement)}
    where: dict[str, Any] = {}
    for name, value in query.where.items():
        element = coded.get(name)
        if element is None:
            choices = ", ".join(sorted(coded)) or "none"
            raise InvalidRequest(f"cannot filter by {name!r}: filter by a coded field ({choices})")
        lookup = definition.value_set_for(element).lookup
        code = lookup.get(str(value).strip().lower())
        if code is None:
            raise InvalidRequest(f"{name}: {value!r} is not one of its codes or labels")
        where[name] = code
    return replace(query, where=where)


def _replace_ids(query: CaseQuery, ids: list[int] | None) -> CaseQuery:
    return replace(query, facility_ids=ids)


def _duplicate(local_id: str, where: str) -> Issue:
    """Return the issue of a local case ID that the facility already uses."""
    return Issue("error", local_id, "local_case_id", "duplicate_local_case_id",
                 f"this local case ID {where} at this facility: give a new ID, or update "
                 "that case instead")  # fmt: skip


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None
