"""HTTP endpoints of the zones' evaluation (协作区履职绩效考评): results per half-year or year,
the rows behind each figure, manual scores, and the Excel export."""
import tempfile

from marshmallow import Schema, fields, validate

from engine.evaluation import export
from engine.evaluation import service as evaluation
from web import schemas
from web.api import bp
from web.api.common import dump, json_body, query_args
from web.api.reports import _send
from web.auth import current_user, runtime
from web.openapi import doc

PERIOD = fields.String(required=True, validate=validate.Regexp(r"^\d{4}(-H[12])?$"),
                       metadata={"description": "2026-H1, 2026-H2 or 2026"})


class EvaluationQuery(schemas.Strict):
    period = PERIOD


class RowsQuery(schemas.Strict):
    period = PERIOD
    zone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    indicator = fields.String(required=True, validate=validate.OneOf(evaluation.INDICATORS))


class ManualIn(schemas.Strict):
    period = PERIOD
    score = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class Figure(Schema):
    label = fields.String()
    rows = fields.Integer(metadata={"description": "rows counted (the link lists them)"})
    counted = fields.Float(allow_none=True)
    shown = fields.Float(allow_none=True, metadata={"description": "percent, count or score"})
    value = fields.Float(allow_none=True, metadata={"description": "share 0..1; null: no data"})
    weight = fields.Float()
    points = fields.Float(allow_none=True)


class ZoneResult(Schema):
    unit = fields.String()
    name = fields.String()
    score = fields.Float(allow_none=True)
    grade = fields.String(metadata={"description": "excellent, good or fair"})
    grade_label = fields.String()
    rank = fields.Integer()
    last = fields.Boolean(metadata={"description": "ranked last: to be talked to"})
    indicators = fields.Dict(keys=fields.String(), values=fields.Nested(Figure))


class EvaluationOut(Schema):
    period = fields.String()
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    unit = fields.String()
    unit_name = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    grades = fields.Dict(keys=fields.String(), values=fields.Float())
    zones = fields.List(fields.Nested(ZoneResult))


class Row(Schema):
    kind = fields.String()
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    number = fields.String()
    what = fields.String()
    date = fields.AwareDateTime(allow_none=True)
    counted = fields.Boolean()
    status = fields.String()
    score = fields.Float(allow_none=True)
    unit_name = fields.String()


class RowsOut(Schema):
    period = fields.String()
    zone = fields.String()
    zone_name = fields.String()
    indicator = fields.String()
    label = fields.String()
    rows = fields.List(fields.Nested(Row))


class ManualOut(Schema):
    zone = fields.String()
    period = fields.String()
    score = fields.Float()
    comment = fields.String()


def _result(args):
    user = current_user()
    rt = runtime()
    out = rt.read(lambda uow: evaluation.evaluate(uow.session, rt, user=user,
                                                  period_key=args["period"]))
    out["first"], out["last"] = out.pop("from"), out.pop("to")
    return out


@bp.get("/evaluations")
@doc(query=EvaluationQuery, responses={200: EvaluationOut})
def zone_evaluation():
    """The zones below the caller's unit for a half-year or year: figures, score, grade, rank."""
    return dump(EvaluationOut, _result(query_args(EvaluationQuery)))


@bp.get("/evaluations/rows")
@doc(query=RowsQuery, responses={200: RowsOut})
def zone_evaluation_rows():
    """The rows one zone's figure counts, each with its case."""
    user = current_user()
    args = query_args(RowsQuery)
    rt = runtime()
    return dump(RowsOut, rt.read(lambda uow: evaluation.rows(
        uow.session, rt, user=user, period_key=args["period"], zone=args["zone"],
        indicator=args["indicator"])))


@bp.put("/evaluations/zones/<zone>/manual")
@doc(body=ManualIn, responses={200: ManualOut})
def zone_manual_score(zone):
    """Record a zone's manual score for the period (a supervisor above the zone)."""
    user = current_user()
    args = json_body(ManualIn)
    rt = runtime()
    rt.transact(lambda uow: evaluation.set_manual(
        uow.session, rt, user=user, period_key=args["period"], zone=zone, score=args["score"],
        comment=args["comment"]))
    return dump(ManualOut, {"zone": zone, "period": args["period"], "score": args["score"],
                            "comment": args["comment"]})


@bp.get("/evaluations/export.xlsx")
@doc(query=EvaluationQuery, responses={200: None})
def zone_evaluation_file():
    """The evaluation as an Excel workbook."""
    args = query_args(EvaluationQuery)
    user = current_user()
    rt = runtime()
    out = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        result = rt.read(lambda uow: evaluation.evaluate(uow.session, rt, user=user,
                                                         period_key=args["period"]))
        names = export.write(result, out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return _send(out, names["filename"], names["ascii_filename"])
