"""Who a task with BPMN assignment attributes is offered to (API.md "Authority").

The attributes (`engine/workflow/assignment.py`) are honoured only where the task's lane maps to
nothing (a lane mapping wins). Resolved when the task is created:

- `assignee` names a user (username): the task is assigned to them, and stays offered to them
  alone when they give it back (unless candidates are named too);
- `candidateUsers` names users: each of them may see and claim it (`task_candidate_users`);
- `candidateGroups` names role codes (`caseworker`) and unit codes (`county-office`): one role
  in one unit. A role alone is the role in the case's handling unit, or in the unit of whoever
  started the instance; a unit alone is anyone of that unit. With candidateUsers too, either may
  claim it.

A name that is no active user, role or unit is left out (deploy warns about literal ones); when
nothing is left, the task goes where it would without the attributes (the starter).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, false, select
from sqlalchemy.orm import Session

from engine import db
from engine.cases.models import Case
from engine.inbox.models import Task, TaskCandidateUser
from engine.org.models import ROLES, Unit, User
from engine.workflow import assignment as bpmn_assignment
from engine.workflow.problems import Problem


@dataclass(frozen=True)
class Offer:
    assignee_id: int | None = None
    user_id: int | None = None  # offered to this user alone
    users: tuple[int, ...] = ()  # candidate users
    unit_id: int | None = None
    role: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.assignee_id or self.user_id or self.users or self.unit_id)


def _user_ids(session: Session, names) -> dict[str, int]:
    names = [n for n in names if n]
    if not names:
        return {}
    return dict(session.execute(select(User.username, User.id).where(
        User.username.in_(names), User.active.is_(True))).all())


def _unit_ids(session: Session, codes) -> dict[str, int]:
    codes = [c for c in codes if c and c not in ROLES]
    if not codes:
        return {}
    return dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(codes))).all())


def offer(session: Session, resolved: bpmn_assignment.Resolved, *, starter_id: int | None,
          case_id: int | None) -> Offer:
    """Where a task goes by its resolved assignment; empty when no name is known here."""
    if resolved.empty:
        return Offer()
    ids = _user_ids(session, [resolved.assignee, *resolved.candidate_users])
    assignee = ids.get(resolved.assignee) if resolved.assignee else None
    users = tuple(ids[n] for n in resolved.candidate_users if n in ids)
    roles = [g for g in resolved.candidate_groups if g in ROLES]
    units = _unit_ids(session, resolved.candidate_groups)
    unit_codes = [g for g in resolved.candidate_groups if g in units]
    role = roles[0] if roles else None  # several: the first (deploy warns)
    unit_id = units[unit_codes[0]] if unit_codes else None
    if role is not None and unit_id is None:
        unit_id = _home_unit(session, starter_id, case_id)
    if role is None and unit_id is None and not users:
        return Offer(assignee_id=assignee, user_id=assignee)
    return Offer(assignee_id=assignee, users=users, unit_id=unit_id, role=role)


def _home_unit(session: Session, starter_id: int | None, case_id: int | None) -> int | None:
    """The unit a role named alone is taken in: the case's handling unit, else the starter's."""
    if case_id is not None:
        unit = session.scalar(select(Case.handling_unit_id).where(Case.id == case_id))
        if unit is not None:
            return unit
    if starter_id is None:
        return None
    return session.scalar(select(User.unit_id).where(User.id == starter_id))


def record(session: Session, task: Task, users: tuple[int, ...]) -> None:
    """Write a new task's candidate users."""
    for user_id in users:
        session.add(TaskCandidateUser(task_id=task.id, user_id=user_id))


def candidate_ids(session: Session, task_id: str) -> list[int]:
    return list(session.scalars(select(TaskCandidateUser.user_id).where(
        TaskCandidateUser.task_id == task_id)))


def is_candidate(session: Session, user_id: int, task_id: str) -> bool:
    """Named in the task's candidateUsers."""
    return session.scalar(select(TaskCandidateUser.user_id).where(
        TaskCandidateUser.task_id == task_id, TaskCandidateUser.user_id == user_id)) is not None


def has_candidates(session: Session, task_id: str) -> bool:
    return session.scalar(select(exists().where(TaskCandidateUser.task_id == task_id))) or False


def candidate_clause(session: Session, user_id: int) -> ColumnElement[bool]:
    """SQL: the task names the user among its candidateUsers. The ids are read first: most
    users are named nowhere (then the inbox query is unchanged), and a literal id list keeps
    the query on its indexes where a subquery inside the inbox's OR would scan every task."""
    ids = db.once_per_read(session, ("named", user_id), lambda: list(session.scalars(
        select(TaskCandidateUser.task_id).where(TaskCandidateUser.user_id == user_id))))
    return Task.id.in_(ids) if ids else false()


def warnings(session: Session, human_tasks: dict[str, dict]) -> list[Problem]:
    """Deploy warnings: literal names in assignment attributes that are no user, role or unit
    here, and candidateGroups naming several roles or units (only the first is used)."""
    found: list[Problem] = []
    for element_id, info in human_tasks.items():
        attrs = info.get("assignment") or {}
        people = {a: bpmn_assignment.literals(a, attrs[a])
                  for a in ("assignee", "candidateUsers") if a in attrs}
        known = _user_ids(session, [n for names in people.values() for n in names])
        for attribute, names in people.items():
            for name in names:
                if name not in known:
                    found.append(Problem.coded("assignee_unknown", element_id=element_id,
                                               attribute=attribute, value=name))
        groups = bpmn_assignment.literals("candidateGroups", attrs.get("candidateGroups", ""))
        units = _unit_ids(session, groups)
        for group in groups:
            if group not in ROLES and group not in units:
                found.append(Problem.coded("candidate_group_unknown", element_id=element_id,
                                           value=group))
        for names in ([g for g in groups if g in ROLES], [g for g in groups if g in units]):
            if len(names) > 1:
                found.append(Problem.coded("candidate_group_ambiguous", element_id=element_id,
                                           values=", ".join(names), used=names[0]))
    return found
