"""Who sees failed process instances (issue 21): a supervisor who may see the instance's case,
and whoever started the instance (a designer's test or a process started by hand) see it with
its case and may retry it; an administrator sees only counts per process and element."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.cases.models import Case
from engine.org.models import User
from engine.processes.models import ProcessInstance


def may_see_failed(session: Session, user: User, instance: ProcessInstance) -> bool:
    """The instance and its case's number: its starter, or a supervisor who may see the case."""
    if instance.started_by_id == user.id:
        return True
    if "supervisor" not in user.roles or instance.case_id is None:
        return False
    return case_access.may_see_case(session, user, session.get(Case, instance.case_id))


def may_count_failed(user: User) -> bool:
    """Counts per process and element, no case data: administrators."""
    return "administrator" in user.roles
