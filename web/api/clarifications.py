"""HTTP endpoints of the clarifications area: a case's clarifications (澄清正名) and
false-accusation records (错告/诬告)."""
from marshmallow import Schema, fields

from engine.access import cases as case_access
from engine.clarifications import service as clarifications
from web.api import bp
from web.api.common import dump
from web.auth import current_user, runtime
from web.openapi import doc
from engine.org.models import User


class ClarificationOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    cadre_name = fields.String()
    origin = fields.String(metadata={"description": "finding or application"})
    scope = fields.List(fields.String(), metadata={
        "description": "written, and any of meeting, notice, publication, in_person"})
    people = fields.Integer()
    status = fields.String(metadata={"description": "drafted, approved, done or refused"})
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    carried_out_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


class ReferralOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    kind = fields.String(metadata={"description": "mistaken or malicious"})
    aggravating = fields.String(metadata={
        "description": "election, inspection, cadre_selection or empty"})
    note = fields.String()
    status = fields.String(metadata={"description": "proposed, educated, referred or refused"})
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    decided_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


def _local(rt, value):
    return rt.clock.local(value) if value is not None else None


def _username(session, user_id):
    return session.get(User, user_id).username if user_id else None


@bp.get("/cases/<int:case_id>/clarifications")
@doc(responses={200: [ClarificationOut]})
def list_clarifications(case_id):
    """The case's clarifications of falsely accused cadres, oldest first."""
    user = current_user()
    rt = runtime()

    def read(uow):
        session = uow.session
        case_access.case_for_user(session, user, case_id)
        return [{"id": c.id, "case_id": c.case_id, "cadre_name": c.cadre_name,
                 "origin": c.origin, "scope": list(c.scope or []), "people": c.people,
                 "status": c.status, "approved_by": _username(session, c.approved_by_id),
                 "approved_at": _local(rt, c.approved_at),
                 "carried_out_at": _local(rt, c.carried_out_at),
                 "created_at": _local(rt, c.created_at)}
                for c in clarifications.for_case(session, case_id)]
    return dump(ClarificationOut, rt.read(read), many=True)


@bp.get("/cases/<int:case_id>/referrals")
@doc(responses={200: [ReferralOut]})
def list_referrals(case_id):
    """The case's false-accusation records (mistaken: educated; malicious: referred)."""
    user = current_user()
    rt = runtime()

    def read(uow):
        session = uow.session
        case_access.case_for_user(session, user, case_id)
        return [{"id": r.id, "case_id": r.case_id, "kind": r.kind, "aggravating": r.aggravating,
                 "note": r.note, "status": r.status,
                 "approved_by": _username(session, r.approved_by_id),
                 "approved_at": _local(rt, r.approved_at), "decided_at": _local(rt, r.decided_at),
                 "created_at": _local(rt, r.created_at)}
                for r in clarifications.referrals_for_case(session, case_id)]
    return dump(ReferralOut, rt.read(read), many=True)
