"""Daily supervision pages: inspections and their findings (检查台账), each finding's rectification
with its history and evidence (整改、销号), the rectification figures, and the interference register
(干预插手留痕). Work on a step is done from the inbox; these pages hold what a step needs around
it (recording findings row by row, evidence files, a clue from a finding)."""
from __future__ import annotations

import io
from datetime import date

from flask import g, make_response, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from engine.access import supervision as access
from engine.errors import Invalid, NotFound
from engine import notes
from engine.inbox.models import Task
from engine.access import authority
from engine.org.models import Unit
from engine.supervision import service as supervision
from engine.supervision.models import INSPECTION_KINDS, INTERFERENCE_MATTERS, Finding, Inspection
from web.auth import runtime
from web.ui import N_, bp, is_htmx, page, toast
from web.ui.inbox import CATEGORIES

ROLES = {"inspector", "rectification_officer", "supervisor", "caseworker"}
REGISTER_ROLES = {"interference_registrar", "supervisor", "caseworker"}
KINDS = {"special": N_("Special check"), "random": N_("Random check"),
         "cross": N_("Cross-check"), "unannounced": N_("Unannounced visit"),
         "patrol": N_("Patrol")}
INSPECTION_STATUS = {"planned": N_("Planned"), "carried_out": N_("Being inspected"),
                     "findings_recorded": N_("Awaiting approval"),
                     "approved": N_("Approved: findings sent for rectification")}
FINDING_STATUS = {"recorded": N_("Awaiting approval"), "measures": N_("Measures to state"),
                  "rectifying": N_("Rectifying"), "verifying": N_("Awaiting verification"),
                  "closed": N_("Closed (销号)")}
ENTRY_KINDS = {"measures": N_("Measures"), "progress": N_("Progress report"),
               "supervision": N_("Township supervision"), "verified": N_("Verified and closed"),
               "refused": N_("Sent back")}
MATTERS = {"projects": N_("Construction projects"), "enforcement": N_("Discipline and law enforcement"),
           "public_trading": N_("Public resource trading"), "justice": N_("Judicial activity"),
           "finance": N_("Financial activity"), "land": N_("Land requisition and demolition"),
           "appointments": N_("Selection and appointment"), "audit": N_("Audit")}
LEDGERS = {"inspection-ledger": N_("Inspection ledger"),
           "rectification-ledger": N_("Rectification ledger"),
           "supervision-monthly": N_("Supervision monthly report"),
           "interference-report": N_("Interference quarterly report")}
assert set(KINDS) == set(INSPECTION_KINDS) and set(MATTERS) == set(INTERFERENCE_MATTERS)


def _labels() -> dict:
    return {"kinds": KINDS, "inspection_status": INSPECTION_STATUS,
            "finding_status": FINDING_STATUS, "entry_kinds": ENTRY_KINDS, "matters": MATTERS,
            "categories": CATEGORIES, "ledgers": LEDGERS}


def _my_task(session, user, instance_id: str | None) -> Task | None:
    """The open task of this instance the user may work (for the 'open the task' link)."""
    if not instance_id:
        return None
    for task in session.scalars(select(Task).where(Task.instance_id == instance_id,
                                                   Task.status == "open")):
        if authority.may_work(user, task, session):
            return task
    return None


def _year_span() -> dict:
    today = runtime().clock.local(runtime().clock.now()).date()
    return {"from": date(today.year, 1, 1).isoformat(), "to": today.isoformat()}


@bp.get("/supervision")
@page(roles=ROLES)
def supervision_home():
    """Inspections the user may see, the plan form, the rectification figures by unit."""
    rt, user = runtime(), g.user

    def read(uow):
        s = uow.session
        rows = supervision.describe_inspections(
            s, rt, supervision.visible_inspections(s, user, limit=100), user=user)
        units = list(s.scalars(select(Unit).where(Unit.active.is_(True),
                                                  Unit.kind.in_(("township", "village",
                                                                 "department", "office")))
                               .order_by(Unit.path)))
        return rows, supervision.rectification_figures(s, rt, user=user), \
            [(u.code, u.name) for u in units]
    rows, figures, units = rt.read(read)
    return render_template("supervision/home.html", inspections=rows, figures=figures,
                           units=units, may_plan=access.may_plan(user), span=_year_span(),
                           **_labels())


