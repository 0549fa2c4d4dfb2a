"""The settings' types and defaults, in one place.

`config.yaml` documents every key and ships these values; `load_settings` checks the merged
configuration (config.yaml, instance/local.yaml, CLUEDESK_* variables, overrides) against this
schema and fills in what is missing, so code reads `settings.server.port` without a default of
its own. A wrong type, a value out of range or an unknown key in a known section stops the
program at start with the key's path, instead of failing on first use. Sections not described
here (a deployment's own additions) pass through unchanged.
"""
from __future__ import annotations

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema


class _Section(Schema):
    class Meta:
        unknown = RAISE


def _str(default: str = "", **kw) -> fields.String:
    return fields.String(load_default=default, allow_none=False, **kw)


def _int(default: int, minimum: int = 0) -> fields.Integer:
    return fields.Integer(load_default=default, strict=False, validate=validate.Range(min=minimum))


def _num(default: float, minimum: float = 0) -> fields.Float:
    return fields.Float(load_default=default, validate=validate.Range(min=minimum))


def _bool(default: bool) -> fields.Boolean:
    return fields.Boolean(load_default=default)


class Database(_Section):
    url = _str()
    sqlite_busy_timeout = _num(30)


class ClockSettings(_Section):
    now = fields.Raw(load_default="", allow_none=True)  # ISO 8601 text (YAML may give a datetime)
    timezone = _str("Asia/Shanghai")


class Server(_Section):
    host = _str("127.0.0.1")
    port = _int(5000, 0)
    threads = _int(8, 1)
    secret_key = _str()
    demo = _bool(False)
    token_cache_seconds = _num(10)
    cookie_secure = _bool(False)
    session_hours = _num(10)
    login_max_failures = _int(5, 1)
    login_lock_minutes = _num(15)


