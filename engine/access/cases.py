"""Who may see a case and who supervises it (API.md "Authority"); 回避 refuses both."""
from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.access import authority, case_units, recusal
from engine.access import quality as quality_access
from engine.cases.models import Case
from engine.errors import Forbidden, NotFound
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.processes.models import ProcessInstance


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("case %(id)s not found", reason="case_not_found", params={"id": case_id})
    return case


def may_see_case(session: Session, user: User, case: Case) -> bool:
    """API.md "Authority": who may see a case and its tasks."""
    roles = user.roles
    if "intake_clerk" in roles and case.registered_unit_id == user.unit_id:
        return True
    if case_units.sees_case(session, user, case):
        return True
    stmt = select(Task.id).where(Task.case_id == case.id,
                                 authority.visible_clause(session, user, "all")).limit(1)
    if session.scalar(stmt) is not None:
        return True
    if case.instance_id:
        started = session.scalar(select(ProcessInstance.started_by_id)
                                 .where(ProcessInstance.id == case.instance_id))
        if started == user.id:
            return True
    return quality_access.reviewer_sees_case(session, user, case.id)


def visible_cases(session: Session, user: User):
    """The ids of the cases `may_see_case` lets the user see, less those they are recused from,
    as one SQL query (search filters with it; `may_see_case` stays the rule for one case)."""
    roles = user.roles
    tasks = select(Task.case_id).where(Task.case_id == Case.id,
                                       authority.visible_clause(session, user, "all"))
    # Started by the user: the case's own instance looked up by its key. (As "the cases among
    # every instance the user started", SQLite listed them by scanning the instances whenever
    # its statistics made the starter's index look unselective: 60 ms a search at 1,000,000.)
    started = select(ProcessInstance.id).where(ProcessInstance.id == Case.instance_id,
                                               ProcessInstance.started_by_id == user.id)
    parts = [tasks.exists(), started.exists()]
    if "intake_clerk" in roles:
        parts.append(Case.registered_unit_id == user.unit_id)
    supervised = case_units.seen_case_clause(session, user)
    if supervised is not None:
        parts.append(supervised)
    extra = case_units.team_case_ids(session, user.username) | \
        quality_access.reviewer_case_ids(session, user)
    if extra:
        parts.append(Case.id.in_(sorted(extra)))
    stmt = select(Case.id).where(or_(*parts))
    recused = recusal.recused_case_ids(session, user.id)
    return stmt.where(Case.id.notin_(sorted(recused))) if recused else stmt


def case_for_user(session: Session, user: User, case_id: int) -> Case:
    """The case, if the user may see it and is not recused from it."""
    case = get_case(session, case_id)
    refuse_if_recused(session, user, case)
    if not may_see_case(session, user, case):
        raise Forbidden("you may not see this case", reason="case_not_visible")
    return case


def refuse_if_recused(session: Session, user: User, case: Case) -> None:
    """回避: a user related to the case's accused or reporter neither opens nor supervises it
    (their inbox already hides its tasks); ending the relation lifts this."""
    if recusal.is_recused(session, user_id=user.id, case_id=case.id):
        raise Forbidden("you are recused from this case", reason="case_recused")


def supervises(session: Session, user: User, case: Case) -> bool:
    """A supervisor over the case's handling, first-handling or registering unit."""
    if "supervisor" not in user.roles:
        return False
    path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id))
    units = {case.handling_unit_id, case.first_handling_unit_id, case.registered_unit_id}
    units.discard(None)
    return bool(units) and session.scalar(select(Unit.id).where(
        Unit.id.in_(units), Unit.path.startswith(path)).limit(1)) is not None


def supervised_case(session: Session, user: User, case_id: int) -> Case:
    """The case, if the user supervises it and is not recused from it."""
    case = get_case(session, case_id)
    refuse_if_recused(session, user, case)
    if not supervises(session, user, case):
        raise Forbidden("only a supervisor over this case's units may do this",
                        reason="case_not_supervised")
    return case