@bp.post("/supervision/inspections")
@page(roles={"inspector", "supervisor"})
def plan_inspection():
    """Plan an inspection; the lead inspector finds its first step in the inbox."""
    rt, user, form = runtime(), g.user, request.form
    fields = {"kind": form.get("kind"), "title": form.get("title"),
              "content": form.get("content"), "targets": form.getlist("targets"),
              "inspectors": [n.strip() for n in (form.get("inspectors") or "")
                             .replace("，", ",").replace("、", ",").split(",") if n.strip()]}
    if form.get("planned_on"):
        try:
            fields["planned_on"] = date.fromisoformat(form["planned_on"])
        except ValueError:
            raise Invalid("not a date", reason="date_invalid", fields={"planned_on": [notes.note("date_format")]}) from None
    row = rt.transact(lambda uow: supervision.plan(uow, runtime=rt, user=user, fields=fields))
    target = url_for("ui.inspection_page", inspection_id=row.id)
    if is_htmx():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def _inspection_context(inspection_id: int) -> dict:
    rt, user = runtime(), g.user

    def read(uow):
        s = uow.session
        row = supervision.get_inspection(s, inspection_id)
        if not access.may_see_inspection(s, user, row) and not any(
                access.may_see_finding(s, user, f, row)
                for f in supervision.findings_of(s, row.id)):
            supervision.inspection_for(s, user, inspection_id)  # refuses
        view = supervision.describe_inspection(s, rt, row, user=user)
        may_record = access.may_record_findings(s, user, row) and \
            row.status in ("planned", "carried_out")
        target_units = []
        if may_record:
            paths = [s.scalar(select(Unit.path).where(Unit.code == c)) for c in row.targets]
            target_units = [(u.code, u.name) for u in s.scalars(
                select(Unit).where(Unit.active.is_(True)).order_by(Unit.path))
                if any(p and u.path.startswith(p) for p in paths)]
        return {"i": view, "may_record": may_record, "target_units": target_units,
                "task": _my_task(s, user, row.instance_id),
                "default_days": supervision._default_days(rt)}
    return {**rt.read(read), **_labels()}


@bp.get("/supervision/inspections/<int:inspection_id>")
@page(roles=ROLES)
def inspection_page(inspection_id):
    """An inspection (检查台账 of one inspection): facts, findings, recording a finding."""
    return render_template("supervision/inspection.html", **_inspection_context(inspection_id))


@bp.post("/supervision/inspections/<int:inspection_id>/findings")
@page(roles={"inspector", "supervisor"})
def add_finding(inspection_id):
    """Record one finding; the findings list comes back."""
    rt, user, form = runtime(), g.user, request.form
    fields = {k: form.get(k) or "" for k in ("unit", "category", "description", "evidence",
                                             "suggestion", "responsible_person",
                                             "person_name", "person_post")}
    days = form.get("time_limit_days") or ""
    if days:
        if not days.isdigit():
            raise Invalid("the time limit is 1 to 366 days", reason="finding_days_invalid",
                          fields={"time_limit_days": [notes.note("days_range")]})
        fields["time_limit_days"] = int(days)
    rt.transact(lambda uow: supervision.record_finding(uow.session, rt, user=user,
                                                       inspection_id=inspection_id,
                                                       fields=fields))
    return toast(render_template("supervision/_area.html",
                                 **_inspection_context(inspection_id)),
                 _("The finding was recorded."))


def _finding_context(finding_id: int) -> dict:
    rt, user = runtime(), g.user

    def read(uow):
        s = uow.session
        finding = supervision.finding_for(s, user, finding_id)
        inspection = s.get(Inspection, finding.inspection_id)
        return {"f": supervision.describe_finding(s, rt, finding),
                "i": {"id": inspection.id, "number": inspection.number,
                      "title": inspection.title, "kind": inspection.kind},
                "task": _my_task(s, user, finding.instance_id),
                "may_upload": access.may_upload_evidence(s, user, finding)
                and finding.status != "closed",
                "may_clue": bool(finding.person_name) and finding.clue_id is None
                and access.may_record_findings(s, user, inspection)}
    return {**rt.read(read), **_labels()}


@bp.get("/supervision/findings/<int:finding_id>")
@page(roles=ROLES)
def finding_page(finding_id):
    """One finding: the problem, its time limit, the rectification history and evidence."""
    return render_template("supervision/finding.html", **_finding_context(finding_id))


@bp.post("/supervision/findings/<int:finding_id>/evidence")
@page(roles={"rectification_officer", "supervisor"})
def finding_evidence(finding_id):
    """Upload an evidence file; the finding's files come back."""
    rt, user = runtime(), g.user
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid("choose a file", reason="file_missing", fields={"file": [notes.note("required")]})
    data = upload.read()
    rt.transact(lambda uow: supervision.add_evidence(
        uow.session, rt, user=user, finding_id=finding_id, file_name=upload.filename,
        content_type=(upload.mimetype or "").lower(), data=data))
    return toast(render_template("supervision/_files.html", **_finding_context(finding_id)),
                 _("The file was uploaded."))


@bp.get("/supervision/evidence/<int:evidence_id>")
@page(roles=ROLES)
def evidence_download(evidence_id):
    rt, user = runtime(), g.user
    row, data = rt.transact(lambda uow: supervision.evidence_file(uow.session, rt, user=user,
                                                                  evidence_id=evidence_id))
    return send_file(io.BytesIO(data), mimetype=row.content_type, as_attachment=True,
                     download_name=row.file_name, max_age=0)


