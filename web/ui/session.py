"""Login, logout and the interface language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.org import service as org
from web.auth import runtime
from web.i18n import LANGUAGES
from web.ui import bp, page


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host): no open redirect after login."""
    if not target:
        return url_for("ui.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("ui.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The login form; throttled after repeated failures."""
    error = None
    if request.method == "POST":
        rt = runtime()
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        settings = rt.settings
        result = rt.transact(lambda uow: org.login(
            uow.session, username=username, password=password, now=rt.clock.wall(),
            max_failures=int(settings.get("server", "login_max_failures", default=5)),
            lock_minutes=int(settings.get("server", "login_lock_minutes", default=15))))
        # The form comes back (200) with the reason; the audit keeps the failure.
        if result.refused == "throttled":
            error = _("Too many failed attempts. Try again later.")
        elif result.refused:
            error = _("Wrong username or password.")
        else:
            user = result.user
            lang = session.get("lang")
            session.clear()  # a fresh session (and CSRF token) after login: no fixation
            session.permanent = True
            session["user_id"] = user.id
            if lang:
                session["lang"] = lang
            return redirect(_safe_next(request.form.get("next")))
    return render_template("ui/login.html", error=error,
                           next=request.values.get("next", ""))


@bp.post("/logout")
def logout():
    """End the session."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("ui.login"))


@bp.post("/language")
def language():
    """Switch the interface language for this browser."""
    lang = request.form.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next") or request.referrer and
                               urlsplit(request.referrer).path))


@bp.get("/")
@page()
def home():
    """Where each role starts its day."""
    roles = g.user.roles
    if roles & {"caseworker", "supervisor", "intake_clerk", "joint_reviewer", "inspector",
                 "rectification_officer"}:
        target = "ui.inbox" if "ui.inbox" in _endpoints() else None
        if target:
            return redirect(url_for(target))
    if "interference_registrar" in roles and "ui.interference" in _endpoints():
        return redirect(url_for("ui.interference"))
    return render_template("ui/home.html")


def _endpoints() -> set[str]:
    from flask import current_app
    return set(current_app.view_functions)
