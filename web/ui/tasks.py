"""The task page: case summary (reporter masked, audited reveal), the task's form rendered from
its JSON Schema with the server's field errors, claim / unclaim / complete, extension request,
attachments and the case timeline in plain language. Every action is one htmx request that
answers with the fragment it changes."""
from __future__ import annotations

from datetime import datetime

from flask import g, make_response, render_template, request
from flask_babel import gettext as _

from engine.attachments import service as attachments
from engine.deadlines import extensions
from engine.documents import jobs as document_jobs
from engine.errors import Invalid
from engine import notes
from engine.views import task_page as task_page_service
from engine.inbox import service as inbox
from engine.processes import service as processes
from web.auth import runtime
from web.ui import N_, bp, page, refusals, toast, whole_number
from web.ui.inbox import CATEGORIES, CHANNELS
from web.ui.terms import plain, unit_pickers

# One sentence per kind of audit event; %(actor)s did it, on %(task)s, with %(detail)s.
TIMELINE = {
    "case_opened": N_("%(actor)s opened the case."),
    "petition_registered": N_("%(actor)s registered the petition."),
    "petition_corrected": N_("%(actor)s corrected the registration."),
    "petition_withdrawn": N_("%(actor)s recorded the reporter's withdrawal."),
    "petition_classified": N_("%(actor)s classified the petition."),
    "petition_forwarded": N_("%(actor)s forwarded the petition to another authority."),
    "reporter_notified": N_("%(actor)s told the reporter it was accepted."),
    "reporter_revealed": N_("%(actor)s viewed the reporter's identity (reason: %(reason)s)."),
    "repeat_confirmed": N_("%(actor)s confirmed it repeats an earlier petition."),
    "repeat_linked": N_("A repeat petition was linked to this case."),
    "repeat_rejected": N_("%(actor)s found it is not a repeat."),
    "repeat_undone": N_("%(actor)s undid a wrong repeat link."),
    "instance_started": N_("The process “%(process)s” started."),
    "instance_completed": N_("A process of the case ended."),
    "instance_failed": N_("The process stopped with an error; see “Failed processes” (its "
                          "supervisor or starter can run the step again)."),
    "instance_retried": N_("%(actor)s retried the process."),
    "instance_cancelled": N_("%(actor)s cancelled the process."),
    "task_created": N_("Step “%(task)s” is waiting."),
    "task_claimed": N_("%(actor)s took “%(task)s”."),
    "task_unclaimed": N_("%(actor)s gave “%(task)s” back to the queue."),
    "task_completed": N_("%(actor)s completed “%(task)s”."),
    "task_commented": N_("%(actor)s commented on “%(task)s”."),
    "document_generated": N_("A document was generated and attached."),
    "task_reassigned": N_("%(actor)s gave “%(task)s” to %(to)s (reason: %(reason)s)."),
    "task_moved": N_("“%(task)s” moved to the new handling unit."),
    "task_transferred": N_("“%(task)s” was handed over to another user."),
    "timer_fired": N_("A timer of the process fired."),
    "message_sent": N_("%(actor)s sent a message to the process."),
    "message_received": N_("The process received a message."),
    "deadline_started": N_("The time limit “%(key)s” started."),
    "deadline_met": N_("The time limit “%(key)s” was met."),
    "deadline_handed_on": N_("The time limit “%(key)s” runs on with the next step."),
    "deadline_breached": N_("The time limit “%(key)s” was breached."),
    "deadline_cancelled": N_("The time limit “%(key)s” no longer runs."),
    "deadline_not_applicable": N_("The time limit “%(key)s” does not apply."),
    "deadline_suspended": N_("%(actor)s suspended the time limit “%(key)s” (reason: %(reason)s)."),
    "deadline_resumed": N_("%(actor)s resumed the time limit “%(key)s”."),
    "deadline_recomputed": N_("The time limit “%(key)s” was recomputed."),
    "deadline_extension_requested": N_("%(actor)s asked for more time on “%(key)s” "
                                       "(reason: %(reason)s)."),
    "deadline_extension_refused": N_("%(actor)s refused more time on “%(key)s”."),
    "deadline_extended": N_("%(actor)s extended the time limit “%(key)s”."),
    "case_supervised": N_("The case was put on the supervised list (督办)."),
    "case_instructed": N_("%(actor)s gave a written instruction (批示)."),
    "case_taken": N_("%(actor)s took the case personally (包案)."),
    "case_cancelled": N_("%(actor)s cancelled the case."),
    "case_transfer_requested": N_("%(actor)s asked to transfer the case."),
    "case_transferred": N_("The case was transferred to another unit."),
    "case_transfer_received": N_("The case arrived from another unit."),
    "case_transfer_refused": N_("%(actor)s refused the transfer."),
    "case_escalation_applied": N_("%(actor)s applied to escalate the case to the zone "
                                  "(reason: %(reason)s)."),
    "case_escalation_accepted": N_("%(actor)s accepted the escalation."),
    "case_escalation_refused": N_("%(actor)s refused the escalation."),
    "township_work_withdrawn": N_("The township's open work on the case was withdrawn; the zone "
                                  "handles it."),
    "case_escalation_analysed": N_("%(actor)s recorded the functional office's analysis."),
    "investigation_team_assembled": N_("%(actor)s assembled the investigation team."),
    "investigation_reported": N_("%(actor)s reported the investigation."),
    "dossier_compiled": N_("%(actor)s compiled the dossier."),
    "case_archived": N_("%(actor)s archived the case."),
    "clue_created": N_("A clue was created from the petition."),
    "clue_moved": N_("The clue moved to another unit."),
    "clue_disposition_proposed": N_("%(actor)s proposed how to dispose of the clue."),
    "clue_disposition_approved": N_("%(actor)s approved the disposal proposal."),
    "clue_disposition_returned": N_("%(actor)s sent the disposal proposal back."),
    "clue_shelved": N_("The clue was shelved for later review."),
    "clue_closed": N_("The clue was closed."),
    "shelved_clue_reviewed": N_("%(actor)s reviewed the shelved clue."),
    "inquiry_planned": N_("%(actor)s planned the inquiry."),
    "inquiry_talk_held": N_("%(actor)s held the talk."),
    "inquiry_letter_sent": N_("%(actor)s sent the inquiry letter."),
    "inquiry_reply_received": N_("The reply to the inquiry letter arrived."),
    "inquiry_reported": N_("%(actor)s reported on the inquiry."),
    "inquiry_report_approved": N_("%(actor)s approved the inquiry report."),
    "inquiry_report_returned": N_("%(actor)s sent the inquiry report back."),
    "inquiry_escalated": N_("The inquiry led to a preliminary verification."),
    "verification_planned": N_("%(actor)s planned the preliminary verification."),
    "verification_plan_approved": N_("%(actor)s approved the verification plan."),
    "verification_reported": N_("%(actor)s reported the verification's findings."),
    "verification_decided": N_("%(actor)s decided on the verification."),
    "joint_review_convened": N_("%(actor)s convened a joint review."),
    "joint_review_opinion_given": N_("%(actor)s gave the unit's opinion in the joint review."),
    "joint_review_decided": N_("%(actor)s decided the joint review."),
    "case_filing_requested": N_("%(actor)s proposed filing the case."),
    "case_filing_returned": N_("%(actor)s sent the filing proposal back."),
    "case_filed": N_("The case was filed (立案)."),
    "case_investigated": N_("%(actor)s reported the investigation."),
    "case_tried": N_("%(actor)s recorded the trial opinion."),
    "case_decided": N_("%(actor)s recorded the decision."),
    "decision_announced": N_("%(actor)s announced the decision."),
    "case_concluded": N_("The case was concluded."),
    "case_rehandled": N_("The case was handled again after the reporter's objection."),
    "result_fed_back": N_("%(actor)s told the reporter the result."),
    "return_visit_recorded": N_("%(actor)s recorded the return visit."),
    "return_visit_reviewed": N_("%(actor)s reviewed the return visit."),
    "clarification_drafted": N_("%(actor)s drafted the clarification."),
    "clarification_approved": N_("%(actor)s approved the clarification."),
    "clarification_carried_out": N_("%(actor)s carried out the clarification."),
    "clarification_withdrawn": N_("The clarification was withdrawn."),
    "accusation_assessed": N_("%(actor)s assessed whether the accusation was false."),
    "accuser_educated": N_("%(actor)s recorded the education of the accuser."),
    "malicious_accusation_approved": N_("%(actor)s approved referring the false accusation."),
    "malicious_accusation_referred": N_("%(actor)s referred the false accusation."),
    "cadre_reminded": N_("%(actor)s reminded the cadre."),
    "attachment_uploaded": N_("%(actor)s attached a file."),
    "attachment_downloaded": N_("%(actor)s downloaded an attachment."),
    "relation_requested": N_("A recusal was requested."),
    "relation_decided": N_("%(actor)s decided a recusal request."),
    "relation_ended": N_("%(actor)s ended a recusal."),
}
OTHER_EVENT = N_("%(actor)s: %(action)s")
DEADLINES = {
    "forward_elsewhere": N_("forwarding"), "acceptance_notice": N_("acceptance notice"),
    "disposal_proposal": N_("disposal proposal"), "inquiry_reply": N_("inquiry reply"),
    "inquiry_report": N_("inquiry report"), "verification_report": N_("verification report"),
    "trial_report": N_("trial report"), "decision_announcement": N_("decision announcement"),
    "result_feedback": N_("result feedback"), "shelved_review": N_("shelved clue review"),
    "zone_decision": N_("zone decision"), "joint_review_opinion": N_("joint review opinion"),
    "clarification_step": N_("clarification"), "clarification_step_joint": N_("clarification"),
    "ordinary_petition_route": N_("routing"), "ordinary_petition_close": N_("closing"),
}
STATUSES = {"open": N_("Open"), "closed": N_("Closed"), "merged": N_("Merged"),
            "cancelled": N_("Cancelled"), "completed": N_("Completed")}
