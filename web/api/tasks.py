from engine.cases.models import Case
from engine.inbox import service as inbox
from engine.processes import service as processes
from engine.processes import store
from engine.processes.models import ProcessInstance
from engine.views import case_record, task_page
from web import schemas
from web.api import bp
from web.api.common import dump, json_body, query_args
from web.auth import current_user, runtime
from web.openapi import doc


def _one(uow, task) -> dict:
    return inbox.describe(uow.session, [task], runtime())[0]


@bp.get("/tasks")
@doc(query=schemas.TaskQuery, responses={200: schemas.TaskList})
def list_tasks():
    """Tasks the caller may see, soonest due first."""
    user = current_user()
    args = query_args(schemas.TaskQuery)
    rt = runtime()

    def read(uow):
        page = inbox.list_tasks(uow.session, user=user, now=rt.clock.now(), **args)
        return {"items": inbox.describe(uow.session, page.items, rt),
                "total": page.total, "total_capped": page.total_capped, "page": page.page,
                "per_page": page.per_page}
    return dump(schemas.TaskList, rt.read(read))


@bp.get("/tasks/<task_id>")
@doc(responses={200: schemas.TaskDetail})
def get_task(task_id):
    """A task with its form (JSON Schema) and a summary of its case."""
    user = current_user()
    rt = runtime()

    def read(uow):
        session = uow.session
        task = inbox.get_task(session, user=user, task_id=task_id)
        body = _one(uow, task)
        instance = session.get(ProcessInstance, task.instance_id)
        body["form"] = store.compiled_for(session, rt, instance.definition_id).form(
            task.element_id)
        body["decision"] = task_page.decision(task, body["form"])
        body["record"] = case_record.for_task(session, rt, task=task,
                                              approval=body["decision"] is not None)
        case = session.get(Case, task.case_id) if task.case_id else None
        body["case"] = {"id": case.id, "number": case.number, "display_number": case.display_number,
                        "status": case.status} if case else None
        return body
    return dump(schemas.TaskDetail, rt.read(read))


@bp.post("/tasks/<task_id>/claim")
@doc(body=schemas.VersionIn, responses={200: schemas.TaskOut})
def claim_task(task_id):
    """Take a task offered to the caller."""
    user = current_user()
    args = json_body(schemas.VersionIn)
    rt = runtime()
    return dump(schemas.TaskOut, rt.transact(lambda uow: _one(uow, inbox.claim(
        uow, runtime=rt, task_id=task_id, user=user, version=args.get("version")))))


@bp.post("/tasks/<task_id>/unclaim")
@doc(body=schemas.VersionIn, responses={200: schemas.TaskOut})
def unclaim_task(task_id):
    """Give a task back to its queue."""
    user = current_user()
    args = json_body(schemas.VersionIn)
    rt = runtime()
    return dump(schemas.TaskOut, rt.transact(lambda uow: _one(uow, inbox.unclaim(
        uow, runtime=rt, task_id=task_id, user=user, version=args.get("version")))))


@bp.post("/tasks/<task_id>/complete")
@doc(body=schemas.CompleteIn, responses={200: schemas.CompleteOut})
def complete_task(task_id):
    """Complete a task with data validated against its form."""
    user = current_user()
    args = json_body(schemas.CompleteIn)
    rt = runtime()

    def complete(uow):
        task, new = processes.complete_task(uow, runtime=rt, task_id=task_id, data=args["data"],
                                            version=args.get("version"), user=user)
        described = inbox.describe(uow.session, [task, *new], rt)
        return {"task": described[0], "next_tasks": described[1:]}
    return dump(schemas.CompleteOut, rt.transact(complete))


@bp.post("/tasks/<task_id>/reassign")
@doc(body=schemas.ReassignIn, responses={200: schemas.TaskOut})
def reassign_task(task_id):
    """A supervisor gives the task to another eligible user, with a reason."""
    user = current_user()
    args = json_body(schemas.ReassignIn)
    rt = runtime()
    return dump(schemas.TaskOut, rt.transact(lambda uow: _one(uow, inbox.reassign(
        uow, runtime=rt, task_id=task_id, user=user, assignee=args["assignee"],
        reason=args["reason"], version=args.get("version")))))
