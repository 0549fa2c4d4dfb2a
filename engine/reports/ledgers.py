"""Ledgers (台账) as Excel workbooks: the petition register (信访件登记台账), the clue ledger
(问题线索台账) and the monthly report (月报表).

Rows come from the database in chunks (`yield_per`) and go to openpyxl's write-only worksheet,
which writes each row out to a temporary file at once: memory does not grow with the number of
rows. Reporter identity is always masked. Background jobs build large files into the instance
folder and report their progress; their state lives in this process's memory (one server
process), so a restart forgets them.
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from engine import glossary
from engine.cases.models import Case
from engine.clues.models import Clue
from engine.errors import Invalid, NotFound
from engine import notes
from engine.jobs import service as jobs
from engine.jobs.models import Job
from engine.org.models import User
from engine.petitions import masking
from engine.petitions.models import CATEGORIES, CHANNELS, AccusedPerson, Petition
from engine.reports import service
from engine.org.tree import Tree, UnitInfo
from engine.reports.service import Period
from engine.runtime import Runtime

log = logging.getLogger("cluedesk.reports")

CHUNK = 1000
CONTENT_CHARS = 200

# The users' words, from the glossary the pages share (engine/glossary.py).
CHANNEL_LABELS = glossary.names("channel")
CATEGORY_LABELS = glossary.names("category")
LEVEL_LABELS = glossary.names("level")
PETITION_STATUS = glossary.names("petition_status")
CASE_STATUS = glossary.names("case_status")
SOURCE_LABELS = glossary.names("source")
DISPOSITION_LABELS = glossary.names("disposition")
FINDING_LABELS = glossary.names("finding")
CLUE_STATUS = glossary.names("clue_status")
SATISFACTION_LABELS = glossary.names("satisfaction")


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    items: bool  # lists items (not only aggregates): administrators may not export it
    own_unit_roles: tuple[str, ...] = ()  # further roles that export it for their own unit


KINDS = {k.key: k for k in (Kind("petition-register", "信访件登记台账", True),
                            Kind("clue-ledger", "问题线索台账", True),
                            Kind("monthly-report", "月报表", False))}

PETITION_HEADERS = ["序号", "信访件编号", "收件日期", "来源渠道", "举报人", "联系电话",
                    "被反映人", "职务", "被反映人单位", "层级", "所属乡镇", "村(社区)", "问题类别",
                    "主要问题", "初信/重复", "原件编号", "登记单位", "首办单位", "承办单位",
                    "办理状态", "办结日期"]
CLUE_HEADERS = ["序号", "线索编号", "受理日期", "线索来源", "关联信访件编号", "反映人", "被反映人",
                "职务", "被反映人单位", "层级", "主要问题", "承办单位", "处置方式", "处置理由",
                "处置审批日期", "初核结论", "初核认定日期", "重点初核件", "线索状态", "了结情况",
                "了结日期", "立案日期"]
MONTHLY_FIGURES = [
    ("信访件次", "petitions"), ("初信初访", "petitions_first_time"),
    ("重复件", "petitions_repeat"), ("初次件办结", "first_time_cleared"),
    ("问题线索", "clues"),
    *((DISPOSITION_LABELS[k], f"clues_by_disposition.{k}") for k in DISPOSITION_LABELS),
    ("初步核实完成", "verifications"),
    *((f"初核{FINDING_LABELS[k]}", f"verifications_by_finding.{k}") for k in FINDING_LABELS),
    ("立案数", "cases_filed"), ("结案数", "cases_closed"), ("处分人数", "people_disciplined"),
    ("澄清正名人数", "people_clarified"), ("诬告陷害移送", "malicious_referred"),
    ("到期时限", "deadlines_due"), ("超期", "deadlines_breached"), ("超期率", "overdue_rate"),
    *((SATISFACTION_LABELS[k], f"return_visits.{k}") for k in SATISFACTION_LABELS),
    *((CHANNEL_LABELS[k], f"petitions_by_channel.{k}") for k in CHANNELS),
    *((CATEGORY_LABELS[k], f"petitions_by_category.{k}") for k in CATEGORIES),
]
MONTHLY_HEADERS = ["序号", "单位", *(label for label, _ in MONTHLY_FIGURES)]

Progress = Callable[[int, int], None]


def kind_of(key: str) -> Kind:
    """The ledger kind, or NotFound."""
    kind = KINDS.get(key)
    if kind is None:
        raise NotFound("no ledger %(key)r; ledgers are %(kinds)s", reason="ledger_unknown",
                       params={"key": key, "kinds": ", ".join(KINDS)})
    return kind


def available(user: User) -> list[str]:
    """The ledgers this user may build: item ledgers not for administrators alone."""
    sees_items = bool({"supervisor", *service.OWN_UNIT_ROLES} & user.roles)
    return [k.key for k in KINDS.values()
            if sees_items or not k.items or set(k.own_unit_roles) & user.roles]


def file_names(kind: Kind, unit: UnitInfo, p: Period) -> tuple[str, str]:
    """(Chinese file name, ASCII fallback) of a ledger file."""
    span = f"{p.first.isoformat()}_{p.last.isoformat()}"
    return f"{kind.title}_{unit.name}_{span}.xlsx", f"{kind.key}_{unit.code}_{span}.xlsx"


# ---------------------------------------------------------------------------------------------
# Writing


class Sheet:
    """A write-only worksheet with a bold, frozen header row."""

    def __init__(self, workbook: Workbook, title: str, headers: list[str],
                 widths: dict[int, int] | None = None):
        self.ws = workbook.create_sheet(title=title)
        for index, width in (widths or {}).items():
            self.ws.column_dimensions[_column(index)].width = width
        self.ws.freeze_panes = "A2"
        bold = Font(bold=True)
        row = []
        for text in headers:
            cell = WriteOnlyCell(self.ws, value=text)
            cell.font = bold
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            row.append(cell)
        self.ws.append(row)
        self.rows = 0

    def append(self, values: list) -> None:
        self.rows += 1
        self.ws.append([self.rows, *values])


def _column(index: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(index)


def _workbook(title: str) -> Workbook:
    wb = Workbook(write_only=True)
    wb.properties.title = title
    wb.properties.creator = "cluedesk"
    return wb


def _local_date(runtime: Runtime, value: datetime | None) -> date | None:
    return runtime.clock.local(value).date() if value is not None else None


def _chunks(session: Session, stmt):
    """The statement's rows, fetched from the database CHUNK at a time."""
    result = session.execute(stmt.execution_options(yield_per=CHUNK))
    yield from result.partitions(CHUNK)


