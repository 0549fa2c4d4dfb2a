"""HTTP endpoints of reports: the summary statistics (定期通报), flags of periodic obligations,
periodic submissions, and the ledgers (台账) as Excel files, directly or as background jobs."""
import tempfile
from urllib.parse import quote

from flask import send_file
from marshmallow import Schema, fields, validate

from engine.reports import ledgers
from engine.reports import service as reports
from web import schemas
from web.api import bp
from web.api.common import dump, json_body, query_args
from web.auth import current_user, runtime
from web.openapi import doc

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class PeriodFields:
    first = fields.Date(data_key="from", metadata={"description": "first day (included)"})
    last = fields.Date(data_key="to", metadata={"description": "last day (included)"})
    period = fields.String(validate=validate.OneOf(reports.PERIOD_KINDS), metadata={
        "description": "without from/to: the month, quarter or year containing `date`"})
    date = fields.Date(metadata={"description": "a day in the period (default today)"})
    unit = fields.String(validate=validate.Length(min=1, max=64),
                         metadata={"description": "unit code (default: the caller's unit)"})


class ReportQuery(PeriodFields, schemas.Strict):
    pass


class LedgerJobIn(PeriodFields, schemas.Strict):
    pass


class DispositionCounts(Schema):
    inquiry = fields.Integer()
    verification = fields.Integer()
    shelved = fields.Integer()
    closed = fields.Integer()


class FindingCounts(Schema):
    true = fields.Integer()
    partly_true = fields.Integer()
    untrue = fields.Integer()
    unverifiable = fields.Integer()


class VisitCounts(Schema):
    satisfied = fields.Integer()
    basically_satisfied = fields.Integer()
    dissatisfied = fields.Integer()


class UnitSummary(Schema):
    unit = fields.String()
    unit_name = fields.String()
    unit_kind = fields.String()
    petitions = fields.Integer(metadata={"description": "件次, by received_at"})
    petitions_first_time = fields.Integer()
    petitions_repeat = fields.Integer()
    petitions_by_channel = fields.Dict(keys=fields.String(), values=fields.Integer())
    petitions_by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    first_time_cleared = fields.Integer()
    clues = fields.Integer(metadata={"description": "件, by the approval of their disposition"})
    clues_by_disposition = fields.Nested(DispositionCounts)
    verifications = fields.Integer()
    verifications_by_finding = fields.Nested(FindingCounts)
    cases_filed = fields.Integer()
    cases_closed = fields.Integer()
    people_disciplined = fields.Integer()
    people_clarified = fields.Integer()
    malicious_referred = fields.Integer()
    deadlines_due = fields.Integer()
    deadlines_breached = fields.Integer()
    overdue_rate = fields.Float(allow_none=True)
    return_visits = fields.Nested(VisitCounts)


class SummaryOut(Schema):
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    units = fields.List(fields.Nested(UnitSummary))


class FlagsQuery(schemas.Strict):
    date = fields.Date(metadata={"description": "the checks look at the last complete periods "
                                                "before this day (default today)"})
    unit = fields.String(validate=validate.Length(min=1, max=64))


class RepeatTownship(Schema):
    unit = fields.String()
    name = fields.String()
    repeats = fields.Integer()


class UnitRef(Schema):
    unit = fields.String()
    name = fields.String()


class KeyVerificationReport(Schema):
    unit = fields.String()
    name = fields.String()
    key_verifications = fields.List(fields.String())
    reported = fields.Boolean()
    reported_at = fields.AwareDateTime(allow_none=True)
    missing = fields.List(fields.String())
    flagged = fields.Boolean()


class QualityNotice(Schema):
    unit = fields.String()
    name = fields.String()
    round = fields.Integer(allow_none=True)
    drawn = fields.Boolean()
    notified = fields.Boolean()
    notified_at = fields.AwareDateTime(allow_none=True)
    flagged = fields.Boolean()


class FeedbackReport(Schema):
    unit = fields.String()
    name = fields.String()
    closed_items = fields.Integer()
    reported = fields.Boolean()
    reported_at = fields.AwareDateTime(allow_none=True)
    flagged = fields.Boolean()


class InterferenceReport(Schema):
    unit = fields.String()
    name = fields.String()
    entries = fields.Integer()
    reported = fields.Boolean()
    reported_at = fields.AwareDateTime(allow_none=True)
    flagged = fields.Boolean()


def _flag_list(name: str, item):
    return type(name, (Schema,), {"first": fields.Date(data_key="from"),
                                  "last": fields.Date(data_key="to"),
                                  "items": fields.List(fields.Nested(item))})


RepeatFlag = _flag_list("RepeatFlag", RepeatTownship)
ZeroCaseFlag = _flag_list("ZeroCaseFlag", UnitRef)
KeyVerificationFlag = _flag_list("KeyVerificationFlag", KeyVerificationReport)
FeedbackFlag = _flag_list("FeedbackFlag", FeedbackReport)
InterferenceFlag = _flag_list("InterferenceFlag", InterferenceReport)
QualityNoticeFlag = _flag_list("QualityNoticeFlag", QualityNotice)


class FlagsOut(Schema):
    date = fields.Date()
    unit = fields.String()
    repeat_townships = fields.Nested(RepeatFlag)
    zero_case_townships = fields.Nested(ZeroCaseFlag)
    key_verification_reports = fields.Nested(KeyVerificationFlag)
    quarterly_feedback = fields.Nested(FeedbackFlag)
    interference_reports = fields.Nested(InterferenceFlag)
    quality_review_notice = fields.Nested(QualityNoticeFlag)


