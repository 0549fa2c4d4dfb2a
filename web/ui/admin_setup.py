"""Administration: relations (recusal data), lane mapping, calendars (upload → preview →
apply) and the effective deadline table."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import g, render_template, request
from flask_babel import gettext as _

from engine.admin import service as admin
from engine.errors import Invalid
from engine import notes
from engine.org import service as org
from engine.access import recusal
from web.auth import runtime
from web.ui import N_, bp, page, toast
from web.ui.admin import ADMIN, field_errors, labels, with_errors

PERSON_KINDS = {"accused": N_("Accused person"), "reporter": N_("Reporter")}
RELATION_STATUS = {"active": N_("Active"), "requested": N_("Requested"),
                   "rejected": N_("Rejected"), "ended": N_("Ended")}
DAY_UNITS = {"working_days": N_("working days"), "days": N_("calendar days"),
             "months": N_("months")}


# ---------------------------------------------------------------------------------------------
# Relations


def _relations_panel(errors: dict | None = None, values=None, ending: int | None = None) -> str:
    """The panel; `errors` belong to the add form, or to relation `ending`'s end form."""
    rt = runtime()
    user = g.user
    relations, users = rt.read(lambda uow: (admin.list_relations(uow.session, rt, actor=user),
                                            admin.list_users(uow.session, actor=user)))
    relations.sort(key=lambda r: (r["status"] != "active", -r["id"]))
    return render_template("admin/_relations.html", relations=relations,
                           users=[u for u in users if u["active"]], kinds=PERSON_KINDS,
                           statuses=RELATION_STATUS, values=values, ending=ending,
                           errors={} if ending else errors or {},
                           end_errors=errors or {} if ending else {})


@bp.get("/admin/relations")
@page(roles=ADMIN)
def admin_relations():
    """Declared relations between users and accused persons or reporters."""
    return render_template("admin/relations.html", panel=_relations_panel())


@bp.post("/admin/relations")
@page(roles=ADMIN)
def admin_relation_add():
    """Record a relation on a user's behalf (who declared it and why are kept)."""
    rt = runtime()
    form = request.form
    try:
        rt.transact(lambda uow: recusal.declare(
            uow.session, rt, actor=g.user,
            user=org.get_user(uow.session, form.get("username", "")),
            person_name=form.get("person_name", ""), person_kind=form.get("person_kind", ""),
            relation=form.get("relation", ""), reason=form.get("reason", "")))
    except Invalid as exc:
        return with_errors(_relations_panel(field_errors(exc), form))
    return toast(_relations_panel(), _("Relation recorded."))


@bp.post("/admin/relations/<int:relation_id>/end")
@page(roles=ADMIN)
def admin_relation_end(relation_id: int):
    """End a relation, saying why (it stays in the history)."""
    rt = runtime()
    try:
        rt.transact(lambda uow: recusal.end(uow.session, rt, actor=g.user, relation_id=relation_id,
                                            reason=request.form.get("reason", "")))
    except Invalid as exc:
        return with_errors(_relations_panel(field_errors(exc), ending=relation_id))
    return toast(_relations_panel(), _("Relation ended."))


# ---------------------------------------------------------------------------------------------
# Lanes, deadline table


@bp.get("/admin/lanes")
@page(roles=ADMIN)
def admin_lanes():
    """How each lane of each deployed process version maps to a role and a unit."""
    rt = runtime()
    user = g.user
    processes = rt.read(lambda uow: admin.lanes(uow.session, rt, actor=user))
    latest = {p["key"]: p["version"] for p in processes}
    return render_template("admin/lanes.html", processes=processes, latest=latest, **labels())


@bp.get("/admin/deadlines")
@page(roles=ADMIN)
def admin_config():
    """The effective deadline table (read-only: it is changed in config.yaml)."""
    return render_template("admin/config.html",
                           table=admin.deadline_table(runtime(), actor=g.user), units=DAY_UNITS)


# ---------------------------------------------------------------------------------------------
# Calendars


def _calendar_status() -> dict:
    rt = runtime()
    user = g.user
    status = rt.read(lambda uow: admin.calendar_status(uow.session, rt, actor=user))
    for year in status["loaded_years"]:
        year["loaded_at"] = datetime.fromisoformat(year["loaded_at"])
    return status