def _unit_name(tree: Tree, unit_id: int | None) -> str:
    unit = tree.by_id.get(unit_id) if unit_id is not None else None
    return unit.name if unit else ""


def _shown(model):
    """A record's number as people read it: its display number (甲镇纪委〔2026〕线索12号),
    the coded number for a record from before display numbers."""
    return func.coalesce(model.display_number, model.number)


def _subtree_ids(tree: Tree, unit: UnitInfo) -> list[int]:
    return [u.id for u in tree.below(unit)]


def _petition_select(tree: Tree, unit: UnitInfo, p: Period):
    c, o, oc = aliased(Case), aliased(Petition), aliased(Case)
    unit_expr = case((Petition.repeat_of_id.is_(None),
                      func.coalesce(service.case_unit(c), Petition.unit_id)),
                     else_=func.coalesce(service.case_unit(oc), Petition.unit_id))
    where = and_(Petition.received_at >= p.start, Petition.received_at < p.end,
                 unit_expr.in_(_subtree_ids(tree, unit)))
    base = (select(Petition.id).select_from(Petition).outerjoin(c, c.id == Petition.case_id)
            .outerjoin(o, o.id == Petition.repeat_of_id).outerjoin(oc, oc.id == o.case_id)
            .where(where))
    rows = base.with_only_columns(
        Petition.id, _shown(Petition).label("number"), Petition.received_at, Petition.channel, Petition.anonymous,
        Petition.reporter_name, Petition.reporter_phone, Petition.township_id, Petition.village,
        Petition.category, Petition.content, Petition.sealed, Petition.repeat_of_id,
        _shown(o).label("original_number"), Petition.unit_id, Petition.status,
        c.first_handling_unit_id, unit_expr.label("handling_unit_id"),
        c.status.label("case_status"), c.closed_at).order_by(Petition.received_at, Petition.id)
    total = base.with_only_columns(func.count())
    return rows, total


