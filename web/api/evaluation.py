"""HTTP endpoints of the zones' evaluation (协作区履职绩效考评): results per half-year or year,
the rows behind each figure, manual scores, and the Excel export."""
import tempfile

from marshmallow import Schema, fields, validate

from engine.evaluation import committees, export
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


class PeriodResults(Schema):
    """What an evaluation of zones or of committees says about its period and scale."""
    period = fields.String()
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    unit = fields.String()
    unit_name = fields.String()
    weights = fields.Dict(keys=fields.String(), values=fields.Float())
    grades = fields.Dict(keys=fields.String(), values=fields.Float())


class EvaluationOut(PeriodResults):
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
    finding_id = fields.Integer(allow_none=True, metadata={
        "description": "rectifications_on_time: the finding (GET /findings/{id})"})


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


def _evaluated(evaluate, period: str) -> dict:
    """`evaluate`'s result for the caller and period, with its dates named as the API names them."""
    user = current_user()
    rt = runtime()
    out = rt.read(lambda uow: evaluate(uow.session, rt, user=user, period_key=period))
    out["first"], out["last"] = out.pop("from"), out.pop("to")
    return out


def _workbook(evaluate, write, period: str):
    """`evaluate`'s result written by `write` into an Excel file sent to the caller."""
    user = current_user()
    rt = runtime()
    out = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        names = write(rt.read(lambda uow: evaluate(uow.session, rt, user=user,
                                                   period_key=period)), out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return _send(out, names["filename"], names["ascii_filename"])


@bp.get("/evaluations")
@doc(query=EvaluationQuery, responses={200: EvaluationOut})
def zone_evaluation():
    """The zones below the caller's unit for a half-year or year: figures, score, grade, rank."""
    return dump(EvaluationOut, _evaluated(evaluation.evaluate,
                                          query_args(EvaluationQuery)["period"]))


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
    return _workbook(evaluation.evaluate, export.write, query_args(EvaluationQuery)["period"])


# ---------------------------------------------------------------------------------------------
# Village supervision committees: quarterly scores by their township

QUARTER = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-Q[1-4]$"),
                        metadata={"description": "2026-Q1 … 2026-Q4"})


class CommitteeQuery(schemas.Strict):
    period = QUARTER


class CommitteeRowsQuery(schemas.Strict):
    period = QUARTER
    committee = fields.String(required=True, validate=validate.Length(min=1, max=64),
                              metadata={"description": "the village unit's code"})
    indicator = fields.String(required=True, validate=validate.OneOf(committees.INDICATORS))


class CommitteeManualIn(schemas.Strict):
    period = QUARTER
    score = fields.Float(required=True, validate=validate.Range(min=0, max=100))
    comment = fields.String(load_default="", validate=validate.Length(max=2000))


class CommitteeResult(Schema):
    unit = fields.String(metadata={"description": "the village unit's code"})
    name = fields.String()
    township = fields.String()
    township_name = fields.String()
    score = fields.Float(allow_none=True)
    grade = fields.String(metadata={"description": "excellent, good or fair"})
    grade_label = fields.String()
    rank = fields.Integer(metadata={"description": "within its township"})
    may_score = fields.Boolean(metadata={"description": "the caller's township scores it"})
    indicators = fields.Dict(keys=fields.String(), values=fields.Nested(Figure))


class CommitteesOut(PeriodResults):
    committees = fields.List(fields.Nested(CommitteeResult))


class CommitteeRowsOut(Schema):
    period = fields.String()
    committee = fields.String()
    committee_name = fields.String()
    indicator = fields.String()
    label = fields.String()
    rows = fields.List(fields.Nested(Row))


class CommitteeManualOut(Schema):
    committee = fields.String()
    period = fields.String()
    score = fields.Float()
    comment = fields.String()


@bp.get("/evaluations/committees")
@doc(query=CommitteeQuery, responses={200: CommitteesOut})
def committee_evaluation():
    """The village supervision committees below the caller's unit for a quarter."""
    return dump(CommitteesOut, _evaluated(committees.evaluate,
                                          query_args(CommitteeQuery)["period"]))


@bp.get("/evaluations/committees/rows")
@doc(query=CommitteeRowsQuery, responses={200: CommitteeRowsOut})
def committee_evaluation_rows():
    """The rows one committee's figure counts, each with its case or finding."""
    args = query_args(CommitteeRowsQuery)
    user = current_user()
    rt = runtime()
    return dump(CommitteeRowsOut, rt.read(lambda uow: committees.rows(
        uow.session, rt, user=user, period_key=args["period"], committee=args["committee"],
        indicator=args["indicator"])))


@bp.put("/evaluations/committees/<committee>/manual")
@doc(body=CommitteeManualIn, responses={200: CommitteeManualOut})
def committee_manual_score(committee):
    """Record a committee's quarterly manual score (a supervisor of its township)."""
    user = current_user()
    args = json_body(CommitteeManualIn)
    rt = runtime()
    rt.transact(lambda uow: committees.set_manual(
        uow.session, rt, user=user, period_key=args["period"], committee=committee,
        score=args["score"], comment=args["comment"]))
    return dump(CommitteeManualOut, {"committee": committee, "period": args["period"],
                                     "score": args["score"], "comment": args["comment"]})


@bp.get("/evaluations/committees/export.xlsx")
@doc(query=CommitteeQuery, responses={200: None})
def committee_evaluation_file():
    """The committees' quarterly scores as an Excel workbook."""
    return _workbook(committees.evaluate, export.write_committees,
                     query_args(CommitteeQuery)["period"])
