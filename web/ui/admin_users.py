"""Administration: users (create with several roles, edit, reset password) and deactivation
with the transfer of the user's open tasks to eligible users, per task or all at once."""
from __future__ import annotations

import json

from flask import g, render_template, request
from flask_babel import gettext as _

from engine.admin import service as admin
from engine.errors import Conflict, Invalid
from engine.org import service as org
from engine.org.models import ROLES
from web.auth import runtime
from web.ui import bp, page, refusals, toast
from web.ui.admin import ADMIN, field_errors, labels, with_errors


def _units() -> list[dict]:
    user = g.user
    return runtime().read(lambda uow: admin.list_units(uow.session, actor=user))


def _panel(errors: dict | None = None, values=None) -> str:
    user = g.user
    users = runtime().read(lambda uow: admin.list_users(uow.session, actor=user))
    units = _units()
    return render_template("admin/_users.html", users=users, units=units, roles=ROLES,
                           unit_names={u["code"]: u["name"] for u in units},
                           errors=errors or {}, values=values, **labels())


def _one(username: str) -> dict:
    return runtime().read(lambda uow: admin.describe_user(
        uow.session, org.get_user(uow.session, username)))


def _row(username: str) -> str:
    units = _units()
    return render_template("admin/_user_row.html", u=_one(username),
                           unit_names={u["code"]: u["name"] for u in units}, **labels())


def _edit_row(username: str, errors: dict | None = None, values=None) -> str:
    units = _units()
    return render_template("admin/_user_edit.html", u=_one(username), units=units, roles=ROLES,
                           errors=errors or {}, values=values, **labels())


@bp.get("/admin/users")
@page(roles=ADMIN)
def admin_users():
    """Users: create, edit roles, reset passwords, deactivate with a transfer of their tasks."""
    return render_template("admin/users.html", panel=_panel())


@bp.post("/admin/users")
@page(roles=ADMIN)
def admin_user_create():
    """Create a user with one or more roles."""
    rt = runtime()
    form = request.form
    try:
        rt.transact(lambda uow: admin.create_user(
            uow.session, rt, actor=g.user, username=form.get("username", ""),
            display_name=form.get("display_name", ""), unit=form.get("unit", ""),
            roles=form.getlist("roles"), password=form.get("password", "")))
    except Invalid as exc:
        return with_errors(_panel(field_errors(exc), form))
    return toast(_panel(), _("User %(name)s created.", name=form.get("username", "").strip()))


@bp.get("/admin/users/<username>")
@page(roles=ADMIN)
def admin_user_row(username):
    """One user's row (leaving the editor)."""
    return _row(username)


@bp.get("/admin/users/<username>/edit")
@page(roles=ADMIN)
def admin_user_edit(username):
    """One user's row as an editor: name, unit, roles, new password."""
    return _edit_row(username)


@bp.post("/admin/users/<username>")
@page(roles=ADMIN)
def admin_user_update(username):
    """Change a user's name, unit or roles."""
    rt = runtime()
    form = request.form
    try:
        rt.transact(lambda uow: _roles_changed(uow, rt, admin.update_user(
            uow.session, rt, actor=g.user, username=username,
            display_name=form.get("display_name", ""), unit=form.get("unit", ""),
            roles=form.getlist("roles"))))
    except Invalid as exc:
        return with_errors(_edit_row(username, field_errors(exc), form))
    return toast(_row(username), _("Saved."))


def _roles_changed(uow, rt, result):
    uow.after_commit(rt.token_cache.clear)  # cached API callers see new roles at once
    return result


@bp.post("/admin/users/<username>/password")
@page(roles=ADMIN)
def admin_user_password(username):
    """Reset a user's password."""
    rt = runtime()
    try:
        rt.transact(lambda uow: admin.set_password(uow.session, rt, actor=g.user,
                                                   username=username,
                                                   password=request.form.get("password", "")))
    except Invalid as exc:
        return with_errors(_edit_row(username, field_errors(exc)))
    return toast(_row(username), _("Password reset."))


def _transfer(username: str, errors: dict | None = None, chosen=None) -> str:
    user = g.user
    options = runtime().read(lambda uow: admin.transfer_options(uow.session, actor=user,
                                                                username=username))
    return render_template("admin/_transfer.html", options=options, errors=errors or {},
                           chosen=chosen or {})


@bp.get("/admin/users/<username>/deactivate")
@page(roles=ADMIN)
def admin_user_deactivate_dialog(username):
    """The transfer step: the user's open tasks, each with who may take it over."""
    return _transfer(username)


@bp.post("/admin/users/<username>/deactivate")
@page(roles=ADMIN)
def admin_user_deactivate(username):
    """Deactivate a user after giving each of their open tasks to an eligible user."""
    rt = runtime()
    form = request.form
    transfers = [{"task_id": key[3:], "to": value} for key, value in form.items()
                 if key.startswith("to-") and value]
    try:
        rt.transact(lambda uow: _roles_changed(uow, rt, admin.deactivate_user(
            uow.session, rt, actor=g.user, username=username, transfers=transfers,
            all_to=form.get("all_to") or None)))
    except (Invalid, Conflict) as exc:
        return with_errors(_transfer(username, {"_form": [refusals.text(
            exc.reason, exc.params, exc.message, exc.msgid)]}, form),
                           409 if isinstance(exc, Conflict) else 422)
    response = toast(_row(username), _("%(name)s deactivated; open tasks transferred.",
                                       name=username))
    # The dialog's form asked for the dialog; the answer is the user's row, and the dialog closes.
    response.headers["HX-Retarget"] = f"#user-row-{_dom_id(username)}"
    response.headers["HX-Reswap"] = "outerHTML"
    trigger = json.loads(response.headers["HX-Trigger"])
    trigger["cd-dialog-close"] = True
    response.headers["HX-Trigger"] = json.dumps(trigger, ensure_ascii=True)
    return response


def _dom_id(username: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in username)


@bp.app_template_filter("dom_id")
def dom_id_filter(username: str) -> str:
    """A username usable in an element id."""
    return _dom_id(username)
