"""The demo organisation from API.md (idempotent)."""
from __future__ import annotations

from sqlalchemy import select

from engine.org import service as org
from engine.org.models import User
from engine.runtime import Runtime
from engine.access import authority
from engine.inbox.models import Task
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.processes import service as processes
from engine.timers import service as timers
from engine.visits import service as visits
from engine.zones import service as zones
from engine.deadlines import service as deadlines
from engine.deadlines.models import Deadline
from engine.documents import jobs as document_jobs
from engine.jobs import service as jobs
from engine.supervision import service as supervision
from engine.supervision.models import Finding
from engine.quality import demo as quality_demo
from engine.village import demo as village_demo

UNITS = [
    ("city", "市纪委监委", "commission", None),
    ("county", "县纪委监委", "commission", "city"),
    ("petition-office", "信访室", "office", "county"),
    ("case-office", "案件监督管理室", "office", "county"),
    ("supervision-office", "监督检查室", "office", "county"),
    ("trial-office", "案件审理室", "office", "county"),
    ("zone-east", "东部协作区", "zone", "county"),
    ("town-a", "甲镇纪委", "township", "zone-east"),
    ("town-b", "乙镇纪委", "township", "zone-east"),
    ("town-c", "丙镇纪委", "township", "zone-east"),
    ("zone-west", "西部协作区", "zone", "county"),
    ("town-d", "丁镇纪委", "township", "zone-west"),
    ("town-e", "戊镇纪委", "township", "zone-west"),
    ("town-f", "己镇纪委", "township", "zone-west"),
    ("org-dept", "县委组织部", "external", "county"),
    ("politics-law", "县委政法委", "external", "county"),
    ("police", "县公安局", "external", "county"),
    ("civil-affairs", "县民政局", "external", "county"),
    # Daily supervision: villages (inspected; patrol findings' rectification) and departments
    # (inspected units and keepers of the interference register).
    ("village-a-east", "东村", "village", "town-a"),
    ("village-a-west", "西村", "village", "town-a"),
    ("village-b-south", "南村", "village", "town-b"),
    ("dept-housing", "县住建局", "department", "county"),
    ("dept-resources", "县自然资源局", "department", "county"),
]

USERS = [
    ("admin", "administrator", "county", "系统管理员"),
    ("designer", "process_designer", "county", "流程设计员"),
    ("clerk", "intake_clerk", "petition-office", "信访登记员"),
    ("city-chief", "supervisor", "city", "市纪委负责人"),
    ("chief", "supervisor", "county", "县纪委负责人"),
    ("east-head", "supervisor", "zone-east", "东部协作区区长"),
    ("a-head", "supervisor", "town-a", "甲镇纪委书记"),
    ("a-worker", "caseworker", "town-a", "甲镇承办人"),
    ("a-worker2", "caseworker", "town-a", "甲镇承办人二"),
    ("b-worker", "caseworker", "town-b", "乙镇承办人"),
    ("d-worker", "caseworker", "town-d", "丁镇承办人"),
    ("case-officer", "caseworker", "case-office", "案管室承办人"),
    ("reviewer", "joint_reviewer", "supervision-office", "监督检查室联审员"),
    ("reviewer-org", "joint_reviewer", "org-dept", "组织部联审员"),
    ("reviewer-police", "joint_reviewer", "police", "公安局联审员"),
    # Beyond API.md's list: so that every lane of every process has someone to work it.
    ("b-head", "supervisor", "town-b", "乙镇纪委书记"),
    ("c-worker", "caseworker", "town-c", "丙镇承办人"),
    ("d-head", "supervisor", "town-d", "丁镇纪委书记"),
    ("s-officer", "caseworker", "supervision-office", "监督检查室干部"),
    ("trial-officer", "caseworker", "trial-office", "案件审理室干部"),
    ("reviewer-law", "joint_reviewer", "politics-law", "政法委联审员"),
    ("reviewer-civil", "joint_reviewer", "civil-affairs", "民政局联审员"),
    ("reviewer-petition", "joint_reviewer", "petition-office", "信访室联审员"),
    # Daily supervision (issue 25).
    ("s-head", "supervisor", "supervision-office", "监督检查室主任"),
    ("s-inspector", "inspector", "supervision-office", "监督检查室检查员"),
    ("b-inspector", "inspector", "town-b", "乙镇检查员"),
    ("c-inspector", "inspector", "town-c", "丙镇检查员"),
    ("a-rectifier", "rectification_officer", "town-a", "甲镇整改联络员"),
    ("east-rectifier", "rectification_officer", "village-a-east", "东村整改联络员"),
    ("housing-rectifier", "rectification_officer", "dept-housing", "住建局整改联络员"),
    ("housing-registrar", "interference_registrar", "dept-housing", "住建局干预插手登记员"),
    ("land-registrar", "interference_registrar", "dept-resources", "自然资源局干预插手登记员"),
    # Village power (issue 26): 东村's officers and supervision committee, 西村's secretary, and
    # 甲镇's disclosure editor.
    ("east-secretary", "village_officer", "village-a-east", "东村党支部书记"),
    ("east-clerk", "village_officer", "village-a-east", "东村村委会委员"),
    ("east-monitor", "village_supervisor", "village-a-east", "东村村务监督委员会主任"),
    ("west-secretary", "village_officer", "village-a-west", "西村党支部书记"),
    ("a-editor", "disclosure_editor", "town-a", "甲镇公开信息编辑"),
]

