"""The intake form in a real browser: likely repeats shown while typing (one debounced request),
registration in one request, an attachment uploaded on the result panel, then the case page."""
from __future__ import annotations

import re

from engine.demo import _petition, _register

CONTENT = "西村村委会主任周九强占村民宅基地，并收受好处费。"


def test_intake_shows_a_repeat_before_saving_and_uploads_an_attachment(live, new_page):
    from tests.e2e.browser.conftest import login, one_request, shot
    petition_id, case_id = _register(live.runtime, _petition(
        content=CONTENT, village="西村",
        accused=[{"name": "周九", "post": "村委会主任", "unit": "西村村委会", "level": "village"}]))
    page = new_page(live.url)
    login(page, "clerk")
    page.goto("/intake")
    page.get_by_test_id("channel").select_option("visit")
    page.locator("input[name=accused_name]").fill("周九")
    page.locator("input[name=accused_post]").fill("村委会主任")
    page.get_by_test_id("township").select_option("town-a")
    page.locator("input[name=village]").fill("西村")
    before = len(page.watched.requests)
    # One input event (a loaded machine can pause longer than the debounce between keystrokes).
    page.get_by_test_id("content").fill(CONTENT)
    page.wait_for_selector("[data-testid=repeat-candidate]")
    page.wait_for_load_state("networkidle")
    checks = [r for r in page.watched.requests[before:] if "/intake/repeat-check" in r]
    assert len(checks) == 1, checks  # typing the content fired one check, after the pause
    first = page.get_by_test_id("repeat-candidate").first
    assert first.locator(f"a[href='/cases/{case_id}']").count() == 1
    page.get_by_test_id("reporter-name").fill("陈十")
    shot(page, "intake")

    with one_request(page):
        page.get_by_test_id("register").click()
    result = page.get_by_test_id("intake-result")
    assert re.search(r"信访室〔\d{4}〕信访\d+号", result.inner_text())

    page.get_by_test_id("file").set_input_files(files=[{
        "name": "来信扫描件.pdf", "mimeType": "application/pdf",
        "buffer": b"%PDF-1.4\n% scanned letter\n"}])
    with one_request(page):
        page.get_by_test_id("attach").click()
    assert page.get_by_test_id("attachment").inner_text().startswith("来信扫描件.pdf")

    page.get_by_test_id("case-link").click()
    page.wait_for_selector(".diagram[data-state=ready]")
    assert page.locator("[data-testid=petition]").count() == 1
    assert "陈十" not in page.content()  # masked on the case page


def test_a_refused_registration_keeps_what_was_typed(live_sqlite, new_page):
    from tests.e2e.browser.conftest import login, one_request
    page = new_page(live_sqlite.url)
    login(page, "clerk")
    page.goto("/intake")
    page.locator("input[name=accused_name]").fill("吴十一")
    page.get_by_test_id("content").fill("反映吴十一问题。")
    with one_request(page):
        page.get_by_test_id("register").click()  # real name, but no name given
    assert page.get_by_test_id("error-reporter.name").is_visible()
    assert page.locator("input[name=accused_name]").input_value() == "吴十一"
    page.get_by_test_id("anonymous").check()
    assert page.get_by_test_id("reporter-name").is_hidden()
    with one_request(page):
        page.get_by_test_id("register").click()
    page.wait_for_selector("[data-testid=intake-result]")
