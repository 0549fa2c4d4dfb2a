"""Background jobs are rows (engine/jobs): a ledger export queued by one web process is built by
a worker and followed and downloaded through another; a job whose worker stopped mid-export is
built again by the next worker, or failed visibly; a timer fires on time while a long job runs
(jobs have their own executor). Committed SQLite and PostgreSQL databases, real workers."""
from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import select, text

from engine.clock import Clock
from engine.clues.models import Clue
from engine.config import load_settings
from engine.errors import Conflict, NotFound
from engine.jobs import service as jobs
from engine.jobs.models import Job
from engine.org.models import Unit, User
from engine.processes import service as processes
from engine.reports import ledgers, service
from engine.runtime import Runtime
from engine.timers.models import Timer
from engine.timers.worker import build_scheduler
from tests.api_client import ApiClient
from tests.conftest import backends
from tests.integration.support import dispose_app, issue_tokens, make_app, wait_for

pytestmark = pytest.mark.timeout(300)

NOW = datetime(2026, 4, 2, 1, 0, tzinfo=UTC)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


@pytest.fixture(params=backends())
def db(request, scratch, tmp_path):
    """A committed database with the demo organisation; its settings (as `serve` would use)."""
    url = scratch.create(request.param)
    return url, {"database": {"url": url}, "reports": {"path": str(tmp_path / "reports")},
                 "clock": {"now": NOW.isoformat()}}


@pytest.fixture
def rt(db):
    runtime = Runtime(load_settings(db[1]), clock=Clock(NOW))
    yield runtime
    runtime.dispose()


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


def execute(rt: Runtime, sql: str, **params) -> None:
    with rt.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_a_worker_builds_the_clue_ledger_in_chunks_reporting_progress(rt, monkeypatch):
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
    assert (job["status"], job["download"]) == ("queued", None)
    assert jobs.run_next(rt, "worker-1") is True
    assert jobs.run_next(rt, "worker-1") is False  # nothing else waits
    state = ledgers.job_status(rt, user=head, job_id=job["id"])
    assert (state["status"], state["rows_written"], state["rows_total"]) == ("done", 450, 450)
    # Progress was written to the row after every chunk of rows.
    assert seen == [(0, 450), (100, 450), (200, 450), (300, 450), (400, 450), (450, 450)]
    path, filename, _ = ledgers.job_file(rt, user=head, job_id=job["id"])
    assert path.parent.name == "reports" and filename.endswith(".xlsx")
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 451 and rows[450][:2] == (450, "town-a-2026-L000450")
    # Only its owner sees it.
    with pytest.raises(NotFound):
        ledgers.job_status(rt, user=user(rt, "chief"), job_id=job["id"])


def test_a_user_has_at_most_two_ledger_jobs_waiting_or_running(rt):
    head = user(rt, "a-head")
    p = service.period(rt, first=date(2026, 3, 1), last=date(2026, 3, 31))
    for _ in range(2):
        ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)
    with pytest.raises(Conflict) as refused:
        ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)
    assert refused.value.reason == "jobs_too_many"
    jobs.run_next(rt, "worker-1")  # one done: room for another
    ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)


def test_two_web_processes_one_queues_the_other_answers_the_poll_and_serves_the_file(db, rt):
    url, settings = db
    seed_clues(rt, 30)
    first, second = (make_app(url, reports=settings["reports"], clock=settings["clock"])
                     for _ in range(2))
    try:
        tokens = issue_tokens(url, ["a-head", "chief"])
        one = ApiClient(first.test_client(), tokens, "a-head")
        two = ApiClient(second.test_client(), tokens, "a-head")
        started = one.post("/reports/ledgers/clue-ledger", json={**MARCH, "unit": "town-a"})
        assert started.status == 202 and started.json["status"] == "queued", started.json
        job_id = started.json["id"]
        assert two.get(f"/reports/jobs/{job_id}").json["status"] == "queued"
        assert two.get(f"/reports/jobs/{job_id}/download").status == 422  # not built yet
        assert jobs.run_next(rt, "worker-1")
        polled = two.get(f"/reports/jobs/{job_id}").json
        assert (polled["status"], polled["rows_written"], polled["rows_total"]) == ("done", 30, 30)
        assert one.get(f"/reports/jobs/{job_id}").json == polled
        resp = two.client.get(f"/api/v1/reports/jobs/{job_id}/download",
                              headers={"Authorization": f"Bearer {tokens['a-head']}"})
        assert resp.status_code == 200 and resp.data[:2] == b"PK"
        assert two.as_("chief").get(f"/reports/jobs/{job_id}").status == 404
    finally:
        dispose_app(first)
        dispose_app(second)


