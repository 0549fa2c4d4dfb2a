"""The quarterly notice of a quality review (办信办案质量评查通报) as an Excel workbook: the
results per township, then every item reviewed with its checks, score and comment."""
from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from engine.quality import service
from engine.runtime import Runtime

KIND_LABELS = {"petition": "信访件", "clue": "问题线索", "case": "案件"}
RECTIFICATION_LABELS = {"needs_rectification": "需整改", "opened": "已启动整改"}


def file_names(described: dict) -> tuple[str, str]:
    stem = f"{described['year']}年第{described['quarter']}季度办信办案质量评查通报"
    return (f"{stem}-{described['unit_name']}.xlsx",
            f"quality-review-{described['unit']}-{described['year']}-Q{described['quarter']}.xlsx")


def write(session: Session, runtime: Runtime, *, user, round_id: int, out: IO[bytes]) -> dict:
    """Write the round's notice into `out`; return the file names."""
    rnd = service.get_round(session, user, round_id)
    d = service.describe_round(session, runtime, rnd)
    bold = Font(bold=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "通报"
    status = "已通报" if d["status"] == "notified" else "评查中(未通报)"
    sheet.append([f"{d['year']}年第{d['quarter']}季度办信办案质量评查通报({d['unit_name']})"])
    sheet["A1"].font = bold
    sheet.append(["抽样比例", d["share"], "随机种子", d["seed"], "合格分", d["pass_score"],
                  "状态", status])
    headers = ["序号", "单位", "抽查件数", "已评查", "合格", "不合格", "平均分", "需整改"]
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = bold
    for i, r in enumerate(d["results"], 1):
        sheet.append([i, r["name"], r["items"], r["scored"], r["passed"], r["failed"],
                      r["average"], r["rectifications"]])
    items = book.create_sheet("评查明细")
    checks = d["checklist"]
    items.append(["序号", "单位", "类别", "编号", "评查人",
                  *(f"{c['label']}({c['points']}分)" for c in checks), "得分", "结论",
                  "评查意见", "整改"])
    for cell in items[1]:
        cell.font = bold
    for i, it in enumerate(d["items"], 1):
        marks = [("" if it["checks"] is None else ("符合" if it["checks"].get(c["key"]) else
                                                   "不符合")) for c in checks]
        verdict = "" if it["passed"] is None else ("合格" if it["passed"] else "不合格")
        items.append([i, it["unit_name"], KIND_LABELS[it["kind"]], it["number"],
                      it["reviewer"] or "", *marks, it["score"], verdict, it["comment"],
                      " ".join(x for x in (RECTIFICATION_LABELS.get(it["rectification"] or "", ""),
                                           it["rectification_ref"] or "") if x)])
    book.save(out)
    filename, ascii_filename = file_names(d)
    return {"filename": filename, "ascii_filename": ascii_filename}
