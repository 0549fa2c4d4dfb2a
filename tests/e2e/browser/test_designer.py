"""The process designer in a real browser: open a deployed process in the modeler, see a warning
(in Chinese, or in English) pinned to its element, edit (make a flow the default, add a task,
delete a task), validate clean, deploy, see the diff, migrate running instances (refused naming
the missing element, then mapped), and test-run the draft from start to end without leaving a
row behind."""
from __future__ import annotations

import re
import uuid

from sqlalchemy import func, select

from engine.audit.models import AuditEvent
from engine.org import service as org
from engine.processes import service as processes
from engine.processes.models import ProcessInstance
from tests.e2e.browser.conftest import login, shot

V1 = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="defs" targetNamespace="t">
  <bpmn:process id="KEY" name="设计器演示" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="review" name="审查">
      <bpmn:extensionElements><camunda:formData><camunda:formField id="decision" type="string"/></camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="route"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>yes</bpmn:outgoing><bpmn:outgoing>no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="legacy" name="旧步骤"><bpmn:incoming>yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="end1"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end2"><bpmn:incoming>no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
    <bpmn:sequenceFlow id="f2" sourceRef="review" targetRef="route"/>
    <bpmn:sequenceFlow id="yes" sourceRef="route" targetRef="legacy"><bpmn:conditionExpression>decision == "yes"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="route" targetRef="end2"><bpmn:conditionExpression>decision != "yes"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="legacy" targetRef="end1"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="plane" bpmnElement="KEY">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="100" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="review_di" bpmnElement="review"><dc:Bounds x="180" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="route_di" bpmnElement="route" isMarkerVisible="true"><dc:Bounds x="330" y="93" width="50" height="50"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="legacy_di" bpmnElement="legacy"><dc:Bounds x="430" y="78" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end1_di" bpmnElement="end1"><dc:Bounds x="580" y="100" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end2_di" bpmnElement="end2"><dc:Bounds x="430" y="240" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="136" y="118"/><di:waypoint x="180" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="280" y="118"/><di:waypoint x="330" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="yes_di" bpmnElement="yes"><di:waypoint x="380" y="118"/><di:waypoint x="430" y="118"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="no_di" bpmnElement="no"><di:waypoint x="355" y="143"/><di:waypoint x="355" y="258"/><di:waypoint x="430" y="258"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="530" y="118"/><di:waypoint x="580" y="118"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>"""


def _setup(rt, key: str) -> tuple[str, str]:
    """Version 1 deployed; one instance waiting at `review`, one at `legacy`."""
    def work(uow):
        designer = org.get_user(uow.session, "designer")
        processes.deploy(uow, runtime=rt, files=[(f"{key}.bpmn", V1.replace("KEY", key).encode())],
                         actor="designer", comment="v1")
        at_review, _ = processes.start_instance(uow, runtime=rt, key=key, user=designer)
        at_legacy, tasks = processes.start_instance(uow, runtime=rt, key=key, user=designer)
        processes.complete_task(uow, runtime=rt, task_id=tasks[0].id, data={"decision": "yes"},
                                version=None, user=designer)
        return at_review.id, at_legacy.id
    return rt.transact(work)


def _element(page, element_id):
    return page.locator(f'#canvas .djs-element[data-element-id="{element_id}"]').first


def _rows(rt) -> tuple[int, int]:
    return rt.read(lambda uow: (
        uow.session.scalar(select(func.count(ProcessInstance.id))),
        uow.session.scalar(select(func.count(AuditEvent.id)))))


def test_design_deploy_diff_migrate_and_test_run(live_sqlite, new_page):
    rt = live_sqlite.runtime
    key = f"designer_demo_{uuid.uuid4().hex[:6]}"
    at_review, at_legacy = _setup(rt, key)
    # In Chinese (the default) the engine's lint warning is shown in Chinese.
    zh = new_page(live_sqlite.url)
    login(zh, "designer")
    zh.goto("/designer")
    zh.click(f'[data-testid="definition-{key}"]')
    _element(zh, "legacy").wait_for()
    zh.click("#validate")
    assert "该网关没有默认流向" in zh.locator('#problems li[data-element-id="route"]').inner_text()

    page = new_page(live_sqlite.url, lang="en")
    login(page, "designer")
    page.goto("/designer")
    page.click(f'[data-testid="definition-{key}"]')
    page.wait_for_selector('[data-testid="version-1"]')
    _element(page, "legacy").wait_for()

    # The version has a warning: the gateway has no default flow. Clicking it selects the gateway.
    page.click("#validate")
    warning = page.locator('#problems li[data-element-id="route"]')
    warning.wait_for()
    assert "no default flow" in warning.inner_text()
    warning.click()
    page.wait_for_selector('#canvas .djs-element.selected[data-element-id="route"]')

    # Fix it: make `no` the default flow (context pad → replace menu).
    # A thin connection is hard to hit with a pointer: select it through the modeler, then use
    # the context pad like a person would.
    page.evaluate("""() => { const m = document.getElementById('designer').modeler;
        m.get('selection').select(m.get('elementRegistry').get('no')); }""")
    page.click(".djs-context-pad .entry.bpmn-icon-screw-wrench")
    page.click('.djs-popup [data-id="replace-with-default-flow"]')
    # Add a task after `legacy` in place of its end event, then delete `legacy`: the modeler
    # reconnects `yes` to the new task.
    _element(page, "end1").click()
    page.click('.djs-context-pad .entry[data-action="delete"]')
    _element(page, "legacy").click()
    page.click('.djs-context-pad .entry[data-action="append.append-task"]')
    page.keyboard.press("Escape")
    _element(page, "legacy").click()
    page.click('.djs-context-pad .entry[data-action="delete"]')
    page.click("#validate")
    page.wait_for_selector('#problems li:has-text("No problems.")')
    shot(page, "designer-modeler")

    # Deploy with a comment; the diff of v1 → v2 is highlighted on the diagram.
    page.fill("#comment", "gateway default, new task")
    page.click("#deploy")
    page.wait_for_selector('#status:has-text("Deployed version 2.")')
    page.click('[data-testid="diff-2"]')
    page.wait_for_selector("#diff li")
    added = page.locator('#diff > li[data-kind="added"]').all_inner_texts()
    task_ids = [m.group(1) for text in added for m in [re.search(r"(Activity_\w+) \(task\)", text)]
                if m]
    assert len(task_ids) == 1
    new_task = task_ids[0]
    removed = page.locator('#diff > li[data-kind="removed"]').all_inner_texts()
    assert "removed: 旧步骤 (legacy, userTask)" in removed
    # Each changed element by its id, each changed attribute with its old and new value.
    changed = page.locator('#diff > li[data-kind="changed"]')
    assert [changed.nth(i).get_attribute("data-element-id") for i in range(changed.count())] \
        == ["route", "yes", "no"]
    assert changed.nth(0).locator("li").all_inner_texts() == ["Default flow: (not set) → “no”"]
    assert changed.nth(1).locator("li").all_inner_texts() == [
        f"Connects: “route → legacy” → “route → {new_task}”"]
    assert changed.nth(2).locator("li").all_inner_texts() == [
        'Condition: “decision != "yes"” → (not set)']
    page.wait_for_selector(f'#canvas .djs-element.diff-added[data-element-id="{new_task}"]')
    shot(page, "designer-diff")

    # Migrate both running instances: the dry run refuses the one waiting at `legacy`...
    page.click("#migrate-open")
    page.wait_for_selector("#migrate-instances input")
    page.click("#migrate-dry")
    refused = page.locator('#migrate-report li[data-status="refused"]')
    refused.wait_for()
    assert "legacy" in refused.inner_text() and at_legacy[:8] in refused.inner_text()
    assert page.is_disabled("#migrate-run")
    # ... and with `legacy` mapped to the new task both would move; then they do.
    page.fill("#migrate-mapping", f"legacy={new_task}")
    page.click("#migrate-dry")
    page.locator('#migrate-report li[data-status="would_migrate"]').nth(1).wait_for()
    page.click("#migrate-run")
    page.locator('#migrate-report li[data-status="migrated"]').nth(1).wait_for()
    shot(page, "designer-migrate")
    page.click("#migrate-dialog [data-close-dialog]")
    versions = rt.read(lambda uow: dict(uow.session.execute(
        select(ProcessInstance.id, ProcessInstance.version)
        .where(ProcessInstance.id.in_([at_review, at_legacy]))).all()))
    assert versions == {at_review: 2, at_legacy: 2}
    moved = rt.read(lambda uow: processes.open_tasks(uow.session, at_legacy))
    assert [t.element_id for t in moved] == [new_task]

    # Test-run the draft on the canvas: start to end, and no row is left behind.
    before = _rows(rt)
    page.click("#testrun-start")
    page.wait_for_selector('[data-testid="testrun-form-review"]')
    page.wait_for_selector('#canvas .djs-element.testrun-current[data-element-id="review"]')
    page.fill('[data-testid="testrun-form-review"] input[name="decision"]', "yes")
    page.click('[data-testid="testrun-form-review"] [data-testid="complete"]')
    page.wait_for_selector(f'[data-testid="testrun-form-{new_task}"]')
    page.wait_for_selector('#canvas .djs-element.testrun-done[data-element-id="review"]')
    page.click(f'[data-testid="testrun-form-{new_task}"] [data-testid="complete"]')
    page.wait_for_selector('[data-testid="testrun-finished"]')
    shot(page, "designer-testrun")
    assert _rows(rt) == before
