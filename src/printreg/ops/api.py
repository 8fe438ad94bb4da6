"""The operations routes: ``/healthz``, ``/readyz`` and ``/metrics``, outside the API's schema.

``/healthz`` answers while the process runs, touching nothing; ``/readyz`` runs the readiness
checks (``health``): 200 when ready, 503 naming the check that failed. Both are open, as load
balancers and orchestrators call them without credentials, and say nothing beyond fixed words.

``/metrics`` is the Prometheus text. With ``metrics_token`` set it needs
``Authorization: Bearer <token>`` (401 otherwise); without one it answers only a loopback
connection that no proxy forwarded (403 otherwise), since a reverse proxy on the same machine
also connects from loopback but adds X-Forwarded-For, Forwarded or X-Real-IP.
"""

from __future__ import annotations

import hmac
import ipaddress

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from printreg.ops import health, metrics
from printreg.ops.schemas import LivenessOut
from printreg.settings import Settings
from printreg.web.deps import PlatformDep

router = APIRouter(include_in_schema=False)
FORWARDING = ("x-forwarded-for", "forwarded", "x-real-ip")


@router.get("/healthz")
def healthz() -> LivenessOut:
    """Return ok while the process answers (no database, no file: a liveness probe)."""
    return LivenessOut(status="ok")


@router.get("/readyz")
def readyz(platform: PlatformDep) -> JSONResponse:
    """Return each readiness check: 200 when all passed, 503 otherwise."""
    answer = health.readiness(platform.engine, platform.settings)
    status = 200 if answer.status == "ready" else 503
    return JSONResponse(answer.model_dump(), status_code=status)


def _loopback(request: Request) -> bool:
    """Return whether the connection comes straight from this machine (no proxy in between)."""
    if any(name in request.headers for name in FORWARDING) or request.client is None:
        return False
    try:
        return ipaddress.ip_address(request.client.host).is_loopback
    except ValueError:
        return False


def metrics_refusal(request: Request, settings: Settings) -> Response | None:
    """Return the answer refusing a metrics scrape, or None when it may have them."""
    token = settings.metrics_token
    if not token:
        if _loopback(request):
            return None
        return PlainTextResponse(
            "metrics are served to this machine only unless a metrics token is set\n",
            status_code=403,
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
        return None
    return PlainTextResponse(
        "a metrics token is needed\n", status_code=401, headers={"WWW-Authenticate": "Bearer"}
    )


@router.get("/metrics")
async def metrics_text(request: Request, platform: PlatformDep) -> Response:
    """Return the Prometheus metrics text; 401/403 for a scraper that may not have it."""
    refused = metrics_refusal(request, platform.settings)
    if refused is not None:
        return refused
    body, kind = await run_in_threadpool(metrics.render, platform.engine)
    return Response(body, media_type=kind)
