"""The demo organisation from API.md (idempotent)."""
from __future__ import annotations

from sqlalchemy import select

from engine.org import service as org
from engine.org.models import User
from engine.runtime import Runtime

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
]

PASSWORD = "demo"


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
                                password=PASSWORD, now=now, display_name=display)
                created += 1
        return created
    return runtime.transact(work)


# ---------------------------------------------------------------------------------------------
# Sample petitions, driven through the real processes as the demo users would.

SAMPLE_REPORTER = {"anonymous": False, "name": "王小明", "id_number": "330481199001011234",
                   "phone": "13812345678", "address": "浙江省海宁市甲镇东村5组12号"}


def _petition(**over) -> dict:
    body = {"channel": "letter", "reporter": dict(SAMPLE_REPORTER),
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}
    body.update(over)
    return body


def _register(runtime: Runtime, fields: dict) -> tuple[int, int]:
    from engine.org import service as org
    from engine.petitions import service as petitions

    def work(uow):
        clerk = org.get_user(uow.session, "clerk")
        petition = petitions.register(uow, runtime=runtime, user=clerk, fields=fields)
        return petition.id, petition.case_id
    return runtime.transact(work)


def _complete(runtime: Runtime, username: str, case_id: int, element_id: str,
              data: dict) -> None:
    """Complete the case's open task with this element id, as this user."""
    from engine.inbox.models import Task
    from engine.org import service as org
    from engine.processes import service as processes

    def work(uow):
        user = org.get_user(uow.session, username)
        task = uow.session.scalar(select(Task).where(Task.case_id == case_id,
                                                     Task.element_id == element_id,
                                                     Task.status == "open"))
        if task is None:
            raise RuntimeError(f"demo: case {case_id} has no open task {element_id}")
        processes.complete_task(uow, runtime=runtime, task_id=task.id, data=data, version=None,
                                user=user)
    runtime.transact(work)


def _intake(runtime: Runtime, case_id: int, *, in_scope: bool = True, official: bool = True,
            unit: str = "town-a") -> None:
    _complete(runtime, "clerk", case_id, "repeat_check", {"is_repeat": False})
    _complete(runtime, "clerk", case_id, "classify",
              {"in_scope": in_scope, "concerns_official": official, "category": "welfare_funds",
               "first_handling_unit": unit} if in_scope else {"in_scope": False})


def load_samples(runtime: Runtime) -> int:
    """Petitions in every state of the intake (idempotent: only into an empty database)."""
    from engine.petitions.models import Petition
    if runtime.read(lambda uow: uow.session.scalar(select(Petition.id).limit(1))) is not None:
        return 0
    count = 0
    # 1. Just registered: the clerk's repeat check is waiting.
    _register(runtime, _petition(channel="online", content="反映东村李四在低保评定中优亲厚友。"))
    count += 1
    # 2. A repeat of it, confirmed: merged into the first case.
    first_id, _ = _register(runtime, _petition(channel="visit"))
    _, case_id = _register(runtime, _petition(channel="phone",
                                              content="李四 虚报低保名单，套取低保金！"))
    from engine.petitions.models import Petition as P
    number = runtime.read(lambda uow: uow.session.get(P, first_id).number)
    _complete(runtime, "clerk", case_id, "repeat_check", {"is_repeat": True,
                                                          "original_number": number})
    count += 2
    # 3. Not ours: forwarded sealed to the city commission, reporter to be told.
    _, case_id = _register(runtime, _petition(
        accused=[{"name": "周某", "post": "县某局局长", "unit": "县某局", "level": "other"}],
        township=None, content="反映县某局局长周某违规收受礼金。", category="eight_rules"))
    _complete(runtime, "clerk", case_id, "repeat_check", {"is_repeat": False})
    _complete(runtime, "clerk", case_id, "classify", {"in_scope": False})
    _complete(runtime, "clerk", case_id, "forward", {"forwarded_to": "市纪委监委",
                                                     "sealed": True})
    count += 1
    # 4. Anonymous, in scope, about a township cadre's gambling.
    _, case_id = _register(runtime, _petition(
        reporter={"anonymous": True}, township="town-b", village="南村",
        accused=[{"name": "陈五", "post": "镇农业站站长", "unit": "乙镇", "level": "township"}],
        content="乙镇农业站站长陈五工作日参与赌博。", category="gambling"))
    _intake(runtime, case_id, unit="town-b")
    count += 1
    return count
