"""The supervision ledgers in the seeds' layouts (seed 002 附件2 检查台账, 附件3 整改台账, 附件4
月报表; seed 003 干预插手重大事项留痕 quarterly report), written like the other ledgers
(engine/reports/ledgers.py: write-only openpyxl sheets, rows in chunks)."""
from __future__ import annotations

from collections import defaultdict
from typing import IO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.org.tree import Tree, UnitInfo
from engine.reports.service import Period
from engine.runtime import Runtime
from engine.supervision.models import Finding, Inspection, InterferenceEntry

INSPECTION_HEADERS = ["序号", "编号", "检查编号", "填报单位", "检查方式", "时间", "被检查单位",
                      "检查人员", "检查内容", "发现的问题", "整改建议", "整改时限", "整改责任人"]
RECTIFICATION_HEADERS = ["序号", "编号", "填报单位", "整改时间", "问题单位", "整改责任人及责任",
                         "存在问题", "整改措施", "完成情况", "整改时限", "状态", "销号日期",
                         "一案双查"]
MONTHLY_HEADERS = ["序号", "填报单位", "受检基层单位", "检查工作情况", "发现问题情况", "整改情况",
                   "制度机制建设情况"]
INTERFERENCE_HEADERS = ["序号", "编号", "登记部门", "姓名", "所在单位", "职务", "干预插手时间",
                        "干预插手形式", "事项类别", "具体事项", "处理结果", "更正次数", "关联线索"]
KIND_LABELS = {"special": "专项督查", "random": "随机抽查", "cross": "交叉检查",
               "unannounced": "明察暗访", "patrol": "巡察"}
MATTER_LABELS = {"projects": "工程项目", "enforcement": "执纪执法", "public_trading": "公共资源交易",
                 "justice": "司法活动", "finance": "金融活动", "land": "征地拆迁",
                 "appointments": "选人用人", "audit": "审计"}
STATUS_LABELS = {"recorded": "待审核", "measures": "待制定措施", "rectifying": "整改中",
                 "verifying": "待验收", "closed": "已销号"}


def _ledgers():
    from engine.reports import ledgers  # this module is imported by it
    return ledgers


def _ids(tree: Tree, unit: UnitInfo) -> list[int]:
    return [u.id for u in tree.below(unit)]


def _shown(record) -> str:
    """A record's number as people read it: its display number, else (older rows) its code."""
    return record.display_number or record.number


def _name(tree: Tree, unit_id) -> str:
    unit = tree.by_id.get(unit_id)
    return unit.name if unit else ""


def _names_of(tree: Tree, codes) -> str:
    return "、".join(tree.by_code[c].name if c in tree.by_code else c for c in codes or [])


def _status(runtime: Runtime, finding: Finding) -> str:
    now = runtime.clock.now()
    if finding.status == "closed":
        late = finding.due_at is not None and finding.closed_at > finding.due_at
        return "已销号（超期）" if late else "已销号"
    if finding.due_at is not None and finding.due_at < now and finding.status != "recorded":
        return "已超期"
    return STATUS_LABELS.get(finding.status, finding.status)


def write_inspection_ledger(session: Session, runtime: Runtime, *, tree: Tree, unit: UnitInfo,
                            p: Period, out: IO[bytes] | str, progress) -> int:
    """检查台账: one row per problem found (an inspection without any: one row saying so), for the
    inspections the unit (and those below it) carried out in the period."""
    L = _ledgers()
    rows = session.execute(
        select(Inspection, Finding).outerjoin(Finding, Finding.inspection_id == Inspection.id)
        .where(Inspection.unit_id.in_(_ids(tree, unit)), Inspection.created_at >= p.start,
               Inspection.created_at < p.end)
        .order_by(Inspection.id, Finding.id)).all()
    progress(0, len(rows))
    wb = L._workbook(L.KINDS["inspection-ledger"].title)
    sheet = L.Sheet(wb, "检查台账", INSPECTION_HEADERS, {2: 28, 3: 28, 9: 30, 10: 40, 11: 30})
    for inspection, finding in rows:
        when = inspection.carried_out_on or L._local_date(runtime, inspection.created_at)
        sheet.append([
            _shown(finding) if finding else "", _shown(inspection), _name(tree, inspection.unit_id),
            KIND_LABELS.get(inspection.kind, inspection.kind), when,
            _name(tree, finding.unit_id) if finding else _names_of(tree, inspection.targets),
            "、".join(inspection.inspectors or []), inspection.content or inspection.title,
            finding.description if finding else "未发现问题",
            finding.suggestion if finding else "",
            L._local_date(runtime, finding.due_at) if finding and finding.due_at else
            (f"{finding.time_limit_days}日" if finding else ""),
            finding.responsible_person if finding else ""])
    progress(sheet.rows, len(rows))
    wb.save(out)
    return sheet.rows


