"""A quality review round in a real browser (draw, score beside the case record, a failing item
needing rectification, notice opening its township's rectification, the Excel notice), the zones'
evaluation page and the village committees' quarterly scores with the rows behind a figure, also
at 390 px, and their view on the dashboard."""
from __future__ import annotations

import openpyxl
from sqlalchemy import select

from engine.quality.models import ReviewRound
from tests.e2e.browser.conftest import login, one_request, shot
from tests.e2e.test_quality_and_evaluation import seed_committees, seed_items


def _seeded(rt) -> None:
    """The fourth quarter of 2025's closed items, once per server."""
    if rt.read(lambda uow: uow.session.scalar(select(ReviewRound.id).where(
            ReviewRound.year == 2025, ReviewRound.quarter == 4))) is None:
        from engine.cases.models import Case
        if rt.read(lambda uow: uow.session.scalar(
                select(Case.id).where(Case.number == "qr-C0001"))) is None:
            seed_items(rt)


def test_a_review_round_is_drawn_scored_and_notified(live_sqlite, new_page, tmp_path):
    rt = live_sqlite.runtime
    _seeded(rt)
    chief = new_page(live_sqlite.url)
    login(chief, "chief")
    chief.goto("/quality")
    chief.get_by_test_id("year").fill("2025")
    chief.get_by_test_id("quarter").select_option("4")
    chief.get_by_test_id("share").fill("30")
    chief.get_by_test_id("seed").fill("42")
    chief.get_by_test_id("reviewer-b-worker").check()
    chief.get_by_test_id("reviewer-s-officer").check()
    with chief.expect_navigation():
        chief.get_by_test_id("draw-submit").click()
    assert chief.get_by_test_id("seed-value").inner_text() == "42"
    assert chief.get_by_test_id("round-status").inner_text() == "评查中"
    round_url = chief.url
    # 3 of town-a's 8 petitions, 1 of town-b's 3 cases, 1 of town-d's 2 clues.
    assert chief.get_by_test_id("result-town-a").locator("td").nth(1).inner_text() == "3"
    assert chief.locator("[data-testid^=item-]").count() == 5
    # The chief is no reviewer: no score form.
    assert chief.get_by_test_id("score-form").count() == 0

    reviewer = new_page(live_sqlite.url)
    login(reviewer, "b-worker")
    reviewer.goto(round_url)
    forms = reviewer.get_by_test_id("score-form")
    assert forms.count() == 4  # town-b's own case is not theirs to score
    first = reviewer.locator("[data-testid^=item-]").first
    # The case record is at hand.
    href = first.get_by_test_id("case-link").get_attribute("href")
    case_page = new_page(live_sqlite.url)
    login(case_page, "b-worker")
    case_page.goto(href)
    assert case_page.locator("h1").count() == 1 and "403" not in case_page.title()
    first.get_by_test_id("check-evidence").uncheck()
    first.get_by_test_id("comment").fill("证据不够充分")
    with one_request(reviewer):
        first.get_by_test_id("score").click()
    first = reviewer.locator("[data-testid^=item-]").first
    assert "不合格" in first.get_by_test_id("verdict").inner_text()
    assert first.get_by_test_id("needs-rectification").is_visible()
    items = reviewer.locator("[data-testid^=item-]")
    for i in range(1, items.count()):
        if items.nth(i).get_by_test_id("score-form").count():
            with one_request(reviewer):
                items.nth(i).get_by_test_id("score").click()
            assert "合格" in items.nth(i).get_by_test_id("verdict").inner_text()
    shot(reviewer, "quality-round")

    other = new_page(live_sqlite.url)
    login(other, "s-officer")
    other.goto(round_url)
    assert other.get_by_test_id("score-form").count() == 5  # s-officer may score every item
    town_b = other.locator("[data-testid^=item-]").filter(has_text="评查〔2025〕案件")
    with one_request(other):
        town_b.get_by_test_id("score").click()

    chief.goto(round_url)
    with one_request(chief):
        chief.get_by_test_id("notify").click()
    assert chief.get_by_test_id("round-status").inner_text() == "已通报"
    assert chief.get_by_test_id("result-town-a").locator("td").nth(4).inner_text() == "1"
    with chief.expect_download() as download:
        chief.get_by_test_id("notice-download").click()
    path = tmp_path / "notice.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    detail = [list(r) for r in book["评查明细"].iter_rows(values_only=True)]
    assert len(detail) == 6 and sum(1 for r in detail[1:] if r[11] == "不合格") == 1
    # The failed item's township has its rectification (daily supervision's), linked from it.
    opened = chief.get_by_test_id("rectification-opened")
    assert opened.count() == 1 and "已启动整改" in opened.inner_text()
    chief.set_viewport_size({"width": 1440, "height": 900})
    shot(chief, "quality-round-notice")
    chief.set_viewport_size({"width": 390, "height": 800})
    assert chief.evaluate("[...document.querySelectorAll('main > *')].every("
                          "e => e.getBoundingClientRect().right <= 390)")
    opened.scroll_into_view_if_needed()
    shot(chief, "quality-round-notice-390")
    chief.set_viewport_size({"width": 1440, "height": 900})
    with chief.expect_navigation():
        opened.get_by_test_id("finding-link").click()
    assert "证据不够充分" in chief.locator("main").inner_text()
    shot(chief, "quality-rectification-finding")
    chief.goto(round_url)
    # The dashboard shows the quarter's notice as given.
    chief.goto("/dashboard")
    assert "已通报" in chief.get_by_test_id("flag-quality").inner_text()
    # ... with its results per township, as on the round's page: town-a's failed item.
    town_a = chief.get_by_test_id("notice-result-town-a").locator("td")
    assert [town_a.nth(i).inner_text() for i in (0, 1, 3)] == ["甲镇纪委", "3", "1"]
    assert chief.locator("[data-testid^=notice-result-]").count() >= 2
    chief.set_viewport_size({"width": 390, "height": 800})
    assert chief.evaluate("document.querySelector('.notice-results').getBoundingClientRect()"
                          ".right <= 390")
    chief.get_by_test_id("flag-quality").screenshot(path="/tmp/notice-results-390.png")


