"""Supervisor tools in a real browser: the overdue board per township and a bulk reassignment
whose progress bar reaches 100% (one request per task, sent one after the other)."""
from __future__ import annotations

from datetime import timedelta

from tests.conftest import FROZEN
from tests.e2e.browser.conftest import login, one_request, shot
from tests.e2e.browser.test_case_page import town_a_clue

CONTENTS = ["东村出纳赵六私设小金库，发放福利。", "东村会计钱七虚开发票报销。",
            "东村组长孙八侵占征地补偿款。"]


def overdue_tasks(live) -> list[str]:
    """Three town-a tasks created 60 days ago: their disposal proposals are overdue now."""
    clock = live.runtime.clock
    clock.set(FROZEN - timedelta(days=60))
    try:
        return [town_a_clue(live.runtime, text)[1] for text in CONTENTS]
    finally:
        clock.set(FROZEN)


def test_the_overdue_board_and_a_bulk_reassignment_with_progress(live, new_page):
    ids = overdue_tasks(live)
    page = new_page(live.url)
    login(page, "a-head")
    page.goto("/overdue")
    count = int(page.get_by_test_id("count-town-a").inner_text())
    assert count >= 3
    for task_id in ids:
        row = page.locator(f"#board-{task_id}")
        assert row.locator(".badge-red").count() == 1
        row.locator("input[name=task]").check()
    shot(page, "overdue-board")

    with one_request(page):  # the users who may take every selected task
        page.get_by_test_id("bulk-open").click()
    dialog = page.get_by_test_id("bulk-dialog")
    assert dialog.evaluate("d => d.open")
    options = dialog.locator("select[name=assignee] option").all_inner_texts()
    assert any("甲镇承办人二" in o for o in options) and not any("乙镇" in o for o in options)
    dialog.locator("select[name=assignee]").select_option("a-worker2")
    dialog.locator("textarea[name=reason]").fill("集中清理超期件")
    before = len(page.watched.requests)
    dialog.get_by_test_id("bulk-submit").click()
    page.wait_for_function("() => { const p = document.getElementById('bulk-progress');"
                           " return p.max === 3 && p.value === 3; }")
    page.wait_for_load_state("networkidle")
    made = page.watched.requests[before:]
    assert len(made) == 3 and all("/reassign" in r for r in made), made
    assert "3" in page.get_by_test_id("bulk-status").inner_text()
    for task_id in ids:
        assert page.locator(f"#board-{task_id} [data-testid=owner]").inner_text() == "甲镇承办人二"


def test_a_caseworker_has_no_overdue_board(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    login(page, "a-worker")
    assert page.locator("a[href='/overdue']").count() == 0
    response = page.goto("/overdue")
    assert response.status == 403
    page.watched.errors.clear()  # the browser logs the 403 this test asked for
