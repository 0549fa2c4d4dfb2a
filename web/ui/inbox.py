"""The inbox: tabs with counts, filters, due-date badges, pages, saved filters. Filtering, tab
and page changes are one htmx request that swaps `#inbox` and pushes the URL."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import g, make_response, render_template, request
from flask_babel import gettext as _

from engine.views import inbox_page as filters
from web.auth import runtime
from web.ui import N_, bp, is_htmx, page, toast, whole_number
from web.ui.terms import Terms

TAB_LABELS = {"mine": N_("My tasks"), "unit": N_("Unclaimed in my unit"),
              "supervised": N_("Supervised"), "overdue": N_("Overdue")}
CHANNELS = Terms("channel")
CATEGORIES = Terms("category")
SORT_COLUMNS = (("case", N_("Case number")), ("step", N_("Step")), ("accused", N_("Accused")),
                ("township", N_("Township")), ("channel", N_("Channel")),
                ("received", N_("Received")), ("due", N_("Due")), ("holder", N_("Held by")))
DUE_LABELS = {"green": N_("On time"), "yellow": N_("Due soon"), "red": N_("Overdue")}
ROLES = {"caseworker", "supervisor", "intake_clerk", "joint_reviewer", "inspector",
         "rectification_officer", "village_officer", "village_supervisor", "disclosure_editor"}


def _query() -> dict:
    return {k: request.args.get(k, "") for k in filters.KEYS if request.args.get(k)}


def _url(query: dict, **change) -> str:
    merged = {**query, **change}
    return "?" + urlencode({k: v for k, v in merged.items() if v not in (None, "", 1)})


@bp.get("/inbox")
@page(roles=ROLES)
def inbox():
    """The user's tasks by tab, filtered; the table alone for an htmx request."""
    rt = runtime()
    user = g.user
    query = _query()
    # Past the last page shows the last page (filters.inbox_page); not a number shows the first.
    raw = request.args.get("page", "1").strip()
    number = whole_number(raw)
    if number is None:
        number = filters.MAX_PAGE if raw.isascii() and raw.isdigit() else 1

    def read(uow):
        found = filters.inbox_page(uow.session, rt, user=user, query=query, page=number)
        return (found, filters.choices(uow.session, rt, query.get("process")),
                filters.saved(uow.session, user.id))
    found, choices, saved = rt.read(read)
    context = {"found": found, "choices": choices, "saved": saved, "tabs": TAB_LABELS,
               "channels": CHANNELS, "categories": CATEGORIES, "due_labels": DUE_LABELS,
               "url": _url, "sort_columns": SORT_COLUMNS}
    if is_htmx() and not request.headers.get("HX-History-Restore-Request"):
        return render_template("inbox/_inbox.html", **context)
    return render_template("inbox/inbox.html", **context)


@bp.post("/inbox/filters")
@page(roles=ROLES)
def save_filter():
    """Save the current filter under a name (replaces one of the same name)."""
    rt = runtime()
    user = g.user
    query = {k: request.form.get(k, "") for k in filters.KEYS}

    def work(uow):
        filters.save(uow.session, user=user, name=request.form.get("name", ""), query=query,
                     now=rt.clock.now())
        return filters.saved(uow.session, user.id)
    saved = rt.transact(work)
    return toast(render_template("inbox/_saved.html", saved=saved, url=_url), _("Filter saved."))


@bp.delete("/inbox/filters/<int:filter_id>")
@page(roles=ROLES)
def delete_filter(filter_id: int):
    """Delete a saved filter."""
    rt = runtime()
    user = g.user

    def work(uow):
        filters.delete(uow.session, user=user, filter_id=filter_id)
        return filters.saved(uow.session, user.id)
    saved = rt.transact(work)
    return make_response(render_template("inbox/_saved.html", saved=saved, url=_url))
