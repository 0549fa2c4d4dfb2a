"""The case page: status, current tasks and owners, deadlines, petitions and repeats, clues,
and the BPMN diagram of each of the case's process instances."""
from __future__ import annotations

from flask import g, jsonify, render_template, request

from engine.views import case_overview as overview
from engine.views import case_page as case_views
from engine.documents import jobs as document_jobs
from engine.processes import service as processes
from web.auth import runtime
from web.ui import N_, bp, page, whole_number
from web.ui.intake import CATEGORIES, CHANNELS
from web.ui.terms import Terms

CASE_STATUS = Terms("case_status")
DEADLINE_STATUS = Terms("deadline_status")
INSTANCE_STATUS = Terms("instance_status")
WARNING = {"green": N_("On time"), "yellow": N_("Due soon"), "red": N_("Overdue")}


def case_context(case_id: int) -> dict:
    """What the case page and its fragments show (one unit of work: `views.case_page`)."""
    user = g.user
    rt = runtime()
    view = rt.transact(lambda uow: case_views.case_page(uow.session, rt, user=user,
                                                        case_id=case_id))
    return {"view": view, "case": view["case"], "case_status": CASE_STATUS,
            "deadline_status": DEADLINE_STATUS, "instance_status": INSTANCE_STATUS,
            "warning_text": WARNING, "deadline_keys": DEADLINE_KEYS, "channels": CHANNELS,
            "categories": CATEGORIES, "clue_status": CLUE_STATUS, "findings": FINDINGS,
            # The dossiers, whether the reader may compile (and freeze) one, and their jobs
            # (drawn with the page, so a click on its buttons is never overwritten by a later
            # load of the section).
            "dossiers": view["dossiers"], "may_compile": view["may_compile"],
            "may_freeze": view["may_freeze"], "dossier_jobs": view["dossier_jobs"],
            "jobs_active": document_jobs.active(view["dossier_jobs"])}


@bp.get("/cases/<int:case_id>")
@page()
def case_page(case_id):
    """A case for whoever may see it; the reporter is masked."""
    return render_template("cases/page.html", **case_context(case_id))


@bp.get("/cases/<int:case_id>/history")
@page()
def case_history_page(case_id):
    """The case's whole history in plain language, a hundred events a page."""
    user, rt = g.user, runtime()
    number = whole_number(request.args.get("page"), maximum=10**6) or 1
    view = rt.transact(lambda uow: overview.case_history(uow.session, rt, user=user,
                                                         case_id=case_id, page=number))
    return render_template("cases/history.html", v=view)


@bp.get("/cases/<int:case_id>/instances/<instance_id>/diagram")
@page()
def case_diagram(case_id, instance_id):
    """One request for a diagram: the process's BPMN XML, its done and current elements, its
    call activities and who holds each current step. `?process=` draws a process the instance
    calls (at any depth) instead of its own."""
    user = g.user
    rt = runtime()
    called = request.args.get("process") or None

    def read(uow):
        instance = overview.instance_of_case(uow.session, user=user, case_id=case_id,
                                             instance_id=instance_id)
        return processes.diagram(uow.session, rt, instance, called)
    response = jsonify(rt.read(read))
    response.headers["Cache-Control"] = "no-store"
    return response

DEADLINE_KEYS = Terms("deadline_key")
# A clue's status is `pending` or the disposition it is in (or `filed`).
CLUE_STATUS = Terms("clue_status")
FINDINGS = Terms("finding")
