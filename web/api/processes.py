from flask import request
from sqlalchemy import select

from engine.errors import Forbidden, Invalid
from engine.inbox import service as inbox
from engine.processes import service as processes
from engine.processes.models import ProcessDefinition
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc

DESIGNER = "process_designer"


def _require(role: str):
    user = current_user()
    if role not in user.roles:
        raise Forbidden(f"this needs the {role} role")
    return user


def instance_body(uow, instance) -> dict:
    rt = runtime()
    session = uow.session
    ready = inbox.describe(session, processes.open_tasks(session, instance.id), rt)
    error = None
    if instance.status == "error":
        error = {"element_id": instance.error_element_id, "message": instance.error_message}
    return dump(schemas.InstanceOut, {
        "id": instance.id, "process_key": instance.process_key, "version": instance.version,
        "status": instance.status, "case_id": instance.case_id, "ready_tasks": ready,
        "data": instance.data or {}, "error": error})


@bp.get("/process-definitions")
@doc(responses={200: [schemas.DefinitionOut]})
def list_definitions():
    """Deployed process definitions, every version."""
    current_user()
    rows = runtime().read(lambda uow: list(uow.session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version))))
    return dump(schemas.DefinitionOut, rows, many=True)


@bp.post("/process-definitions")
@doc(body={"type": "string", "description": "BPMN XML, or a multipart file `bpmn`"},
     content_type="application/xml", responses={201: [schemas.DeployOut], 200: [schemas.DeployOut],
                                                422: schemas.Error})
def deploy_definitions():
    """Validate and deploy BPMN; an unchanged file is not re-versioned."""
    user = _require(DESIGNER)
    if request.files:
        files = [(f.filename or "upload.bpmn", f.read()) for f in request.files.getlist("bpmn")]
        if not files:
            raise Invalid("send the file in the multipart field `bpmn`", fields={"bpmn": ["required"]})
    else:
        files = [(request.headers.get("X-File-Name", "upload.bpmn"), request.get_data())]
    comment = request.args.get("comment", "")
    rt = runtime()
    results = rt.transact(lambda uow: processes.deploy(uow, runtime=rt, files=files,
                                                       actor=user.username, comment=comment))
    status = 201 if any(r.created for r in results) else 200
    return dump(schemas.DeployOut, results, many=True), status


@bp.post("/process-instances")
@doc(body=schemas.StartIn, responses={201: schemas.InstanceOut})
def start_instance():
    """Start any deployed process (process designers)."""
    user = _require(DESIGNER)
    args = json_body(schemas.StartIn)
    rt = runtime()

    def start(uow):
        instance, _ = processes.start_instance(uow, runtime=rt, key=args["process_key"],
                                               version=args.get("version"), data=args["data"],
                                               user=user)
        return instance_body(uow, instance)
    return rt.transact(start), 201


@bp.get("/process-instances/<instance_id>")
@doc(responses={200: schemas.InstanceOut})
def get_instance(instance_id):
    """A process instance with its ready tasks, data and error."""
    user = current_user()
    rt = runtime()

    def read(uow):
        instance = processes.get_instance(uow.session, instance_id)
        if not processes.may_drive_instance(uow.session, user, instance):
            raise Forbidden("you may not see this instance")
        return instance_body(uow, instance)
    return rt.read(read)


@bp.post("/process-instances/<instance_id>/messages")
@doc(body=schemas.MessageIn, responses={200: schemas.InstanceOut})
def send_message(instance_id):
    """Deliver a BPMN message (by its name); correlation comes from the payload."""
    user = current_user()
    args = json_body(schemas.MessageIn)
    rt = runtime()
    return rt.transact(lambda uow: instance_body(uow, processes.send_message(
        uow, runtime=rt, instance_id=instance_id, name=args["name"], payload=args["payload"],
        user=user)))


@bp.post("/process-instances/<instance_id>/retry")
@doc(body=schemas.RetryIn, responses={200: schemas.InstanceOut})
def retry_instance(instance_id):
    """Merge data into the failed task and run it again."""
    user = current_user()
    args = json_body(schemas.RetryIn)
    rt = runtime()
    return rt.transact(lambda uow: instance_body(uow, processes.retry_instance(
        uow, runtime=rt, instance_id=instance_id, data=args.get("data"), user=user)))
