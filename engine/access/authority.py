"""Who may see, take and reassign a task (API.md "Authority"), and lane -> role/unit mapping."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from engine.access import assignment, case_units
from engine.cases.models import Case
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.processes.models import ProcessInstance
from engine.access import recusal
from engine.workflow import assignment as bpmn_assignment


@dataclass(frozen=True)
class Candidates:
    unit_id: int | None
    role: str | None
    user_id: int | None
    # From BPMN assignment attributes (engine/access/assignment.py).
    assignee_id: int | None = None
    users: tuple[int, ...] = ()


def lane_mapping(settings, process_key: str, stored: dict | None = None) -> dict:
    """The lanes of a process: config.yaml `lanes:`, each lane overridden by the rule stored
    with the deployed version (`ProcessDefinition.lanes`, drawn on the lane in the file)."""
    return {**(settings.get("lanes", process_key, default=None) or {}),
            **((stored or {}).get(process_key) or {})}


def _lookup(data: dict, path: str):
    value = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _case_unit(session: Session, case_id: int | None, attribute: str) -> str | None:
    """`case.<attribute>` in a lane mapping: the unit the case record holds (e.g. the handling
    unit, which an approved transfer changes while the case's processes run)."""
    if case_id is None or attribute not in ("handling_unit", "first_handling_unit"):
        return None
    unit_id = session.scalar(select(getattr(Case, f"{attribute}_id")).where(Case.id == case_id))
    return session.scalar(select(Unit.code).where(Unit.id == unit_id)) if unit_id else None


def candidates_for(session: Session, runtime, *, process_key: str, lane: str | None,
                   task_data: dict, starter_id: int | None,
                   case_id: int | None = None,
                   resolved: bpmn_assignment.Resolved | None = None,
                   stored_lanes: dict | None = None) -> Candidates:
    """Where a new task is offered: its lane's role and unit (the version's own mapping, then
    config.yaml's); else its BPMN assignment (assignee, candidateUsers, candidateGroups); else
    the starter."""
    mapping = lane_mapping(runtime.settings, process_key, stored_lanes)
    entry = mapping.get(lane or "") if mapping else None
    if not entry:
        found = assignment.offer(session, resolved or bpmn_assignment.Resolved(),
                                 starter_id=starter_id, case_id=case_id)
        if found.empty:
            return Candidates(None, None, starter_id)
        return Candidates(found.unit_id, found.role, found.user_id,
                          assignee_id=found.assignee_id, users=found.users)
    if entry.get("user_from"):
        username = _lookup(task_data, entry["user_from"])
        user_id = session.scalar(select(User.id).where(User.username == username,
                                                       User.active.is_(True))) \
            if isinstance(username, str) else None
        # Bound to one person, done for the case's handling unit (engine/access/case_units).
        return Candidates(case_units.unit_done_for(session, case_id), entry.get("role"),
                          user_id or starter_id)
    path = entry.get("unit_from") or ""
    code = entry.get("unit")
    if path.startswith("case."):
        # The case record first; the same name in the task data when the case has none.
        code = _case_unit(session, case_id, path[5:]) or _lookup(task_data, path[5:])
    elif path:
        code = _lookup(task_data, path)
    unit_id = runtime.names.unit_id(session, code) if isinstance(code, str) else None
    if unit_id is None:
        return Candidates(None, entry.get("role"), starter_id)
    return Candidates(unit_id, entry.get("role"), None)


def may_work(user: User, task: Task, session: Session | None = None) -> bool:
    """Claim or complete: assigned to the user, or offered to them (their unit and role), and
    never a task of a case the user is recused from."""
    if session is not None and recusal.is_recused(session, user_id=user.id, case_id=task.case_id):
        return False
    if task.assignee_id is not None:
        return task.assignee_id == user.id
    if task.candidate_user_id is not None:
        return task.candidate_user_id == user.id
    if _offered_by_unit(user, task):
        return True
    # Named among the task's candidateUsers (BPMN assignment).
    return session is not None and assignment.is_candidate(session, user.id, task.id)


def _offered_by_unit(user: User, task: Task) -> bool:
    if task.candidate_unit_id is None or task.candidate_unit_id != user.unit_id:
        return False
    # No role: offered to the whole unit (BPMN candidateGroups naming a unit alone).
    return task.candidate_role is None or task.candidate_role in user.roles \
        or "supervisor" in user.roles


def _unit_path(session: Session, unit_id: int) -> str:
    return session.scalar(select(Unit.path).where(Unit.id == unit_id)) or "/"


def may_supervise(session: Session, user: User, task: Task) -> bool:
    """Reassign, take personally, approve: supervisors over the task's unit or a unit above it,
    never on a case they are recused from."""
    if "supervisor" not in user.roles or task.candidate_unit_id is None:
        return False
    if recusal.is_recused(session, user_id=user.id, case_id=task.case_id):
        return False
    return _unit_path(session, task.candidate_unit_id).startswith(_unit_path(session, user.unit_id))


def visible_clause(session: Session, user: User, scope: str, *,
                   per_row: bool = False) -> ColumnElement[bool]:
    """SQL condition for the tasks a user may see in a scope (mine, unit, all); `per_row`: the
    same condition for a query that checks it on few rows (`case_units.seen_clause`)."""
    return or_(*visible_branches(session, user, scope, per_row=per_row))


def visible_branches(session: Session, user: User, scope: str, *,
                     per_row: bool = False) -> list[ColumnElement[bool]]:
    """`visible_clause` as the conditions it is the OR of, each one an index can serve alone
    (a count that stops at a cap reads each branch's index range until the cap, rather than
    collecting every visible task first)."""
    roles = user.roles
    named = assignment.candidate_clause(session, user.id)
    mine = [Task.assignee_id == user.id,
            and_(Task.candidate_user_id == user.id, Task.assignee_id.is_(None)),
            and_(Task.assignee_id.is_(None), named)]
    unit = Task.candidate_unit_id == user.unit_id
    if "supervisor" not in roles:
        unit = and_(unit, or_(Task.candidate_role.in_(list(roles)),
                              and_(Task.candidate_role.is_(None),
                                   Task.candidate_user_id.is_(None))))
    if scope == "mine":
        parts = mine
    elif scope == "unit":
        parts = [unit]
    else:
        parts = [*mine, unit, Task.candidate_user_id == user.id, named]
        if "supervisor" in roles:
            parts.append(_offered_below(session, user))
            parts.append(case_units.seen_clause(session, user, per_row=per_row))
        if "process_designer" in roles:
            started = select(ProcessInstance.id).where(ProcessInstance.started_by_id == user.id)
            # `per_row`: the row's instance looked up by its key (see `cases.visible_cases`);
            # a count reads the designer's instances' tasks by their index, where an instance
            # looked up for every task read all of them (2 s at 1,000,000 open tasks).
            parts.append(started.where(ProcessInstance.id == Task.instance_id).exists()
                         if per_row else Task.instance_id.in_(started))
        if "intake_clerk" in roles:
            registered = select(Case.id).where(Case.registered_unit_id == user.unit_id)
            # `per_row`: the row's case looked up by its key, where PostgreSQL would hash every
            # case the unit registered for each page (an intake office registers most of them:
            # 75 ms at 1,000,000 cases).
            parts.append(registered.where(Case.id == Task.case_id).limit(1).scalar_subquery()
                         .isnot(None) if per_row else Task.case_id.in_(registered))
    recused = recusal.recused_case_ids(session, user.id)
    return [and_(part, Task.case_id.notin_(recused)) for part in parts] if recused else parts


def _offered_below(session: Session, user: User) -> ColumnElement[bool]:
    """Tasks offered to the supervisor's unit or a unit below it. The units are listed first (a
    few dozen ids), so the database reads each unit's range of the tasks' unit indexes."""
    return Task.candidate_unit_id.in_(units_below(session, user.unit_id))


def units_below(session: Session, unit_id: int) -> list[int]:
    """A unit and the units below it, read once per transaction (an inbox page builds the
    supervisor's condition for its count, each tab's count and the page; the overdue board
    counts each of them)."""
    known = session.info.setdefault("units_below", {})
    if unit_id not in known:
        path = _unit_path(session, unit_id)
        known[unit_id] = list(session.scalars(select(Unit.id).where(Unit.path.startswith(path))))
    return known[unit_id]


def counted_part(session: Session, user: User, scope: str) -> ColumnElement[bool] | None:
    """A part of `visible_clause(session, user, scope)` that an index counts alone (None: no
    such part): a county supervisor's tasks offered to the units below. When that part alone
    passes a count's cap, so do all the tasks they see, and the whole need not be counted."""
    if scope != "all" or "supervisor" not in user.roles:
        return None
    return _not_recused(session, user, _offered_below(session, user))


def _not_recused(session: Session, user: User, clause: ColumnElement[bool]):
    recused = recusal.recused_case_ids(session, user.id)
    return and_(clause, Task.case_id.notin_(recused)) if recused else clause


def may_see(session: Session, user: User, task: Task) -> bool:
    """The task is in the user's `all` scope."""
    return session.scalar(select(Task.id).where(Task.id == task.id,
                                                visible_clause(session, user, "all"))) is not None


def eligible(user: User, task: Task, session: Session | None = None) -> bool:
    """Could this user work the task if it were given to them (recusal included)?"""
    if not user.active:
        return False
    if session is not None and recusal.is_recused(session, user_id=user.id, case_id=task.case_id):
        return False
    if session is not None and case_units.person_bound(task):
        return case_units.eligible_for_person_task(session, user, task)
    if _offered_by_unit(user, task):
        return True
    if task.candidate_user_id is None and session is not None:
        if assignment.is_candidate(session, user.id, task.id):
            return True
        if task.candidate_unit_id is None and assignment.has_candidates(session, task.id):
            return False  # offered to its candidateUsers alone
    return task.candidate_unit_id is None and task.candidate_user_id in (None, user.id)


def eligible_users(session: Session, task: Task) -> list[User]:
    """Every user who could work the task (`eligible`, recused users left out), by login: the
    reassign list of a task offered to a unit or a person, and a form's person picker. A task
    offered to no one in particular is open to every active user (or to its candidate users)."""
    if task.candidate_unit_id is not None and task.candidate_user_id is not None:
        # Bound to one person, done for a unit: anyone of its subtree with the lane's role.
        path = session.scalar(select(Unit.path).where(Unit.id == task.candidate_unit_id))
        pool = session.scalars(select(User).join(Unit, Unit.id == User.unit_id).where(
            Unit.path.startswith(path), User.active.is_(True)))
    elif task.candidate_unit_id is not None:
        pool = session.scalars(select(User).where(User.unit_id == task.candidate_unit_id,
                                                  User.active.is_(True)))
    elif task.candidate_user_id is not None:
        pool = session.scalars(select(User).where(User.id == task.candidate_user_id))
    else:
        ids = assignment.candidate_ids(session, task.id)
        pool = session.scalars(select(User).where(User.active.is_(True), *(
            [User.id.in_(ids)] if ids else [])))
    recused = recusal.recused_user_ids(session, task.case_id)
    return sorted((u for u in pool if u.active and u.id not in recused
                   and eligible(u, task, session)), key=lambda u: u.username)
