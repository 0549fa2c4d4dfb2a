"""HTTP endpoints of the quality review (办信办案质量评查): rounds drawn per quarter, items
scored by reviewers from other units, the quarterly notice as Excel."""
import tempfile

from marshmallow import Schema, fields, validate

from engine.quality import notice
from engine.quality import service as quality
from web import schemas
from web.api import bp
from web.api.common import dump, json_body, query_args
from web.api.reports import _send
from web.auth import current_user, runtime
from web.openapi import doc


class RoundIn(schemas.Strict):
    unit = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "reviewing unit (default: the caller's)"})
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))
    quarter = fields.Integer(required=True, validate=validate.Range(min=1, max=4))
    reviewers = fields.List(fields.String(validate=validate.Length(min=1, max=64)),
                            required=True, validate=validate.Length(min=1, max=50))
    share = fields.Float(validate=validate.Range(min=0, max=1, min_inclusive=False),
                         metadata={"description": "share per township (default: config)"})
    seed = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "default: a random one, recorded"})


class ScoreIn(schemas.Strict):
    checks = fields.Dict(keys=fields.String(validate=validate.Length(max=64)),
                         values=fields.Boolean(), required=True,
                         validate=validate.Length(max=50))
    comment = fields.String(load_default="", validate=validate.Length(max=4000))


class RedrawQuery(schemas.Strict):
    seed = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "default: the round's recorded seed"})


class Check(Schema):
    key = fields.String()
    label = fields.String()
    points = fields.Integer()


class ItemOut(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "petition, clue or case"})
    number = fields.String()
    case_id = fields.Integer(allow_none=True)
    unit = fields.String()
    unit_name = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean(), allow_none=True)
    score = fields.Integer(allow_none=True)
    passed = fields.Boolean(allow_none=True)
    comment = fields.String()
    reviewer = fields.String(allow_none=True)
    scored_at = fields.AwareDateTime(allow_none=True)
    rectification = fields.String(allow_none=True, metadata={
        "description": "needs_rectification (failed, none opened yet) or opened"})
    rectification_ref = fields.String(allow_none=True, metadata={
        "description": "the number of the finding whose rectification was opened"})
    finding_id = fields.Integer(allow_none=True, metadata={
        "description": "that finding (GET /findings/{id}): its rectification and 销号"})


class UnitResult(Schema):
    unit = fields.String()
    name = fields.String()
    items = fields.Integer()
    scored = fields.Integer()
    passed = fields.Integer()
    failed = fields.Integer()
    average = fields.Float(allow_none=True)
    rectifications = fields.Integer()


class RoundOut(Schema):
    id = fields.Integer()
    unit = fields.String()
    unit_name = fields.String()
    year = fields.Integer()
    quarter = fields.Integer()
    seed = fields.String()
    share = fields.Float()
    checklist = fields.List(fields.Nested(Check))
    pass_score = fields.Integer()
    reviewers = fields.List(fields.String())
    status = fields.String(metadata={"description": "drawn or notified"})
    drawn_by = fields.String(allow_none=True)
    drawn_at = fields.AwareDateTime()
    notified_by = fields.String(allow_none=True)
    notified_at = fields.AwareDateTime(allow_none=True)
    items = fields.List(fields.Nested(ItemOut))
    results = fields.List(fields.Nested(UnitResult))


class RedrawOut(Schema):
    seed = fields.String()
    items = fields.List(fields.String())
    same = fields.Boolean(metadata={"description": "the same items as the recorded sample"})


@bp.get("/quality-reviews")
@doc(responses={200: [RoundOut]})
def quality_rounds():
    """The quality review rounds the caller may see, newest quarter first."""
    user = current_user()
    rt = runtime()
    return dump(RoundOut, rt.read(lambda uow: [
        quality.describe_round(uow.session, rt, r)
        for r in quality.rounds_for(uow.session, user)]), many=True)


@bp.post("/quality-reviews")
@doc(body=RoundIn, responses={201: RoundOut})
def draw_quality_round():
    """Draw a quarter's sample of closed petitions, clues and cases per township."""
    user = current_user()
    args = json_body(RoundIn)
    rt = runtime()

    def work(uow):
        rnd = quality.create_round(uow.session, rt, user=user, unit_code=args.get("unit"),
                                   year=args["year"], quarter=args["quarter"],
                                   reviewers=args["reviewers"], share=args.get("share"),
                                   seed=args.get("seed"))
        return quality.describe_round(uow.session, rt, rnd)
    return dump(RoundOut, rt.transact(work)), 201


@bp.get("/quality-reviews/<int:round_id>")
@doc(responses={200: RoundOut})
def quality_round(round_id):
    """A round: its seed, checklist, items with their scores, and the results per unit."""
    user = current_user()
    rt = runtime()
    return dump(RoundOut, rt.read(lambda uow: quality.describe_round(
        uow.session, rt, quality.get_round(uow.session, user, round_id))))


@bp.get("/quality-reviews/<int:round_id>/redraw")
@doc(query=RedrawQuery, responses={200: RedrawOut})
def redraw_quality_round(round_id):
    """Draw the round's sample again from its recorded seed (or another) and compare."""
    user = current_user()
    args = query_args(RedrawQuery)
    rt = runtime()
    return dump(RedrawOut, rt.read(lambda uow: quality.redraw(
        uow.session, rt, user=user, round_id=round_id, seed=args.get("seed"))))


@bp.post("/quality-reviews/items/<int:item_id>/score")
@doc(body=ScoreIn, responses={200: ItemOut})
def score_quality_item(item_id):
    """Score one item against the checklist (a reviewer of the round, not from its unit)."""
    user = current_user()
    args = json_body(ScoreIn)
    rt = runtime()

    def work(uow):
        from engine.org.tree import Tree
        item = quality.score(uow.session, rt, user=user, item_id=item_id, checks=args["checks"],
                             comment=args["comment"])
        names = {user.id: user.username}
        return quality.describe_item(Tree.of(uow.session), names, rt, item)
    return dump(ItemOut, rt.transact(work))


@bp.post("/quality-reviews/<int:round_id>/notice")
@doc(responses={200: RoundOut})
def notify_quality_round(round_id):
    """Issue the quarter's notice (every item scored)."""
    user = current_user()
    rt = runtime()

    def work(uow):
        rnd = quality.notify(uow, rt, user=user, round_id=round_id)
        return quality.describe_round(uow.session, rt, rnd)
    return dump(RoundOut, rt.transact(work))


@bp.get("/quality-reviews/<int:round_id>/notice.xlsx")
@doc(responses={200: None})
def quality_notice_file(round_id):
    """The round's notice as an Excel workbook (results per unit, then every item)."""
    user = current_user()
    rt = runtime()
    out = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        names = rt.read(lambda uow: notice.write(uow.session, rt, user=user, round_id=round_id,
                                                 out=out))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return _send(out, names["filename"], names["ascii_filename"])