@bp.post("/supervision/findings/<int:finding_id>/clue")
@page(roles={"inspector", "supervisor", "caseworker"})
def finding_clue(finding_id):
    """Hand the finding over as a clue (one step)."""
    rt, user = runtime(), g.user
    clue = rt.transact(lambda uow: supervision.finding_to_clue(uow, runtime=rt, user=user,
                                                               finding_id=finding_id))
    return toast(render_template("supervision/_clue.html", clue={"number": clue.number,
                                                                  "case_id": clue.case_id}),
                 _("The finding is now a clue."))


@bp.get("/supervision/for-instance/<instance_id>")
@page(roles=ROLES)
def supervision_for_instance(instance_id):
    """From a task of an inspection or rectification to its page."""
    rt = runtime()

    def read(uow):
        s = uow.session
        fid = s.scalar(select(Finding.id).where(Finding.instance_id == instance_id))
        if fid is not None:
            return url_for("ui.finding_page", finding_id=fid)
        iid = s.scalar(select(Inspection.id).where(Inspection.instance_id == instance_id))
        if iid is not None:
            return url_for("ui.inspection_page", inspection_id=iid)
        raise NotFound("nothing belongs to this process", reason="supervision_instance_unknown")
    return redirect(rt.read(read))


# ---------------------------------------------------------------------------------------------
# Interference register


def _entry_fields(form) -> dict:
    fields = {k: form.get(k) for k in ("cadre_name", "cadre_unit", "cadre_post", "form",
                                        "matter_kind", "matter", "handling") if k in form}
    if form.get("occurred_on"):
        fields["occurred_on"] = form["occurred_on"]
    return fields


@bp.get("/interference")
@page(roles=REGISTER_ROLES)
def interference():
    """The register: search, entries, a new entry (registrars), the quarterly report."""
    rt, user, args = runtime(), g.user, request.args

    def read(uow):
        start = end = None
        try:
            start = date.fromisoformat(args["from"]) if args.get("from") else None
            end = date.fromisoformat(args["to"]) if args.get("to") else None
        except ValueError:
            raise Invalid("not a date", reason="date_invalid", fields={"from": [notes.note("date_format")]}) from None
        rows = supervision.search_interference(
            uow.session, user, q=args.get("q") or None,
            matter_kind=args.get("matter_kind") if args.get("matter_kind") in MATTERS else None,
            start=start, end=end)
        return [supervision.describe_interference(uow.session, r) for r in rows]
    entries = rt.read(read)
    template = "supervision/_entries.html" if is_htmx() else "supervision/interference.html"
    return render_template(template, entries=entries, q=args,
                           may_register=access.may_register_interference(user),
                           span=_year_span(), **_labels())


@bp.post("/interference")
@page(roles={"interference_registrar"})
def add_interference():
    rt, user = runtime(), g.user
    fields = _entry_fields(request.form)
    row = rt.transact(lambda uow: supervision.record_interference(uow.session, rt, user=user,
                                                                  fields=fields))
    response = make_response("", 204)
    response.headers["HX-Redirect"] = url_for("ui.interference_entry", entry_id=row.id)
    return response


def _entry_context(entry_id: int) -> dict:
    rt, user = runtime(), g.user

    def read(uow):
        row = supervision.interference_for(uow.session, user, entry_id)
        return {"e": supervision.describe_interference(uow.session, row),
                "may_correct": access.may_register_interference(user)
                and row.unit_id == user.unit_id,
                "may_clue": row.clue_id is None and bool({"caseworker", "supervisor"}
                                                         & user.roles)}
    return {**rt.read(read), **_labels()}


@bp.get("/interference/<int:entry_id>")
@page(roles=REGISTER_ROLES)
def interference_entry(entry_id):
    return render_template("supervision/entry.html", **_entry_context(entry_id))


@bp.post("/interference/<int:entry_id>/correct")
@page(roles={"interference_registrar"})
def correct_interference(entry_id):
    rt, user = runtime(), g.user
    fields = _entry_fields(request.form)
    reason = request.form.get("reason", "")
    rt.transact(lambda uow: supervision.correct_interference(
        uow.session, rt, user=user, entry_id=entry_id, fields=fields, reason=reason))
    return toast(render_template("supervision/_entry_facts.html", **_entry_context(entry_id)),
                 _("The correction was saved; the old values stay in the audit trail."))


@bp.post("/interference/<int:entry_id>/clue")
@page(roles={"caseworker", "supervisor"})
def interference_clue(entry_id):
    rt, user = runtime(), g.user
    clue = rt.transact(lambda uow: supervision.interference_to_clue(uow, runtime=rt, user=user,
                                                                    entry_id=entry_id))
    return toast(render_template("supervision/_clue.html", clue={"number": clue.number,
                                                                  "case_id": clue.case_id}),
                 _("The entry is now a clue."))


@bp.post("/interference/report")
@page(roles={"interference_registrar"})
def report_interference():
    """Submit the department's quarterly report (the last complete quarter)."""
    from engine.reports import service as reports
    rt, user = runtime(), g.user
    result = rt.transact(lambda uow: reports.submit(uow.session, rt, user=user,
                                                    kind="interference_quarterly_report",
                                                    on=None))
    return toast(render_template("supervision/_reported.html", result=result),
                 _("The quarterly report was submitted."))
