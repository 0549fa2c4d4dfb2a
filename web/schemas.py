"""Marshmallow schemas of the HTTP API; the OpenAPI document is generated from these."""
from __future__ import annotations

from copy import copy
from datetime import date, datetime

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from engine import notes
from web import MAX_ID
from web.record_schemas import REPEAT_REASONS, CaseDeadlineOut, RepeatAccused, TaskRecordOut

# Dates a request may carry: period and due-date arithmetic near year 1 or 9999 runs off the
# calendar (a 500); no petition, case or deadline lies outside these.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


# marshmallow's notes keep marshmallow's English and are coded by the error key of the field
# (any other key: the value has the wrong form) or by the validator and the limit it broke.
FIELD_CODES = {"required": "required", "null": "required"}
LIMIT_CODES = {validate.Length: {"message_min": "too_short", "message_max": "max_length",
                                 "message_all": "length_between", "message_equal": "invalid"},
               validate.Range: {"message_min": "too_small", "message_max": "too_large",
                                "message_all": "out_of_range"},
               validate.OneOf: {"error": "not_an_option"}}


def _coded(field: fields.Field) -> None:
    """Give `field` (a copy bound to one schema) coded notes instead of plain messages."""
    field.error_messages = {key: notes.Note(FIELD_CODES.get(key, "wrong_type"), text)
                            if isinstance(text, str) else text
                            for key, text in field.error_messages.items()}
    for i, validator in enumerate(field.validators):
        codes = LIMIT_CODES.get(type(validator))
        if codes:
            validator = field.validators[i] = copy(validator)
            for attr, code in codes.items():
                setattr(validator, attr, notes.Note(code, getattr(validator, attr)))
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            _coded(inner)


