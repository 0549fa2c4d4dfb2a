"""Administration API: units, users (with the transfer of their tasks), lane mapping,
calendars and the deadline table; plus who may take a task. Administrators only, except
`eligible-assignees` (supervisors over the task's unit)."""
from __future__ import annotations

from flask import request
from marshmallow import Schema, fields, validate

from engine.admin import service as admin
from engine.errors import Invalid
from engine import notes
from web.api import bp
from web.schemas import Strict
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


class AdminUserOut(Schema):
    username = fields.String()
    display_name = fields.String()
    unit = fields.String(allow_none=True)
    roles = fields.List(fields.String())
    active = fields.Boolean()
    created_at = fields.AwareDateTime(allow_none=True)


class AdminUnitOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    parent = fields.String(allow_none=True)
    active = fields.Boolean()
    depth = fields.Integer(metadata={"description": "0 for a root unit"})


class AdminUnitIn(Strict):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(admin.UNIT_KINDS))
    parent = fields.String(allow_none=True, load_default=None)


class AdminUnitPatch(Strict):
    name = fields.String(validate=validate.Length(min=1, max=200))
    parent = fields.String(metadata={"description": "move below this unit (with the subtree)"})


class AdminUserIn(Strict):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    display_name = fields.String(load_default="", validate=validate.Length(max=200))
    unit = fields.String(required=True)
    roles = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    password = fields.String(required=True, validate=validate.Length(min=4))


class AdminUserPatch(Strict):
    display_name = fields.String(validate=validate.Length(max=200))
    unit = fields.String()
    roles = fields.List(fields.String(), validate=validate.Length(min=1))


class AdminPasswordIn(Strict):
    password = fields.String(required=True, validate=validate.Length(min=4))


class AdminTransferIn(Strict):
    task_id = fields.String(required=True)
    to = fields.String(required=True)


class AdminDeactivateIn(Strict):
    transfers = fields.List(fields.Nested(AdminTransferIn), load_default=list)
    all_to = fields.String(allow_none=True, load_default=None,
                           metadata={"description": "give every task not listed to this user"})


class AdminTransferOut(Schema):
    task_id = fields.String()
    to = fields.String()


class AdminDeactivateOut(Schema):
    user = fields.Nested(AdminUserOut)
    transferred = fields.List(fields.Nested(AdminTransferOut))


class AdminCandidate(Schema):
    username = fields.String()
    display_name = fields.String()


class AdminHeldTask(Schema):
    task_id = fields.String()
    name = fields.String()
    process_key = fields.String()
    case_number = fields.String(allow_none=True)
    eligible = fields.List(fields.Nested(AdminCandidate),
                           metadata={"description": "who may take this task over"})


class AdminOpenTasksOut(Schema):
    user = fields.Nested(AdminUserOut)
    tasks = fields.List(fields.Nested(AdminHeldTask))
    all_to = fields.List(fields.Nested(AdminCandidate),
                         metadata={"description": "who may take over every task at once"})


class AdminLaneOut(Schema):
    process = fields.String()
    lane = fields.String(allow_none=True)
    tasks = fields.List(fields.String(), metadata={"description": "element ids in the lane"})
    mapped = fields.Boolean()
    role = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)
    unit_from = fields.String(allow_none=True)
    user_from = fields.String(allow_none=True)
    warning = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={
        "description": "`version`: the mapping kept with this version (drawn on the lane, or "
                       "copied from config.yaml by migration 0031); `config`: config.yaml's, "
                       "read now; null when unmapped"})


class AdminProcessLanesOut(Schema):
    key = fields.String()
    version = fields.Integer()
    lanes = fields.List(fields.Nested(AdminLaneOut))
    warnings = fields.Integer(metadata={"description": "how many lanes are unmapped"})


class AdminCalendarIn(Strict):
    file_name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    text = fields.String(required=True)


class AdminMovedDeadline(Schema):
    id = fields.Integer()
    key = fields.String()
    case_id = fields.Integer(allow_none=True)
    to = fields.AwareDateTime()
    shift_days = fields.Integer(allow_none=True)
    shift_seconds = fields.Integer(allow_none=True)

    class Meta:
        include = {"from": fields.AwareDateTime(allow_none=True)}


class AdminCalendarResult(Schema):
    year = fields.Integer()
    days = fields.Integer()
    count = fields.Integer(metadata={"description": "how many open deadlines move"})
    moved = fields.List(fields.Nested(AdminMovedDeadline))
    applied = fields.Boolean()


class AdminCalendarStatus(Schema):
    loaded_years = fields.List(fields.Dict())
    packaged_years = fields.List(fields.Integer())
    current_year = fields.Integer()
    warning = fields.String(allow_none=True)


