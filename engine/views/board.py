"""The overdue board: red tasks under a supervisor's unit, per township."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, literal, select, union_all
from sqlalchemy.orm import Session

from engine.errors import Forbidden, NotFound
from engine.access import authority
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.admin import service as admin
from engine.deadlines.service import EXTENSION_PROCESS
from engine.processes.models import ProcessInstance


# A unit's count stops here (the board shows "1000+"): counting every red task of a township
# with a million open cases took 300 ms a page (bench/RESULTS.md, issue 28).
BOARD_CAP = 1_000
# The rows a board lists, about: a township's supervisor sees its PER_TOWNSHIP most overdue
# tasks, a county's its ten groups' 20 each (500 rows were 269 KB of page, the slowest part of
# it at 1,000,000 cases), and one group of theirs at PER_TOWNSHIP (`township`).
PAGE_ROWS = 200
PER_TOWNSHIP = 50
MIN_PER_TOWNSHIP = 10


def overdue_board(session: Session, *, user: User, now: datetime,
                  per_township: int | None = None, township: str | None = None) -> list[dict]:
    """Open tasks overdue as their workers feel it (`inbox.overdue_clause`) that the supervisor
    oversees, grouped by the township of
    the unit they are offered to (a unit outside every township stands for itself): each group
    with its unit, its count (`capped`: more than BOARD_CAP) and its `per_township` most overdue
    tasks (default: PAGE_ROWS shared by the groups, PER_TOWNSHIP at most, MIN_PER_TOWNSHIP at
    least), most overdue groups first. `township`: that group alone (a unit's code)."""
    if "supervisor" not in user.roles:
        raise Forbidden("the overdue board is for supervisors", reason="board_forbidden")
    below = authority.units_below(session, user.unit_id)
    units = {u.id: u for u in session.scalars(select(Unit))}
    if township is not None:
        chosen = next((units[u] for u in below if units[u].code == township), None)
        if chosen is None or _township(units, chosen.id).id != chosen.id:
            raise NotFound("unit %(unit)r not found", reason="unit_not_found",
                           params={"unit": township})
        below = [u for u in below if _township(units, u).id == chosen.id]
    red = and_(Task.status == "open", inbox.overdue_clause(now),
               authority.visible_clause(session, user, "all"))
    # Each unit counted up to the cap from its range of the open tasks' unit index, read in due
    # order so that it stops there (unordered, PostgreSQL gathered a bitmap of the unit's every
    # open task first: ~19 ms for a township's 90,930), a hundred units a statement (SQLite
    # allows 500 arms in a compound select).
    arms = [select(literal(unit_id).label("unit"), func.count().label("n")).select_from(
        select(Task.id).where(red, Task.candidate_unit_id == unit_id)
        .order_by(*inbox.DUE_ORDER).limit(BOARD_CAP + 1).subquery()) for unit_id in below]
    counts = {unit: n for first in range(0, len(arms), 100)
              for unit, n in session.execute(union_all(*arms[first:first + 100])).all() if n}
    if not counts:
        return []
    group_of = {unit_id: _township(units, unit_id) for unit_id in counts}
    groups: dict[int, dict] = {}
    for unit_id, n in counts.items():
        group = groups.setdefault(group_of[unit_id].id, {"unit": group_of[unit_id], "count": 0,
                                                         "tasks": []})
        group["count"] += n
    if per_township is None:
        per_township = max(MIN_PER_TOWNSHIP, min(PER_TOWNSHIP, PAGE_ROWS // len(groups)))
    members: dict[int, list[int]] = {}
    for unit_id, group in group_of.items():
        members.setdefault(group.id, []).append(unit_id)
    listed = _most_overdue(session, red, members, per_township)
    for group_id, group in groups.items():
        group["capped"] = group["count"] > BOARD_CAP
        group["count"] = min(group["count"], BOARD_CAP)
        group["tasks"] = listed.get(group_id, [])
    return sorted(groups.values(), key=lambda g: (-g["count"], g["unit"].code))


def _most_overdue(session: Session, red, members: dict[int, list[int]],
                  n: int) -> dict[int, list[Task]]:
    """Per group (the units it holds), its `n` most overdue red tasks: without a due time of
    their own (their case's deadline is overdue) first, then by due time. Each group's untimed
    and each unit's timed tasks are read in the order of an index range, stopping at `n`, never
    sorting all of its red tasks; all of them in one statement a hundred ranges (a county's
    board read them in 45 statements)."""
    def first(where, order):
        ranked = select(Task.id).where(red, where).order_by(*order).limit(n).subquery()
        return select(ranked.c.id).select_from(ranked)
    arms = [first(and_(Task.candidate_unit_id.in_(units), Task.due_at.is_(None)),
                  (Task.created_at, Task.id)) for units in members.values()]
    arms += [first(and_(Task.candidate_unit_id == unit_id, Task.due_at.isnot(None)),
                   (Task.due_at, Task.created_at, Task.id))
             for units in members.values() for unit_id in units]
    group_of = {unit_id: group_id for group_id, units in members.items() for unit_id in units}
    listed: dict[int, list[Task]] = {}
    for start in range(0, len(arms), 100):
        ids = union_all(*arms[start:start + 100]).subquery()
        for task in session.scalars(select(Task).join(ids, Task.id == ids.c.id)):
            listed.setdefault(group_of[task.candidate_unit_id], []).append(task)
    return {group_id: sorted(tasks, key=lambda t: (t.due_at is not None, t.due_at or t.created_at,
                                                   t.created_at, t.id))[:n]
            for group_id, tasks in listed.items()}


def _township(units: dict[int, Unit], unit_id: int) -> Unit:
    """The township the unit is or lies in; the unit itself when it is in none."""
    unit = units[unit_id]
    for ancestor in reversed([int(i) for i in unit.path.strip("/").split("/") if i]):
        if ancestor in units and units[ancestor].kind == "township":
            return units[ancestor]
    return unit


def common_assignees(session: Session, *, user: User, task_ids: list[str]) -> list[dict]:
    """Who may be given every one of these tasks (eligible, never recused), for a supervisor
    over all of them."""
    common: dict[str, dict] | None = None
    for task_id in dict.fromkeys(task_ids):
        found = {u["username"]: u for u in admin.eligible_assignees(session, user=user,
                                                                    task_id=task_id)}
        common = found if common is None else {k: v for k, v in common.items() if k in found}
    return sorted((common or {}).values(), key=lambda u: u["username"])


def extension_requests(session: Session, *, user: User) -> list[tuple[Task, dict]]:
    """Open approvals of deadline extensions this user may decide, oldest first, each with the
    request (who asked, which deadline, how much more time, why)."""
    rows = session.execute(select(Task, ProcessInstance.data).join(
        ProcessInstance, ProcessInstance.id == Task.instance_id).where(
        Task.status == "open", Task.process_key == EXTENSION_PROCESS,
        authority.visible_clause(session, user, "all")).order_by(Task.created_at, Task.id)).all()
    return [(task, data or {}) for task, data in rows if authority.may_work(user, task, session)]
