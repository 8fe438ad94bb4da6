"""Run the web application with uvicorn."""

from __future__ import annotations

from printreg.cli.common import console


def serve_app(host: str, port: int) -> None:
    """Serve printreg on host:port until interrupted."""
    import uvicorn

    from printreg.settings import Settings
    from printreg.web.app import create_app

    settings = Settings()
    console.print(f"printreg is serving on [bold]http://{host}:{port}/[/] (Ctrl-C stops it)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
