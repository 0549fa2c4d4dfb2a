"""Dossiers the processes ask for themselves (issue 24, point 4), queued as `dossier` jobs in the
transaction of the step that asks, like a step's document (engine/documents/jobs.py):

- a case handled without the zone freezes its dossier when it is concluded: the case's own
  process ended and closed it (`engine.processes.store.save`);
- a zone-escalated case is compiled at the zone's dossier step (`zone.compile_dossier`) and
  frozen when the county archives it (`zone.archive`; the zone's process then ends and closes
  the case in the same transaction, which queues nothing more).

The job runs as the one who completed the step when they may compile dossiers and see the case,
else as a supervisor of the handling unit (or the nearest unit above it that has one). Before it
builds, the documents the case's steps queued and no worker has made yet are made first
(`jobs._settle_documents`), so the frozen dossier files the last step's document too."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.cases.models import Case
from engine.documents.catalog import DOSSIER_JOB_KIND, DOSSIER_WRITERS
from engine.jobs import service as jobs
from engine.jobs.models import Job
from engine.notifications import service as notifications
from engine.org.models import User
from engine.runtime import Runtime

CONCLUDED = "conclusion"  # the `source` of the jobs queued here (a request says "request")
ZONE_STEP = "zone_dossier_step"
ARCHIVED = "archive"


def _owner(session: Session, case: Case, actor: User | None) -> User | None:
    if actor is not None and DOSSIER_WRITERS & actor.roles and \
            case_access.may_see_case(session, actor, case):
        return actor
    unit_id = case.handling_unit_id or case.first_handling_unit_id or case.registered_unit_id
    for user_id in notifications.supervisors_of(session, unit_id) if unit_id else []:
        return session.get(User, user_id)
    return None


def pending_freeze(session: Session, case_id: int) -> Job | None:
    """A freezing dossier job of the case nobody has run yet (queued by this very step, say)."""
    for job in session.scalars(select(Job).where(Job.kind == DOSSIER_JOB_KIND,
                                                 Job.status == "queued")):
        if (job.params or {}).get("case_id") == case_id and (job.params or {}).get("freeze"):
            return job
    return None


def queue(session: Session, runtime: Runtime, *, case: Case, actor: User | str | None,
          freeze: bool, source: str) -> Job | None:
    """Queue the case's dossier job in the caller's transaction (the step's own); None when one
    that freezes is queued already, or when nobody could run it (no supervisor above the case)."""
    if freeze and pending_freeze(session, case.id) is not None:
        return None
    if isinstance(actor, str):
        actor = session.scalar(select(User).where(User.username == actor))
    owner = _owner(session, case, actor)
    if owner is None:
        return None
    return jobs.submit(session, runtime, kind=DOSSIER_JOB_KIND, owner=owner, suffix="",
                       params={"case_id": case.id, "freeze": freeze, "source": source},
                       background=True)
