"""The case record in a real browser (issue 20 point 1): a caseworker proposes a disposal with a
reason; the approver's page shows the method and the reason at the top; the approver sends it
back with an opinion; a supervisor puts the case under 督办 and writes a 批示; the caseworker's
new task shows the opinion and both instructions. Every action is one request; screenshots at
1440 px and 390 px."""
from __future__ import annotations

from sqlalchemy import select

from engine.cases.models import Case
from engine.demo import _petition, _register
from engine.inbox.models import Task
from engine.petitions.models import Petition
from tests.e2e.browser.conftest import login, one_request, shot
from tests.e2e.browser.test_inbox import town_a_task


def open_task(rt, case_id: int, element_id: str) -> str:
    return rt.read(lambda uow: uow.session.scalar(select(Task.id).where(
        Task.case_id == case_id, Task.status == "open", Task.element_id == element_id)))


def test_the_approver_sees_what_is_proposed_and_the_worker_the_opinion_and_instructions(
        live_sqlite, new_page):
    rt = live_sqlite.runtime
    case_id, task_id = town_a_task(rt, "周记录", "东村会计周记录虚报冒领低保金。")
    worker = new_page(live_sqlite.url)
    login(worker, "a-worker")
    worker.goto(f"/tasks/{task_id}")
    with one_request(worker):
        worker.get_by_test_id("claim").click()
    worker.wait_for_selector("[data-testid=task-form]")
    worker.check("input[name=disposition][value=verification]")
    worker.fill("textarea[name=disposition_reason]", "反映问题具体，有可查性，建议初步核实")
    with one_request(worker):
        worker.get_by_test_id("complete").click()
    worker.wait_for_selector("[data-testid=done]")

    head = new_page(live_sqlite.url)
    login(head, "a-head")
    approval = open_task(rt, case_id, "approve_disposition")
    head.goto(f"/tasks/{approval}")
    focus = head.get_by_test_id("record-focus")
    assert focus.get_attribute("data-kind") == "approval"
    assert "待审批的意见" in focus.inner_text()
    assert focus.locator("[data-field=disposition]").inner_text() == "初步核实"
    assert focus.locator("[data-field=disposition_reason]").inner_text() == \
        "反映问题具体，有可查性，建议初步核实"
    assert "甲镇承办人" in focus.inner_text()
    # The same step in the case record below, and the record on the case page.
    assert "处置方式" in head.get_by_test_id("case-record").inner_text()
    head.set_viewport_size({"width": 1440, "height": 900})
    shot(head, "task-approval-1440")
    head.set_viewport_size({"width": 390, "height": 844})
    shot(head, "task-approval-390")
    assert head.evaluate("document.documentElement.scrollWidth <= 390")
    head.set_viewport_size({"width": 1440, "height": 900})
    if head.get_by_test_id("claim").count():
        with one_request(head):
            head.get_by_test_id("claim").click()
        head.wait_for_selector("[data-testid=task-form]")
    # An approval offers 同意 / 退回 buttons, not a yes/no choice and a generic submit.
    assert head.get_by_test_id("decide-yes").inner_text() == "同意"
    assert head.get_by_test_id("decide-no").inner_text() == "退回"
    assert not head.locator("input[name=approved]").count()
    assert not head.get_by_test_id("complete").count()
    head.fill("textarea[name=comment], input[name=comment]", "理由不充分，请补充线索来源")
    with one_request(head):
        head.get_by_test_id("decide-no").click()
    head.wait_for_selector("[data-testid=done]")

    # 督办 with a reason, then a 批示, from the case page: one request each.
    head.goto(f"/cases/{case_id}")
    assert "拟定处置意见" in head.get_by_test_id("case-record").inner_text()
    head.get_by_test_id("supervise").click()
    head.fill("#supervise-dialog textarea[name=reason]", "群众反映强烈，请限期报结")
    with one_request(head):
        head.click("#supervise-dialog button[type=submit]")
    head.wait_for_selector("[data-testid=unsupervise]")
    head.locator(".record-instruct summary").click()
    with one_request(head):  # empty: the message comes back at the field
        head.get_by_test_id("instruct-form").locator("button").click()
    head.wait_for_selector("[data-testid=error-text]")
    assert head.get_by_test_id("error-text").inner_text() == "请填写批示内容。"
    head.fill("[data-testid=instruct-form] textarea[name=text]", "请本周内重新提出处置意见")
    with one_request(head):
        head.get_by_test_id("instruct-form").locator("button").click()
    head.wait_for_selector("[data-testid=record-entries] li[data-kind=instruction]")
    assert "请本周内重新提出处置意见" in head.get_by_test_id("case-record").inner_text()

    again = open_task(rt, case_id, "propose_disposition")
    worker.goto(f"/tasks/{again}")
    focus = worker.get_by_test_id("record-focus")
    assert focus.get_attribute("data-kind") == "returned"
    assert focus.locator("[data-field=approved]").inner_text() == "不同意，退回"
    assert focus.locator("[data-field=comment]").inner_text() == "理由不充分，请补充线索来源"
    said = worker.get_by_test_id("record-instructions")
    assert said.locator("li[data-kind=supervised]").inner_text().count("群众反映强烈，请限期报结") == 1
    assert "请本周内重新提出处置意见" in said.locator("li[data-kind=instruction]").inner_text()
    assert "甲镇纪委书记" in said.inner_text()
    worker.set_viewport_size({"width": 1440, "height": 900})
    shot(worker, "task-returned-1440")
    worker.set_viewport_size({"width": 390, "height": 844})
    shot(worker, "task-returned-390")
    assert worker.evaluate("document.documentElement.scrollWidth <= 390")


def test_the_repeat_check_lists_candidates_and_a_button_confirms_one(live_sqlite, new_page):
    rt = live_sqlite.runtime
    accused = [{"name": "吴重复", "post": "村文书", "unit": "南村村委会", "level": "village"}]
    first_id, first_case = _register(rt, _petition(
        accused=accused, village="南村", content="南村文书吴重复冒领危房改造补助款三万元。"))
    _, second_case = _register(rt, _petition(
        channel="phone", accused=accused, village="南村",
        content="南村村文书吴重复冒领危房改造补助款，群众意见很大。"))
    first_number = rt.read(lambda uow: uow.session.get(Petition, first_id).number)
    page = new_page(live_sqlite.url)
    login(page, "clerk")
    page.goto(f"/tasks/{open_task(rt, second_case, 'repeat_check')}")
    candidate = page.locator(f"[data-testid=repeat-candidate]:has-text('{first_number}')")
    assert candidate.count() == 1
    assert "吴重复（村文书，南村村委会）" in candidate.get_by_test_id("candidate-accused").inner_text()
    assert "南村" in candidate.get_by_test_id("candidate-place").inner_text()
    assert "冒领危房改造补助款" in candidate.get_by_test_id("candidate-excerpt").inner_text()
    assert "被反映人相同" in candidate.get_by_test_id("candidate-reasons").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "repeat-check-390")
    assert page.evaluate("document.documentElement.scrollWidth <= 390")
    page.set_viewport_size({"width": 1440, "height": 900})
    shot(page, "repeat-check-1440")
    with one_request(page):
        candidate.get_by_test_id("is-repeat").click()
    page.wait_for_selector("[data-testid=done]")
    assert page.get_by_test_id("repeat-candidates").count() == 0 or \
        page.get_by_test_id("repeat-candidate").count() == 0
    assert rt.read(lambda uow: uow.session.get(Case, second_case).status) == "merged"
    assert first_case != second_case
