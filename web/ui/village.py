"""Village power pages: village matters (四议两公开 and the micro-power list) with their meetings,
steps and overrides; public disclosure (村务公开) with the approval state of each item, the
preview of the public site and its export. Work on a step is done from the inbox."""
from __future__ import annotations

import mimetypes

from flask import g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.access import village as access
from engine.village import disclosure, rules
from engine.village import service as village
from engine.village.models import DISCLOSURE_KINDS, MATTER_KINDS
from web.auth import runtime
from web.ui import N_, bp, is_htmx, page, toast
from web.ui.supervision import _my_task

ROLES = {"village_officer", "village_supervisor", "supervisor", "caseworker"}
DISCLOSURE_ROLES = {"disclosure_editor", "supervisor"}
KINDS = {"four_two": N_("Four deliberations, two disclosures (四议两公开)"),
         "asset_lease": N_("Collective asset lease"), "project_award": N_("Small project award"),
         "subsidy": N_("Subsidy / 低保 recommendation"), "seal": N_("Seal use"),
         "expense": N_("Expense reimbursement"), "homestead": N_("Homestead application")}
STATUS = {"running": N_("In progress"), "finished": N_("Finished")}
OUTCOMES = {"done": N_("Done"), "passed": N_("Carried"), "failed": N_("Failed: held again"),
            "agreed": N_("Agreed"), "objected": N_("Objected: sent back")}
RULE_NAMES = {"disclosure_too_short": N_("Publication shorter than the minimum"),
              "too_few_bidders": N_("Too few bidders"),
              "price_over_budget": N_("Price over budget"),
              "rent_below_reserve": N_("Rent below the reserve"),
              "decision_required": N_("No 四议两公开 decision"),
              "four_eyes": N_("Applicant approves own request"),
              "receipts_missing": N_("No receipts"),
              "homestead_too_large": N_("Homestead larger than the standard")}
DISCLOSURE_KIND_NAMES = {"decision": N_("Village decision"), "result": N_("Implementation result"),
                         "statistics": N_("Periodic statistics"), "typical_case": N_("Typical case")}
DISCLOSURE_STATUS = {"pending": N_("Awaiting approval"), "approved": N_("Published"),
                     "withdrawn": N_("Withdrawn")}
assert set(KINDS) == set(MATTER_KINDS) and set(RULE_NAMES) == set(rules.RULES)
assert set(DISCLOSURE_KIND_NAMES) == set(DISCLOSURE_KINDS)


def _labels() -> dict:
    return {"kinds": KINDS, "status": STATUS, "outcomes": OUTCOMES, "rule_names": RULE_NAMES,
            "disclosure_kinds": DISCLOSURE_KIND_NAMES, "disclosure_status": DISCLOSURE_STATUS}


def _go(target: str):
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


@bp.get("/village")
@page(roles=ROLES)
def village_home():
    """The village matters the user may see, and the form to start one."""
    rt, user = runtime(), g.user

    def read(uow):
        rows = [village.describe(uow.session, rt, m)
                for m in village.visible_matters(uow.session, user, limit=200)]
        return rows, access.may_start(user, user.unit)
    rows, may_start = rt.read(read)
    return render_template("village/home.html", matters=rows, may_start=may_start, **_labels())


@bp.post("/village/matters")
@page(roles={"village_officer"})
def village_start():
    """Start a matter; its first step is in the inbox."""
    rt, user, form = runtime(), g.user, request.form
    row = rt.transact(lambda uow: village.start(uow, runtime=rt, user=user, fields={
        "kind": form.get("kind"), "title": form.get("title"), "summary": form.get("summary")}))
    return _go(url_for("ui.village_matter", matter_id=row.id))


def _matter_context(matter_id: int) -> dict:
    rt, user = runtime(), g.user

    def read(uow):
        s = uow.session
        matter = village.matter_for(s, user, matter_id)
        return {"m": village.describe(s, rt, matter), "task": _my_task(s, user, matter.instance_id),
                "may_override": access.may_override(s, user, matter)
                and matter.status == "running"}
    return {**rt.read(read), **_labels()}


