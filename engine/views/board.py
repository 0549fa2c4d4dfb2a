"""The overdue board: red tasks under a supervisor's unit, per township."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine.errors import Forbidden
from engine.access import authority
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.admin import service as admin
from engine.deadlines.service import EXTENSION_PROCESS
from engine.processes.models import ProcessInstance


def overdue_board(session: Session, *, user: User, now: datetime,
                  per_township: int = 50) -> list[dict]:
    """Open tasks overdue as their workers feel it (`inbox.overdue_clause`) that the supervisor
    oversees, grouped by the township of
    the unit they are offered to (a unit outside every township stands for itself): each group
    with its unit, its count and its `per_township` most overdue tasks, most overdue groups first."""
    if "supervisor" not in user.roles:
        raise Forbidden("the overdue board is for supervisors", reason="board_forbidden")
    path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id))
    red = and_(Task.status == "open", inbox.overdue_clause(now),
               Task.candidate_unit_id.in_(select(Unit.id).where(Unit.path.startswith(path))),
               authority.visible_clause(session, user, "all"))
    counts = dict(session.execute(select(Task.candidate_unit_id, func.count())
                                  .where(red).group_by(Task.candidate_unit_id)).all())
    if not counts:
        return []
    units = {u.id: u for u in session.scalars(select(Unit))}
    group_of = {unit_id: _township(units, unit_id) for unit_id in counts}
    groups: dict[int, dict] = {}
    for unit_id, n in counts.items():
        group = groups.setdefault(group_of[unit_id].id, {"unit": group_of[unit_id], "count": 0,
                                                         "tasks": []})
        group["count"] += n
    for group_id, group in groups.items():
        members = [u for u, g in group_of.items() if g.id == group_id]
        group["tasks"] = list(session.scalars(select(Task).where(
            red, Task.candidate_unit_id.in_(members)).order_by(Task.due_at.asc().nulls_first(), Task.id)
            .limit(per_township)))
    return sorted(groups.values(), key=lambda g: (-g["count"], g["unit"].code))


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
