from flask import Response, request
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from engine.errors import Forbidden, Invalid
from engine import notes
from engine.inbox import service as inbox
from engine.processes import lint, migration, testrun, versions
from engine.processes import service as processes
from engine.processes.models import ProcessDefinition
from web import schemas
from web.api import bp
from web.api.common import dump, json_body, query_args
from web.auth import current_user, runtime
from web.openapi import doc

DESIGNER = "process_designer"


def _require(role: str):
    user = current_user()
    if role not in user.roles:
        raise Forbidden("this needs the %(role)s role", reason="role_required", params={"role": role})
    return user


def _uploaded_files() -> list[tuple[str, bytes]]:
    """BPMN from the body (XML, name in X-File-Name) or from the multipart field `bpmn`."""
    if request.files:
        files = [(f.filename or "upload.bpmn", f.read()) for f in request.files.getlist("bpmn")]
        if not files:
            raise Invalid("send the file in the multipart field `bpmn`", reason="bpmn_file_missing",
                          fields={"bpmn": [notes.note("required")]})
        return files
    return [(request.headers.get("X-File-Name", "upload.bpmn"), request.get_data())]


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
    files = _uploaded_files()
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
            raise Forbidden("you may not see this instance", reason="instance_not_visible")
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


# ---------------------------------------------------------------------------------------------
# Process designer: validation, versions, diff, migration, test-runs


class ValidationOut(Schema):
    processes = fields.List(fields.String())
    errors = fields.List(fields.Nested(schemas.ErrorDetail),
                         metadata={"description": "the file cannot run; deploy would refuse it"})
    warnings = fields.List(fields.Nested(schemas.ErrorDetail),
                           metadata={"description": "domain lint; deploy accepts and returns them"})


class VersionOut(schemas.DefinitionOut):
    running_instances = fields.Integer()
    deployed_by_name = fields.String(allow_none=True, metadata={
        "description": "the deploying user's display name; null for a command-line deploy"})


class DiffChange(Schema):
    field = fields.String(metadata={"description": "name, kind, lane, condition, default, "
                                    "connects, documentation, timer, script, called_element, "
                                    "message, multi_instance, assignment.<attribute>, "
                                    "property.<name> (action, deadline, document, ...), "
                                    "form.<field id>, or other"})
    old = fields.String(allow_none=True, metadata={"description": "null: not set"})
    new = fields.String(allow_none=True, metadata={"description": "null: not set"})


class DiffElement(Schema):
    element_id = fields.String()
    kind = fields.String(metadata={"description": "BPMN element name, e.g. userTask"})
    name = fields.String(allow_none=True)
    changes = fields.List(fields.Nested(DiffChange),
                          metadata={"description": "changed elements only"})


class DiffQuery(schemas.Strict):
    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1))
    to_version = fields.Integer(required=True, data_key="to", validate=validate.Range(min=1))


class DraftDiffQuery(schemas.Strict):
    from_version = fields.Integer(required=True, data_key="from", validate=validate.Range(min=1))


class DiffOut(Schema):
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer(allow_none=True, metadata={"description": "null: the draft"})
    added = fields.List(fields.Nested(DiffElement))
    removed = fields.List(fields.Nested(DiffElement))
    changed = fields.List(fields.Nested(DiffElement),
                          metadata={"description": "attributes, properties, forms or conditions"})


class InstancesQuery(schemas.Strict):
    version = fields.Integer(validate=validate.Range(min=1))


class MigratableInstanceOut(Schema):
    id = fields.String()
    version = fields.Integer()
    status = fields.String()
    case_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime()


class MigrateIn(schemas.Strict):
    instance_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=500))
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    mapping = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict,
                          metadata={"description": "old element id -> element id in the target"})
    dry_run = fields.Boolean(load_default=False)


