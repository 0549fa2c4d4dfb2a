"""The designer's properties panel in a real browser.

A designer builds a small approval from an empty diagram with the palette, the context pad and
the properties panel only (no XML): names, a condition on a flow, the gateway's default flow, a
timer, a deadline key and an action picked from the engine's lists; validates and deploys
it; the version list names who deployed it, at local time. And every file in bpmn/, opened in the
designer and saved without a change, still deploys with the same steps, forms and properties."""
from __future__ import annotations

import uuid
from datetime import UTC
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.processes import service as processes
from engine.inbox.models import Task
from engine.processes.models import BpmnSource, ProcessDefinition
from engine.workflow.adapter import compile_spec
from tests.e2e.browser.conftest import login, shot
from tests.e2e.browser.test_inbox import town_a_task

ROOT = Path(__file__).resolve().parents[3]
MODELER = "document.getElementById('designer').modeler"


def _element(page, element_id):
    return page.locator(f'#canvas .djs-element[data-element-id="{element_id}"]').first


def _click(page, element_id: str) -> None:
    """Scroll the shape into view (as a person drags the canvas) and click it."""
    page.evaluate(f"() => {MODELER}.get('canvas').scrollToElement('{element_id}')")
    _element(page, element_id).click()


def _selected(page) -> str:
    return page.evaluate(f"() => {MODELER}.get('selection').get()[0].id")


def _pad(page, action: str) -> None:
    page.click(f'.djs-context-pad .entry[data-action="{action}"]')


def _append(page, action: str) -> str:
    """Append from the selected shape with the context pad; the new shape's id."""
    _pad(page, action)
    page.keyboard.press("Escape")  # leave the label editor the modeler opens
    return _selected(page)


def _replace(page, entry: str) -> str:
    _pad(page, "replace")
    page.click(f'.djs-popup [data-id="replace-with-{entry}"]')
    return _selected(page)


def _group(page, group_id: str):
    """Open a group of the properties panel (closed ones only)."""
    header = page.locator(f'#properties [data-group-id="group-{group_id}"] '
                          '.bio-properties-panel-group-header')
    if "open" not in (header.get_attribute("class") or ""):
        header.click()


def _settled(page, element_id: str, script: str) -> None:
    """Wait until the (debounced) panel input reached the model: `script` over `bo`."""
    page.wait_for_function(
        f"() => {{ const e = {MODELER}.get('elementRegistry').get('{element_id}');"
        f" const bo = e && e.businessObject; return !!bo && ({script}); }}")


def _select(page, element_id: str) -> None:
    # A thin connection is hard to hit with a pointer: selected through the modeler.
    page.evaluate(f"() => {MODELER}.get('selection').select("
                  f"{MODELER}.get('elementRegistry').get('{element_id}'))")


def _flow_between(page, source: str, target: str) -> str:
    return page.evaluate(
        f"() => {MODELER}.get('elementRegistry').filter(e => e.type === 'bpmn:SequenceFlow'"
        f" && e.source.id === '{source}' && e.target.id === '{target}')[0].id")


def _drag_into(page, element_id: str, lane_id: str) -> None:
    """Drag a shape with the mouse, straight down or up, to the middle of a lane (selected
    first, taken by its upper edge: the middle is under its label)."""
    page.evaluate(f"() => {MODELER}.get('canvas').zoom('fit-viewport')")
    _element(page, element_id).click(force=True)
    box = _element(page, element_id).bounding_box()
    lane = _element(page, lane_id).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 3, y + 3, steps=3)
    page.mouse.move(x, lane["y"] + lane["height"] / 2, steps=15)
    page.mouse.up()
    _settled(page, lane_id, f"bo.flowNodeRef.some(n => n.id === '{element_id}')")


def _lane_role(page, lane_id: str, name: str, role: str, rule: str) -> None:
    _select(page, lane_id)
    _group(page, "general")
    page.fill("#bio-properties-panel-name", name)
    _group(page, "cluedesk-lane")
    page.select_option("#bio-properties-panel-cluedesk-role", role)
    page.select_option("#bio-properties-panel-cluedesk-unitRule", rule)
    _settled(page, lane_id, f"bo.name === '{name}' && bo.extensionElements && "
                            "bo.extensionElements.values[0].values.map(p => p.name + '=' + p.value)"
                            f".join(',') === 'role={role},{rule.replace(':', '=', 1)}'")


