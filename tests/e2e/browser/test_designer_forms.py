"""The designer's form builder in a real browser (issue 23).

A designer builds a user task's form with one field of every type in the properties panel's
"表单" group (no XML): labels, ids, types, required, choices, default, help text, validation and a
conditional field; undoes and redoes an edit, moves a field; sees the form previewed as the task
page draws it; deploys; the saved file holds exactly that `camunda:formData`. A caseworker then
fills it on the task page (the same fields as previewed): a unit, a person and a file that are
not valid are refused, each field named; valid ones complete the step."""
from __future__ import annotations

import json
import re
import uuid

from lxml import etree
from sqlalchemy import select

from engine.inbox.models import Task
from engine.processes import service as processes
from engine.processes.models import BpmnSource, ProcessDefinition, ProcessInstance
from tests.e2e.browser.conftest import login, shot
from tests.e2e.browser.test_inbox import town_a_task
from tests.e2e.browser.test_designer_panel import (MODELER, _append, _click, _element, _group,
                                                   _replace, _settled)

CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"

# (label, id, type, extras): one field of each of the twelve types.
FIELDS = [
    ("标题", "title", "string", {"required": True, "maxlength": "20", "pattern": "[^0-9]+",
                                 "help": "一句话概括问题"}),
    ("情况说明", "summary", "textarea", {"minlength": "5"}),
    ("涉及人数", "count", "long", {"min": "1", "max": "99", "default": "1"}),
    ("涉及金额", "amount", "double", {"min": "0"}),
    ("发现日期", "found_on", "date", {}),
    ("约谈时间", "met_at", "datetime", {}),
    ("是否紧急", "urgent", "boolean", {"required": True}),
    ("处置方式", "way", "enum", {"required": True,
                                "choices": "talk=谈话提醒\ncheck=初步核实\nkeep=暂存待查"}),
    ("告知方式", "notice", "multi_enum", {"choices": "phone=电话\nletter=书面",
                                        "show_when": ("way", "talk|check")}),
    ("承办单位", "handler_unit", "unit", {"required": True}),
    ("核查人", "checker", "person", {"required": True}),
    ("证据材料", "evidence", "file", {"required": True}),
]
TYPE_NAMES = {"string": "单行文本", "textarea": "多行文本", "long": "整数", "double": "小数",
              "date": "日期", "datetime": "日期时间", "boolean": "是 / 否", "enum": "单选",
              "multi_enum": "多选", "unit": "单位（按名称选择）", "person": "人员（按姓名选择）",
              "file": "附件（先上传）"}


def _form(page, task: str) -> list[dict]:
    """The task's form fields as the modeler holds them."""
    return page.evaluate(f"""() => {{
      const bo = {MODELER}.get('elementRegistry').get('{task}').businessObject;
      const ext = bo.extensionElements;
      const data = ext && ext.values.find(v => v.$type === 'camunda:FormData');
      return (data ? data.fields : []).map(f => ({{
        id: f.id, label: f.label || '', type: f.type, default: f.defaultValue || null,
        values: (f.values || []).map(v => v.id + '=' + v.name),
        constraints: ((f.validation && f.validation.constraints) || [])
          .map(c => c.name + (c.config ? '=' + c.config : '')),
        properties: ((f.properties && f.properties.values) || []).map(p => p.id + '=' + p.value),
      }}));
    }}""")


def _wait_form(page, task: str, index: int, script: str) -> None:
    """Wait until field `index` of the task's form satisfies `script` over `f`."""
    _settled(page, task, "bo.extensionElements && (() => { const d = bo.extensionElements.values"
                         ".find(v => v.$type === 'camunda:FormData'); const f = d && d.fields"
                         f"[{index}]; return !!f && ({script}); }})()")


def _entry(index: int, name: str) -> str:
    return f"#bio-properties-panel-form-field-{index}-{name}"


def _add_field(page, task: str, index: int) -> None:
    page.click('#properties [data-group-id="group-cluedesk-form"] '
               '.bio-properties-panel-add-entry')
    _wait_form(page, task, index, "true")
    page.wait_for_selector(_entry(index, "label"))


