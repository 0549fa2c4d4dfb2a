"""Background jobs as rows (README "Background jobs"): submitted by any process, claimed by a
timer worker (`FOR UPDATE SKIP LOCKED` on PostgreSQL, under the SQLite write lock), run on that
worker's job executor (never the one that fires timers), followed by any process. A job whose
worker stopped (no heartbeat for `jobs.stale_seconds`) is queued again, or failed with a visible
error once it was interrupted `jobs.max_attempts` times.

A kind is registered with `register(kind, handler)`; `handler(runtime, ctx)` does the work,
reports `ctx.progress(done, total)`, writes its file to `ctx.result_path` and returns what the
caller needs to know (a dict kept as the job's `result`)."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from engine.config import ROOT
from engine.errors import Conflict, DomainError, NotFound
from engine.jobs.models import Job
from engine.org.models import User
from engine.runtime import Runtime
from engine.uow import with_retry

log = logging.getLogger("cluedesk.jobs")

ACTIVE = ("queued", "running")
# Job.priority: a person waits for it (a button, an export) / the engine queued it itself (a
# step's document after its completion, a dossier a conclusion freezes).
ASKED, BACKGROUND = 0, 1


@dataclass
class Context:
    job_id: str
    owner_id: int
    params: dict
    result_path: Path
    progress: Callable[[int, int | None], None]


Handler = Callable[[Runtime, Context], dict]
HANDLERS: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Make `kind` runnable by the workers (each process registers the same kinds at import)."""
    HANDLERS[kind] = handler


def files_dir(runtime: Runtime) -> Path:
    """Where jobs write their files (`reports.path`, default instance/reports): a directory all
    processes of the installation share."""
    path = Path(runtime.settings.get("reports", "path"))
    path = path if path.is_absolute() else ROOT / path
    path.mkdir(parents=True, exist_ok=True)
    return path


def submit(session: Session, runtime: Runtime, *, kind: str, owner: User, params: dict,
           at_most: int | None = None, suffix: str = ".xlsx", background: bool = False) -> Job:
    """Queue a job for `owner`; refused when they already have `at_most` of this kind running.
    A `background` job (queued by the engine itself, nobody waiting for it) is taken only when
    no job a person asked for is queued."""
    if at_most is not None:
        active = session.scalar(select(func.count()).select_from(Job).where(
            Job.owner_id == owner.id, Job.kind == kind, Job.status.in_(ACTIVE)))
        if active >= at_most:
            raise Conflict("you already have %(count)s ledgers being built; wait for one",
                           reason="jobs_too_many", params={"count": active})
    job_id = uuid.uuid4().hex
    job = Job(id=job_id, kind=kind, owner_id=owner.id, params=params, status="queued",
              priority=BACKGROUND if background else ASKED,
              progress_done=0, result={}, attempts=0, created_at=runtime.clock.wall(),
              result_path=str(files_dir(runtime) / f"{job_id}{suffix}"))
    session.add(job)
    session.flush()
    return job


def get(session: Session, *, user: User, job_id: str) -> Job:
    """A job of the user (someone else's job does not exist for you)."""
    job = session.get(Job, job_id) if len(job_id) <= 32 else None
    if job is None or job.owner_id != user.id:
        raise NotFound("job %(id)s not found", reason="job_not_found", params={"id": job_id})
    return job


def recent_of_kinds(session: Session, *, kinds: tuple[str, ...], limit: int = 200) -> list[Job]:
    """The latest jobs of these kinds, newest first."""
    return list(session.scalars(select(Job).where(Job.kind.in_(kinds))
                                .order_by(Job.created_at.desc(), Job.id).limit(limit)))


def discard_queued(session: Session, *, kind: str) -> int:
    """Delete the queued jobs of `kind` nobody has started; return how many."""
    return session.execute(delete(Job).where(Job.kind == kind, Job.status == "queued")).rowcount


def claim(runtime: Runtime, worker_id: str, job_id: str | None = None) -> str | None:
    """Take the queued job a person asked for first, then the oldest (or job `job_id` if it is
    still queued) for this worker; None when there is none."""
    def attempt():
        with runtime.uow(write=True) as uow:
            stmt = (select(Job).where(Job.status == "queued")
                    .order_by(Job.priority, Job.created_at, Job.id).limit(1))
            if job_id is not None:
                stmt = stmt.where(Job.id == job_id)
            if not runtime.sqlite:
                stmt = stmt.with_for_update(skip_locked=True)
            job = uow.session.scalar(stmt)
            if job is None:
                return None
            now = runtime.clock.wall()
            job.status, job.worker_id, job.started_at, job.heartbeat_at = (
                "running", worker_id, now, now)
            job.attempts += 1
            job.progress_done, job.progress_total = 0, None
            uow.commit()
            return job.id
    return with_retry(attempt)


