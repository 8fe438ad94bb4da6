"""The analytic fact table: one row per reportable case, one column per measure, read-only.

Only complete and locked cases that are not deleted count. Columns:

- ``facility_id``; ``case_date`` (the spec's period element) and ``period`` (the first day of
  its quarter);
- ``s_<stratum>``: the case's value of each stratum (a list for multi-valued elements);
- ``m_<measure>``: continuous → Float64, proportion → Boolean (null outside the denominator),
  mix → Utf8 for a single-valued element, List(Utf8) for a multi-valued one or a repeating
  group's element (one entry per row);
- ``c_<element>``: whether each top-level element holds a value (data completeness);
- ``r_<element>``: whether an element that takes reasons for missing data holds a reason
  instead (answered, yet without a value: counted apart from filled and from empty);
- ``v_effect``, ``v_separate``, ``v_by``, ``v_before``, ``v_after``: the value evidence inputs.

Measures of ``source: mesh`` read ``print_meshes``: per case, the sum of a fact over the models
of the prints it still has (null without a model; the volume also when one model has none).

The table is built from the generated case tables with plain SELECTs (one per table involved),
assembled with polars; the same frame feeds every measure, benchmark and pooled estimate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import ColumnElement, Connection, Select, String, case, cast, func, select

from printreg.analytics.cellkey import record_key
from printreg.dictionary import (
    Definition,
    GroupElement,
    is_multiple,
)
from printreg.dictionary.ages import AGE_TOP_CODE, is_age
from printreg.dictionary.analytics import MESH_FACTS, PRINTS_GROUP, AnalyticsSpec, Measure
from printreg.dictionary.missing import column_of
from printreg.domain.coding import format_codes
from printreg.domain.facility import CaseStatus
from printreg.facilities.models import Printer
from printreg.files.models import PrintMesh
from printreg.storage.case_tables import CaseTables, column_name

REPORTED = (CaseStatus.COMPLETE.value, CaseStatus.LOCKED.value)
PRINTER_ATTRIBUTES = ("technology", "manufacturer", "model")


@dataclass(frozen=True)
class FactColumns:
    """Names of the fact table's columns for a spec."""

    spec: AnalyticsSpec

    @staticmethod
    def measure(name: str) -> str:
        """Return the column of a measure."""
        return f"m_{name}"

    @staticmethod
    def stratum(name: str) -> str:
        """Return the column of a stratum."""
        return f"s_{name}"

    @staticmethod
    def complete(name: str) -> str:
        """Return the completeness flag column of an element."""
        return f"c_{name}"

    @staticmethod
    def reason(name: str) -> str:
        """Return the column flagging an element answered with a reason for missing data."""
        return f"r_{name}"


#: polars types of the SQL column types read, so that an empty result (a registry without
#: reportable cases, a facility whose last case was deleted) keeps typed columns
_POLARS_TYPES: dict[type, pl.DataType] = {
    str: pl.Utf8(),
    int: pl.Int64(),
    float: pl.Float64(),
    bool: pl.Boolean(),
    dt.date: pl.Date(),
}


#: the column of a case's record key (cell-key method), present when the builder has a secret
RECORD_KEY = "record_key"


def _schema(statement: Select[Any]) -> dict[str, pl.DataType]:
    out: dict[str, pl.DataType] = {}
    for column in statement.selected_columns:
        try:
            python = column.type.python_type
        except NotImplementedError:
            continue
        if python in _POLARS_TYPES and column.key is not None:
            out[column.key] = _POLARS_TYPES[python]
    return out


def read_frame(connection: Connection, statement: Select[Any]) -> pl.DataFrame:
    """Return the rows of ``statement`` as a frame typed from its columns (also when empty)."""
    return pl.read_database(
        statement, connection, infer_schema_length=None, schema_overrides=_schema(statement)
    )


def _top_scalars(definition: Definition) -> list[str]:
    return [
        name
        for name, element in definition.elements.items()
        if not isinstance(element, GroupElement) and not is_multiple(element)
    ]


