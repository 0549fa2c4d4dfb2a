"""The timer worker: APScheduler interval jobs over the timer table (the truth) and the jobs
table. Background jobs run on an executor of their own, so a long export never delays a timer."""
from __future__ import annotations

import logging
import os
import socket
import uuid

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from engine.audit import chain as audit_chain
from engine.documents import jobs as document_jobs  # noqa: F401  (document, dossier jobs)
from engine.jobs import service as jobs
from engine.reports import ledgers  # noqa: F401  (registers the ledger job kind)
from engine.village import disclosure  # noqa: F401  (registers the disclosure export job kind)
from engine.runtime import Runtime
from engine.timers import service

log = logging.getLogger("cluedesk.timers")


class _StillRunning(logging.Filter):
    """A poll that finds the previous one still draining its queue (a long document job, a batch
    of timers) is skipped by design: not a warning worth a log line every few seconds."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_StillRunning())


def build_scheduler(runtime: Runtime, *, blocking: bool = False):
    """A scheduler with a memory job store: polling for due rows and a heartbeat, nothing else."""
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    started = runtime.clock.wall()
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(jobstores={"default": MemoryJobStore()},
                    executors={"default": ThreadPoolExecutor(1), "jobs": ThreadPoolExecutor(1)},
                    job_defaults={"coalesce": True, "max_instances": 1})
    poll = float(runtime.settings.get("timers", "poll_seconds"))
    heartbeat = float(runtime.settings.get("timers", "heartbeat_seconds"))

    def poll_due():
        try:
            fired = service.run_due(runtime, runtime.clock.now())
            if fired:
                log.info("fired %d timers", fired)
        except Exception:  # a bad row must not stop the worker; it is retried next poll
            log.exception("timer poll failed")

    def beat():
        try:
            service.beat(runtime, worker_id, started)
            jobs.touch(runtime, worker_id)
        except Exception:
            log.exception("heartbeat failed")

    def run_jobs():
        try:
            jobs.recover(runtime)
            while jobs.run_next(runtime, worker_id):
                pass
        except Exception:  # the next poll tries again
            log.exception("job poll failed")

    def anchor():
        try:
            audit_chain.anchor(runtime)
        except Exception:  # an unwritable anchor file must not stop the timers
            log.exception("audit anchor failed")

    anchor_minutes = float(runtime.settings.get("audit", "anchor_minutes"))
    scheduler.add_job(poll_due, "interval", seconds=poll, id="poll", next_run_time=started)
    scheduler.add_job(anchor, "interval", minutes=anchor_minutes, id="audit_anchor",
                      next_run_time=started)
    scheduler.add_job(beat, "interval", seconds=heartbeat, id="heartbeat", next_run_time=started)
    job_poll = float(runtime.settings.get("jobs", "poll_seconds"))
    scheduler.add_job(run_jobs, "interval", seconds=job_poll, id="jobs", executor="jobs",
                      next_run_time=started)
    return scheduler
