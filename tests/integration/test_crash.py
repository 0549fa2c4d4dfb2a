"""Crash consistency on PostgreSQL: `cluedesk serve` is killed with SIGKILL in the middle of many
concurrent task completions (threads, HTTP keep-alive) while its timer worker and a
`cluedesk timers run-due` process fire due BPMN timers; the run-due process is killed too. After
a restart, `cluedesk check` finds nothing wrong, every acknowledged completion is there exactly
once, and no step ran twice (no task completed twice, no next task or timer step made twice).

The clock is frozen two hours after the instances started, so every one-hour timer is due as
soon as a worker looks."""
from __future__ import annotations

import http.client
import json
import queue
import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import datetime, timedelta, UTC

import pytest
from sqlalchemy import select

from engine.audit.models import AuditEvent
from engine.clock import Clock
from engine.config import load_settings
from engine.inbox.models import Task
from engine.org.models import User
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.timers.models import Timer
from tests.conftest import backends
from tests.integration.support import ROOT, clean_env, cli, free_port, issue_tokens, wait_for
from tests.integration.test_serve import Proc, health

pytestmark = [pytest.mark.postgres_only, pytest.mark.timeout(240)]

STARTED = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
NOW = STARTED + timedelta(hours=2)
CHAINS, TIMED, THREADS = 400, 400, 12

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="crash_chain" isExecutable="true">
    <bpmn:startEvent id="c_start"/>
    <bpmn:userTask id="first" name="first"/>
    <bpmn:userTask id="second" name="second"/>
    <bpmn:endEvent id="c_end"/>
    <bpmn:sequenceFlow id="c1" sourceRef="c_start" targetRef="first"/>
    <bpmn:sequenceFlow id="c2" sourceRef="first" targetRef="second"/>
    <bpmn:sequenceFlow id="c3" sourceRef="second" targetRef="c_end"/>
  </bpmn:process>
  <bpmn:process id="crash_timer" isExecutable="true">
    <bpmn:startEvent id="t_start"/>
    <bpmn:intermediateCatchEvent id="wait_an_hour"><bpmn:timerEventDefinition>
      <bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="after_timer" name="after timer"/>
    <bpmn:endEvent id="t_end"/>
    <bpmn:sequenceFlow id="t1" sourceRef="t_start" targetRef="wait_an_hour"/>
    <bpmn:sequenceFlow id="t2" sourceRef="wait_an_hour" targetRef="after_timer"/>
    <bpmn:sequenceFlow id="t3" sourceRef="after_timer" targetRef="t_end"/>
  </bpmn:process>
</bpmn:definitions>"""


def seed(url: str) -> list[tuple[str, int]]:
    """Deploy, start the instances as the designer (tasks are offered to their starter); return
    the open `first` tasks as (id, version)."""
    rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(STARTED))
    try:
        rt.transact(lambda uow: processes.deploy(uow, runtime=rt, actor="designer",
                                                 files=[("crash.bpmn", BPMN.encode())]))

        def start(key: str, count: int):
            def work(uow):
                user = uow.session.scalar(select(User).where(User.username == "designer"))
                for _ in range(count):
                    processes.start_instance(uow, runtime=rt, key=key, user=user)
            return work
        for key, total in (("crash_chain", CHAINS), ("crash_timer", TIMED)):
            for _ in range(total // 100):
                rt.transact(start(key, 100))
        return rt.read(lambda uow: [tuple(r) for r in uow.session.execute(
            select(Task.id, Task.version).where(Task.element_id == "first",
                                                Task.status == "open"))])
    finally:
        rt.dispose()


def complete_all(port: int, token: str, work: queue.Queue, acked: list, unacked: list,
                 refused: list) -> None:
    """Complete tasks from `work` over one keep-alive connection until the server goes away."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    while True:
        try:
            task_id, version = work.get_nowait()
        except queue.Empty:
            break
        try:
            conn.request("POST", f"/api/v1/tasks/{task_id}/complete", headers=headers,
                         body=json.dumps({"data": {}, "version": version}))
            resp = conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            unacked.append((task_id, version))  # sent, no answer: it may or may not have run
            break
        (acked if resp.status == 200 else refused).append((task_id, resp.status, body[:200]))
    conn.close()


def start_server(url: str, port: int, log, env: dict) -> Proc:
    proc = Proc(["serve", "--host", "127.0.0.1", "--port", str(port)], url, log, env)

    def up():
        assert proc.alive(), "server exited:\n" + proc.output()
        return health(f"http://127.0.0.1:{port}")
    wait_for(up, timeout=30, what="the server to answer")
    return proc