def test_a_job_interrupted_by_a_restart_is_built_again_then_failed_visibly(db, rt):
    url, settings = db
    seed_clues(rt, 20)
    head = user(rt, "a-head")
    p = service.period(rt, first=date(2026, 3, 1), last=date(2026, 3, 31))
    job_id = ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)["id"]
    # A worker claims it and dies mid-export: its last sign of life was five minutes ago.
    assert jobs.claim(rt, "worker-that-died") == job_id
    execute(rt, "UPDATE jobs SET heartbeat_at = :at, progress_done = 10, progress_total = 20",
            at=datetime.now(UTC) - timedelta(minutes=5))
    assert ledgers.job_status(rt, user=head, job_id=job_id)["status"] == "running"
    assert jobs.recover(rt) == 1  # a fresh worker starts by recovering
    state = ledgers.job_status(rt, user=head, job_id=job_id)
    assert (state["status"], state["rows_written"]) == ("queued", 0)
    assert jobs.run_next(rt, "worker-after-restart")
    assert ledgers.job_status(rt, user=head, job_id=job_id)["status"] == "done"

    # Interrupted as often as `jobs.max_attempts` allows: failed, and the API says why.
    second = ledgers.start_job(rt, user=head, kind="clue-ledger", unit_code=None, p=p)["id"]
    for attempt in (1, 2):
        assert jobs.claim(rt, f"dying-{attempt}") == second
        execute(rt, "UPDATE jobs SET heartbeat_at = :at WHERE id = :id", id=second,
                at=datetime.now(UTC) - timedelta(minutes=5))
        assert jobs.recover(rt) == 1
    app = make_app(url, reports=settings["reports"], clock=settings["clock"])
    try:
        api = ApiClient(app.test_client(), issue_tokens(url, ["a-head"]), "a-head")
        failed = api.get(f"/reports/jobs/{second}").json
        assert failed["status"] == "failed"
        assert failed["error"] == "the job was interrupted by a restart; start it again"
    finally:
        dispose_app(app)


TIMER = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="waits_an_hour" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:intermediateCatchEvent id="hour"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="hour"/>
    <bpmn:sequenceFlow id="f2" sourceRef="hour" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_timer_fires_on_time_while_a_long_job_runs(db):
    _, settings = db
    clock = Clock(NOW)
    rt = Runtime(load_settings({**settings, "timers": {"poll_seconds": 0.2,
                                                       "heartbeat_seconds": 0.5},
                                "jobs": {"poll_seconds": 0.2}}), clock=clock)
    started, release = threading.Event(), threading.Event()

    def long_job(runtime, ctx):
        started.set()
        assert release.wait(120), "the test never released the long job"
        return {}
    jobs.register("test-long", long_job)
    scheduler = build_scheduler(rt)
    try:
        def setup(uow):
            processes.deploy(uow, runtime=rt, files=[("waits.bpmn", TIMER)], actor="test")
            processes.start_instance(uow, runtime=rt, key="waits_an_hour", user=None)
            owner = uow.session.scalar(select(User).where(User.username == "a-head"))
            return jobs.submit(uow.session, rt, kind="test-long", owner=owner, params={}).id
        job_id = rt.transact(setup)
        scheduler.start()
        assert started.wait(60), "the worker never started the job"
        clock.set(NOW + timedelta(hours=2))  # the timer is due now, the job still runs
        wait_for(lambda: rt.read(lambda uow: uow.session.scalar(
            select(Timer.status).where(Timer.element_id == "hour"))) == "fired",
            timeout=60, what="the timer to fire while the long job runs")
        assert rt.read(lambda uow: uow.session.get(Job, job_id).status) == "running"
        release.set()
        wait_for(lambda: rt.read(lambda uow: uow.session.get(Job, job_id).status) == "done",
                 timeout=60, what="the long job to finish")
    finally:
        release.set()
        scheduler.shutdown(wait=True)
        jobs.HANDLERS.pop("test-long", None)
        rt.dispose()
