"""The bare endpoint of bench/api.py: what the hardware allows for printreg's reads.

A Starlette application that runs, with psycopg and nothing between, the very SQL statements
printreg ran for one authenticated read (captured by bench/api.py from printreg's engine: the
token, person and role look-ups, then the case or the list), substituting the requested case id,
and answers JSON of the same fields. Connections: a small pool per process, autocommit.

Not printreg code and not a test. Run by bench/api.py as
``uvicorn bench.bare_api:bare_app --factory --workers 2`` with BENCH_BARE_SQL (the pickled
statements) and BENCH_BARE_CONNINFO (libpq connection string) in the environment.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

POOL_SIZE = 5  # SQLAlchemy's default pool size, as printreg uses
FROM = re.compile(r"FROM (\w+)")
#: the tables of the sign-in look-ups (by token), whatever their number
SIGN_IN = frozenset({"api_tokens", "users", "memberships", "second_factors"})
SUMMARY = ("id", "facility_id", "local_case_id", "status", "definition_version", "updated_at")

#: one statement: (SQL text, parameters, names of the parameters that hold the case id)
Statement = tuple[str, dict[str, Any], list[str]]


def _json(value: object) -> Response:
    """Return a JSON response (UUIDs, dates and decimals as strings)."""
    body = json.dumps(value, default=str, separators=(",", ":"))
    return Response(body, media_type="application/json")


def bare_app() -> Starlette:
    """Return the bare application (a uvicorn app factory)."""
    statements: dict[str, list[Statement]] = pickle.loads(  # noqa: S301 - bench/api.py wrote it
        Path(os.environ["BENCH_BARE_SQL"]).read_bytes()
    )
    conninfo = os.environ["BENCH_BARE_CONNINFO"]
    pool: asyncio.Queue[psycopg.AsyncConnection[dict[str, Any]]] = asyncio.Queue()

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        for _ in range(POOL_SIZE):
            pool.put_nowait(
                await psycopg.AsyncConnection.connect(
                    conninfo, autocommit=True, row_factory=dict_row
                )
            )
        yield
        while not pool.empty():
            await pool.get_nowait().close()

    async def run(name: str, case_id: uuid.UUID | None) -> list[tuple[str, list[dict[str, Any]]]]:
        """Run the captured statements of one read; return (table, rows) of each."""
        connection = await pool.get()
        try:
            results = []
            async with connection.cursor() as cursor:
                for sql, params, case_keys in statements[name]:
                    bound = dict(params) | dict.fromkeys(case_keys, case_id)
                    await cursor.execute(sql, bound)  # type: ignore[arg-type]
                    match = FROM.search(sql)
                    results.append((match.group(1) if match else "", await cursor.fetchall()))
            return results
        finally:
            pool.put_nowait(connection)

    async def get_case(request: Request) -> Response:
        try:
            case_id = uuid.UUID(request.path_params["case_id"])
        except ValueError:
            return Response(status_code=404)
        facility, main, children = None, None, {}
        for table, rows in await run("get", case_id):
            if table in SIGN_IN:
                continue
            if table == "facilities" and rows:
                facility = rows[0]["code"]
            elif rows and "local_case_id" in rows[0]:
                main = {k: v for k, v in rows[0].items() if v is not None}
            elif table != "printers" and rows and set(rows[0]) != {"facility_id"}:
                children[table] = [{k: v for k, v in r.items() if v is not None} for r in rows]
        if main is None:
            return Response(status_code=404)
        return _json({"facility": facility, "record": main | children})

    async def list_cases(_: Request) -> Response:
        results = await run("list", None)
        rows = next(
            (
                rows
                for table, rows in results
                if table not in SIGN_IN and rows and "local_case_id" in rows[0]
            ),
            [],
        )
        codes = {  # the facility look-up (before the page, or after it as it once was)
            row["id"]: row["code"]
            for table, rows in results
            if table == "facilities"
            for row in rows
            if "code" in row
        }
        items = [
            {k: row[k] for k in SUMMARY}
            | {"facility": codes[row["facility_id"]], "deleted": row["deleted_at"] is not None}
            for row in rows
        ]
        return _json({"items": items, "next_cursor": None})

    return Starlette(
        routes=[
            Route("/api/v1/registries/3dp/cases/{case_id}", get_case),
            Route("/api/v1/registries/3dp/cases", list_cases),
        ],
        lifespan=lifespan,
    )