def test_build_an_approval_with_the_panel_deploy_and_complete(live_sqlite, new_page):
    """Issue 22's first done-means: from an empty diagram, without XML, a three-step approval
    with a send-back, a condition, a timer, a deadline key, an action and two lanes mapped to
    roles in the panel; validated, deployed; a caseworker completes the first step in the inbox
    and the next one waits in the supervisor's lane."""
    rt = live_sqlite.runtime
    key = f"panel_approval_{uuid.uuid4().hex[:6]}"
    page = new_page(live_sqlite.url, lang="en")
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    page.click("#new-diagram")
    _element(page, "start").wait_for()

    # The process: nothing selected, the panel shows it. Its id and name.
    _group(page, "general")
    page.fill("#bio-properties-panel-id", key)
    page.fill("#bio-properties-panel-name", "审批演示 (Panel approval)")
    page.wait_for_function(f"() => {MODELER}.getDefinitions().rootElements"
                           f".some(r => r.id === '{key}' && r.name === '审批演示 (Panel approval)')")

    # First step: a user task for a caseworker, under a statutory deadline.
    _click(page, "start")
    _append(page, "append.append-task")
    first = _replace(page, "user-task")
    _group(page, "general")
    page.fill("#bio-properties-panel-name", "初审")
    _group(page, "cluedesk-domain")
    deadline = page.locator("#bio-properties-panel-cluedesk-deadline")
    assert "acceptance_notice" in deadline.inner_html()
    deadline.select_option("acceptance_notice")
    # The deadline's limit and legal basis are shown under the picker.
    page.wait_for_selector('#properties [data-entry-id="cluedesk-deadline"]'
                           ':has-text("纪检监察机关处理检举控告工作规则")')
    _settled(page, first, "bo.name === '初审'")

    # A gateway; the approving step (its action picked) on a condition.
    gateway = _append(page, "append.gateway")
    _append(page, "append.append-task")
    approve = _replace(page, "user-task")
    _group(page, "general")
    page.fill("#bio-properties-panel-name", "领导审批")
    _group(page, "cluedesk-domain")
    action = page.locator("#bio-properties-panel-cluedesk-action")
    action.select_option("clue.approve")
    page.wait_for_selector('#properties [data-entry-id="cluedesk-action"]'
                           ':has-text("approves the disposition")')
    _settled(page, approve, "bo.name === '领导审批'")
    # The approval's gateway: on to the third step (归档), or back to the first (the send-back).
    decided = _append(page, "append.gateway")
    _append(page, "append.append-task")
    archive = _replace(page, "user-task")
    _group(page, "general")
    page.fill("#bio-properties-panel-name", "归档")
    _settled(page, archive, "bo.name === '归档'")
    _append(page, "append.end-event")
    page.evaluate(f"() => {MODELER}.get('canvas').zoom('fit-viewport')")
    _element(page, decided).click()
    _pad(page, "connect")
    _element(page, first).click()
    back = _flow_between(page, decided, first)

    # The other way from the first gateway: wait an hour (a timer), then end. (The send-back
    # now runs over the gateway: it is selected through the modeler.)
    _select(page, gateway)
    _append(page, "append.intermediate-event")
    timer = _replace(page, "timer-intermediate-catch")
    _group(page, "timer")
    page.select_option("#bio-properties-panel-timerEventDefinitionType", "timeDuration")
    page.fill("#bio-properties-panel-timerEventDefinitionValue", '"PT1H"')
    _settled(page, timer, "bo.eventDefinitions[0].timeDuration"
                          " && bo.eventDefinitions[0].timeDuration.body === '\"PT1H\"'")
    _append(page, "append.end-event")

    # The conditions: to the approval when the amount is large; back when it is sent back. The
    # other flows are their gateways' defaults.
    for flow, name, condition in [(_flow_between(page, gateway, approve), "金额较大", "amount > 1000"),
                                  (back, "退回", "approved == False")]:
        _select(page, flow)
        _group(page, "general")
        page.fill("#bio-properties-panel-name", name)
        _group(page, "cluedesk-condition")
        page.fill("#bio-properties-panel-condition", condition)
        _settled(page, flow, f"bo.name === '{name}' && bo.conditionExpression && "
                             f"bo.conditionExpression.body === '{condition}'")
    for source, target in [(gateway, timer), (decided, archive)]:
        _select(page, source)
        _group(page, "cluedesk-default")
        default = _flow_between(page, source, target)
        page.select_option("#bio-properties-panel-defaultFlow", default)
        _settled(page, source, f"bo.default && bo.default.id === '{default}'")

    # Two lanes: a pool around the diagram from the palette, divided in two with the context
    # pad; the approval dragged into the lower lane; each lane mapped to a role in the panel.
    page.evaluate(f"() => {MODELER}.get('canvas').zoom('fit-viewport')")
    page.click('.djs-palette .entry[data-action="create.participant-expanded"]')
    canvas = page.locator("#canvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] / 2, canvas["y"] + canvas["height"] / 2)
    page.keyboard.press("Escape")
    pool = _selected(page)
    _pad(page, "lane-divide-two")
    lanes = page.evaluate(f"() => {MODELER}.get('elementRegistry').filter(e => e.type === 'bpmn:Lane')"
                          ".sort((a, b) => a.y - b.y).map(e => e.id)")
    assert len(lanes) == 2, pool
    upper, lower = lanes
    _drag_into(page, approve, lower)
    for step in (first, archive):
        _drag_into(page, step, upper)
    _lane_role(page, upper, "承办人", "caseworker", "unit_from:case.handling_unit")
    _lane_role(page, lower, "审批人", "supervisor", "unit_from:case.handling_unit")
    shot(page, "designer-panel")

    page.click("#validate")
    page.wait_for_selector("#problems li")
    assert not page.locator("#problems li[data-severity=error]").count(), \
        page.locator("#problems").inner_text()
    page.fill("#comment", "built in the panel")
    page.click("#deploy")
    page.wait_for_selector('#status:has-text("Deployed version 1.")')
    # The version list names the designer who deployed it (not "cli"), at the deployment's
    # local time as the other pages write it.
    row = page.locator('[data-testid="version-1"] td')
    deployed = rt.read(lambda uow: uow.session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)).one())
    assert deployed.deployed_by == "designer"
    assert row.nth(2).inner_text() == "流程设计员 (designer)"
    when = deployed.deployed_at
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    assert row.nth(1).inner_text() == when.astimezone(rt.clock.tz).strftime("%Y-%m-%d %H:%M")
    assert deployed.lanes == {key: {
        "承办人": {"role": "caseworker", "unit_from": "case.handling_unit"},
        "审批人": {"role": "supervisor", "unit_from": "case.handling_unit"}}}

    # What was deployed is what the panel said.
    xml = rt.read(lambda uow: uow.session.scalar(
        select(BpmnSource.xml).join(ProcessDefinition,
                                    ProcessDefinition.source_checksum == BpmnSource.checksum)
        .where(ProcessDefinition.key == key)))
    compiled = compile_spec(key, [(f"{key}.bpmn", xml.encode())])
    tasks = compiled.human_tasks
    assert tasks[first]["name"] == "初审" and tasks[first]["properties"] == {
        "deadline": "acceptance_notice"}
    assert tasks[approve]["properties"] == {"action": "clue.approve"}
    assert {tasks[t]["name"] for t in tasks} == {"初审", "领导审批", "归档"}
    assert compiled.has_timers

    # Run for a town-a case: the first step is offered to town-a's caseworkers. a-worker
    # completes it from the inbox; the approval then waits in the supervisor's lane.
    case_id, _ = town_a_task(rt, "钱设计", "东村会计钱设计虚报冒领危房改造补助。")
    instance = rt.transact(lambda uow: processes.start_instance(
        uow, runtime=rt, key=key, data={"amount": 5000}, user=None, case_id=case_id,
        actor="designer")[0].id)
    task_id = rt.read(lambda uow: uow.session.scalar(select(Task.id).where(
        Task.instance_id == instance, Task.status == "open")))
    worker = new_page(live_sqlite.url)
    login(worker, "a-worker")
    worker.click("[data-tab=unit]")
    worker.locator(f"tr[data-task='{task_id}'] a").first.click()
    worker.wait_for_selector("[data-testid=task-form]")
    # The form is in the page before htmx (deferred) has bound its buttons: a click in between
    # is lost, so wait for the page to have loaded.
    worker.wait_for_load_state("networkidle")
    worker.get_by_test_id("claim").click()
    worker.wait_for_selector("[data-testid=unclaim]")
    worker.get_by_test_id("complete").click()
    worker.wait_for_selector("[data-testid=done]")
    assert "领导审批" in worker.get_by_test_id("next").inner_text()
    opened = rt.read(lambda uow: [(t.name, t.lane, t.candidate_role) for t in uow.session.scalars(
        select(Task).where(Task.instance_id == instance, Task.status == "open"))])
    assert opened == [("领导审批", "审批人", "supervisor")]
    # ... and town-a's supervisor finds it in the inbox.
    approval_id = rt.read(lambda uow: uow.session.scalar(select(Task.id).where(
        Task.instance_id == instance, Task.status == "open")))
    head = new_page(live_sqlite.url)
    login(head, "a-head")
    head.goto("/inbox?tab=unit")
    assert "领导审批" in head.locator(f"tr[data-task='{approval_id}']").inner_text()


