"""HTTP endpoints of daily supervision: inspections and findings, rectification evidence, the
interference register, rectification figures, villages not yet linked to village units."""
from flask import request, send_file
from marshmallow import Schema, fields, validate
import io

from engine.errors import Invalid
from engine import notes
from engine.petitions.models import CATEGORIES
from engine.supervision import service as supervision
from engine.supervision import villages
from engine.supervision.models import INSPECTION_KINDS, INTERFERENCE_MATTERS
from web import schemas
from web.api import bp
from web.api.common import dump, json_body, query_args
from web.auth import current_user, runtime
from web.openapi import doc


class InspectionIn(schemas.Strict):
    kind = fields.String(required=True, validate=validate.OneOf(INSPECTION_KINDS), metadata={
        "description": "special 专项督查, random 随机抽查, cross 交叉检查, unannounced 明察暗访, "
                       "patrol 巡察"})
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    content = fields.String(validate=validate.Length(max=5000))
    targets = fields.List(fields.String(validate=validate.Length(max=64)), required=True,
                          validate=validate.Length(min=1, max=50))
    inspectors = fields.List(fields.String(validate=validate.Length(max=64)),
                             validate=validate.Length(max=20), metadata={
                                 "description": "usernames; a cross-check without them draws "
                                                "inspectors from the zone's other townships"})
    planned_on = fields.Date()


class FindingIn(schemas.Strict):
    unit = fields.String(required=True, validate=validate.Length(max=64))
    supervising_unit = fields.String(validate=validate.Length(max=64), metadata={
        "description": "patrol: the township committee (default: the unit's township)"})
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    description = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    evidence = fields.String(validate=validate.Length(max=5000))
    suggestion = fields.String(validate=validate.Length(max=5000))
    responsible_person = fields.String(required=True, validate=validate.Length(min=1, max=100))
    time_limit_days = fields.Integer(validate=validate.Range(min=1, max=366))
    person_name = fields.String(validate=validate.Length(max=100))
    person_post = fields.String(validate=validate.Length(max=100))


class EntryOut(Schema):
    kind = fields.String()
    text = fields.String()
    by = fields.String()
    at = fields.AwareDateTime()


class EvidenceOut(Schema):
    id = fields.Integer()
    file_name = fields.String()
    size = fields.Integer()
    uploaded_at = fields.AwareDateTime()


class FindingOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    inspection_id = fields.Integer()
    unit = fields.String()
    unit_name = fields.String()
    supervising_unit = fields.String(allow_none=True)
    supervising_unit_name = fields.String(allow_none=True)
    category = fields.String()
    description = fields.String()
    evidence = fields.String()
    suggestion = fields.String()
    responsible_person = fields.String()
    time_limit_days = fields.Integer()
    due_at = fields.AwareDateTime(allow_none=True)
    person_name = fields.String()
    person_post = fields.String()
    clue_id = fields.Integer(allow_none=True)
    status = fields.String(metadata={
        "description": "recorded, measures, rectifying, verifying or closed (销号)"})
    measures = fields.String()
    progress = fields.String()
    recurring = fields.Boolean(metadata={"description": "一案双查: the problem recurs here"})
    overdue = fields.Boolean()
    instance_id = fields.String(allow_none=True)
    closed_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    entries = fields.List(fields.Nested(EntryOut))
    files = fields.List(fields.Nested(EvidenceOut))


class InspectionOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    unit = fields.String()
    unit_name = fields.String()
    kind = fields.String()
    title = fields.String()
    content = fields.String()
    targets = fields.List(fields.String())
    inspectors = fields.List(fields.String())
    planned_on = fields.Date(allow_none=True)
    status = fields.String()
    report = fields.String()
    carried_out_on = fields.Date(allow_none=True)
    instance_id = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    findings = fields.List(fields.Nested(FindingOut))


class ClueRefOut(Schema):
    id = fields.Integer()
    number = fields.String()
    case_id = fields.Integer(allow_none=True)


class ClueLinkIn(schemas.Strict):
    clue_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={
        "description": "link to this clue; without it a new clue is opened"})


class FigureOut(Schema):
    unit = fields.String()
    unit_name = fields.String()
    found = fields.Integer()
    closed = fields.Integer()
    on_time = fields.Integer()
    overdue = fields.Integer()


class InterferenceIn(schemas.Strict):
    cadre_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    cadre_unit = fields.String(validate=validate.Length(max=200))
    cadre_post = fields.String(validate=validate.Length(max=100))
    occurred_on = fields.Date(required=True)
    form = fields.String(required=True, validate=validate.Length(min=1, max=200))
    matter_kind = fields.String(required=True, validate=validate.OneOf(INTERFERENCE_MATTERS))
    matter = fields.String(required=True, validate=validate.Length(min=1, max=5000))
    handling = fields.String(validate=validate.Length(max=5000))


