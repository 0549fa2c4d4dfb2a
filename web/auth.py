"""Who is calling: a Bearer token (API) or the login session (pages)."""
from __future__ import annotations

from flask import Flask, current_app, g, request, session

from engine.errors import Unauthorized
from engine.org import service as org
from engine.org.models import User
from engine.runtime import Runtime

PUBLIC = {"api.health", "api.openapi"}


def runtime() -> Runtime:
    return current_app.extensions["cluedesk"]


def current_user() -> User:
    user = g.get("user")
    if user is None:
        raise Unauthorized("authentication required")
    return user


def register(app: Flask) -> None:
    @app.before_request
    def _authenticate():
        g.user = None
        header = request.headers.get("Authorization", "")
        rt = runtime()
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
            g.user = rt.read(lambda uow: _detach(org.user_for_token(uow.session, token)))
        elif session.get("user_id"):
            g.user = rt.read(lambda uow: _detach(uow.session.get(User, session["user_id"])))
        if request.endpoint and request.endpoint.startswith("api.") and \
                request.endpoint not in PUBLIC and g.user is None:
            raise Unauthorized("authentication required: send Authorization: Bearer <token>")


def _detach(user: User | None) -> User | None:
    if user is not None:
        _ = user.roles, user.unit  # load what services read before the session closes
    return user