@bp.get("/village/matters/<int:matter_id>")
@page(roles=ROLES)
def village_matter(matter_id):
    """One matter: its meetings (attendance, votes), steps, overrides and the open step."""
    return render_template("village/matter.html", **_matter_context(matter_id))


@bp.post("/village/matters/<int:matter_id>/overrides")
@page(roles={"supervisor"})
def village_override(matter_id):
    """A supervisor lets a broken rule pass once, with a reason (it becomes a clue)."""
    rt, user, form = runtime(), g.user, request.form
    row = rt.transact(lambda uow: village.override(uow, runtime=rt, user=user,
                                                   matter_id=matter_id, rule=form.get("rule"),
                                                   reason=form.get("reason") or ""))
    del row
    return toast(render_template("village/matter.html", **_matter_context(matter_id)),
                 _("The override was recorded and registered as a clue."))


# ---------------------------------------------------------------------------------------------
# Disclosure


def _disclosure_context() -> dict:
    rt, user = runtime(), g.user

    def read(uow):
        s = uow.session
        items = disclosure.describe_all(s, rt, disclosure.visible(s, user))
        may_export = access.may_export(user)
        files = disclosure.preview(s, rt, user=user) if may_export else []
        units = [(u.code, u.name) for u in s.scalars(
            village.select_units_below(s, user.unit_id))] \
            if "disclosure_editor" in user.roles else []
        matters = village.matter_choices(s, rt, user) \
            if "disclosure_editor" in user.roles else []
        return {"items": items, "files": files, "may_export": may_export, "units": units,
                "matters": matters, "may_write": "disclosure_editor" in user.roles}
    return {**rt.read(read), **_labels()}


@bp.get("/disclosure")
@page(roles=DISCLOSURE_ROLES)
def disclosure_home():
    """Disclosure items, the form to write one, the preview of the public site and its export."""
    return render_template("village/disclosure.html", **_disclosure_context())


@bp.post("/disclosure/items")
@page(roles={"disclosure_editor"})
def disclosure_create():
    """Write an item; it goes to the approver's inbox."""
    rt, user, form = runtime(), g.user, request.form
    matter = form.get("matter_id") or ""
    rt.transact(lambda uow: disclosure.create(uow, runtime=rt, user=user, fields={
        "unit": form.get("unit"), "kind": form.get("kind"), "title": form.get("title"),
        "body": form.get("body") or "", "accused_name": form.get("accused_name") or "",
        "name_publicly": form.get("name_publicly") == "on",
        "matter_id": int(matter) if matter.isdigit() else None}))
    return toast(render_template("village/disclosure.html", **_disclosure_context()),
                 _("The item was sent for approval."))


@bp.post("/disclosure/items/<int:item_id>/withdraw")
@page(roles=DISCLOSURE_ROLES)
def disclosure_withdraw(item_id):
    """Withdraw a published item: the next export no longer holds it."""
    rt, user = runtime(), g.user
    rt.transact(lambda uow: disclosure.withdraw(uow.session, rt, user=user, item_id=item_id,
                                                reason=request.form.get("reason") or ""))
    return toast(render_template("village/disclosure.html", **_disclosure_context()),
                 _("The item was withdrawn; the next export leaves it out."))


@bp.post("/disclosure/export")
@page(roles=DISCLOSURE_ROLES)
def disclosure_export():
    """Queue the export of the public site (a background job)."""
    rt, user = runtime(), g.user
    rt.transact(lambda uow: disclosure.submit_export(uow.session, rt, user=user))
    return toast(render_template("village/disclosure.html", **_disclosure_context()),
                 _("The export was queued; the public site is written in the background."))


@bp.get("/disclosure/preview/<path:path>")
@page(roles=DISCLOSURE_ROLES)
def disclosure_preview(path):
    """One file of the public site exactly as the next export writes it."""
    rt, user = runtime(), g.user
    data = rt.read(lambda uow: disclosure.preview_file(uow.session, rt, user=user, path=path))
    kind = {".atom": "application/atom+xml", ".json": "application/feed+json"}.get(
        "." + path.rsplit(".", 1)[-1], mimetypes.guess_type(path)[0] or "text/html")
    response = make_response(data)
    response.headers["Content-Type"] = f"{kind}; charset=utf-8"
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


