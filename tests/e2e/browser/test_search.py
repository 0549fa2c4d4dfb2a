"""The search box in a real browser (issue 21 point 2): typed in the top bar on any page, the
matches the user may see, one click to the case; at 1440 px and at 390 px."""
from __future__ import annotations

from engine.demo import _clue, _petition
from tests.e2e.browser.conftest import login, shot


def test_a_caseworker_finds_a_case_by_part_of_a_name_and_opens_it(live, new_page):
    content = "北村主任孙红梅把村集体果园低价承包给小舅子，承包款未入账。"
    clue = _clue(live.runtime, _petition(
        content=content, village="北村",
        accused=[{"name": "孙红梅", "post": "村委会主任", "unit": "北村村委会",
                  "level": "village"}]))
    for width, height, name in ((1440, 900, "search"), (390, 844, "search-phone")):
        page = new_page(live.url)
        page.set_viewport_size({"width": width, "height": height})
        login(page, "a-head")
        box = page.get_by_test_id("search-box")
        box.fill("红梅 果园")
        with page.expect_navigation():
            box.press("Enter")
        hits = page.get_by_test_id("search-hits").locator("li.hit")
        assert hits.count() >= 2  # the petition, its clue (and the case, by its accused)
        assert "孙红梅" in hits.first.inner_text()
        assert "王小明" not in page.content()  # the reporter is never shown nor searched
        shot(page, name)
        with page.expect_navigation():
            hits.locator(f'a[href="/cases/{clue.case_id}"]').first.click()
        assert page.url.endswith(f"/cases/{clue.case_id}")

    # Another township's caseworker: nothing, said in words.
    page = new_page(live.url)
    login(page, "b-worker")
    page.get_by_test_id("search-box").fill("孙红梅")
    with page.expect_navigation():
        page.get_by_test_id("search-box").press("Enter")
    assert page.get_by_test_id("search-empty").inner_text().startswith("在您有权查看的范围内没有找到")
