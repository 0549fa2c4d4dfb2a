"""A full day in a real browser, on SQLite and on PostgreSQL: the clerk registers a petition
with the intake form and works its intake steps from the inbox; it arrives in town-a's queue;
the caseworker claims it and completes with a validation error first; the supervisor reassigns
it; time passes and `timers run-due` turns its badge red; the new holder completes it; the case
page shows the diagram with completed and current steps highlighted. Screenshots of the main
pages along the way. Every action is one request; any console error fails the test."""
from __future__ import annotations

import re
from datetime import datetime

import pytest

from engine.processes import service as processes
from engine.timers import service as timers
from tests.conftest import backends
from tests.e2e.browser.conftest import ROOT, LiveServer, login, one_request, shot

ACCUSED = "吴全天"
# The disposal proposal (one month from the clue's arrival on 2026-03-02) is due 2026-04-02.
LATE = datetime.fromisoformat("2026-04-03T10:00:00+08:00")


def open_from_inbox(page, query: str):
    """The user's inbox searched for the accused, then the only task found."""
    page.goto(f"/inbox?{query}&q={ACCUSED}")
    rows = page.locator("tbody tr[data-task]")
    assert rows.count() == 1, page.locator("tbody").inner_text()
    task_id = rows.first.get_attribute("data-task")
    rows.first.locator("td:nth-child(2) a").click()
    page.wait_for_selector("[data-testid=work]")
    page.wait_for_load_state("networkidle")  # htmx (deferred) has bound the page's buttons
    return task_id


def complete(page, next_step: str | None = None):
    with one_request(page):
        page.get_by_test_id("complete").click()
    page.wait_for_selector("[data-testid=done]")
    if next_step:
        page.get_by_test_id("next").get_by_role("link", name=next_step).click()
        page.wait_for_selector("[data-testid=task-form]")


@pytest.fixture(params=backends())
def live_day(request, scratch, tmp_path):
    """A server of its own (demo organisation, bpmn/ deployed), on SQLite and PostgreSQL: this
    test moves the clock a month ahead and breaches what is due, which must not leak into the
    server the other browser tests share (e.g. the repeat index's watermark of updated rows)."""
    server = LiveServer(scratch.create(request.param), public_site=tmp_path / "site")
    rt = server.runtime
    files = [(f.name, f.read_bytes()) for f in sorted((ROOT / "bpmn").glob("*.bpmn"))]
    rt.transact(lambda uow: processes.deploy(uow, runtime=rt, files=files, actor="designer",
                                             comment="full day"))
    yield server
    server.stop()


def test_a_full_day(live_day, new_page):
    _a_full_day(live_day, new_page, live_day.runtime)