def test_every_shipped_file_round_trips(live_sqlite, new_page):
    """Opened in the designer and saved unchanged, each file of bpmn/ deploys (all together, in a
    transaction rolled back after) with the same steps, names, lanes, forms and properties."""
    rt = live_sqlite.runtime
    page = new_page(live_sqlite.url, lang="en")
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    files = sorted((ROOT / "bpmn").glob("*.bpmn"))
    saved = []
    for path in files:
        page.set_input_files('[data-testid="upload"]', str(path))
        page.wait_for_selector(f'#status:text-is("{path.name}")')
        xml = page.evaluate(f"async () => (await {MODELER}.saveXML({{ format: true }})).xml")
        saved.append((path.name, xml.encode()))
        if path.name == "petition_intake.bpmn":
            # 分类研判 names two documents: both known, by their names, never "unknown".
            _click(page, "classify")
            _group(page, "cluedesk-domain")
            entry = page.locator('#properties [data-entry-id="cluedesk-document"]')
            described = entry.locator(".bio-properties-panel-description")
            described.wait_for()
            assert "信访举报登记表" in described.inner_text() and "交办函" in described.inner_text()
            assert "unknown" not in entry.inner_text()

    class _Rollback(Exception):
        pass

    results = []

    def deploy(uow):
        results.extend(processes.deploy(uow, runtime=rt, files=saved, actor="designer",
                                        comment="round trip"))
        raise _Rollback

    with pytest.raises(_Rollback):
        rt.transact(deploy)
    assert {r.key for r in results} >= {p.stem for p in files}
    originals = [(path.name, path.read_bytes()) for path in files]
    for path in files:
        original = compile_spec(path.stem, originals, check_policy=False)
        again = compile_spec(path.stem, saved, check_policy=False)
        name = path.name
        assert again.human_tasks == original.human_tasks, name
        assert sorted(again.spec.task_specs) == sorted(original.spec.task_specs), name


