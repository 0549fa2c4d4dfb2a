from marshmallow import Schema, fields

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.cases import service as cases
from engine.deadlines import service as deadlines
from engine.inbox import service as inbox
from engine.processes import service as processes
from engine.processes.models import ProcessInstance
from engine.views import case_overview as overview
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


def describe_deadlines(rows) -> list[dict]:
    """Deadlines with the deployment's UTC offset and a warning from the app clock."""
    rt = runtime()
    now = rt.clock.now()
    return [{"id": d.id, "key": d.key, "status": d.status, "warning": deadlines.warning_of(d, now),
             "due_at": rt.clock.local(d.due_at).isoformat() if d.due_at else None,
             "started_at": rt.clock.local(d.started_at).isoformat(), "task_id": d.task_id}
            for d in rows]


@bp.get("/cases/<int:case_id>")
@doc(responses={200: schemas.CaseOut})
def get_case(case_id):
    """A case: status, process, current tasks, data and deadlines."""
    user = current_user()
    rt = runtime()

    def read(uow):
        session = uow.session
        case = cases.read_case(session, rt, user=user, case_id=case_id)
        instance = session.get(ProcessInstance, case.instance_id) if case.instance_id else None
        tasks = processes.open_tasks(session, instance.id) if instance else []
        return {"id": case.id, "number": case.number,
                "display_number": case.display_number, "status": case.status,
                "process_key": case.process_key,
                "process_version": instance.version if instance else None,
                "instance_id": case.instance_id,
                "current_tasks": inbox.describe(session, tasks, rt),
                "data": instance.data if instance else {},
                "deadlines": describe_deadlines(deadlines.for_case(session, case.id)),
                "filed_at": case.filed_at, "created_at": case.created_at,
                "supervised_at": case.supervised_at}
    return dump(schemas.CaseOut, rt.transact(read))


class CaseViewOut(Schema):
    at = fields.AwareDateTime()
    actor = fields.String()
    via = fields.String(metadata={"description": "what was read: case or petition"})


@bp.get("/cases/<int:case_id>/views")
@doc(responses={200: [CaseViewOut]})
def case_views(case_id):
    """Who read the case's details and when, oldest first (supervisors over the case)."""
    user = current_user()
    rt = runtime()
    return dump(CaseViewOut, rt.read(lambda uow: [
        {"at": e.at, "actor": e.actor, "via": e.detail.get("via")}
        for e in overview.case_views(uow.session, user=user, case_id=case_id)]), many=True)


@bp.get("/cases/<int:case_id>/history")
@doc(responses={200: [schemas.HistoryEvent]})
def case_history(case_id):
    """The case's audit events, oldest first."""
    user = current_user()
    rt = runtime()

    def read(uow):
        case_access.case_for_user(uow.session, user, case_id)
        return [{"at": e.at, "actor": e.actor, "action": e.action,
                 "task": e.task_name or e.task_id, "detail": e.detail}
                for e in audit.history(uow.session, case_id=case_id)]
    return dump(schemas.HistoryEvent, rt.read(read), many=True)


def _case_body(uow, case) -> dict:
    return {"id": case.id, "number": case.number, "display_number": case.display_number,
            "status": case.status}


@bp.post("/cases/<int:case_id>/take")
@doc(responses={200: schemas.CaseSummary})
def take_case(case_id):
    """领导包案: a supervisor takes the case personally."""
    user = current_user()
    rt = runtime()
    return dump(schemas.CaseSummary, rt.transact(lambda uow: _case_body(
        uow, cases.take_personally(uow.session, rt, user=user, case_id=case_id))))


@bp.post("/cases/<int:case_id>/supervised")
@doc(body=schemas.ReasonIn, responses={200: schemas.CaseSummary})
def supervise_case(case_id):
    """督办: put the case on the supervised list, with a reason."""
    user = current_user()
    args = json_body(schemas.ReasonIn)
    rt = runtime()
    return dump(schemas.CaseSummary, rt.transact(lambda uow: _case_body(
        uow, cases.mark_supervised(uow.session, rt, user=user, case_id=case_id,
                                   reason=args["reason"]))))


@bp.delete("/cases/<int:case_id>/supervised")
@doc(responses={200: schemas.CaseSummary})
def unsupervise_case(case_id):
    """Take the case off the supervised list."""
    user = current_user()
    rt = runtime()
    return dump(schemas.CaseSummary, rt.transact(lambda uow: _case_body(
        uow, cases.mark_supervised(uow.session, rt, user=user, case_id=case_id, reason="",
                                   on=False))))


@bp.post("/cases/<int:case_id>/cancel")
@doc(body=schemas.ReasonIn, responses={200: schemas.CaseSummary})
def cancel_case(case_id):
    """A supervisor cancels the case with a reason; history is kept."""
    user = current_user()
    args = json_body(schemas.ReasonIn)
    rt = runtime()
    return dump(schemas.CaseSummary, rt.transact(lambda uow: _case_body(
        uow, cases.cancel_case(uow, runtime=rt, user=user, case_id=case_id,
                               reason=args["reason"]))))
