"""`printreg quality …`: evaluate the registry's quality rules now, show the stored results."""

from __future__ import annotations

from typing import Annotated

import typer

from printreg.cli.common import JsonOpt, RegistryOpt, console, operator, platform, print_json, run
from printreg.cli.common import registry_code as _registry

quality_app = typer.Typer(
    help="Data-quality rules: evaluate them, show scores and findings.", no_args_is_help=True
)


def _pct(score: float | None) -> str:
    return "–" if score is None else f"{score * 100:.1f}%"


@quality_app.command("evaluate")
def evaluate(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """Evaluate the registry's quality rules now and store the results the pages show."""
    from printreg.quality.service import QualityService

    def action() -> None:
        code = _registry(registry)
        with platform() as instance:
            result = QualityService(instance, operator()).evaluate(code)
        if as_json:
            print_json(result)
            return
        console.print(
            f"{code}: {result.findings} finding(s) over {result.cases} case(s), rules "
            f"{result.rules_version}"
        )

    run(action, as_json=as_json)


@quality_app.command("show")
def show(
    facility: Annotated[
        str | None,
        typer.Option("--facility", "-f", help="Facility code: its scores, trend and findings."),
    ] = None,
    registry: RegistryOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the stored scores: every facility's, or one facility's by rule with its findings."""
    from printreg.quality.service import QualityService

    def action() -> None:
        code = _registry(registry)
        with platform() as instance:
            service = QualityService(instance, operator())
            data = service.facility(code, facility) if facility else service.overview(code)
        if as_json:
            print_json(data)
            return
        if data.evaluated is None:
            console.print(
                f"{code}: the rules have not been evaluated yet (printreg quality evaluate)"
            )
        console.print(f"overall {_pct(data.overall.score)} of {data.overall.cases} case(s)")
        for score in data.rules:
            console.print(f"  {score.rule_id:<32} {_pct(score.score):>7}  {score.flagged} flagged")
        for quarter in data.trend:
            console.print(f"  {quarter.quarter:<32} {_pct(quarter.score):>7}  of {quarter.cases}")
        if facility is None:
            for row in data.facilities:  # type: ignore[union-attr]
                console.print(f"  {row.facility:<32} {_pct(row.score):>7}  of {row.cases}")

    run(action, as_json=as_json)
