"""API routes whose JSON bodies are parsed within bounds (``ingest.strict_json``).

FastAPI parses a JSON body with ``json.loads`` before the route runs: a deeply nested body would
end in RecursionError (reported as a parse error, or as an internal error further on), ``1e999``
would arrive as infinity and a repeated key would silently keep its last value. Routers made
with ``route_class=StrictJsonRoute`` answer those bodies 400 with what is wrong instead.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from printreg.ingest import strict_json


class StrictJsonRequest(Request):
    """A request whose ``json()`` is ``strict_json.loads``."""

    async def json(self) -> Any:
        """Return the parsed body; HTTPException 400 for a hostile shape (cached like Starlette's)."""
        if not hasattr(self, "_json"):
            body = await self.body()
            try:
                self._json = strict_json.loads(body)
            except strict_json.JsonRefused as exc:
                raise HTTPException(400, f"the JSON body is refused: {exc}") from None
            except UnicodeDecodeError:
                raise HTTPException(400, "the JSON body is not UTF-8 text") from None
        return self._json


class StrictJsonRoute(APIRoute):
    """An API route that parses its JSON body with ``StrictJsonRequest``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Return FastAPI's handler, given the strict request instead of Starlette's."""
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict
