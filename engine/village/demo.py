"""Demo village work (issue 26): 东村's matters at every step of every village process, driven
through the real processes: for each process one matter waits at each of its user tasks and one
is finished (the finished 四议两公开 decision after a failed quorum and a rerun); and published
disclosure items of 甲镇 and 东村 (a decision, statistics, typical cases)."""
from __future__ import annotations

from sqlalchemy import select

from engine.access import authority
from engine.inbox.models import Task
from engine.org import service as org
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.village import disclosure
from engine.village import service as village
from engine.village.models import VillageMatter

MEETING = {"held_on": "2026-02-20", "members": 30, "present": 24, "votes_for": 20,
           "votes_against": 2, "votes_abstain": 2, "resolution": "同意"}
PUBLISHED = {"published_from": "2026-02-21", "published_to": "2026-02-27",
             "published_where": "村务公开栏、村务e阳光"}
CHECKED = {"check_agreed": True, "check_opinion": "程序合规，公开到位"}
DECISION = "{decision}"  # replaced by the number of the finished 四议两公开 decision


def _meeting(members: int, present: int, votes_for: int, **more) -> dict:
    return {**MEETING, "members": members, "present": present, "votes_for": votes_for,
            "votes_against": present - votes_for, "votes_abstain": 0, **more}


