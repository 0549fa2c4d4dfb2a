"""The statistics dashboard in a real browser: pickers, figures and ECharts charts, the flags,
and each ledger exported in the background with its progress, downloaded and opened with
openpyxl (the export action is one POST followed by polling the job)."""
from __future__ import annotations

from datetime import datetime, UTC

import openpyxl

from engine.clues.models import Clue
from engine.org import service as org
from engine.org.models import Unit
from engine.petitions import service as petitions
from engine.reports import service as reports
from tests.conftest import FROZEN
from tests.e2e.browser.conftest import login, shot

# June 2025: a month no other browser test writes into.
JUNE = datetime(2025, 6, 10, 1, 0, tzinfo=UTC)
ACCUSED = [{"name": "周九", "post": "村委会主任", "unit": "庚村村委会", "level": "village"}]


def june_items(rt) -> tuple[list[str], list[str]]:
    """Two petitions received and two inspection clues registered in June 2025; their numbers."""
    rt.clock.set(JUNE)
    try:
        def work(uow):
            clerk = org.get_user(uow.session, "clerk")
            numbers = []
            for day, reporter in ((3, {"anonymous": False, "name": "王小明",
                                        "phone": "13812345678"}), (5, {"anonymous": True})):
                numbers.append(petitions.register(uow, runtime=rt, user=clerk, fields={
                    "channel": "letter", "received_at": datetime(2025, 6, day, 2, 0,
                                                                 tzinfo=UTC),
                    "reporter": reporter, "accused": ACCUSED, "township": "town-f",
                    "village": "庚村", "category": "welfare_funds",
                    "content": "庚村村委会主任周九截留危房改造补助。"}).display_number)
            town = uow.session.query(Unit.id).filter(Unit.code == "town-f").scalar()
            clues = [Clue(number=f"town-f-2025-L9{i:05d}", source="inspection", status="pending",
                          unit_id=town, accused_name="周九", accused_post="村会计",
                          accused_unit="庚村村委会", accused_level="village",
                          summary="巡察发现账目不清", disposition_reason="", closed_reason="",
                          key_verification=False, created_at=datetime(2025, 6, 10 + i, 2, 0,
                                                                      tzinfo=UTC),
                          updated_at=JUNE) for i in (1, 2)]
            uow.session.add_all(clues)
            return numbers, [c.number for c in clues]
        return rt.transact(work)
    finally:
        rt.clock.set(FROZEN)


def export(page, kind: str, tmp_path) -> list[list]:
    """Build one ledger from the page, wait for its link, download it, read its rows."""
    page.get_by_test_id(f"build-{kind}").click()
    link = page.get_by_test_id(f"download-{kind}")
    # The ledger job is taken before any dossier the engine queued itself, but waits for a job
    # another test left running, if any.
    link.wait_for(state="visible", timeout=60_000)
    progress = page.get_by_test_id(f"progress-{kind}")
    value, top = progress.evaluate("p => [p.value, p.max]")
    assert value == top > 0, (value, top)  # every row written
    with page.expect_download() as download:
        link.click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.suffix == ".xlsx"
    (sheet,) = openpyxl.load_workbook(path).worksheets
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_dashboard_shows_the_figures_and_exports_each_ledger(live, new_page, tmp_path):
    rt = live.runtime
    petition_numbers, clue_numbers = june_items(rt)
    page = new_page(live.url)
    login(page, "chief")
    page.goto("/dashboard")
    assert page.get_by_test_id("unit").input_value() == "county"
    # A custom period: June 2025.
    page.get_by_test_id("period-kind").select_option("custom")
    page.get_by_test_id("from").fill("2025-06-01")
    page.get_by_test_id("to").fill("2025-06-30")
    with page.expect_navigation():
        page.get_by_test_id("show").click()
    assert "2025-06-01 – 2025-06-30" in page.get_by_test_id("period").inner_text()
    # Both petitions, first-time, not yet classified: nothing else in June 2025.
    assert page.get_by_test_id("fig-petitions").inner_text() == "2"
    assert page.get_by_test_id("fig-clues").inner_text() == "0"
    for name in ("units", "channel", "category"):
        assert page.locator(f"[data-chart={name}] svg").count() == 1
    assert page.get_by_test_id("flags").is_visible()
    shot(page, "dashboard")

    rows = export(page, "petition-register", tmp_path)
    assert rows[0][:5] == ["序号", "信访件编号", "收件日期", "来源渠道", "举报人"]
    assert [r[:2] for r in rows[1:]] == [[1, petition_numbers[0]], [2, petition_numbers[1]]]
    assert [r[4] for r in rows[1:]] == ["王**", "匿名"] and "13812345678" not in str(rows)

    rows = export(page, "clue-ledger", tmp_path)
    assert rows[0][:3] == ["序号", "线索编号", "受理日期"]
    assert [r[:2] for r in rows[1:]] == [[1, clue_numbers[0]], [2, clue_numbers[1]]]

    rows = export(page, "monthly-report", tmp_path)
    expected = rt.read(lambda uow: [
        u.name for u in (lambda tree: [tree.get("county"), *tree.children(tree.get("county"))])(
            reports.Tree(uow.session))])
    assert rows[0][:3] == ["序号", "单位", "信访件次"]
    assert [r[:2] for r in rows[1:]] == [[i + 1, name] for i, name in enumerate(expected)]
    assert rows[1][2] == 2  # the county's petitions in June 2025
    shot(page, "dashboard-ledgers")


def test_a_township_caseworker_sees_only_its_unit(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    login(page, "a-worker")
    page.goto("/dashboard")
    options = page.get_by_test_id("unit").locator("option").all_inner_texts()
    assert [o.strip() for o in options] == ["甲镇纪委"]
    assert page.get_by_test_id("ledger-petition-register").is_visible()
