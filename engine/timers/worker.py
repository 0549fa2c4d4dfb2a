"""The timer worker: an APScheduler interval job over the timer table (the truth)."""
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
from engine.runtime import Runtime
from engine.timers import service

log = logging.getLogger("cluedesk.timers")


def build_scheduler(runtime: Runtime, *, blocking: bool = False):
    """A scheduler with a memory job store: polling for due rows and a heartbeat, nothing else."""
    worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    started = runtime.clock.wall()
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(jobstores={"default": MemoryJobStore()},
                    executors={"default": ThreadPoolExecutor(1)},
                    job_defaults={"coalesce": True, "max_instances": 1})
    poll = float(runtime.settings.get("timers", "poll_seconds", default=5))
    heartbeat = float(runtime.settings.get("timers", "heartbeat_seconds", default=10))

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
        except Exception:
            log.exception("heartbeat failed")

    def anchor():
        try:
            audit_chain.anchor(runtime)
        except Exception:  # an unwritable anchor file must not stop the timers
            log.exception("audit anchor failed")

    anchor_minutes = float(runtime.settings.get("audit", "anchor_minutes", default=60))
    scheduler.add_job(poll_due, "interval", seconds=poll, id="poll", next_run_time=started)
    scheduler.add_job(anchor, "interval", minutes=anchor_minutes, id="audit_anchor",
                      next_run_time=started)
    scheduler.add_job(beat, "interval", seconds=heartbeat, id="heartbeat", next_run_time=started)
    return scheduler
