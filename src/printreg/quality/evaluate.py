"""Evaluate a registry's quality rules in bulk: one polars expression per rule over all cases.

The input is one frame of the registry's cases (:mod:`printreg.quality.frames`): ``facility_id``,
``case_id``, ``status``, ``created_at`` (naive UTC), ``quarter``, a column per element a rule
reads (a list of codes for multi-valued elements, the sorted values of a group's rows joined for
``group.element`` keys). Nothing here reads the database or a case one at a time.
"""

from __future__ import annotations

import datetime as dt
from functools import reduce
from typing import TYPE_CHECKING

from printreg.dictionary.conditions import Condition, Scalar
from printreg.dictionary.elements import BooleanElement, ElementBase
from printreg.dictionary.models import Definition
from printreg.quality.rules import (
    CombinationRule,
    MissingAssessmentRule,
    OutlierRule,
    QualitySpec,
    RangeRule,
    Rule,
    StaleDraftRule,
    finding_field,
    message,
)

if TYPE_CHECKING:
    import polars as pl

#: the columns of a findings frame
FINDING_COLUMNS = ("rule_id", "facility_id", "case_id", "field_path", "message")
#: the consistency constant that makes the MAD estimate a normal distribution's sigma
MAD_SCALE = 0.6745
DRAFT = "draft"


def FALSE() -> pl.Expr:  # noqa: N802 - reads as the constant it returns
    """Return the constant false as a polars expression."""
    import polars as pl  # noqa: PLC0415

    return pl.lit(value=False)


def TRUE() -> pl.Expr:  # noqa: N802
    """Return the constant true as a polars expression."""
    import polars as pl  # noqa: PLC0415

    return pl.lit(value=True)


def _fits(element: object, value: Scalar) -> bool:
    """Return whether a compared value has the element's kind (booleans stay apart from 1/0)."""
    if isinstance(element, BooleanElement):
        return isinstance(value, bool)
    if isinstance(element, ElementBase) and element.numeric:
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def condition_expr(cond: Condition, definition: Definition, frame: pl.DataFrame) -> pl.Expr:
    """Return the condition as a boolean polars expression over the case frame; a missing
    field makes a field test false, as in :meth:`Condition.evaluate`."""
    import polars as pl  # noqa: PLC0415 - heavy: loaded when rules are evaluated

    if cond.all is not None:
        return reduce(lambda a, b: a & b, (condition_expr(c, definition, frame) for c in cond.all))
    if cond.any is not None:
        return reduce(lambda a, b: a | b, (condition_expr(c, definition, frame) for c in cond.any))
    if cond.not_ is not None:
        return ~condition_expr(cond.not_, definition, frame)
    if cond.section_filled is not None:
        return section_filled(cond.section_filled, definition, frame)
    name = cond.field or ""
    column = pl.col(name)
    is_list = isinstance(frame.schema.get(name), pl.List)
    if cond.present is not None:
        filled = column.is_not_null() & (column.list.len() > 0 if is_list else TRUE())
        return filled.fill_null(value=False) if cond.present else ~filled.fill_null(value=False)
    element = definition.elements.get(name)
    values = [v for v in cond.compared_values() if _fits(element, v)]
    if not values:
        return FALSE()
    if cond.contains is not None:
        test = column.list.contains(pl.lit(values[0])) if is_list else column == values[0]
    elif is_list:
        return FALSE()  # equals/in compare one value; a list holds several
    else:
        test = reduce(lambda a, b: a | b, (column == v for v in values))
    return test.fill_null(value=False)


def section_filled(section: str, definition: Definition, frame: pl.DataFrame) -> pl.Expr:
    """Return whether any element of the section that the frame holds has a value."""
    import polars as pl  # noqa: PLC0415

    tests = [
        (pl.col(n).list.len() > 0)
        if isinstance(frame.schema[n], pl.List)
        else pl.col(n).is_not_null()
        for n in definition.section_elements.get(section, [])
        if n in frame.columns
    ]
    if not tests:
        return FALSE()
    return reduce(lambda a, b: a | b, tests).fill_null(value=False)


def _flagged(
    frame: pl.DataFrame, test: pl.Expr, rule: Rule, definition: Definition
) -> pl.DataFrame:
    """Return the findings of the cases where ``test`` holds."""
    import polars as pl  # noqa: PLC0415

    return frame.filter(test).select(
        pl.lit(rule.id).alias("rule_id"),
        pl.col("facility_id").cast(pl.Int64),
        pl.col("case_id"),
        pl.lit(finding_field(rule, definition)).alias("field_path"),
        pl.lit(message(rule, definition)).alias("message"),
    )


def _outlier_test(rule: OutlierRule) -> pl.Expr:
    """Return the robust-z test of a number against its facility's median and MAD."""
    import polars as pl  # noqa: PLC0415

    x = pl.col(rule.element).cast(pl.Float64)
    median = x.median().over("facility_id")
    mad = (x - median).abs().median().over("facility_id")
    count = x.count().over("facility_id")
    z = MAD_SCALE * (x - median) / mad
    return ((count >= rule.min_values) & (mad > 0) & (z.abs() > rule.threshold)).fill_null(
        value=False
    )