LANED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="d" targetNamespace="x">
  <bpmn:collaboration id="c"><bpmn:participant id="pa" processRef="{key}"/></bpmn:collaboration>
  <bpmn:process id="{key}" name="泳道演示" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="lane_a" name="承办人"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>t</bpmn:flowNodeRef><bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/><bpmn:userTask id="t" name="办理"/><bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="dd"><bpmndi:BPMNPlane id="pl" bpmnElement="c">
    <bpmndi:BPMNShape id="pa_di" bpmnElement="pa" isHorizontal="true">
      <dc:Bounds x="100" y="80" width="600" height="200"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="lane_a_di" bpmnElement="lane_a" isHorizontal="true">
      <dc:Bounds x="130" y="80" width="570" height="200"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="s_di" bpmnElement="s"><dc:Bounds x="180" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="t_di" bpmnElement="t"><dc:Bounds x="300" y="138" width="100" height="80"/>
      </bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="e_di" bpmnElement="e"><dc:Bounds x="500" y="160" width="36" height="36"/>
      </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def test_a_lanes_role_and_unit_rule_picked_in_the_panel_are_saved_and_kept_with_the_version(
        live_sqlite, new_page, tmp_path):
    """Issue 22: a lane's role and unit rule are picked from the engine's lists; the saved XML
    carries them on the lane and the deployed version keeps them as its lane mapping."""
    rt = live_sqlite.runtime
    key = f"panel_lanes_{uuid.uuid4().hex[:6]}"
    path = tmp_path / f"{key}.bpmn"
    path.write_text(LANED.format(key=key), encoding="utf-8")
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    page.set_input_files('[data-testid="upload"]', str(path))
    page.wait_for_selector(f'#status:text-is("{path.name}")')
    _select(page, "lane_a")
    _group(page, "cluedesk-lane")
    role = page.locator("#bio-properties-panel-cluedesk-role")
    assert "承办人 · caseworker" in role.inner_html()  # the roles by their Chinese names
    role.select_option("caseworker")
    rule = page.locator("#bio-properties-panel-cluedesk-unitRule")
    assert "案件的承办单位" in rule.inner_html()
    rule.select_option("unit_from:case.handling_unit")
    page.wait_for_selector('#properties [data-entry-id="cluedesk-unitRule"]'
                           ':has-text("案件的承办单位")')
    # A fixed unit instead: the data rule is replaced, not added to.
    rule.select_option("unit:town-b")
    _settled(page, "lane_a", "(bo.extensionElements && bo.extensionElements.values[0].values"
                             ".map(p => p.name + '=' + p.value).join(',')) === "
                             "'role=caseworker,unit=town-b'")
    xml = page.evaluate(f"async () => (await {MODELER}.saveXML({{ format: true }})).xml")
    assert 'name="role" value="caseworker"' in xml
    assert 'name="unit" value="town-b"' in xml and "unit_from" not in xml

    page.click("#deploy")
    page.wait_for_selector('#status:has-text("已部署第 1 版")')
    lanes = rt.read(lambda uow: uow.session.scalar(
        select(ProcessDefinition.lanes).where(ProcessDefinition.key == key)))
    assert lanes == {key: {"承办人": {"role": "caseworker", "unit": "town-b"}}}


