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
