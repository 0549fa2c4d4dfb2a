"""The login page in a real browser: language, wrong password, logout."""
from tests.e2e.browser.conftest import login, one_request, shot


def test_login_in_chinese_switch_to_english_and_log_out(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    page.goto("/")
    assert "/login" in page.url and page.locator("h1").inner_text() == "登录"
    page.fill("input[name=username]", "a-worker")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit].primary")
    assert page.get_by_test_id("login-error").inner_text() == "用户名或密码错误。"
    shot(page, "login")
    login(page, "a-worker")
    assert "甲镇承办人" in page.get_by_test_id("who").inner_text()
    page.click("button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    page.click("text=Log out")
    assert "/login" in page.url
    page.goto("/notifications")
    assert "/login" in page.url  # the session is gone


def test_an_error_page_is_shown_in_the_page_not_as_json(live_sqlite, new_page):
    page = new_page(live_sqlite.url)
    login(page, "clerk")
    with one_request(page):
        response = page.goto("/no-such-page")
    assert response.status == 404
    assert page.get_by_test_id("error").get_attribute("data-code") == "not_found"
    assert all("404" in e for e in page.watched.errors)
    page.watched.errors.clear()  # the browser logs the 404 this test asked for