def _accused(session: Session, petition_ids: list[int]) -> dict[int, list[AccusedPerson]]:
    out: dict[int, list] = {}
    for person in session.execute(select(AccusedPerson.petition_id, AccusedPerson.name,
                                         AccusedPerson.post, AccusedPerson.unit,
                                         AccusedPerson.level)
                                  .where(AccusedPerson.petition_id.in_(petition_ids))
                                  .order_by(AccusedPerson.id)):
        out.setdefault(person.petition_id, []).append(person)
    return out


def _people(people: list, attr: str, labels: dict | None = None) -> str:
    values = [getattr(x, attr) or "" for x in people]
    if labels:
        values = [labels.get(v, v) for v in values]
    return "、".join(dict.fromkeys(v for v in values if v))


def write_petition_register(session: Session, runtime: Runtime, *, tree: Tree, unit: UnitInfo,
                            p: Period, out: IO[bytes] | str, progress: Progress) -> int:
    """信访件登记台账: every petition received in the period that counts for the unit."""
    rows_stmt, total_stmt = _petition_select(tree, unit, p)
    total = session.scalar(total_stmt) or 0
    progress(0, total)
    wb = _workbook(KINDS["petition-register"].title)
    sheet = Sheet(wb, "信访件登记台账", PETITION_HEADERS,
                  {1: 6, 2: 28, 3: 12, 14: 50, 16: 28})
    for chunk in _chunks(session, rows_stmt):
        accused = _accused(session, [r.id for r in chunk])
        for r in chunk:
            people = accused.get(r.id, [])
            closed = r.closed_at if r.case_status == "closed" else None
            sheet.append([
                r.number, _local_date(runtime, r.received_at),
                CHANNEL_LABELS.get(r.channel, r.channel),
                "匿名" if r.anonymous else (masking.name(r.reporter_name) or ""),
                "" if r.anonymous else (masking.phone(r.reporter_phone) or ""),
                _people(people, "name"), _people(people, "post"), _people(people, "unit"),
                _people(people, "level", LEVEL_LABELS), _unit_name(tree, r.township_id), r.village,
                CATEGORY_LABELS.get(r.category, r.category),
                "（密封转送，不载内容）" if r.sealed else (r.content or "")[:CONTENT_CHARS],
                "初信初访" if r.repeat_of_id is None else "重复件", r.original_number or "",
                _unit_name(tree, r.unit_id), _unit_name(tree, r.first_handling_unit_id),
                _unit_name(tree, r.handling_unit_id), PETITION_STATUS.get(r.status, r.status),
                _local_date(runtime, closed)])
        progress(sheet.rows, total)
    wb.save(out)
    return sheet.rows


def _clue_select(tree: Tree, unit: UnitInfo, p: Period):
    c = aliased(Case)
    unit_expr = service.clue_unit(c)
    base = (select(Clue.id).select_from(Clue).outerjoin(c, c.id == Clue.case_id)
            .outerjoin(Petition, Petition.id == Clue.petition_id)
            .where(Clue.created_at >= p.start, Clue.created_at < p.end,
                   unit_expr.in_(_subtree_ids(tree, unit))))
    rows = base.with_only_columns(
        _shown(Clue).label("number"), Clue.created_at, Clue.source,
        _shown(Petition).label("petition_number"),
        Petition.anonymous, Petition.reporter_name, Clue.accused_name, Clue.accused_post,
        Clue.accused_unit, Clue.accused_level, Clue.summary, unit_expr.label("unit_id"),
        Clue.disposition, Clue.disposition_reason, Clue.approved_at, Clue.finding,
        Clue.finding_at, Clue.key_verification, Clue.status, Clue.closed_reason, Clue.closed_at,
        c.filed_at).order_by(Clue.created_at, Clue.id)
    return rows, base.with_only_columns(func.count())


