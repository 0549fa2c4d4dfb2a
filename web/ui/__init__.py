"""Server-rendered pages. Each area is one module; every action is one request that returns the
HTML fragment it changes (htmx), so pages never make a second round trip for their update.

Conventions for page modules:
- `@page(roles=...)` on every view: login required (a full page redirects to the login page, an
  htmx request gets a 401 fragment), a required password change first (to /password), optional
  role check (403 page).
- Read with `runtime().read(fn)`, change with `runtime().transact(fn)`; call services only.
- Actions answer with the fragment to swap; `toast(response, message)` adds a message shown by
  `app.js`; a domain error raised in an htmx action lands in the page's `#flash` region.
"""
from __future__ import annotations

import functools
import importlib
import json
import pkgutil
import re
from collections.abc import Callable, Iterable

from flask import (Blueprint, Response, abort, g, make_response, redirect, request, url_for)

bp = Blueprint("ui", __name__)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def page(roles: Iterable[str] | None = None) -> Callable:
    """Login (and, when given, one of `roles`) required for this view."""
    wanted = set(roles or ())

    def wrap(view):
        @functools.wraps(view)
        def inner(*args, **kwargs):
            user = g.get("user")
            if user is None:
                if is_htmx():
                    response = make_response("", 401)
                    response.headers["HX-Redirect"] = url_for("ui.login", next=request.path)
                    return response
                return redirect(url_for("ui.login", next=request.full_path.rstrip("?")))
            if user.must_change_password and request.endpoint != "ui.password":
                target = url_for("ui.password", next=request.full_path.rstrip("?"))
                if is_htmx():
                    response = make_response("", 401)
                    response.headers["HX-Redirect"] = target
                    return response
                return redirect(target)
            if wanted and not (wanted & user.roles):
                abort(403)
            return view(*args, **kwargs)
        return inner
    return wrap


def whole_number(raw: str | None, *, maximum: int = 2**63 - 1) -> int | None:
    """A whole number from a form or query value: ASCII digits only (`isdigit` also accepts "²",
    which `int` refuses), at most `maximum` (ids are 64-bit); None when it is not one."""
    raw = (raw or "").strip()
    if not re.fullmatch(r"[0-9]{1,30}", raw):
        return None
    value = int(raw)
    return value if value <= maximum else None


def toast(response: Response | str, message: str, level: str = "success") -> Response:
    """Attach a message that `app.js` shows after the swap (no extra request)."""
    response = make_response(response)
    response.headers["HX-Trigger"] = json.dumps({"cd-toast": {"message": message,
                                                              "level": level}},
                                                ensure_ascii=True)
    return response