class SubmissionIn(schemas.Strict):
    kind = fields.String(required=True, validate=validate.OneOf(reports.SUBMISSION_KINDS))
    date = fields.Date(metadata={"description": "a day in the period reported on (default: the "
                                                "last complete period)"})


class SubmissionOut(Schema):
    kind = fields.String()
    unit = fields.String()
    first = fields.Date(data_key="from")
    last = fields.Date(data_key="to")
    items = fields.List(fields.String())
    submitted_at = fields.AwareDateTime()
    submitted_by = fields.String()


class LedgerJobOut(Schema):
    id = fields.String()
    kind = fields.String()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    rows_written = fields.Integer()
    rows_total = fields.Integer(allow_none=True)
    download = fields.String(allow_none=True)
    filename = fields.String(allow_none=True)
    error = fields.String(allow_none=True)


def _period(args: dict) -> reports.Period:
    return reports.resolve_period(runtime(), first=args.get("first"), last=args.get("last"),
                                  kind=args.get("period"), on=args.get("date"))


@bp.get("/reports/summary")
@doc(query=ReportQuery, responses={200: SummaryOut})
def report_summary():
    """Statistics of a unit and of each unit directly below it for a period."""
    user = current_user()
    args = query_args(ReportQuery)
    rt = runtime()
    p = _period(args)
    result = rt.read(lambda uow: reports.report(uow.session, rt, user=user,
                                                unit_code=args.get("unit"), p=p))
    return dump(SummaryOut, {"first": result["from"], "last": result["to"],
                             "units": result["units"]})


def _dated(block: dict) -> dict:
    return {"first": block["from"], "last": block["to"], "items": block["items"]}


@bp.get("/reports/flags")
@doc(query=FlagsQuery, responses={200: FlagsOut})
def report_flags():
    """Repeat-petition townships, zero-case townships, key-verification and feedback reports."""
    user = current_user()
    args = query_args(FlagsQuery)
    rt = runtime()
    result = rt.read(lambda uow: reports.flags(uow.session, rt, user=user, on=args.get("date"),
                                               unit_code=args.get("unit")))
    for key in ("repeat_townships", "zero_case_townships", "key_verification_reports",
                "quarterly_feedback", "interference_reports", "quality_review_notice"):
        result[key] = _dated(result[key])
    return dump(FlagsOut, result)


@bp.post("/reports/submissions")
@doc(body=SubmissionIn, responses={201: SubmissionOut})
def submit_report():
    """Submit the caller's unit's periodic report (key verifications or quarterly feedback)."""
    user = current_user()
    args = json_body(SubmissionIn)
    rt = runtime()
    result = rt.transact(lambda uow: reports.submit(uow.session, rt, user=user, kind=args["kind"],
                                                    on=args.get("date")))
    result["first"], result["last"] = result.pop("from"), result.pop("to")
    return dump(SubmissionOut, result), 201


def _send(fileobj, filename: str, ascii_filename: str):
    """The file as an attachment; its Chinese name for browsers that read `filename*`."""
    response = send_file(fileobj, mimetype=XLSX, as_attachment=True, download_name=ascii_filename,
                         max_age=0)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{ascii_filename}"; filename*=UTF-8\'\'{quote(filename)}')
    return response


@bp.get("/reports/ledgers/<kind>.xlsx")
@doc(query=ReportQuery, responses={200: None})
def download_ledger(kind):
    """A ledger as an Excel file (petition-register, clue-ledger, monthly-report, inspection-ledger,
    rectification-ledger, supervision-monthly, interference-report)."""
    user = current_user()
    args = query_args(ReportQuery)
    rt = runtime()
    p = _period(args)
    # An anonymous temporary file: removed by the system once the response is sent.
    out = tempfile.TemporaryFile(suffix=".xlsx")
    try:
        names = rt.read(lambda uow: ledgers.write(uow.session, rt, user=user, kind=kind,
                                                  unit_code=args.get("unit"), p=p, out=out))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return _send(out, names["filename"], names["ascii_filename"])


@bp.post("/reports/ledgers/<kind>")
@doc(body=LedgerJobIn, responses={202: LedgerJobOut})
def start_ledger_job(kind):
    """Build a ledger in the background; follow it with GET /reports/jobs/{id}."""
    user = current_user()
    args = json_body(LedgerJobIn)
    rt = runtime()
    job = ledgers.start_job(rt, user=user, kind=kind, unit_code=args.get("unit"),
                            p=_period(args))
    return dump(LedgerJobOut, job), 202


@bp.get("/reports/jobs/<job_id>")
@doc(responses={200: LedgerJobOut})
def ledger_job(job_id):
    """A ledger job's progress: status, rows written of the total, and the download link."""
    return dump(LedgerJobOut, ledgers.job_status(runtime(), user=current_user(), job_id=job_id))


@bp.get("/reports/jobs/<job_id>/download")
@doc(responses={200: None})
def ledger_job_download(job_id):
    """The finished ledger file of a job."""
    path, filename, ascii_filename = ledgers.job_file(runtime(), user=current_user(),
                                                      job_id=job_id)
    return _send(path, filename, ascii_filename)
