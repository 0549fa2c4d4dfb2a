"""Test-runs: a throwaway instance of a draft BPMN file that leaves no trace in the records.

Design: a test-run is one row of `test_runs` (the draft, the files its call activities need,
the serialized state), owned by the designer who started it, so whichever web process answers
the next click can continue it. Nothing else is written: no instance, task, timer, deadline,
case or audit row, so reports and statistics cannot see it. Lanes are not enforced (the designer
acts as every lane) and domain actions are not run (they write domain records); their results
can be given as form data. Timers fire when the designer asks, at an instant of their choosing.
A test-run not touched for a day is deleted when any designer starts one; each designer keeps
at most `KEEP_PER_DESIGNER`.

Each step (a completed task with its data, or a timer firing) is kept with the state before it,
so the designer can step back and take the other branch. A domain action is not run, but its
`preview` (engine.processes.actions) adds the values the gateways route on, as the action would.
At each ready task the test-run names the statutory deadline rows it would start (the task's
`deadline` property, due on the working-day calendar from the test-run's clock), or the one it
runs on under (started by an earlier step and not met there, `deadline_met`).

A test-run can be saved by name for its process (a test case: the steps, and at each the task
and its deadline rows) and replayed against a later draft: each step is then the same, meets a
different task or different deadline rows, is refused, or finds the path ended.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import limits
from engine import notes
from engine.calendar import workdays
from engine.deadlines import service as deadline_service
from engine.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from engine.org.models import User
from engine.processes import actions, scripts
from engine.processes.models import TestCase
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
MAX_STEPS = 100  # each keeps the serialized state before it


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
              sources_checksum=sources_sum, now=now, completed=[], steps=[], history=[],
              updated_at=now)
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
    """Complete a ready task as whatever lane it is in; the form is validated, actions previewed."""
    limits.check_data(data)
    session = uow.session
    test = get(session, runtime, test_id, user, lock=True)
    _complete(session, runtime, test, task_id, data)
    return test


def _complete(session: Session, runtime: Runtime, test: TestRun, task_id: str,
              data: dict) -> None:
    task = next((t for t in test.run.ready_human_tasks() if t.id == task_id), None)
    if task is None:
        raise Conflict("task %(id)s is not waiting in this test-run", reason="testrun_task_not_waiting",
                       params={"id": task_id})
    form = test.run.compiled.form(task.element_id)
    data = forms.drop_hidden(form, data)  # as a real completion: hidden fields are not stored
    errors = forms.validate(form, data)
    if errors:
        raise Invalid("the form has errors", reason="form_invalid", fields=errors)
    rows = [_limit(d) for d in deadline_rows(session, runtime, test, task)]
    _before_step(test)
    scripts.use(session, runtime)
    now = max(test.row.now, runtime.clock.now())
    action = task.properties.get("action")
    routed = actions.preview(action, runtime, data, test.run.data) if action else {}
    try:
        test.run.complete(task_id, {**data, **routed}, now)
    except TaskNotReady:
        test.row.history = test.row.history[:-1]
        raise Conflict("task %(id)s is not waiting in this test-run", reason="testrun_task_not_waiting",
                       params={"id": task_id}) from None
    test.row.steps = [*test.row.steps, {
        "kind": "task", "element_id": task.element_id, "name": task.name, "data": data,
        "at": test.row.now.isoformat(), "deadlines": rows}]
    _save(session, runtime, test)


def fire_timers(uow: UnitOfWork, runtime: Runtime, *, test_id: str, now, user: User) -> TestRun:
    """Fire what is due at `now` (a later instant moves the test-run's clock forward)."""
    session = uow.session
    test = get(session, runtime, test_id, user, lock=True)
    _fire(session, runtime, test, now)
    return test


def _fire(session: Session, runtime: Runtime, test: TestRun, now: datetime) -> None:
    _before_step(test)
    row = test.row
    row.now = max(row.now, now)
    row.steps = [*row.steps, {"kind": "timers", "at": row.now.isoformat(),
                              "after": (row.now - _started(row)).total_seconds()}]
    scripts.use(session, runtime)
    test.run.fire_timers(row.now)
    _save(session, runtime, test)


def back(uow: UnitOfWork, runtime: Runtime, *, test_id: str, user: User) -> TestRun:
    """Undo the last step: the state before it comes back, so another branch can be taken."""
    session = uow.session
    row = _row(session, runtime, test_id, user, lock=True)
    if not row.steps:
        raise Conflict("the test-run has no step to undo", reason="testrun_no_step_back")
    before = row.history[-1]
    row.state, row.completed = before["state"], list(before["completed"])
    row.now = datetime.fromisoformat(before["now"])
    row.steps, row.history = row.steps[:-1], row.history[:-1]
    row.updated_at = runtime.clock.now()
    return TestRun(row, Run.load(_compiled(runtime, row), row.state))


def _before_step(test: TestRun) -> None:
    row = test.row
    if len(row.steps) >= MAX_STEPS:
        raise Conflict("a test-run keeps at most %(max)s steps", reason="testrun_too_long",
                       params={"max": MAX_STEPS})
    row.history = [*row.history, {"state": row.state, "completed": list(row.completed),
                                  "now": row.now.isoformat()}]


def _started(row: Row) -> datetime:
    return datetime.fromisoformat(row.history[0]["now"]) if row.history else row.now


# ---------------------------------------------------------------------------------------------
# Deadline rows


def deadline_rows(session: Session, runtime: Runtime, test: TestRun, task) -> list[dict]:
    """The statutory deadline a ready task works under: its `deadline` property's key, limit,
    start and due instant on the working-day calendar; `runs_on` when an earlier step of this
    test-run started it and did not meet it."""
    key = (task.properties or {}).get("deadline")
    configured = deadline_service.config(runtime)
    if not key or key not in configured:
        return []
    cfg = configured[key]
    running = _running(test)
    started = running.get(key, test.row.now)
    amount, unit = int(cfg["amount"]), cfg["unit"]
    due = workdays.due_at(deadline_service.calendar(session, runtime), started, amount, unit,
                          runtime.clock.tz)
    return [{"key": key, "amount": amount, "unit": unit, "started_at": started, "due_at": due,
             "runs_on": key in running}]


def _running(test: TestRun) -> dict[str, datetime]:
    """Deadline keys started by this test-run's steps and not met yet, with their start
    (deadline_service.met_rule: met on completion, handed on, or met when a field is true)."""
    running: dict[str, datetime] = {}
    for step in test.row.steps:
        if step["kind"] != "task":
            continue
        props = test.run.compiled.human_tasks.get(step["element_id"], {}).get("properties") or {}
        key = props.get("deadline")
        if not key:
            continue
        running.setdefault(key, datetime.fromisoformat(step["at"]))
        rule = str(props.get("deadline_met") or "completed")
        if rule == "completed" or (rule != "later" and step["data"].get(rule) is True):
            running.pop(key)
    return running


def _limit(row: dict) -> dict:
    return {"key": row["key"], "amount": row["amount"], "unit": row["unit"]}


# ---------------------------------------------------------------------------------------------
# Saved test cases and their replay


def save_case(uow: UnitOfWork, runtime: Runtime, *, test_id: str, name: str,
              user: User) -> TestCase:
    """Save the test-run's steps under `name` for its process (the same name is replaced)."""
    session = uow.session
    test = get(session, runtime, test_id, user)
    if not test.row.steps:
        raise Invalid("take a step before saving the test-run", reason="testrun_case_empty",
                      fields={"name": [notes.note("no_steps")]})
    steps = [{k: v for k, v in step.items() if k != "at"} for step in test.row.steps]
    steps.append({"kind": "end", "status": test.run.status,
                  "current": current_element_ids(test.run)})
    case = session.scalar(select(TestCase).where(TestCase.process_key == test.row.process_key,
                                                 TestCase.name == name))
    if case is None:
        case = TestCase(process_key=test.row.process_key, name=name)
        session.add(case)
    case.steps, case.created_by, case.created_at = steps, user.username, runtime.clock.now()
    session.flush()
    return case


def cases(session: Session, process_key: str) -> list[TestCase]:
    """The saved test cases of a process, by name."""
    return list(session.scalars(select(TestCase).where(TestCase.process_key == process_key)
                                .order_by(TestCase.name)))


def get_case(session: Session, case_id: int) -> TestCase:
    case = session.get(TestCase, case_id)
    if case is None:
        raise NotFound("test case %(id)s not found", reason="testrun_case_not_found",
                       params={"id": case_id})
    return case


def delete_case(uow: UnitOfWork, *, case_id: int) -> None:
    """Forget a saved test case."""
    uow.session.delete(get_case(uow.session, case_id))


def replay(uow: UnitOfWork, runtime: Runtime, *, case_id: int, files: list[tuple[str, bytes]],
           user: User) -> tuple[TestRun, list[dict]]:
    """Run a saved case's steps against a draft, as a new test-run, and say for each step what
    changed; it stops at the first step that cannot be taken as saved."""
    session = uow.session
    case = get_case(session, case_id)
    test = start(uow, runtime, files=files, user=user, process=case.process_key)
    session.flush()
    report: list[dict] = []
    for index, step in enumerate(case.steps):
        outcome = _replay_step(session, runtime, test, step)
        report.append({"index": index, "kind": step["kind"], "element_id": step.get("element_id"),
                       "name": step.get("name"), "expected_deadlines": step.get("deadlines", []),
                       **outcome})
        if outcome["outcome"] not in ("same", "different_deadlines"):
            break
    return test, report


def _replay_step(session: Session, runtime: Runtime, test: TestRun, step: dict) -> dict:
    run = test.run
    waiting = [{"element_id": t.element_id, "name": t.name} for t in run.ready_human_tasks()]
    if step["kind"] == "end":
        same = run.status == step["status"] and \
            sorted(current_element_ids(run)) == sorted(step["current"])
        return {"outcome": "same" if same else "different_task", "waiting": waiting,
                "status": run.status}
    if run.status == "error":
        return {"outcome": "refused", "waiting": waiting, "status": run.status,
                "error": {"reason": None, "message": run.error.message, "params": {}}}
    if run.status != "running":
        return {"outcome": "ended", "waiting": waiting, "status": run.status}
    if step["kind"] == "timers":
        _fire(session, runtime, test, _started(test.row) + timedelta(seconds=step["after"]))
        return {"outcome": "same", "waiting": waiting, "status": run.status}
    task = next((t for t in run.ready_human_tasks() if t.element_id == step["element_id"]), None)
    if task is None:
        return {"outcome": "different_task", "waiting": waiting, "status": run.status}
    found = [_limit(d) for d in deadline_rows(session, runtime, test, task)]
    try:
        _complete(session, runtime, test, task.id, step["data"])
    except DomainError as exc:
        return {"outcome": "refused", "waiting": waiting, "status": run.status, "deadlines": found,
                "error": {"reason": exc.reason, "message": exc.message, "params": exc.params,
                          "fields": exc.fields}}
    if run.status == "error":
        return {"outcome": "refused", "waiting": waiting, "status": run.status, "deadlines": found,
                "error": {"reason": None, "message": run.error.message, "params": {}}}
    same = found == step.get("deadlines", [])
    return {"outcome": "same" if same else "different_deadlines", "waiting": waiting,
            "status": run.status, "deadlines": found}


def discard(uow: UnitOfWork, runtime: Runtime, test_id: str, user: User) -> None:
    """Forget a test-run."""
    uow.session.delete(_row(uow.session, runtime, test_id, user, lock=True))


def view(session: Session, runtime: Runtime, test: TestRun) -> dict:
    """The diagram state: completed, current and ready elements (each with its form and the
    deadline rows it works under), data, error, and the steps taken."""
    run, row = test.run, test.row
    ready = [{"id": t.id, "element_id": t.element_id, "name": t.name, "lane": t.lane,
              "form": run.compiled.form(t.element_id), "properties": t.properties,
              "deadlines": deadline_rows(session, runtime, test, t)}
             for t in run.ready_human_tasks()]
    error = {"element_id": run.error.element_id, "message": run.error.message,
             "reason": run.error.reason, "params": run.error.params or {}} if run.error else None
    steps = [{"kind": s["kind"], "element_id": s.get("element_id"), "name": s.get("name"),
              "data": s.get("data"), "at": datetime.fromisoformat(s["at"])} for s in row.steps]
    return {"id": row.id, "process_key": row.process_key, "status": run.status, "now": row.now,
            "completed": list(row.completed), "current": current_element_ids(run),
            "ready_tasks": ready, "data": run.data, "error": error, "steps": steps,
            "labels": _labels(run.compiled),
            "waiting_timers": [{"element_id": w.element_id, "due_at": w.due_at}
                               for w in run.waiting_timers()]}


def _labels(compiled: CompiledSpec) -> dict:
    """The process data's names as its forms write them: field -> {"title", "values" (an
    enum's labels)}."""
    labels: dict = {}
    for info in compiled.human_tasks.values():
        for name, prop in ((info.get("form") or {}).get("properties") or {}).items():
            if prop.get("title"):
                labels.setdefault(name, {"title": prop["title"],
                                         "values": dict(prop.get("x-labels") or {})})
    return labels


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
