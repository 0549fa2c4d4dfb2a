"""Supervisor tools: take a case personally (领导包案), the supervised list (督办), escalation to the
zone, reassignment of one task or many, extension approvals, and the overdue board."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _

from engine.views import case_overview as overview
from engine.cases import service as cases
from engine.views import board
from engine.inbox import service as inbox
from engine.processes import service as processes
from engine.zones import service as zones
from web.auth import runtime
from web.ui import N_, bp, page, toast, whole_number
from web.ui.cases import DEADLINE_KEYS, WARNING, case_context

SUPERVISOR = {"supervisor"}
TIME_UNITS = {"working_days": N_("working days"), "days": N_("days")}


def _summary(case_id: int, message: str):
    """The case page's summary after an action, with a message."""
    return toast(render_template("cases/_summary.html", **case_context(case_id)), message)


@bp.post("/supervise/cases/<int:case_id>/take")
@page(roles=SUPERVISOR)
def take_case(case_id):
    """领导包案: the supervisor takes the case personally."""
    rt = runtime()
    rt.transact(lambda uow: cases.take_personally(uow.session, rt, user=g.user, case_id=case_id))
    return _summary(case_id, _("You have taken the case personally."))


@bp.post("/supervise/cases/<int:case_id>/supervised")
@page(roles=SUPERVISOR)
def supervise_case(case_id):
    """督办: put the case on the supervised list, with a reason."""
    rt = runtime()
    reason = request.form.get("reason", "")
    rt.transact(lambda uow: cases.mark_supervised(uow.session, rt, user=g.user, case_id=case_id,
                                                  reason=reason))
    return _summary(case_id, _("The case is on the supervised list."))


@bp.post("/supervise/cases/<int:case_id>/unsupervised")
@page(roles=SUPERVISOR)
def unsupervise_case(case_id):
    """Take the case off the supervised list."""
    rt = runtime()
    rt.transact(lambda uow: cases.mark_supervised(uow.session, rt, user=g.user, case_id=case_id,
                                                  reason="", on=False))
    return _summary(case_id, _("The case is off the supervised list."))


@bp.post("/supervise/cases/<int:case_id>/escalate")
@page(roles={"supervisor", "caseworker"})
def escalate_case(case_id):
    """The handling township applies to escalate the case to its zone (提级办理)."""
    rt = runtime()
    reason = request.form.get("reason", "")
    rt.transact(lambda uow: zones.escalate(uow, runtime=rt, user=g.user, case_id=case_id,
                                           reason=reason))
    return _summary(case_id, _("The escalation was sent to the zone head."))


@bp.post("/supervise/tasks/<task_id>/reassign")
@page(roles=SUPERVISOR)
def reassign_task(task_id):
    """Give a task to another eligible user, with a reason; answers the task's row (of the case
    page, or of the overdue board with `row=board`)."""
    rt = runtime()
    user = g.user
    form = request.form
    version = form.get("version", "")

    def work(uow):
        task = inbox.reassign(uow, runtime=rt, task_id=task_id, user=user,
                              assignee=form.get("assignee", ""), reason=form.get("reason", ""),
                              version=whole_number(version))
        return overview.task_rows(uow.session, rt, user=user, tasks=[task])[0]
    task = rt.transact(work)
    template = "supervise/_board_row.html" if form.get("row") == "board" else "cases/_task_row.html"
    return toast(render_template(template, task=task, warning_text=WARNING),
                 _("Reassigned to %(name)s.", name=task["assignee_name"] or task["assignee"]))


@bp.get("/overdue")
@page(roles=SUPERVISOR)
def overdue_board():
    """Red tasks under the supervisor's unit, per township; extension requests to decide."""
    rt = runtime()
    user = g.user
    township = request.args.get("township") or None

    def read(uow):
        groups = board.overdue_board(uow.session, user=user, now=rt.clock.now(),
                                     township=township)
        described = iter(inbox.describe(uow.session, [t for g in groups for t in g["tasks"]], rt))
        for group in groups:
            group["rows"] = [next(described) for _ in group["tasks"]]
        extensions = board.extension_requests(uow.session, user=user)
        described = inbox.describe(uow.session, [task for task, _data in extensions], rt)
        return groups, [(row, data) for row, (_task, data) in zip(described, extensions, strict=False)]
    groups, extensions = rt.read(read)
    return render_template("supervise/board.html", groups=groups, extensions=extensions,
                           warning_text=WARNING, deadline_keys=DEADLINE_KEYS,
                           time_units=TIME_UNITS, now=rt.clock.now(), township=township)


@bp.get("/supervise/assignees")
@page(roles=SUPERVISOR)
def common_assignees():
    """The users who may be given every selected task: options for the bulk reassignment."""
    rt = runtime()
    ids = request.args.getlist("task")
    users = rt.read(lambda uow: board.common_assignees(uow.session, user=g.user, task_ids=ids))
    return render_template("supervise/_assignee_options.html", users=users, count=len(ids))


@bp.post("/supervise/extensions/<task_id>")
@page(roles=SUPERVISOR)
def decide_extension(task_id):
    """Approve or refuse a deadline extension (completes its approval task)."""
    rt = runtime()
    approved = request.form.get("approved") == "1"
    data = {"approved": approved, "comment": request.form.get("comment", "")}

    def work(uow):
        task, _next = processes.complete_task(uow, runtime=rt, task_id=task_id, data=data,
                                              version=None, user=g.user)
        return task.id
    rt.transact(work)
    return toast(render_template("supervise/_extension_done.html", task_id=task_id,
                                 approved=approved),
                 _("Extension approved.") if approved else _("Extension refused."))

