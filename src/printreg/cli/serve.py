"""Run the web application with uvicorn."""

from __future__ import annotations

from printreg.cli.common import console


def serve_app(host: str, port: int) -> None:
    """Serve printreg on host:port until interrupted."""
    import uvicorn

    from printreg.ops.logs import log_config
    from printreg.settings import Settings
    from printreg.web.app import create_app

    settings = Settings()
    console.print(f"printreg is serving on [bold]http://{host}:{port}/[/] (Ctrl-C stops it)")
    # printreg writes the access lines (route templates, no query strings): uvicorn's are off.
    uvicorn.run(create_app(settings), host=host, port=port,
                log_config=log_config(settings), access_log=False)  # fmt: skip
