"""Fire due timers, each in its own transaction, exactly once; worker heartbeats."""
from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.deadlines import service as deadlines
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.timers.models import Timer, WorkerHeartbeat
from engine.uow import with_retry


def _claim_next(session: Session, runtime: Runtime, now: datetime, skip: set[int]) -> Timer | None:
    stmt = (select(Timer).where(Timer.status == "pending", Timer.due_at <= now)
            .order_by(Timer.due_at, Timer.id).limit(1))
    if skip:
        stmt = stmt.where(Timer.id.notin_(skip))
    if not runtime.sqlite:
        # Several workers: each takes rows nobody else holds; a held row is skipped, not waited on.
        stmt = stmt.with_for_update(skip_locked=True)
    return session.scalar(stmt)


def run_due(runtime: Runtime, now: datetime) -> int:
    """Fire every BPMN timer and breach every deadline due at `now`, once; return how many."""
    return fire_timers(runtime, now) + deadlines.fire_due(runtime, now)


def fire_timers(runtime: Runtime, now: datetime) -> int:
    """Fire every timer due at `now` once, each instance in its own transaction; return how many."""
    fired = 0
    # A row the engine did not release (due exactly now) stays pending; skip it in this run.
    stuck: set[int] = set()
    while True:
        def one() -> tuple[int | None, int]:
            with runtime.uow(write=True) as uow:
                timer = _claim_next(uow.session, runtime, now, stuck)
                if timer is None:
                    return None, 0
                count = processes.fire_timers(uow, runtime=runtime, instance_id=timer.instance_id,
                                              now=now)
                uow.session.flush()
                still = uow.session.scalar(select(Timer.status).where(Timer.id == timer.id))
                uow.commit()
                return (timer.id if still == "pending" else 0), count
        timer_id, count = with_retry(one)
        if timer_id is None:
            return fired
        if timer_id:
            stuck.add(timer_id)
        fired += count


def beat(runtime: Runtime, worker_id: str, started_at: datetime) -> None:
    """Record that this worker is alive."""
    now = runtime.clock.wall()
    def write():
        with runtime.uow(write=True) as uow:
            row = uow.session.get(WorkerHeartbeat, worker_id)
            if row is None:
                uow.session.add(WorkerHeartbeat(worker_id=worker_id, host=socket.gethostname(),
                                                pid=os.getpid(), started_at=started_at,
                                                seen_at=now))
            else:
                row.seen_at = now
            uow.commit()
    with_retry(write)


def scheduler_running(session: Session, runtime: Runtime) -> bool:
    """Has any timer worker sent a heartbeat recently?"""
    stale = float(runtime.settings.get("timers", "heartbeat_stale_seconds"))
    now = runtime.clock.wall()
    latest = session.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    return latest is not None and latest >= now - timedelta(seconds=stale)