def _build_field(page, task: str, index: int, label: str, field_id: str, kind: str,
                 extras: dict) -> None:
    _add_field(page, task, index)
    page.fill(_entry(index, "label"), label)
    _wait_form(page, task, index, f"f.label === '{label}'")
    page.fill(_entry(index, "id"), field_id)
    _wait_form(page, task, index, f"f.id === '{field_id}'")
    type_select = page.locator(_entry(index, "type"))
    assert type_select.locator(f'option[value="{kind}"]').inner_text() == TYPE_NAMES[kind]
    type_select.select_option(kind)
    _wait_form(page, task, index, f"f.type === '{kind}'")
    if extras.get("required"):
        page.click(_entry(index, "required"))
        _wait_form(page, task, index, "f.validation && f.validation.constraints"
                                      ".some(c => c.name === 'required')")
    if "choices" in extras:
        page.fill(_entry(index, "choices"), extras["choices"])
        count = len(extras["choices"].split("\n"))
        _wait_form(page, task, index, f"f.values && f.values.length === {count}")
    if "default" in extras:
        page.fill(_entry(index, "default"), extras["default"])
        _wait_form(page, task, index, f"f.defaultValue === '{extras['default']}'")
    if "help" in extras:
        page.fill(_entry(index, "help"), extras["help"])
        _wait_form(page, task, index, "f.properties && f.properties.values"
                                      f".some(p => p.id === 'help' && p.value === '{extras['help']}')")
    for name in ("minlength", "maxlength", "min", "max", "pattern"):
        if name in extras:
            page.fill(_entry(index, name), extras[name])
            _wait_form(page, task, index, "f.validation && f.validation.constraints.some("
                                          f"c => c.name === '{name}' && c.config === "
                                          f"{json.dumps(extras[name])})")
    if "show_when" in extras:
        other, values = extras["show_when"]
        page.select_option(_entry(index, "showWhen"), other)
        page.fill(_entry(index, "showWhenValues"), values)
        _wait_form(page, task, index, "f.properties && f.properties.values.some(p => "
                                      f"p.id === 'show_when' && p.value === '{other}={values}')")


