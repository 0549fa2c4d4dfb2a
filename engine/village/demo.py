"""Demo village work (issue 26): 东村's matters at steps of every village process (one 四议两公开
decision finished after a failed quorum, one waiting for the representatives' vote, each
micro-power process waiting at the supervision committee's check or at its first step), and
published disclosure items of 甲镇 and 东村 (a decision, statistics, typical cases)."""
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
    road = _start(runtime, "east-secretary", "four_two", "村道硬化工程",
                  "硬化东村至南村村道1.2公里，预算约36万元。")
    _steps(runtime, road, [
        ("east-secretary", "propose", {**MEETING, "members": 5, "present": 5, "votes_for": 5,
                                       "votes_against": 0, "votes_abstain": 0}),
        ("east-secretary", "deliberate", {**MEETING, "members": 9, "present": 9,
                                          "votes_for": 8, "votes_against": 1,
                                          "votes_abstain": 0}),
        ("east-secretary", "review", {**MEETING, "members": 40, "present": 33, "votes_for": 30,
                                      "votes_against": 2, "votes_abstain": 1}),
        ("east-secretary", "resolve", {**MEETING, "present": 18, "votes_for": 18,
                                       "votes_against": 0, "votes_abstain": 0,
                                       "resolution": "到会不足三分之二，另行召开"}),
        ("east-secretary", "resolve", {**MEETING, "held_on": "2026-02-24",
                                       "resolution": "同意实施村道硬化工程"}),
        ("east-clerk", "disclose_vote", PUBLISHED),
        ("east-monitor", "supervise_check", CHECKED),
        ("east-clerk", "implement", {"implementation": "已完成硬化1.2公里，经乡镇验收合格"}),
        ("east-clerk", "disclose_result", {**PUBLISHED, "published_from": "2026-02-28",
                                           "published_to": "2026-03-06"})])
    number = runtime.read(lambda uow: uow.session.get(VillageMatter, road).number)
    pond = _start(runtime, "east-secretary", "four_two", "村集体鱼塘发包")
    _steps(runtime, pond, [(u, s, MEETING) for u, s in (
        ("east-secretary", "propose"), ("east-secretary", "deliberate"),
        ("east-secretary", "review"))])
    waiting_check = {
        "asset_lease": [("east-secretary", "apply_lease", {
            "asset": "村集体仓库", "term_years": 3, "reserve_rent": 20000,
            "decision_number": number}),
            ("east-clerk", "bidding", {"bidders": 3, "winner": "某商贸公司", "rent": 26000,
                                       "reserve_rent": 20000})],
        "project_award": [("east-secretary", "propose_project", {"project": "村道路灯",
                                                                 "budget": 90000}),
                          ("east-clerk", "tender", {"bidders": 3, "winner": "某建设公司",
                                                    "price": 85000, "budget": 90000})],
        "subsidy": [("east-clerk", "apply_subsidy", {"applicant": "村民甲", "subsidy_kind": "低保",
                                                     "household_size": 3}),
                    ("east-secretary", "democratic_review", MEETING),
                    ("east-clerk", "publicize", PUBLISHED)],
        "seal": [("east-clerk", "apply_seal", {"document": "收入证明", "purpose": "助学贷款"}),
                 ("east-secretary", "approve_seal", {"approval_opinion": "同意"})],
        "expense": [("east-clerk", "apply_expense", {"amount": 800, "purpose": "办公用品",
                                                     "receipts": 2})],
        "homestead": [],
    }
    titles = {"asset_lease": "村集体仓库出租", "project_award": "村道路灯安装",
              "subsidy": "村民甲低保推荐", "seal": "出具收入证明", "expense": "办公用品报销",
              "homestead": "村民乙宅基地申请"}
    for kind, steps in waiting_check.items():
        matter = _start(runtime, steps[0][0] if steps else "east-clerk", kind, titles[kind])
        _steps(runtime, matter, steps)
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