def _write(runtime: Runtime, job_id: str, **values) -> None:
    def attempt():
        with runtime.uow(write=True) as uow:
            uow.session.execute(update(Job).where(Job.id == job_id).values(**values))
            uow.commit()
    with_retry(attempt)


def run(runtime: Runtime, job_id: str) -> None:
    """Run a claimed job to its end: done with its result, or failed with its error."""
    job = runtime.read(lambda uow: uow.session.get(Job, job_id))
    handler = HANDLERS.get(job.kind)

    last = {"progress_done": 0, "progress_total": None}

    def progress(done: int, total: int | None) -> None:
        last.update(progress_done=done, progress_total=total)
        _write(runtime, job_id, **last, heartbeat_at=runtime.clock.wall())

    path = Path(job.result_path)
    try:
        if handler is None:
            raise DomainError("no worker knows jobs of kind %(kind)s", reason="job_kind_unknown",
                              params={"kind": job.kind})
        result = handler(runtime, Context(job.id, job.owner_id, dict(job.params), path, progress))
        _write(runtime, job_id, status="done", result=result, **last,
               finished_at=runtime.clock.wall())
    except Exception as exc:  # the job reports the failure; the worker goes on
        log.exception("job %s (%s) failed", job_id, job.kind)
        path.unlink(missing_ok=True)
        known = isinstance(exc, DomainError)
        message = exc.message if known else "the job could not be finished"
        # The refusal's reason and parameters, so that pages can say it in the reader's language.
        refusal = {"reason": exc.reason, "msgid": exc.msgid,
                   "params": {k: str(v) for k, v in exc.params.items()}} if known else {}
        _write(runtime, job_id, status="failed", error=message, result=refusal,
               finished_at=runtime.clock.wall())


def run_next(runtime: Runtime, worker_id: str) -> bool:
    """Claim and run one queued job; False when none was waiting."""
    job_id = claim(runtime, worker_id)
    if job_id is None:
        return False
    run(runtime, job_id)
    return True


def run_one(runtime: Runtime, job_id: str, worker_id: str) -> bool:
    """Claim and run job `job_id` if it is still queued (a runtime bound to one connection, in
    tests, has no worker beside it); False when another worker took it first."""
    if claim(runtime, worker_id, job_id) is None:
        return False
    run(runtime, job_id)
    return True


def touch(runtime: Runtime, worker_id: str) -> None:
    """This worker is alive: its running jobs are not stale."""
    _write_where(runtime, (Job.worker_id == worker_id) & (Job.status == "running"),
                 heartbeat_at=runtime.clock.wall())


def _write_where(runtime: Runtime, clause, **values) -> int:
    def attempt():
        with runtime.uow(write=True) as uow:
            count = uow.session.execute(update(Job).where(clause).values(**values)).rowcount
            uow.commit()
            return count
    return with_retry(attempt)


def recover(runtime: Runtime) -> int:
    """Jobs whose worker stopped (a restart, a crash): queued again to be built from the start,
    or failed visibly after `jobs.max_attempts`; returns how many were seen."""
    stale = float(runtime.settings.get("jobs", "stale_seconds"))
    attempts = int(runtime.settings.get("jobs", "max_attempts"))
    now = runtime.clock.wall()
    dead = (Job.status == "running") & (Job.heartbeat_at < now - timedelta(seconds=stale))
    failed = _write_where(runtime, dead & (Job.attempts >= attempts), status="failed",
                          finished_at=now,
                          error="the job was interrupted by a restart; start it again")
    requeued = _write_where(runtime, dead, status="queued", worker_id=None, progress_done=0,
                            progress_total=None)
    if failed or requeued:
        log.warning("jobs of a stopped worker: %d queued again, %d failed", requeued, failed)
    return failed + requeued


def prune(session: Session, now: datetime, keep: timedelta) -> None:
    """Forget finished jobs older than `keep` and remove their files."""
    old = list(session.scalars(select(Job).where(Job.status.in_(("done", "failed")),
                                                 Job.finished_at < now - keep)))
    for job in old:
        if job.result_path:
            Path(job.result_path).unlink(missing_ok=True)
        session.delete(job)
