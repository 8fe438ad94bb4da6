"""`printreg synth` and `printreg demo`: synthetic data, and the demo installation."""

from __future__ import annotations

from typing import Annotated

import typer

from printreg.cli.common import (
    HostOpt,
    PortOpt,
    RegistryOpt,
    console,
    err_console,
    operator,
    platform,
    run,
)
from printreg.cli.common import registry_code as _registry

demo_app = typer.Typer()  # its commands join the top level


# -- synthetic data and demo --------------------------------------------------------------------


@demo_app.command("synth")
def synth(
    facilities: Annotated[int, typer.Option(min=1, help="Number of facilities.")] = 12,
    cases: Annotated[int, typer.Option(min=0, help="Number of cases.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 1,
    registry: RegistryOpt = None,
) -> None:
    """Add realistic synthetic facilities, printers and cases (validated like real data)."""
    from rich.progress import Progress

    from printreg.demo.synth import load_synthetic

    def body() -> None:
        with platform() as p, Progress(console=err_console, transient=True) as bar:
            task = bar.add_task("adding cases", total=cases)
            loaded = load_synthetic(
                p,
                operator(),
                registry=_registry(registry),
                seed=seed,
                facilities=facilities,
                cases=cases,
                progress=lambda n: bar.advance(task, n),
            )
        console.print(
            f"added {loaded.facilities} facilities, {loaded.printers} printers, "
            f"{loaded.cases} cases ({loaded.rejected} rejected)"
        )

    run(body)


@demo_app.command("demo")
def demo(
    facilities: Annotated[int, typer.Option(min=2)] = 12,
    cases: Annotated[int, typer.Option(min=0)] = 2600,  # services.demo.DEMO_CASES
    seed: Annotated[int, typer.Option()] = 42,
    serve: Annotated[bool, typer.Option(help="Start the web server afterwards.")] = True,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
) -> None:
    """Set up synthetic data and demo accounts (once), print a summary, serve the web app."""
    from printreg.demo.run import run_demo

    run(lambda: run_demo(facilities=facilities, cases=cases, seed=seed, serve=serve, host=host,
                         port=port))  # fmt: skip