PASSWORD = "demo"
# What a form asking for people's names gets (核查组成员): their names, not their logins.
DISPLAY_NAMES = {username: display for username, _, _, display in USERS}


def load_organisation(runtime: Runtime) -> int:
    """Create the demo units and users unless present; return how many users were created."""
    def work(uow):
        session = uow.session
        now = runtime.clock.now()
        for code, name, kind, parent in UNITS:
            org.ensure_unit(session, code=code, name=name, kind=kind, parent_code=parent)
        created = 0
        for username, role, unit, display in USERS:
            if session.scalar(select(User.id).where(User.username == username)) is None:
                org.create_user(session, username=username, roles=[role], unit_code=unit,
                                password=PASSWORD, now=now, display_name=display,
                                demo_password=True)
                created += 1
        return created
    return runtime.transact(work)


# ---------------------------------------------------------------------------------------------
# Sample petitions, driven through the real processes as the demo users would: after
# `cluedesk deploy && cluedesk demo` every inbox has work waiting at every step of every process.

SAMPLE_REPORTER = {"anonymous": False, "name": "王小明", "id_number": "330481199001011234",
                   "phone": "13812345678", "address": "浙江省海宁市甲镇东村5组12号"}
ANONYMOUS = {"anonymous": True}
# The units whose caseworker and supervisor work the samples' clues (the demo has both there).
STAFF = {"town-a": ("a-worker", "a-head"), "town-b": ("b-worker", "b-head"),
         "town-d": ("d-worker", "d-head")}
VILLAGE_REVIEW_MEMBERS = ["org-dept", "supervision-office", "politics-law", "petition-office",
                          "police", "civil-affairs"]


def _reporter(name: str, id_number: str, phone: str, address: str) -> dict:
    return {"anonymous": False, "name": name, "id_number": id_number, "phone": phone,
            "address": address}


def _accused(name: str, post: str, unit: str, level: str = "village") -> list[dict]:
    return [{"name": name, "post": post, "unit": unit, "level": level}]


def _petition(**over) -> dict:
    body = {"channel": "letter", "reporter": dict(SAMPLE_REPORTER),
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}
    body.update(over)
    return body


def _ago(runtime: Runtime, *, days: int = 0, hours: int = 0):
    """A received_at in the past (the clock is real in a demo)."""
    from datetime import timedelta
    return runtime.clock.now() - timedelta(days=days, hours=hours)


def _today(runtime: Runtime) -> str:
    return runtime.clock.local(runtime.clock.now()).date().isoformat()


def _year(runtime: Runtime) -> int:
    return runtime.clock.local(runtime.clock.now()).year


def _register(runtime: Runtime, fields: dict) -> tuple[int, int]:

    def work(uow):
        clerk = org.get_user(uow.session, "clerk")
        petition = petitions.register(uow, runtime=runtime, user=clerk, fields=fields)
        return petition.id, petition.case_id
    return runtime.transact(work)


def _complete(runtime: Runtime, username: str, case_id: int | None, element_id: str,
              data: dict, *, instance_id: str | None = None) -> None:
    """Complete an open task with this element id (of the case, or of a caseless instance) that
    this user may work, as this user."""

    def work(uow):
        user = org.get_user(uow.session, username)
        where = Task.instance_id == instance_id if instance_id else Task.case_id == case_id
        open_ = uow.session.scalars(select(Task).where(where, Task.element_id == element_id,
                                                       Task.status == "open").order_by(Task.id))
        task = next((t for t in open_ if authority.may_work(user, t, uow.session)), None)
        if task is None:
            raise RuntimeError(f"demo: {username} has no open task {element_id} in "
                               f"{instance_id or f'case {case_id}'}")
        processes.complete_task(uow, runtime=runtime, task_id=task.id, data=data, version=None,
                                user=user)
    runtime.transact(work)


def _intake(runtime: Runtime, case_id: int, *, in_scope: bool = True, official: bool = True,
            unit: str = "town-a", category: str = "welfare_funds") -> None:
    _complete(runtime, "clerk", case_id, "repeat_check", {"is_repeat": False})
    _complete(runtime, "clerk", case_id, "classify",
              {"in_scope": in_scope, "concerns_official": official, "category": category,
               "first_handling_unit": unit} if in_scope else {"in_scope": False})


class _Clue:
    """A sample clue: its case and the caseworker and supervisor of the unit handling it."""

    def __init__(self, runtime: Runtime, case_id: int, unit: str):
        self.runtime, self.case_id = runtime, case_id
        self.worker, self.head = STAFF[unit]

    def by(self, username: str, element_id: str, data: dict) -> None:
        _complete(self.runtime, username, self.case_id, element_id, data)

    def worker_does(self, element_id: str, data: dict) -> None:
        self.by(self.worker, element_id, data)

    def head_does(self, element_id: str, data: dict) -> None:
        self.by(self.head, element_id, data)


def _clue(runtime: Runtime, fields: dict) -> _Clue:
    """Register, classify to the petition's township, tell a real-name reporter: the clue waits
    for the township's disposal proposal."""
    _, case_id = _register(runtime, _petition(**fields))
    unit = fields["township"]
    _intake(runtime, case_id, unit=unit, category=fields["category"])
    if not fields["reporter"].get("anonymous"):
        _complete(runtime, "clerk", case_id, "acceptance_notice", {"method": "phone"})
    return _Clue(runtime, case_id, unit)


# -- the steps of a clue, as tests/e2e/test_clue_paths.py takes them


def _disposed(clue: _Clue, disposition: str, reason: str) -> None:
    clue.worker_does("propose_disposition", {"disposition": disposition,
                                             "disposition_reason": reason})
    clue.head_does("approve_disposition", {"approved": True, "comment": "同意"})


def _planned(clue: _Clue, plan: str, *, key: bool = False) -> None:
    """Disposed of by preliminary verification; the plan approved: evidence is being gathered."""
    _disposed(clue, "verification", "反映问题具体，可查性强")
    clue.worker_does("plan_verification", {"verification_plan": plan, "key_verification": key,
                                           "verification_team": DISPLAY_NAMES[clue.worker]})
    clue.head_does("approve_verification_plan", {"approved": True})


def _reported(clue: _Clue, finding: str, *, talks: str, documents: str, report: str) -> None:
    clue.worker_does("gather_evidence", {"talks": talks, "documents": documents,
                                         "site_visits": "实地走访核实", "finding": finding,
                                         "verification_report": report})


def _decided(clue: _Clue, decision: str, reason: str) -> None:
    clue.head_does("decide_verification", {"decision": decision, "decision_reason": reason})


def _filed(clue: _Clue, finding_report: str, reason: str) -> None:
    """Verified true and filed (立案): the investigation is under way."""
    _reported(clue, "true", talks="与被反映人及相关群众谈话", documents="调取相关账目和审批材料",
              report=finding_report)
    _decided(clue, "file", reason)
    clue.worker_does("request_filing", {"filing_reason": "初核属实，需追究纪律责任"})
    clue.head_does("approve_filing", {"approved": True, "comment": "同意立案"})


def _investigated(clue: _Clue, report: str) -> None:
    clue.worker_does("investigate_case", {"investigation_report": report,
                                          "measures": "谈话、调取账目"})


def _tried(clue: _Clue, proposed_sanction: str) -> None:
    clue.by("trial-officer", "trial_case", {"trial_opinion": "事实清楚，证据确凿",
                                            "proposed_sanction": proposed_sanction})


def _fed_back(clue: _Clue, summary: str) -> None:
    clue.worker_does("result_feedback", {"feedback_method": "phone",
                                         "feedback_summary": summary})


# -- intake (信访举报受理)


def _awaiting_repeat_checks(runtime: Runtime) -> None:
    _register(runtime, _petition(channel="online", received_at=_ago(runtime, hours=3),
                                 content="反映东村李四在低保评定中优亲厚友。"))
    _register(runtime, _petition(
        channel="transfer", township="town-e", village="北塘村", category="election_discipline",
        received_at=_ago(runtime, hours=20),
        reporter=_reporter("陈桂兰", "330481197503152228", "13957312345", "浙江省海宁市戊镇北塘村3组"),
        accused=_accused("孙建国", "村党支部书记", "北塘村党支部"),
        content="反映北塘村党支部书记孙建国在换届选举前以发放购物卡方式拉票。"))


def _merged_repeat(runtime: Runtime) -> None:
    first_id, _ = _register(runtime, _petition(channel="visit"))
    _, case_id = _register(runtime, _petition(channel="phone",
                                              content="李四 虚报低保名单，套取低保金！"))
    number = runtime.read(lambda uow: uow.session.get(Petition, first_id).number)
    _complete(runtime, "clerk", case_id, "repeat_check", {"is_repeat": True,
                                                          "original_number": number})


def _sealed_forward(runtime: Runtime) -> None:
    """Not ours: forwarded sealed to the city commission, the reporter still to be told."""
    _, case_id = _register(runtime, _petition(
        accused=[{"name": "周某", "post": "县某局局长", "unit": "县某局", "level": "other"}],
        township=None, content="反映县某局局长周某违规收受礼金。", category="eight_rules"))
    _intake(runtime, case_id, in_scope=False)
    _complete(runtime, "clerk", case_id, "forward", {"forwarded_to": "市纪委监委",
                                                     "sealed": True})


def _anonymous_clue(runtime: Runtime) -> None:
    """Anonymous, in scope, about a township cadre's gambling: town-b's proposal is due."""
    _, case_id = _register(runtime, _petition(
        reporter=ANONYMOUS, township="town-b", village="南村", channel="online",
        accused=[{"name": "陈五", "post": "镇农业站站长", "unit": "乙镇", "level": "township"}],
        content="乙镇农业站站长陈五工作日参与赌博。", category="gambling"))
    _intake(runtime, case_id, unit="town-b", category="gambling")


def _awaiting_acceptance_notice(runtime: Runtime) -> None:
    _, case_id = _register(runtime, _petition(
        channel="visit", township="town-f", village="西山村", category="land_requisition",
        received_at=_ago(runtime, days=2),
        reporter=_reporter("张秀英", "330481196808214426", "13867321098", "浙江省海宁市己镇西山村7组"),
        accused=_accused("吴德明", "村委会主任", "西山村村委会"),
        content="西山村村委会主任吴德明在征地拆迁补偿中虚增青苗补偿面积，侵占村民补偿款。"))
    _intake(runtime, case_id, unit="town-f", category="land_requisition")


