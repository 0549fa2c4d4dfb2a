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
    assert any("甲镇承办人二" in o for o in options) and not any("乙镇" in o for o in options)
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


def test_a_called_process_opens_in_place_with_a_trail_back_and_its_holder(live, new_page):
    case_id, _task_id = town_a_clue(live.runtime, "南村会计赵六虚报冒领危房改造补助。")
    page = new_page(live.url)
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, "a-head")
    open_case(page, case_id)
    diagram = page.locator(".diagram[data-state=ready]").first
    box = page.locator(".diagram-box").first
    assert box.get_by_test_id("diagram-trail").is_hidden()  # one level: nothing to go back to
    # The call activity that is running says it opens; clicking it is one request.
    opener = diagram.locator('button.open-call[data-opens="clue_disposition"]')
    assert opener.get_attribute("aria-label") == "展开“问题线索处置”"
    with one_request(page):
        diagram.locator('g.djs-element[data-element-id="call_disposition"]').click()
    page.wait_for_selector('.diagram[data-state=ready][data-process="clue_disposition"]')
    current = diagram.locator("g.djs-element.current")
    assert current.count() == 1
    assert current.get_attribute("data-element-id") == "propose_disposition"
    holder = diagram.locator('.holder[data-element="propose_disposition"]')
    assert "甲镇" in holder.inner_text()  # offered to town-a's caseworkers
    trail = box.get_by_test_id("diagram-trail")
    assert trail.is_visible()
    assert trail.inner_text().split("›")[-1].strip() == "问题线索处置"
    # Readable at normal zoom: the viewer never shrinks below the readable scale.
    scale = page.evaluate("() => document.querySelector('.diagram .viewport')"
                          ".transform.baseVal.consolidate().matrix.a")
    assert scale >= 0.74
    box.scroll_into_view_if_needed()
    shot(page, "case-diagram-called")

    # A level deeper through the step's button (off screen at this zoom: a user would drag the
    # diagram there first), then back to the top through the trail.
    with one_request(page):
        diagram.locator('button.open-call[data-opens="preliminary_verification"]').dispatch_event(
            "click")
    page.wait_for_selector('.diagram[data-state=ready][data-process="preliminary_verification"]')
    assert trail.locator("button").count() == 2
    with one_request(page):
        trail.locator("button").first.click()
    page.wait_for_selector('.diagram[data-state=ready][data-process="petition_intake"]')
    assert diagram.locator("g.djs-element.current").get_attribute(
        "data-element-id") == "call_disposition"
    assert trail.is_hidden()

    page.set_viewport_size({"width": 390, "height": 844})
    opener = diagram.locator('button.open-call[data-opens="clue_disposition"]')
    with one_request(page):
        opener.click()
    page.wait_for_selector('.diagram[data-state=ready][data-process="clue_disposition"]')
    assert trail.is_visible()
    box.scroll_into_view_if_needed()
    shot(page, "case-diagram-called-phone")


def test_a_long_history_links_from_the_task_page_to_its_pages(live, new_page):
    """A case with a long history: the task page shows the newest events and a link to the
    rest; the history page pages every event, oldest first, at phone width too."""
    from engine.inbox import service as inbox
    from engine.org import service as org
    rt = live.runtime
    case_id, task_id = town_a_clue(rt, "西村主任钱七把村集体的鱼塘低价包给亲戚。")
    for _ in range(60):  # the task taken and given back, sixty times
        for step in (inbox.claim, inbox.unclaim):
            rt.transact(lambda uow, step=step: step(
                uow, runtime=rt, task_id=task_id, user=org.get_user(uow.session, "a-worker")))
    for width in (1440, 390):
        page = new_page(live.url)
        page.set_viewport_size({"width": width, "height": 900})
        login(page, "a-worker")
        page.goto(f"/tasks/{task_id}")
        assert page.locator("[data-testid=timeline] li[data-action]").count() == 50
        earlier = page.get_by_test_id("timeline-earlier")
        earlier.scroll_into_view_if_needed()
        assert "查看全部办理过程" in earlier.inner_text()
        shot(page, f"task-history-link-{width}")
        earlier.get_by_role("link").click()
        page.wait_for_url(f"**/cases/{case_id}/history")
        items = page.locator("[data-testid=timeline] li[data-action]")
        assert items.count() == 100 and items.first.get_attribute("data-action") == "case_opened"
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"case-history-{width}")
        page.get_by_role("link", name="下一页").click()
        page.wait_for_url("**page=2")
        last = page.locator("[data-testid=timeline] li[data-action]").evaluate_all(
            "items => items.map(i => i.dataset.action)")
        assert "task_unclaimed" in last and "case_opened" not in last
