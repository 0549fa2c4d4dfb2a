"""HTTP endpoints of the zones area: escalation of a case to its collaboration zone."""
from marshmallow import Schema, fields, validate

from engine.inbox import service as inbox
from engine.zones import service as zones
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


class EscalateIn(schemas.Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class EscalationOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    instance_id = fields.String(allow_none=True)
    zone = fields.String()
    township = fields.String()
    reason = fields.String()
    status = fields.String(metadata={"description": "applied, accepted, refused, investigating, "
                                                    "dossier_compiled or archived"})
    applied_by = fields.String(allow_none=True)
    applied_at = fields.String(allow_none=True)
    decision = fields.String(allow_none=True, metadata={"description": "accepted or refused"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    team = fields.List(fields.String(), metadata={"description": "investigators' usernames"})
    dossier_at = fields.String(allow_none=True)
    archived_at = fields.String(allow_none=True)


class EscalationCreated(EscalationOut):
    task = fields.Nested(schemas.TaskOut, allow_none=True,
                         metadata={"description": "the zone head's decision task"})
    ready_tasks = fields.List(fields.Nested(schemas.TaskOut))


@bp.post("/cases/<int:case_id>/escalate")
@doc(body=EscalateIn, responses={201: EscalationCreated})
def escalate_case(case_id):
    """Apply to escalate the case to the handling township's collaboration zone (提级办理)."""
    user = current_user()
    args = json_body(EscalateIn)
    rt = runtime()

    def work(uow):
        row, instance, tasks = zones.escalate(uow, runtime=rt, user=user, case_id=case_id,
                                              reason=args["reason"])
        described = inbox.describe(uow.session, tasks, rt)
        return {**zones.describe(uow.session, rt, row, instance.id),
                "task": described[0] if described else None, "ready_tasks": described}
    return dump(EscalationCreated, rt.transact(work)), 201


@bp.get("/cases/<int:case_id>/escalations")
@doc(responses={200: [EscalationOut]})
def case_escalations(case_id):
    """The case's escalations to its zone, oldest first."""
    user = current_user()
    rt = runtime()
    return dump(EscalationOut, rt.read(lambda uow: zones.for_case(
        uow.session, rt, user=user, case_id=case_id)), many=True)
