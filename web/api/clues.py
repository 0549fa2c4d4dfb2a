"""HTTP endpoints of the clues area: the clue ledger entries of a case, and one clue."""
from marshmallow import Schema, fields, validate

from engine.clues import service as clues
from engine.clues.models import DISPOSITIONS, FINDINGS
from web.api import bp
from web.api.common import dump
from web.auth import current_user, runtime
from web.openapi import doc

CLUE_STATUSES = ("pending", "inquiry", "verification", "shelved", "closed", "filed")


class ClueAccused(Schema):
    name = fields.String()
    post = fields.String()
    unit = fields.String()
    level = fields.String()


class ClueOut(Schema):
    """A clue (问题线索) of the clue ledger."""
    id = fields.Integer()
    number = fields.String(metadata={"description": "e.g. town-a-2026-L000001"})
    case_id = fields.Integer(allow_none=True)
    case_number = fields.String(allow_none=True)
    petition_id = fields.Integer(allow_none=True)
    petition_number = fields.String(allow_none=True)
    source = fields.String()
    status = fields.String(validate=validate.OneOf(CLUE_STATUSES))
    unit = fields.String(allow_none=True, metadata={"description": "handling unit code"})
    accused = fields.Nested(ClueAccused)
    summary = fields.String()
    disposition = fields.String(allow_none=True, validate=validate.OneOf(DISPOSITIONS))
    disposition_reason = fields.String()
    proposed_by = fields.String(allow_none=True)
    proposed_at = fields.AwareDateTime(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    shelved_until = fields.AwareDateTime(allow_none=True)
    finding = fields.String(allow_none=True, validate=validate.OneOf(FINDINGS))
    finding_at = fields.AwareDateTime(allow_none=True)
    key_verification = fields.Boolean()
    closed_reason = fields.String()
    closed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


@bp.get("/cases/<int:case_id>/clues")
@doc(responses={200: [ClueOut]})
def case_clues(case_id):
    """The clues of a case (number, status, disposition, finding), oldest first."""
    user = current_user()
    rt = runtime()

    def read(uow):
        session = uow.session
        return [clues.describe(session, rt, clue=c)
                for c in clues.of_case_for_user(session, user=user, case_id=case_id)]
    return dump(ClueOut, rt.read(read), many=True)


@bp.get("/clues/<int:clue_id>")
@doc(responses={200: ClueOut})
def get_clue(clue_id):
    """One clue, for whoever may see its case."""
    user = current_user()
    rt = runtime()
    return dump(ClueOut, rt.read(lambda uow: clues.describe(
        uow.session, rt, clue=clues.for_user(uow.session, user=user, clue_id=clue_id))))