def _overdue_acceptance_notice(runtime: Runtime) -> None:
    """Received by letter forty days ago and never acknowledged: breached once the timers run."""
    _, case_id = _register(runtime, _petition(
        channel="letter", township="town-e", village="", category="service_window",
        received_at=_ago(runtime, days=40),
        reporter=_reporter("刘建华", "330481198211053317", "13706731234", "浙江省海宁市戊镇南街18号"),
        accused=_accused("郑海", "便民服务中心工作人员", "戊镇便民服务中心", "township"),
        content="戊镇便民服务中心工作人员郑海办理宅基地审批时吃拿卡要，索要好处费。"))
    _intake(runtime, case_id, unit="town-e", category="service_window")


# -- clue disposition (线索处置)


def _proposal_awaiting_approval(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="phone", township="town-d", village="西河村", category="collective_assets",
        received_at=_ago(runtime, days=3),
        reporter=_reporter("何美华", "330481197912302021", "13588776655", "浙江省海宁市丁镇西河村2组"),
        accused=_accused("赵六", "村党支部书记", "西河村党支部"),
        content="西河村党支部书记赵六私自将村集体鱼塘低价发包给亲属。"))
    clue.worker_does("propose_disposition", {"disposition": "verification",
                                             "disposition_reason": "反映问题具体，可查性强"})


def _proposal_sent_back(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="online", township="town-b", village="南村", category="eight_rules",
        received_at=_ago(runtime, days=4), reporter=ANONYMOUS,
        accused=_accused("钱文斌", "村委会主任", "南村村委会"),
        content="南村村委会主任钱文斌多次用村集体资金在饭店宴请，账目以误工补贴列支。"))
    clue.worker_does("propose_disposition", {"disposition": "closed",
                                             "disposition_reason": "情节轻微"})
    clue.head_does("approve_disposition", {"approved": False, "comment": "反映具体，应当初核"})


def _shelved(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="letter", township="town-a", village="北村", category="construction_bidding",
        received_at=_ago(runtime, days=5),
        reporter=_reporter("沈国良", "330481196505126613", "13306738899", "浙江省海宁市甲镇北村1组"),
        accused=_accused("孙强", "村委会委员", "北村村委会"),
        content="反映北村道路硬化工程可能存在围标串标，村委会委员孙强参与其中，未提供具体线索。"))
    _disposed(clue, "shelved", "反映线索笼统，暂不具备核查条件")


def _closed_awaiting_feedback(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="visit", township="town-d", village="石桥村", category="welfare_funds",
        received_at=_ago(runtime, days=6),
        reporter=_reporter("马丽娟", "330481198604184523", "13857365432", "浙江省海宁市丁镇石桥村4组"),
        accused=_accused("周丽", "村会计", "石桥村村委会"),
        content="反映石桥村会计周丽为不符合条件的亲属办理低保。"))
    _disposed(clue, "closed", "反映内容已在年度审计中查清，无新情况")


# -- talk or letter inquiry (谈话函询)


def _letter_awaiting_reply(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="phone", township="town-a", village="东村", category="eight_rules",
        received_at=_ago(runtime, days=4),
        reporter=_reporter("朱海燕", "330481199107237748", "13967300111", "浙江省海宁市甲镇东村9组"),
        accused=_accused("王建军", "村党支部书记", "东村党支部"),
        content="东村党支部书记王建军春节期间收受村民礼金、购物卡。"))
    _disposed(clue, "inquiry", "反映问题线索较为笼统，先行函询")
    clue.worker_does("plan_inquiry", {"inquiry_method": "letter",
                                      "inquiry_questions": "请说明春节期间收受礼金、购物卡情况"})
    clue.worker_does("send_inquiry_letter", {"letter_number": f"甲纪函〔{_year(runtime)}〕3号",
                                             "sent_on": _today(runtime)})


# -- preliminary verification (初步核实)


def _plan_awaiting_approval(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="letter", township="town-b", village="新塘村", category="land_requisition",
        received_at=_ago(runtime, days=5),
        reporter=_reporter("冯雪梅", "330481197402283342", "13819300222", "浙江省海宁市乙镇新塘村6组"),
        accused=_accused("冯国强", "村委会主任", "新塘村村委会"),
        content="新塘村在土地征收中，村委会主任冯国强截留部分征地补偿款。"))
    _disposed(clue, "verification", "反映问题具体，可查性强")
    clue.worker_does("plan_verification", {
        "verification_plan": "调取征地补偿发放台账，走访被征地农户，与冯国强谈话",
        "key_verification": False, "verification_team": DISPLAY_NAMES["b-worker"]})


def _gathering_evidence(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="online", township="town-d", village="东塘村", category="construction_bidding",
        received_at=_ago(runtime, days=6),
        reporter=_reporter("褚文杰", "330481198809094415", "13777312233", "浙江省海宁市丁镇东塘村3组"),
        accused=_accused("褚志刚", "村委会主任", "东塘村村委会"),
        content="东塘村文化礼堂建设项目由村委会主任褚志刚亲属承建，未按规定招投标。"))
    _planned(clue, "调取工程招投标及结算资料，走访施工方，与褚志刚谈话")