def test_the_evaluation_page_links_each_figure_to_its_rows(live_sqlite, new_page):
    rt = live_sqlite.runtime
    _seeded(rt)
    page = new_page(live_sqlite.url)
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, "chief")
    page.goto("/evaluation?period=2025-H2")
    east = page.get_by_test_id("zone-zone-east")
    assert east.get_by_test_id("rank").inner_text().startswith("1")
    assert east.get_by_test_id("fig-zone-east-petitions_on_time").inner_text() == "75.0%"
    assert east.get_by_test_id("grade").inner_text() in ("优秀", "良好", "一般")
    page.get_by_test_id("manual-zone").select_option("zone-west")
    page.get_by_test_id("manual-score").fill("70")
    page.get_by_test_id("manual-comment").fill("案件卷宗整理滞后")
    with page.expect_navigation():
        page.get_by_test_id("manual-save").click()
    west = page.get_by_test_id("zone-zone-west")
    assert west.get_by_test_id("fig-zone-west-manual").inner_text() == "70.0"
    shot(page, "zone-evaluation")
    with page.expect_navigation():
        east.get_by_test_id("fig-zone-east-petitions_on_time").click()
    rows = page.get_by_test_id("row")
    assert rows.count() == 4
    assert rows.locator("a").count() == 4  # each row links to its case
    # Usable at 390 px: the table scrolls inside its own box; the page's content fits.
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/evaluation?period=2025-H2")
    fits = page.evaluate("[...document.querySelectorAll('main > *')].every("
                         "e => e.getBoundingClientRect().right <= 390)")
    assert fits
    page.get_by_test_id("manual-score").scroll_into_view_if_needed()
    assert page.get_by_test_id("manual-save").is_visible()
    shot(page, "zone-evaluation-390")


def test_village_committees_are_scored_by_their_township(live_sqlite, new_page):
    rt = live_sqlite.runtime
    from engine.cases.models import Case
    if rt.read(lambda uow: uow.session.scalar(
            select(Case.id).where(Case.number == "vc-C0001"))) is None:
        seed_committees(rt)
    page = new_page(live_sqlite.url)
    page.set_viewport_size({"width": 1440, "height": 900})
    login(page, "a-head")
    page.goto("/evaluation/committees?period=2025-Q4")
    east = page.get_by_test_id("committee-village-a-east")
    assert east.get_by_test_id("fig-village-a-east-petitions_on_time").inner_text() == "50.0%"
    assert page.get_by_test_id("committee-village-b-south").count() == 0  # not a-head's
    page.get_by_test_id("committee-manual-unit").select_option("village-a-east")
    page.get_by_test_id("committee-manual-score").fill("90")
    page.get_by_test_id("committee-manual-comment").fill("村务监督扎实")
    with page.expect_navigation():
        page.get_by_test_id("committee-manual-save").click()
    east = page.get_by_test_id("committee-village-a-east")
    assert east.get_by_test_id("fig-village-a-east-manual").inner_text() == "90.0"
    assert east.get_by_test_id("score").inner_text() == "81.0"
    assert east.get_by_test_id("grade").inner_text() == "良好"
    shot(page, "committee-evaluation")
    with page.expect_navigation():
        east.get_by_test_id("fig-village-a-east-petitions_on_time").click()
    rows = page.get_by_test_id("row")
    assert rows.count() == 2 and rows.locator("a").count() == 2  # each links to its case
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/evaluation/committees?period=2025-Q4")
    fits = page.evaluate("[...document.querySelectorAll('main > *')].every("
                         "e => e.getBoundingClientRect().right <= 390)")
    assert fits
    page.get_by_test_id("committee-manual-score").scroll_into_view_if_needed()
    assert page.get_by_test_id("committee-manual-save").is_visible()
    shot(page, "committee-evaluation-390")
    # The dashboard shows this quarter's committees (the demo's scores) and, for the county,
    # this half-year's zones; each links to its page.
    chief = new_page(live_sqlite.url)
    chief.set_viewport_size({"width": 1440, "height": 900})
    login(chief, "chief")
    chief.goto("/dashboard")
    board = chief.get_by_test_id("evaluation-board")
    assert board.get_by_test_id("board-zones").count() == 1
    assert "西村" in board.get_by_test_id("board-committees").inner_text()
    board.get_by_test_id("board-committees").scroll_into_view_if_needed()
    shot(chief, "dashboard-evaluation")
    with chief.expect_navigation():
        board.get_by_test_id("board-committees").locator("h3 a").click()
    assert chief.get_by_test_id("committees").is_visible()
