"""Who is calling: a Bearer token (API) or the login session (pages)."""
from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect

from engine.errors import Forbidden, Unauthorized
from engine.org import service as org
from engine.org.models import User
from engine.runtime import Runtime

PUBLIC = {"api.health", "api.openapi"}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
csrf = CSRFProtect()


def runtime() -> Runtime:
    return current_app.extensions["cluedesk"]


def current_user() -> User:
    user = g.get("user")
    if user is None:
        raise Unauthorized("authentication required", reason="login_required")
    return user


def register(app: Flask) -> None:
    # Every form and every page action carries the CSRF token (pages: a hidden field or the
    # X-CSRFToken header set by app.js). The API is exempt only for Bearer-token callers: a
    # browser session calling the API must send the token too.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)

    @app.before_request
    def _authenticate():
        g.user = None
        header = request.headers.get("Authorization", "")
        rt = runtime()
        bearer = header.lower().startswith("bearer ")
        g.by_token = bearer  # an outside tool: the API's English messages, never localized
        if bearer:
            g.user = _token_user(rt, header[7:].strip())
        elif session.get("user_id"):
            g.user = _session_user(rt)
        api = bool(request.endpoint and request.endpoint.startswith("api."))
        if api and request.endpoint not in PUBLIC and g.user is None:
            raise Unauthorized("authentication required: send Authorization: Bearer <token>",
                               reason="token_required")
        if api and not bearer and g.user is not None and g.user.must_change_password:
            raise Forbidden("change your password first", reason="password_change_required")
        if not bearer and request.method not in SAFE_METHODS:
            csrf.protect()


def _session_user(rt: Runtime) -> User | None:
    """The session's user while the session is current: the user is active and the session was
    issued under their present generation (logout, a password change or reset, deactivation or
    a change of roles raises it: every older session ends at once). Otherwise the session is
    cleared."""
    user = rt.read(lambda uow: _detach(uow.session.get(User, session["user_id"])))
    if user is None or not user.active or session.get("gen") != user.session_generation:
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        return None
    return user


def start_session(user: User) -> None:
    """A fresh session (and CSRF token) for the user: no fixation; the interface language is
    kept."""
    lang = session.get("lang")
    session.clear()
    session.permanent = True
    session["user_id"] = user.id
    session["gen"] = user.session_generation
    if lang:
        session["lang"] = lang


def _token_user(rt: Runtime, token: str) -> User:
    """The token's user; kept for a few seconds so a request costs no extra transaction.
    A revoked token or deactivated user stops working within `server.token_cache_seconds`."""
    ttl = float(rt.settings.get("server", "token_cache_seconds"))
    now = rt.clock.wall().timestamp()
    cached = rt.token_cache.get(token)
    if cached is not None and cached[0] > now:
        return cached[1]
    user = rt.read(lambda uow: _detach(org.user_for_token(uow.session, token)))
    if ttl > 0:
        rt.token_cache.put(token, (now + ttl, user))
    return user


def _detach(user: User | None) -> User | None:
    if user is not None:
        _ = user.roles, user.unit  # load what services read before the session closes
    return user
