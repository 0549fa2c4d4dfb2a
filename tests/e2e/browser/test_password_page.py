"""The password change at next login, in Chinese, on a 390 px wide phone screen (issue 16)."""
from engine.org import service as org
from engine.org.models import User
from tests.e2e.browser.conftest import shot


def test_a_reset_password_is_changed_at_next_login_on_a_phone(live_sqlite, new_page):
    rt = live_sqlite.runtime

    def reset(uow):
        admin = org.get_user(uow.session, "admin")
        from engine.admin import service as admin_service
        admin_service.set_password(uow.session, rt, actor=admin, username="reviewer-law",
                                   password="Given-by-admin-2026")
    rt.transact(reset)
    page = new_page(live_sqlite.url)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/login")
    page.fill("input[name=username]", "reviewer-law")
    page.fill("input[name=password]", "Given-by-admin-2026")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "/password" in page.url
    assert page.locator("h1").inner_text() == "修改密码"
    assert "继续之前必须修改密码" in page.get_by_test_id("password-required").inner_text()
    # Nothing sticks out sideways on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("input[name=current]", "Given-by-admin-2026")
    page.fill("input[name=password]", "reviewer-law")
    page.fill("input[name=confirm]", "reviewer-law")
    page.click("button[type=submit].primary")
    assert page.get_by_test_id("error-password").inner_text() == "密码不能与用户名相同。"
    page.fill("input[name=current]", "Given-by-admin-2026")
    page.fill("input[name=password]", "Qingshan-river-77")
    page.fill("input[name=confirm]", "Qingshan-river-7")
    page.click("button[type=submit].primary")
    assert page.get_by_test_id("error-confirm").inner_text() == "两次输入的新密码不一致。"
    shot(page, "password-change-phone")
    page.fill("input[name=current]", "Given-by-admin-2026")
    page.fill("input[name=password]", "Qingshan-river-77")
    page.fill("input[name=confirm]", "Qingshan-river-77")
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert "/password" not in page.url and "/login" not in page.url
    user = rt.read(lambda uow: uow.session.get(User, org.get_user(uow.session,
                                                                  "reviewer-law").id))
    assert not user.must_change_password
