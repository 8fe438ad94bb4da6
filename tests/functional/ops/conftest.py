"""Fixtures for the operations tests: the app, demo people and clients (tests/support/web.py)."""

from __future__ import annotations

from tests.support.logs import json_logs  # noqa: F401 - fixture for this folder
from tests.support.web import (  # noqa: F401 - fixtures for this folder
    anon,
    api_platform,
    app,
    client_for,
    dm,
    new_client,
)