class AdminDeadlineKey(Schema):
    key = fields.String()
    amount = fields.Integer()
    unit = fields.String()
    starts = fields.String(allow_none=True)
    extendable = fields.Boolean()
    basis = fields.String(allow_none=True)
    met = fields.String(allow_none=True, metadata={"description": "the event that meets it"})
    unused = fields.String(allow_none=True,
                           metadata={"description": "why no shipped process starts this clock"})


# ---------------------------------------------------------------------------------------------


@bp.get("/tasks/<task_id>/eligible-assignees")
@doc(responses={200: [AdminUserOut]})
def eligible_assignees(task_id):
    """Who may take the task (recused users never appear); for supervisors over its unit."""
    user = current_user()
    rt = runtime()
    return dump(AdminUserOut, rt.read(lambda uow: admin.eligible_assignees(
        uow.session, user=user, task_id=task_id)), many=True)


@bp.get("/admin/units")
@doc(responses={200: [AdminUnitOut]})
def admin_list_units():
    """Every unit in tree order (administrators)."""
    user = current_user()
    rt = runtime()
    return dump(AdminUnitOut, rt.read(lambda uow: admin.list_units(uow.session, actor=user)),
                many=True)


@bp.post("/admin/units")
@doc(body=AdminUnitIn, responses={201: AdminUnitOut})
def admin_create_unit():
    """Create a unit in the tree (administrators)."""
    user = current_user()
    args = json_body(AdminUnitIn)
    rt = runtime()
    return dump(AdminUnitOut, rt.transact(lambda uow: admin.describe_unit(
        uow.session, admin.create_unit(uow.session, rt, actor=user, **args)))), 201


@bp.patch("/admin/units/<code>")
@doc(body=AdminUnitPatch, responses={200: AdminUnitOut})
def admin_update_unit(code):
    """Rename a unit or move it with its subtree (administrators)."""
    user = current_user()
    args = json_body(AdminUnitPatch)
    rt = runtime()
    return dump(AdminUnitOut, rt.transact(lambda uow: admin.describe_unit(
        uow.session, admin.update_unit(uow.session, rt, actor=user, code=code, **args))))


@bp.post("/admin/units/<code>/retire")
@doc(responses={200: AdminUnitOut})
def admin_retire_unit(code):
    """Retire a unit and its subtree; 409 while open tasks or active users remain."""
    user = current_user()
    rt = runtime()
    return dump(AdminUnitOut, rt.transact(lambda uow: admin.describe_unit(
        uow.session, admin.retire_unit(uow.session, rt, actor=user, code=code))))


@bp.get("/admin/users")
@doc(responses={200: [AdminUserOut]})
def admin_list_users():
    """Every user with unit, roles and whether active (administrators)."""
    user = current_user()
    rt = runtime()
    return dump(AdminUserOut, rt.read(lambda uow: admin.list_users(uow.session, actor=user)),
                many=True)


@bp.post("/admin/users")
@doc(body=AdminUserIn, responses={201: AdminUserOut})
def admin_create_user():
    """Create a user with one or more roles (administrators)."""
    user = current_user()
    args = json_body(AdminUserIn)
    rt = runtime()
    return dump(AdminUserOut, rt.transact(lambda uow: admin.describe_user(
        uow.session, admin.create_user(uow.session, rt, actor=user, **args)))), 201


def _changed(uow, rt, result):
    uow.after_commit(rt.token_cache.clear)  # cached callers see the new roles or state at once
    return result


@bp.patch("/admin/users/<username>")
@doc(body=AdminUserPatch, responses={200: AdminUserOut})
def admin_update_user(username):
    """Change a user's display name, unit or roles (administrators)."""
    user = current_user()
    args = json_body(AdminUserPatch)
    rt = runtime()
    return dump(AdminUserOut, rt.transact(lambda uow: _changed(uow, rt, admin.describe_user(
        uow.session, admin.update_user(uow.session, rt, actor=user, username=username,
                                       **args)))))


@bp.post("/admin/users/<username>/password")
@doc(body=AdminPasswordIn, responses={200: AdminUserOut})
def admin_set_password(username):
    """Reset a user's password (administrators)."""
    user = current_user()
    args = json_body(AdminPasswordIn)
    rt = runtime()
    return dump(AdminUserOut, rt.transact(lambda uow: admin.describe_user(
        uow.session, admin.set_password(uow.session, rt, actor=user, username=username,
                                        password=args["password"]))))


@bp.get("/admin/users/<username>/open-tasks")
@doc(responses={200: AdminOpenTasksOut})
def admin_user_open_tasks(username):
    """The open tasks a user holds and who may take each over (before deactivating them)."""
    user = current_user()
    rt = runtime()
    return dump(AdminOpenTasksOut, rt.read(lambda uow: admin.transfer_options(
        uow.session, actor=user, username=username)))


