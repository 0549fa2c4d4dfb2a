"""The step's own rows as Core statements (issue 28, point 1): one update of the instance, one
update per finished task and one multi-row insert of the new tasks, sent together (pipelined on
PostgreSQL), never again by the ORM; the rows, the objects the API answers with, the audit chain
and the statistics rollup all agree."""
from __future__ import annotations

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from engine import db
from engine.audit import chain
from engine.inbox.models import Task, TaskCandidateUser
from engine.org.models import User
from engine.processes.models import ProcessDefinition, ProcessInstance
from engine.reports import rollup

BPMN = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs_step_core"
    targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:message id="msg_stop" name="stop"/>
  <bpmn:process id="step_core" name="Step core" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="first"/>
    <bpmn:userTask id="first" name="First"/>
    <bpmn:sequenceFlow id="f1" sourceRef="first" targetRef="fork"/>
    <bpmn:parallelGateway id="fork"/>
    <bpmn:sequenceFlow id="f2" sourceRef="fork" targetRef="left"/>
    <bpmn:sequenceFlow id="f3" sourceRef="fork" targetRef="right"/>
    <bpmn:userTask id="left" name="Left" camunda:candidateUsers="a-worker2, b-worker"/>
    <bpmn:userTask id="right" name="Right"/>
    <bpmn:boundaryEvent id="stop" attachedToRef="right" cancelActivity="true">
      <bpmn:messageEventDefinition id="stop_def" messageRef="msg_stop"/>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f4" sourceRef="left" targetRef="end_left"/>
    <bpmn:sequenceFlow id="f5" sourceRef="right" targetRef="end_right"/>
    <bpmn:sequenceFlow id="f6" sourceRef="stop" targetRef="end_stop"/>
    <bpmn:endEvent id="end_left"/>
    <bpmn:endEvent id="end_right"/>
    <bpmn:endEvent id="end_stop"/>
  </bpmn:process>