class InterferenceCorrectionIn(schemas.Strict):
    cadre_name = fields.String(validate=validate.Length(min=1, max=100))
    cadre_unit = fields.String(validate=validate.Length(max=200))
    cadre_post = fields.String(validate=validate.Length(max=100))
    occurred_on = fields.Date()
    form = fields.String(validate=validate.Length(min=1, max=200))
    matter_kind = fields.String(validate=validate.OneOf(INTERFERENCE_MATTERS))
    matter = fields.String(validate=validate.Length(min=1, max=5000))
    handling = fields.String(validate=validate.Length(max=5000))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class InterferenceQuery(schemas.Strict):
    q = fields.String(validate=validate.Length(max=100))
    unit = fields.String(validate=validate.Length(max=64))
    matter_kind = fields.String(validate=validate.OneOf(INTERFERENCE_MATTERS))
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")


class InterferenceOut(Schema):
    id = fields.Integer()
    number = fields.String()
    display_number = fields.String(allow_none=True)
    unit = fields.String()
    unit_name = fields.String()
    cadre_name = fields.String()
    cadre_unit = fields.String()
    cadre_post = fields.String()
    occurred_on = fields.Date()
    form = fields.String()
    matter_kind = fields.String()
    matter = fields.String()
    handling = fields.String()
    clue_id = fields.Integer(allow_none=True)
    corrections = fields.Integer()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()


class UnlinkedVillageOut(Schema):
    township = fields.String(allow_none=True)
    township_name = fields.String(allow_none=True)
    village = fields.String()
    petitions = fields.Integer()


@bp.post("/inspections")
@doc(body=InspectionIn, responses={201: InspectionOut})
def plan_inspection():
    """Plan an inspection (kind, targets, inspectors) and start its process."""
    user = current_user()
    args = json_body(InspectionIn)
    rt = runtime()

    def work(uow):
        row = supervision.plan(uow, runtime=rt, user=user, fields=args)
        return supervision.describe_inspection(uow.session, rt, row)
    return dump(InspectionOut, rt.transact(work)), 201


@bp.get("/inspections")
@doc(responses={200: [InspectionOut]})
def list_inspections():
    """Inspections the caller may see (and those with findings about the caller's unit)."""
    user = current_user()
    rt = runtime()
    return dump(InspectionOut, rt.read(lambda uow: supervision.describe_inspections(
        uow.session, rt, supervision.visible_inspections(uow.session, user), user=user)),
        many=True)


@bp.get("/inspections/<int:inspection_id>")
@doc(responses={200: InspectionOut})
def get_inspection(inspection_id):
    """One inspection with the findings the caller may see."""
    user = current_user()
    rt = runtime()

    def read(uow):
        from engine.access import supervision as access
        row = supervision.get_inspection(uow.session, inspection_id)
        if not access.may_see_inspection(uow.session, user, row):
            visible = [f for f in supervision.findings_of(uow.session, row.id)
                       if access.may_see_finding(uow.session, user, f, row)]
            if not visible:
                supervision.inspection_for(uow.session, user, inspection_id)  # refuses
        return supervision.describe_inspection(uow.session, rt, row, user=user)
    return dump(InspectionOut, rt.read(read))


@bp.post("/inspections/<int:inspection_id>/findings")
@doc(body=FindingIn, responses={201: FindingOut})
def record_finding(inspection_id):
    """Record one problem found (its own row, numbered per unit and year)."""
    user = current_user()
    args = json_body(FindingIn)
    rt = runtime()

    def work(uow):
        row = supervision.record_finding(uow.session, rt, user=user,
                                         inspection_id=inspection_id, fields=args)
        return supervision.describe_finding(uow.session, rt, row)
    return dump(FindingOut, rt.transact(work)), 201


@bp.get("/findings/<int:finding_id>")
@doc(responses={200: FindingOut})
def get_finding(finding_id):
    """One finding with its rectification history and evidence files."""
    user = current_user()
    rt = runtime()
    return dump(FindingOut, rt.read(lambda uow: supervision.describe_finding(
        uow.session, rt, supervision.finding_for(uow.session, user, finding_id))))


@bp.post("/findings/<int:finding_id>/clue")
@doc(responses={201: ClueRefOut})
def finding_clue(finding_id):
    """Hand a finding about a person over as a clue (into the clue disposition)."""
    user = current_user()
    rt = runtime()

    def work(uow):
        clue = supervision.finding_to_clue(uow, runtime=rt, user=user, finding_id=finding_id)
        return {"id": clue.id, "number": clue.number, "case_id": clue.case_id}
    return dump(ClueRefOut, rt.transact(work)), 201


