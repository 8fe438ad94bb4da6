"""`printreg pool`: fixed- or random-effects pooling of a CSV of effects and their variances."""

from __future__ import annotations

import csv
import enum
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from printreg.cli.common import console, print_json, run

if TYPE_CHECKING:
    from printreg.analytics.meta import PoolResult

# `printreg pool` itself, merged into the top-level command by printreg.cli.app.
pool_app = typer.Typer()


class MethodName(enum.StrEnum):
    """The estimators `pool` offers, as typed on the command line."""

    FE = "FE"
    DL = "DL"
    REML = "REML"
    PM = "PM"


@dataclass(frozen=True)
class Studies:
    """The rows of an effects file: one effect, its variance and a label per study."""

    effects: list[float]
    variances: list[float]
    labels: list[str]


def _number(cell: str | None, row: int, column: str) -> float:
    """Return a cell as a finite number; raise ValueError naming the row and column otherwise."""
    text = (cell or "").strip()
    where = f"row {row} (line {row + 1}), column {column!r}"
    if not text:
        raise ValueError(f"{where} is empty")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{where}: {text!r} is not a finite number")
    return value


def read_studies(path: Path, effect: str, variance: str, label: str | None) -> Studies:
    """Return the studies of a CSV file; raise ValueError with one line saying what is wrong."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            present = list(reader.fieldnames or [])
            wanted = [effect, variance] + ([label] if label else [])
            missing = [c for c in wanted if c not in present]
            if missing:
                raise ValueError(
                    f"{path}: no column {', '.join(repr(c) for c in missing)}; "
                    f"the columns are {', '.join(repr(c) for c in present) or '(none)'}"
                )
            studies = Studies([], [], [])
            for row, record in enumerate(reader, start=1):
                y = _number(record[effect], row, effect)
                v = _number(record[variance], row, variance)
                if v <= 0:
                    raise ValueError(
                        f"row {row} (line {row + 1}), column {variance!r}: "
                        f"a variance must be positive; got {v:g}"
                    )
                studies.effects.append(y)
                studies.variances.append(v)
                studies.labels.append((record[label] or "").strip() if label else str(row))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    if len(studies.effects) < 2:
        raise ValueError(
            f"pooling needs at least 2 studies; {path} has {len(studies.effects)} row(s)"
        )
    return studies


@pool_app.command("pool")
def pool_command(
    path: Annotated[
        Path, typer.Argument(metavar="FILE", help="CSV file with one row per study or facility.")
    ],
    effect: Annotated[str, typer.Option("--effect", help="Column of the effects (y_i).")],
    variance: Annotated[
        str, typer.Option("--variance", help="Column of the effects' variances (v_i = SE²).")
    ],
    method: Annotated[
        MethodName,
        typer.Option(
            "--method",
            help="FE (fixed effect), DL (DerSimonian–Laird), REML or PM (Paule–Mandel).",
        ),
    ] = MethodName.REML,
    hksj: Annotated[
        bool, typer.Option("--hksj", help="Hartung–Knapp–Sidik–Jonkman CI on t(k−1).")
    ] = False,
    level: Annotated[float, typer.Option("--level", help="Confidence level.")] = 0.95,
    label: Annotated[
        str | None, typer.Option("--label", help="Column naming each study; lists the studies.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for machines.")] = False,
) -> None:
    """Pool effects across studies or facilities with a fixed- or random-effects model."""
    from printreg.analytics.meta import empirical_bayes, pool

    def body() -> None:
        studies = read_studies(path, effect, variance, label)
        result = pool(studies.effects, studies.variances, method.value, hksj=hksj, level=level)
        shrunk = empirical_bayes(studies.effects, studies.variances, result)
        per_study = list(
            zip(
                studies.labels,
                studies.effects,
                studies.variances,
                result.weights,
                (float(x) for x in shrunk),
                strict=True,
            )
        )
        if as_json:
            keys = ("label", "effect", "variance", "weight", "eb_estimate")
            print_json(
                {
                    **result.to_dict(),
                    "studies": [dict(zip(keys, s, strict=True)) for s in per_study],
                }
            )
            return
        _print_result(result)
        if label:
            table = Table("study", "effect", "variance", "weight %", "EB estimate")
            for name, y, v, w, eb in per_study:
                table.add_row(name, f"{y:.4f}", f"{v:.4g}", f"{100 * w:.1f}", f"{eb:.4f}")
            console.print(table)

    run(body, as_json=as_json)


def _print_result(r: PoolResult) -> None:
    pct = f"{100 * r.level:g}%"
    test = f"t({r.df})" if r.hksj else "z"
    table = Table("quantity", "value", title=f"{r.method} pooled estimate of {r.k} studies")
    table.add_row("estimate (SE)", f"{r.estimate:.4f} ({r.se:.4f})")
    table.add_row(f"{pct} CI" + (" (HKSJ)" if r.hksj else ""), f"{r.ci_low:.4f} to {r.ci_high:.4f}")
    table.add_row(f"{test}, p", f"{r.z_or_t:.3f}, {r.p_value:.3g}")
    table.add_row("τ² (τ)", f"{r.tau2:.4f} ({r.tau:.4f})")
    table.add_row("I², H²", f"{r.i2:.1f}%, {r.h2:.2f}")
    table.add_row(f"Q (df {r.q_df}), p", f"{r.q:.4f}, {r.q_p:.3g}")
    if r.pi_low is not None and r.pi_high is not None:
        note = "" if r.pi_reliable else " (unreliable: fewer than 5 studies)"
        table.add_row(f"{pct} prediction interval", f"{r.pi_low:.4f} to {r.pi_high:.4f}{note}")
    else:
        table.add_row(f"{pct} prediction interval", "not given: needs at least 3 studies")
    console.print(table)