def error_page(status: int, code: str, message: str, fields: dict | None = None, *,
               reason: str | None = None, params: dict | None = None,
               msgid: str | None = None, own: str | None = None):
    """An error as a page, or as a fragment in `#flash` for an htmx action, in the user's
    language: a refusal by its reason, the web layer's own by `own` (or its code)."""
    from flask import render_template

    from web.ui import messages, refusals
    message = refusals.text(reason, params, message, msgid) if reason \
        else messages.own_text(own or code, message)
    if is_htmx():
        # An expected refusal of an action is part of the page, not a failed load: answered
        # 200 (browsers log every 4xx/5xx fetch as a console error) with the real status in
        # X-Cluedesk-Status.
        response = make_response(render_template("ui/_error.html", status=status, code=code,
                                                 message=message, fields=fields), 200)
        response.headers["X-Cluedesk-Status"] = str(status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
        return response
    return make_response(render_template("ui/error.html", status=status, code=code,
                                         message=message, fields=fields), status)


def register(app) -> None:
    """The pages blueprint and what every template can use."""
    from flask_babel import get_locale
    from flask_wtf.csrf import generate_csrf

    from web.i18n import LANGUAGES
    # Every module of this package is a page area; importing it adds its views to `bp`.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    app.register_blueprint(bp)

    app.add_template_filter(_localtime, "localtime")
    app.add_template_filter(_localdate, "localdate")

    @app.context_processor
    def _globals():
        user = g.get("user")
        return {"current_user": user, "languages": LANGUAGES, "csrf_token": generate_csrf,
                "locale": str(get_locale() or "zh"), "nav": _nav(user) if user else [],
                "unread_count": (lambda: _unread(user)) if user else (lambda: 0),
                "status_text": _status_text, "view_functions": app.view_functions}


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translated where it is shown."""
    return message


# (endpoint, label msgid, roles that see it); a link appears once its page module exists.
NAV = [
    ("ui.inbox", N_("Inbox"), {"caseworker", "supervisor", "intake_clerk", "joint_reviewer",
                               "inspector", "rectification_officer", "village_officer",
                               "village_supervisor", "disclosure_editor"}),
    ("ui.intake", N_("Register petition"), {"intake_clerk", "supervisor"}),
    ("ui.overdue_board", N_("Overdue board"), {"supervisor"}),
    ("ui.dashboard", N_("Statistics"), {"supervisor", "caseworker", "intake_clerk"}),
    ("ui.supervision_home", N_("Inspections"), {"inspector", "rectification_officer",
                                                "supervisor"}),
    ("ui.interference", N_("Interference register"), {"interference_registrar", "supervisor"}),
    ("ui.quality_rounds", N_("Quality review"), {"supervisor", "caseworker"}),
    ("ui.evaluation_page", N_("Zone evaluation"), {"supervisor"}, "evaluates_zones"),
    ("ui.committee_page", N_("Village committee scores"), {"supervisor"}),
    ("ui.village_home", N_("Village affairs"), {"village_officer", "village_supervisor",
                                                "supervisor"}),
    ("ui.disclosure_home", N_("Public disclosure"), {"disclosure_editor", "supervisor"}),
    ("ui.designer", N_("Process designer"), {"process_designer"}),
    ("ui.admin_home", N_("Administration"), {"administrator"}),
    ("ui.failed_page", N_("Failed processes"), {"supervisor", "process_designer",
                                                "administrator"}),
]


def _nav(user) -> list[tuple[str, str]]:
    from flask import current_app
    from flask_babel import gettext
    return [(endpoint, gettext(label)) for endpoint, label, roles, *only in NAV
            if endpoint in current_app.view_functions and roles & user.roles
            and all(NAV_CONDITIONS[c](user) for c in only)]


def _evaluates_zones(user) -> bool:
    from engine.evaluation import service as evaluation
    from web.auth import runtime
    return runtime().read(lambda uow: evaluation.evaluates_zones(uow.session, user))


# A link whose page is empty for some holders of its roles (a township has no zone below it).
NAV_CONDITIONS: dict[str, Callable] = {"evaluates_zones": _evaluates_zones}


def _unread(user) -> int:
    from engine.notifications import service as notifications
    from web.auth import runtime
    return runtime().read(lambda uow: notifications.unread_count(uow.session, user.id))


STATUS_TEXT = {400: N_("Bad request."), 401: N_("Please log in."), 403: N_("Not allowed."),
               404: N_("Not found."), 409: N_("Someone else changed this first; reload."),
               413: N_("The file is too large."), 422: N_("Please check the input."),
               429: N_("Too many requests."), 500: N_("Server error; it has been logged.")}


def _status_text(status: int) -> str:
    from flask_babel import gettext
    return gettext(STATUS_TEXT.get(status, N_("Error.")))


def _localtime(value) -> str:
    """An instant in the deployment's time zone, to the minute."""
    if value is None:
        return ""
    from web.auth import runtime
    return value.astimezone(runtime().clock.tz).strftime("%Y-%m-%d %H:%M")


def _localdate(value) -> str:
    if value is None:
        return ""
    from web.auth import runtime
    if hasattr(value, "astimezone"):
        value = value.astimezone(runtime().clock.tz)
    return value.strftime("%Y-%m-%d")