# String fields named like these are written at length: a textarea.
LONG_TEXT = ("reason", "note", "comment", "report", "summary", "content", "plan", "analysis",
             "finding", "opinion", "description", "measure", "suggest", "record", "result",
             "process", "detail", "situation")


@bp.app_template_global("timeline_sentence")
def timeline_sentence(event: dict) -> str:
    """One event of the case timeline as a sentence in the user's language."""
    detail = event["detail"]
    key = "" if event["action"].startswith("instance_") else (detail.get("key") or "")
    values = {"actor": event["actor"], "task": event["task"], "action": event["action"],
              "to": detail.get("to") or "", "reason": detail.get("reason") or "—",
              "key": _(DEADLINES[key]) if key in DEADLINES else key,
              "process": plain(detail.get("process_name") or detail.get("key") or "")}
    return _(TIMELINE.get(event["action"], OTHER_EVENT), **values)


def form_fields(schema: dict | None, prefix: str = "", choices: dict | None = None) -> list[dict]:
    """The form's fields in order, nested objects flattened to dotted names, each with the
    widget that suits its type; `choices` lists what the unit, person and file pickers offer
    (`task_page.form_choices`)."""
    if not schema:
        return []
    choices = choices or {}
    required = set(schema.get("required", []))
    out = []
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if prop.get("type") == "object":
            out.extend(form_fields(prop, f"{path}.", choices))
            continue
        kind, domain = prop.get("type", "string"), prop.get("x-type")
        options: list = []
        if domain == "multi_enum":
            labels = prop.get("x-labels", {})
            options = [(v, labels.get(v, v)) for v in prop.get("items", {}).get("enum", [])]
            widget = "checkboxes"
        elif domain in ("unit", "person", "file"):
            options, widget = list(choices.get(domain, [])), domain
        elif "enum" in prop:
            labels = prop.get("x-labels", {})
            options = [(v, labels.get(v, v)) for v in prop["enum"]]
            widget = "radio" if len(options) <= 4 else "select"
        elif domain == "textarea":
            widget = "textarea"
        else:
            widget = {"boolean": "boolean", "integer": "number", "number": "number"}.get(kind)
            if widget is None:
                fmt = prop.get("format")
                widget = "date" if fmt == "date" else "datetime" if fmt == "date-time" else \
                    "textarea" if (prop.get("maxLength") or 1000) > 200 and \
                    any(w in name for w in LONG_TEXT) else "text"
        when = prop.get("x-show-when") or {}
        out.append({"name": path, "label": prop.get("title") or name, "widget": widget,
                    "type": kind, "options": options, "required": name in required,
                    "default": prop.get("default"), "readonly": bool(prop.get("readOnly")),
                    "step": "1" if kind == "integer" else "any",
                    "min": prop.get("minimum"), "max": prop.get("maximum"),
                    "maxlength": prop.get("maxLength"), "help": prop.get("description"),
                    "show_field": when.get("field"), "show_values": "|".join(
                        when.get("values", []))})
    return out


