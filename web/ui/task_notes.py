"""The task page's notes: comments (办理意见) any handler of the case reads, and the user's own
follow-up date (提醒日期). Each action is one htmx request answered with the block."""
from __future__ import annotations

from datetime import date

from flask import g, render_template, request
from flask_babel import gettext as _

from engine.errors import Invalid
from engine.views import task_notes
from engine.worknotes import service as worknotes
from web.auth import runtime
from web.ui import bp, page, refusals, toast


def _notes(task_id: str) -> dict:
    rt, user = runtime(), g.user
    return rt.read(lambda uow: task_notes.notes_view(uow.session, rt, user=user,
                                                     task_id=task_id))


@bp.app_context_processor
def _task_notes():
    # The task page includes the block; it reads its own data (one read, no change to the page's
    # view model).
    return {"task_notes": _notes}


def _block(task_id: str, **extra):
    return render_template("tasks/_notes.html", n=_notes(task_id),
                           **{"errors": {}, "values": {}, **extra})


@bp.post("/tasks/<task_id>/comments")
@page()
def add_comment(task_id: str):
    """Comment on the task; the notes block comes back."""
    rt, user = runtime(), g.user
    body = request.form.get("body") or ""
    try:
        rt.transact(lambda uow: worknotes.add_comment(uow, runtime=rt, user=user,
                                                      task_id=task_id, body=body))
    except Invalid as exc:
        response = _block(task_id, errors={"body": refusals.text(exc.reason, exc.params,
                                                                 exc.message)},
                          values={"body": body})
        return response, 200, {"X-Cluedesk-Status": "422"}
    return toast(_block(task_id), _("Comment added."))


@bp.post("/tasks/<task_id>/follow-up")
@page()
def set_follow_up(task_id: str):
    """Set or clear the user's follow-up date on the task; the notes block comes back."""
    rt, user = runtime(), g.user
    raw = (request.form.get("remind_on") or "").strip()
    try:
        day = date.fromisoformat(raw) if raw and request.form.get("clear") is None else None
    except ValueError:
        return _block(task_id, errors={"remind_on": _("Choose a date.")}), 200, \
            {"X-Cluedesk-Status": "422"}
    rt.transact(lambda uow: worknotes.set_follow_up(uow, runtime=rt, user=user, task_id=task_id,
                                                    remind_on=day))
    return toast(_block(task_id), _("Follow-up date saved.") if day else
                 _("Follow-up date cleared."))