def write_rectification_ledger(session: Session, runtime: Runtime, *, tree: Tree,
                               unit: UnitInfo, p: Period, out: IO[bytes] | str, progress) -> int:
    """整改台账: every finding sent for rectification in the period that the unit inspected or
    must rectify (or supervise), with open / closed / overdue status; matches 检查台账 by 编号."""
    L = _ledgers()
    ids = _ids(tree, unit)
    rows = session.execute(
        select(Finding, Inspection).join(Inspection, Inspection.id == Finding.inspection_id)
        .where(Finding.instance_id.is_not(None), Finding.created_at >= p.start,
               Finding.created_at < p.end,
               or_(Inspection.unit_id.in_(ids), Finding.unit_id.in_(ids),
                   Finding.supervising_unit_id.in_(ids)))
        .order_by(Finding.id)).all()
    progress(0, len(rows))
    wb = L._workbook(L.KINDS["rectification-ledger"].title)
    sheet = L.Sheet(wb, "整改台账", RECTIFICATION_HEADERS, {2: 28, 7: 40, 8: 40, 9: 40})
    for finding, inspection in rows:
        sheet.append([
            _shown(finding), _name(tree, inspection.unit_id),
            L._local_date(runtime, inspection.approved_at), _name(tree, finding.unit_id),
            finding.responsible_person, finding.description, finding.measures, finding.progress,
            L._local_date(runtime, finding.due_at), _status(runtime, finding),
            L._local_date(runtime, finding.closed_at), "是" if finding.recurring else ""])
    progress(sheet.rows, len(rows))
    wb.save(out)
    return sheet.rows


def write_monthly(session: Session, runtime: Runtime, *, tree: Tree, unit: UnitInfo, p: Period,
                  out: IO[bytes] | str, progress) -> int:
    """专项治理月报表: per reporting unit (the unit, then each unit directly below it): units
    inspected, inspections, problems found, rectification; 制度机制建设情况 as reported."""
    L = _ledgers()
    units = [unit, *tree.children(unit)]
    progress(0, len(units))
    wb = L._workbook(L.KINDS["supervision-monthly"].title)
    sheet = L.Sheet(wb, "月报表", MONTHLY_HEADERS, {2: 22, 3: 30, 4: 40, 5: 30, 6: 30, 7: 30})
    now = runtime.clock.now()
    for u in units:
        inspections = list(session.scalars(select(Inspection).where(
            Inspection.unit_id.in_(_ids(tree, u)), Inspection.created_at >= p.start,
            Inspection.created_at < p.end)))
        findings = list(session.scalars(select(Finding).where(
            Finding.inspection_id.in_([i.id for i in inspections])))) if inspections else []
        kinds: dict[str, int] = defaultdict(int)
        for i in inspections:
            kinds[KIND_LABELS.get(i.kind, i.kind)] += 1
        targets = dict.fromkeys(c for i in inspections for c in i.targets or [])
        closed = sum(1 for f in findings if f.status == "closed")
        overdue = sum(1 for f in findings if f.due_at is not None and
                      (f.closed_at or now) > f.due_at)
        sheet.append([
            u.name, _names_of(tree, targets),
            f"开展检查{len(inspections)}次" + (
                "（" + "、".join(f"{k}{n}次" for k, n in kinds.items()) + "）" if kinds else ""),
            f"发现问题{len(findings)}个" + (
                f"，其中一案双查{sum(1 for f in findings if f.recurring)}个"
                if any(f.recurring for f in findings) else ""),
            f"已销号{closed}个，整改中{len(findings) - closed}个，超期{overdue}个",
            "；".join(i.report for i in inspections if i.report) or "—"])
    progress(sheet.rows, len(units))
    wb.save(out)
    return sheet.rows


def write_interference_report(session: Session, runtime: Runtime, *, tree: Tree,
                              unit: UnitInfo, p: Period, out: IO[bytes] | str, progress) -> int:
    """领导干部干预插手重大事项登记季度报告: the entries of the departments in the unit's subtree
    whose intervention happened in the period."""
    L = _ledgers()
    rows = list(session.scalars(select(InterferenceEntry).where(
        InterferenceEntry.unit_id.in_(_ids(tree, unit)),
        InterferenceEntry.occurred_on >= p.first, InterferenceEntry.occurred_on <= p.last)
        .order_by(InterferenceEntry.unit_id, InterferenceEntry.occurred_on,
                  InterferenceEntry.id)))
    progress(0, len(rows))
    clues = {}
    if any(r.clue_id for r in rows):
        from engine.clues.models import Clue
        clues = dict(session.execute(select(Clue.id, func.coalesce(
            Clue.display_number, Clue.number)).where(
            Clue.id.in_([r.clue_id for r in rows if r.clue_id]))).all())
    wb = L._workbook(L.KINDS["interference-report"].title)
    sheet = L.Sheet(wb, "干预插手登记", INTERFERENCE_HEADERS, {2: 28, 10: 40, 11: 30})
    for r in rows:
        sheet.append([_shown(r), _name(tree, r.unit_id), r.cadre_name, r.cadre_unit, r.cadre_post,
                      r.occurred_on, r.form, MATTER_LABELS.get(r.matter_kind, r.matter_kind),
                      r.matter, r.handling, r.corrections, clues.get(r.clue_id, "")])
    progress(sheet.rows, len(rows))
    wb.save(out)
    return sheet.rows


def register(kinds: dict, writers: dict) -> None:
    """Add the supervision ledgers to the ledger kinds and writers."""
    kind = _ledgers().Kind
    for k, writer in ((kind("inspection-ledger", "检查台账", True, ("inspector",)),
                       write_inspection_ledger),
                      (kind("rectification-ledger", "整改台账", True,
                            ("inspector", "rectification_officer")),
                       write_rectification_ledger),
                      (kind("supervision-monthly", "专项治理月报表", False, ("inspector",)),
                       write_monthly),
                      (kind("interference-report", "干预插手重大事项登记季度报告", True,
                            ("interference_registrar",)),
                       write_interference_report)):
        kinds[k.key] = k
        writers[k.key] = writer