def form_data(fields: list[dict], form) -> dict:
    """The submitted HTML form as the JSON the task's schema validates; empty fields are left
    out (so the server reports a missing required one), unparsable numbers sent as typed."""
    tz = runtime().clock.tz
    data: dict = {}
    for field in fields:
        if field["widget"] == "checkboxes":
            raw = [v for v in form.getlist(field["name"]) if v]
        else:
            raw = (form.get(field["name"]) or "").strip()
        if field["readonly"] or not raw:
            continue
        value: object = raw
        if field["widget"] == "boolean":
            value = raw == "true"
        elif field["type"] in ("integer", "number"):
            try:
                value = int(raw) if field["type"] == "integer" else float(raw)
            except ValueError:
                value = raw
        elif field["widget"] == "datetime":
            try:
                value = datetime.fromisoformat(raw).replace(tzinfo=tz).isoformat()
            except ValueError:
                value = raw
        node = data
        parts = field["name"].split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return data


def _context(view: dict, **extra) -> dict:
    fields = unit_pickers(form_fields(view["form"], choices=view.get("form_choices")))
    return {"v": view, "fields": fields, "values": {}, "errors": {},
            "channels": CHANNELS, "categories": CATEGORIES, "statuses": STATUSES,
            "deadline_names": DEADLINES, **extra}


