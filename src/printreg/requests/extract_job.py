"""Building a research extract as a job, and the hook for telling the researcher it is ready.

An approval through the API or the pages (``DataRequestService.decide`` or the deciding vote)
queues the build (``jobs.tasks``, one per request at a time); the request stays ``approved``
until the job has written the files and stored ``extract_ready`` (with ``extract_ready_at``),
then ``on_extract_ready`` runs in the same transaction. The command line
(``printreg request decide``) builds in its own process at once, as before. The registry's
administrators, its committee and the requester see the job (``DataRequestPublic.extract_job``).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from printreg.accounts.actor import Actor
from printreg.audit import audit
from printreg.jobs import tasks
from printreg.jobs.models import TaskJob
from printreg.jobs.schemas import TaskOut
from printreg.notifications.kinds import NotificationKind
from printreg.notifications.service import notify
from printreg.platform import Platform
from printreg.requests.decisions import SUBJECT
from printreg.requests.models import DataRequest

KIND = "extract"


def on_extract_ready(session: Session, actor: Actor, row: DataRequest) -> None:
    """Tell the requester that their extract is ready (a notification, e-mailed as they chose),
    in the transaction that stores the ready state, and audit that they were told."""
    audit(session, actor, "extract_ready_notice", SUBJECT, str(row.id),
          registry_code=row.registry_code, after={"requester_id": row.requester_id})  # fmt: skip
    # the request's title is the researcher's free text: the notification names the registry
    notify(session, [row.requester_id], NotificationKind.EXTRACT_READY,
           f"The extract of your data request in registry {row.registry_code} is ready",
           f"/requests/{row.id}")  # fmt: skip


def queue_build(platform: Platform, actor: Actor, request: DataRequest) -> TaskOut:
    """Queue the build of an approved request's extract, or return the build already queued or
    running (the caller checked the actor's rights)."""
    return tasks.Tasks(platform, actor).submit(
        KIND, request.registry_code, subject=str(request.id), one_at_a_time=True
    )


def _run(
    platform: Platform, actor: Actor, task: TaskJob, _progress: tasks.Progress
) -> tasks.Outcome:
    """Build the extract as the person who approved it; return its rows and bytes (nothing
    when the request is no longer waiting for it: built, or expired, meanwhile)."""
    from printreg.requests.service import DataRequestService  # noqa: PLC0415 - pyarrow, cycle
    from printreg.research import RequestStatus  # noqa: PLC0415

    service = DataRequestService(platform, actor, build_now=True)
    request_id = uuid.UUID(str(task.subject))
    if service.get(request_id).status != RequestStatus.APPROVED:
        return tasks.Outcome({"built": False})
    built = service.build_now(request_id)
    return tasks.Outcome({"built": True, "rows": built.extract_rows,
                          "bytes": built.extract_bytes})  # fmt: skip


def _visible(platform: Platform, actor: Actor, task: TaskJob) -> bool:
    """Return whether the actor sees the request: its requester, committee, administrators."""
    if actor.scopes is not None:
        return False
    if actor.system:
        return True
    with platform.sessions() as session:
        row = session.get(DataRequest, uuid.UUID(str(task.subject)))
    if row is None:
        return False
    own = actor.user_id is not None and row.requester_id == actor.user_id
    return own or actor.administers(row.registry_code) or actor.on_committee(row.registry_code)


tasks.register_task(KIND, _run, _visible, shared=True)
