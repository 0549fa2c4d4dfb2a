"""The users' words for the codes the database and the API keep: one glossary for the pages, the
Excel ledgers and the reports, so a channel or category has the same name everywhere.

Each entry is code → (Chinese, English). The pages pick the language of the user
(`web/ui/terms.py`); the ledgers and reports are Chinese. A code the glossary does not know is
shown as it is (and the browser walk in tests/e2e/browser/test_plain_words.py finds it).
"""
from __future__ import annotations

import re

Term = tuple[str, str]

TERMS: dict[str, dict[str, Term]] = {
    "channel": {
        "letter": ("来信", "Letter"), "visit": ("来访", "Visit"),
        "online": ("网络举报", "Online report"), "phone": ("电话举报", "Phone report"),
        "transfer": ("上级交办转办", "Assigned from above"),
        "inspection": ("巡察移交", "Handed over by an inspection tour"),
        "audit": ("审计移送", "Handed over by an audit"),
        "supervision": ("监督检查发现", "Found by supervision"),
    },
    "category": {
        "welfare_funds": ("惠民资金(扶贫、低保)", "Welfare funds"),
        "collective_assets": ("集体“三资”", "Collective assets, funds and resources"),
        "land_requisition": ("征地拆迁", "Land requisition and demolition"),
        "construction_bidding": ("工程建设与招投标", "Construction projects and bidding"),
        "eight_rules": ("违反中央八项规定精神", "Eight-point rules"),
        "organised_crime": ("涉黑涉恶及“保护伞”", "Organised crime and its protection"),
        "election_discipline": ("换届纪律", "Election discipline"),
        "gambling": ("赌博", "Gambling"),
        "service_window": ("吃拿卡要、不作为乱作为", "Service misconduct"),
        "other": ("其他", "Other"),
    },
    "level": {"village": ("村干部", "Village cadre"), "township": ("乡镇干部", "Township cadre"),
              "other": ("其他", "Other")},
    "petition_status": {
        "registered": ("已登记", "Registered"), "accepted": ("已受理", "Accepted"),
        "forwarded": ("已转送", "Forwarded"), "merged": ("重复件合并办理", "Merged as a repeat"),
        "withdrawn": ("已撤回", "Withdrawn"), "cancelled": ("已撤销", "Cancelled"),
    },
    "case_status": {"open": ("办理中", "Open"), "closed": ("已办结", "Closed"),
                    "merged": ("合并办理", "Merged into another"),
                    "cancelled": ("已撤销", "Cancelled")},
    "source": {"petition": ("信访举报", "Petition"), "inspection": ("巡察移交", "Inspection tour"),
               "audit": ("审计移送", "Audit"), "supervision": ("监督检查发现", "Supervision"),
               "other": ("其他", "Other")},
    "disposition": {"inquiry": ("谈话函询", "Talk or letter inquiry"),
                    "verification": ("初步核实", "Preliminary verification"),
                    "shelved": ("暂存待查", "Shelved"), "closed": ("予以了结", "Closed")},
    "finding": {"true": ("属实", "True"), "partly_true": ("部分属实", "Partly true"),
                "untrue": ("不属实", "Untrue"), "unverifiable": ("无法查实", "Unverifiable")},
    "clue_status": {"pending": ("待处置", "Awaiting disposition"),
                    "inquiry": ("谈话函询", "Inquiry"),
                    "verification": ("初步核实", "Preliminary verification"),
                    "shelved": ("暂存待查", "Shelved"), "closed": ("已了结", "Closed"),
                    "filed": ("已立案", "Filed")},
    "satisfaction": {"satisfied": ("回访满意", "Satisfied"),
                     "basically_satisfied": ("回访基本满意", "Basically satisfied"),
                     "dissatisfied": ("回访不满意", "Dissatisfied")},
    "role": {
        "intake_clerk": ("信访登记员", "Intake clerk"), "caseworker": ("承办人", "Caseworker"),
        "supervisor": ("审批人（领导）", "Supervisor"),
        "joint_reviewer": ("联审人员", "Joint reviewer"),
        "process_designer": ("流程设计", "Process designer"),
        "administrator": ("系统管理员", "Administrator"),
        "inspector": ("检查人员", "Inspector"),
        "rectification_officer": ("整改联络员", "Rectification officer"),
        "interference_registrar": ("干预插手登记员", "Interference registrar"),
        "village_officer": ("村干部", "Village officer"),
        "village_supervisor": ("村务监督委员会成员", "Village supervision committee member"),
        "disclosure_editor": ("公开信息编辑", "Disclosure editor"),
    },
    "unit_kind": {
        "commission": ("纪委监委", "Commission"), "office": ("内设机构", "Office"),
        "zone": ("协作区", "Zone"), "township": ("乡镇纪委", "Township"), "village": ("村", "Village"),
        "department": ("部门", "Department"), "external": ("外部成员单位", "External member unit"),
    },
    "deadline_key": {
        "forward_elsewhere": ("转送有权处理机关", "Forward to the competent body"),
        "acceptance_notice": ("告知受理情况", "Acceptance notice to the reporter"),
        "disposal_proposal": ("提出处置意见", "Disposal proposal"),
        "inquiry_reply": ("函询回复", "Reply to the inquiry letter"),
        "inquiry_report": ("谈话函询报告", "Inquiry report"),
        "verification_report": ("初核报告", "Verification report"),
        "trial_report": ("审理报告", "Trial report"),
        "decision_announcement": ("宣布处分决定", "Announcement of the decision"),
        "result_feedback": ("向举报人反馈结果", "Result feedback to the reporter"),
        "shelved_review": ("暂存线索复查", "Review of a shelved clue"),
        "zone_decision": ("协作区决定", "Zone head's decision"),
        "joint_review_opinion": ("联审意见", "Joint review opinion"),
        "clarification_step": ("澄清正名环节", "Clarification step"),
        "clarification_step_joint": ("澄清正名环节(联合)", "Clarification step (joint)"),
        "ordinary_petition_route": ("普通信访分流", "Routing of an ordinary petition"),
        "ordinary_petition_close": ("普通信访办结", "Closing of an ordinary petition"),
        "rectification": ("问题整改", "Rectification"),
    },
    "deadline_status": {"open": ("计时中", "Running"), "met": ("按时完成", "Met"),
                        "breached": ("已超期", "Breached"), "suspended": ("已中止", "Suspended"),
                        "not_applicable": ("不适用", "Not applicable"),
                        "cancelled": ("已撤销", "Cancelled")},
    "instance_status": {"running": ("进行中", "Running"), "completed": ("已完成", "Completed"),
                        "error": ("出错", "Error")},
    "task_status": {"open": ("待办", "Open"), "completed": ("已完成", "Completed"),
                    "cancelled": ("已撤销", "Cancelled")},
    "day_unit": {"working_days": ("个工作日", "working days"), "days": ("日", "calendar days"),
                 "months": ("个月", "months")},
    # Where a lane finds its unit or person (`unit_from`, `user_from` in config.yaml `lanes`).
    "data_path": {
        "case.handling_unit": ("案件的承办单位", "the case's handling unit"),
        "registering_unit": ("登记单位", "the registering unit"),
        "approver_unit": ("审批单位", "the approving unit"),
        "chair_unit": ("联审牵头单位", "the joint review's chairing unit"),
        "inspecting_unit": ("检查单位", "the inspecting unit"),
        "member_unit": ("联审成员单位", "the joint review's member unit"),
        "responsible_unit": ("整改责任单位", "the unit responsible for rectification"),
        "supervising_unit": ("监督单位", "the supervising unit"),
        "zone_unit": ("协作区", "the collaboration zone"),
        "village_unit": ("事项所在的村", "the matter's village"),
        "editor_unit": ("公开信息编辑所在单位", "the disclosure editor's unit"),
        "investigator": ("指定的调查人", "the appointed investigator"),
        "lead_inspector": ("牵头检查人", "the lead inspector"),
    },
    # A deadline's starting event (config.yaml `deadlines.keys.*.starts`).
    "deadline_start": {
        "petition received": ("收到信访举报之日", "petition received"),
        "ordinary petition received": ("收到普通信访件之日", "ordinary petition received"),
        "ordinary petition accepted": ("普通信访件受理之日", "ordinary petition accepted"),
        "clue received by the handling department": ("承办部门收到线索之日",
                                                     "clue received by the handling department"),
        "clue shelved": ("线索暂存之日", "clue shelved"),
        "inquiry letter sent": ("函询通知发出之日", "inquiry letter sent"),
        "talk held or reply received": ("谈话结束或收到函询回复之日",
                                        "talk held or reply received"),
        "verification plan approved": ("初核方案批准之日", "verification plan approved"),
        "case accepted for trial": ("案件移送审理之日", "case accepted for trial"),
        "sanction decided": ("处分决定作出之日", "sanction decided"),
        "township applies to escalate to its zone": ("乡镇申请提级办理之日",
                                                     "township applies to escalate to its zone"),
        "joint review convened": ("联审会商召集之日", "joint review convened"),
        "clarification approved or started": ("澄清正名批准或启动之日",
                                              "clarification approved or started"),
        "clarification approved or started, other departments cooperating": (
            "澄清正名批准或启动之日（其他部门配合）",
            "clarification approved or started, other departments cooperating"),
        "finding recorded (inspection, patrol, quality review)": (
            "发现问题之日（监督检查、巡察、质量评查）",
            "finding recorded (inspection, patrol, quality review)"),
        "item closed": ("事项办结之日", "item closed"),
    },
    # Domain actions a BPMN user task names (`action`, engine/processes/actions.py).
    "action": {
        "accusation.approve": ("市级审批诬告处理", "City approval of a false accusation"),
        "accusation.assess": ("认定错告或诬告", "Assess a mistaken or false accusation"),
        "accusation.educate": ("对错告人批评教育", "Educate a mistaken accuser"),
        "accusation.refer": ("移送查处诬告", "Refer a malicious accusation"),
        "case_filing.announce": ("宣布处分决定", "Announce the decision"),
        "case_filing.approve": ("审批立案", "Approve the filing"),
        "case_filing.conclude": ("结案", "Conclude the case"),
        "case_filing.decide": ("作出处分决定", "Decide the sanction"),
        "case_filing.investigate": ("审查调查", "Investigate"),
        "case_filing.request": ("提请立案", "Request the filing"),
        "case_filing.trial": ("案件审理", "Trial"),
        "clarification.approve": ("审批澄清正名", "Approve the clarification"),
        "clarification.carry_out": ("实施澄清正名", "Carry out the clarification"),
        "clarification.draft": ("拟定澄清正名方案", "Draft the clarification"),
        "clarification.visit_cadre": ("回访被澄清干部", "Return visit to the cleared cadre"),
        "clue.approve": ("审批处置意见", "Approve the disposition"),
        "clue.propose": ("提出处置意见", "Propose a disposition"),
        "clue.review_shelved": ("暂存线索复查", "Review a shelved clue"),
        "disclosure.approve": ("审核公开事项", "Approve a disclosure item"),
        "disclosure.revise": ("修改退回的公开事项", "Revise a returned item"),
        "feedback.give": ("向举报人反馈", "Give feedback to the reporter"),
        "feedback.rehandle": ("重新办理", "Handle again"),
        "feedback.return_visit": ("回访举报人", "Return visit to the reporter"),
        "feedback.review": ("复核不满意回访", "Review a dissatisfied visit"),
        "inquiry.approve_report": ("审批函询情况报告", "Approve the inquiry report"),
        "inquiry.assess": ("研判说明情况", "Assess the reply"),
        "inquiry.plan": ("确定谈话或函询", "Choose talk or letter"),
        "inquiry.register_reply": ("登记书面说明", "Register the written reply"),
        "inquiry.send_letter": ("发出函询函", "Send the inquiry letter"),
        "inquiry.talk": ("开展谈话", "Hold the talk"),
        "inspection.approve": ("审批检查发现", "Approve the findings"),
        "inspection.carry_out": ("开展监督检查", "Carry out the inspection"),
        "inspection.submit_findings": ("提交检查发现问题", "Submit the findings"),
        "petition.check_repeat": ("核对重复件", "Check for a repeat"),
        "petition.classify": ("分类受理", "Classify"),
        "petition.forward": ("转送有权处理机关", "Forward to the competent authority"),
        "petition.notify_reporter": ("告知举报人", "Notify the reporter"),
        "rectification.measures": ("制定整改措施", "Rectification measures"),
        "rectification.report": ("报告整改情况", "Rectification report"),
        "rectification.supervise": ("督促整改", "Supervise the rectification"),
        "rectification.verify": ("验收整改", "Verify the rectification"),
        "review.convene": ("召集联审", "Convene the joint review"),
        "review.decide": ("作出联审决定", "Decide the joint review"),
        "review.opinion": ("成员单位意见", "Member unit's opinion"),
        "transfer.decide": ("审批移交", "Decide the transfer"),
        "transfer.receive": ("接收移交", "Receive the transfer"),
        "verification.approve_plan": ("审批初核方案", "Approve the verification plan"),
        "verification.decide": ("初核处置决定", "Decide after verification"),
        "verification.plan": ("制定初核方案", "Plan the verification"),
        "verification.remind": ("提醒谈话或批评教育", "Reminder talk or criticism"),
        "verification.report": ("初核报告", "Verification report"),
        "village.check": ("村务监督委员会审核", "Village supervision committee's check"),
        "village.meeting": ("会议记录", "Meeting record"),
        "village.step": ("村级事项环节", "Village matter step"),
        "zone.analyse": ("职能室研判", "Functional office's analysis"),
        "zone.archive": ("县级归档", "Archive at the county"),
        "zone.assemble_team": ("组建调查组", "Assemble the team"),
        "zone.compile_dossier": ("整理卷宗", "Compile the dossier"),
        "zone.decide": ("协作区决定", "Zone head's decision"),
        "zone.investigate": ("调查报告", "Investigator's report"),
    },
    # The word of a record's kind in its display number (甲镇纪委〔2026〕线索12号).
    "number_kind": {"petition": ("信访", "Petition"), "case": ("案件", "Case"),
                    "clue": ("线索", "Clue"), "inspection": ("检查", "Inspection"),
                    "finding": ("问题", "Finding"), "interference": ("干预", "Interference"),
                    "village_matter": ("村务", "Village matter"),
                    "disclosure": ("公开", "Disclosure")},
}