def task_jobs(case_id: int) -> dict:
    """The case's document jobs for the task page's documents section (drawn with the page)."""
    rt, user = runtime(), g.user
    found = rt.read(lambda uow: document_jobs.for_case(
        uow.session, user=user, case_id=case_id, kinds=(document_jobs.DOCUMENT,)))
    return {"doc_jobs": found, "jobs_active": document_jobs.active(found)}


def _view(task_id: str, *, record: bool = False) -> dict:
    rt, user = runtime(), g.user
    work = lambda uow: task_page_service.task_view(uow.session, rt, user=user,  # noqa: E731
                                                   task_id=task_id, record_view=record)
    return rt.transact(work) if record else rt.read(work)


def _version() -> int | None:
    return whole_number(request.form.get("version"))


def _invalid(template: str, exc: Invalid, **context):
    """The fragment again with the field errors: 200 for the browser, 422 in the header."""
    response = make_response(render_template(template, **{
        **context, "errors": exc.fields or {},
        "message": refusals.text(exc.reason, exc.params, exc.message)}))
    response.headers["X-Cluedesk-Status"] = "422"
    return response


@bp.get("/tasks/<task_id>")
@page()
def task_page(task_id: str):
    """A task with its case; 404 / 403 for a task the user may not see."""
    view = _view(task_id, record=True)
    jobs = task_jobs(view["case"]["id"]) if view.get("case") else {}
    return render_template("tasks/task.html", **_context(view, **jobs))


def _holding_changed(task_id: str, change, message: str):
    """Claim or unclaim (`change`), then the work area (and the reporter block) come back."""
    rt, user = runtime(), g.user

    def work(uow):
        change(uow, runtime=rt, task_id=task_id, user=user, version=_version())
        return task_page_service.task_view(uow.session, rt, user=user, task_id=task_id)
    view = rt.transact(work)
    return toast(render_template("tasks/_work.html", **_context(view), oob=True), message)


@bp.post("/tasks/<task_id>/claim")
@page()
def claim(task_id: str):
    """Take the task."""
    return _holding_changed(task_id, inbox.claim, _("The task is yours."))