# Each process's steps from start to end, by whom; a matter is started for each prefix of them
# (none done: waiting at the first step; all done: finished), titled in that order.
FLOWS: dict[str, tuple[list[tuple[str, str, dict]], list[str]]] = {
    "four_two": ([
        ("east-secretary", "propose", _meeting(5, 5, 5)),
        ("east-secretary", "deliberate", _meeting(9, 9, 8)),
        ("east-secretary", "review", _meeting(40, 33, 30)),
        ("east-secretary", "resolve", _meeting(30, 24, 20, resolution="同意")),
        ("east-clerk", "disclose_vote", PUBLISHED),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-clerk", "implement", {"implementation": "已按决议组织实施"}),
        ("east-clerk", "disclose_result", {**PUBLISHED, "published_from": "2026-02-28",
                                           "published_to": "2026-03-06"})],
        ["村级活动场所改造", "村集体果园承包", "村办幼儿园扩建", "村集体鱼塘发包",
         "农田水利沟渠清淤", "村卫生室新建", "村文化广场修建", "村道路灯维修",
         "村道硬化工程"]),
    "asset_lease": ([
        ("east-secretary", "apply_lease", {"asset": "村集体仓库", "term_years": 3,
                                           "reserve_rent": 20000, "decision_number": DECISION}),
        ("east-clerk", "bidding", {"bidders": 3, "winner": "某商贸公司", "rent": 26000,
                                   "reserve_rent": 20000}),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-secretary", "sign_contract", {"contract_on": "2026-03-12", **PUBLISHED})],
        ["村集体厂房出租", "村集体门面房出租", "村集体仓库出租", "村集体林地出租",
         "村集体晒场出租"]),
    "project_award": ([
        ("east-secretary", "propose_project", {"project": "村道路灯", "budget": 90000}),
        ("east-clerk", "tender", {"bidders": 3, "winner": "某建设公司", "price": 85000,
                                  "budget": 90000}),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-secretary", "accept_project", {"accepted_on": "2026-04-01",
                                              "acceptance_report": "验收合格"})],
        ["村委会围墙修缮", "村小学操场硬化", "村道路灯安装", "村口桥梁加固", "村部屋面防水"]),
    "subsidy": ([
        ("east-clerk", "apply_subsidy", {"applicant": "村民甲", "subsidy_kind": "低保",
                                         "household_size": 3}),
        ("east-secretary", "democratic_review", MEETING),
        ("east-clerk", "publicize", PUBLISHED),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-clerk", "report_township", {"reported_on": "2026-03-10"})],
        ["村民丁低保推荐", "村民戊临时救助推荐", "村民己残疾人补贴推荐", "村民甲低保推荐",
         "村民庚特困供养推荐", "村民辛低保推荐"]),
    "seal": ([
        ("east-clerk", "apply_seal", {"document": "收入证明", "purpose": "助学贷款"}),
        ("east-secretary", "approve_seal", {"approval_opinion": "同意"}),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-clerk", "register_seal", {"used_on": "2026-03-02"})],
        ["出具居住证明", "出具亲属关系证明", "出具收入证明", "合同用印", "出具务工证明"]),
    "expense": ([
        ("east-clerk", "apply_expense", {"amount": 800, "purpose": "办公用品", "receipts": 2}),
        ("east-secretary", "approve_expense", {"approval_opinion": "同意"}),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-clerk", "pay_expense", {"paid_on": "2026-03-05", "voucher": "记-012"})],
        ["会议误餐费报销", "办公用品报销", "资料印刷费报销", "村部电费报销", "保洁工具报销"]),
    "homestead": ([
        ("east-clerk", "apply_homestead", {"applicant": "村民乙", "location": "东村3组",
                                           "area": 110}),
        ("east-secretary", "democratic_review", MEETING),
        ("east-clerk", "publicize", PUBLISHED),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-clerk", "report_township", {"reported_on": "2026-03-10"})],
        ["村民乙宅基地申请", "村民壬宅基地申请", "村民癸宅基地申请", "村民子翻建宅基地申请",
         "村民丑分户宅基地申请", "村民寅宅基地申请"]),
}
SUMMARIES = {"村道硬化工程": "硬化东村至南村村道1.2公里，预算约36万元。"}


def _start(runtime: Runtime, username: str, kind: str, title: str, summary: str = "") -> int:
    def work(uow):
        user = org.get_user(uow.session, username)
        return village.start(uow, runtime=runtime, user=user,
                             fields={"kind": kind, "title": title, "summary": summary}).id
    return runtime.transact(work)


def _do(runtime: Runtime, username: str, matter_id: int, element_id: str, data: dict) -> None:
    def work(uow):
        s = uow.session
        user = org.get_user(s, username)
        matter = s.get(VillageMatter, matter_id)
        task = s.scalar(select(Task).where(Task.instance_id == matter.instance_id,
                                           Task.status == "open", Task.element_id == element_id))
        if task is None or not authority.may_work(user, task, s):
            raise RuntimeError(f"demo: {username} cannot do {element_id} of matter {matter_id}")
        processes.complete_task(uow, runtime=runtime, task_id=task.id, data=data,
                                version=task.version, user=user)
    runtime.transact(work)


def _steps(runtime: Runtime, matter_id: int, steps: list[tuple[str, str, dict]]) -> None:
    for username, element_id, data in steps:
        _do(runtime, username, matter_id, element_id, data)


def _publish(runtime: Runtime, fields: dict) -> None:
    def write(uow):
        user = org.get_user(uow.session, "a-editor")
        return disclosure.create(uow, runtime=runtime, user=user, fields=fields).instance_id
    instance_id = runtime.transact(write)

    def approve(uow):
        user = org.get_user(uow.session, "a-head")
        task = uow.session.scalar(select(Task).where(Task.instance_id == instance_id,
                                                     Task.status == "open"))
        processes.complete_task(uow, runtime=runtime, task_id=task.id,
                                data={"disclosure_approved": True, "approval_opinion": "同意公开"},
                                version=task.version, user=user)
    runtime.transact(approve)


def load(runtime: Runtime) -> None:
    """The village samples (into a database with none)."""
    if runtime.read(lambda uow: uow.session.scalar(select(VillageMatter.id).limit(1))):
        return
    # The finished decision first (the lease needs its number): its representatives' first
    # meeting falls short of the quorum and is held again.
    steps, titles = FLOWS["four_two"]
    road = _start(runtime, "east-secretary", "four_two", titles[-1], SUMMARIES[titles[-1]])
    short = ("east-secretary", "resolve", _meeting(30, 18, 18,
                                                   resolution="到会不足三分之二，另行召开"))
    _steps(runtime, road, [*steps[:3], short, *steps[3:]])
    number = runtime.read(lambda uow: uow.session.get(VillageMatter, road).number)
    for kind, (steps, titles) in FLOWS.items():
        for done, title in enumerate(titles):
            if kind == "four_two" and done == len(steps):
                continue  # the road, above
            prefix = [(u, e, {k: number if v == DECISION else v for k, v in data.items()})
                      for u, e, data in steps[:done]]
            matter = _start(runtime, steps[0][0], kind, title, SUMMARIES.get(title, ""))
            _steps(runtime, matter, prefix)
    for fields in (
            {"unit": "village-a-east", "kind": "decision", "title": "东村村道硬化工程决策和实施结果公开",
             "matter_id": road},
            {"unit": "town-a", "kind": "statistics", "title": "甲镇村级小微权力事项办理情况"},
            {"unit": "town-a", "kind": "typical_case", "title": "违规办理低保典型案例通报",
             "body": "某村村委会主任利用职务便利为亲属违规办理低保，受到党内警告处分，违规资金已追缴。",
             "accused_name": "钱二"},
            {"unit": "town-a", "kind": "typical_case", "title": "点名通报：孙三违规收受礼金",
             "body": "西村党支部书记孙三违规收受礼金，受到党内严重警告处分。",
             "accused_name": "孙三", "name_publicly": True}):
        _publish(runtime, fields)
