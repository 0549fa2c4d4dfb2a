"""Who is calling: a Bearer token (API) or the login session (pages)."""
from __future__ import annotations

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect

from engine.errors import Unauthorized
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
        raise Unauthorized("authentication required")
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
            user = rt.read(lambda uow: _detach(uow.session.get(User, session["user_id"])))
            g.user = user if user is not None and user.active else None
        if request.endpoint and request.endpoint.startswith("api.") and \
                request.endpoint not in PUBLIC and g.user is None:
            raise Unauthorized("authentication required: send Authorization: Bearer <token>")
        if not bearer and request.method not in SAFE_METHODS:
            csrf.protect()


def _token_user(rt: Runtime, token: str) -> User:
    """The token's user; kept for a few seconds so a request costs no extra transaction.
    A revoked token or deactivated user stops working within `server.token_cache_seconds`."""
    ttl = float(rt.settings.get("server", "token_cache_seconds", default=10))
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