@bp.post("/tasks/<task_id>/unclaim")
@page()
def unclaim(task_id: str):
    """Give the task back to its queue."""
    return _holding_changed(task_id, inbox.unclaim, _("The task is back in the queue."))


@bp.post("/tasks/<task_id>/complete")
@page()
def complete(task_id: str):
    """Complete with the form's data: what comes next, or the form again with its errors."""
    rt, user = runtime(), g.user
    view = _view(task_id)
    context = _context(view)
    data = form_data(context["fields"], request.form)

    def work(uow):
        _, created = processes.complete_task(uow, runtime=rt, task_id=task_id, data=data,
                                             version=_version(), user=user)
        return task_page_service.next_steps(uow.session, user=user, tasks=created)
    try:
        steps = rt.transact(work)
    except Invalid as exc:
        return _invalid("tasks/_work.html", exc, **{**context, "values": request.form})
    return toast(render_template("tasks/_done.html", v=view, steps=steps),
                 _("Task completed."))


@bp.post("/tasks/<task_id>/extension")
@page()
def request_extension(task_id: str):
    """Ask the unit's supervisor for more time on the task's deadline."""
    rt, user = runtime(), g.user
    raw = (request.form.get("amount") or "").strip()
    unit = request.form.get("unit") or "working_days"
    reason = request.form.get("reason") or ""
    view = {"task": {"id": task_id}}
    try:
        if whole_number(raw, maximum=3650) is None:
            raise Invalid("the number of days is required", reason="extension_days_required",
                          fields={"amount": [notes.note("required" if not raw
                                                           else "wrong_type")]})
        rt.transact(lambda uow: extensions.request_extension(
            uow, runtime=rt, task_id=task_id, user=user, amount=int(raw), unit=unit,
            reason=reason))
    except Invalid as exc:
        return _invalid("tasks/_extension.html", exc, v=view, values=request.form)
    return toast(render_template("tasks/_extension.html", v=view, requested=True, values={},
                                 errors={}), _("Extension requested."))


@bp.post("/tasks/<task_id>/reveal")
@page()
def reveal(task_id: str):
    """Show the reporter's identity to a user allowed to see it, with a reason (audited)."""
    rt, user = runtime(), g.user
    reason = request.form.get("reason") or ""
    view = _view(task_id)
    try:
        shown = rt.transact(lambda uow: task_page_service.reveal_for_task(
            uow.session, rt, user=user, task_id=task_id, reason=reason))
    except Invalid as exc:
        return _invalid("tasks/_reporter.html", exc, **_context(view))
    return render_template("tasks/_reporter.html", **_context(view), revealed=shown)


@bp.post("/tasks/<task_id>/attachments")
@page()
def upload(task_id: str):
    """Attach a file to the task's case; the list comes back."""
    rt, user = runtime(), g.user
    view = _view(task_id)
    upload_file = request.files.get("file")
    flag = request.form.get("identifies_reporter") == "on"
    data = upload_file.read() if upload_file else b""
    case_id = view["case"]["id"] if view["case"] else 0

    def work(uow):
        attachments.upload(uow.session, rt, user=user, case_id=case_id,
                           file_name=upload_file.filename if upload_file else "file",
                           content_type=(upload_file.mimetype or "").lower() if upload_file
                           else "", data=data, identifies_reporter=flag)
        return task_page_service.task_view(uow.session, rt, user=user, task_id=task_id)
    try:
        view = rt.transact(work)
    except Invalid as exc:
        return _invalid("tasks/_attachments.html", exc, **_context(view))
    return toast(render_template("tasks/_attachments.html", **_context(view)),
                 _("File attached."))


@bp.get("/tasks/<task_id>/print")
@page()
def print_approval(task_id: str):
    """The approval form (呈批表) of the step on A4, for the browser's print."""
    from engine.documents import record
    rt, user = runtime(), g.user

    def work(uow):
        view = task_page_service.task_view(uow.session, rt, user=user, task_id=task_id)
        if not view["case"]:
            raise Invalid("this step produces no document", reason="task_has_no_document")
        return view, record.build(uow.session, rt, user=user, case_id=view["case"]["id"],
                                  reveal=False)
    view, rec = rt.transact(work)
    return render_template("tasks/print.html", v=view, r=rec)
