"""The analytics refresh as a job: one refresh of a registry at a time, whoever asks.

``POST /registries/{registry}/analytics/refresh`` queues it (registry administrators) and answers
the job; a refresh asked while one of the same registry is queued or running gets that one
(``jobs.tasks`` ``one_at_a_time``), so two administrators asking at once rebuild once. The job
calls ``AnalyticsService.refresh``, which times each rebuild into the
``printreg_analytics_refresh_seconds`` histogram of the process that runs it. Every registry
administrator sees the registry's refresh jobs.
"""

from __future__ import annotations

from printreg.accounts.actor import Actor
from printreg.jobs import tasks
from printreg.jobs.models import TaskJob
from printreg.jobs.schemas import TaskOut
from printreg.platform import Platform

KIND = "analytics-refresh"


def submit_refresh(platform: Platform, actor: Actor, registry: str) -> TaskOut:
    """Queue a refresh of the registry's analytics, or return the one already queued or
    running; Forbidden to anyone but administrators, NotFound for an unknown registry."""
    actor.require_platform_admin()
    platform.registry(registry)  # NotFound if unknown
    return tasks.Tasks(platform, actor).submit(KIND, registry, subject=registry, one_at_a_time=True)


def _run(
    platform: Platform, actor: Actor, task: TaskJob, _progress: tasks.Progress
) -> tasks.Outcome:
    """Refresh the registry's analytics; return the timings and sizes."""
    from printreg.dashboards.service import AnalyticsService  # noqa: PLC0415 - polars

    refreshed = AnalyticsService(platform, actor).refresh(task.registry_code)
    return tasks.Outcome(refreshed.model_dump())


def _visible(_platform: Platform, actor: Actor, _task: TaskJob) -> bool:
    return actor.is_platform_admin and actor.scopes is None


tasks.register_task(KIND, _run, _visible, shared=True)
