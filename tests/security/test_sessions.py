"""Sessions end server-side; login throttling per account name and source; the password policy
and the change at next login; no forged cookies; no-store on pages (issue 16)."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from engine.audit.models import AuditEvent
from engine.org import service as org
from engine.org.models import ApiToken, LoginAttempt, User


def _csrf(client, path="/login") -> str:
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _page_csrf(client) -> str:
    page = client.get("/notifications").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _login(client, username, password="demo", source="10.0.0.1", **extra):
    client.environ_base["REMOTE_ADDR"] = source
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": _csrf(client), **extra})


def _logged_in(client) -> bool:
    return client.get("/notifications").status_code == 200


def _copy_cookies(src, dst) -> None:
    for cookie in src._cookies.values():
        dst.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _actions(runtime, actor=None) -> list[str]:
    stmt = select(AuditEvent.action).order_by(AuditEvent.id)
    if actor:
        stmt = stmt.where(AuditEvent.actor == actor)
    return runtime.read(lambda uow: list(uow.session.scalars(stmt)))


def _user(runtime, name) -> User:
    return runtime.read(lambda uow: uow.session.scalar(select(User).where(User.username == name)))


# --------------------------------------------------------------------------- forged cookies

@pytest.mark.parametrize("secret", ["change-me-in-production", ""])
def test_a_cookie_signed_with_the_shipped_secret_opens_nothing(app, runtime, secret):
    """The way Flask signs sessions, with the secret config.yaml used to ship (and with none)."""
    admin_id = _user(runtime, "admin").id
    forger = Flask("forger")
    forger.secret_key = secret or "x"
    serializer = forger.session_interface.get_signing_serializer(forger)
    cookie = serializer.dumps({"user_id": admin_id, "gen": 0})
    client = app.test_client()
    client.set_cookie("cluedesk", cookie)
    assert client.get("/admin").status_code == 302  # to the login page
    assert client.get("/api/v1/admin/users").status_code == 401
    # The same forgery with the real secret would work: the test forges the right thing.
    real = app.session_interface.get_signing_serializer(app).dumps({"user_id": admin_id,
                                                                    "gen": 0})
    client.set_cookie("cluedesk", real)
    assert client.get("/admin").status_code == 200


def test_the_app_refuses_an_empty_or_published_secret(runtime):
    from engine.config import ConfigError, load_settings
    from engine.runtime import Runtime
    from web import create_app
    for value in ("", "change-me-in-production"):
        rt = Runtime(load_settings({"database": {"url": runtime.settings.database.url},
                                    "server": {"secret_key": value}}),
                     engine=runtime.engine, connection=runtime.connection, clock=runtime.clock)
        with pytest.raises(ConfigError, match="secret_key"):
            create_app(runtime=rt)


# --------------------------------------------------------------------------- session generation

def test_logout_ends_a_copied_cookie_too(app):
    client, thief = app.test_client(), app.test_client()
    assert _login(client, "a-worker").status_code == 302
    _copy_cookies(client, thief)
    assert _logged_in(thief)
    assert client.post("/logout", data={"csrf_token": _page_csrf(client)}).status_code == 302
    assert not _logged_in(client) and not _logged_in(thief)


def test_a_password_change_ends_other_sessions_and_revokes_api_tokens(app, runtime, api):
    here, elsewhere = app.test_client(), app.test_client()
    _login(here, "a-worker")
    _login(elsewhere, "a-worker", source="10.0.0.2")
    assert api.as_("a-worker").get("/notifications").status == 200
    resp = here.post("/password", data={"current": "demo", "password": "Lanterns-over-river-9",
                                        "confirm": "Lanterns-over-river-9",
                                        "csrf_token": _page_csrf(here)})
    assert resp.status_code == 302
    assert _logged_in(here)  # this browser continues under the new generation
    assert not _logged_in(elsewhere)
    assert api.as_("a-worker").get("/notifications").status == 401
    assert "user_password_changed" in _actions(runtime, "a-worker")
    assert _login(app.test_client(), "a-worker", "Lanterns-over-river-9").status_code == 302


def test_an_administrators_reset_ends_sessions_revokes_tokens_and_asks_for_a_new_one(
        app, runtime, api):
    client = app.test_client()
    _login(client, "b-worker")
    assert api.as_("b-worker").get("/notifications").status == 200
    assert api.as_("admin").post("/admin/users/b-worker/password",
                                 json={"password": "Temporary-pass-2026"}).status == 200
    assert not _logged_in(client)
    assert api.as_("b-worker").get("/notifications").status == 401  # the reset cleared the cache
    revoked = runtime.read(lambda uow: list(uow.session.scalars(
        select(ApiToken.revoked_at).join(User).where(User.username == "b-worker"))))
    assert revoked and all(revoked)
    resp = _login(client, "b-worker", "Temporary-pass-2026", next="/notifications")
    assert resp.headers["Location"].startswith("/password")


def test_a_role_change_and_a_deactivation_end_sessions_at_once(app, api):
    worker, other = app.test_client(), app.test_client()
    _login(worker, "a-worker")
    _login(other, "c-worker")
    assert api.as_("admin").patch("/admin/users/a-worker",
                                  json={"roles": ["caseworker", "intake_clerk"]}).status == 200
    assert not _logged_in(worker)
    assert _logged_in(other)  # only that user's sessions
    _login(worker, "a-worker")
    assert _logged_in(worker)
    assert api.as_("admin").post("/admin/users/c-worker/deactivate", json={}).status in (200, 409)


def test_deactivation_ends_the_session(app, api, runtime):
    client = app.test_client()
    _login(client, "reviewer-civil")
    assert _logged_in(client)
    resp = api.as_("admin").post("/admin/users/reviewer-civil/deactivate", json={})
    assert resp.status == 200, resp.text
    assert not _logged_in(client)
    assert _user(runtime, "reviewer-civil").session_generation == 1


# --------------------------------------------------------------------------- throttling

def test_failures_from_one_source_make_that_source_wait_not_the_user_elsewhere(app, runtime):
    attacker = app.test_client()
    for _ in range(5):
        assert "用户名或密码错误" in _login(attacker, "admin", "guess", source="203.0.113.7"
                                              ).get_data(as_text=True)
    page = _login(attacker, "admin", "demo", source="203.0.113.7").get_data(as_text=True)
    assert re.search(r"登录失败次数过多，请 \d+ 秒后再试", page)  # even the right password
    assert not _logged_in(attacker)
    # The administrator, from their own address, is not locked out.
    assert _login(app.test_client(), "admin", "demo", source="10.1.1.1").status_code == 302
    actions = _actions(runtime, "admin")
    assert actions.count("login_failed") == 5 and "login_throttled" in actions
    assert "login_refused" in actions
    # A delay, not a lock: once it has passed the source may try again.
    runtime.transact(lambda uow: uow.session.execute(
        update(LoginAttempt).values(wait_until=runtime.clock.wall() - timedelta(seconds=1))))
    assert _login(attacker, "admin", "demo", source="203.0.113.7").status_code == 302


def test_the_answers_do_not_tell_whether_an_account_exists(app):
    def answers(name):
        client = app.test_client()
        pages = [_login(client, name, "guess", source="198.51.100.4").get_data(as_text=True)
                 for _ in range(6)]
        return [re.sub(r"\d+ 秒", "N 秒", re.sub(r'(value|content)="[^"]*"', "", p)) for p in pages]
    assert answers("a-head") == answers("no-such-user")


def test_the_delay_doubles_and_is_capped(runtime):
    now = runtime.clock.wall()
    waits = []
    for _ in range(12):
        runtime.transact(lambda uow: org.login(uow.session, username="ghost", password="x",
                                               now=now, source="s", max_failures=5,
                                               lock_minutes=15))
        row = runtime.read(lambda uow: uow.session.scalar(select(LoginAttempt)))
        waits.append(int((row.wait_until - now).total_seconds()) if row.wait_until else 0)
        runtime.transact(lambda uow: uow.session.execute(update(LoginAttempt).values(
            wait_until=None)))
    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


# --------------------------------------------------------------------------- password policy

@pytest.mark.parametrize("password,reason", [
    ("short-pw", "password_too_short"), ("ClerkClerk", "password_is_username"),
    ("1q2w3e4r5t", "password_too_common"), ("QWERTYUIOP", "password_too_common")])
def test_the_password_policy(password, reason):
    problem = org.password_problem(password, username="clerkclerk")
    assert problem is not None and problem.reason == reason and "password" in problem.fields
    assert org.password_problem("Lanterns-over-river-9", username="clerkclerk") is None


def test_the_common_password_list_ships_with_its_source_and_licence():
    from engine.org.service import _COMMON_FILE, _common_passwords
    head = _COMMON_FILE.read_text(encoding="utf-8")[:2000]
    assert "zxcvbn" in head and "MIT License" in head
    assert len(_common_passwords()) > 1000


def test_administrators_may_not_set_weak_passwords(api):
    admin = api.as_("admin")
    resp = admin.post("/admin/users/clerk/password", json={"password": "abcd"})
    assert resp.status == 422 and resp.json["error"]["fields"] == {"password": ["too short"]}
    resp = admin.post("/admin/users", json={"username": "clerk9", "display_name": "x",
                                            "unit": "town-a", "roles": ["intake_clerk"],
                                            "password": "1234567890"})
    assert resp.status == 422 and "common" in resp.json["error"]["message"]


@pytest.mark.parametrize("settings_overrides", [{"server": {"demo": False}}])
def test_a_weak_password_must_be_changed_at_next_login(app, runtime):
    client = app.test_client()
    resp = _login(client, "clerk", next="/notifications")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/password")
    assert _user(runtime, "clerk").must_change_password
    # Every page leads to the change first; the API through this session is refused.
    assert client.get("/inbox").headers["Location"].startswith("/password")
    refused = client.get("/api/v1/notifications")
    assert refused.status_code == 403
    page = client.get("/password").get_data(as_text=True)
    assert "修改密码" in page and "继续之前必须修改密码" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    weak = client.post("/password", data={"current": "demo", "password": "clerk",
                                          "confirm": "clerk", "csrf_token": token})
    assert weak.status_code == 200 and "密码至少需要 10 个字符" in weak.get_data(as_text=True)
    common = client.post("/password", data={"current": "demo", "password": "qwertyuiop",
                                            "confirm": "qwertyuiop", "csrf_token": token})
    assert "最常见的密码" in common.get_data(as_text=True)
    wrong = client.post("/password", data={"current": "nope", "password": "Lanterns-over-9",
                                           "confirm": "Lanterns-over-9", "csrf_token": token})
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    done = client.post("/password", data={"current": "demo", "password": "Lanterns-over-9",
                                          "confirm": "Lanterns-over-9", "csrf_token": token,
                                          "next": "/notifications"})
    assert done.status_code == 302 and done.headers["Location"] == "/notifications"
    assert _logged_in(client) and not _user(runtime, "clerk").must_change_password


def test_in_demo_mode_the_demo_users_keep_demo(app, runtime):
    assert _login(app.test_client(), "clerk").headers["Location"] == "/"
    assert not _user(runtime, "clerk").must_change_password


# --------------------------------------------------------------------------- caching

def test_pages_shown_to_a_user_are_never_stored(app):
    client = app.test_client()
    _login(client, "a-worker")
    for path in ("/inbox", "/notifications", "/"):
        resp = client.get(path)
        assert resp.headers["Cache-Control"] == "no-store", path
    assert client.get("/static/app.css").headers.get("Cache-Control") != "no-store"
