"""A case sent back 400 times: SpiffWorkflow alone stalls at pass 333 of this loop (its task tree
grows by three tasks a pass and it stops looking at depth 1000); saving drops the finished
history, so the loop runs to the end while the audit trail and the task rows keep every pass."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.audit.models import AuditEvent
from engine.check import check
from engine.inbox.models import Task
from engine.processes.models import ProcessInstance
from tests.conftest import FIXTURES

PASSES = 400


def test_a_case_sent_back_400_times_completes_with_its_whole_audit(api, runtime):
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "sendback_loop.bpmn").read_bytes()).status == 201
    inst = designer.start("sendback_loop").json
    (task,) = inst["ready_tasks"]
    sizes = {}
    seen = set()
    for number in range(1, PASSES + 2):
        resp = designer.complete(task, {"approved": number > PASSES, "pass": number})
        assert resp.status == 200, (number, resp.text)
        seen.add(task["id"])
        if number <= PASSES:
            (task,) = resp.json["next_tasks"]
            assert task["element_id"] == "review" and task["id"] not in seen
        else:
            assert resp.json["next_tasks"] == []
        if number in (10, PASSES):
            sizes[number] = runtime.read(lambda uow: len(
                uow.session.get(ProcessInstance, inst["id"]).state))

    def facts(uow):
        s = uow.session
        instance = s.get(ProcessInstance, inst["id"])
        completed = list(s.scalars(select(AuditEvent.task_id).where(
            AuditEvent.instance_id == inst["id"], AuditEvent.action == "task_completed")
            .order_by(AuditEvent.id)))
        passes = [e.detail["data"]["pass"] for e in s.scalars(
            select(AuditEvent).where(AuditEvent.instance_id == inst["id"],
                                     AuditEvent.action == "task_completed")
            .order_by(AuditEvent.id))]
        rows = dict(s.execute(select(Task.status, func.count()).where(
            Task.instance_id == inst["id"]).group_by(Task.status)).all())
        return instance.status, instance.data, completed, passes, rows
    status, data, completed, passes, rows = runtime.read(facts)
    assert status == "completed" and data["pass"] == PASSES + 1
    assert len(completed) == PASSES + 1 and set(completed) == seen
    assert passes == list(range(1, PASSES + 2))
    assert rows == {"completed": PASSES + 1}
    # The saved state does not grow with the passes already made.
    assert sizes[PASSES] <= sizes[10] * 1.1
    assert check(runtime) == []
