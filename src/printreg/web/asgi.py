"""The web application built from the environment, for servers that import it by name.

``printreg serve --workers N`` starts N uvicorn processes; each imports this module and calls
``create`` (uvicorn's ``factory`` mode), so every process builds its own application, engine and
caches from the same ``PRINTREG_*`` environment and shares nothing with the others but the
database and the data folder. The same entry point runs under any ASGI server::

    uvicorn --factory printreg.web.asgi:create --workers 4 --no-access-log
"""

from __future__ import annotations

from fastapi import FastAPI

from printreg.settings import Settings
from printreg.web.app import create_app


def create() -> FastAPI:
    """Return the web application for the settings read from the environment."""
    return create_app(Settings())
