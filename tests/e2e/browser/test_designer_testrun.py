"""A test-run of the shipped clue disposition in the designer, through the forms the caseworker
will see: the proposal's form refused at its fields when empty, then filled in; the deadline rows
at each step; the approval sent back, a step back, and approved down the other branch to the
end; saved by name, the draft edited (the approval's condition), and the replay showing what the
edit changed. Looked at 1440 px and 390 px wide; on SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

from tests.e2e.browser.conftest import login, shot

PROPOSE = '[data-testid="testrun-form-propose_disposition"]'
APPROVE = '[data-testid="testrun-form-approve_disposition"]'


def _current(page, element_id):
    page.wait_for_selector(f'#canvas .djs-element.testrun-current[data-element-id="{element_id}"]')


def _propose(page):
    page.check(f'{PROPOSE} input[name="disposition"][value="closed"]')
    page.fill(f'{PROPOSE} [name="disposition_reason"]', "反映问题查无实据")
    page.click(f'{PROPOSE} [data-testid="complete"]')
    page.wait_for_selector(APPROVE)


def test_a_test_run_through_the_forms_down_both_branches_then_a_replay_after_an_edit(
        live, new_page):
    page = new_page(live.url)
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, "designer")
    page.goto("/designer")
    page.click('[data-testid="definition-clue_disposition"]')
    page.wait_for_selector('#canvas .djs-element[data-element-id="approve_disposition"]')

    page.click("#testrun-start")
    page.wait_for_selector(PROPOSE)
    _current(page, "propose_disposition")
    # The proposal's deadline starts here: 提出处置意见, one month, due on the calendar from the
    # test-run's clock (Monday 2 March 2026).
    row = page.locator('[data-testid="testrun-deadlines-propose_disposition"] tr[data-key="disposal_proposal"]')
    assert "提出处置意见" in row.inner_text() and "1 个月" in row.inner_text()
    assert "2026-04-02" in row.inner_text() and "此步起算" in row.inner_text()
    # Submitted empty, the form is refused at its fields, as on the task page.
    page.click(f'{PROPOSE} [data-testid="complete"]')
    page.wait_for_selector(f'{PROPOSE} [data-testid="error-disposition"]')
    assert page.locator(f'{PROPOSE} [data-testid="form-errors"]').is_visible()
    _propose(page)
    _current(page, "approve_disposition")
    # The approval works under the same deadline, which runs on from the proposal.
    row = page.locator('[data-testid="testrun-deadlines-approve_disposition"] tr[data-key="disposal_proposal"]')
    assert "2026-04-02" in row.inner_text() and "连续计算" in row.inner_text()
    # The process data so far, named as the forms name it.
    assert page.locator('[data-testid="testrun-data"] dd[data-key="disposition"]').inner_text() == "予以了结"
    page.evaluate("() => document.querySelector('.editor').scrollIntoView({ block: 'start' })")
    shot(page, "designer-testrun-forms")

    # Send back (退回): the gateway takes the form's decision; the proposal waits again.
    page.click(f'{APPROVE} [data-testid="decide-no"]')
    page.wait_for_selector(PROPOSE)
    _current(page, "propose_disposition")
    assert page.locator('[data-testid="testrun-data"] dd[data-key="disposition_approved"]').inner_text() == "否"
    assert page.locator('[data-testid="testrun-steps"] li').count() == 2
    # One step back, and the other branch: agreed, the clue is closed and the run ends.
    page.click('[data-testid="testrun-back"]')
    page.wait_for_selector(APPROVE)
    assert page.locator('[data-testid="testrun-steps"] li').count() == 1
    page.click(f'{APPROVE} [data-testid="decide-yes"]')
    page.wait_for_selector('[data-testid="testrun-finished"]')
    page.wait_for_selector('#canvas .djs-element.testrun-done[data-element-id="end_closed"]')

    # Saved by name, listed for the process.
    name = f"同意后了结-{uuid.uuid4().hex[:4]}"
    page.fill('[data-testid="testrun-case-name"]', name)
    page.click('[data-testid="testrun-save"]')
    saved = page.locator(f'#testcase-list li[data-case="{name}"]')
    saved.wait_for()
    # The same name again asks first: declined, nothing is sent; accepted, the case is replaced.
    asked, posted = [], []
    page.on("request", lambda r: posted.append(r.url)
            if r.method == "POST" and r.url.endswith("/cases") else None)
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.click('[data-testid="testrun-save"]')
    page.evaluate("1")  # after the click's handler has run to its end
    assert len(asked) == 1 and name in asked[0] and "替换" in asked[0] and posted == []
    page.once("dialog", lambda d: d.accept())
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/cases")):
        page.click('[data-testid="testrun-save"]')
    assert len(posted) == 1
    saved.wait_for()
    assert saved.count() == 1  # replaced, not a second case of that name

    # An edit of the draft: the approval's condition turned round. The replay shows the run no
    # longer ends where it did: the proposal waits again.
    page.evaluate("""() => { const m = document.getElementById('designer').modeler;
        const flow = m.get('elementRegistry').get('f_approved');
        const expression = m.get('moddle').create('bpmn:FormalExpression',
                                                  { body: 'disposition_approved == False' });
        m.get('modeling').updateProperties(flow, { conditionExpression: expression }); }""")
    saved.locator("button", has_text="重放").click()
    changed = page.locator('#replay-report li[data-outcome="different_task"]')
    changed.wait_for()
    assert "拟定处置意见" in changed.inner_text()
    outcomes = page.locator("#replay-report li").evaluate_all(
        "items => items.map((li) => li.dataset.outcome)")
    assert outcomes == ["same", "same", "different_task"]
    _current(page, "propose_disposition")
    page.evaluate("() => document.querySelector('.editor').scrollIntoView({ block: 'start' })")
    shot(page, "designer-testrun-replay")

    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(PROPOSE).scroll_into_view_if_needed()
    # Nothing of the step is wider than the window.
    assert page.evaluate("() => document.getElementById('testrun-panel').scrollWidth") <= 390
    shot(page, "designer-testrun-narrow")
