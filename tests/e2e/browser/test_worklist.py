"""Issue 21 in a real browser, at desk width (1440 px) and phone width (390 px): the inbox sorts
by any column and claims several tasks from the list (one request each, with progress)."""
from __future__ import annotations

import pytest

from tests.e2e.browser.conftest import login, one_request, shot
from tests.e2e.browser.test_inbox import town_a_task

WIDTHS = {"desk": 1440, "phone": 390}


def sized(page, width: int):
    page.set_viewport_size({"width": width, "height": 900 if width > 600 else 844})
    return page


def no_sideways_scroll(page):
    """The page fits the screen: nothing wider than the viewport."""
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= page.viewport_size["width"], f"page is {wide} px wide"


@pytest.mark.parametrize("width", WIDTHS)
def test_the_inbox_sorts_by_any_column_and_claims_from_the_list(live_sqlite, new_page, width):
    rt = live_sqlite.runtime
    names = [f"{width}甲", f"{width}乙"]
    tasks = [town_a_task(rt, name, f"东村会计{name}挪用补偿款。")[1] for name in names]
    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "a-worker")
    page.goto("/inbox?tab=unit&q=" + width)
    assert page.locator("tbody tr[data-task]").count() == 2
    if width == "phone":
        no_sideways_scroll(page)

    with one_request(page):  # a column heading sorts by it
        page.click("th a[data-sort=accused]")
    assert "sort=accused" in page.url
    assert page.locator("th[aria-sort=ascending] a[data-sort=accused]").count() == 1
    order = [page.locator(f"tr[data-task='{t}']").evaluate("r => r.rowIndex") for t in tasks]
    assert order[1] < order[0]  # by code point: 乙 (U+4E59) before 甲 (U+7532)
    with one_request(page):  # again: the other way
        page.click("th a[data-sort=accused]")
    assert "sort=-accused" in page.url
    assert page.locator("th[aria-sort=descending] a[data-sort=accused]").count() == 1
    flipped = [page.locator(f"tr[data-task='{t}']").evaluate("r => r.rowIndex") for t in tasks]
    assert flipped != order

    page.check("[data-pick-all]")
    before = len(page.watched.requests)
    page.get_by_test_id("claim-chosen").click()
    page.get_by_test_id("claim-status").filter(has_text="2 / 2").wait_for()
    page.wait_for_load_state("networkidle")
    made = page.watched.requests[before:]
    assert len(made) == 2 and all("/claim" in m for m in made), made  # one request each
    assert page.get_by_test_id("claim-status").inner_text() == "已签收 2 / 2 件。"
    for t in tasks:
        assert page.locator(f"tr[data-task='{t}'] [data-testid=holder]").inner_text() == "甲镇承办人"
    if width == "phone":
        no_sideways_scroll(page)
    shot(page, f"inbox-claimed-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_comments_follow_up_counter_and_print_on_the_task_page(live_sqlite, new_page, width):
    rt = live_sqlite.runtime
    case_id, task_id = town_a_task(rt, f"{width}丙", "东村会计挪用补偿款。")
    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "a-worker")
    page.goto(f"/tasks/{task_id}")
    notes = page.get_by_test_id("notes")
    box = notes.locator("textarea[name=body]")
    assert box.get_attribute("maxlength") is None and box.get_attribute("data-limit") == "2000"
    box.fill("意" * 2005)  # nothing is cut: the counter says how far over it is
    assert box.input_value() == "意" * 2005
    assert "超出上限 2000 字 5 字" in notes.get_by_test_id("counter").inner_text()
    with one_request(page):
        notes.get_by_test_id("add-comment").click()
    page.get_by_test_id("error-body").wait_for()
    assert "2005" in page.get_by_test_id("error-body").inner_text()
    assert page.locator("#task-notes textarea[name=body]").input_value() == "意" * 2005
    page.fill("#task-notes textarea[name=body]", "已电话联系村会计。")
    assert page.locator("#task-notes [data-testid=counter]").inner_text() == "9 / 2000 字"
    with one_request(page):
        page.get_by_test_id("add-comment").click()
    page.get_by_test_id("comment").wait_for()
    assert "已电话联系村会计。" in page.get_by_test_id("comment").inner_text()

    page.fill("[data-testid=remind-on]", "2026-03-02")
    with one_request(page):
        page.locator("[data-testid=follow-up-form] button[type=submit]").first.click()
    page.get_by_test_id("clear-follow-up").wait_for()
    if width == "phone":
        no_sideways_scroll(page)
    page.get_by_test_id("notes").scroll_into_view_if_needed()
    shot(page, f"task-notes-{width}")

    page.emulate_media(media="print")  # the print stylesheet: no red bar, no buttons or forms
    assert not page.locator("header.topbar").is_visible()
    assert not page.get_by_test_id("add-comment").is_visible()
    assert page.get_by_test_id("comment").is_visible()
    assert page.get_by_test_id("summary").is_visible()
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, f"task-print-{width}")
    page.emulate_media(media="screen")

    page.goto(f"/cases/{case_id}")
    if width == "phone":
        no_sideways_scroll(page)
    shot(page, f"case-{width}")
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    assert page.locator("button:visible").count() == 0
    page.emulate_media(media="screen")


