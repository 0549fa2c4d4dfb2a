"""The bell: the user's notifications."""
from __future__ import annotations

from flask import g, render_template

from engine.notifications import service as notifications
from web.auth import runtime
from web.ui import N_, bp, page

KINDS = {"deadline_breached": N_("Deadline breached"), "reassigned": N_("Task reassigned"),
         "escalated": N_("Escalated"), "approved": N_("Approved"), "refused": N_("Refused"),
         "repeat_suspected": N_("Possible repeat")}


@bp.get("/notifications")
@page()
def notifications_page():
    """Newest notifications first; opening the page marks them read."""
    rt = runtime()
    user = g.user

    def read_and_mark(uow):
        items = notifications.list_for(uow.session, user.id, limit=100)
        unread = {n.id for n in items if n.read_at is None}
        notifications.mark_read(uow.session, user.id, rt.clock.now())
        return items, unread
    items, unread = rt.transact(read_and_mark)
    return render_template("ui/notifications.html", items=items, unread=unread, kinds=KINDS)