def _main_select(
    tables: CaseTables, definition: Definition, facility_ids: Sequence[int] | None
) -> Select[Any]:
    main = tables.main
    names = [column_name(definition.elements[n]) for n in _top_scalars(definition)]  # type: ignore[arg-type]
    names += [column_of(n) for n in _top_scalars(definition) if definition.elements[n].reasons]
    names += [d.name for d in definition.derived]
    columns = [main.c[n] for n in dict.fromkeys(names) if n in main.c]
    statement = select(
        main.c.facility_id, cast(main.c.id, String(36)).label("case_id"), *columns
    ).where(main.c.status.in_(REPORTED), main.c.deleted_at.is_(None))
    if facility_ids is not None:
        statement = statement.where(main.c.facility_id.in_(list(facility_ids)))
    return statement


def _joined(statement: Select[Any], tables: CaseTables, child: Any) -> Select[Any]:
    """Restrict a child table's rows to reportable cases (and the facilities asked for)."""
    main = tables.main
    where = statement.whereclause
    joined = statement.join(
        main, (main.c.facility_id == child.c.facility_id) & (main.c.id == child.c.case_id)
    )
    return joined.where(where) if where is not None else joined


def _reportable(tables: CaseTables, facility_ids: Sequence[int] | None) -> Any:
    main = tables.main
    clause = main.c.status.in_(REPORTED) & main.c.deleted_at.is_(None)
    if facility_ids is not None:
        clause = clause & main.c.facility_id.in_(list(facility_ids))
    return clause


def _child_lists(
    connection: Connection,
    tables: CaseTables,
    table: Any,
    value: Any,
    facility_ids: Sequence[int] | None,
    alias: str,
) -> pl.DataFrame:
    """Return (facility_id, case_id, alias: list of values) for the child table's rows."""
    main = tables.main
    statement = (
        select(
            table.c.facility_id,
            cast(table.c.case_id, String(36)).label("case_id"),
            value.label(alias),
        )
        .join(main, (main.c.facility_id == table.c.facility_id) & (main.c.id == table.c.case_id))
        .where(_reportable(tables, facility_ids))
    )
    frame = read_frame(connection, statement)
    if frame.is_empty():
        return pl.DataFrame(
            schema={"facility_id": pl.Int64, "case_id": pl.Utf8, alias: pl.List(pl.Utf8)}
        )
    frame = frame.with_columns(pl.col(alias).cast(pl.Utf8))
    return frame.group_by("facility_id", "case_id").agg(pl.col(alias))


def _mesh_key(fact: str) -> str:
    """Return the raw column holding a model-file fact while the table is assembled."""
    return f"mesh:{fact}"


