"""HTTP endpoints of village power: village matters (四议两公开 and the micro-power list) and rule
overrides; disclosure items, the preview of the public site and its export."""
from marshmallow import Schema, fields, validate

from engine.jobs import service as jobs
from engine.village import disclosure, rules
from engine.village import service as village
from engine.village.models import DISCLOSURE_KINDS, MATTER_KINDS
from web import schemas
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc


class MatterIn(schemas.Strict):
    kind = fields.String(required=True, validate=validate.OneOf(MATTER_KINDS), metadata={
        "description": "four_two 四议两公开, asset_lease 集体资产租赁, project_award 小型工程项目, "
                       "subsidy 补贴（低保）推荐, seal 印章使用, expense 财务报销, homestead 宅基地申请"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    summary = fields.String(validate=validate.Length(max=5000))


class MeetingOut(Schema):
    step = fields.String()
    body = fields.String()
    held_on = fields.Date()
    members = fields.Integer()
    present = fields.Integer()
    votes_for = fields.Integer()
    votes_against = fields.Integer()
    votes_abstain = fields.Integer()
    quorum_met = fields.Boolean()
    passed = fields.Boolean()
    resolution = fields.String()


class StepOut(Schema):
    step = fields.String()
    name = fields.String()
    outcome = fields.String(metadata={"description": "done, passed, failed, agreed or objected"})
    facts = fields.Dict()
    by = fields.String()
    at = fields.AwareDateTime()


class OverrideOut(Schema):
    id = fields.Integer()
    rule = fields.String()
    rule_name = fields.String()
    reason = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()
    clue_id = fields.Integer(allow_none=True)
    clue_number = fields.String(allow_none=True)
    used = fields.Boolean()


class OpenTaskOut(Schema):
    id = fields.String()
    element_id = fields.String()
    name = fields.String()


class MatterOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String()
    kind = fields.String()
    kind_name = fields.String()
    village = fields.String()
    village_name = fields.String()
    township = fields.String(allow_none=True)
    title = fields.String()
    summary = fields.String()
    status = fields.String(metadata={"description": "running or finished"})
    instance_id = fields.String(allow_none=True)
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)
    meetings = fields.List(fields.Nested(MeetingOut))
    steps = fields.List(fields.Nested(StepOut))
    overrides = fields.List(fields.Nested(OverrideOut))
    open_tasks = fields.List(fields.Nested(OpenTaskOut))


class OverrideIn(schemas.Strict):
    rule = fields.String(required=True, validate=validate.OneOf(rules.RULES))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@bp.post("/village/matters")
@doc(body=MatterIn, responses={201: MatterOut})
def start_village_matter():
    """Start a matter of the officer's village and its process (village_<kind>.bpmn)."""
    user = current_user()
    args = json_body(MatterIn)
    rt = runtime()
    return dump(MatterOut, rt.transact(lambda uow: village.describe(
        uow.session, rt, village.start(uow, runtime=rt, user=user, fields=args)))), 201


@bp.get("/village/matters")
@doc(responses={200: [MatterOut]})
def list_village_matters():
    """Village matters the caller may see (own village; the villages below a supervisor)."""
    user = current_user()
    rt = runtime()
    return dump(MatterOut, rt.read(lambda uow: [
        village.describe(uow.session, rt, row)
        for row in village.visible_matters(uow.session, user)]), many=True)


@bp.get("/village/matters/<int:matter_id>")
@doc(responses={200: MatterOut})
def get_village_matter(matter_id):
    """One village matter with its meetings, steps, overrides and open tasks."""
    user = current_user()
    rt = runtime()
    return dump(MatterOut, rt.read(lambda uow: village.describe(
        uow.session, rt, village.matter_for(uow.session, user, matter_id))))


@bp.post("/village/matters/<int:matter_id>/overrides")
@doc(body=OverrideIn, responses={201: OverrideOut})
def override_village_rule(matter_id):
    """Let one broken rule of the matter pass once, with a reason (becomes a clue)."""
    user = current_user()
    args = json_body(OverrideIn)
    rt = runtime()

    def work(uow):
        row = village.override(uow, runtime=rt, user=user, matter_id=matter_id,
                               rule=args["rule"], reason=args["reason"])
        return next(o for o in village.describe(uow.session, rt, village.get_matter(
            uow.session, matter_id))["overrides"] if o["id"] == row.id)
    return dump(OverrideOut, rt.transact(work)), 201


# ---------------------------------------------------------------------------------------------
# Disclosure


class DisclosureIn(schemas.Strict):
    unit = fields.String(validate=validate.Length(max=64), metadata={
        "description": "a village or township code (default: the editor's unit)"})
    kind = fields.String(required=True, validate=validate.OneOf(DISCLOSURE_KINDS), metadata={
        "description": "decision 决策公开, result 结果公开, statistics 统计数据, "
                       "typical_case 典型案例通报"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(validate=validate.Length(max=20000), metadata={
        "description": "empty: written from the matter's records (or, for statistics, counted)"})
    matter_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    accused_name = fields.String(validate=validate.Length(max=100))
    name_publicly = fields.Boolean(metadata={"description": "the decision says 点名通报"})


class DisclosureOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String()
    unit = fields.String()
    unit_name = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    matter_id = fields.Integer(allow_none=True)
    accused_name = fields.String()
    name_publicly = fields.Boolean()
    published_name = fields.String(metadata={"description": "the accused as published"})
    status = fields.String(metadata={"description": "pending, approved or withdrawn"})
    instance_id = fields.String(allow_none=True)
    created_by = fields.String()
    created_at = fields.AwareDateTime()
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    withdrawn_at = fields.AwareDateTime(allow_none=True)
    withdrawn_reason = fields.String()


class WithdrawIn(schemas.Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SiteFileOut(Schema):
    path = fields.String()
    size = fields.Integer()
    sha256 = fields.String()


class ExportJobOut(Schema):
    id = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    files = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)


def _job(job) -> dict:
    return {"id": job.id, "status": job.status, "files": (job.result or {}).get("files"),
            "error": job.error}


@bp.post("/disclosures")
@doc(body=DisclosureIn, responses={201: DisclosureOut})
def create_disclosure():
    """Write a disclosure item and send it for approval (disclosure_approval.bpmn)."""
    user = current_user()
    args = json_body(DisclosureIn)
    rt = runtime()
    return dump(DisclosureOut, rt.transact(lambda uow: disclosure.describe(
        uow.session, rt, disclosure.create(uow, runtime=rt, user=user, fields=args)))), 201


@bp.get("/disclosures")
@doc(responses={200: [DisclosureOut]})
def list_disclosures():
    """Disclosure items the caller may see."""
    user = current_user()
    rt = runtime()
    return dump(DisclosureOut, rt.read(lambda uow: disclosure.describe_all(
        uow.session, rt, disclosure.visible(uow.session, user))), many=True)


@bp.get("/disclosures/<int:disclosure_id>")
@doc(responses={200: DisclosureOut})
def get_disclosure(disclosure_id):
    """One disclosure item."""
    user = current_user()
    rt = runtime()
    return dump(DisclosureOut, rt.read(lambda uow: disclosure.describe(
        uow.session, rt, disclosure.item_for(uow.session, user, disclosure_id))))


@bp.post("/disclosures/<int:disclosure_id>/withdraw")
@doc(body=WithdrawIn, responses={200: DisclosureOut})
def withdraw_disclosure(disclosure_id):
    """Withdraw a published item with a reason: the next export no longer holds it."""
    user = current_user()
    args = json_body(WithdrawIn)
    rt = runtime()
    return dump(DisclosureOut, rt.transact(lambda uow: disclosure.describe(
        uow.session, rt, disclosure.withdraw(uow.session, rt, user=user, item_id=disclosure_id,
                                         reason=args["reason"]))))


@bp.get("/disclosures/preview")
@doc(responses={200: [SiteFileOut]})
def preview_disclosures():
    """The files the next export writes: path, size and SHA-256 of each."""
    user = current_user()
    rt = runtime()
    return dump(SiteFileOut, rt.read(lambda uow: disclosure.preview(uow.session, rt, user=user)),
                many=True)


@bp.post("/disclosures/export")
@doc(responses={202: ExportJobOut})
def export_disclosures():
    """Export the public site into the configured folder (a background job)."""
    user = current_user()
    rt = runtime()
    return dump(ExportJobOut, rt.transact(lambda uow: _job(disclosure.submit_export(
        uow.session, rt, user=user)))), 202


@bp.get("/disclosures/exports/<job_id>")
@doc(responses={200: ExportJobOut})
def disclosure_export_job(job_id):
    """An export job of the caller: status and files written."""
    user = current_user()
    return dump(ExportJobOut, runtime().read(lambda uow: _job(jobs.get(
        uow.session, user=user, job_id=job_id))))
