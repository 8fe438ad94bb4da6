"""Run the web application with uvicorn: one process, or N worker processes on one port."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from printreg.cli.common import console
from printreg.ops.metrics import MULTIPROCESS_ENV
from printreg.settings import Settings


def metrics_folder(settings: Settings, port: int) -> Path:
    """Return the folder the worker processes of ``printreg serve`` on ``port`` write their
    metrics to: ``PROMETHEUS_MULTIPROC_DIR`` when the environment sets it, else
    ``<data_dir>/metrics/<host name>-<port>`` (one per machine and server, so servers sharing
    a data folder never mix or wipe each other's figures)."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        return Path(given)
    return Path(settings.data_dir) / "metrics" / f"{socket.gethostname()}-{port}"


def prepare_metrics_folder(folder: Path) -> None:
    """Empty ``folder`` (creating it) and point prometheus-client's multi-process mode at it.

    Run before the workers start: they inherit the variable, and files left by processes of an
    earlier run would otherwise be summed into the new figures."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o700)
    os.environ[MULTIPROCESS_ENV] = str(folder)


def serve_app(host: str, port: int, workers: int = 1) -> None:
    """Serve printreg on host:port until interrupted, in one process or ``workers`` processes."""
    import uvicorn

    from printreg.ops.logs import log_config

    settings = Settings()
    console.print(f"printreg is serving on [bold]http://{host}:{port}/[/] (Ctrl-C stops it)")
    # printreg writes the access lines (route templates, no query strings): uvicorn's are off.
    if workers == 1:
        from printreg.web.asgi import create

        uvicorn.run(create(), host=host, port=port,
                    log_config=log_config(settings), access_log=False)  # fmt: skip
        return
    folder = metrics_folder(settings, port)
    prepare_metrics_folder(folder)
    console.print(f"{workers} worker processes; their metrics are summed in {folder}")
    # Each worker builds its own application from the same environment (see printreg.web.asgi)
    # and listens on its own socket, so that connections spread over the processes
    # (printreg.web.workers says why uvicorn's --workers does not do that).
    from printreg.web.workers import serve

    try:
        code = serve("printreg.web.asgi:create", host, port, workers,
                     log_config=log_config(settings), access_log=False)  # fmt: skip
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    if code:
        raise SystemExit("a web process stopped while starting: see the messages above")