class FactBuilder:
    """Builds the fact table of one registry from its case tables."""

    def __init__(
        self,
        tables: CaseTables,
        definition: Definition,
        spec: AnalyticsSpec,
        record_secret: bytes | None = None,
    ) -> None:
        self.tables = tables
        self.definition = definition
        self.spec = spec
        #: with a secret, each fact row carries its case's record key (``record_key``), which
        #: the aggregates sum per cell so that released counts are perturbed consistently
        self.record_secret = record_secret

    def _element(self, path: str) -> Any:
        if "." in path:
            group, _, name = path.partition(".")
            return next(e for e in self.definition.groups[group].elements if e.name == name)
        return self.definition.elements.get(path)

    def _lists_for(
        self,
        connection: Connection,
        path: str,
        facility_ids: Sequence[int] | None,
        attribute: str | None = None,
    ) -> pl.DataFrame:
        """Return a list column (named ``path``) of the values of a codes element or a group
        element (one entry per group row)."""
        if "." in path:
            group = path.partition(".")[0]
            element = self._element(path)
            table = self.tables.groups[group]
            value: Any
            if element.references is not None and attribute:
                if attribute not in PRINTER_ATTRIBUTES:
                    raise ValueError(f"unknown printer attribute {attribute!r}")
                printers = Printer.__table__
                value = (
                    select(printers.c[attribute])
                    .where(printers.c.id == table.c[column_name(element)])
                    .scalar_subquery()
                )
            else:
                value = table.c[column_name(element)]
            return _child_lists(connection, self.tables, table, value, facility_ids, path)
        table = self.tables.multi[(None, path)]
        return _child_lists(connection, self.tables, table, table.c.value, facility_ids, path)

    def _group_counts(
        self, connection: Connection, facility_ids: Sequence[int] | None
    ) -> pl.DataFrame | None:
        frames = []
        for name, table in self.tables.groups.items():
            if name not in self.definition.groups:
                continue
            statement = (
                select(
                    table.c.facility_id,
                    cast(table.c.case_id, String(36)).label("case_id"),
                    func.count().label(f"n_{name}"),
                )
                .join(
                    self.tables.main,
                    (self.tables.main.c.facility_id == table.c.facility_id)
                    & (self.tables.main.c.id == table.c.case_id),
                )
                .where(_reportable(self.tables, facility_ids))
                .group_by(table.c.facility_id, table.c.case_id)
            )
            frames.append(read_frame(connection, statement))
        if not frames:
            return None
        out = frames[0]
        for frame in frames[1:]:
            out = out.join(frame, on=["facility_id", "case_id"], how="full", coalesce=True)
        return out

    def _billed_coding(
        self, connection: Connection, measure: Measure, facility_ids: Sequence[int] | None
    ) -> pl.DataFrame:
        """Return each case's group rows rendered as coding text ('0559T×1 + 0560T×2'): the
        measure's ``group.element`` codes, its ``weight`` element summed per code (1 per row
        without one)."""
        group, _, element = measure.value.partition(".")
        table = self.tables.groups[group]
        names = [e.name for e in self.definition.groups[group].elements]
        units = table.c[measure.weight] if measure.weight in names else None
        statement = (
            select(
                table.c.facility_id,
                cast(table.c.case_id, String(36)).label("case_id"),
                table.c[element].label("code"),
                (units if units is not None else func.count()).label("times"),
            )
            .join(
                self.tables.main,
                (self.tables.main.c.facility_id == table.c.facility_id)
                & (self.tables.main.c.id == table.c.case_id),
            )
            .where(_reportable(self.tables, facility_ids))
        )
        if units is None:
            statement = statement.group_by(table.c.facility_id, table.c.case_id, table.c[element])
        frame = read_frame(connection, statement)
        rendered: dict[tuple[int, str], dict[str, int]] = {}
        for facility_id, case_id, code, n in frame.iter_rows():
            coding = rendered.setdefault((facility_id, case_id), {})
            coding[code] = coding.get(code, 0) + int(n or 1)
        return pl.DataFrame(
            {
                "facility_id": [k[0] for k in rendered],
                "case_id": [k[1] for k in rendered],
                measure.value: [format_codes(v) for v in rendered.values()],
            },
            schema={"facility_id": pl.Int64, "case_id": pl.Utf8, f"{group}.code": pl.Utf8},
        )

    def _mesh_facts(
        self, connection: Connection, facility_ids: Sequence[int] | None
    ) -> pl.DataFrame:
        """Return each reportable case's model-file facts (one grouped query): the sum over
        the models of the prints the case has; the volume only when every model has one."""
        meshes = PrintMesh.__table__
        main = self.tables.main
        prints = self.tables.groups.get(PRINTS_GROUP)
        schema = {"facility_id": pl.Int64, "case_id": pl.Utf8}
        schema |= {_mesh_key(f): pl.Float64 for f in MESH_FACTS}
        if prints is None:
            return pl.DataFrame(schema=schema)
        sums: dict[str, ColumnElement[Any]] = {f: func.sum(meshes.c[f]) for f in MESH_FACTS}
        # a partial total would understate the volume: an open surface has none
        every_volume = func.count(meshes.c.volume_ml) == func.count()
        sums["volume_ml"] = case((every_volume, sums["volume_ml"]), else_=None)
        statement = (
            select(
                meshes.c.facility_id,
                cast(meshes.c.case_id, String(36)).label("case_id"),
                *(total.label(_mesh_key(f)) for f, total in sums.items()),
            )
            .join(
                main, (main.c.facility_id == meshes.c.facility_id) & (main.c.id == meshes.c.case_id)
            )
            # a model of a print the case no longer has measures nothing the case holds
            .join(
                prints,
                (prints.c.facility_id == meshes.c.facility_id)
                & (prints.c.case_id == meshes.c.case_id)
                & (prints.c.row_no == meshes.c.print_row),
            )
            .where(
                meshes.c.registry_code == self.tables.registry_code,
                _reportable(self.tables, facility_ids),
            )
            .group_by(meshes.c.facility_id, meshes.c.case_id)
        )
        frame = read_frame(connection, statement)
        return frame.select(pl.col(c).cast(t) for c, t in schema.items())

    def sizes(self, connection: Connection) -> dict[int, int]:
        """Return the reportable cases of each facility that has any (one grouped count):
        what the snapshot is cut into batches by."""
        main = self.tables.main
        statement = (
            select(main.c.facility_id, func.count())
            .where(_reportable(self.tables, None))
            .group_by(main.c.facility_id)
        )
        return {int(f): int(n) for f, n in connection.execute(statement)}

    def build(
        self, connection: Connection, facility_ids: Sequence[int] | None = None
    ) -> pl.DataFrame:
        """Return the fact table of the reportable cases (of the given facilities, or all)."""
        base = read_frame(connection, _main_select(self.tables, self.definition, facility_ids))
        base = base.with_columns(pl.col("facility_id").cast(pl.Int64))
        lists: dict[str, pl.DataFrame] = {}
        wanted_lists: list[tuple[str, str | None]] = []
        for name in self.spec.strata:
            if self.definition.elements[name].holds_list():  # a codes element
                wanted_lists.append((name, None))
        for measure in self.spec.measures:
            element = self._element(measure.value)
            if measure.source == "mesh" or (measure.success and measure.success.matches):
                continue
            if "." in measure.value or (hasattr(element, "parse") and is_multiple(element)):
                wanted_lists.append((measure.value, measure.attribute))
        for name, element in self.definition.elements.items():
            if not isinstance(element, GroupElement) and is_multiple(element):
                wanted_lists.append((name, None))
        for path, attribute in dict.fromkeys(wanted_lists):
            key = f"{path}@{attribute}" if attribute else path
            frame = self._lists_for(connection, path, facility_ids, attribute)
            lists[key] = frame.rename({path: key})
        for key, frame in lists.items():
            base = base.join(
                frame.with_columns(pl.col("facility_id").cast(pl.Int64)),
                on=["facility_id", "case_id"],
                how="left",
            )
            base = base.with_columns(pl.col(key).fill_null(pl.lit([], dtype=pl.List(pl.Utf8))))
        counts = self._group_counts(connection, facility_ids)
        if counts is not None:
            base = base.join(
                counts.with_columns(pl.col("facility_id").cast(pl.Int64)),
                on=["facility_id", "case_id"],
                how="left",
            )
        for measure in self.spec.measures:
            if measure.success and measure.success.matches and "." in measure.value:
                coding = self._billed_coding(connection, measure, facility_ids)
                base = base.join(coding, on=["facility_id", "case_id"], how="left")
        if any(m.source == "mesh" for m in self.spec.measures):
            meshes = self._mesh_facts(connection, facility_ids)
            base = base.join(meshes, on=["facility_id", "case_id"], how="left")
        facts = self._shape(base)
        if self.record_secret is not None:
            secret = self.record_secret
            keys = [record_key(secret, case_id) for case_id in base["case_id"]]
            facts = facts.with_columns(pl.Series(RECORD_KEY, keys, dtype=pl.Int64))
        return facts

    def _shape(self, base: pl.DataFrame) -> pl.DataFrame:
        """Return the fact table's columns computed from the joined raw columns."""
        spec = self.spec
        exprs: list[pl.Expr] = [pl.col("facility_id")]
        if spec.period and spec.period in base.columns:
            date = pl.col(spec.period).cast(pl.Date)
            exprs += [date.dt.truncate("1q").alias("period"), date.alias("case_date")]
        else:
            exprs += [pl.lit(None, dtype=pl.Date).alias(c) for c in ("period", "case_date")]
        for name in spec.strata:
            exprs.append(pl.col(name).alias(FactColumns.stratum(name)))
        for measure in spec.measures:
            exprs.append(self._measure(base, measure).alias(FactColumns.measure(measure.name)))
        for name, element in self.definition.elements.items():
            if isinstance(element, GroupElement):
                source = pl.col(f"n_{name}") if f"n_{name}" in base.columns else pl.lit(None)
                exprs.append(source.fill_null(0).gt(0).alias(FactColumns.complete(name)))
            elif is_multiple(element):
                exprs.append(pl.col(name).list.len().gt(0).alias(FactColumns.complete(name)))
            else:
                col = column_name(element)
                exprs.append(pl.col(col).is_not_null().alias(FactColumns.complete(name)))
                if element.reasons:
                    reason = pl.col(column_of(name)) if column_of(name) in base.columns else None
                    given = pl.lit(value=False) if reason is None else reason.is_not_null()
                    exprs.append(given.alias(FactColumns.reason(name)))
        if spec.value is not None:
            value = spec.value
            exprs += [
                pl.col(value.effect).cast(pl.Float64).alias("v_effect"),
                pl.col(value.separate).cast(pl.Utf8).alias("v_separate"),
                pl.col(value.by).cast(pl.Utf8).alias("v_by"),
            ]
            sides: dict[str, str | None] = {
                "before": value.confidence_before,
                "after": value.confidence_after,
            }
            for role, ref in sides.items():
                source = pl.col(ref).cast(pl.Float64) if ref else pl.lit(None, pl.Float64)
                exprs.append(source.alias(f"v_{role}"))
        return base.select(exprs)

    def _measure(self, base: pl.DataFrame, measure: Measure) -> pl.Expr:
        element = self._element(measure.value)
        key = f"{measure.value}@{measure.attribute}" if measure.attribute else measure.value
        if measure.kind == "continuous":
            raw = _mesh_key(measure.value) if measure.source == "mesh" else measure.value
            value = pl.col(raw).cast(pl.Float64)
            if measure.source != "mesh" and is_age(element):
                # released figures carry ages of 90 and over only as "90 or older"
                value = value.clip(upper_bound=AGE_TOP_CODE)
            if measure.per:
                per = pl.col(measure.per).cast(pl.Float64)
                value = pl.when(per > 0).then(value / per).otherwise(None)
            return value
        if measure.kind == "mix":
            if key in base.columns and base.schema[key] == pl.List(pl.Utf8):
                values = pl.col(key)
                if measure.missing_label:
                    values = (
                        pl.when(values.list.len() == 0)
                        .then(pl.lit([measure.missing_label], dtype=pl.List(pl.Utf8)))
                        .otherwise(values)
                    )
                return values
            # a single-valued mix stays a plain column: no list to explode when counting
            source = column_name(element) if hasattr(element, "parse") else measure.value
            single = pl.col(source).cast(pl.Utf8)
            return single.fill_null(measure.missing_label) if measure.missing_label else single
        success = measure.success
        assert success is not None  # noqa: S101 - checked by the spec model
        if success.matches:
            value = pl.col(measure.value)
            outcome = value == pl.col(success.matches).fill_null("")
            return pl.when(value.is_null()).then(None).otherwise(outcome)
        if key in base.columns and base.schema[key] == pl.List(pl.Utf8):
            count = pl.col(key).list.len()
            present = count > 0
            if success.count_at_least is not None:
                outcome = count >= success.count_at_least
            elif success.values is not None:
                wanted = [str(v) for v in success.values]
                outcome = pl.col(key).list.eval(pl.element().is_in(wanted)).list.any()
            else:
                outcome = present
        else:
            value = pl.col(column_name(element))
            present = value.is_not_null()
            if success.at_least is not None:
                outcome = value.cast(pl.Float64) >= success.at_least
            elif success.values is not None:
                outcome = value.cast(pl.Utf8).is_in([str(v) for v in success.values])
            elif success.count_at_least is not None:
                outcome = present & (success.count_at_least <= 1)
            else:
                outcome = present
        if measure.among == "all":
            return outcome.fill_null(value=False)
        return pl.when(present).then(outcome).otherwise(None)
