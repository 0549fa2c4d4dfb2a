"""The case record on the pages: a supervisor's written instruction (批示) from the case page;
the record section comes back with it (one request)."""
from __future__ import annotations

from flask import g, make_response, render_template, request
from flask_babel import gettext as _

from engine.cases import instructions
from engine import notes
from engine.errors import Invalid
from engine.views import case_record
from web.auth import runtime
from web.ui import bp, page, refusals, toast


def _section(case_id: int, **extra) -> str:
    rt, user = runtime(), g.user
    rec = rt.read(lambda uow: case_record.for_case(uow.session, rt, user=user, case_id=case_id))
    return render_template("record/_record.html", rec=rec, may_instruct=True,
                           record_part="entries", **extra)


@bp.post("/supervise/cases/<int:case_id>/instruction")
@page(roles={"supervisor"})
def instruct_case(case_id):
    """批示: the supervisor writes an instruction on the case (audited, the holders told)."""
    rt, user = runtime(), g.user
    text = request.form.get("text", "")
    try:
        rt.transact(lambda uow: instructions.give(uow.session, rt, user=user, case_id=case_id,
                                                  text=text))
    except Invalid as exc:
        response = make_response(_section(case_id, errors=exc.fields or {"text": [notes.note("required")]},
                                          values=request.form,
                                          message=refusals.text(exc.reason, exc.params,
                                                                exc.message, exc.msgid)))
        response.headers["X-Cluedesk-Status"] = "422"
        return response
    return toast(_section(case_id), _("The instruction was given."))