def run_due(url: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "engine.cli", "timers", "run-due", "--now",
                             NOW.isoformat()], cwd=ROOT, env=clean_env(url, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def audit_counts(rt: Runtime, action: str) -> Counter:
    return rt.read(lambda uow: Counter(
        (i, t) for i, t in uow.session.execute(select(AuditEvent.instance_id, AuditEvent.task_id)
                                               .where(AuditEvent.action == action))))


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "postgresql"])
def test_sigkill_mid_completions_and_timer_firings_loses_and_doubles_nothing(
        backend, scratch, tmp_path):
    url = scratch.create(backend)
    first_tasks = seed(url)
    assert len(first_tasks) == CHAINS
    token = issue_tokens(url, ["designer"])["designer"]
    env = {"CLUEDESK_CLOCK_NOW": NOW.isoformat(), "CLUEDESK_TIMERS_POLL_SECONDS": "1",
           "CLUEDESK_AUDIT_ANCHOR_PATH": str(tmp_path / "anchors.log")}
    port = free_port()
    server = start_server(url, port, tmp_path / "serve-1.log", env)
    rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(NOW))
    try:
        work: queue.Queue = queue.Queue()
        for item in first_tasks:
            work.put(item)
        acked: list = []
        unacked: list = []
        refused: list = []
        firing = run_due(url, env)
        threads = [threading.Thread(target=complete_all, daemon=True,
                                    args=(port, token, work, acked, unacked, refused))
                   for _ in range(THREADS)]
        for t in threads:
            t.start()
        # Kill in the middle: a third of the completions answered, timers part-fired.
        wait_for(lambda: len(acked) >= CHAINS // 3, timeout=60, interval=0.01,
                 what="a third of the completions")
        server.popen.send_signal(signal.SIGKILL)
        firing.send_signal(signal.SIGKILL)
        server.popen.wait(timeout=10)
        firing.wait(timeout=10)
        server.stop()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads)
        assert refused == [], refused[:5]
        assert 0 < len(acked) < CHAINS, "the server should have died part-way"
        fired_before = sum(audit_counts(rt, "timer_fired").values())
        assert fired_before < TIMED, "the timers should have been part-fired at the kill"

        # Restart; what was in flight is either done (409: already completed) or not (200).
        server = start_server(url, port, tmp_path / "serve-2.log", env)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        retried = {}
        for task_id, version in unacked:
            conn.request("POST", f"/api/v1/tasks/{task_id}/complete",
                         headers={"Authorization": f"Bearer {token}",
                                  "Content-Type": "application/json"},
                         body=json.dumps({"data": {}, "version": version}))
            resp = conn.getresponse()
            resp.read()
            retried[task_id] = resp.status
        conn.close()
        assert set(retried.values()) <= {200, 409}, retried
        # The restarted worker fires what is left; a run-due after it finds nothing.
        wait_for(lambda: rt.read(lambda uow: uow.session.scalar(
            select(Timer.id).where(Timer.status == "pending").limit(1))) is None,
            timeout=60, what="every timer fired")
        server.stop()
        done = cli(url, "timers", "run-due", "--now", NOW.isoformat(), env=env)
        assert done.returncode == 0 and done.stdout.split()[-1] == "0", done.stdout + done.stderr

        checked = cli(url, "check", env=env, timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "ok: " in checked.stdout, checked.stdout

        completed = audit_counts(rt, "task_completed")
        by_task = Counter(t for (_, t) in completed.elements())
        assert [t for t, n in by_task.items() if n > 1] == [], "a task completed twice"
        rows = rt.read(lambda uow: {r.id: (r.instance_id, r.element_id, r.status)
                                    for r in uow.session.scalars(select(Task))})
        for task_id, _, _ in acked:
            assert rows[task_id][2] == "completed" and by_task[task_id] == 1, task_id
        for task_id, status in retried.items():
            assert rows[task_id][2] == "completed" and by_task[task_id] == 1, (task_id, status)
        # Every `first` completed so far made exactly one `second`; every timer fired once and
        # made exactly one `after_timer`.
        made = Counter((inst, element) for inst, element, _ in rows.values())
        firsts_done = {rows[t][0] for t, _ in first_tasks if rows[t][2] == "completed"}
        assert len(firsts_done) == len(acked) + len(unacked)
        assert {inst for (inst, el), n in made.items() if el == "second"} == firsts_done
        assert all(n == 1 for (_, el), n in made.items() if el in ("second", "after_timer"))
        fired = audit_counts(rt, "timer_fired")
        assert len(fired) == TIMED and set(fired.values()) == {1}
        assert sum(1 for (_, el) in made if el == "after_timer") == TIMED
    finally:
        server.stop(kill=True)
        rt.dispose()