class MigrationReportOut(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    status = fields.String(metadata={"description": "migrated, would_migrate or refused"})
    message = fields.String()
    missing = fields.List(fields.String(), metadata={"description": "live elements the target lacks"})
    moved = fields.Dict(keys=fields.String(), values=fields.String())
    reset = fields.List(fields.String())
    kept_timers = fields.List(fields.String())


class TestRunLimit(Schema):
    key = fields.String(metadata={"description": "statutory deadline key (config.yaml)"})
    amount = fields.Integer()
    unit = fields.String(metadata={"description": "working_days, days or months"})


class TestRunDeadline(TestRunLimit):
    started_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(metadata={"description": "on the working-day calendar"})
    runs_on = fields.Boolean(metadata={"description": "started by an earlier step, not met"})


class TestRunTask(Schema):
    id = fields.String()
    element_id = fields.String()
    name = fields.String()
    lane = fields.String(allow_none=True)
    form = fields.Dict(allow_none=True)
    properties = fields.Dict(metadata={"description": "the task's properties (action, deadline, ...)"})
    deadlines = fields.List(fields.Nested(TestRunDeadline), metadata={
        "description": "the deadline rows the task would start or works under"})


class TestRunStep(Schema):
    kind = fields.String(metadata={"description": "task or timers"})
    element_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    data = fields.Dict(allow_none=True, metadata={"description": "what was submitted"})
    at = fields.AwareDateTime(metadata={"description": "the test-run's clock at the step"})


class TestRunTimer(Schema):
    element_id = fields.String()
    due_at = fields.AwareDateTime(allow_none=True)


class TestRunOut(Schema):
    id = fields.String()
    process_key = fields.String()
    status = fields.String()
    now = fields.AwareDateTime()
    completed = fields.List(fields.String(), metadata={"description": "element ids done"})
    current = fields.List(fields.String(), metadata={"description": "element ids with a token"})
    ready_tasks = fields.List(fields.Nested(TestRunTask))
    waiting_timers = fields.List(fields.Nested(TestRunTimer))
    data = fields.Dict()
    error = fields.Nested(schemas.InstanceError, allow_none=True)
    steps = fields.List(fields.Nested(TestRunStep), metadata={
        "description": "the steps taken, oldest first; `back` undoes the last"})
    labels = fields.Dict(metadata={"description": "field -> {title, values}: the process data's "
                                   "names and choice labels as the forms write them"})


class TestCaseIn(schemas.Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TestCaseOut(Schema):
    id = fields.Integer()
    process_key = fields.String()
    name = fields.String()
    steps = fields.Method("_step_count", metadata={"description": "number of steps"})
    created_by = fields.String()
    created_at = fields.AwareDateTime()

    def _step_count(self, case):
        return sum(1 for s in case.steps if s["kind"] != "end")


class ReplayError(Schema):
    reason = fields.String(allow_none=True, metadata={"description": "null: the step's script "
                                                      "or condition failed"})
    message = fields.String()
    params = fields.Dict()
    # "fields" would shadow the marshmallow module inside the class body
    field_errors = fields.Dict(data_key="fields", attribute="fields", allow_none=True)


class ReplayWaiting(Schema):
    element_id = fields.String()
    name = fields.String()


class ReplayStep(Schema):
    index = fields.Integer()
    kind = fields.String(metadata={"description": "task, timers or end"})
    element_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    outcome = fields.String(metadata={"description": "same, different_task, "
                                      "different_deadlines, refused or ended"})
    status = fields.String(metadata={"description": "the replay's status before the step"})
    waiting = fields.List(fields.Nested(ReplayWaiting), metadata={
        "description": "the tasks the replay found waiting"})
    expected_deadlines = fields.List(fields.Nested(TestRunLimit))
    deadlines = fields.List(fields.Nested(TestRunLimit))
    error = fields.Nested(ReplayError, allow_none=True)


class ReplayOut(Schema):
    test_run = fields.Nested(TestRunOut, metadata={"description": "where the replay stopped"})
    steps = fields.List(fields.Nested(ReplayStep))


class TestRunStartQuery(schemas.Strict):
    process = fields.String(validate=validate.Length(min=1, max=255))


class TestRunCompleteIn(schemas.Strict):
    data = fields.Dict(load_default=dict)


class TestRunTimersIn(schemas.Strict):
    now = fields.AwareDateTime(required=True)


@bp.post("/process-definitions/validate")
@doc(body={"type": "string", "description": "BPMN XML, or multipart files `bpmn`"},
     content_type="application/xml", responses={200: ValidationOut})
def validate_definitions():
    """Errors and domain warnings of BPMN files, without deploying them."""
    _require(DESIGNER)
    files = _uploaded_files()
    rt = runtime()
    return dump(ValidationOut, rt.read(lambda uow: lint.validate(uow.session, rt, files)))


@bp.get("/process-definitions/<key>/versions")
@doc(responses={200: [VersionOut]})
def list_versions(key):
    """Every version of a process, newest first, with its running instances."""
    _require(DESIGNER)
    return dump(VersionOut, runtime().read(lambda uow: versions.list_versions(uow.session, key)),
                many=True)


@bp.get("/process-definitions/<key>/versions/<int:version>/bpmn")
@doc(responses={200: None})
def version_bpmn(key, version):
    """The BPMN XML of one version (as deployed)."""
    _require(DESIGNER)
    name, xml = runtime().read(lambda uow: versions.source(uow.session, key, version))
    return Response(xml, mimetype="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/process-definitions/<key>/diff")
@doc(query=DiffQuery, responses={200: DiffOut})
def version_diff(key):
    """Elements added, removed and changed between two versions, each changed attribute with
    its old and new value."""
    _require(DESIGNER)
    args = query_args(DiffQuery)
    return dump(DiffOut, runtime().read(lambda uow: versions.diff(
        uow.session, key, args["from_version"], args["to_version"])))


@bp.post("/process-definitions/<key>/diff")
@doc(query=DraftDiffQuery, body={"type": "string", "description": "draft BPMN XML"},
     content_type="application/xml", responses={200: DiffOut, 422: schemas.Error})
def draft_diff(key):
    """What a draft (not deployed) changes against a deployed version, before deploying it."""
    _require(DESIGNER)
    args = query_args(DraftDiffQuery)
    draft = _uploaded_files()[0][1]
    return dump(DiffOut, runtime().read(lambda uow: versions.diff(
        uow.session, key, args["from_version"], draft=draft)))


@bp.get("/process-definitions/<key>/instances")
@doc(query=InstancesQuery, responses={200: [MigratableInstanceOut]})
def migratable_instances(key):
    """Running (or failed) instances of a process, optionally of one version."""
    _require(DESIGNER)
    args = query_args(InstancesQuery)
    return dump(MigratableInstanceOut, runtime().read(lambda uow: versions.running_instances(
        uow.session, key, args.get("version"))), many=True)


@bp.post("/process-instances/migrate")
@doc(body=MigrateIn, responses={200: [MigrationReportOut], 409: schemas.Error})
def migrate_instances():
    """Move instances to another version (all or nothing); `dry_run` only reports."""
    user = _require(DESIGNER)
    args = json_body(MigrateIn)
    rt = runtime()
    work = lambda uow: migration.migrate_instances(  # noqa: E731
        uow, runtime=rt, instance_ids=args["instance_ids"], version=args["version"],
        mapping=args["mapping"], dry_run=args["dry_run"], user=user)
    reports = rt.read(work) if args["dry_run"] else rt.transact(work)
    return dump(MigrationReportOut, reports, many=True)


def _test_run(work):
    """`work(uow)` (a test-run service call) in one transaction, answered as its view."""
    rt = runtime()
    return dump(TestRunOut, rt.transact(lambda uow: testrun.view(uow.session, rt, work(uow))))


@bp.post("/test-runs")
@doc(body={"type": "string", "description": "draft BPMN XML (not deployed)"},
     content_type="application/xml", query=TestRunStartQuery, responses={201: TestRunOut})
def start_test_run():
    """Start a throwaway instance of a draft; only the test-run itself is stored."""
    user = _require(DESIGNER)
    files = _uploaded_files()
    args = query_args(TestRunStartQuery)
    rt = runtime()
    return _test_run(lambda uow: testrun.start(uow, rt, files=files, user=user,
                                               process=args.get("process"))), 201


@bp.get("/test-runs/<test_id>")
@doc(responses={200: TestRunOut})
def get_test_run(test_id):
    """A test-run's diagram state, its ready tasks with their deadline rows, and its steps."""
    user = _require(DESIGNER)
    rt = runtime()
    return dump(TestRunOut, rt.read(lambda uow: testrun.view(
        uow.session, rt, testrun.get(uow.session, rt, test_id, user))))


@bp.post("/test-runs/<test_id>/tasks/<task_id>/complete")
@doc(body=TestRunCompleteIn, responses={200: TestRunOut, 422: schemas.Error})
def complete_test_run_task(test_id, task_id):
    """Complete a ready task of a test-run as any lane; its action's preview routes the
    gateways."""
    user = _require(DESIGNER)
    args = json_body(TestRunCompleteIn)
    rt = runtime()
    return _test_run(lambda uow: testrun.complete(uow, rt, test_id=test_id, task_id=task_id,
                                                  data=args["data"], user=user))


@bp.post("/test-runs/<test_id>/timers")
@doc(body=TestRunTimersIn, responses={200: TestRunOut})
def fire_test_run_timers(test_id):
    """Fire the test-run's timers that are due at `now`."""
    user = _require(DESIGNER)
    args = json_body(TestRunTimersIn)
    rt = runtime()
    return _test_run(lambda uow: testrun.fire_timers(uow, rt, test_id=test_id, now=args["now"],
                                                     user=user))


@bp.post("/test-runs/<test_id>/back")
@doc(responses={200: TestRunOut, 409: schemas.Error})
def step_back_test_run(test_id):
    """Undo the test-run's last step (409 `testrun_no_step_back` when none was taken)."""
    user = _require(DESIGNER)
    rt = runtime()
    return _test_run(lambda uow: testrun.back(uow, rt, test_id=test_id, user=user))


@bp.delete("/test-runs/<test_id>")
@doc(responses={204: None})
def discard_test_run(test_id):
    """Forget a test-run."""
    user, rt = _require(DESIGNER), runtime()
    rt.transact(lambda uow: testrun.discard(uow, rt, test_id, user))
    return "", 204


@bp.post("/test-runs/<test_id>/cases")
@doc(body=TestCaseIn, responses={201: TestCaseOut, 422: schemas.Error})
def save_test_case(test_id):
    """Save the test-run's steps as a named case of its process (the same name is replaced)."""
    user = _require(DESIGNER)
    args = json_body(TestCaseIn)
    rt = runtime()
    return dump(TestCaseOut, rt.transact(lambda uow: testrun.save_case(
        uow, rt, test_id=test_id, name=args["name"], user=user))), 201


@bp.get("/process-definitions/<key>/test-cases")
@doc(responses={200: [TestCaseOut]})
def list_test_cases(key):
    """The saved test cases of a process, by name."""
    _require(DESIGNER)
    return dump(TestCaseOut, runtime().read(lambda uow: testrun.cases(uow.session, key)),
                many=True)


@bp.post("/test-cases/<int:test_case_id>/replay")
@doc(body={"type": "string", "description": "draft BPMN XML (not deployed)"},
     content_type="application/xml", responses={201: ReplayOut, 404: schemas.Error})
def replay_test_case(test_case_id):
    """Replay a saved case against a draft as a new test-run; each step says what changed."""
    user = _require(DESIGNER)
    files = _uploaded_files()
    rt = runtime()

    def work(uow):
        test, steps = testrun.replay(uow, rt, case_id=test_case_id, files=files, user=user)
        return {"test_run": testrun.view(uow.session, rt, test), "steps": steps}
    return dump(ReplayOut, rt.transact(work)), 201


@bp.delete("/test-cases/<int:test_case_id>")
@doc(responses={204: None, 404: schemas.Error})
def delete_test_case(test_case_id):
    """Forget a saved test case."""
    _require(DESIGNER)
    runtime().transact(lambda uow: testrun.delete_case(uow, case_id=test_case_id))
    return "", 204