def _key_verification_in_joint_review(runtime: Runtime) -> None:
    """A key verification (重点初核件): the zone chairs, one member disagrees, two still owe
    their position."""
    clue = _clue(runtime, dict(
        channel="visit", township="town-a", village="南湖村", category="organised_crime",
        received_at=_ago(runtime, days=7),
        reporter=_reporter("卫红", "330481197010106626", "13506738765", "浙江省海宁市甲镇南湖村8组"),
        accused=_accused("卫大勇", "村委会副主任", "南湖村村委会"),
        content="南湖村村委会副主任卫大勇纠集社会闲散人员强揽工程、欺压村民，群众敢怒不敢言。"))
    _planned(clue, "调取工程承揽合同，走访受害群众，商请公安机关协查", key=True)
    _reported(clue, "partly_true", talks="与卫大勇及6名村民谈话", documents="调取近三年村工程合同",
              report="初核认定：强揽工程部分属实，欺压村民未查实")
    clue.by("east-head", "convene", {"review_agenda": "卫大勇涉黑涉恶问题重点初核件联审"})
    clue.by("reviewer-org", "member_opinion",
            {"position": "disagree", "reason": "该同志系换届候选人，建议先听取组织部门意见"})


# -- case filing (立案审查调查)


def _under_investigation(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="supervision", township="town-b", village="西村", category="welfare_funds",
        received_at=_ago(runtime, days=8), reporter=ANONYMOUS,
        accused=_accused("蒋小平", "村委会主任", "西村村委会"),
        content="西村村委会主任蒋小平虚报危房改造补助对象，套取补助资金。"))
    _planned(clue, "调取危房改造审批材料，走访补助对象，与蒋小平谈话")
    _filed(clue, "初核认定：虚报危房改造对象2户属实", "蒋小平虚报危房改造对象，违反群众纪律")


def _awaiting_trial(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="letter", township="town-d", village="北山村", category="collective_assets",
        received_at=_ago(runtime, days=9),
        reporter=_reporter("沈建明", "330481196912125510", "13616738321", "浙江省海宁市丁镇北山村5组"),
        accused=_accused("沈红", "村报账员", "北山村村委会"),
        content="北山村报账员沈红挪用村集体资金用于个人消费。"))
    _planned(clue, "调取村集体资金往来账目及银行流水，与沈红谈话")
    _filed(clue, "初核认定：挪用村集体资金8万元属实", "沈红挪用村集体资金，违反廉洁纪律")
    _investigated(clue, "查明沈红挪用村集体资金8万元，已全部退赔")


def _decided_awaiting_announcement(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="phone", township="town-a", village="西村", category="land_requisition",
        received_at=_ago(runtime, days=10),
        reporter=_reporter("韩秀珍", "330481197706066644", "13967311122", "浙江省海宁市甲镇西村2组"),
        accused=_accused("韩卫东", "村党支部书记", "西村党支部"),
        content="西村党支部书记韩卫东在征地拆迁中为亲属多报拆迁面积。"))
    _planned(clue, "调取拆迁面积测绘和补偿资料，实地测量，与韩卫东谈话")
    _filed(clue, "初核认定：为亲属多报拆迁面积120平方米属实", "韩卫东违反廉洁纪律，应予立案")
    _investigated(clue, "查明韩卫东为亲属多报拆迁面积，多领补偿款15万元")
    _tried(clue, "serious_warning")
    clue.head_does("decide_sanction", {"sanction": "serious_warning", "people_disciplined": 1,
                                       "decision_note": f"甲纪发〔{_year(runtime)}〕5号"})


def _concluded(runtime: Runtime) -> None:
    """Filed, tried, sanctioned, announced, concluded, fed back and visited: the case is closed."""
    clue = _clue(runtime, dict(
        channel="visit", township="town-b", village="东桥村", category="welfare_funds",
        received_at=_ago(runtime, days=12),
        reporter=_reporter("杨春花", "330481198003036687", "13858312345", "浙江省海宁市乙镇东桥村1组"),
        accused=_accused("杨志明", "村委会主任", "东桥村村委会"),
        content="东桥村村委会主任杨志明虚报低保户3户，套取低保资金。"))
    _planned(clue, "调取低保审批材料，走访低保户，与杨志明谈话")
    _filed(clue, "初核认定：虚报低保户3户属实", "杨志明虚报低保户3户，违反群众纪律")
    _investigated(clue, "查明杨志明虚报低保户3户，套取资金2.4万元")
    _tried(clue, "warning")
    clue.head_does("decide_sanction", {"sanction": "warning", "people_disciplined": 1,
                                       "decision_note": f"乙纪发〔{_year(runtime)}〕2号"})
    clue.worker_does("announce_decision", {"announced_on": _today(runtime),
                                           "announcement_note": "当面宣布并送达"})
    clue.head_does("conclude_case", {"closing_note": "案卷齐全，予以结案"})
    _fed_back(clue, "已将处分结果告知举报人")
    clue.by("clerk", "return_visit", {"satisfaction": "satisfied", "visit_notes": "对处理结果满意"})


# -- clarification (澄清正名) and false accusations (诬告陷害)


def _clarification_awaiting_approval(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="online", township="town-d", village="", category="eight_rules",
        received_at=_ago(runtime, days=11), reporter=ANONYMOUS,
        accused=_accused("朱建平", "镇农业农村办主任", "丁镇人民政府", "township"),
        content="反映丁镇农业农村办主任朱建平公车私用，周末驾驶公车外出游玩。"))
    _planned(clue, "调取公车使用登记和行车轨迹，与驾驶员谈话")
    _reported(clue, "untrue", talks="与朱建平及驾驶员谈话", documents="调取公车使用登记和GPS轨迹",
              report="初核认定：公车均用于下村公务，反映不实")
    _decided(clue, "clarify", "反映不实，对朱建平造成不良影响")
    clue.worker_does("draft", {"clarification_origin": "finding", "scope_meeting": True,
                               "scope_notice": True, "clarified_people": 1,
                               "joint_departments": False,
                               "clarification_plan": "在镇机关干部大会上澄清并书面通报"})


