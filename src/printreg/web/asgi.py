"""The web application built from the environment, for servers that import it by name.

``printreg serve --workers N`` starts N uvicorn processes; each imports this module and calls
``create`` (uvicorn's ``factory`` mode), so every process builds its own application, engine and
caches from the same ``PRINTREG_*`` environment and shares nothing with the others but the
database and the data folder. The same entry point runs under any ASGI server::

    uvicorn --factory printreg.web.asgi:create --workers 4 --no-access-log
"""

from __future__ import annotations

import gc

from fastapi import FastAPI

from printreg.settings import Settings
from printreg.web.app import create_app


def create() -> FastAPI:
    """Return the web application for the settings read from the environment (the objects
    built so far set aside from the garbage collector: see ``settle``)."""
    app = create_app(Settings())
    settle()
    return app


def settle() -> None:
    """Move every object alive now out of the garbage collector's reach (``gc.freeze``).

    A built application holds some 300,000 objects (libraries, route state, the registries'
    definitions) that live as long as the process. Python's full collections walk them all —
    0.2–0.6 s on the bench machine, during which the process answers nothing: a
    request's 99th percentile. Frozen, they are never walked again; objects made by requests
    are collected as before. Only for a process that serves: a test process freezing each
    application it builds would keep their garbage for ever."""
    gc.collect()
    gc.freeze()