class Strict(Schema):
    """Every request body and query: unknown fields refused, integers that fit the database,
    dates between 1900 and 2999; every note coded (`engine.notes`)."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": notes.Note("unknown_field", "Unknown field."),
                      "type": notes.Note("wrong_type", "Invalid input type.")}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _coded(field_obj)

    @validates_schema
    def _in_range(self, data, **kwargs):
        errors = {}
        for name, field in self.fields.items():
            value = data.get(field.attribute or name)
            if isinstance(field, fields.Integer) and isinstance(value, int) \
                    and not -MAX_ID <= value <= MAX_ID:
                errors[field.data_key or name] = [notes.note("out_of_range")]
            day = value.date() if isinstance(value, datetime) else value
            if isinstance(day, date) and not FIRST_DAY <= day <= LAST_DAY:
                errors[field.data_key or name] = [notes.note("date_range", first=FIRST_DAY,
                                                                last=LAST_DAY)]
        if errors:
            raise ValidationError(errors)



class InstructionIn(Strict):
    text = fields.String(required=True, validate=validate.Length(min=1, max=4000))

class ErrorDetail(Schema):
    element_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    line = fields.Integer(allow_none=True)
    message = fields.String()
    file_name = fields.String(allow_none=True)
    reason = fields.String(metadata={"description": "stable code of the problem (API.md)"})
    params = fields.Dict(keys=fields.String(), values=fields.String(),
                         metadata={"description": "the values filled into the message"})


class ErrorBody(Schema):
    code = fields.String(metadata={"description": "coarse: invalid, conflict, not_found, ..."})
    message = fields.String(metadata={"description": "English text, filled from `params`"})
    reason = fields.String(metadata={"description": "stable fine-grained code to branch on "
                                                    "(e.g. task_version_stale); the coarse "
                                                    "`code` when there is none"})
    params = fields.Dict(keys=fields.String(),
                         metadata={"description": "the values the message was filled with"})
    details = fields.List(fields.Nested(ErrorDetail))
    # "fields" would shadow the marshmallow module inside the class body
    field_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                               data_key="fields")


class Error(Schema):
    error = fields.Nested(ErrorBody)


class Health(Schema):
    status = fields.String()
    database = fields.String()
    scheduler = fields.String(metadata={"description": "running or stopped"})
    calendar = fields.Dict()


class TaskOut(Schema):
    id = fields.String()
    name = fields.String()
    element_id = fields.String()
    lane = fields.String(allow_none=True)
    process_key = fields.String()
    instance_id = fields.String()
    case_id = fields.Integer(allow_none=True)
    case_number = fields.String(allow_none=True)
    case_display_number = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    candidate_unit = fields.String(allow_none=True)
    candidate_role = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime(allow_none=True)
    deadline_key = fields.String(allow_none=True)
    warning = fields.String(allow_none=True, validate=validate.OneOf(["green", "yellow", "red"]))
    status = fields.String()
    version = fields.Integer()
    case_deadline = fields.Nested(CaseDeadlineOut, allow_none=True, metadata={
        "description": "a task with no deadline of its own: its case's most urgent running one"})


class CaseSummary(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    status = fields.String()


class TaskDetail(TaskOut):
    form = fields.Dict(allow_none=True, metadata={"description": "JSON Schema of the input"})
    case = fields.Nested(CaseSummary, allow_none=True)
    record = fields.Nested(TaskRecordOut, allow_none=True, metadata={
        "description": "the case record, with what concerns this task on top"})
    decision = fields.Dict(allow_none=True, metadata={
        "description": "an approval step's decision: {field, label, no: send_back | refuse}"})


class TaskList(Schema):
    items = fields.List(fields.Nested(TaskOut))
    total = fields.Integer()
    total_capped = fields.Boolean()
    page = fields.Integer()
    per_page = fields.Integer()


class TaskQuery(Strict):
    scope = fields.String(load_default="all", validate=validate.OneOf(["mine", "unit", "all"]))
    status = fields.String(load_default="open", validate=validate.OneOf(["open", "completed"]))
    due = fields.String(validate=validate.OneOf(["green", "yellow", "red"]))
    process = fields.String()
    unit = fields.String()
    q = fields.String(validate=validate.Length(max=200))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class VersionIn(Strict):
    version = fields.Integer(validate=validate.Range(min=1))


class CompleteIn(Strict):
    data = fields.Dict(load_default=dict)
    version = fields.Integer(validate=validate.Range(min=1))


class CompleteOut(Schema):
    task = fields.Nested(TaskOut)
    next_tasks = fields.List(fields.Nested(TaskOut))


class ReassignIn(Strict):
    assignee = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    version = fields.Integer(validate=validate.Range(min=1))


class DefinitionOut(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    checksum = fields.String()
    deployed_at = fields.AwareDateTime()
    deployed_by = fields.String()
    comment = fields.String()


class DeployOut(Schema):
    key = fields.String()
    version = fields.Integer()
    checksum = fields.String()
    created = fields.Boolean(metadata={"description": "false when the file was unchanged"})
    warnings = fields.List(fields.Nested(ErrorDetail))


class StartIn(Strict):
    process_key = fields.String(required=True, validate=validate.Length(min=1, max=255))
    version = fields.Integer(validate=validate.Range(min=1))
    data = fields.Dict(load_default=dict)


class InstanceError(Schema):
    element_id = fields.String(allow_none=True)
    message = fields.String()
    reason = fields.String(allow_none=True, metadata={
        "description": "the problem's stable code (engine/workflow/problems.py REASONS), where known"})
    params = fields.Dict(metadata={"description": "the values the message is filled with"})


class InstanceOut(Schema):
    id = fields.String()
    process_key = fields.String()
    version = fields.Integer()
    status = fields.String(validate=validate.OneOf(["running", "completed", "error"]))
    case_id = fields.Integer(allow_none=True)
    ready_tasks = fields.List(fields.Nested(TaskOut))
    data = fields.Dict()
    error = fields.Nested(InstanceError, allow_none=True)


class MessageIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=255))
    payload = fields.Dict(load_default=dict)


class RetryIn(Strict):
    data = fields.Dict(load_default=None, allow_none=True)


class DeadlineOut(Schema):
    id = fields.Integer()
    key = fields.String()
    due_at = fields.String(allow_none=True, metadata={"description": "ISO 8601 with the "
                                                      "deployment's UTC offset"})
    status = fields.String(validate=validate.OneOf(["open", "met", "breached", "suspended",
                                                    "not_applicable", "cancelled"]))
    warning = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    started_at = fields.String()


class ExtensionIn(Strict):
    amount = fields.Integer(required=True, validate=validate.Range(min=1, max=366))
    unit = fields.String(required=True, validate=validate.OneOf(["working_days", "days"]))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SuspendIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class NotificationOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    case_id = fields.Integer(allow_none=True)
    task_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    read_at = fields.AwareDateTime(allow_none=True)


class NotificationList(Schema):
    unread = fields.Integer()
    items = fields.List(fields.Nested(NotificationOut))


class CalendarLoadOut(Schema):
    year = fields.Integer()
    days = fields.Integer()
    moved = fields.List(fields.Dict())


class CaseOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    status = fields.String()
    process_key = fields.String()
    process_version = fields.Integer(allow_none=True)
    instance_id = fields.String(allow_none=True)
    current_tasks = fields.List(fields.Nested(TaskOut))
    data = fields.Dict()
    deadlines = fields.List(fields.Nested(DeadlineOut))
    filed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    supervised_at = fields.AwareDateTime(allow_none=True)


class HistoryEvent(Schema):
    at = fields.AwareDateTime()
    actor = fields.String()
    action = fields.String()
    task = fields.String(allow_none=True)
    detail = fields.Dict()


class ReporterIn(Strict):
    anonymous = fields.Boolean(load_default=False)
    name = fields.String(validate=validate.Length(max=100))
    id_number = fields.String(validate=validate.Length(max=32))
    phone = fields.String(validate=validate.Length(max=32))
    address = fields.String(validate=validate.Length(max=300))


class AccusedIn(Strict):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    post = fields.String(load_default="", validate=validate.Length(max=100))
    unit = fields.String(load_default="", validate=validate.Length(max=200))
    level = fields.String(load_default="other",
                          validate=validate.OneOf(["village", "township", "other"]))


class PetitionIn(Strict):
    channel = fields.String(required=True, validate=validate.OneOf(
        ["letter", "visit", "online", "phone", "transfer", "inspection", "audit", "supervision"]))
    received_at = fields.DateTime(metadata={"description": "ISO 8601; default now; without an "
                                            "offset it is read in the deployment's time zone"})
    reporter = fields.Nested(ReporterIn, load_default=lambda: {"anonymous": True})
    accused = fields.List(fields.Nested(AccusedIn), load_default=list,
                          validate=validate.Length(max=50))
    township = fields.String(validate=validate.Length(max=64))
    village = fields.String(load_default="", validate=validate.Length(max=100))
    category = fields.String(load_default="other", validate=validate.Length(max=32))
    content = fields.String(load_default="", validate=validate.Length(max=20000), metadata={
        "description": "required (not blank) since 2026-12-05 (issue 21)"})
    no_accused_reason = fields.String(validate=validate.Length(max=500), metadata={
        "description": "why no accused person is named; required when `accused` is empty "
                       "(added 2026-12-05, issue 21)"})


class RepeatCheckIn(PetitionIn):
    channel = fields.String(validate=validate.OneOf(
        ["letter", "visit", "online", "phone", "transfer", "inspection", "audit", "supervision"]))


class PetitionCreated(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    case_id = fields.Integer()
    status = fields.String()


class ReporterOut(Schema):
    anonymous = fields.Boolean()
    name = fields.String(allow_none=True)
    id_number = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    masked = fields.Boolean()


class AccusedOut(Schema):
    name = fields.String()
    post = fields.String()
    unit = fields.String()
    level = fields.String()


class PetitionOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    case_id = fields.Integer(allow_none=True)
    status = fields.String()
    channel = fields.String()
    received_at = fields.AwareDateTime()
    reporter = fields.Nested(ReporterOut)
    accused = fields.List(fields.Nested(AccusedOut))
    township = fields.String(allow_none=True)
    village = fields.String()
    category = fields.String()
    content = fields.String()
    sealed = fields.Boolean()
    no_accused_reason = fields.String(allow_none=True, metadata={
        "description": "why no accused person is named (added 2026-12-05, issue 21)"})
    repeat_of = fields.Integer(allow_none=True)
    first_time = fields.Boolean()
    forwarded_to = fields.String(allow_none=True)


class RevealIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RepeatOfIn(Strict):
    petition_id = fields.Integer(required=True)


class RepeatCandidate(Schema):
    petition_id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    number = fields.String()
    display_number = fields.String(allow_none=True)
    score = fields.Float()
    accused = fields.List(fields.Nested(RepeatAccused))
    township = fields.String(allow_none=True, metadata={"description": "unit code"})
    township_name = fields.String(allow_none=True)
    village = fields.String()
    received_at = fields.AwareDateTime()
    excerpt = fields.String(metadata={"description": "the start of the content"})
    reasons = fields.List(fields.String(validate=validate.OneOf(REPEAT_REASONS)), metadata={
        "description": "why it matches: " + ", ".join(REPEAT_REASONS)})


class PetitionPatchIn(Strict):
    channel = fields.String(validate=validate.OneOf(
        ["letter", "visit", "online", "phone", "transfer", "inspection", "audit", "supervision"]))
    received_at = fields.DateTime()
    reporter = fields.Nested(ReporterIn)
    accused = fields.List(fields.Nested(AccusedIn), validate=validate.Length(max=50))
    township = fields.String(validate=validate.Length(max=64))
    village = fields.String(validate=validate.Length(max=100))
    category = fields.String(validate=validate.Length(max=32))
    content = fields.String(validate=validate.Length(max=20000))
    # Why the registration is corrected; required when the correction leaves nobody accused.
    reason = fields.String(validate=validate.Length(max=2000))


class ReasonIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class OptionalReasonIn(Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class RelationIn(Strict):
    username = fields.String(metadata={"description": "default: the caller"})
    person_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    person_kind = fields.String(required=True, validate=validate.OneOf(["accused", "reporter"]))
    relation = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    requested = fields.Boolean(load_default=False, metadata={
        "description": "asked for by a reporter or accused: a supervisor decides"})


class RelationOut(Schema):
    id = fields.Integer()
    username = fields.String()
    person_name = fields.String()
    person_kind = fields.String()
    relation = fields.String()
    reason = fields.String()
    status = fields.String()
    declared_by = fields.String()
    created_at = fields.AwareDateTime()
    ended_at = fields.AwareDateTime(allow_none=True)
    end_reason = fields.String(allow_none=True)


class EndRelationIn(Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class DecisionIn(Strict):
    approve = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