class Storage(_Section):
    path = _str("instance/attachments")
    max_bytes = _int(20 * 1024 * 1024, 1)
    types = fields.List(fields.String(), load_default=lambda: [
        "application/pdf", "image/jpeg", "image/png", "image/tiff", "text/plain",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"])


def _months(default: int) -> fields.Integer:
    return fields.Integer(load_default=default, validate=validate.OneOf([1, 2, 3, 4, 6, 12]))


class Reports(_Section):
    path = _str("instance/reports")
    work_mem = _str("16MB")
    zero_case_months = _months(3)
    key_verification_months = _months(2)
    feedback_months = _months(3)
    interference_report_months = _months(3)


class ChecklistItem(_Section):
    key = fields.String(required=True)
    label = fields.String(required=True)
    points = fields.Integer(required=True, validate=validate.Range(min=0))


class QualityReview(_Section):
    share = fields.Float(load_default=0.2, validate=validate.Range(min=0, max=1))
    pass_score = _num(80)
    checklist = fields.List(fields.Nested(ChecklistItem), load_default=lambda: [
        {"key": "procedure", "label": "程序规范", "points": 25},
        {"key": "deadlines", "label": "时限符合要求", "points": 20},
        {"key": "documents", "label": "文书材料齐全", "points": 20},
        {"key": "evidence", "label": "证据确实充分", "points": 25},
        {"key": "feedback", "label": "按规定反馈", "points": 10}])


class Grades(_Section):
    excellent = _num(90)
    good = _num(75)


class Evaluation(_Section):
    weights = fields.Dict(keys=fields.String(), values=fields.Float(validate=validate.Range(min=0)),
                          load_default=lambda: {
                              "petitions_on_time": 20, "clues_on_time": 15, "cases_filed": 15,
                              "cases_closed": 10, "satisfaction": 10,
                              "rectifications_on_time": 10, "review_score": 15,
                              "manual": 15})
    petition_deadlines = fields.List(fields.String(), load_default=lambda: [
        "forward_elsewhere", "acceptance_notice", "result_feedback", "ordinary_petition_route",
        "ordinary_petition_close"])
    clue_deadlines = fields.List(fields.String(), load_default=lambda: ["disposal_proposal"])
    grades = fields.Nested(Grades, load_default=lambda: {"excellent": 90, "good": 75})
    committee_weights = fields.Dict(
        keys=fields.String(), values=fields.Float(validate=validate.Range(min=0)),
        load_default=lambda: {"petitions_on_time": 30, "rectifications_on_time": 20,
                              "satisfaction": 10, "manual": 40})


class Timers(_Section):
    poll_seconds = _num(5)
    heartbeat_seconds = _num(10)
    heartbeat_stale_seconds = _num(60)
    batch_size = _int(200, 1)


class Scripts(_Section):
    workers = _int(2, 1)
    cpu_seconds = _int(2, 1)
    wall_seconds = _num(10)
    memory_mb = _int(512, 64)


class Jobs(_Section):
    poll_seconds = _num(2)
    stale_seconds = _num(60)
    max_attempts = _int(2, 1)


class Audit(_Section):
    key = _str()
    previous_keys = fields.List(fields.String(), load_default=list)
    anchor_path = _str("instance/audit-anchors.log")
    anchor_minutes = _num(60)


class EngineSettings(_Section):
    workflow_cache_size = _int(256)
    spec_cache_size = _int(128)


class LaneRule(_Section):
    """A lane of a process: a role, and a unit given directly, read from the task's data, or a
    user read from the task's data."""
    role = fields.String()
    unit = fields.String()
    unit_from = fields.String()
    user_from = fields.String()

    @validates_schema
    def one_place(self, data, **kwargs):
        if "user_from" not in data and "role" not in data:
            raise ValidationError("a lane needs a role (or user_from)")
        if len({"unit", "unit_from", "user_from"} & set(data)) > 1:
            raise ValidationError("a lane has one of unit, unit_from and user_from")


class DeadlineKey(_Section):
    amount = fields.Integer(required=True, validate=validate.Range(min=0))
    unit = fields.String(required=True,
                         validate=validate.OneOf(["working_days", "days", "months"]))
    starts = _str()
    extendable = _bool(False)
    basis = _str()
    met = _str()
    met_by_action = _bool(False)
    per_item = _bool(False)
    unused = _str()


class Deadlines(_Section):
    warning_fraction = fields.Float(load_default=0.2, validate=validate.Range(min=0, max=1))
    keys = fields.Dict(keys=fields.String(), values=fields.Nested(DeadlineKey), load_default=dict)


class Supervision(_Section):
    recurrence_findings = _int(2, 1)
    recurrence_months = _int(12, 1)


class Petitions(_Section):
    # A petition is checked against earlier ones registered within this many days (重复件).
    repeat_window_days = _int(365, 1)


class Numbers(_Section):
    # The readable number people see: {unit} (the unit's name), {year}, {kind} (信访, 案件, 线索,
    # 检查, 问题, 干预), {seq} (gap-free per kind, unit and year); `number` in the API keeps its form.
    format = _str("{unit}〔{year}〕{kind}{seq}号")
_SHARE = validate.Regexp(r"^\d+/\d+$", error="a share such as 2/3")


class Village(_Section):
    """Village power (issue 26): meeting rules (村民委员会组织法 art. 26 by default: at least two
    thirds of members present, more than half of those present for), the micro-power rules, and
    where the public disclosure site is exported."""
    quorum = _str("2/3", validate=_SHARE)
    majority = _str("1/2", validate=_SHARE)
    disclosure_min_days = _int(5, 1)
    tender_min_bidders = _int(3, 1)
    expense_meeting_above = _int(5000)
    homestead_max_area = _int(120, 1)
    export_path = _str("instance/disclosure")
    site_title = _str("村务公开")
    base_url = _str("https://example.invalid/disclosure/")


class Documents(_Section):
    soffice = _str("soffice")
    convert_timeout = _num(180)
    fonts = fields.Dict(keys=fields.String(), values=fields.String(), load_default=lambda: {
        "body": "Noto Serif CJK SC", "title": "Noto Sans CJK SC",
        "heading": "Noto Sans CJK SC"})


SECTIONS: dict[str, type[Schema]] = {
    "database": Database, "clock": ClockSettings, "server": Server, "storage": Storage,
    "reports": Reports, "quality_review": QualityReview, "evaluation": Evaluation,
    "timers": Timers, "scripts": Scripts, "jobs": Jobs, "audit": Audit, "engine": EngineSettings,
    "deadlines": Deadlines, "supervision": Supervision, "documents": Documents,
    "numbers": Numbers, "petitions": Petitions,
    "village": Village,
}
# `lanes` maps process key → lane name → rule.
LANES = fields.Dict(keys=fields.String(),
                    values=fields.Dict(keys=fields.String(), values=fields.Nested(LaneRule)))


def _paths(messages, prefix: str) -> list[str]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = prefix if key in ("_schema", "value") else (
                f"{prefix}.{key}" if prefix else str(key))
            if key == "key":  # a dict key's own error
                name = prefix
            out.extend(_paths(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{prefix}: {'; '.join(messages)}"]
    return [p for m in messages for p in _paths(m, prefix)]


def check(data: dict) -> tuple[dict, list[str]]:
    """`data` with every described section typed and defaulted, and the problems found (each
    "section.key: what is wrong")."""
    out = dict(data)
    problems: list[str] = []
    for name, schema in SECTIONS.items():
        raw = data.get(name)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            problems.append(f"{name}: must be a mapping")
            continue
        try:
            out[name] = schema().load(raw)
        except ValidationError as exc:
            problems.extend(_paths(exc.messages, name))
    lanes = data.get("lanes") or {}
    try:
        out["lanes"] = LANES.deserialize(lanes)
    except ValidationError as exc:
        problems.extend(_paths(exc.messages, "lanes"))
    return out, problems
