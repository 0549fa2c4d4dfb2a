"""The zones' evaluation (协作区履职绩效考评) as an Excel workbook: rank, zone, each indicator's
figure and points, score and grade."""
from __future__ import annotations

from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font

from engine.evaluation import committees
from engine.evaluation.service import INDICATORS, LABELS


def write(result: dict, out: IO[bytes]) -> dict:
    book = Workbook()
    sheet = book.active
    sheet.title = "考评结果"
    sheet.append([f"{result['unit_name']} 协作区履职绩效考评 {result['period']}"
                  f"({result['from'].isoformat()} 至 {result['to'].isoformat()})"])
    sheet["A1"].font = Font(bold=True)
    headers = ["排名", "协作区"]
    for k in INDICATORS:
        headers += [LABELS[k], f"{LABELS[k]}得分"]
    headers += ["总分", "等次", "约谈提醒"]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for z in result["zones"]:
        row = [z["rank"], z["name"]]
        for k in INDICATORS:
            f = z["indicators"][k]
            row += [f["shown"], f["points"]]
        row += [z["score"], z["grade_label"], "是" if z["last"] else ""]
        sheet.append(row)
    weights = book.create_sheet("权重")
    weights.append(["指标", "权重"])
    for k in INDICATORS:
        weights.append([LABELS[k], result["weights"][k]])
    weights.append(["优秀(分以上)", result["grades"]["excellent"]])
    weights.append(["良好(分以上)", result["grades"]["good"]])
    book.save(out)
    return {"filename": f"协作区履职绩效考评-{result['period']}-{result['unit_name']}.xlsx",
            "ascii_filename": f"zone-evaluation-{result['unit']}-{result['period']}.xlsx"}


def write_committees(result: dict, out: IO[bytes]) -> dict:
    """The village supervision committees' quarterly scores as an Excel workbook: township,
    rank within it, committee, each indicator's figure and points, score and grade."""
    book = Workbook()
    sheet = book.active
    sheet.title = "考评结果"
    sheet.append([f"{result['unit_name']} 村务监督委员会季度量化考评 {result['period']}"
                  f"({result['from'].isoformat()} 至 {result['to'].isoformat()})"])
    sheet["A1"].font = Font(bold=True)
    headers = ["乡镇", "排名", "村务监督委员会"]
    for k in committees.INDICATORS:
        headers += [committees.LABELS[k], f"{committees.LABELS[k]}得分"]
    headers += ["总分", "等次"]
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for c in result["committees"]:
        row = [c["township_name"], c["rank"], c["name"]]
        for k in committees.INDICATORS:
            f = c["indicators"][k]
            row += [f["shown"], f["points"]]
        row += [c["score"], c["grade_label"]]
        sheet.append(row)
    weights = book.create_sheet("权重")
    weights.append(["指标", "权重"])
    for k in committees.INDICATORS:
        weights.append([committees.LABELS[k], result["weights"][k]])
    weights.append(["优秀(分以上)", result["grades"]["excellent"]])
    weights.append(["良好(分以上)", result["grades"]["good"]])
    book.save(out)
    return {"filename": f"村务监督委员会季度考评-{result['period']}-{result['unit_name']}.xlsx",
            "ascii_filename": f"committee-evaluation-{result['unit']}-{result['period']}.xlsx"}