LANGS = ("zh", "en")


def name(kind: str, code: str | None, lang: str = "zh") -> str:
    """`code`'s name of the glossary `kind` in `lang` (zh or en); the code itself if unknown."""
    if code is None:
        return ""
    term = TERMS.get(kind, {}).get(code)
    if term is None:
        return code
    return term[1] if lang == "en" else term[0]


def names(kind: str, lang: str = "zh") -> dict[str, str]:
    """Every code of `kind` with its name in `lang`, in the glossary's order."""
    return {code: name(kind, code, lang) for code in TERMS[kind]}


_BILINGUAL = re.compile(r"^\s*(?P<zh>[^()（）]*?)\s*[（(](?P<en>[^()（）]*)[)）]\s*$")


def bilingual(text: str | None, lang: str = "zh") -> str:
    """A name written "中文 (English)" (process names in the BPMN files) in one language."""
    if not text:
        return ""
    found = _BILINGUAL.match(text)
    if found is None or not re.search(r"[\u4e00-\u9fff]", found["zh"]) or not re.fullmatch(
            r"[A-Za-z0-9 ,.'’\-/&]+", found["en"]):
        return text
    return found["en"] if lang == "en" else found["zh"]


_ASCII_ONLY = re.compile(r"^[\x00-\x7f]*$")


