"""The scheduled evaluation of quality rules: a periodic job of the queue, and on demand.

The workers queue ``quality-evaluate`` once every :data:`EVERY` seconds for all of them; it
evaluates every registry that ships rules. "Re-evaluate now" queues the same kind for one
registry (``{"registry": CODE}``). Either way the results are stored for the pages to read.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from printreg.platform import Platform

log = logging.getLogger(__name__)
EVERY = 6 * 3600  # seconds between two scheduled evaluations of every registry's rules


def evaluate_registries(platform: Platform, payload: dict[str, Any]) -> None:
    """Evaluate the rules of the registry in the payload, or of every registry with rules."""
    from printreg.accounts.actor import Actor  # noqa: PLC0415
    from printreg.quality.rules import shipped_path  # noqa: PLC0415
    from printreg.quality.service import QualityService  # noqa: PLC0415
    from printreg.registries.models import Registry  # noqa: PLC0415

    chosen = payload.get("registry")
    if isinstance(chosen, str):
        codes = [chosen]
    else:
        with platform.sessions() as session:
            codes = [c for c in session.scalars(select(Registry.code)) if shipped_path(c).is_file()]
    service = QualityService(platform, Actor.operator("worker"))
    for code in codes:
        result = service.evaluate(code)
        log.info("quality rules of %s: %d findings over %d cases", code, result.findings,
                 result.cases)  # fmt: skip


def register() -> None:
    """Make the evaluation a job kind of this process, queued by the workers every EVERY s."""
    from printreg.jobs import queue  # noqa: PLC0415
    from printreg.quality.service import JOB_KIND  # noqa: PLC0415

    queue.register_periodic(JOB_KIND, evaluate_registries, EVERY)
