"""Work from the inbox list: claim a task from its row (the page's script sends one request per
chosen row and shows the progress); each answer is the row again, now held by the user."""
from __future__ import annotations

from flask import g, render_template, request

from engine.inbox import service as inbox
from engine.views import inbox_page as filters
from web.auth import runtime
from web.ui import bp, page, whole_number
from web.ui.inbox import CHANNELS, ROLES


@bp.post("/inbox/tasks/<task_id>/claim")
@page(roles=ROLES)
def claim_row(task_id: str):
    """Claim one task of the list; its row comes back."""
    rt, user = runtime(), g.user

    def work(uow):
        task = inbox.claim(uow, runtime=rt, task_id=task_id, user=user,
                           version=whole_number(request.form.get("version")))
        return filters.rows_of(uow.session, rt, [task], user=user)[0]
    row = rt.transact(work)
    return render_template("inbox/_row.html", t=row, channels=CHANNELS, selectable=True)
