"""The case page: status, current tasks and owners, deadlines, petitions and repeats, clues,
and the BPMN diagram of each of the case's process instances."""
from __future__ import annotations

from flask import g, jsonify, render_template, request
from flask_babel import gettext as _

from engine.views import case_overview as overview
from engine.documents import dossier
from engine.processes import service as processes
from web.auth import runtime
from web.ui import N_, bp, page, toast
from web.ui.intake import CATEGORIES, CHANNELS

CASE_STATUS = {"open": N_("Open"), "closed": N_("Closed"), "merged": N_("Merged into another"),
               "cancelled": N_("Cancelled")}
DEADLINE_STATUS = {"open": N_("Running"), "met": N_("Met"), "breached": N_("Breached"),
                   "suspended": N_("Suspended"), "not_applicable": N_("Not applicable"),
                   "cancelled": N_("Cancelled")}
INSTANCE_STATUS = {"running": N_("Running"), "completed": N_("Completed"), "error": N_("Error")}
WARNING = {"green": N_("On time"), "yellow": N_("Due soon"), "red": N_("Overdue")}


def case_context(case_id: int) -> dict:
    """What the case page and its fragments show."""
    user = g.user
    rt = runtime()
    view = rt.transact(lambda uow: overview.case_overview(uow.session, rt, user=user,
                                                          case_id=case_id))
    return {"view": view, "case": view["case"], "case_status": CASE_STATUS,
            "deadline_status": DEADLINE_STATUS, "instance_status": INSTANCE_STATUS,
            "warning_text": WARNING, "deadline_keys": DEADLINE_KEYS, "channels": CHANNELS,
            "categories": CATEGORIES, "clue_status": CLUE_STATUS, "findings": FINDINGS,
            **_dossiers(view)}


def _dossiers(view: dict) -> dict:
    """The case's dossiers and whether the reader may compile (and freeze) one."""
    user, rt, case = g.user, runtime(), view["case"]
    found = rt.read(lambda uow: [dossier.describe(d) for d in dossier.for_case(
        uow.session, user=user, case_id=case.id)])
    compile_ = bool(dossier.WRITERS & user.roles)
    return {"dossiers": found, "may_compile": compile_,
            "may_freeze": compile_ and (case.archived_at is not None or case.status == "closed")}


@bp.post("/cases/<int:case_id>/dossier")
@page()
def case_dossier(case_id):
    """Compile the dossier now (and freeze it when asked); the dossier section comes back."""
    rt, user = runtime(), g.user
    dossier.build(rt, user_id=user.id, case_id=case_id, freeze=request.form.get("freeze") == "1")
    return toast(render_template("cases/_dossier.html", **case_context(case_id)),
                 _("The dossier was compiled."))


@bp.get("/cases/<int:case_id>")
@page()
def case_page(case_id):
    """A case for whoever may see it; the reporter is masked."""
    return render_template("cases/page.html", **case_context(case_id))


@bp.get("/cases/<int:case_id>/instances/<instance_id>/diagram")
@page()
def case_diagram(case_id, instance_id):
    """One request for a diagram: the process's BPMN XML and its done and current elements."""
    user = g.user
    rt = runtime()

    def read(uow):
        instance = overview.instance_of_case(uow.session, user=user, case_id=case_id,
                                             instance_id=instance_id)
        return processes.diagram(uow.session, rt, instance)
    response = jsonify(rt.read(read))
    response.headers["Cache-Control"] = "no-store"
    return response

DEADLINE_KEYS = {
    "forward_elsewhere": N_("Forward to the competent body"),
    "acceptance_notice": N_("Acceptance notice to the reporter"),
    "disposal_proposal": N_("Disposal proposal"), "inquiry_reply": N_("Reply to the inquiry letter"),
    "inquiry_report": N_("Inquiry report"), "verification_report": N_("Verification report"),
    "trial_report": N_("Trial report"), "decision_announcement": N_("Announcement of the decision"),
    "result_feedback": N_("Result feedback to the reporter"),
    "shelved_review": N_("Review of a shelved clue"), "zone_decision": N_("Zone head's decision"),
    "joint_review_opinion": N_("Joint review opinion"), "clarification_step": N_("Clarification step"),
    "clarification_step_joint": N_("Clarification step (joint)"),
    "ordinary_petition_route": N_("Routing of an ordinary petition"),
    "ordinary_petition_close": N_("Closing of an ordinary petition"),
}
# A clue's status is `pending` or the disposition it is in (or `filed`).
CLUE_STATUS = {"pending": N_("Awaiting disposition"), "inquiry": N_("Inquiry"),
               "verification": N_("Preliminary verification"), "shelved": N_("Shelved"),
               "closed": N_("Closed"), "filed": N_("Filed")}
FINDINGS = {"true": N_("True"), "partly_true": N_("Partly true"), "untrue": N_("Untrue"),
            "unverifiable": N_("Unverifiable")}
