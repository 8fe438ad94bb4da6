"""Streamed exports of the cases a person may read, with the codebook beside them."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select

from printreg.accounts.actor import Actor
from printreg.domain.errors import Forbidden, NotFound
from printreg.facilities.models import Facility, Printer
from printreg.ingest import FlatLayout, write_codebook, write_csv, write_jsonl, write_parquet
from printreg.platform import Platform
from printreg.storage.cases import CaseQuery, list_query
from printreg.validation.shape import to_json_record

ExportFormat = Literal["csv", "jsonl", "parquet"]
PAGE = 1000
NO_CASE_DATA = (
    "your role has no access to case data: see the registry's public figures, or ask for a "
    "research extract"
)


def export_records(
    platform: Platform,
    actor: Actor,
    registry: str,
    facility_code: str | None = None,
    within: Collection[int] | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield every undeleted case the actor may read as a JSON record, page by page (only those
    of the facilities ``within``, when given: an export job's scope, fixed when it was asked)."""
    runtime = platform.registry(registry)
    readable = actor.readable_facilities(registry)
    if within is not None:
        readable = [f for f in (within if readable is None else readable) if f in within]
    with platform.sessions() as session:
        codes = dict(session.execute(select(Facility.id, Facility.code)).all())
        labels = dict(session.execute(select(Printer.id, Printer.label)).all())
        ids = readable
        if facility_code is not None:
            wanted = next((fid for fid, code in codes.items() if code == facility_code), None)
            if wanted is None or (readable is not None and wanted not in readable):
                raise NotFound.no_such("facility")
            ids = [wanted]
        after = None
        while True:
            page = session.execute(
                list_query(runtime.tables, runtime.current,
                           CaseQuery(facility_ids=ids, limit=PAGE, after=after))
            ).mappings().all()  # fmt: skip
            if not page:
                return
            by_facility: dict[int, list[Any]] = {}
            for row in page:
                by_facility.setdefault(row["facility_id"], []).append(row["id"])
            for facility_id, case_ids in by_facility.items():
                cases = runtime.reader.load_many(session, facility_id, case_ids, labels)
                for case_id in case_ids:
                    case = cases[case_id]
                    definition = runtime.definitions[case.definition_version]
                    yield {"facility": codes[facility_id], "status": case.status,
                           **to_json_record(definition, case.record)}  # fmt: skip
            last = page[-1]
            after = (last["updated_at"], last["id"])


def counted(
    records: Iterable[dict[str, Any]], progress: Callable[[int], None] | None
) -> Iterator[dict[str, Any]]:
    """Yield the records, telling ``progress`` how many went by so far (every 500)."""
    for done, record in enumerate(records, 1):
        yield record
        if progress is not None and done % 500 == 0:
            progress(done)


def export_cases(
    platform: Platform,
    actor: Actor,
    registry: str,
    fmt: ExportFormat,
    out: Path,
    facility_code: str | None = None,
    *,
    within: Collection[int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, Path]:
    """Write the export and its codebook (``<out>.codebook.json``); return (cases, codebook).

    Forbidden to a person who may read no facility's cases (sponsors, researchers): their data
    comes as released aggregates and approved research extracts."""
    definition = platform.registry(registry).current
    if facility_code is None and actor.readable_facilities(registry) == []:
        raise Forbidden(NO_CASE_DATA)
    layout = FlatLayout(definition)
    records = counted(export_records(platform, actor, registry, facility_code, within), progress)
    if fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as handle:
            count = write_csv(records, layout, handle, pass_through=("facility",))
    elif fmt == "jsonl":
        with out.open("w", encoding="utf-8") as handle:
            count = write_jsonl(records, handle)
    else:
        count = write_parquet(records, layout, out, pass_through=("facility",))
    codebook = out.with_name(out.name + ".codebook.json")
    write_codebook(definition, codebook)
    return count, codebook