@bp.post("/admin/users/<username>/deactivate")
@doc(body=AdminDeactivateIn, responses={200: AdminDeactivateOut})
def admin_deactivate_user(username):
    """Deactivate a user, transferring each open task they hold to an eligible user."""
    user = current_user()
    args = json_body(AdminDeactivateIn)
    rt = runtime()
    return dump(AdminDeactivateOut, rt.transact(lambda uow: _changed(uow, rt, admin.deactivate_user(
        uow.session, rt, actor=user, username=username, transfers=args["transfers"],
        all_to=args["all_to"]))))


@bp.get("/admin/lanes")
@doc(responses={200: [AdminProcessLanesOut]})
def admin_lanes():
    """How each lane of each deployed process version maps to a role and unit."""
    user = current_user()
    rt = runtime()
    return dump(AdminProcessLanesOut, rt.read(lambda uow: admin.lanes(uow.session, rt, actor=user)),
                many=True)


@bp.get("/admin/calendars")
@doc(responses={200: AdminCalendarStatus})
def admin_calendars():
    """Which calendar years are loaded and from where (administrators)."""
    user = current_user()
    rt = runtime()
    return dump(AdminCalendarStatus, rt.read(lambda uow: admin.calendar_status(
        uow.session, rt, actor=user)))


def _calendar_file() -> tuple[str, str]:
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("send the file in the multipart field `file`", reason="calendar_file_missing",
                          fields={"file": [notes.note("required")]})
        try:
            return upload.filename or "calendar.yaml", upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("the calendar file is not UTF-8", reason="calendar_not_utf8",
                          fields={"file": [notes.note("not_utf8_file")]}) \
                from None
    args = json_body(AdminCalendarIn)
    return args["file_name"], args["text"]


@bp.post("/admin/calendars/preview")
@doc(body=AdminCalendarIn, responses={200: AdminCalendarResult})
def admin_preview_calendar():
    """What loading a calendar file would do to open deadlines; nothing is changed."""
    user = current_user()
    file_name, text = _calendar_file()
    return dump(AdminCalendarResult, admin.preview_calendar(runtime(), actor=user, text=text,
                                                            file_name=file_name))


@bp.post("/admin/calendars")
@doc(body=AdminCalendarIn, responses={201: AdminCalendarResult})
def admin_load_calendar():
    """Load a year's holiday arrangement and recompute open deadlines (audited)."""
    user = current_user()
    file_name, text = _calendar_file()
    rt = runtime()
    return dump(AdminCalendarResult, rt.transact(lambda uow: admin.apply_calendar(
        uow.session, rt, actor=user, text=text, file_name=file_name))), 201


@bp.get("/admin/deadline-config")
@doc(responses={200: [AdminDeadlineKey]})
def admin_deadline_config():
    """The effective deadline table from config.yaml, with its basis (read-only)."""
    user = current_user()
    return dump(AdminDeadlineKey, admin.deadline_table(runtime(), actor=user), many=True)


class RepeatAliasOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "post | everyday | kinship | phrase"})
    alias = fields.String()
    canonical = fields.String()


class RepeatAliasIn(Strict):
    kind = fields.String(required=True, validate=validate.OneOf(
        ("post", "everyday", "kinship", "phrase")))
    alias = fields.String(required=True, validate=validate.Length(min=1, max=64))
    canonical = fields.String(required=True, validate=validate.Length(min=1, max=64))


@bp.get("/admin/repeat-aliases")
@doc(responses={200: [RepeatAliasOut]})
def admin_repeat_aliases():
    """The repeat check's alias table: posts, everyday post words, kinship terms and
    paraphrases read as one word."""
    from engine.petitions import aliases
    user = current_user()
    rt = runtime()
    return dump(RepeatAliasOut, rt.read(lambda uow: aliases.list_aliases(uow.session,
                                                                          actor=user)),
                many=True)


@bp.post("/admin/repeat-aliases")
@doc(body=RepeatAliasIn, responses={201: RepeatAliasOut})
def admin_add_repeat_alias():
    """Read `alias` as `canonical` in the repeat check from now on (audited)."""
    from engine.petitions import aliases
    user = current_user()
    args = json_body(RepeatAliasIn)
    rt = runtime()
    return dump(RepeatAliasOut, rt.transact(lambda uow: aliases.add_alias(
        uow.session, rt, actor=user, **args))), 201


@bp.delete("/admin/repeat-aliases/<int:alias_id>")
@doc(responses={200: RepeatAliasOut})
def admin_delete_repeat_alias(alias_id):
    """Remove an alias from the repeat check (audited)."""
    from engine.petitions import aliases
    user = current_user()
    rt = runtime()
    return dump(RepeatAliasOut, rt.transact(lambda uow: aliases.delete_alias(
        uow.session, rt, actor=user, alias_id=alias_id)))
