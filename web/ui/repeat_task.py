"""The 查重确认 task's buttons: 是重复件 on a candidate, or 不是重复件; each completes the task
with that answer in one request and the work area shows what comes next."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _

from engine.errors import Invalid
from engine.processes import service as processes
from engine.views import task_page as task_page_service
from web.auth import runtime
from web.ui import bp, page, refusals, toast, whole_number


def _decide(task_id: str, data: dict):
    rt, user = runtime(), g.user
    view = rt.read(lambda uow: task_page_service.task_view(uow.session, rt, user=user,
                                                           task_id=task_id))

    def work(uow):
        _task, created = processes.complete_task(
            uow, runtime=rt, task_id=task_id, data=data,
            version=whole_number(request.form.get("version")), user=user)
        return task_page_service.next_steps(uow.session, user=user, tasks=created)
    try:
        steps = rt.transact(work)
    except Invalid as exc:  # e.g. the candidate is gone: nothing is swapped, the message shows
        response = toast("", refusals.text(exc.reason, exc.params, exc.message, exc.msgid),
                         "error")
        response.headers["HX-Reswap"] = "none"
        return response
    return toast(render_template("tasks/_done.html", v=view, steps=steps)
                 + '<section id="repeat-candidates" hx-swap-oob="true"></section>',
                 _("Task completed."))


@bp.post("/tasks/<task_id>/repeat")
@page()
def repeat_confirm(task_id: str):
    """是重复件: the petition repeats the chosen candidate (linked to it, its case merged)."""
    return _decide(task_id, {"is_repeat": True,
                             "original_number": request.form.get("original_number", "")})


@bp.post("/tasks/<task_id>/not-repeat")
@page()
def repeat_reject(task_id: str):
    """不是重复件: a first submission; the petition goes on to classification."""
    return _decide(task_id, {"is_repeat": False})