def evaluate_rule(
    rule: Rule, frame: pl.DataFrame, definition: Definition, now: dt.datetime
) -> pl.DataFrame:
    """Return the findings of one rule over every case of the frame."""
    import polars as pl  # noqa: PLC0415

    if isinstance(rule, RangeRule):
        x = pl.col(rule.element)
        low = x < rule.min if rule.min is not None else FALSE()
        high = x > rule.max if rule.max is not None else FALSE()
        return _flagged(frame, (low | high).fill_null(value=False), rule, definition)
    if isinstance(rule, OutlierRule):
        return _flagged(frame, _outlier_test(rule), rule, definition)
    if isinstance(rule, CombinationRule):
        return _flagged(frame, condition_expr(rule.when, definition, frame), rule, definition)
    if isinstance(rule, StaleDraftRule):
        before = now.replace(tzinfo=None) - dt.timedelta(days=rule.days)
        test = (pl.col("status") == DRAFT) & (pl.col("created_at") < before)
        return _flagged(frame, test.fill_null(value=False), rule, definition)
    if isinstance(rule, MissingAssessmentRule):
        due = now.date() - dt.timedelta(days=rule.days)
        test = (pl.col(rule.date) < due).fill_null(value=False) & ~section_filled(
            rule.section, definition, frame
        )
        return _flagged(frame, test, rule, definition)
    keys = [
        (pl.col(k).list.sort().list.join(";") if isinstance(frame.schema[k], pl.List)
         else pl.col(k).cast(pl.Utf8)).fill_null("").alias(f"__k{i}")
        for i, k in enumerate(rule.keys)
    ]  # fmt: skip
    keyed = frame.with_columns(keys)
    partition = ["facility_id", *(f"__k{i}" for i in range(len(keys)))]
    test = pl.col(rule.keys[0]).is_not_null() & (pl.len().over(partition) > 1)
    return _flagged(keyed, test, rule, definition)


def empty_findings() -> pl.DataFrame:
    """Return a findings frame without rows."""
    import polars as pl  # noqa: PLC0415

    return pl.DataFrame(
        schema={
            "rule_id": pl.Utf8,
            "facility_id": pl.Int64,
            "case_id": pl.Utf8,
            "field_path": pl.Utf8,
            "message": pl.Utf8,
        }
    )


def evaluate(
    spec: QualitySpec, frame: pl.DataFrame, definition: Definition, now: dt.datetime
) -> pl.DataFrame:
    """Return every finding of every rule: (rule_id, facility_id, case_id, field_path,
    message), ordered by rule, facility and case."""
    import polars as pl  # noqa: PLC0415

    parts = [evaluate_rule(rule, frame, definition, now) for rule in spec.rules]
    found = pl.concat([empty_findings(), *parts]) if parts else empty_findings()
    return found.sort("rule_id", "facility_id", "case_id")


def scores(spec: QualitySpec, frame: pl.DataFrame, findings: pl.DataFrame) -> pl.DataFrame:
    """Return (facility_id, quarter, rule_id, cases, flagged) for every rule and, with
    ``rule_id`` null, for any rule: how many cases of the quarter there are and how many carry
    a finding. A facility's quarters without cases have no row."""
    import polars as pl  # noqa: PLC0415

    base = frame.group_by("facility_id", "quarter").agg(pl.len().cast(pl.Int64).alias("cases"))
    quarters = frame.select("facility_id", "case_id", "quarter")
    flagged = (
        findings.select("rule_id", "case_id", "facility_id")
        .unique()
        .join(quarters, on=["facility_id", "case_id"])
    )
    per_rule = flagged.group_by("facility_id", "quarter", "rule_id").agg(
        pl.len().cast(pl.Int64).alias("flagged")
    )
    any_rule = (
        flagged.select("facility_id", "case_id", "quarter")
        .unique()
        .group_by("facility_id", "quarter")
        .agg(pl.len().cast(pl.Int64).alias("flagged"))
        .with_columns(pl.lit(None, pl.Utf8).alias("rule_id"))
    )
    rules = pl.DataFrame({"rule_id": [r.id for r in spec.rules]}, schema={"rule_id": pl.Utf8})
    grid = pl.concat(
        [base.join(rules, how="cross"), base.with_columns(pl.lit(None, pl.Utf8).alias("rule_id"))],
        how="diagonal",
    )
    counted = pl.concat([per_rule, any_rule.select(per_rule.columns)])
    return (
        grid.join(counted, on=["facility_id", "quarter", "rule_id"], how="left", nulls_equal=True)
        .with_columns(pl.col("flagged").fill_null(0))
        .select("facility_id", "quarter", "rule_id", "cases", "flagged")
        .sort("facility_id", "quarter", "rule_id", nulls_last=True)
    )
