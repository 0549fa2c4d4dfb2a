"""Test-runs: a throwaway instance of a draft BPMN file that leaves no trace in the records.

Design: a test-run is one row of `test_runs` (the draft, the files its call activities need,
the serialized state), owned by the designer who started it, so whichever web process answers
the next click can continue it. Nothing else is written: no instance, task, timer, deadline,
case or audit row, so reports and statistics cannot see it. Lanes are not enforced (the designer
acts as every lane) and domain actions are not run (they write domain records); their results
can be given as form data. Timers fire when the designer asks, at an instant of their choosing.
A test-run not touched for a day is deleted when any designer starts one; each designer keeps
at most `KEEP_PER_DESIGNER`.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import limits
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.org.models import User
from engine.processes import scripts
from engine.processes.models import TestRun as Row
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.workflow import checks, forms
from engine.workflow import parser as bpmn
from engine.workflow.diagram import completed_element_ids, current_element_ids
from engine.workflow.adapter import BpmnInvalid, CompiledSpec, Run, TaskNotReady, \
    checksum, compile_spec
from engine.processes import store

KEEP_FOR = timedelta(days=1)
KEEP_PER_DESIGNER = 20


@dataclass
class TestRun:
    """A stored test-run with its workflow loaded."""
    __test__ = False  # not a pytest class

    row: Row
    run: Run


def start(uow: UnitOfWork, runtime: Runtime, *, files: list[tuple[str, bytes]], user: User,
          process: str | None = None, data: dict | None = None) -> TestRun:
    """Start a draft (not deployed) and run it to its first wait."""
    session = uow.session
    if not files:
        raise Invalid("no BPMN file given", reason="bpmn_file_missing", fields={"bpmn": [notes.note("required")]})
    name, payload = files[0]
    root = bpmn.parse_xml(payload, name)
    keys = bpmn.process_ids(root)
    if not keys:
        raise BpmnInvalid(checks.no_executable({name: root}))
    key = process or keys[0]
    if key not in keys:
        raise Invalid("the file has no process %(key)r", reason="testrun_process_missing",
                      params={"key": key}, fields={"process": [notes.note("one_of", options=keys)]})
    roots = {n: bpmn.parse_xml(d, n) for n, d in files}
    defined = {pid: n for n, r in roots.items() for pid in bpmn.process_ids(r)}
    sources, _ = store.resolve_sources(session, name, roots, dict(files), defined)
    compiled = compile_spec(key, sources)
    stored = [[n, d.decode("utf-8")] for n, d in sources]
    sources_sum = _checksum(key, stored)
    runtime.spec_cache.put(sources_sum, compiled)
    now = runtime.clock.now()
    scripts.use(session, runtime)
    limits.check_data(data)
    run = Run.start(compiled, dict(data or {}), now)
    _forget_old(session, user, now)
    row = Row(id=str(uuid.uuid4()), owner=user.username, process_key=key, sources=stored,
              sources_checksum=sources_sum, now=now, completed=[], updated_at=now)
    test = TestRun(row, run)
    _save(session, runtime, test)
    session.add(row)
    return test


def get(session: Session, runtime: Runtime, test_id: str, user: User, *,
        lock: bool = False) -> TestRun:
    """A test-run of this designer, its workflow loaded (locked when it is to change)."""
    row = _row(session, runtime, test_id, user, lock=lock)
    return TestRun(row, Run.load(_compiled(runtime, row), row.state))


def _row(session: Session, runtime: Runtime, test_id: str, user: User, *, lock: bool) -> Row:
    stmt = select(Row).where(Row.id == test_id)
    if lock and not runtime.sqlite:  # SQLite: the write transaction holds the lock already
        stmt = stmt.with_for_update()
    row = session.scalar(stmt)
    if row is None:
        raise NotFound("test-run %(id)s not found (discarded, or unused for a day)",
                       reason="testrun_not_found", params={"id": test_id})
    if row.owner != user.username:
        raise Forbidden("this test-run belongs to another designer", reason="testrun_not_own")
    return row


def complete(uow: UnitOfWork, runtime: Runtime, *, test_id: str, task_id: str, data: dict,
             user: User) -> TestRun:
    """Complete a ready task as whatever lane it is in; the form is validated, actions skipped."""
    limits.check_data(data)
    session = uow.session
    test = get(session, runtime, test_id, user, lock=True)
    task = next((t for t in test.run.ready_human_tasks() if t.id == task_id), None)
    if task is None:
        raise Conflict("task %(id)s is not waiting in this test-run", reason="testrun_task_not_waiting",
                       params={"id": task_id})
    form = test.run.compiled.form(task.element_id)
    data = forms.drop_hidden(form, data)  # as a real completion: hidden fields are not stored
    errors = forms.validate(form, data)
    if errors:
        raise Invalid("the form has errors", reason="form_invalid", fields=errors)
    scripts.use(session, runtime)
    try:
        test.run.complete(task_id, data, max(test.row.now, runtime.clock.now()))
    except TaskNotReady:
        raise Conflict("task %(id)s is not waiting in this test-run", reason="testrun_task_not_waiting",
                       params={"id": task_id}) from None
    _save(session, runtime, test)
    return test


def fire_timers(uow: UnitOfWork, runtime: Runtime, *, test_id: str, now, user: User) -> TestRun:
    """Fire what is due at `now` (a later instant moves the test-run's clock forward)."""
    session = uow.session
    test = get(session, runtime, test_id, user, lock=True)
    test.row.now = max(test.row.now, now)
    scripts.use(session, runtime)
    test.run.fire_timers(test.row.now)
    _save(session, runtime, test)
    return test


def discard(uow: UnitOfWork, runtime: Runtime, test_id: str, user: User) -> None:
    """Forget a test-run."""
    uow.session.delete(_row(uow.session, runtime, test_id, user, lock=True))


def view(test: TestRun) -> dict:
    """The diagram state: completed, current and ready elements, data, error."""
    run, row = test.run, test.row
    ready = [{"id": t.id, "element_id": t.element_id, "name": t.name, "lane": t.lane,
              "form": run.compiled.form(t.element_id)} for t in run.ready_human_tasks()]
    error = {"element_id": run.error.element_id, "message": run.error.message} \
        if run.error else None
    return {"id": row.id, "process_key": row.process_key, "status": run.status, "now": row.now,
            "completed": list(row.completed), "current": current_element_ids(run),
            "ready_tasks": ready, "data": run.data, "error": error}


def _save(session: Session, runtime: Runtime, test: TestRun) -> None:
    """Note what the step finished, then store the state (dumping drops finished history)."""
    row = test.row
    completed = list(row.completed)
    completed += [e for e in completed_element_ids(test.run) if e not in completed]
    row.completed = completed
    row.state = test.run.dump()
    row.updated_at = runtime.clock.now()


def _compiled(runtime: Runtime, row: Row) -> CompiledSpec:
    compiled = runtime.spec_cache.get(row.sources_checksum)
    if compiled is None:
        compiled = compile_spec(row.process_key, [(n, x.encode("utf-8")) for n, x in row.sources])
        runtime.spec_cache.put(row.sources_checksum, compiled)
    return compiled


def _checksum(key: str, sources: list[list[str]]) -> str:
    return checksum(json.dumps(["test-run", key, sources]).encode("utf-8"))


def _forget_old(session: Session, user: User, now) -> None:
    """Delete test-runs unused for `KEEP_FOR`, and this designer's beyond the newest few."""
    session.execute(delete(Row).where(Row.updated_at < now - KEEP_FOR))
    surplus = list(session.scalars(select(Row.id).where(Row.owner == user.username)
                                   .order_by(Row.updated_at.desc(), Row.id)
                                   .offset(KEEP_PER_DESIGNER - 1)))
    if surplus:
        session.execute(delete(Row).where(Row.id.in_(surplus)))