def test_a_designer_builds_a_form_with_every_type_previews_and_deploys(live_sqlite, new_page):
    rt = live_sqlite.runtime
    key = f"form_builder_{uuid.uuid4().hex[:6]}"
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    page.click("#new-diagram")
    _element(page, "start").wait_for()
    _group(page, "general")
    page.fill("#bio-properties-panel-id", key)
    page.fill("#bio-properties-panel-name", "表单演示")
    page.wait_for_function(f"() => {MODELER}.getDefinitions().rootElements"
                           f".some(r => r.id === '{key}' && r.name === '表单演示')")

    _click(page, "start")
    _append(page, "append.append-task")
    task = _replace(page, "user-task")
    _group(page, "general")
    page.fill("#bio-properties-panel-name", "填写核查表")
    _settled(page, task, "bo.name === '填写核查表'")
    _group(page, "cluedesk-assignment")
    page.fill("#bio-properties-panel-cluedesk-assignee", "a-worker")
    _settled(page, task, "bo.get('camunda:assignee') === 'a-worker'")
    _append(page, "append.end-event")
    _click(page, task)
    page.wait_for_selector('#properties .bio-properties-panel-header-label:text-is("填写核查表")')

    # The group is in Chinese; a field's id is made from its label (a Chinese label gives none:
    # field_<n>), and it must be unique in the form.
    form_group = page.locator('#properties [data-group-id="group-cluedesk-form"]')
    assert form_group.locator(".bio-properties-panel-group-header-title").inner_text() == "表单"
    assert form_group.locator(".bio-properties-panel-add-entry").get_attribute("title") == "添加字段"
    _add_field(page, task, 0)
    page.fill(_entry(0, "label"), "Case title")
    _wait_form(page, task, 0, "f.id === 'case_title' && f.label === 'Case title'")
    # Undo takes the label (and the id made from it) back; redo brings them again.
    page.click("#undo")
    _wait_form(page, task, 0, "f.id === 'field_1' && !f.label")
    page.click("#redo")
    _wait_form(page, task, 0, "f.id === 'case_title' && f.label === 'Case title'")
    page.hover('#properties [data-entry-id="form-field-0"] '
               '.bio-properties-panel-collapsible-entry-header')  # its remove button shows
    page.click('#properties [data-entry-id="form-field-0"] .bio-properties-panel-remove-entry')
    page.wait_for_function(f"() => !{MODELER}.get('elementRegistry').get('{task}')"
                           ".businessObject.extensionElements.values"
                           ".some(v => v.$type === 'camunda:FormData')")

    for index, (label, field_id, kind, extras) in enumerate(FIELDS):
        _build_field(page, task, index, label, field_id, kind, extras)
    # A second field may not take the first one's id.
    page.fill(_entry(1, "id"), "title")
    page.wait_for_selector('[data-entry-id="form-field-1-id"] .bio-properties-panel-error'
                           ':has-text("本表单已有字段使用此标识")')
    assert _form(page, task)[1]["id"] == "summary"
    page.fill(_entry(1, "id"), "summary")
    # Moved down and up again.
    page.click('[data-testid="form-field-0-move-moveDown"]')
    page.wait_for_function(f"() => {json.dumps([f[1] for f in FIELDS[:2]][::-1])}"
                           " .every((id, i) => " + _ids_js(task) + "[i] === id)")
    page.click('[data-testid="form-field-1-move-moveUp"]')
    page.wait_for_function(f"() => {json.dumps([f[1] for f in FIELDS[:2]])}"
                           " .every((id, i) => " + _ids_js(task) + "[i] === id)")

    form = _form(page, task)
    assert [(f["label"], f["id"], f["type"]) for f in form] == [f[:3] for f in FIELDS]

    # The preview: every field, drawn by the task page's template with its labels.
    preview = page.get_by_test_id("form-preview")
    preview.locator("[data-field='evidence']").wait_for()
    page.wait_for_function("() => document.querySelectorAll("
                           "'[data-testid=form-preview] [data-field]').length === 12")
    drawn = preview.locator("[data-field]")
    assert [drawn.nth(i).get_attribute("data-field") for i in range(12)] == \
        [f[1] for f in FIELDS]
    for label, field_id, _, _ in FIELDS:
        assert label in preview.locator(f"[data-field='{field_id}']").text_content()
    assert preview.locator("input[name=count]").get_attribute("value") == "1"
    assert preview.locator("[data-field=title] .req").count() == 1
    assert preview.get_by_test_id("help-title").inner_text() == "一句话概括问题"
    # The conditional field follows the preview's answers, as on the task page.
    notice = preview.locator(".field[data-field=notice]")
    assert notice.is_hidden()
    preview.locator(".field[data-field=way]").get_by_label("谈话提醒").check()
    notice.wait_for(state="visible")
    preview.locator(".field[data-field=way]").get_by_label("暂存待查").check()
    notice.wait_for(state="hidden")
    assert "town-a" in [o.get_attribute("value") for o in
                        preview.locator("select[name=handler_unit] option").all()]
    # An edit is drawn again a moment later.
    page.fill(_entry(3, "label"), "涉及金额（元）")
    preview.locator("[data-field='amount']:has-text('涉及金额（元）')").wait_for()
    # For the README: the fields closed but the conditional one, the preview under them.
    for index in range(len(FIELDS)):
        if index != 8:
            page.click(f'#properties [data-entry-id="form-field-{index}"] '
                       '.bio-properties-panel-collapsible-entry-header-title')
    page.locator('#properties [data-entry-id="form-field-8"]').scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('#properties [data-entry-id=\"form-field-7\"]')"
                  ".scrollIntoView()")
    shot(page, "designer-form-builder")
    page.evaluate("() => document.querySelector('#properties [data-group-id=\"group-cluedesk-form-preview\"]')"
                  ".scrollIntoView()")
    shot(page, "designer-form-preview")
    # The preview of each field, to compare with the task page (whose pickers of a person and
    # a file list the case's eligible users and attachments: no case, none in the preview).
    previewed = {f[1]: preview.locator(f"[data-field='{f[1]}']").evaluate("e => e.outerHTML")
                 for f in FIELDS if f[1] not in ("checker", "evidence")}

    page.click("#validate")
    page.wait_for_selector("#problems li")
    assert not page.locator("#problems li[data-severity=error]").count(), \
        page.locator("#problems").inner_text()
    page.click("#deploy")
    page.wait_for_selector('#status:has-text("1")')

    # What was deployed is the form the builder showed.
    xml = rt.read(lambda uow: uow.session.scalar(
        select(BpmnSource.xml).join(ProcessDefinition,
                                    ProcessDefinition.source_checksum == BpmnSource.checksum)
        .where(ProcessDefinition.key == key)))
    root = etree.fromstring(xml.encode())
    saved = root.findall(f".//{CAMUNDA}formData/{CAMUNDA}formField")
    assert [(f.get("label"), f.get("id"), f.get("type")) for f in saved] == \
        [("涉及金额（元）" if f[1] == "amount" else f[0], f[1], f[2]) for f in FIELDS]
    by_id = {f.get("id"): f for f in saved}

    def constraints(field_id):
        return {c.get("name"): c.get("config")
                for c in by_id[field_id].iter(f"{CAMUNDA}constraint")}

    def properties(field_id):
        return {p.get("id"): p.get("value") for p in by_id[field_id].iter(f"{CAMUNDA}property")}

    assert constraints("title") == {"required": None, "maxlength": "20", "pattern": "[^0-9]+"}
    assert properties("title") == {"help": "一句话概括问题"}
    assert constraints("count") == {"min": "1", "max": "99"}
    assert by_id["count"].get("defaultValue") == "1"
    assert [(v.get("id"), v.get("name")) for v in by_id["way"].iter(f"{CAMUNDA}value")] == \
        [("talk", "谈话提醒"), ("check", "初步核实"), ("keep", "暂存待查")]
    assert properties("notice") == {"show_when": "way=talk|check"}
    for field_id in ("urgent", "way", "handler_unit", "checker", "evidence"):
        assert constraints(field_id) == {"required": None}, field_id

    # A caseworker fills it on the task page of a town-a case: the same fields as previewed.
    case_id, _ = town_a_task(rt, "钱表单", "东村会计钱表单虚报冒领危房改造补助。")
    instance = rt.transact(lambda uow: processes.start_instance(
        uow, runtime=rt, key=key, data={}, user=None, case_id=case_id, actor="designer")[0].id)
    task_id = rt.read(lambda uow: uow.session.scalar(select(Task.id).where(
        Task.instance_id == instance, Task.status == "open")))
    worker = new_page(live_sqlite.url)
    login(worker, "a-worker")
    worker.goto(f"/tasks/{task_id}")
    if worker.get_by_test_id("claim").count():
        worker.get_by_test_id("claim").click()
    worker.wait_for_selector("[data-testid=task-form] [data-field=evidence]")
    for field_id, html in previewed.items():
        assert _same_ids(worker.locator(f"[data-testid=task-form] [data-field='{field_id}']")
                         .evaluate("e => e.outerHTML")) == _same_ids(html), field_id
    # The evidence is uploaded first, then chosen (the page says so).
    worker.get_by_test_id("upload").locator("input[type=file]").set_input_files(
        {"name": "证据.txt", "mimeType": "text/plain", "buffer": "转账记录".encode()})
    worker.get_by_test_id("upload").locator("button[type=submit]").click()
    worker.get_by_test_id("file").filter(has_text="证据.txt").wait_for()
    worker.reload()
    worker.wait_for_selector("[data-testid=task-form] [data-field=evidence]")

    # One value of each domain type that is no longer valid (a page left open while the unit
    # was closed, the person left, the file was removed): refused, each field named.
    _fill_form(worker)
    for field_id, stale in [("handler_unit", "no-such-unit"), ("checker", "nobody"),
                            ("evidence", "999999")]:
        worker.evaluate(f"""() => {{ const s = document.querySelector('#f-{field_id}');
            s.add(new Option('{stale}', '{stale}')); s.value = '{stale}'; }}""")
    worker.get_by_test_id("complete").click()
    worker.get_by_test_id("form-errors").wait_for()
    for field_id in ("handler_unit", "checker", "evidence"):
        assert _refusal(worker, field_id), field_id
    assert worker.get_by_test_id("error-title").count() == 0
    # Then valid ones: a unit by its name, an eligible person by name, the uploaded file.
    worker.locator("#f-handler_unit").select_option(label=worker.locator(
        "#f-handler_unit option[value=town-a]").inner_text())
    person = worker.locator("#f-checker option:not([value=''])").first.get_attribute("value")
    worker.locator("#f-checker").select_option(person)
    worker.locator("#f-evidence").select_option(label="证据.txt")
    worker.get_by_test_id("complete").click()
    worker.get_by_test_id("done").wait_for()
    data = rt.read(lambda uow: uow.session.get(ProcessInstance, instance).data)
    assert (data["handler_unit"], data["checker"], data["count"], data["notice"]) == \
        ("town-a", person, 2, ["phone"])


def _ids_js(task: str) -> str:
    return (f"{MODELER}.get('elementRegistry').get('{task}').businessObject.extensionElements"
            ".values.find(v => v.$type === 'camunda:FormData').fields.map(f => f.id)")


def _same_ids(html: str) -> str:
    """A field's HTML without what the page's scripts vary: the character counter's random id
    and an emptied style attribute (limits.js)."""
    return re.sub(r"-count[a-z0-9]+", "-count", html).replace(' style=""', "")


def _fill_form(worker) -> None:
    """Valid values for every field but the unit, person and file pickers."""
    worker.fill("#f-title", "虚报冒领补助")
    worker.fill("#f-summary", "村会计虚报冒领危房改造补助。")
    worker.fill("#f-count", "2")
    worker.fill("#f-amount", "1500.5")
    worker.fill("#f-found_on", "2026-03-01")
    worker.fill("#f-met_at", "2026-03-02T09:30")
    worker.locator(".field[data-field=urgent]").get_by_label("是").check()
    worker.locator(".field[data-field=way]").get_by_label("谈话提醒").check()
    worker.locator(".field[data-field=notice]").get_by_label("电话").check()


def _refusal(worker, field: str) -> str:
    return worker.get_by_test_id(f"error-{field}").inner_text()
