"""The intake form: register a petition from any channel, see likely repeats before saving,
then attach the scanned letter or evidence and go to the new case."""
from __future__ import annotations

from flask import g, make_response, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from engine.attachments import service as attachments
from engine.errors import Invalid
from engine import notes
from engine.org import service as org
from engine.petitions import service as petitions
from web import schemas
from web.api.petitions import _localize
from web.auth import runtime
from web.errors import _flatten
from web.ui import bp, page, toast, whole_number
from web.ui.terms import Terms

INTAKE = {"intake_clerk", "supervisor"}
CHANNELS = Terms("channel")
CATEGORIES = Terms("category")
LEVELS = Terms("level")
# Fields of the form that say who and what: a change to one of them re-runs the repeat check.
REPEAT_FIELDS = ("content", "township", "village", "category", "accused_name", "accused_post",
                 "accused_unit")


def _fields(form) -> dict:
    """The form as the petitions API's body (schemas.PetitionIn)."""
    anonymous = form.get("anonymous") == "1"
    reporter = {"anonymous": anonymous}
    if not anonymous:
        reporter.update({k: form.get(f"reporter_{k}", "").strip()
                         for k in ("name", "id_number", "phone", "address")})
    accused = [{"name": name.strip(), "post": post.strip(), "unit": unit.strip(), "level": level}
               for name, post, unit, level in zip(form.getlist("accused_name"),
                                                   form.getlist("accused_post"),
                                                   form.getlist("accused_unit"),
                                                   form.getlist("accused_level"), strict=False)
               if name.strip() or post.strip() or unit.strip()]
    body = {"channel": form.get("channel", ""), "reporter": reporter, "accused": accused,
            "village": form.get("village", "").strip(), "category": form.get("category", ""),
            "content": form.get("content", "").strip()}
    if not accused and form.get("no_accused_reason", "").strip():
        body["no_accused_reason"] = form["no_accused_reason"].strip()
    if form.get("township"):
        body["township"] = form["township"]
    if form.get("received_at"):
        body["received_at"] = form["received_at"]
    return body


def _form_context(values=None, errors=None) -> dict:
    rt = runtime()
    townships = rt.read(lambda uow: [(u.code, u.name)
                                     for u in org.units_of_kind(uow.session, "township")])
    values = values or {}
    accused = [{"name": n, "post": p, "unit": u, "level": lv} for n, p, u, lv in zip(
        values.getlist("accused_name"), values.getlist("accused_post"),
        values.getlist("accused_unit"), values.getlist("accused_level"), strict=False)] \
        if hasattr(values, "getlist") else []
    return {"values": values, "errors": errors or {}, "townships": townships,
            "accused": accused or [{"name": "", "post": "", "unit": "", "level": "village"}],
            "channels": CHANNELS, "categories": CATEGORIES, "levels": LEVELS,
            "now": rt.clock.local(rt.clock.now()).strftime("%Y-%m-%dT%H:%M")}


def _refused_form(values, errors):
    """The form again with its field errors: answered 200 with the real status in a header."""
    response = make_response(render_template("intake/_form.html",
                                             **_form_context(values, errors)))
    response.headers["X-Cluedesk-Status"] = "422"
    return response


@bp.get("/intake")
@page(roles=INTAKE)
def intake():
    """The registration form."""
    return render_template("intake/page.html", **_form_context())


@bp.post("/intake")
@page(roles=INTAKE)
def register():
    """Register the petition; answers the result panel, or the form with its errors (422)."""
    rt = runtime()
    user = g.user
    try:
        fields = _localize(schemas.PetitionIn().load(_fields(request.form)))
        created = rt.transact(lambda uow: petitions.register(uow, runtime=rt, user=user,
                                                             fields=fields))
    except ValidationError as exc:
        return _refused_form(request.form, _flatten(exc.messages))
    except Invalid as exc:
        return _refused_form(request.form, exc.fields)
    return toast(render_template("intake/_result.html", petition=created),
                 _("Registered as %(number)s.", number=created.number))


@bp.post("/intake/repeat-check")
@page(roles=INTAKE)
def repeat_check():
    """Likely repeats of what the form holds so far (nothing is saved)."""
    rt = runtime()
    user = g.user
    body = _fields(request.form)
    if not body["channel"]:
        del body["channel"]
    try:
        fields = _localize(schemas.RepeatCheckIn().load(body))
        found = rt.read(lambda uow: petitions.repeat_check(uow.session, rt, user=user,
                                                           fields=fields))
    except (ValidationError, Invalid):
        found = []  # the form is not finished yet; the save will name the errors
    return render_template("intake/_repeats.html", candidates=found)


@bp.post("/intake/cases/<int:case_id>/attachments")
@page(roles=INTAKE)
def intake_attachment(case_id):
    """Attach a file to the newly registered petition's case; answers its line in the list."""
    rt = runtime()
    user = g.user
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("choose a file", reason="file_missing", fields={"file": [notes.note("required")]})
    data = upload.read()
    petition_id = request.form.get("petition_id", "")
    row = rt.transact(lambda uow: attachments.describe(attachments.upload(
        uow.session, rt, user=user, case_id=case_id, file_name=upload.filename,
        content_type=(upload.mimetype or "").lower(), data=data,
        identifies_reporter=request.form.get("identifies_reporter") == "1",
        petition_id=whole_number(petition_id))))
    return toast(render_template("intake/_attachment.html", item=row),
                 _("Attached %(name)s.", name=row["file_name"]))
