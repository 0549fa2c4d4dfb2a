"""Comments on a task (办理意见), the caller's follow-up date (提醒日期) on it, and the list of
failed process instances (issue 21)."""
from __future__ import annotations

from marshmallow import Schema, fields

from engine.access import failed as failed_access
from engine.views import failed_instances, task_notes
from engine.worknotes import service as worknotes
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc
from web.schemas import Strict


class CommentIn(Strict):
    body = fields.String(required=True, metadata={
        "description": f"the comment, 1 to {worknotes.COMMENT_MAX} characters (refused, never "
                       "cut, when longer)"})


class CommentOut(Schema):
    id = fields.Integer()
    task_id = fields.String()
    task_name = fields.String(metadata={"description": "the step it was written on"})
    author = fields.String(metadata={"description": "username"})
    author_name = fields.String()
    body = fields.String()
    created_at = fields.AwareDateTime()


class TaskNotesOut(Schema):
    comments = fields.List(fields.Nested(CommentOut), metadata={
        "description": "every comment of the task's case (or process instance), oldest first"})
    remind_on = fields.Date(allow_none=True, metadata={
        "description": "the caller's follow-up date on this task"})


class FollowUpIn(Strict):
    remind_on = fields.Date(required=True, allow_none=True, metadata={
        "description": "from this day the task leads the caller's \"mine\" inbox; null clears"})


def _notes(uow, task_id: str) -> dict:
    return task_notes.notes_view(uow.session, runtime(), user=current_user(), task_id=task_id)


@bp.get("/tasks/<task_id>/comments")
@doc(responses={200: TaskNotesOut})
def task_comments(task_id):
    """The comments of a task's case and the caller's follow-up date on the task."""
    return dump(TaskNotesOut, runtime().read(lambda uow: _notes(uow, task_id)))


@bp.post("/tasks/<task_id>/comments")
@doc(body=CommentIn, responses={200: TaskNotesOut})
def add_task_comment(task_id):
    """Comment on a task the caller may see (audited as task_commented)."""
    user, rt = current_user(), runtime()
    args = json_body(CommentIn)

    def work(uow):
        worknotes.add_comment(uow, runtime=rt, user=user, task_id=task_id, body=args["body"])
        return _notes(uow, task_id)
    return dump(TaskNotesOut, rt.transact(work))


@bp.post("/tasks/<task_id>/follow-up")
@doc(body=FollowUpIn, responses={200: TaskNotesOut})
def set_task_follow_up(task_id):
    """Set or clear the caller's follow-up date on a task."""
    user, rt = current_user(), runtime()
    args = json_body(FollowUpIn)

    def work(uow):
        worknotes.set_follow_up(uow, runtime=rt, user=user, task_id=task_id,
                                remind_on=args["remind_on"])
        return _notes(uow, task_id)
    return dump(TaskNotesOut, rt.transact(work))


class FailedOut(Schema):
    instance_id = fields.String()
    process_key = fields.String()
    process_name = fields.String()
    version = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    case_number = fields.String(allow_none=True)
    case_display_number = fields.String(allow_none=True)
    element_id = fields.String(allow_none=True)
    element_name = fields.String(metadata={"description": "as drawn; empty when unnamed"})
    message = fields.String(metadata={"description": "English; pages show it translated"})
    reason = fields.String(allow_none=True, metadata={
        "description": "the problem's stable code (engine/workflow/problems.py REASONS)"})
    params = fields.Dict(metadata={"description": "the values filled into the message"})
    failed_at = fields.AwareDateTime()


class FailedCountOut(Schema):
    process_key = fields.String()
    process_name = fields.String()
    element_id = fields.String(allow_none=True)
    element_name = fields.String(metadata={"description": "as drawn; empty when unnamed"})
    count = fields.Integer()


class FailedListOut(Schema):
    items = fields.List(fields.Nested(FailedOut), metadata={
        "description": "failed instances the caller started, or whose case a supervisor caller "
                       "may see; newest first"})
    counts = fields.List(fields.Nested(FailedCountOut), allow_none=True, metadata={
        "description": "administrators: instances in error per process and element, no case "
                       "data; null for others"})


@bp.get("/process-instances/failed")
@doc(responses={200: FailedListOut})
def failed_instances_list():
    """Failed process instances the caller may see, and counts for administrators."""
    user, rt = current_user(), runtime()

    def read(uow):
        return {"items": failed_instances.failed_for(uow.session, rt, user=user),
                "counts": failed_instances.failed_counts(uow.session, rt)
                if failed_access.may_count_failed(user) else None}
    return dump(FailedListOut, rt.read(read))
