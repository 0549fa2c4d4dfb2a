"""The case record (API.md "Case record") and supervisors' written instructions (批示)."""
from __future__ import annotations

from engine.cases import instructions
from engine.views import case_record
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc
from web.record_schemas import CaseRecordOut
from web.schemas import InstructionIn


@bp.get("/cases/<int:case_id>/record")
@doc(responses={200: CaseRecordOut})
def get_case_record(case_id):
    """What each step of the case decided, with who and when; the reporter masked."""
    user = current_user()
    rt = runtime()
    return dump(CaseRecordOut, rt.read(lambda uow: case_record.for_case(
        uow.session, rt, user=user, case_id=case_id)))


@bp.post("/cases/<int:case_id>/instructions")
@doc(body=InstructionIn, responses={201: CaseRecordOut})
def give_instruction(case_id):
    """批示: a supervisor over the case writes an instruction on it; the record comes back."""
    user = current_user()
    args = json_body(InstructionIn)
    rt = runtime()

    rt.transact(lambda uow: instructions.give(uow.session, rt, user=user, case_id=case_id,
                                              text=args["text"]))
    return dump(CaseRecordOut, rt.read(lambda uow: case_record.for_case(
        uow.session, rt, user=user, case_id=case_id))), 201