def _uploaded() -> tuple[str, str]:
    """The file from the upload, or the text the preview handed on to apply."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        try:
            return upload.filename, upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("the calendar file is not UTF-8", reason="calendar_not_utf8",
                          fields={"file": [notes.note("not_utf8")]}) from None
    text, name = request.form.get("text", ""), request.form.get("file_name", "")
    if not text or not name:
        raise Invalid("choose a calendar file", reason="calendar_file_missing",
                      fields={"file": [notes.note("file_missing")]})
    return name, text


def _shifts(result: dict) -> list[tuple[int | None, int]]:
    """How many deadlines move by how many days, largest move first."""
    counts = Counter(row["shift_days"] for row in result["moved"])
    return sorted(counts.items(), key=lambda kv: -(kv[0] or 0))


@bp.get("/admin/calendars")
@page(roles=ADMIN)
def admin_calendars():
    """Loaded years and their source; upload a year's file, preview, apply."""
    return render_template("admin/calendars.html", status=_calendar_status())


@bp.post("/admin/calendars/preview")
@page(roles=ADMIN)
def admin_calendar_preview():
    """What loading the file would do to open deadlines; nothing is changed yet."""
    try:
        file_name, text = _uploaded()
        result = admin.preview_calendar(runtime(), actor=g.user, text=text, file_name=file_name)
    except Invalid as exc:
        return with_errors(render_template("admin/_calendar_result.html", result=None,
                                           errors=field_errors(exc)))
    return render_template("admin/_calendar_result.html", result=result, shifts=_shifts(result),
                           file_name=file_name, text=text, errors={})


@bp.post("/admin/calendars/apply")
@page(roles=ADMIN)
def admin_calendar_apply():
    """Load the year and recompute the open deadlines that reach into it (audited)."""
    rt = runtime()
    try:
        file_name, text = _uploaded()
        result = rt.transact(lambda uow: admin.apply_calendar(
            uow.session, rt, actor=g.user, text=text, file_name=file_name))
    except Invalid as exc:
        response = with_errors(render_template("admin/_calendar_result.html", result=None,
                                               errors=field_errors(exc)))
        response.headers["HX-Retarget"] = "#calendar-result"
        return response
    return toast(render_template("admin/_calendar_panel.html", status=_calendar_status(),
                                 result=result, shifts=_shifts(result), errors={}),
                 _("Calendar %(year)s loaded; %(n)s open deadline(s) moved.",
                   year=result["year"], n=result["count"]))


# ---------------------------------------------------------------------------------------------
# The repeat check's alias table

ALIAS_KINDS = {"post": N_("Post"), "everyday": N_("Everyday post word"),
               "kinship": N_("Kinship term"), "phrase": N_("Paraphrase")}


def _aliases_panel(errors: dict | None = None, values=None) -> str:
    from engine.petitions import aliases
    rows = runtime().read(lambda uow: [
        {"id": a.id, "kind": a.kind, "alias": a.alias, "canonical": a.canonical}
        for a in aliases.list_aliases(uow.session, actor=g.user)])
    return render_template("admin/_aliases.html", aliases=rows, kinds=ALIAS_KINDS,
                           errors=errors or {}, values=values)


@bp.get("/admin/repeat-aliases")
@page(roles=ADMIN)
def admin_repeat_aliases():
    """Words the repeat check reads as one: posts, kinship terms, paraphrases."""
    return render_template("admin/aliases.html", panel=_aliases_panel())


@bp.post("/admin/repeat-aliases")
@page(roles=ADMIN)
def admin_repeat_alias_add():
    from engine.errors import DomainError
    from engine.petitions import aliases
    rt = runtime()
    form = request.form
    try:
        rt.transact(lambda uow: aliases.add_alias(
            uow.session, rt, actor=g.user, kind=form.get("kind", ""),
            alias=form.get("alias", ""), canonical=form.get("canonical", "")))
    except DomainError as exc:
        errors = dict(exc.fields) if isinstance(exc, Invalid) and exc.fields else \
            {"_form": [_(exc.msgid, **(exc.params or {}))]}
        return with_errors(_aliases_panel(errors, form))
    return toast(_aliases_panel(), _("Alias added."))


@bp.post("/admin/repeat-aliases/<int:alias_id>/delete")
@page(roles=ADMIN)
def admin_repeat_alias_delete(alias_id: int):
    from engine.petitions import aliases
    rt = runtime()
    rt.transact(lambda uow: aliases.delete_alias(uow.session, rt, actor=g.user,
                                                 alias_id=alias_id))
    return toast(_aliases_panel(), _("Alias removed."))
