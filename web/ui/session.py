"""Login, logout and the interface language."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from engine.errors import DomainError
from engine.org import service as org
from web.auth import runtime, start_session
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
    """The login form; throttled per account name and source after repeated failures."""
    error = None
    if request.method == "POST":
        rt = runtime()
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        settings = rt.settings
        result = rt.transact(lambda uow: org.login(
            uow.session, username=username, password=password, now=rt.clock.wall(),
            source=request.remote_addr or "",
            max_failures=int(settings.get("server", "login_max_failures")),
            lock_minutes=int(settings.get("server", "login_lock_minutes")),
            demo=bool(settings.get("server", "demo"))))
        # The form comes back (200) with the reason; the audit keeps the failure. The same
        # answers for an unknown name as for a known one.
        if result.refused == "throttled":
            error = _("Too many failed attempts from here. Try again in %(seconds)s seconds.",
                      seconds=result.wait_seconds)
        elif result.refused:
            error = _("Wrong username or password.")
        else:
            start_session(result.user)
            target = _safe_next(request.form.get("next"))
            if result.user.must_change_password:
                return redirect(url_for("ui.password", next=target))
            return redirect(target)
    return render_template("ui/login.html", error=error,
                           next=request.values.get("next", ""))


@bp.post("/logout")
def logout():
    """End the session, and every other session of the user (a copied cookie included)."""
    user_id = session.get("user_id")
    if user_id is not None and g.get("user") is not None:
        rt = runtime()
        rt.transact(lambda uow: org.logout(uow.session, user_id=user_id, now=rt.clock.wall()))
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    return redirect(url_for("ui.login"))


@bp.route("/password", methods=["GET", "POST"])
@page()
def password():
    """Change one's own password; required after an administrator's reset or when the password
    no longer meets the policy. Other sessions end and API tokens are revoked; this one stays."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        rt = runtime()
        new = request.form.get("password") or ""
        if new != (request.form.get("confirm") or ""):
            errors["confirm"] = _("The two new passwords differ.")
        else:
            try:
                user = rt.transact(lambda uow: org.change_own_password(
                    uow.session, user_id=g.user.id, current=request.form.get("current") or "",
                    new=new, now=rt.clock.wall()))
            except DomainError as exc:
                field = "current" if exc.reason == "password_current_wrong" else "password"
                errors[field] = _(exc.msgid, **exc.params)
            else:
                rt.token_cache.clear()  # the revoked tokens stop at once in this process
                start_session(user)
                return redirect(_safe_next(request.form.get("next")))
    return render_template("ui/password.html", errors=errors,
                           required=g.user.must_change_password,
                           min_length=org.MIN_PASSWORD_LENGTH,
                           next=request.values.get("next", ""))


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
