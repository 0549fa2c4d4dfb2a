"""Schemas of issue 20's additions, kept apart from web/schemas.py (which imports them): the
case record (API.md "Case record"), a task's case deadline, a repeat candidate's facts."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

KINDS = ["step", "supervised", "instruction", "reassigned", "file"]


REPEAT_REASONS = ["same_accused", "similar_accused", "same_township", "same_village",
                  "same_category", "similar_content"]


class RepeatAccused(Schema):
    name = fields.String()
    post = fields.String(allow_none=True)
    unit = fields.String(allow_none=True)


class CaseDeadlineOut(Schema):
    key = fields.String(metadata={"description": "the deadline's key (DEADLINES.md)"})
    due_at = fields.AwareDateTime()
    status = fields.String(validate=validate.OneOf(["open", "breached"]))
    warning = fields.String(allow_none=True, validate=validate.OneOf(["green", "yellow", "red"]),
                            metadata={"description": "a breached deadline is always red"})


class RecordAnswer(Schema):
    field = fields.String(metadata={"description": "the form field's name"})
    label = fields.String(metadata={"description": "the field's label on the form"})
    value = fields.Raw(metadata={"description": "true / false, or the answer as text: a chosen "
                                                "option by its name; the reporter masked"})


class RecordFile(Schema):
    id = fields.Integer()
    file_name = fields.String()
    size = fields.Integer()


class RecordEntry(Schema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    at = fields.AwareDateTime()
    actor = fields.String(metadata={"description": "display name (\"system\" for the deadline "
                                                   "watch)"})
    system = fields.Boolean()
    task = fields.String(metadata={"description": "the step's name"})
    task_id = fields.String(allow_none=True)
    instance_id = fields.String(allow_none=True)
    answers = fields.List(fields.Nested(RecordAnswer))
    approved = fields.Boolean(allow_none=True, metadata={
        "description": "an approval step: agreed (true) or sent back (false)"})
    text = fields.String(metadata={"description": "督办 reason, 批示 or reassignment reason"})
    file = fields.Nested(RecordFile, allow_none=True)
    from_ = fields.String(allow_none=True, attribute="from", data_key="from")
    to = fields.String(allow_none=True)


class RecordFocus(Schema):
    kind = fields.String(validate=validate.OneOf(["approval", "returned"]))
    entry = fields.Nested(RecordEntry)


class CaseRecordOut(Schema):
    case_id = fields.Integer()
    case_number = fields.String(allow_none=True)
    entries = fields.List(fields.Nested(RecordEntry), metadata={"description": "oldest first"})


class TaskRecordOut(CaseRecordOut):
    focus = fields.Nested(RecordFocus, allow_none=True, metadata={
        "description": "on an approval step, the decision being approved; on a step sent back, "
                       "the approval that sent it back"})
    instructions = fields.List(fields.Nested(RecordEntry), metadata={
        "description": "督办 reasons and 批示 on the case, and why this task was reassigned"})