</bpmn:definitions>
"""


class Statements:
    """Every statement the database is sent while active, with whether a pipeline carried it."""

    def __init__(self, runtime):
        self.connection = runtime.connection
        self.sent: list[tuple[str, int, bool]] = []

    def __enter__(self):
        event.listen(self.connection, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.connection, "before_cursor_execute", self._seen)

    def _seen(self, conn, _cursor, statement, params, _context, many):
        raw = conn.connection.driver_connection
        pipelined = conn.dialect.name == "postgresql" and raw.pgconn.pipeline_status != 0
        rows = len(params) if many else 1
        self.sent.append((" ".join(statement.split()), rows, pipelined))

    def writes(self, table: str) -> list[tuple[str, int, bool]]:
        return [s for s in self.sent if s[0].startswith((f"UPDATE {table} ", f"INSERT INTO {table} "))]


def _rows(runtime, instance_id):
    def read(uow):
        tasks = {t.element_id: t for t in uow.session.scalars(
            select(Task).where(Task.instance_id == instance_id))}
        instance = uow.session.get(ProcessInstance, instance_id)
        return tasks, instance, instance.state
    return runtime.read(read)


def _user_id(runtime, name):
    return runtime.read(lambda uow: uow.session.scalar(select(User.id).where(User.username == name)))


def test_a_step_writes_its_rows_once_as_core_statements(api, runtime, backend):
    designer = api.as_("designer")
    assert designer.deploy(BPMN, "step_core.bpmn").status == 201
    started = designer.start("step_core").json
    (first,) = started["ready_tasks"]
    before = _rows(runtime, started["id"])[1].revision

    with Statements(runtime) as seen:
        done = designer.complete(first, {})
    assert done.status == 200, done.text
    body = done.json
    assert sorted(t["element_id"] for t in body["next_tasks"]) == ["left", "right"]

    # One update of the finished task, one insert of both new tasks, one update of the instance;
    # nothing else writes either table (no ORM flush of the same rows).
    # The tasks table is read once: the locking read, which carries the instance's open tasks'
    # keys (the copy-out's read folded into it).
    reads = [s[0] for s in seen.sent if s[0].startswith("SELECT") and " FROM tasks " in s[0]]
    assert len(reads) == 1 and "open_tasks" in reads[0], reads
    tasks, instances = seen.writes("tasks"), seen.writes("process_instances")
    assert [(s[0].split()[0], s[1]) for s in tasks] == [("UPDATE", 1), ("INSERT", 2)], tasks
    assert len(instances) == 1 and instances[0][0].startswith("UPDATE"), instances
    if backend == "postgresql":
        assert all(s[2] for s in tasks + instances), "the step's writes are one pipeline"
        head = [s for s in seen.sent if "pg_advisory_xact_lock" in s[0] or "max(chain_seq)" in s[0]]
        assert head == [], "the chain's lock and head go through the driver, pipelined"

    # The rows say what the API answered.
    rows, instance, state = _rows(runtime, started["id"])
    designer_id = _user_id(runtime, "designer")
    done_row = rows["first"]
    assert (done_row.status, done_row.completed_by_id, done_row.assignee_id, done_row.version) \
        == ("completed", designer_id, designer_id, first["version"] + 1)
    assert body["task"]["status"] == "completed" and body["task"]["version"] == done_row.version
    assert done_row.completed_at is not None
    for answered in body["next_tasks"]:
        row = rows[answered["element_id"]]
        assert (row.id, row.status, row.version, row.name, row.process_key) == (
            answered["id"], "open", 1, answered["name"], "step_core")
        assert row.properties == {} and row.kind == "user" and row.completed_at is None
    assert instance.revision == before + 1 and instance.status == "running" and state
    offered = runtime.read(lambda uow: set(uow.session.scalars(
        select(User.username).join(TaskCandidateUser, TaskCandidateUser.user_id == User.id)
        .where(TaskCandidateUser.task_id == rows["left"].id))))
    assert offered == {"a-worker2", "b-worker"}

    # A message cancels one task: its row is finished by the same statement, the other stays.
    right = rows["right"]
    with Statements(runtime) as seen:
        sent = designer.post(f"/process-instances/{started['id']}/messages",
                             json={"name": "stop", "payload": {}})
    assert sent.status == 200, sent.text
    assert [s[0].split()[0] for s in seen.writes("tasks")] == ["UPDATE"]
    rows, instance, _ = _rows(runtime, started["id"])
    assert (rows["right"].status, rows["right"].version) == ("cancelled", right.version + 1)
    assert rows["right"].completed_at is not None and rows["right"].completed_by_id is None
    assert rows["left"].status == "open" and instance.revision == before + 2

    # The instance goes on from the saved state (no cache in tests: each step loads it).
    (left,) = [t for t in body["next_tasks"] if t["element_id"] == "left"]
    assert api.as_("b-worker").complete(left, {}).status == 200
    assert _rows(runtime, started["id"])[1].status == "completed"

    key, _ = chain.audit_key(runtime.settings)
    assert not runtime.read(lambda uow: chain.verify_chain(uow.session, key)).problems
    assert rollup.verify(runtime) in (None, {})


def test_a_ready_task_whose_row_was_left_behind_fails_the_step_and_writes_nothing(api, runtime):
    """A ready task not among the open rows read with the lock is new: were a row left behind
    under its key (nothing in the engine does that), the insert fails the whole step rather than
    reopening the row or answering with a task that was never offered."""
    designer = api.as_("designer")
    assert designer.deploy(BPMN, "step_core.bpmn").status == 201
    started = designer.start("step_core").json
    (first,) = started["ready_tasks"]
    tasks = {t["element_id"]: t for t in designer.complete(first, {}).json["next_tasks"]}

    def leave_behind(uow):  # "right" stays ready in the workflow, its row no longer open
        uow.session.get(Task, tasks["right"]["id"]).status = "cancelled"
        uow.commit()
    runtime.transact(leave_behind)
    rows, before, _ = _rows(runtime, started["id"])
    api.client.application.testing = False  # the API's answer, not the exception
    failed = api.as_("b-worker").complete(tasks["left"], {})
    assert failed.status == 500, failed.text
    rows_after, after, _ = _rows(runtime, started["id"])
    assert after.revision == before.revision
    assert {k: (r.status, r.version) for k, r in rows_after.items()} == \
        {k: (r.status, r.version) for k, r in rows.items()}


def test_a_failed_deferred_write_fails_the_transaction_as_a_database_error(api, runtime):
    """The pipeline reports a statement's failure as SQLAlchemy does for any other, and nothing
    the transaction wrote stays."""
    assert api.as_("designer").deploy(BPMN, "step_core.bpmn").status == 201
    now = runtime.clock.now()
    row = {"id": "00000000-0000-0000-0000-00000000c0de", "process_key": "step_core",
           "version": 1, "status": "running", "created_at": now, "updated_at": now, "state": "",
           "serializer_version": "1", "revision": 1, "data": {}}

    def write(uow):
        row["definition_id"] = uow.session.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.key == "step_core"))
        db.defer(uow.session, insert(ProcessInstance.__table__), row)
        db.defer(uow.session, insert(ProcessInstance.__table__), row)  # the same key again
        uow.commit()
    with pytest.raises(IntegrityError):
        runtime.transact(write)
    assert runtime.read(lambda uow: uow.session.get(ProcessInstance, row["id"])) is None
