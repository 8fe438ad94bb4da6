"""Fixtures for the notification tests: the app, demo people and clients (tests/support/web.py)."""

from __future__ import annotations

from tests.support.web import (  # noqa: F401 - fixtures for this folder
    anon,
    api_platform,
    app,
    bearer_client,
    case_ids,
    client_for,
    dm,
    new_client,
)