def chinese_text(text: str | None) -> str:
    """The Chinese of a mixed note (a deadline's legal basis): parts without Chinese are left out
    ("地方惯例 (一般为15个工作日), local practice" → "地方惯例 (一般为15个工作日)"); a note with no
    Chinese at all reads 地方默认 (a local default)."""
    if not text:
        return ""
    kept = []
    for part in re.split(r"[;,；，]", text):
        part = re.sub(r"\s*[（(][^)）]*[A-Za-z][^)）]*[)）]", "", part)  # an English aside
        part = re.sub(r"^[\x00-\x7f]*?(?=[\u4e00-\u9fff])", "", part.strip())  # "seed 002 附件"
        if part.strip() and not _ASCII_ONLY.match(part):
            kept.append(part.strip())
    return "；".join(kept) or "地方默认"


# Display numbers: `numbers.format` in config.yaml, with these fields.
DEFAULT_NUMBER_FORMAT = "{unit}〔{year}〕{kind}{seq}号"


def display_number(fmt: str, *, unit_name: str, year: int, kind: str, seq: int) -> str:
    """A record's readable number, e.g. 甲镇纪委〔2026〕线索12号."""
    return fmt.format(unit=unit_name, year=year, kind=name("number_kind", kind), seq=seq)


_CODED_NUMBER = re.compile(r"^.+-(?P<year>\d{4})-[A-Z]?(?P<seq>\d+)$")


def display_of(fmt: str, number: str | None, *, unit_name: str, kind: str) -> str:
    """The readable form of a coded number kept without a display number of its own (village
    matters, disclosure items: `village-a-east-2026-V000003` → 东村〔2026〕村务3号), from the
    year and sequence the code holds; a number of another shape is returned as it is."""
    found = _CODED_NUMBER.match(number or "")
    if found is None:
        return number or ""
    return display_number(fmt, unit_name=unit_name, year=int(found["year"]), kind=kind,
                          seq=int(found["seq"]))
