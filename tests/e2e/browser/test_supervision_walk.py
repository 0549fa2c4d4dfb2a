"""Daily supervision in a real browser: an inspector plans an inspection and records a finding,
the supervisor approves, the responsible unit rectifies from its inbox (with an evidence file),
the inspector closes it (销号), and the rectification ledger downloads with the closed row.
Screenshots of the pages at desk (1440 px) and phone (390 px) width."""
from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from engine.supervision.models import Finding

from tests.e2e.browser.conftest import login, shot

PROBLEM = "浏览器走查：村务公开栏三个月未更新"


def open_step(page, name: str, number: str | None = None) -> None:
    """From the inbox, open the step `name` (of the row showing `number`)."""
    page.goto("/inbox")
    rows = page.locator("tr[data-task]")
    if number:
        rows = rows.filter(has_text=number)
    rows.filter(has_text=name).first.locator("a").nth(1).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("task-name").inner_text().startswith(name)


def choose(page, field: str, value: str) -> None:
    page.locator(f"[data-field={field}] input[value={value}]").check()


def complete(page) -> None:
    page.get_by_test_id("complete").click()
    page.get_by_test_id("done").wait_for()


def test_inspection_to_closing_and_the_ledger(live_sqlite, new_page, browser):
    page = new_page(live_sqlite.url)
    login(page, "s-inspector")
    page.goto("/supervision")
    page.get_by_test_id("plan-kind").select_option("special")
    page.get_by_test_id("plan-title").fill("村务公开专项督查")
    page.get_by_test_id("plan-targets").select_option("town-a")
    page.get_by_test_id("plan-inspectors").fill("s-inspector")
    with page.expect_navigation():
        page.get_by_test_id("plan-submit").click()
    assert "/supervision/inspections/" in page.url
    inspection_url = page.url
    # The first step is in the inspector's inbox, linked from the inspection.
    page.get_by_test_id("open-task").click()
    page.locator("#f-inspection_report").fill("查阅村务公开栏和会议记录")
    complete(page)
    page.goto(inspection_url)
    page.get_by_test_id("f-unit").select_option("town-a")
    page.get_by_test_id("f-description").fill(PROBLEM)
    page.get_by_test_id("f-responsible").fill("甲镇党政办主任")
    page.get_by_test_id("f-days").fill("15")
    page.get_by_test_id("f-submit").click()
    page.get_by_text(PROBLEM).wait_for()
    shown = page.locator("[data-testid^=finding-] .small.muted").first.inner_text().split(" ")[0]
    # The page shows the finding's display number, the one the ledger's 编号 column shows too.
    assert live_sqlite.runtime.read(lambda uow: uow.session.scalar(
        select(Finding.id).where(Finding.display_number == shown))), shown
    shot(page, "supervision-inspection")
    page.get_by_test_id("open-task").click()
    complete(page)

    head = new_page(live_sqlite.url)
    login(head, "s-head")
    head.goto(inspection_url)
    head.get_by_test_id("open-task").click()
    assert head.get_by_test_id("decision").get_attribute("data-field") == "inspection_approved"
    head.get_by_test_id("decide-yes").click()
    head.get_by_test_id("done").wait_for()

    # The responsible unit rectifies from its inbox: the row shows the finding's number.
    unit = new_page(live_sqlite.url)
    login(unit, "a-rectifier")
    open_step(unit, "制定整改措施", shown)
    assert unit.get_by_test_id("supervision-link").is_visible()
    unit.locator("#f-measures").fill("每月更新公开栏，党政办负责检查")
    complete(unit)
    open_step(unit, "报告整改进展", shown)
    unit.get_by_test_id("supervision-link").locator("a").click()
    unit.get_by_test_id("evidence-file").set_input_files(
        files=[{"name": "公开栏照片.pdf", "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4 photo"}])
    unit.get_by_test_id("evidence-upload").click()
    unit.get_by_text("公开栏照片.pdf").wait_for()
    unit.get_by_test_id("open-task").click()
    unit.locator("#f-progress").fill("公开栏已更新，建立每月检查制度")
    choose(unit, "rectification_done", "true")
    complete(unit)

    # The inspector verifies and closes it (销号).
    open_step(page, "验收销号", shown)
    # 验收 is an approval: the decision is the button pressed (同意 / 退回).
    assert page.get_by_test_id("decision").get_attribute("data-field") == "rectification_verified"
    page.locator("#f-verification_comment").fill("实地查看已整改到位")
    page.get_by_test_id("decide-yes").click()
    page.get_by_test_id("done").wait_for()
    page.get_by_test_id("supervision-link").locator("a").click()
    assert page.get_by_test_id("finding-status").inner_text().startswith("已销号")
    shot(page, "supervision-finding")

    # The rectification ledger downloads with the closed row.
    page.goto("/supervision")
    with page.expect_download() as info:
        page.get_by_test_id("ledger-rectification-ledger").click()
    data = open(info.value.path(), "rb").read()
    ws = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    headers = rows[0]
    mine = [r for r in rows[1:] if r[headers.index("编号")] == shown]
    assert len(mine) == 1 and mine[0][headers.index("状态")] == "已销号", mine
    assert mine[0][headers.index("完成情况")] == "公开栏已更新，建立每月检查制度"


def test_supervision_pages_at_desk_and_phone_width(live_sqlite, browser):
    """Screenshots for review: every supervision page at 1440 and 390 px, no console error,
    nothing wider than the phone's screen."""
    errors: list[str] = []
    for width, height, suffix in ((1440, 900, "desk"), (390, 844, "phone")):
        context = browser.new_context(base_url=live_sqlite.url, locale="zh-CN",
                                      viewport={"width": width, "height": height})
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        try:
            login(page, "s-inspector")
            pages = {"supervision-home": "/supervision"}
            page.goto("/supervision")
            pages["supervision-inspection-demo"] = page.locator(
                "[data-testid^=inspection-]").last.get_attribute("href")
            page.goto(pages["supervision-inspection-demo"])
            pages["supervision-finding-demo"] = page.locator(
                "[data-testid^=finding-] a").first.get_attribute("href")
            for name, url in pages.items():
                page.goto(url)
                shot(page, f"{name}-{suffix}")
                if suffix == "phone":
                    overflow = page.evaluate(
                        "document.documentElement.scrollWidth - window.innerWidth")
                    assert overflow <= 1, f"{name} is {overflow}px wider than the phone"
            login(page, "housing-registrar")
            page.goto("/interference")
            shot(page, f"interference-register-{suffix}")
            if suffix == "phone":
                assert page.evaluate("document.documentElement.scrollWidth - "
                                     "window.innerWidth") <= 1
        finally:
            context.close()
    assert not errors, errors
