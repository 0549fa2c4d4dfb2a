"""Durable firing: several workers over one database fire every due row exactly once, and a
worker killed while firing leaves nothing half done (a restart fires the rest)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta, UTC

from sqlalchemy import func, select

from engine.audit.models import AuditEvent
from engine.clock import Clock
from engine.config import load_settings
from engine.deadlines.models import Deadline
from engine.runtime import Runtime

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def seed(url: str, count: int) -> Runtime:
    rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(NOW))

    def work(uow):
        uow.session.add_all([
            Deadline(key="acceptance_notice", started_at=NOW - timedelta(days=30), amount=15,
                     unit="working_days", extensions=[], suspended_seconds=0,
                     due_at=NOW - timedelta(minutes=i % 600 + 1), warn_at=NOW - timedelta(days=1),
                     status="open", updated_at=NOW)
            for i in range(count)])
    rt.transact(work)
    return rt


def run_due(url: str) -> subprocess.Popen:
    env = {**os.environ, "CLUEDESK_DATABASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "timers", "run-due", "--now",
                             NOW.isoformat()], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def fired_counts(rt: Runtime) -> Counter:
    def read(uow):
        details = uow.session.scalars(select(AuditEvent.detail).where(
            AuditEvent.action == "deadline_breached"))
        return Counter(d["deadline_id"] for d in details)
    return rt.read(read)


def open_count(rt: Runtime) -> int:
    return rt.read(lambda uow: uow.session.scalar(
        select(func.count(Deadline.id)).where(Deadline.status == "open")))


def fired_of(proc: subprocess.Popen) -> int:
    out, err = proc.communicate(timeout=240)
    assert proc.returncode == 0, err
    return int(out.strip().split()[-1])


def test_two_workers_racing_fire_each_row_exactly_once(backend, scratch):
    url = scratch.create(backend, demo=False)
    rt = seed(url, 400)
    first, second = run_due(url), run_due(url)
    total = fired_of(first) + fired_of(second)
    counts = fired_counts(rt)
    assert total == 400
    assert len(counts) == 400 and set(counts.values()) == {1}
    assert open_count(rt) == 0
    rt.dispose()


def test_a_worker_killed_while_firing_leaves_every_row_fired_exactly_once(backend, scratch):
    url = scratch.create(backend, demo=False)
    rt = seed(url, 1200)
    victim = run_due(url)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(fired_counts(rt)) < 50:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    part = len(fired_counts(rt))
    assert 0 < part < 1200, "the worker should have been killed part-way"
    assert fired_of(run_due(url)) == 1200 - part
    counts = fired_counts(rt)
    assert len(counts) == 1200 and set(counts.values()) == {1}
    assert open_count(rt) == 0
    rt.dispose()
