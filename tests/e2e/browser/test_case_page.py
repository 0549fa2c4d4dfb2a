"""The case page in a real browser: the diagram drawn by bpmn-js with the current step marked,
and a supervisor reassigning a task with a reason (one request)."""
from __future__ import annotations

from sqlalchemy import select

from engine.demo import _clue, _petition
from engine.inbox.models import Task
from tests.e2e.browser.conftest import login, one_request, shot


def town_a_clue(rt, content: str) -> tuple[int, str]:
    """A real-name petition about town-a, classified and acknowledged: its clue waits for
    town-a's disposal proposal (inside the called disposition process). (case id, task id)"""
    case_id = _clue(rt, _petition(content=content)).case_id
    task_id = rt.read(lambda uow: uow.session.scalar(select(Task.id).where(
        Task.case_id == case_id, Task.status == "open")))
    return case_id, task_id


def open_case(page, case_id: int) -> None:
    page.goto(f"/cases/{case_id}")
    page.wait_for_selector(".diagram[data-state=ready]")


def test_the_diagram_marks_the_current_step_and_a_supervisor_reassigns(live, new_page):
    case_id, task_id = town_a_clue(live.runtime, "东村村委会主任李四挪用修路款，账目不公开。")
    page = new_page(live.url)
    login(page, "a-head")
    open_case(page, case_id)
    diagram = page.locator(".diagram[data-state=ready]").first
    # The clue's disposition runs in a called process: its call activity is the current step.
    current = diagram.locator("g.djs-element.current")
    assert current.count() == 1
    assert current.get_attribute("data-element-id") == "call_disposition"
    assert diagram.locator('g.djs-element.done[data-element-id="classify"]').count() == 1
    assert "王小明" not in page.content()  # the reporter is masked
    shot(page, "case")

    row = page.locator(f"#task-{task_id}")
    row.get_by_test_id("reassign").click()
    dialog = page.locator(f"#reassign-{task_id}")
    options = dialog.locator("select[name=assignee] option").all_inner_texts()
    assert any("a-worker2" in o for o in options) and not any("b-worker" in o for o in options)
    dialog.locator("select[name=assignee]").select_option("a-worker2")
    dialog.locator("textarea[name=reason]").fill("原承办人出差，改由二号承办人办理")
    shot(page, "reassign")
    with one_request(page):
        dialog.locator("button[type=submit]").click()
    page.wait_for_selector(f"#task-{task_id} >> text=甲镇承办人二")
    assert page.locator(f"#reassign-{task_id}").evaluate("d => !d.open")
    assert page.get_by_role("status").first.inner_text().startswith("已改派给")


def test_a_reassignment_without_a_reason_is_not_sent(live_sqlite, new_page):
    case_id, task_id = town_a_clue(live_sqlite.runtime, "东村文书王五优亲厚友，违规评定低保。")
    page = new_page(live_sqlite.url)
    login(page, "a-head")
    open_case(page, case_id)
    page.locator(f"#task-{task_id}").get_by_test_id("reassign").click()
    dialog = page.locator(f"#reassign-{task_id}")
    dialog.locator("select[name=assignee]").select_option("a-worker2")
    before = len(page.watched.requests)
    dialog.locator("button[type=submit]").click()
    page.wait_for_timeout(300)
    assert len(page.watched.requests) == before  # the browser asks for the reason first
    assert page.locator(f"#task-{task_id} [data-testid=owner]").inner_text() != "甲镇承办人二"
