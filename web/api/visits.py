"""HTTP endpoints of the visits area: a case's return visits (回访) and the first-handling
transfer request (初信初访首办责任制)."""
from marshmallow import Schema, fields, validate

from engine.access import cases as case_access
from engine.errors import Invalid
from engine import notes
from engine.inbox import service as inbox
from engine.visits import service as visits
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc
from engine.org.models import User


class ReturnVisitOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    petition_id = fields.Integer(allow_none=True)
    kind = fields.String(metadata={"description": "reporter or cadre"})
    satisfaction = fields.String(allow_none=True, metadata={
        "description": "satisfied, basically_satisfied or dissatisfied"})
    notes = fields.String()
    reopened = fields.Boolean(metadata={"description": "the review re-opened the matter"})
    visited_by = fields.String(allow_none=True)
    visited_at = fields.AwareDateTime()


class TransferIn(schemas.Strict):
    to_unit = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@bp.get("/cases/<int:case_id>/return-visits")
@doc(responses={200: [ReturnVisitOut]})
def list_return_visits(case_id):
    """The case's return visits to reporters and to cleared cadres, oldest first."""
    user = current_user()
    rt = runtime()

    def read(uow):
        session = uow.session
        case_access.case_for_user(session, user, case_id)
        return [{"id": v.id, "case_id": v.case_id, "petition_id": v.petition_id, "kind": v.kind,
                 "satisfaction": v.satisfaction, "notes": v.notes, "reopened": v.reopened,
                 "visited_by": session.get(User, v.visited_by_id).username
                 if v.visited_by_id else None,
                 "visited_at": rt.clock.local(v.visited_at)}
                for v in visits.visits_for_case(session, case_id)]
    return dump(ReturnVisitOut, rt.read(read), many=True)


@bp.post("/cases/<int:case_id>/transfer")
@doc(body=TransferIn, responses={201: schemas.TaskOut})
def request_transfer(case_id):
    """Ask to transfer the matter to another unit: the handling unit's supervisor decides."""
    user = current_user()
    args = json_body(TransferIn)
    rt = runtime()

    def start(uow):
        tasks = visits.request_transfer(uow, runtime=rt, user=user, case_id=case_id,
                                        to_unit=args["to_unit"], reason=args["reason"])
        if not tasks:
            raise Invalid("the transfer process offered no task",
                          reason="visit_transfer_misconfigured", fields={"case_id": [notes.note("none")]})
        return inbox.describe(uow.session, tasks[:1], rt)[0]
    return dump(schemas.TaskOut, rt.transact(start)), 201