def write_clue_ledger(session: Session, runtime: Runtime, *, tree: Tree, unit: UnitInfo,
                      p: Period, out: IO[bytes] | str, progress: Progress) -> int:
    """问题线索台账: every clue registered in the period that counts for the unit."""
    rows_stmt, total_stmt = _clue_select(tree, unit, p)
    total = session.scalar(total_stmt) or 0
    progress(0, total)
    wb = _workbook(KINDS["clue-ledger"].title)
    sheet = Sheet(wb, "问题线索台账", CLUE_HEADERS, {1: 6, 2: 26, 3: 12, 5: 28, 11: 50, 14: 30,
                                                     20: 30})
    for chunk in _chunks(session, rows_stmt):
        for r in chunk:
            if r.petition_number is None:
                reporter = ""
            else:
                reporter = "匿名" if r.anonymous else (masking.name(r.reporter_name) or "")
            approved = r.approved_at if r.disposition else None
            sheet.append([
                r.number, _local_date(runtime, r.created_at), SOURCE_LABELS.get(r.source, r.source),
                r.petition_number or "", reporter, r.accused_name, r.accused_post, r.accused_unit,
                LEVEL_LABELS.get(r.accused_level, r.accused_level), r.summary or "",
                _unit_name(tree, r.unit_id),
                DISPOSITION_LABELS.get(r.disposition, r.disposition or "") if approved else "",
                (r.disposition_reason or "") if approved else "", _local_date(runtime, approved),
                FINDING_LABELS.get(r.finding, r.finding or ""), _local_date(runtime, r.finding_at),
                "是" if r.key_verification else "否", CLUE_STATUS.get(r.status, r.status),
                r.closed_reason or "", _local_date(runtime, r.closed_at),
                _local_date(runtime, r.filed_at)])
        progress(sheet.rows, total)
    wb.save(out)
    return sheet.rows


def _figure(summary: dict, path: str):
    value = summary
    for part in path.split("."):
        value = value[part]
    return value


def write_monthly_report(session: Session, runtime: Runtime, *, tree: Tree, unit: UnitInfo,
                         p: Period, out: IO[bytes] | str, progress: Progress) -> int:
    """月报表: the summary's figures for the unit (first row, everything below it) and for each
    unit directly below it."""
    units = [unit, *tree.children(unit)]
    progress(0, len(units))
    summaries = service.figures(session, runtime, tree=tree, units=units, p=p)
    wb = _workbook(KINDS["monthly-report"].title)
    sheet = Sheet(wb, "月报表", MONTHLY_HEADERS, {1: 6, 2: 22})
    for s in summaries:
        row = [s["unit_name"]]
        for _label, path in MONTHLY_FIGURES:
            value = _figure(s, path)
            row.append("—" if value is None else value)
        sheet.append(row)
    progress(sheet.rows, len(units))
    wb.save(out)
    return sheet.rows


WRITERS = {"petition-register": write_petition_register, "clue-ledger": write_clue_ledger,
           "monthly-report": write_monthly_report}
# The supervision ledgers (检查台账, 整改台账, 专项治理月报表, 干预插手季度报告) add their kinds.
from engine.supervision import ledgers as _supervision_ledgers  # noqa: E402

_supervision_ledgers.register(KINDS, WRITERS)


