"""What the probes answer: fixed words and sentences, never an error's text, a path or a URL."""

from __future__ import annotations

from pydantic import BaseModel


class CheckOut(BaseModel):
    """One readiness check: whether it passed and a sentence from a fixed list saying why."""

    ok: bool
    detail: str


class ReadinessOut(BaseModel):
    """The readiness answer: ``ready`` only when every check passed."""

    status: str
    checks: dict[str, CheckOut]


class LivenessOut(BaseModel):
    """The liveness answer: the process runs and answers."""

    status: str
