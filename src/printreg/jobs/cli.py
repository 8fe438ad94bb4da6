"""`printreg worker`: run queued jobs (imports, exports, analytics refreshes, research extracts)
on any machine that reaches the database."""

from __future__ import annotations

from typing import Annotated

import typer

from printreg.cli.common import console, platform, run

worker_app = typer.Typer()


@worker_app.command("worker")
def worker(
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, max=64, help="Jobs run at once.")
    ] = 1,
    once: Annotated[
        bool,
        typer.Option("--once", help="Run the jobs ready now, then exit (instead of waiting)."),
    ] = False,
) -> None:
    """Run queued jobs until stopped (SIGTERM or Ctrl-C lets running jobs finish).

    Used when PRINTREG_JOB_RUNNER is 'queue'; start as many workers, on as many machines, as
    the load needs: each claims jobs from the database without waiting for the others.
    """
    import logging.config

    from printreg.jobs.worker import Worker, yield_cpu
    from printreg.ops.logs import log_config

    def body() -> None:
        with platform() as p:
            logging.config.dictConfig(log_config(p.settings))
            yield_cpu(p.settings.worker_nice)
            if p.settings.job_runner != "queue":
                console.print(
                    "note: PRINTREG_JOB_RUNNER is 'inprocess': web processes run their jobs "
                    "themselves"
                )
            ran = Worker(p, concurrency, once=once, signals=True).run()
        console.print(f"worker stopped after {ran} job(s)")

    run(body)
