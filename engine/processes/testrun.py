"""Test-runs: a throwaway instance of a draft BPMN file that leaves no trace.

Design: a test-run lives only in memory, in a small LRU keyed by a random id and owned by the
designer who started it. Nothing is written to the database: no instance, task, timer, deadline,
case or audit row, so reports and statistics cannot see it. Lanes are not enforced (the designer
acts as every lane) and domain actions are not run (they write domain records); their results
can be given as form data. Timers fire when the designer asks, at an instant of their choosing.
A server restart forgets every test-run.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.org.models import User
from engine.processes import scripts
from engine.runtime import Runtime
from engine.workflow import forms
from engine.workflow import parser as bpmn
from engine.workflow.diagram import completed_element_ids, current_element_ids
from engine.workflow.adapter import LRU, BpmnInvalid, Problem, Run, TaskNotReady, compile_spec

_runs = LRU(64)


@dataclass
class TestRun:
    id: str
    owner: str
    key: str
    run: Run
    now: datetime
    completed: list[str] = field(default_factory=list)  # element ids, in completion order
    steps: int = 0


def start(session: Session, runtime: Runtime, *, files: list[tuple[str, bytes]], user: User,
          process: str | None = None, data: dict | None = None) -> TestRun:
    """Start a draft (not deployed) in memory and run it to its first wait."""
    if not files:
        raise Invalid("no BPMN file given", fields={"bpmn": ["required"]})
    name, payload = files[0]
    root = bpmn.parse_xml(payload, name)
    keys = bpmn.process_ids(root)
    if not keys:
        raise BpmnInvalid([Problem("the file defines no executable process", file_name=name)])
    key = process or keys[0]
    if key not in keys:
        raise Invalid(f"the file has no process {key!r}", fields={"process": [f"one of {keys}"]})
    from engine.processes import service as processes  # call targets: deployed, pinned
    roots = {n: bpmn.parse_xml(d, n) for n, d in files}
    defined = {pid: n for n, r in roots.items() for pid in bpmn.process_ids(r)}
    sources, _ = processes._resolve_sources(session, name, roots, dict(files), defined)
    compiled = compile_spec(key, sources)
    now = runtime.clock.now()
    scripts.use(session, runtime)
    run = Run.start(compiled, dict(data or {}), now)
    test = TestRun(id=str(uuid.uuid4()), owner=user.username, key=key, run=run, now=now)
    _observe(test)
    _runs.put(test.id, test)
    return test


def get(test_id: str, user: User) -> TestRun:
    """A test-run of this designer."""
    test = _runs.get(test_id)
    if test is None:
        raise NotFound(f"test-run {test_id} not found (test-runs live in memory only)")
    if test.owner != user.username:
        raise Forbidden("this test-run belongs to another designer")
    return test


def complete(session: Session, runtime: Runtime, *, test_id: str, task_id: str, data: dict,
             user: User) -> TestRun:
    """Complete a ready task as whatever lane it is in; the form is validated, actions skipped."""
    test = get(test_id, user)
    task = next((t for t in test.run.ready_human_tasks() if t.id == task_id), None)
    if task is None:
        raise Conflict(f"task {task_id} is not waiting in this test-run")
    errors = forms.validate(test.run.compiled.form(task.element_id), data)
    if errors:
        raise Invalid("the form has errors", fields=errors)
    scripts.use(session, runtime)
    try:
        test.run.complete(task_id, data, max(test.now, runtime.clock.now()))
    except TaskNotReady:
        raise Conflict(f"task {task_id} is not waiting in this test-run") from None
    _observe(test)
    return test


def fire_timers(session: Session, runtime: Runtime, *, test_id: str, now: datetime,
                user: User) -> TestRun:
    """Fire what is due at `now` (a later instant moves the test-run's clock forward)."""
    test = get(test_id, user)
    test.now = max(test.now, now)
    scripts.use(session, runtime)
    test.run.fire_timers(test.now)
    _observe(test)
    return test


def discard(test_id: str, user: User) -> None:
    """Forget a test-run."""
    get(test_id, user)
    _runs.pop(test_id)


def _observe(test: TestRun) -> None:
    for element in completed_element_ids(test.run):
        if element not in test.completed:
            test.completed.append(element)
    test.steps += 1


def view(test: TestRun) -> dict:
    """The diagram state: completed, current and ready elements, data, error."""
    run = test.run
    ready = [{"id": t.id, "element_id": t.element_id, "name": t.name, "lane": t.lane,
              "form": run.compiled.form(t.element_id)} for t in run.ready_human_tasks()]
    error = {"element_id": run.error.element_id, "message": run.error.message} \
        if run.error else None
    return {"id": test.id, "process_key": test.key, "status": run.status, "now": test.now,
            "completed": list(test.completed), "current": current_element_ids(run),
            "ready_tasks": ready, "data": run.data, "error": error}