def _malicious_awaiting_city(runtime: Runtime) -> None:
    """Cleared after an untrue report; the accuser's fabrication awaits the city's approval."""
    clue = _clue(runtime, dict(
        channel="letter", township="town-a", village="东村", category="election_discipline",
        received_at=_ago(runtime, days=14),
        reporter=_reporter("秦晓东", "330481198506217719", "13656738888", "浙江省海宁市甲镇东村11组"),
        accused=_accused("秦国庆", "村党支部书记", "东村党支部"),
        content="反映东村党支部书记秦国庆在换届选举中组织贿选，每票500元。"))
    _planned(clue, "走访党员和村民代表30人，调取换届选举资料")
    _reported(clue, "untrue", talks="与秦国庆及党员、村民代表30人谈话", documents="调取换届选举资料",
              report="初核认定：未发现贿选行为，举报内容系捏造")
    _decided(clue, "clarify", "反映不实，对秦国庆造成不良影响")
    clue.worker_does("draft", {"clarification_origin": "finding", "scope_meeting": True,
                               "clarified_people": 1, "joint_departments": False,
                               "clarification_plan": "在村党员大会上澄清"})
    clue.head_does("approve", {"clarification_approved": True, "clarification_comment": "同意"})
    clue.worker_does("carry_out", {"done_written": True, "done_meeting": True,
                                   "carried_out_note": "已在村党员大会上澄清并送达书面澄清函"})
    clue.worker_does("cadre_visit", {"cadre_visit_notes": "干部表示放下包袱，安心工作",
                                     "cadre_satisfaction": "satisfied"})
    clue.worker_does("assess", {"accusation_kind": "malicious",
                                "accusation_note": "换届前捏造事实举报候选人",
                                "aggravating": "election"})


# -- feedback and return visit (反馈, 回访)


def _dissatisfied_visit_awaiting_review(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="phone", township="town-b", village="南村", category="gambling",
        received_at=_ago(runtime, days=13),
        reporter=_reporter("许桂芳", "330481197208089926", "13587321456", "浙江省海宁市乙镇南村3组"),
        accused=_accused("许明", "村会计", "南村村委会"),
        content="南村会计许明工作时间在棋牌室参与赌博。"))
    _planned(clue, "调取棋牌室监控，与许明谈话")
    _reported(clue, "partly_true", talks="与许明及棋牌室经营者谈话", documents="调取棋牌室监控",
              report="初核认定：参与赌博属实，工作时间参与未查实")
    _decided(clue, "remind", "问题部分属实，情节轻微")
    clue.worker_does("remind_talk", {"remind_method": "criticise",
                                     "remind_record": "对许明进行批评教育，责令整改"})
    _fed_back(clue, "已将批评教育结果告知举报人")
    clue.by("clerk", "return_visit", {"satisfaction": "dissatisfied", "visit_notes": "认为处理过轻"})


# -- zone escalation (协作区提级办理) and first-handling transfer (首办责任制)


def _escalation_awaiting_zone(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="letter", township="town-b", village="北港村", category="collective_assets",
        received_at=_ago(runtime, days=9),
        reporter=_reporter("何志强", "330481198112125537", "13906731357", "浙江省海宁市乙镇北港村6组"),
        accused=_accused("何建新", "村委会主任", "北港村村委会"),
        content="北港村村委会主任何建新私自处置村集体厂房，涉及乡镇干部，情况复杂。"))
    _planned(clue, "调取村集体资产处置资料和镇经管站审批记录")
    runtime.transact(lambda uow: zones.escalate(
        uow, runtime=runtime, user=org.get_user(uow.session, clue.worker), case_id=clue.case_id,
        reason="案情复杂，涉及乡镇干部，本镇办理存在干扰"))


def _transfer_awaiting_approval(runtime: Runtime) -> None:
    clue = _clue(runtime, dict(
        channel="online", township="town-a", village="东村", category="welfare_funds",
        received_at=_ago(runtime, days=3),
        reporter=_reporter("吕小燕", "330481199302144428", "13757312468", "浙江省海宁市甲镇东村2组"),
        accused=_accused("吕伟", "村委会委员", "东村村委会"),
        content="反映原东村村委会委员吕伟（现任丙镇某村干部）在任期间冒领养老保险金。"))
    runtime.transact(lambda uow: visits.request_transfer(
        uow, runtime=runtime, user=org.get_user(uow.session, clue.worker), case_id=clue.case_id,
        to_unit="town-c", reason="被反映人现任丙镇职务，由丙镇办理更便于核查"))


# -- joint review without a case (村干部资格联审)


def _village_cadre_review(runtime: Runtime) -> None:

    def start(uow):
        instance, _ = processes.start_instance(
            uow, runtime=runtime, key="joint_review", user=org.get_user(uow.session, "chief"),
            data={"review_subject": "东村村委会换届候选人张三资格联审",
                  "members": VILLAGE_REVIEW_MEMBERS, "chair_unit": "county"})
        return instance.id
    instance_id = runtime.transact(start)
    _complete(runtime, "chief", None, "convene", {"review_agenda": "逐人审查候选人资格"},
              instance_id=instance_id)


