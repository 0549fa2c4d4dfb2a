"""A ledger job on a real server runtime runs in a background thread and reports its progress;
the clue ledger of many rows is written in chunks."""
from __future__ import annotations

import time
from datetime import date, datetime, UTC

import openpyxl
import pytest
from sqlalchemy import select

from engine.clock import Clock
from engine.clues.models import Clue
from engine.config import load_settings
from engine.errors import Conflict
from engine.org.models import Unit, User
from engine.reports import ledgers, service
from engine.runtime import Runtime

NOW = datetime(2026, 4, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def server_runtime(scratch, tmp_path):
    """A runtime like `cluedesk serve`'s: its own connections, committed data."""
    url = scratch.create("sqlite")
    rt = Runtime(load_settings({"database": {"url": url},
                                "reports": {"path": str(tmp_path / "reports")}}),
                 clock=Clock(NOW))
    yield rt
    rt.dispose()


def seed_clues(rt: Runtime, n: int) -> None:
    def work(uow):
        unit = uow.session.scalar(select(Unit.id).where(Unit.code == "town-a"))
        at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
        uow.session.add_all(Clue(number=f"town-a-2026-L{i:06d}", source="inspection",
                                 status="pending", unit_id=unit, accused_name="李四",
                                 summary="巡察发现", key_verification=False, created_at=at,
                                 updated_at=at) for i in range(1, n + 1))
    rt.transact(work)


def user(rt: Runtime, name: str) -> User:
    def read(uow):
        found = uow.session.scalar(select(User).where(User.username == name))
        _ = found.roles, found.unit
        return found
    return rt.read(read)


def test_a_background_job_builds_the_clue_ledger_in_chunks(server_runtime, monkeypatch):
    rt = server_runtime
    monkeypatch.setattr(ledgers, "CHUNK", 100)  # several chunks from a few hundred rows
    seed_clues(rt, 450)
    seen: list[tuple[int, int]] = []
    real = ledgers.write_clue_ledger

    def watched(*args, progress, **kwargs):
        return real(*args, progress=lambda w, t: (seen.append((w, t)), progress(w, t)),
                    **kwargs)
    monkeypatch.setitem(ledgers.WRITERS, "clue-ledger", watched)
    head = user(rt, "a-head")
    p = service.period(rt, first=date(2026, 3, 1), last=date(2026, 3, 31))
    job = ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)
    for _ in range(200):
        if job.describe()["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    state = job.describe()
    assert (state["status"], state["rows_written"], state["rows_total"]) == ("done", 450, 450)
    # Progress was reported after every chunk of rows.
    assert seen == [(0, 450), (100, 450), (200, 450), (300, 450), (400, 450), (450, 450)]
    path = ledgers.job_file(user=head, job_id=job.id).path
    assert path.parent.name == "reports" and path.exists()
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 451 and rows[450][:2] == (450, "town-a-2026-L000450")
    # Only its owner sees it.
    with pytest.raises(Exception):
        ledgers.JOBS.get(job.id, user(rt, "chief"))


def test_a_user_runs_at_most_two_ledger_jobs_at_once(server_runtime):
    rt = server_runtime
    head = user(rt, "a-head")
    p = service.period(rt, first=date(2026, 3, 1), last=date(2026, 3, 31))
    jobs = []
    for _ in range(2):
        job = ledgers.Job(id=f"held-{len(jobs)}", kind="clue-ledger", user_id=head.id, unit=None,
                          period=p, status="running")
        ledgers.JOBS.add(job)
        jobs.append(job)
    try:
        with pytest.raises(Conflict):
            ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)
    finally:
        for job in jobs:
            job.status, job.finished = "done", 0.0
        ledgers.JOBS.prune(10 ** 9)
