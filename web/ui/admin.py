"""Administration pages (administrators only): overview, the unit tree. Users are in
`admin_users.py`; relations, lanes, calendars and the deadline table in `admin_setup.py`.
Every action is one htmx request answering the panel it changes; a form with field errors comes
back re-rendered with its errors (200, X-Cluedesk-Status 422)."""
from __future__ import annotations

from flask import g, make_response, render_template, request
from flask_babel import gettext as _

from engine.admin import service as admin
from engine.errors import Invalid
from engine.org.models import ROLES as ROLE_CODES
from web.auth import runtime
from web.ui import bp, page, refusals, toast
from web.ui.terms import Terms

ADMIN = {"administrator"}
ROLE_LABELS = Terms("role")
KIND_LABELS = Terms("unit_kind")
assert set(ROLE_LABELS) == set(ROLE_CODES) and set(KIND_LABELS) == set(admin.UNIT_KINDS)


def labels() -> dict:
    """What every administration template uses to name roles and unit kinds."""
    return {"role_labels": ROLE_LABELS, "kind_labels": KIND_LABELS}


def with_errors(html: str, status: int = 422):
    """A form re-rendered with its field errors: shown in place, the real status in a header."""
    response = make_response(html, 200)
    response.headers["X-Cluedesk-Status"] = str(status)
    return response


def field_errors(exc: Invalid) -> dict[str, list[str]]:
    """Field name → messages; a refusal without fields is shown on the form as a whole."""
    return dict(exc.fields) or {"_form": [refusals.text(exc.reason, exc.params, exc.message)]}


@bp.get("/admin")
@page(roles=ADMIN)
def admin_home():
    """What the administrator manages, with the warnings that need attention."""
    rt = runtime()
    user = g.user

    def read(uow):
        units = admin.list_units(uow.session, actor=user)
        users = admin.list_users(uow.session, actor=user)
        return {"units": sum(1 for u in units if u["active"]),
                "users": sum(1 for u in users if u["active"]),
                "calendar": admin.calendar_status(uow.session, rt, actor=user)}
    return render_template("admin/home.html", **rt.read(read))


# ---------------------------------------------------------------------------------------------
# Units


def _units_panel(errors: dict | None = None, failed: str | None = None, values=None) -> str:
    user = g.user
    units = runtime().read(lambda uow: admin.list_units(uow.session, actor=user))
    return render_template("admin/_units.html", units=units, kinds=admin.UNIT_KINDS,
                           errors=errors or {}, failed=failed, values=values or {}, **labels())


@bp.get("/admin/units")
@page(roles=ADMIN)
def admin_units():
    """The unit tree: create, rename, move, retire."""
    return render_template("admin/units.html", panel=_units_panel())


def _unit_action(failed: str, work, message: str):
    rt = runtime()
    try:
        rt.transact(lambda uow: work(uow.session, rt, g.user))
    except Invalid as exc:
        return with_errors(_units_panel(field_errors(exc), failed, request.form))
    return toast(_units_panel(), message)


@bp.post("/admin/units")
@page(roles=ADMIN)
def admin_unit_create():
    """Create a unit below another one."""
    form = request.form
    return _unit_action("create", lambda session, rt, user: admin.create_unit(
        session, rt, actor=user, code=form.get("code", ""), name=form.get("name", ""),
        kind=form.get("kind", ""), parent=form.get("parent") or None), _("Unit created."))


@bp.post("/admin/units/<code>/rename")
@page(roles=ADMIN)
def admin_unit_rename(code):
    """Rename a unit."""
    name = request.form.get("name", "")
    if not name.strip():
        return with_errors(_units_panel({"name": [_("required")]}, f"edit-{code}",
                                        request.form))
    return _unit_action(f"edit-{code}", lambda session, rt, user: admin.update_unit(
        session, rt, actor=user, code=code, name=name), _("Unit renamed."))


@bp.post("/admin/units/<code>/move")
@page(roles=ADMIN)
def admin_unit_move(code):
    """Move a unit, with the units below it, under another unit."""
    parent = request.form.get("parent", "")
    return _unit_action(f"edit-{code}", lambda session, rt, user: admin.update_unit(
        session, rt, actor=user, code=code, parent=parent), _("Unit moved."))


@bp.post("/admin/units/<code>/retire")
@page(roles=ADMIN)
def admin_unit_retire(code):
    """Retire a unit and the units below it (refused while open tasks or users remain)."""
    return _unit_action(f"edit-{code}", lambda session, rt, user: admin.retire_unit(
        session, rt, actor=user, code=code), _("Unit retired."))
