"""Failed processes: the list (supervisors who may see the case, whoever started the instance)
with the element, the error in the user's language and a retry; administrators see counts per
process and element, without case data."""
from __future__ import annotations

from flask import abort, g, render_template

from engine.access import failed as failed_access
from engine.errors import DomainError
from engine.processes import service as processes
from engine.views import failed_instances
from web.auth import runtime
from engine.workflow.problems import REASONS
from web.ui import N_, bp, page, refusals, toast
from web.ui.messages import script_detail
from flask_babel import gettext as _

ROLES = {"supervisor", "process_designer", "administrator"}


# The kind of element a problem names (`engine.workflow.problems`: the spec's class in words).
ELEMENT_KINDS = {"script task": N_("script task"), "user task": N_("user task"),
                 "manual task": N_("manual task"), "service task": N_("service task"),
                 "business rule task": N_("business rule task"), "call activity": N_("call activity"),
                 "sub workflow task": N_("sub-process"), "exclusive gateway": N_("exclusive gateway"),
                 "inclusive gateway": N_("inclusive gateway"), "parallel gateway": N_("parallel gateway"),
                 "event based gateway": N_("event-based gateway"), "start event": N_("start event"),
                 "end event": N_("end event"), "boundary event": N_("boundary event"),
                 "intermediate catch event": N_("intermediate catch event"),
                 "intermediate throw event": N_("intermediate throw event"), "element": N_("element")}


def error_text(row: dict) -> str:
    """The failure in the user's language: its coded problem's text, else as it is."""
    if row.get("reason") in REASONS:
        params = {**row["params"], **({"detail": script_detail(row["params"])}
                                       if "rule" in row["params"] else {})}
        if params.get("kind") in ELEMENT_KINDS:
            params["kind"] = _(ELEMENT_KINDS[params["kind"]])
        try:
            return _(REASONS[row["reason"]], **params)
        except (KeyError, ValueError, TypeError):
            pass
    return row.get("message") or ""


@bp.app_context_processor
def _failed_helpers():
    return {"failed_error_text": error_text}


@bp.get("/failed")
@page(roles=ROLES)
def failed_page():
    """Failed process instances the user may see; counts for administrators."""
    rt, user = runtime(), g.user

    def read(uow):
        rows = failed_instances.failed_for(uow.session, rt, user=user)
        counts = failed_instances.failed_counts(uow.session, rt) \
            if failed_access.may_count_failed(user) else None
        return rows, counts
    rows, counts = rt.read(read)
    return render_template("failed/page.html", rows=rows, counts=counts)


@bp.post("/failed/<instance_id>/retry")
@page(roles=ROLES)
def retry_failed(instance_id: str):
    """Run the failed step again; the row comes back (gone from the list when it ran)."""
    rt, user = runtime(), g.user
    try:
        instance = rt.transact(lambda uow: processes.retry_instance(
            uow, runtime=rt, instance_id=instance_id, data=None, user=user))
    except DomainError as exc:
        if exc.code == "not_found":
            abort(404)
        return render_template("failed/_retried.html", ok=False, instance_id=instance_id,
                               message=refusals.text(exc.reason, exc.params, exc.message,
                                                     exc.msgid)), 200, \
            {"X-Cluedesk-Status": "409" if exc.code == "conflict" else "403"}
    if instance.status == "error":
        rows = rt.read(lambda uow: failed_instances.failed_for(uow.session, rt, user=user))
        row = next((r for r in rows if r["instance_id"] == instance_id), None)
        return toast(render_template("failed/_row.html", r=row), _("It failed again."),
                     "error")
    return toast(render_template("failed/_retried.html", ok=True, instance_id=instance_id),
                 _("The process runs again."))