def write(session: Session, runtime: Runtime, *, user: User, kind: str, unit_code: str | None,
          p: Period, out: IO[bytes] | str, progress: Progress | None = None) -> dict:
    """Write a ledger the user may see into `out` (a path or a binary file); return its names."""
    k = kind_of(kind)
    tree, unit = service.report_unit(session, user=user, unit_code=unit_code, items=k.items,
                                     own_unit_roles=k.own_unit_roles)
    service.tune(session, runtime)
    rows = WRITERS[k.key](session, runtime, tree=tree, unit=unit, p=p, out=out,
                          progress=progress or (lambda written, total: None))
    name, ascii_name = file_names(k, unit, p)
    return {"rows": rows, "filename": name, "ascii_filename": ascii_name}


# ---------------------------------------------------------------------------------------------
# Background jobs (engine/jobs): a ledger of many rows is built by a worker, followed by any process


JOB_KIND = "ledger"
MAX_RUNNING_PER_USER = 2
KEEP = timedelta(days=1)


def _build(runtime: Runtime, ctx: jobs.Context) -> dict:
    """The job handler: write the ledger the owner asked for into the job's file."""
    params = ctx.params
    p = service.period(runtime, first=date.fromisoformat(params["first"]),
                       last=date.fromisoformat(params["last"]))
    partial = ctx.result_path.with_suffix(".part")

    def work(uow):
        user = uow.session.get(User, ctx.owner_id)
        return write(uow.session, runtime, user=user, kind=params["ledger"],
                     unit_code=params.get("unit"), p=p, out=str(partial), progress=ctx.progress)
    try:
        names = runtime.read(work)
        os.replace(partial, ctx.result_path)
    finally:
        partial.unlink(missing_ok=True)
    return names


jobs.register(JOB_KIND, _build)


def describe(job: Job) -> dict:
    """A ledger job as the API shows it."""
    return {"id": job.id, "kind": job.params.get("ledger"), "status": job.status,
            "rows_written": job.result.get("rows", job.progress_done) if job.status == "done"
            else job.progress_done,
            "rows_total": job.progress_total,
            "download": f"/api/v1/reports/jobs/{job.id}/download" if job.status == "done"
            else None,
            "filename": job.result.get("filename"), "error": job.error}


def start_job(runtime: Runtime, *, user: User, kind: str, unit_code: str | None,
              p: Period) -> dict:
    """Check the user may have this ledger, then queue it for a worker; return the job. When the
    runtime is bound to one connection (tests) the job is run before returning."""
    k = kind_of(kind)

    def queue(uow):
        service.report_unit(uow.session, user=user, unit_code=unit_code, items=k.items,
                           own_unit_roles=k.own_unit_roles)
        jobs.prune(uow.session, runtime.clock.wall(), KEEP)
        params = {"ledger": k.key, "unit": unit_code, "first": p.first.isoformat(),
                  "last": p.last.isoformat()}
        return jobs.submit(uow.session, runtime, kind=JOB_KIND, owner=user, params=params,
                           at_most=MAX_RUNNING_PER_USER).id
    job_id = runtime.transact(queue)
    if runtime.connection is not None:
        jobs.run_one(runtime, job_id, "inline")
    return job_status(runtime, user=user, job_id=job_id)


def job_status(runtime: Runtime, *, user: User, job_id: str) -> dict:
    """A ledger job of the user, read from the jobs table (any process answers)."""
    return runtime.read(lambda uow: describe(jobs.get(uow.session, user=user, job_id=job_id)))


def job_file(runtime: Runtime, *, user: User, job_id: str) -> tuple[Path, str, str]:
    """A finished job's file and its names, for the user who asked for it."""
    job = runtime.read(lambda uow: jobs.get(uow.session, user=user, job_id=job_id))
    if job.status != "done":
        raise Invalid("the ledger is %(status)s", reason="job_not_done",
                      params={"status": job.status}, fields={"status": [notes.note("status", status=job.status)]})
    path = Path(job.result_path)
    if not path.exists():
        raise NotFound("the file is gone; build the ledger again", reason="job_file_gone")
    return path, job.result["filename"], job.result["ascii_filename"]
