"""Instance migration between versions, through the API, on both databases: refused naming the
missing element, mapped and then its timer still fires, dry runs change nothing, audited."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.audit.models import AuditEvent
from engine.processes.models import ProcessInstance
from engine.timers import service as timers
from engine.timers.models import Timer
from tests.conftest import FROZEN

HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="migrating" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="draft" name="{draft_name}"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:intermediateCatchEvent id="{timer}"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    {tail}
  </bpmn:process>
</bpmn:definitions>"""
V1_TAIL = """<bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft"/>
    <bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="wait_hour"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait_hour" targetRef="end"/>"""
V2_TAIL = """<bpmn:userTask id="check" name="check"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft"/>
    <bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="wait_one_hour"/>
    <bpmn:sequenceFlow id="f3" sourceRef="wait_one_hour" targetRef="check"/>
    <bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="end"/>"""
V1 = HEAD.format(draft_name="draft", timer="wait_hour", tail=V1_TAIL).encode()
V2 = HEAD.format(draft_name="draft it", timer="wait_one_hour", tail=V2_TAIL).encode()


def setup_two_versions(api):
    designer = api.as_("designer")
    assert designer.deploy(V1, "migrating.bpmn").status == 201
    waiting = designer.start("migrating").json
    assert designer.complete(waiting["ready_tasks"][0]).status == 200
    drafting = designer.start("migrating").json
    assert designer.deploy(V2, "migrating.bpmn").json[0]["version"] == 2
    return designer, waiting["id"], drafting


def migrate(designer, ids, **body):
    return designer.post("/process-instances/migrate",
                         json={"instance_ids": ids, "version": 2, **body})


def test_refused_migration_names_the_missing_element_and_changes_nothing(api, runtime):
    designer, waiting, drafting = setup_two_versions(api)
    resp = migrate(designer, [drafting["id"], waiting])
    assert resp.status == 409
    assert "wait_hour" in resp.json["error"]["message"]
    assert [d["element_id"] for d in resp.json["error"]["details"]] == ["wait_hour"]
    dry = migrate(designer, [drafting["id"], waiting], dry_run=True)
    assert dry.status == 200
    by_id = {r["instance_id"]: r for r in dry.json}
    assert by_id[waiting]["status"] == "refused" and by_id[waiting]["missing"] == ["wait_hour"]
    assert by_id[drafting["id"]]["status"] == "would_migrate"
    assert by_id[drafting["id"]]["reset"] == ["draft"]
    versions = runtime.read(lambda uow: dict(uow.session.execute(
        select(ProcessInstance.id, ProcessInstance.version)).all()))
    assert versions[waiting] == 1 and versions[drafting["id"]] == 1


def test_mapped_migration_succeeds_and_its_timer_still_fires(api, runtime):
    designer, waiting, drafting = setup_two_versions(api)
    mapping = {"wait_hour": "wait_one_hour"}
    dry = migrate(designer, [waiting], mapping=mapping, dry_run=True).json
    assert dry[0]["status"] == "would_migrate" and dry[0]["moved"] == mapping
    resp = migrate(designer, [waiting, drafting["id"]], mapping=mapping)
    assert resp.status == 200, resp.json
    assert [r["status"] for r in resp.json] == ["migrated", "migrated"]
    pending = runtime.read(lambda uow: list(uow.session.scalars(
        select(Timer).where(Timer.instance_id == waiting, Timer.status == "pending"))))
    assert [t.element_id for t in pending] == ["wait_one_hour"]
    assert timers.run_due(runtime, FROZEN + timedelta(minutes=30)) == 0
    assert timers.run_due(runtime, FROZEN + timedelta(hours=2)) == 1
    inst = designer.get(f"/process-instances/{waiting}").json
    assert inst["version"] == 2
    assert [t["element_id"] for t in inst["ready_tasks"]] == ["check"]  # only in version 2
    assert designer.complete(inst["ready_tasks"][0]).status == 200
    assert designer.get(f"/process-instances/{waiting}").json["status"] == "completed"
    # The instance that waited at its form gets the new version's task name and runs on it.
    inst = designer.get(f"/process-instances/{drafting['id']}").json
    assert [(t["element_id"], t["name"]) for t in inst["ready_tasks"]] == [("draft", "draft it")]
    events = runtime.read(lambda uow: list(uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "instance_migrated")
        .order_by(AuditEvent.id))))
    assert [(e.instance_id, e.detail["from"], e.detail["to"], e.detail["mapping"])
            for e in events] == [(waiting, 1, 2, mapping), (drafting["id"], 1, 2, mapping)]


def test_only_designers_migrate(api):
    designer, waiting, _ = setup_two_versions(api)
    assert migrate(api.as_("chief"), [waiting], dry_run=True).status == 403