def test_element_templates_append_configured_steps(live_sqlite, new_page):
    """Issue 22 point 4: the toolbar's templates append configured shapes after the selected
    element: an approval with its send-back (a user task, a gateway and the conditional flow
    back), a step under a statutory deadline, a notification step, a joint review's member item
    (parallel over `members`); named in Chinese; one undo each; the result validates."""
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    page.click("#new-diagram")
    _element(page, "start").wait_for()
    assert "审批（可退回）" in page.get_by_test_id("templates").inner_html()
    _click(page, "start")
    page.get_by_test_id("templates").select_option("approval")
    gateway = _selected(page)
    shape = page.evaluate(f"""() => {{ const e = {MODELER}.get('elementRegistry').get('{gateway}');
        const back = e.outgoing[0], task = e.incoming[0].source;
        return {{ gateway: e.type, task: [task.type, task.businessObject.name,
                  task.incoming[0].source.id], back: [back.target.id === task.id,
                  back.businessObject.name, back.businessObject.conditionExpression.body] }}; }}""")
    assert shape == {"gateway": "bpmn:ExclusiveGateway",
                     "task": ["bpmn:UserTask", "审批", "start"],
                     "back": [True, "退回", "approved == False"]}
    page.get_by_test_id("templates").select_option("deadline")
    deadline_task = _selected(page)
    assert page.evaluate(f"() => {MODELER}.get('elementRegistry').get('{deadline_task}')"
                         ".incoming[0].source.id") == gateway
    # The way on from the approval's gateway is its default flow.
    _settled(page, gateway, f"bo.default && bo.default.targetRef.id === '{deadline_task}'")
    _settled(page, deadline_task, "bo.name === '法定时限环节' && bo.$type === 'bpmn:UserTask'")
    page.get_by_test_id("templates").select_option("notification")
    notify = _selected(page)
    # One undo takes a whole template back; redo brings it again.
    registry = f"{MODELER}.get('elementRegistry')"
    page.click("#undo")
    page.wait_for_function(f"() => !{registry}.get('{notify}')")
    assert page.evaluate(f"() => !!{registry}.get('{deadline_task}')")
    page.click("#redo")
    page.wait_for_function(f"() => !!{registry}.get('{notify}')")
    _select(page, notify)
    page.get_by_test_id("templates").select_option("member")
    member = _selected(page)
    _append(page, "append.end-event")
    xml = page.evaluate(f"async () => (await {MODELER}.saveXML({{ format: true }})).xml")
    compiled = compile_spec("new_process", [("new_process.bpmn", xml.encode())],
                            check_policy=False)
    tasks = compiled.human_tasks
    # The first configured deadline key, to be changed in the panel's picker.
    first_key = page.evaluate("() => fetch('/designer/choices').then(r => r.json())"
                              ".then(c => c.deadlines[0].key)")
    assert tasks[deadline_task]["properties"] == {"deadline": first_key}
    assert tasks[notify]["name"] == "告知举报人"
    assert tasks[notify]["properties"] == {"action": "petition.notify_reporter"}
    assert tasks[member]["name"] == "成员单位表态"
    assert tasks[member]["properties"] == {"action": "review.opinion",
                                           "deadline": "joint_review_opinion"}
    spec = compiled.spec.task_specs[member]
    assert (spec.data_input.bpmn_id, spec.input_item.bpmn_id) == ("members", "member_unit")
    page.click("#validate")
    page.wait_for_selector("#problems li")
    assert not page.locator("#problems li[data-severity=error]").count(), \
        page.locator("#problems").inner_text()


