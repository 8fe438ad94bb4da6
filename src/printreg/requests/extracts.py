"""The cases of a data request: their suppressed counts by stratum, and the extract's files.

A request covers the complete and locked cases that are not deleted, whose stratum elements hold
one of the codes asked for (every code of the element when none are listed; cases without a
value are left out), and whose case date falls in the period. The counts and the extract read
the same cases. Callers check who may ask; nothing here does.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from printreg.analytics.cellkey import record_key
from printreg.domain.errors import Conflict
from printreg.domain.facility import CaseStatus
from printreg.platform import RegistryRuntime
from printreg.requests.models import DataRequest

if TYPE_CHECKING:
    from printreg.research.extract import ExtractSource

PAGE = 1000
_shuffle = secrets.SystemRandom().shuffle
ELIGIBLE = (CaseStatus.COMPLETE.value, CaseStatus.LOCKED.value)
EXTRACT_FILE = "extract.parquet"
CODEBOOK_FILE = "codebook.json"


def _codes(runtime: RegistryRuntime, name: str, listed: list[str]) -> list[str]:
    element = runtime.current.elements[name]
    return listed or [v.code for v in runtime.current.value_set_for(element).values]


def _conditions(runtime: RegistryRuntime, row: DataRequest) -> list[ColumnElement[bool]]:
    main = runtime.tables.main
    conditions: list[ColumnElement[bool]] = [
        main.c.deleted_at.is_(None),
        main.c.status.in_(ELIGIBLE),
    ]
    for name, listed in row.strata.items():
        conditions.append(main.c[name].in_(_codes(runtime, name, list(listed))))
    case_date = runtime.current.case_date
    if case_date is not None and row.period_from is not None:
        conditions.append(main.c[case_date] >= row.period_from)
    if case_date is not None and row.period_to is not None:
        conditions.append(main.c[case_date] <= row.period_to)
    return conditions


def feasibility_counts(
    session: Session, runtime: RegistryRuntime, row: DataRequest, threshold: int, secret: bytes
) -> dict[str, Any]:
    """Return the request's case counts crossed by its first two strata, suppressed and
    perturbed by the cases' record keys under ``secret``, with the codes' labels and the
    request's filters."""
    # numpy, scipy and networkx: only when counts are released, not to list requests
    from printreg.research.feasibility import suppressed_counts  # noqa: PLC0415

    main = runtime.tables.main
    axes = [(name, _codes(runtime, name, list(codes))) for name, codes in row.strata.items()][:2]
    columns = [main.c[name] for name, _ in axes]
    query = select(*columns, main.c.id).where(*_conditions(runtime, row))
    cells: dict[tuple[str, ...], list[int]] = {}
    for found in session.execute(query):
        cells.setdefault(tuple(found[:-1]), []).append(record_key(secret, found[-1]))
    released = suppressed_counts(cells, axes, threshold)
    definition = runtime.current
    for side in ("rows", "columns"):
        axis = released[side]
        if axis is not None:
            value_set = definition.value_set_for(definition.elements[axis["element"]])
            axis["labels"] = [value_set.label_of(code) for code in axis["codes"]]
    released["strata"] = {k: list(v) for k, v in row.strata.items()}
    released["period"] = {
        "element": definition.case_date,
        "from": row.period_from.isoformat() if row.period_from else None,
        "to": row.period_to.isoformat() if row.period_to else None,
    }
    released["cases"] = "complete and locked cases that are not deleted"
    return released


def _sources(
    session: Session, runtime: RegistryRuntime, row: DataRequest
) -> Iterator[ExtractSource]:
    """Yield the request's cases, page by page in (facility, id) order, shuffled within each
    page's facility."""
    from printreg.research.extract import ExtractSource  # noqa: PLC0415 - pyarrow

    main = runtime.tables.main
    conditions = _conditions(runtime, row)
    last: tuple[int, Any] | None = None
    while True:
        query = select(main.c.facility_id, main.c.id).where(*conditions)
        if last is not None:
            query = query.where(or_(main.c.facility_id > last[0],
                                    and_(main.c.facility_id == last[0], main.c.id > last[1])))  # fmt: skip
        page = session.execute(
            query.order_by(main.c.facility_id, main.c.id).limit(PAGE)
        ).all()  # fmt: skip
        if not page:
            return
        by_facility: dict[int, list[Any]] = {}
        for facility_id, case_id in page:
            by_facility.setdefault(facility_id, []).append(case_id)
        for case_ids in by_facility.values():
            _shuffle(case_ids)  # case ids are time-ordered: do not pass entry order on
        for facility_id, case_ids in by_facility.items():
            # printers never leave in an extract, so their labels are not needed
            cases = runtime.reader.load_many(session, facility_id, case_ids, {})
            for case_id in case_ids:
                case = cases[case_id]
                yield ExtractSource(facility_id, case.record, case.derived)
        last = (page[-1][0], page[-1][1])


def build_extract(
    session: Session,
    runtime: RegistryRuntime,
    row: DataRequest,
    folder: Path,
    about: Mapping[str, Any],
    threshold: int,
    now: dt.datetime,
    secret: bytes,
) -> tuple[int, int]:
    """Write ``extract.parquet`` and ``codebook.json`` into ``folder`` (whole or not at all);
    return (rows, bytes of the Parquet file). Conflict when an approved element is no longer
    releasable under the registry's current definition."""
    assert row.pseudonym_key is not None  # noqa: S101 - the caller draws the secret first
    # pyarrow and polars: only when an extract is written, not to list requests
    from printreg.research.extract import (  # noqa: PLC0415
        ExtractLayout,
        extract_codebook,
        write_extract,
    )

    try:
        layout = ExtractLayout(runtime.current, row.approved_elements or [])
    except ValueError as exc:
        raise Conflict(f"the extract cannot be built: {exc}") from None
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / (EXTRACT_FILE + ".part")
    try:
        rows = write_extract(_sources(session, runtime, row), layout, row.pseudonym_key, part)
        aggregate = feasibility_counts(session, runtime, row, threshold, secret)
        codebook = extract_codebook(layout, about, aggregate, now)
        text = json.dumps(codebook, ensure_ascii=False, indent=2) + "\n"
        (folder / (CODEBOOK_FILE + ".part")).write_text(text, encoding="utf-8")
        part.replace(folder / EXTRACT_FILE)
        (folder / (CODEBOOK_FILE + ".part")).replace(folder / CODEBOOK_FILE)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return rows, (folder / EXTRACT_FILE).stat().st_size
