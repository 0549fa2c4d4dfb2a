"""The inbox and the task page in a real browser: tabs, filters and a saved filter (each one
request that swaps the table and pushes the URL), claim, completion with a validation error
first, the audited reveal, an attachment. Any console error fails the test."""
from __future__ import annotations

from sqlalchemy import select

from engine.demo import _clue, _petition
from engine.inbox.models import Task
from tests.e2e.browser.conftest import login, one_request, shot


def town_a_task(rt, accused: str, content: str) -> tuple[int, str]:
    """A real-name petition about town-a, classified and acknowledged: its disposal proposal
    waits in town-a's queue. (case id, task id)"""
    fields = _petition(content=content, accused=[{"name": accused, "post": "村会计",
                                                  "unit": "东村村委会", "level": "village"}])
    case_id = _clue(rt, fields).case_id
    task_id = rt.read(lambda uow: uow.session.scalar(select(Task.id).where(
        Task.case_id == case_id, Task.status == "open")))
    return case_id, task_id


def test_a_caseworker_filters_claims_and_completes_after_a_validation_error(live_sqlite,
                                                                            new_page):
    _, task_id = town_a_task(live_sqlite.runtime, "钱浏览", "东村会计钱浏览虚报冒领危房改造补助。")
    page = new_page(live_sqlite.url)
    login(page, "a-worker")
    assert "/inbox" in page.url  # a caseworker starts the day in the inbox
    with one_request(page):
        page.click("[data-tab=unit]")
    assert "tab=unit" in page.url
    row = page.locator(f"tr[data-task='{task_id}']")
    assert row.count() == 1 and "钱浏览" in row.inner_text()
    assert row.get_by_test_id("badge").get_attribute("data-warning") == "green"

    with one_request(page):  # search: Enter sends the form once
        page.fill("main input[name=q]", "钱浏览")  # the inbox's own filter, not the top bar's search
        page.press("main input[name=q]", "Enter")
    assert "q=" in page.url and page.locator("tbody tr").count() == 1
    assert page.get_by_test_id("count-unit").inner_text() == "1"
    with one_request(page):  # choosing in a list filters at once
        page.select_option("select[name=township]", "town-a")
    assert "township=town-a" in page.url and row.count() == 1
    with one_request(page):
        page.select_option("select[name=due]", "red")
    assert page.get_by_test_id("empty").count() == 1
    with one_request(page):
        page.select_option("select[name=due]", "")
    page.fill("[data-testid=save-filter] input[name=name]", "钱浏览的线索")
    with one_request(page):
        page.click("[data-testid=save-filter] button[type=submit]")
    saved = page.get_by_test_id("saved").get_by_role("link", name="钱浏览的线索")
    assert saved.count() == 1
    with one_request(page):  # back to every tab, then the saved filter brings this one back
        page.click("[data-testid=clear]")
    assert page.locator("tbody tr").count() >= 1 and "q=" not in page.url
    with one_request(page):
        page.get_by_test_id("saved").get_by_role("link", name="钱浏览的线索").click()
    assert "q=" in page.url and page.locator("tbody tr").count() == 1
    shot(page, "inbox")

    page.locator(f"tr[data-task='{task_id}'] a").first.click()  # the case number
    page.wait_for_selector("[data-testid=task-form]")
    assert "王**" in page.get_by_test_id("reporter").inner_text()
    assert page.get_by_test_id("reveal-form").count() == 0  # not holding a task of the case
    with one_request(page):
        page.get_by_test_id("claim").click()
    page.wait_for_selector("[data-testid=unclaim]")
    assert page.get_by_test_id("reveal-form").count() == 1  # swapped in with the claim
    assert page.get_by_test_id("assignee").inner_text() == "甲镇承办人"  # swapped in too

    with one_request(page):
        page.get_by_test_id("complete").click()
    page.wait_for_selector("[data-testid=error-disposition]")
    assert page.get_by_test_id("error-disposition").inner_text() == "必填。"
    assert page.get_by_test_id("error-disposition_reason").inner_text() == "必填。"
    page.fill("textarea[name=disposition_reason]", "反映问题具体，有可查性")
    shot(page, "task")
    page.check("input[name=disposition][value=verification]")
    with one_request(page):
        page.get_by_test_id("complete").click()
    page.wait_for_selector("[data-testid=done]")
    assert "审批处置意见" in page.get_by_test_id("next").inner_text()
    page.get_by_test_id("to-inbox").click()
    page.wait_for_selector("[data-testid=tasks]")


def test_a_supervisor_reveals_the_reporter_with_a_reason_and_attaches_a_file(live_sqlite,
                                                                           new_page, tmp_path):
    _, task_id = town_a_task(live_sqlite.runtime, "孙核实", "东村会计孙核实挪用村集体土地补偿款。")
    page = new_page(live_sqlite.url, lang="en")
    login(page, "a-head")
    page.goto(f"/tasks/{task_id}")
    assert page.locator("html").get_attribute("lang") == "en"
    with one_request(page):  # no reason: the message comes back at the field
        page.get_by_test_id("reveal-form").locator("button").click()
    page.wait_for_selector("[data-testid=error-reason]")
    page.get_by_test_id("reveal-form").locator("input[name=reason]").fill("回访核实")
    with one_request(page):
        page.get_by_test_id("reveal-form").locator("button").click()
    page.wait_for_selector("[data-revealed=true]")
    assert page.get_by_test_id("reporter-name").inner_text() == "王小明"

    note = tmp_path / "走访记录.txt"
    note.write_text("走访东村，核对补偿款发放名单。", encoding="utf-8")
    page.set_input_files("[data-testid=upload] input[type=file]", str(note))
    with one_request(page):
        page.click("[data-testid=upload] button[type=submit]")
    page.wait_for_selector("[data-testid=file] >> text=走访记录.txt")
    assert page.get_by_test_id("file").filter(has_text="走访记录.txt").count() == 1
    page.reload()
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "viewed the reporter's identity (reason: 回访核实)" in timeline
    assert "attached a file" in timeline

    # A caseworker of another township cannot open the task at all.
    other = new_page(live_sqlite.url)
    login(other, "b-worker")
    response = other.goto(f"/tasks/{task_id}")
    assert response.status in (403, 404)
    assert "孙核实" not in other.content()
    other.watched.errors.clear()  # the browser logs the refusal this test asked for
