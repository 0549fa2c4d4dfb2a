"""Conditional polling (every 30 s, web/static/poll.js): the bell's unread count and, for users
with an inbox, the tab counts and a stamp of their open tasks. The answer carries an ETag; an
unchanged state answers 304 with no body."""
from __future__ import annotations

from flask import g, jsonify, request

from engine.notifications import service as notifications
from engine.views import inbox_page as filters
from web.auth import runtime
from web.ui import bp, page
from web.ui.inbox import ROLES


@bp.get("/poll")
@page()
def poll():
    """The state a page keeps current: unread notifications, inbox counts; 304 if unchanged."""
    rt, user = runtime(), g.user
    query = {k: request.args.get(k, "") for k in filters.KEYS if request.args.get(k)}
    raw = request.args.get("page", "1")
    page_number = min(int(raw), filters.MAX_PAGE) if raw.isascii() and raw.isdigit() else 1

    def read(uow):
        state = {"unread": notifications.unread_count(uow.session, user.id)}
        if ROLES & user.roles:
            state.update(filters.poll_state(uow.session, rt, user=user, query=query,
                                            page=page_number))
        return state
    response = jsonify(rt.read(read))
    response.add_etag()
    return response.make_conditional(request)
