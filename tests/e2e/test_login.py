"""Browser sessions: login, throttling, CSRF, cookies, no open redirect (through the test client)."""
import re

import pytest
from sqlalchemy import select

from engine.audit.models import AuditEvent


def _csrf(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, username, password="demo", **extra):
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _csrf(client), **extra})


def test_login_sets_a_protected_session_cookie_and_logout_ends_it(app):
    client = app.test_client()
    resp = _login(client, "a-worker")
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/notifications").status_code == 200
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      client.get("/notifications").get_data(as_text=True)).group(1)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/notifications").headers["Location"].startswith("/login")


@pytest.mark.parametrize("settings_overrides", [{"server": {"cookie_secure": True}}])
def test_behind_tls_the_cookie_is_secure_and_host_bound(app):
    cookie = _login(app.test_client(), "a-worker").headers["Set-Cookie"]
    assert cookie.startswith("__Host-cluedesk=") and "Secure" in cookie


def test_a_form_without_the_csrf_token_is_refused(app):
    client = app.test_client()
    resp = client.post("/login", data={"username": "a-worker", "password": "demo"})
    assert resp.status_code == 400 and "页面已过期，请刷新后重试。" in resp.get_data(as_text=True)
    assert client.get("/notifications").status_code == 302  # not logged in


def test_a_session_calling_the_api_needs_the_csrf_token_a_bearer_token_does_not(app, api):
    client = app.test_client()
    _login(client, "clerk")
    assert client.get("/api/v1/notifications").status_code == 200  # reads are fine
    refused = client.post("/api/v1/petitions/repeat-check", json={"content": "x"})
    assert refused.status_code == 400 and "CSRF" in refused.json["error"]["message"]
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      client.get("/notifications").get_data(as_text=True)).group(1)
    allowed = client.post("/api/v1/petitions/repeat-check", json={"content": "x"},
                          headers={"X-CSRFToken": token})
    assert allowed.status_code != 400 or "CSRF" not in allowed.get_data(as_text=True)
    assert api.as_("clerk").post("/api/v1/petitions/repeat-check",
                                 json={"content": "x"}).status != 400


def test_five_failures_make_that_source_wait_even_for_the_right_password(app, runtime):
    client = app.test_client()
    for _ in range(5):
        page = _login(client, "a-worker2", "wrong").get_data(as_text=True)
        assert "用户名或密码错误" in page
    page = _login(client, "a-worker2", "demo").get_data(as_text=True)
    assert "登录失败次数过多" in page
    assert client.get("/notifications").status_code == 302
    actions = runtime.read(lambda uow: [e.action for e in uow.session.scalars(
        select(AuditEvent).where(AuditEvent.actor == "a-worker2").order_by(AuditEvent.id))])
    assert actions.count("login_failed") == 5 and "login_throttled" in actions
    assert actions[-1] == "login_refused"
    # Another account is not affected (tests/security/test_sessions.py: nor another source).
    assert _login(app.test_client(), "a-worker").status_code == 302


def test_a_success_resets_the_failure_count(app):
    client = app.test_client()
    for _ in range(4):
        _login(client, "b-worker", "wrong")
    assert _login(client, "b-worker").status_code == 302
    other = app.test_client()
    for _ in range(4):
        _login(other, "b-worker", "wrong")
    assert _login(other, "b-worker").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_login_never_redirects_off_site(app, target):
    resp = _login(app.test_client(), "a-worker", next=target)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_login_returns_to_the_page_asked_for(app):
    resp = _login(app.test_client(), "a-worker", next="/notifications")
    assert resp.headers["Location"] == "/notifications"


def test_a_deactivated_user_loses_the_session(app, runtime):
    client = app.test_client()
    _login(client, "d-worker")
    assert client.get("/notifications").status_code == 200
    from engine.org.models import User
    runtime.transact(lambda uow: setattr(uow.session.scalar(
        select(User).where(User.username == "d-worker")), "active", False))
    assert client.get("/notifications").status_code == 302


def test_pages_speak_chinese_by_default_and_english_on_request(app):
    assert "登录" in app.test_client().get("/login").get_data(as_text=True)
    english = app.test_client().get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Log in" in english.get_data(as_text=True)


def test_a_hash_from_an_earlier_release_still_logs_in_and_is_renewed(app, runtime):
    """Earlier releases hashed with argon2-cffi's defaults (64 MiB, three passes, four lanes):
    such a password still logs in, and the login stores it again with today's parameters (a
    wrong password leaves the stored hash alone)."""
    from argon2 import PasswordHasher
    from engine.org.models import User

    def set_hash(uow):
        user = uow.session.scalar(select(User).where(User.username == "a-worker"))
        user.password_hash = PasswordHasher(time_cost=3, memory_cost=65536,
                                            parallelism=4).hash("demo")
    runtime.transact(set_hash)

    def stored():
        return runtime.read(lambda uow: uow.session.scalar(
            select(User.password_hash).where(User.username == "a-worker")))
    assert stored().startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert _login(app.test_client(), "a-worker", "not-the-password").status_code == 200
    assert stored().startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert _login(app.test_client(), "a-worker").status_code == 302
    renewed = stored()
    assert renewed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert _login(app.test_client(), "a-worker").status_code == 302
    assert stored() == renewed  # renewed once, not at every login