@pytest.mark.parametrize("width", WIDTHS)
def test_a_version_conflict_says_who_did_what_and_keeps_the_typed_input(live_sqlite, new_page,
                                                                        width):
    from engine.inbox import service as inbox
    from engine.org import service as org
    rt = live_sqlite.runtime
    _, task_id = town_a_task(rt, f"{width}丁", "东村会计虚报补助。")
    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "a-worker")
    page.goto(f"/tasks/{task_id}")
    page.check("input[name=disposition][value=verification]")
    page.fill("textarea[name=disposition_reason]", "反映问题具体，建议初步核实。")
    # Meanwhile a colleague takes the task.
    rt.transact(lambda uow: inbox.claim(uow, runtime=rt, task_id=task_id,
                                        user=org.get_user(uow.session, "a-worker2")))
    with one_request(page):
        page.get_by_test_id("complete").click()
    error = page.get_by_test_id("error")
    error.wait_for()
    assert "甲镇承办人二" in error.inner_text() and "签收了此任务" in error.inner_text()
    assert "您填写的内容仍保留" in error.inner_text()
    assert page.locator("textarea[name=disposition_reason]").input_value() == \
        "反映问题具体，建议初步核实。"
    if width == "phone":
        no_sideways_scroll(page)
    error.scroll_into_view_if_needed()
    shot(page, f"task-conflict-{width}")
    page.watched.errors.clear()  # the refused action is logged by nothing but be safe


@pytest.mark.parametrize("width", WIDTHS)
def test_intake_refuses_no_accused_without_a_reason_and_counts_the_content(live_sqlite,
                                                                          new_page, width):
    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "clerk")
    page.goto("/intake")
    page.check("[data-testid=anonymous]")
    content = page.get_by_test_id("content")
    assert content.get_attribute("maxlength") is None and content.get_attribute("data-limit") == "20000"
    with page.expect_response(lambda r: "/intake/repeat-check" in r.url):
        content.fill(f"{width}反映某村干部优亲厚友。")  # the repeat check runs after a pause
    page.wait_for_load_state("networkidle")
    counter = page.locator("#intake-form label:has([data-testid=content]) [data-testid=counter]")
    assert counter.inner_text() == f"{len(width) + 11} / 20000 字"
    with one_request(page):
        page.get_by_test_id("register").click()
    page.get_by_test_id("error-no_accused_reason").wait_for()
    assert "请填写被反映人" in page.get_by_test_id("error-no_accused_reason").inner_text()
    assert page.get_by_test_id("content").input_value() == f"{width}反映某村干部优亲厚友。"
    if width == "phone":
        no_sideways_scroll(page)
    shot(page, f"intake-refused-{width}")
    page.get_by_test_id("no-accused-reason").fill("举报人不知道该干部姓名")
    with one_request(page):
        page.get_by_test_id("register").click()
    page.get_by_test_id("intake-result").wait_for()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_designer_retries_a_failed_instance_from_the_list(live_sqlite, new_page, width):
    from pathlib import Path

    from engine.org import service as org
    from engine.processes import service as processes
    from engine.processes.models import ProcessInstance
    rt = live_sqlite.runtime
    fixture = Path(__file__).resolve().parents[2] / "bpmn" / "form_task.bpmn"

    def failing(uow):
        designer = org.get_user(uow.session, "designer")
        processes.deploy(uow, runtime=rt, files=[("form_task.bpmn", fixture.read_bytes())],
                         actor="designer", comment="browser test")
        started, _ = processes.start_instance(uow, runtime=rt, key="form_task", data={},
                                              user=designer)
        return started.id
    instance_id = rt.transact(failing)
    task_id = rt.read(lambda uow: processes.open_tasks(uow.session, instance_id)[0].id)
    rt.transact(lambda uow: processes.complete_task(
        uow, runtime=rt, task_id=task_id, data={"title": "no count"}, version=None,
        user=org.get_user(uow.session, "designer")))
    assert rt.read(lambda uow: uow.session.get(ProcessInstance, instance_id).status) == "error"

    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "designer")
    page.goto("/failed")
    row = page.locator(f"tr[data-instance='{instance_id}']")
    assert row.get_by_test_id("element").inner_text() == "Compute"  # the step's name, not its id
    if width == "phone":
        no_sideways_scroll(page)
    shot(page, f"failed-{width}")
    with one_request(page):  # the cause is not fixed: it fails again and stays listed
        row.get_by_test_id("retry").click()
    assert page.locator(f"tr[data-instance='{instance_id}'] [data-testid=retry]").count() == 1