# ---------------------------------------------------------------------------------------------
# Daily supervision: inspections and rectifications at every state, the interference register.


def _inspection(runtime: Runtime, username: str, **fields) -> tuple[int, str]:

    def work(uow):
        row = supervision.plan(uow, runtime=runtime, user=org.get_user(uow.session, username),
                               fields=fields)
        return row.id, row.instance_id
    return runtime.transact(work)


def _findings(runtime: Runtime, username: str, inspection_id: int, findings: list[dict]) -> list:

    def work(uow):
        user = org.get_user(uow.session, username)
        return [supervision.record_finding(uow.session, runtime, user=user,
                                           inspection_id=inspection_id, fields=f).id
                for f in findings]
    return runtime.transact(work)


def _finding_instance(runtime: Runtime, finding_id: int) -> str:
    return runtime.read(lambda uow: uow.session.get(Finding, finding_id).instance_id)


def _inspected(runtime: Runtime, findings: list[dict], *, approve: bool = True,
               inspector: str = "s-inspector", approver: str = "s-head", **plan) -> list[int]:
    """An inspection carried out with these findings, handed in and (when `approve`) approved;
    returns the finding ids."""
    inspection_id, instance_id = _inspection(runtime, inspector, **plan)
    _complete(runtime, inspector, None, "carry_out",
              {"inspection_report": "查阅台账、实地走访、个别谈话", "carried_out_on": _today(runtime)},
              instance_id=instance_id)
    ids = _findings(runtime, inspector, inspection_id, findings)
    _complete(runtime, inspector, None, "record_findings", {}, instance_id=instance_id)
    if approve:
        _complete(runtime, approver, None, "approve",
                  {"inspection_approved": True, "approval_comment": "同意，交问题单位整改"},
                  instance_id=instance_id)
    return ids


def _welfare_finding(**over) -> dict:
    body = {"unit": "town-a", "category": "welfare_funds",
            "description": "低保资金发放台账不全，3户低保对象无审批记录",
            "evidence": "抽查低保档案12份", "suggestion": "补齐审批记录，开展低保对象复核",
            "responsible_person": "甲镇民政办主任 赵六", "time_limit_days": 30}
    body.update(over)
    return body


def _inspection_planned(runtime: Runtime) -> None:
    """A cross-check of town-a drawn from the zone's other townships, not yet carried out."""
    _inspection(runtime, "east-head", kind="cross", title="东部协作区交叉互查（甲镇）",
                content="三资管理、惠民资金发放", targets=["town-a"])


def _inspection_awaiting_approval(runtime: Runtime) -> None:
    _inspected(runtime, [_welfare_finding(unit="dept-housing", category="construction_bidding",
                                          description="小型工程项目未按规定公开招标",
                                          responsible_person="住建局副局长 孙八")],
               approve=False, kind="random", title="县住建局工程项目随机抽查",
               targets=["dept-housing"], inspectors=["s-inspector"])


def _rectifications(runtime: Runtime) -> None:
    """One special check with findings at every step of their rectification."""
    ids = _inspected(runtime, [
        _welfare_finding(),
        _welfare_finding(description="临时救助资金审批缺少公示", person_name="赵六",
                         person_post="甲镇民政办主任"),
        _welfare_finding(unit="dept-housing", category="service_window",
                         description="窗口办件超时未告知", responsible_person="住建局窗口负责人"),
        _welfare_finding(category="eight_rules", description="公务接待无公函",
                         responsible_person="甲镇党政办主任"),
        _welfare_finding(category="collective_assets", description="村集体资产出租合同未备案",
                         responsible_person="甲镇农经站站长"),
        _welfare_finding(category="other", description="信访件登记不全", time_limit_days=1,
                         responsible_person="甲镇纪委副书记"),
    ], kind="special", title="惠民资金和作风建设专项督查", targets=["town-a", "dept-housing"],
        content="低保、临时救助资金发放；窗口作风；公务接待", inspectors=["s-inspector"])
    measures, rectifying, verifying, refused, closed, overdue = ids
    # measures: waits for the unit's measures (nothing more).
    iid = _finding_instance(runtime, rectifying)
    _complete(runtime, "a-rectifier", None, "state_measures",
              {"measures": "补齐审批记录并公示"}, instance_id=iid)
    iid = _finding_instance(runtime, verifying)
    _complete(runtime, "housing-rectifier", None, "state_measures",
              {"measures": "建立办件超时提醒制度"}, instance_id=iid)
    _complete(runtime, "housing-rectifier", None, "report_progress",
              {"progress": "已建立提醒制度并通报", "rectification_done": True}, instance_id=iid)
    iid = _finding_instance(runtime, refused)
    _complete(runtime, "a-rectifier", None, "state_measures", {"measures": "补办公函"},
              instance_id=iid)
    _complete(runtime, "a-rectifier", None, "report_progress",
              {"progress": "已补办公函", "rectification_done": True}, instance_id=iid)
    _complete(runtime, "s-inspector", None, "verify",
              {"rectification_verified": False, "verification_comment": "补办公函不能代替整改，"
               "需建立公务接待审批制度"}, instance_id=iid)
    iid = _finding_instance(runtime, closed)
    _complete(runtime, "a-rectifier", None, "state_measures", {"measures": "合同补充备案"},
              instance_id=iid)
    _complete(runtime, "a-rectifier", None, "report_progress",
              {"progress": "12份合同已全部备案", "rectification_done": True}, instance_id=iid)
    _complete(runtime, "s-inspector", None, "verify",
              {"rectification_verified": True, "verification_comment": "经核查已整改到位"},
              instance_id=iid)
    _backdated(runtime, overdue, days=10)
    _hand_over_as_clue(runtime, rectifying)