def _typed(page, entry_id: str, text: str) -> None:
    """Type into a checked field of the panel as a person does (key by key)."""
    field = page.locator(f"#bio-properties-panel-{entry_id}")
    field.fill("")
    field.press_sequentially(text)


def _check(page, entry_id: str, kind: str, text: str):
    """The check's answer under the field, once it answers for `text` (the field's own value)."""
    entry = page.locator(f'#properties [data-entry-id="{entry_id}"]')
    entry.locator(f".cd-check-{kind}").first.wait_for()
    assert page.locator(f"#bio-properties-panel-{entry_id}").input_value() == text
    return entry.locator(f".cd-check-{kind}")


def test_the_panel_checks_conditions_timers_and_scripts_as_they_are_typed(live_sqlite, new_page):
    """Issue 22: a condition, a timer, a script and a call activity's target in the panel of
    the Chinese page; each text checked as it is typed, the way deploy and the engine read it,
    the answer under the field in Chinese; a timer said in words."""
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    page.click("#new-diagram")
    _element(page, "start").wait_for()
    _click(page, "start")
    _append(page, "append.append-task")
    step = _replace(page, "user-task")
    gateway = _append(page, "append.gateway")
    _append(page, "append.append-task")
    flow = _flow_between(page, gateway, _selected(page))

    # A condition: a single "=" is refused, said in Chinese; the comparison is fine.
    _select(page, flow)
    _group(page, "cluedesk-condition")
    _typed(page, "condition", 'decision = "approve"')
    error = _check(page, "condition", "error", 'decision = "approve"')
    assert error.inner_text() == "第 1 行：脚本或表达式有误：语法不正确"
    _typed(page, "condition", 'decision == "approve"')
    assert _check(page, "condition", "ok", 'decision == "approve"').inner_text() == "没有问题。"
    assert not page.locator('#properties [data-entry-id="condition"] .cd-check-error').count()
    _settled(page, flow, "bo.conditionExpression && "
                         "bo.conditionExpression.body === 'decision == \"approve\"'")

    # A timer: its value in words, a value the engine cannot read refused.
    _select(page, gateway)
    _append(page, "append.intermediate-event")
    timer = _replace(page, "timer-intermediate-catch")
    _group(page, "timer")
    page.select_option("#bio-properties-panel-timerEventDefinitionType", "timeDuration")
    _typed(page, "timerEventDefinitionValue", '"P3D"')
    assert _check(page, "timerEventDefinitionValue", "preview", '"P3D"').inner_text() == \
        "定时器启动 3 天后"
    page.select_option("#bio-properties-panel-timerEventDefinitionType", "timeCycle")
    _typed(page, "timerEventDefinitionValue", '"R/2026-12-07T09:00/P1D"')
    assert _check(page, "timerEventDefinitionValue", "preview",
                  '"R/2026-12-07T09:00/P1D"').inner_text().startswith("每天 9:00")
    _typed(page, "timerEventDefinitionValue", '"every day"')
    assert _check(page, "timerEventDefinitionValue", "error",
                  '"every day"').inner_text().startswith("引擎无法把 every day 读作本定时器的值")
    _settled(page, timer, "bo.eventDefinitions[0].timeCycle"
                          " && bo.eventDefinitions[0].timeCycle.body === '\"every day\"'")

    # A script: a code editor with line numbers; the sandbox's refusals on their lines.
    _click(page, step)
    _append(page, "append.append-task")
    script = _replace(page, "script-task")
    _group(page, "cluedesk-script")
    _typed(page, "script", "due = add_working_days(today(), 3)\nimport os\nx = open('f')")
    errors = _check(page, "script", "error",
                    "due = add_working_days(today(), 3)\nimport os\nx = open('f')")
    assert errors.all_inner_texts() == ["第 2 行：脚本中不允许使用 import。",
                                        "第 3 行：脚本中不能使用“open”。"]
    assert page.locator('#properties [data-entry-id="script"] .cd-code-lines').inner_text() \
        == "1\n2\n3"
    assert page.locator("#properties .bio-properties-panel-header-type").inner_text() == "脚本任务"
    shot(page, "designer-panel-check")
    _typed(page, "script", "due = add_working_days(today(), 3)")
    _check(page, "script", "ok", "due = add_working_days(today(), 3)")
    _settled(page, script, "bo.script === 'due = add_working_days(today(), 3)'"
                           " && bo.scriptFormat === 'python'")

    # A call activity: its target picked from the deployed processes, by their names.
    _append(page, "append.append-task")
    call = _replace(page, "call-activity")
    _group(page, "cluedesk-call")
    picker = page.locator("#bio-properties-panel-calledElement")
    assert "联审会商 (joint review) · joint_review" in picker.inner_text()
    picker.select_option("joint_review")
    _settled(page, call, "bo.calledElement === 'joint_review'")
    described = page.locator('#properties [data-entry-id="calledElement"] '
                             '.bio-properties-panel-description')
    assert "版" in described.inner_text()
    # Multi-instance on the first step: what the engine reads, its expressions checked.
    _click(page, step)
    _pad(page, "replace")
    # (the modeler's own words are Chinese too: the replace menu, the palette)
    offered = page.locator(".djs-popup .entry").evaluate_all(
        "es => es.map(e => (e.title || '') + (e.innerText || ''))")
    palette = [t for t in page.locator(".djs-palette .entry").evaluate_all(
        "es => es.map(e => e.getAttribute('aria-label') || '')") if t]
    assert offered and palette and all(not w.isascii() for w in offered + palette), \
        (offered, palette)
    page.click('.djs-popup [data-id="toggle-parallel-mi"]')
    _group(page, "multiInstance")
    page.select_option("#bio-properties-panel-miSequential", "sequential")
    page.fill("#bio-properties-panel-mi-loopDataInputRef", "members")
    page.fill("#bio-properties-panel-mi-inputDataItem", "member_unit")
    _typed(page, "completionCondition", "len(opinions) >=")
    assert _check(page, "completionCondition", "error", "len(opinions) >=").inner_text() == \
        "第 1 行：脚本或表达式有误：语法不正确"
    _typed(page, "completionCondition", "len(opinions) >= 2")
    _check(page, "completionCondition", "ok", "len(opinions) >= 2")
    _settled(page, step, "bo.loopCharacteristics.isSequential"
                         " && bo.loopCharacteristics.loopDataInputRef.id === 'members'"
                         " && bo.loopCharacteristics.inputDataItem.name === 'member_unit'"
                         " && bo.loopCharacteristics.completionCondition.body === 'len(opinions) >= 2'")
    xml = page.evaluate(f"async () => (await {MODELER}.saveXML()).xml")
    assert "<bpmn:loopDataInputRef>members</bpmn:loopDataInputRef>" in xml, xml

    # No English in the panel of the Chinese page.
    for element in (flow, timer, script, call, step):
        _select(page, element)
        words = page.locator("#properties .bio-properties-panel-label, "
                             "#properties .bio-properties-panel-group-header-title, "
                             "#properties .bio-properties-panel-header-type").all_inner_texts()
        assert words and all(not word.isascii() for word in words), words