@pytest.mark.parametrize("width", WIDTHS)
def test_polling_keeps_the_inbox_and_the_bell_current_and_a_notification_opens_its_task(
        live_sqlite, new_page, width):
    from engine.inbox import service as inbox
    from engine.org import service as org
    rt = live_sqlite.runtime
    _, first = town_a_task(rt, f"{width}戊", "东村会计挪用补偿款。")
    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "a-worker")
    page.goto(f"/inbox?tab=unit&q={width}戊")
    assert page.locator("tbody tr[data-task]").count() == 1
    page.evaluate("() => window.cluedesk.poll()")  # what the 30 s timer does
    page.wait_for_load_state("networkidle")
    _, second = town_a_task(rt, f"{width}戊二", "东村会计又挪用补偿款。")
    page.evaluate("() => window.cluedesk.poll()")
    page.locator(f"tr[data-task='{second}']").wait_for()  # the table reloaded in place
    assert page.locator("tbody tr[data-task]").count() == 2

    rt.transact(lambda uow: inbox.reassign(uow, runtime=rt, task_id=first,
                                           user=org.get_user(uow.session, "a-head"),
                                           assignee="a-worker", reason="请尽快办理"))
    page.evaluate("() => window.cluedesk.poll()")
    page.get_by_test_id("unread").wait_for()
    assert int(page.get_by_test_id("unread").inner_text()) >= 1
    if width == "phone":
        no_sideways_scroll(page)
    shot(page, f"inbox-polled-{width}")
    page.locator("#bell").click()
    page.wait_for_selector("[data-testid=notifications]")
    with page.expect_navigation():
        page.get_by_test_id("open-task").first.click()
    assert f"/tasks/{first}" in page.url


@pytest.mark.parametrize("width", WIDTHS)
def test_after_completion_the_page_shows_the_next_step_and_who_has_it(live_sqlite, new_page,
                                                                      width):
    _, task_id = town_a_task(live_sqlite.runtime, f"{width}己", "东村会计虚报补助。")
    page = sized(new_page(live_sqlite.url), WIDTHS[width])
    login(page, "a-worker")
    page.goto(f"/tasks/{task_id}")
    page.check("input[name=disposition][value=verification]")
    page.fill("textarea[name=disposition_reason]", "反映问题具体，建议初步核实。")
    with one_request(page):
        page.get_by_test_id("complete").click()
    page.get_by_test_id("done").wait_for()
    nxt = page.get_by_test_id("next").inner_text()
    assert "审批处置意见" in nxt and "甲镇纪委" in nxt
    assert page.get_by_test_id("next-holder").first.inner_text() == "等待签收"
    assert page.get_by_test_id("assignee").inner_text() == "已办结"  # the summary is current
    if width == "phone":
        no_sideways_scroll(page)
    shot(page, f"task-done-{width}")