@bp.post("/findings/<int:finding_id>/evidence")
@doc(body={"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}},
     content_type="multipart/form-data", responses={201: EvidenceOut})
def upload_evidence(finding_id):
    """Upload a file proving the rectification (the responsible unit)."""
    user = current_user()
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send the file in the multipart field `file`", reason="file_missing",
                      fields={"file": [notes.note("required")]})
    data = upload.read()
    rt = runtime()

    def work(uow):
        row = supervision.add_evidence(uow.session, rt, user=user, finding_id=finding_id,
                                       file_name=upload.filename or "file",
                                       content_type=(upload.mimetype or "").lower(), data=data)
        return {"id": row.id, "file_name": row.file_name, "size": row.size,
                "uploaded_at": row.uploaded_at}
    return dump(EvidenceOut, rt.transact(work)), 201


@bp.get("/evidence/<int:evidence_id>")
@doc(responses={200: None})
def download_evidence(evidence_id):
    """A rectification evidence file, for whoever may see its finding."""
    user = current_user()
    rt = runtime()
    row, data = rt.read(lambda uow: supervision.evidence_file(uow.session, rt, user=user,
                                                              evidence_id=evidence_id))
    return send_file(io.BytesIO(data), mimetype=row.content_type, as_attachment=True,
                     download_name=row.file_name, max_age=0)


@bp.get("/supervision/figures")
@doc(responses={200: [FigureOut]})
def rectification_figures():
    """Rectification figures by unit: found, closed, closed on time, overdue."""
    user = current_user()
    rt = runtime()
    return dump(FigureOut, rt.read(lambda uow: supervision.rectification_figures(
        uow.session, rt, user=user)), many=True)


@bp.post("/interference")
@doc(body=InterferenceIn, responses={201: InterferenceOut})
def record_interference():
    """Record an intervention by a leading cadre in the department's register (干预插手留痕)."""
    user = current_user()
    args = json_body(InterferenceIn)
    rt = runtime()
    return dump(InterferenceOut, rt.transact(lambda uow: supervision.describe_interference(
        uow.session, supervision.record_interference(uow.session, rt, user=user,
                                                     fields=args)))), 201


@bp.get("/interference")
@doc(query=InterferenceQuery, responses={200: [InterferenceOut]})
def search_interference():
    """Search the interference registers the caller may read (name, unit, matter, dates)."""
    user = current_user()
    args = query_args(InterferenceQuery)
    rt = runtime()
    return dump(InterferenceOut, rt.read(lambda uow: [
        supervision.describe_interference(uow.session, row)
        for row in supervision.search_interference(
            uow.session, user, q=args.get("q"), unit=args.get("unit"),
            matter_kind=args.get("matter_kind"), start=args.get("first"),
            end=args.get("last"))]), many=True)


@bp.get("/interference/<int:entry_id>")
@doc(responses={200: InterferenceOut})
def get_interference(entry_id):
    """One entry of an interference register."""
    user = current_user()
    rt = runtime()
    return dump(InterferenceOut, rt.read(lambda uow: supervision.describe_interference(
        uow.session, supervision.interference_for(uow.session, user, entry_id))))


@bp.patch("/interference/<int:entry_id>")
@doc(body=InterferenceCorrectionIn, responses={200: InterferenceOut})
def correct_interference(entry_id):
    """Correct an entry (entries are never deleted); old and new values are audited."""
    user = current_user()
    args = json_body(InterferenceCorrectionIn)
    reason = args.pop("reason")
    rt = runtime()
    return dump(InterferenceOut, rt.transact(lambda uow: supervision.describe_interference(
        uow.session, supervision.correct_interference(uow.session, rt, user=user,
                                                      entry_id=entry_id, fields=args,
                                                      reason=reason))))


@bp.post("/interference/<int:entry_id>/clue")
@doc(body=ClueLinkIn, responses={201: ClueRefOut})
def interference_clue(entry_id):
    """Link an entry to a clue, or turn it into a new clue of the caller's unit."""
    user = current_user()
    args = json_body(ClueLinkIn)
    rt = runtime()

    def work(uow):
        clue = supervision.interference_to_clue(uow, runtime=rt, user=user, entry_id=entry_id,
                                                clue_id=args.get("clue_id"))
        return {"id": clue.id, "number": clue.number, "case_id": clue.case_id}
    return dump(ClueRefOut, rt.transact(work)), 201


@bp.get("/villages/unlinked")
@doc(responses={200: [UnlinkedVillageOut]})
def unlinked_villages():
    """Petitions' free-text villages that name no village unit (for an administrator)."""
    user = current_user()
    rt = runtime()
    return dump(UnlinkedVillageOut, rt.read(lambda uow: villages.unlinked(uow.session, user=user)),
                many=True)
