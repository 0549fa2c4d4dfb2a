"""The case record a document is filled from: the case overview (the case page's read model)
flattened to plain text fields, plus the text the case's steps recorded in their forms.

Only dicts, lists and strings: nothing a template can call or climb out of. The reporter is
masked as on the pages unless `reveal` (a document addressed to the reporter, or one generated
after an audited reveal)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.views import case_overview as case_views
from engine.org.models import Unit, User
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.processes.models import ProcessInstance
from engine.runtime import Runtime

CHANNELS = {"letter": "来信", "visit": "来访", "online": "网络举报", "phone": "电话举报",
            "transfer": "上级交办、转办", "inspection": "巡察移交", "audit": "审计移送",
            "supervision": "监督检查发现"}
CATEGORIES = {"welfare_funds": "惠民资金", "collective_assets": "集体“三资”",
              "land_requisition": "征地拆迁", "construction_bidding": "工程建设和招投标",
              "eight_rules": "违反中央八项规定精神", "organised_crime": "涉黑涉恶腐败和“保护伞”",
              "election_discipline": "换届纪律", "gambling": "赌博",
              "service_window": "吃拿卡要、不作为乱作为", "other": "其他"}
DISPOSITIONS = {"inquiry": "谈话函询", "verification": "初步核实", "shelved": "暂存待查",
                "closed": "予以了结"}
FINDINGS = {"true": "反映属实", "partly_true": "反映部分属实", "untrue": "反映不实",
            "unverifiable": "无法证实"}
DECISIONS = {"file": "立案审查调查", "close": "予以了结", "remind": "谈话提醒、批评教育",
             "clarify": "予以澄清正名"}
SANCTIONS = {"warning": "警告", "serious_warning": "严重警告", "removal_from_post": "撤销党内职务",
             "probation": "留党察看", "expulsion": "开除党籍", "demerit": "记过",
             "major_demerit": "记大过", "demotion": "降级", "dismissal": "撤职",
             "exempt": "免予处分"}
SATISFACTION = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
METHODS = {"phone": "电话", "letter": "书面", "sms": "短信", "in_person": "当面", "online": "网络"}
# Form fields of the shipped processes whose text documents quote (always present, maybe "").
STEP_FIELDS = ("verification_plan", "verification_report", "filing_reason",
               "investigation_report", "trial_opinion", "proposed_sanction", "decision_note",
               "inquiry_questions", "talk_record", "reply_summary", "inquiry_report",
               "clarification_plan", "referred_to", "accusation_note", "feedback_summary",
               "feedback_method", "satisfaction", "satisfaction_name", "visit_notes",
               "closing_note", "letter_number")
DIGITS = "〇一二三四五六七八九"


def chinese_date(value: date) -> str:
    """GB/T 9704 dates: 二〇二六年十二月四日."""
    def small(n: int) -> str:
        if n < 10:
            return DIGITS[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")
    year = "".join(DIGITS[int(d)] for d in str(value.year))
    return f"{year}年{small(value.month)}月{small(value.day)}日"


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime | date):
        return chinese_date(value)
    return str(value)


def build(session: Session, runtime: Runtime, *, user: User, case_id: int, reveal: bool,
          doc_number: str = "") -> dict:
    """The record of case `case_id` as `user` may read it (the reading is audited)."""
    view = case_views.case_overview(session, runtime, user=user, case_id=case_id)
    case = view["case"]
    now = runtime.clock.local(runtime.clock.now())
    first = view["petitions"][0] if view["petitions"] else None
    reporter = dict((first or {}).get("reporter") or {"anonymous": True})
    if reveal and first and not reporter.get("anonymous"):
        reporter = {"anonymous": False, **petitions.reporter_fields(
            session.get(Petition, first["id"]))}
    anonymous = bool(reporter.get("anonymous"))
    reporter_block = {k: "" if anonymous else _text(reporter.get(k))
                      for k in ("name", "id_number", "phone", "address")}
    reporter_block["display"] = "匿名" if anonymous else reporter_block["name"]
    reporter_block["anonymous"] = "是" if anonymous else "否"
    accused = [{k: _text(a.get(k)) for k in ("name", "post", "unit")}
               for a in ((first or {}).get("accused") or [])]
    clue = view["clues"][-1] if view["clues"] else {}
    if not accused and clue.get("accused", {}).get("name"):
        accused = [{k: _text(clue["accused"].get(k)) for k in ("name", "post", "unit")}]
    steps: dict[str, str] = dict.fromkeys(STEP_FIELDS, "")
    instance_ids = [i["id"] for i in view["instances"]]
    for data in session.scalars(select(ProcessInstance.data).where(
            ProcessInstance.id.in_(instance_ids)).order_by(ProcessInstance.created_at)):
        for key in STEP_FIELDS:
            value = (data or {}).get(key)
            if value not in (None, ""):
                steps[key] = _text(value)
    steps["satisfaction_name"] = SATISFACTION.get(steps["satisfaction"], steps["satisfaction"])
    steps["feedback_method"] = METHODS.get(steps["feedback_method"], steps["feedback_method"])
    township = (first or {}).get("township")
    # The township as a place: its discipline committee's unit name without "纪委" (乙镇纪委 → 乙镇).
    township_name = (session.scalar(select(Unit.name).where(Unit.code == township))
                     or "").removesuffix("纪委") if township else ""
    proposer = session.scalar(select(User).where(User.username == clue.get("proposed_by"))) \
        if clue.get("proposed_by") else None
    handling = view["handling_unit"] or view["registered_unit"]
    decision = ""
    for data in session.scalars(select(ProcessInstance.data).where(
            ProcessInstance.id.in_(instance_ids))):
        decision = (data or {}).get("decision") or decision
    sanction = SANCTIONS.get(case.sanction or "", case.sanction or "")
    return {
        "agency": {"name": handling.name if handling else "", "code": handling.code
                   if handling else ""},
        "doc_number": doc_number, "date_cn": chinese_date(now.date()),
        "generated_by": user.display_name or user.username,
        "case": {"number": case.display_number or case.number, "status": case.status,
                 "opened_date": chinese_date(runtime.clock.local(case.created_at).date()),
                 "filed_date": chinese_date(runtime.clock.local(case.filed_at).date())
                 if case.filed_at else "",
                 "handling_unit": handling.name if handling else "",
                 "registered_unit": view["registered_unit"].name
                 if view["registered_unit"] else "",
                 "sanction_name": sanction, "people_disciplined": str(case.people_disciplined or 0),
                 "result_text": (f"给予{sanction}处分" if sanction else
                                 steps["closing_note"] or steps["feedback_summary"] or "已办结")},
        "petition": {"number": (first or {}).get("display_number")
                     or (first or {}).get("number", ""),
                     "received_date": chinese_date(first["received_at"].date()) if first else "",
                     "channel_name": CHANNELS.get((first or {}).get("channel"), ""),
                     "category_name": CATEGORIES.get((first or {}).get("category"), ""),
                     "content": (first or {}).get("content", ""),
                     "township_name": township_name or "", "village": (first or {}).get("village")
                     or "", "forwarded_to": _text((first or {}).get("forwarded_to"))},
        "reporter": reporter_block,
        "accused": accused,
        "accused_first": accused[0] if accused else {"name": "", "post": "", "unit": ""},
        "accused_names": "、".join(a["name"] for a in accused),
        "accused_lines": "；".join("，".join(x for x in (a["name"], a["unit"], a["post"]) if x)
                                   for a in accused),
        "clue": {"number": clue.get("display_number") or clue.get("number") or "",
                 "summary": clue.get("summary") or "",
                 "disposition_name": DISPOSITIONS.get(clue.get("disposition") or "", ""),
                 "disposition_reason": clue.get("disposition_reason") or "",
                 "proposed_by": (proposer.display_name or proposer.username) if proposer
                 else clue.get("proposed_by") or "",
                 "finding_name": FINDINGS.get(clue.get("finding") or "", ""),
                 "decision_name": DECISIONS.get(decision, "")},
        "steps": steps,
    }


def sample() -> dict:
    """A made-up record with every field of `build`: the upload check and the preview use it."""
    person = {"name": "张某某", "post": "村党支部书记", "unit": "示例村"}
    return {
        "agency": {"name": "示例镇纪委", "code": "township-demo"},
        "doc_number": "示例镇纪〔2026〕1号", "date_cn": chinese_date(date(2026, 12, 4)),
        "generated_by": "示例承办人",
        "case": {"number": "office-2026-C000001", "status": "open",
                 "opened_date": chinese_date(date(2026, 11, 2)),
                 "filed_date": chinese_date(date(2026, 11, 20)), "handling_unit": "示例镇纪委",
                 "registered_unit": "县纪委监委信访室", "sanction_name": "警告",
                 "people_disciplined": "1", "result_text": "给予警告处分"},
        "petition": {"number": "office-2026-000001", "received_date": chinese_date(
            date(2026, 11, 2)), "channel_name": "来信", "category_name": "惠民资金",
                     "content": "反映示例村低保金发放不公的问题。", "township_name": "示例镇",
                     "village": "示例村", "forwarded_to": "县人力资源和社会保障局"},
        "reporter": {"name": "李**", "id_number": "41**********12", "phone": "138****0000",
                     "address": "示例镇****", "display": "李**", "anonymous": "否"},
        "accused": [person], "accused_first": person, "accused_names": "张某某",
        "accused_lines": "张某某，示例村，村党支部书记",
        "clue": {"number": "office-2026-L000001", "summary": "违规发放低保金",
                 "disposition_name": "初步核实", "disposition_reason": "反映具体，可查性强",
                 "proposed_by": "示例承办人", "finding_name": "反映部分属实",
                 "decision_name": "立案审查调查"},
        "steps": {key: "（示例）" for key in STEP_FIELDS},
    }


def supervision_sample() -> dict:
    """A made-up supervision record with every field of `build` (upload check, preview)."""
    return {
        "agency": {"name": "县纪委监委第一监督检查室", "code": "supervision-demo"},
        "doc_number": "县纪委〔2026〕1号", "date_cn": chinese_date(date(2026, 12, 4)),
        "generated_by": "示例检查人员",
        "inspection": {"number": "supervision-2026-J001", "title": "惠民资金专项督查",
                       "kind_name": "专项督查", "content": "低保、救灾资金发放情况",
                       "target_names": "示例镇", "inspector_names": "张三、李四",
                       "planned_date": chinese_date(date(2026, 11, 2)),
                       "carried_out_date": chinese_date(date(2026, 11, 5)),
                       "report": "（示例）"},
        "finding": {"number": "supervision-2026-W001", "unit_name": "示例村",
                    "description": "低保户评定未经民主评议", "evidence": "评议记录缺失",
                    "suggestion": "重新评议并公示", "responsible_person": "王五",
                    "time_limit_days": "30", "due_date": chinese_date(date(2026, 12, 5)),
                    "measures": "（示例）", "progress": "（示例）", "verification": "（示例）",
                    "status_name": "已销号", "supervision_line": "示例镇党委负责督促整改。"},
    }


def sample_for(scope: str) -> dict:
    """The made-up record a template of this scope is checked and previewed with."""
    return sample() if scope == "case" else supervision_sample()