def _backdated(runtime: Runtime, finding_id: int, *, days: int) -> None:
    """The finding was recorded `days` ago (its limit runs from then: overdue in the demo)."""
    from datetime import timedelta


    def work(uow):
        finding = uow.session.get(Finding, finding_id)
        finding.created_at = runtime.clock.now() - timedelta(days=days)
        row = uow.session.scalar(select(Deadline).where(
            Deadline.instance_id == finding.instance_id, Deadline.key == "rectification"))
        deadlines.set_limit(uow.session, runtime, row, amount=finding.time_limit_days,
                            unit="days", started_at=finding.created_at, actor="demo",
                            reason="demo: recorded earlier")
        finding.due_at = row.due_at
    runtime.transact(work)


def _hand_over_as_clue(runtime: Runtime, finding_id: int) -> None:
    """A finding about a person handed over as a clue (into the clue disposition)."""

    def work(uow):
        supervision.finding_to_clue(uow, runtime=runtime,
                                    user=org.get_user(uow.session, "s-inspector"),
                                    finding_id=finding_id)
    runtime.transact(work)


def _patrol_feedback(runtime: Runtime) -> None:
    """A patrol finding about a village: the village reported, the township supervises."""
    (finding,) = _inspected(runtime, [
        {"unit": "village-a-east", "category": "collective_assets",
         "description": "村集体资产出租未公开招标", "suggestion": "重新公开招标并公示",
         "responsible_person": "东村村委会主任", "time_limit_days": 45}],
        kind="patrol", title="县委第二巡察组巡察甲镇东村反馈问题", targets=["town-a"],
        inspectors=["s-inspector"])
    iid = _finding_instance(runtime, finding)
    _complete(runtime, "east-rectifier", None, "state_measures",
              {"measures": "终止原合同，重新公开招标"}, instance_id=iid)
    _complete(runtime, "east-rectifier", None, "report_progress",
              {"progress": "已重新公开招标并公示结果", "rectification_done": True},
              instance_id=iid)


def _interference_register(runtime: Runtime) -> None:
    from datetime import timedelta

    day = runtime.clock.local(runtime.clock.now()).date()

    def work(uow):
        user = org.get_user(uow.session, "housing-registrar")
        for back, name, post, form, kind, matter in (
                (20, "钱七", "某镇副镇长", "电话打招呼", "projects", "要求为某村道路工程指定施工单位"),
                (50, "周九", "县某局副局长", "当面说情", "enforcement",
                 "为违法建设当事人说情，要求从轻处罚")):
            supervision.record_interference(uow.session, runtime, user=user, fields={
                "cadre_name": name, "cadre_unit": post[:-3], "cadre_post": post[-3:],
                "occurred_on": day - timedelta(days=back), "form": form, "matter_kind": kind,
                "matter": matter, "handling": "未予采纳，如实登记"})
    runtime.transact(work)


SUPERVISION_SAMPLES = (_inspection_planned, _inspection_awaiting_approval, _rectifications,
                       _patrol_feedback, _interference_register)


SAMPLES = (
    _awaiting_repeat_checks, _merged_repeat, _sealed_forward, _anonymous_clue,
    _awaiting_acceptance_notice, _overdue_acceptance_notice,
    _proposal_awaiting_approval, _proposal_sent_back, _shelved, _closed_awaiting_feedback,
    _letter_awaiting_reply,
    _plan_awaiting_approval, _gathering_evidence, _key_verification_in_joint_review,
    _under_investigation, _awaiting_trial, _decided_awaiting_announcement, _concluded,
    _clarification_awaiting_approval, _malicious_awaiting_city,
    _dissatisfied_visit_awaiting_review,
    _escalation_awaiting_zone, _transfer_awaiting_approval,
    _village_cadre_review,
)


def load_samples(runtime: Runtime) -> int:
    """Petitions in every state of every process (idempotent: only into a database with no
    petitions); overdue deadlines are breached at the end. Returns how many petitions."""
    from sqlalchemy import func

    if runtime.read(lambda uow: uow.session.scalar(select(Petition.id).limit(1))) is not None:
        return 0
    for sample in SAMPLES + SUPERVISION_SAMPLES:
        sample(runtime)
    timers.run_due(runtime, runtime.clock.now())
    quality_demo.load(runtime)
    village_demo.load(runtime)
    # The samples' completions queued their steps' documents: hundreds of LibreOffice runs that
    # would keep the first start's worker busy for minutes ahead of what users ask for. The
    # samples start without them; a caseworker generates a step's document on its task page.
    # The concluded samples' freezing dossiers go too (they would freeze without documents).
    runtime.transact(lambda uow: jobs.discard_queued(uow.session, kind=document_jobs.DOCUMENT))
    runtime.transact(lambda uow: jobs.discard_queued(uow.session, kind=document_jobs.DOSSIER))
    return runtime.read(lambda uow: uow.session.scalar(select(func.count(Petition.id))))