def _a_full_day(live, new_page, rt):
    # 1. The clerk registers a real-name letter about town-a.
    clerk = new_page(live.url)
    login(clerk, "clerk")
    clerk.goto("/intake")
    clerk.get_by_test_id("channel").select_option("letter")
    clerk.get_by_test_id("reporter-name").fill("郑举报")
    clerk.fill("input[name=reporter_phone]", "13900001111")
    clerk.fill("input[name=accused_name]", ACCUSED)
    clerk.fill("input[name=accused_post]", "村委会主任")
    clerk.get_by_test_id("township").select_option("town-a")
    clerk.get_by_test_id("category").select_option("welfare_funds")
    clerk.get_by_test_id("content").fill(f"{ACCUSED}在低保评定中优亲厚友，虚报冒领低保金。")
    clerk.get_by_test_id("content").blur()  # the form asks for repeat suggestions on change
    clerk.wait_for_load_state("networkidle")
    clerk.wait_for_timeout(500)
    shot(clerk, "full-day-intake")
    with one_request(clerk):
        clerk.get_by_test_id("register").click()
    case_href = clerk.get_by_test_id("intake-result").get_by_test_id("case-link") \
        .get_attribute("href")
    case_id = int(re.search(r"/cases/(\d+)", case_href).group(1))

    # 2. It is in the intake office's queue: repeat check, classification, acceptance notice.
    open_from_inbox(clerk, "tab=unit")
    clerk.check("input[name=is_repeat][value=false]")
    complete(clerk, "分类研判")
    clerk.check("input[name=in_scope][value=true]")
    clerk.check("input[name=concerns_official][value=true]")
    clerk.select_option("select[name=category]", "welfare_funds")
    clerk.select_option("select[name=first_handling_unit]", "town-a")
    complete(clerk, "受理告知")
    clerk.select_option("select[name=method]", "phone")
    complete(clerk)
    assert "拟定处置意见" in clerk.get_by_test_id("next").inner_text()

    # 3. It arrives in town-a's queue; the caseworker claims it and submits an incomplete form.
    worker = new_page(live.url)
    login(worker, "a-worker")
    # (The unit tab is opened by its address: a click on it here, its result replaced by the
    # next page at once, was lost now and then on a loaded machine; one request per tab click
    # is test_inbox's.)
    task_id = open_from_inbox(worker, "tab=unit")
    assert worker.get_by_test_id("badge").get_attribute("data-warning") == "green"
    with one_request(worker):
        worker.get_by_test_id("claim").click()
    worker.wait_for_selector("[data-testid=unclaim]")
    worker.fill("textarea[name=disposition_reason]", "反映问题具体")
    with one_request(worker):
        worker.get_by_test_id("complete").click()
    assert worker.get_by_test_id("error-disposition").inner_text() == "必填。"
    assert worker.locator("textarea[name=disposition_reason]").input_value() == "反映问题具体"

    # 4. The supervisor gives it to a colleague, with a reason, from the case page.
    head = new_page(live.url)
    login(head, "a-head")
    head.goto(f"/cases/{case_id}")
    row = head.locator(f"#task-{task_id}")
    row.get_by_test_id("reassign").click()
    dialog = head.locator(f"#reassign-{task_id}")
    dialog.locator("select[name=assignee]").select_option("a-worker2")
    dialog.locator("textarea[name=reason]").fill("a-worker 外出办案，改由二号承办人办理")
    with one_request(head):
        dialog.locator("button[type=submit]").click()
    head.wait_for_selector(f"#task-{task_id} >> text=甲镇承办人二")

    colleague = new_page(live.url)
    login(colleague, "a-worker2")
    assert int(colleague.get_by_test_id("unread").inner_text()) >= 1  # the bell
    assert colleague.locator(f"tr[data-task='{task_id}']").count() == 1  # in "my tasks"

    # 5. A month passes: the timer worker breaches the deadline and the badge turns red.
    rt.clock.set(LATE)
    assert timers.run_due(rt, LATE) == 1  # the one thing due on this server: the proposal
    colleague.goto(f"/inbox?tab=overdue&q={ACCUSED}")
    row = colleague.locator(f"tr[data-task='{task_id}']")
    assert row.get_by_test_id("badge").get_attribute("data-warning") == "red"
    assert "已超期" in row.get_by_test_id("badge").inner_text()
    with one_request(colleague):  # the breach put the case on the supervised list (督办)
        colleague.click("[data-tab=supervised]")
    assert colleague.locator(f"tr[data-task='{task_id}']").count() == 1
    shot(colleague, "inbox-overdue")

    # 6. The new holder completes it (late), correctly this time.
    colleague.locator(f"tr[data-task='{task_id}'] td:nth-child(2) a").click()
    colleague.wait_for_selector("[data-testid=task-form]")
    colleague.check("input[name=disposition][value=verification]")
    colleague.fill("textarea[name=disposition_reason]", "反映问题具体，有可查性，建议初核")
    complete(colleague)
    assert "审批处置意见" in colleague.get_by_test_id("next").inner_text()

    # 7. The case page: the diagram with completed and current steps highlighted.
    head.goto(f"/cases/{case_id}")
    head.wait_for_selector(".diagram[data-state=ready]")
    diagram = head.locator(".diagram[data-state=ready]").first
    assert diagram.locator("g.djs-element.current").count() >= 1
    assert diagram.locator('g.djs-element.done[data-element-id="classify"]').count() == 1
    assert "郑举报" not in head.content()  # the reporter stays masked
    shot(head, "case-diagram")
    head.goto("/notifications")
    assert head.get_by_test_id("notifications").inner_text().count("超期") >= 1
