"""Fixtures for the security tests: the same app, demo people and signed-in clients as the API tests.

Each module here holds one attack from the threat model in docs/security.md, written so that it
fails if the hole reopens; every database test runs on SQLite and on PostgreSQL.
"""

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
