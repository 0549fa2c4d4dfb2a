"""The designer's version diff in a real browser, in its default language (Chinese).

For each process in bpmn/: opened from the list (its deployed version), one condition and one
name changed through the properties panel, then compared with the deployed version: the diff
names the element and both attributes with their old and new values. And unsaved changes
survive a reload: leaving asks first, and the page offers them back."""
from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.browser.conftest import login
from tests.e2e.browser.test_designer_panel import MODELER, _group, _select, _settled

ROOT = Path(__file__).resolve().parents[3]

# A sequence flow to edit: one with a condition, else one leaving a gateway, else the first; and
# the first named user task (or any named task). Read from the modeler, as a designer looks.
PICK = f"""() => {{
  const all = {MODELER}.get('elementRegistry').getAll();
  const flows = all.filter(e => e.type === 'bpmn:SequenceFlow');
  const flow = flows.find(e => e.businessObject.conditionExpression)
    || flows.find(e => e.source.type.endsWith('Gateway')) || flows[0];
  const tasks = all.filter(e => e.businessObject.name && /Task$/.test(e.type));
  const task = tasks.find(e => e.type === 'bpmn:UserTask') || tasks[0];
  const condition = flow.businessObject.conditionExpression;
  return {{ flow: flow.id, condition: condition ? condition.body : null,
           task: task.id, name: task.businessObject.name }};
}}"""


def _open(page, key: str) -> None:
    page.click(f'[data-testid="definition-{key}"]')
    page.wait_for_function(
        f"() => /^{key} v\\d+$/.test(document.getElementById('status').textContent)")


def _change(page, picked: dict) -> tuple[str, str]:
    """Through the panel: the flow's condition and the task's name; the new values."""
    condition = f"({picked['condition']}) and True" if picked["condition"] else "True"
    _select(page, picked["flow"])
    _group(page, "cluedesk-condition")
    page.fill("#bio-properties-panel-condition", condition)
    _settled(page, picked["flow"], f"bo.conditionExpression && "
                                   f"bo.conditionExpression.body === {json.dumps(condition)}")
    name = picked["name"] + " (改)"
    _select(page, picked["task"])
    _group(page, "general")
    page.fill("#bio-properties-panel-name", name)
    _settled(page, picked["task"], f"bo.name === {json.dumps(name)}")
    return condition, name


def test_each_process_diff_names_the_changed_condition_and_name_old_and_new(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    unset = "（未设置）"
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        key = path.stem
        _open(page, key)
        picked = page.evaluate(PICK)
        condition, name = _change(page, picked)
        page.click('[data-testid="compare"]')
        task = page.locator(f'#diff > li[data-element-id="{picked["task"]}"][data-kind=changed]')
        named = task.locator("li[data-field=name]")
        named.wait_for()
        # The element by its (new) name and id; the name from old to new, in words.
        assert task.first.inner_text().startswith(f"修改: {name} ({picked['task']}, "), key
        assert named.inner_text() == f"名称: “{picked['name']}” → “{name}”", key
        flow = page.locator(f'#diff > li[data-element-id="{picked["flow"]}"] li[data-field=condition]')
        old = f"“{picked['condition']}”" if picked["condition"] else unset
        assert flow.inner_text() == f"条件: {old} → “{condition}”", key
        # Only what was changed: nothing added or removed, two elements changed.
        assert page.locator("#diff > li[data-kind=changed]").count() == 2, \
            (key, page.locator("#diff").inner_text())
        assert not page.locator("#diff > li[data-kind=added], #diff > li[data-kind=removed]").count()


def test_unsaved_changes_survive_a_reload_and_leaving_asks_first(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    login(page, "designer")
    page.goto("/designer")
    page.wait_for_selector("#designer[data-ready=true]")
    _open(page, "clarification")
    picked = page.evaluate(PICK)
    _, name = _change(page, picked)
    # Undo and redo from the toolbar: the name goes back and forth.
    page.click('[data-testid="undo"]')
    page.wait_for_function(f"() => {MODELER}.get('elementRegistry').get('{picked['task']}')"
                           f".businessObject.name === {json.dumps(picked['name'])}")
    page.click('[data-testid="redo"]')
    page.wait_for_function(f"() => {MODELER}.get('elementRegistry').get('{picked['task']}')"
                           f".businessObject.name === {json.dumps(name)}")
    # Find an element by its name: the modeler's search selects it.
    page.click('[data-testid="find"]')
    page.locator(".djs-search-input input").wait_for()
    page.keyboard.type(picked["task"])  # typed: the search pad reads keys
    page.locator(".djs-search-result").first.wait_for()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => {MODELER}.get('selection').get().some(e => e.id === "
                           f"'{picked['task']}')")
    page.wait_for_function("() => (localStorage.getItem('cluedesk.designer.unsaved') || '')"
                           f".includes({json.dumps(name)})")
    asked = []

    def answer(dialog):
        asked.append(dialog.type)
        dialog.accept()

    page.on("dialog", answer)
    page.reload()
    assert asked == ["beforeunload"]
    page.wait_for_selector("#designer[data-ready=true]")
    offer = page.locator('[data-testid="restore"]')
    offer.wait_for()
    assert "clarification.bpmn" in offer.inner_text()
    page.click('[data-testid="restore-yes"]')
    page.wait_for_function(f"() => {{ const e = {MODELER}.get('elementRegistry')"
                           f".get('{picked['task']}'); return e && e.businessObject.name === "
                           f"{json.dumps(name)}; }}")
    assert offer.is_hidden()
    # The restored draft still knows its process: it compares with the deployed version.
    page.click('[data-testid="compare"]')
    page.locator(f'#diff > li[data-element-id="{picked["task"]}"] li[data-field=name]').wait_for()
