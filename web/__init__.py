"""The Flask application factory. Nothing connects or starts a scheduler at import time."""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, g, request
from werkzeug.routing import IntegerConverter

from engine.runtime import Runtime

MAX_ID = 2**63 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in routes: ids are 64-bit, so a longer number names nothing (404) instead of
    overflowing the database driver (500)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(overrides: dict[str, Any] | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Build the app; never starts a scheduler (only `serve` and `scheduler` do)."""
    runtime = runtime or Runtime.from_config(overrides)
    from engine.config import DEFAULT_SECRETS, ConfigError
    if str(runtime.settings.get("server", "secret_key") or "").strip().lower() \
            in DEFAULT_SECRETS:
        # Anyone who knows a published secret signs a session cookie for any user.
        raise ConfigError("server.secret_key is empty or a published default: set "
                          "CLUEDESK_SERVER_SECRET_KEY or run `cluedesk init-secrets`")
    app = Flask(__name__)
    app.url_map.converters["int"] = IdConverter
    settings = runtime.settings
    secure = bool(settings.get("server", "cookie_secure"))
    app.config.update(SECRET_KEY=settings.server.secret_key,
                      MAX_CONTENT_LENGTH=int(settings.get(
                          "server", "max_upload_bytes", default=25 * 1024 * 1024)),
                      JSON_SORT_KEYS=False,
                      # The session cookie: never readable by scripts, not sent cross-site,
                      # HTTPS-only (and __Host- bound to this host) when served over TLS.
                      SESSION_COOKIE_NAME="__Host-cluedesk" if secure else "cluedesk",
                      SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      SESSION_COOKIE_SECURE=secure,
                      PERMANENT_SESSION_LIFETIME=timedelta(
                          hours=float(settings.get("server", "session_hours"))),
                      WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=secure)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["cluedesk"] = runtime
    logging.getLogger("cluedesk").setLevel(logging.INFO)

    from web import auth, errors, i18n, ui
    from web.api import bp as api_bp
    errors.register(app)
    i18n.register(app)
    auth.register(app)
    app.register_blueprint(api_bp)
    ui.register(app)

    @app.after_request
    def _security_headers(response):
        # Every script and style is served by cluedesk itself (intranets, no CDN).
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; "
                                    # bpmn-js and ECharts set style attributes on SVG nodes.
                                    "style-src 'self' 'unsafe-inline'; "
                                    "object-src 'none'; frame-ancestors 'none'; base-uri 'self'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        # JSON, and anything shown to a logged-in user (case data): never kept by a browser or a
        # proxy cache (a shared computer's back button, a disk cache).
        if response.mimetype == "application/json" or (
                g.get("user") is not None and request.endpoint != "static"):
            response.headers["Cache-Control"] = "no-store"
        return response
    return app
