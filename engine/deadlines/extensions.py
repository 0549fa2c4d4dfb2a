"""Asking for more time on a task's deadline: starts the approval process (whose outcome
`deadlines.instance_completed` applies); above both the deadlines and the process services."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import authority
from engine.audit import service as audit
from engine.deadlines import service as deadlines
from engine.deadlines.models import Deadline
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.processes import service as processes
from engine.runtime import Runtime
from engine.uow import UnitOfWork


def _deadline_of_task(session: Session, task_id: str) -> Deadline:
    row = session.scalar(select(Deadline).where(Deadline.task_id == task_id,
                                                Deadline.status.in_(("open", "breached",
                                                                     "suspended"))))
    if row is None:
        raise Invalid("this task has no running deadline", reason="deadline_none_running",
                      fields={"task": [notes.note("no_deadline")]})
    return row


def request_extension(uow: UnitOfWork, *, runtime: Runtime, task_id: str, user: User,
                      amount: int, unit: str, reason: str):
    """Ask the unit's supervisor for more time: starts an approval task; returns it."""
    session = uow.session
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task %(id)s not found", reason="task_not_found", params={"id": task_id})
    if not authority.may_work(user, task, session) and not authority.may_supervise(session, user, task):
        raise Forbidden("you may not ask for more time on this task", reason="extension_forbidden")
    if unit not in ("working_days", "days"):
        raise Invalid("unit must be working_days or days", reason="extension_unit_invalid",
                      fields={"unit": [notes.note("invalid")]})
    if not 1 <= amount <= 366:
        raise Invalid("amount must be between 1 and 366", reason="extension_amount_range",
                      fields={"amount": [notes.note("out_of_range")]})
    if not reason.strip():
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    row = _deadline_of_task(session, task_id)
    if not deadlines.key_config(runtime, row.key).get("extendable"):
        raise Invalid("deadline %(key)s cannot be extended", reason="deadline_not_extendable",
                      params={"key": row.key}, fields={"task": [notes.note("not_extendable")]})
    unit_id = task.candidate_unit_id or user.unit_id
    code = session.scalar(select(Unit.code).where(Unit.id == unit_id))
    data = {"deadline_id": row.id, "task_id": task_id, "deadline_key": row.key,
            "amount": amount, "time_unit": unit, "reason": reason,
            "requested_by": user.username, "approver_unit": code}
    _, created = processes.start_instance(uow, runtime=runtime, key=deadlines.EXTENSION_PROCESS, data=data,
                                          user=user, case_id=task.case_id)
    audit.record(session, at=runtime.clock.now(), actor=user.username,
                 action="deadline_extension_requested", case_id=task.case_id,
                 instance_id=task.instance_id, task_id=task_id, task_name=task.name,
                 detail={"key": row.key, "amount": amount, "unit": unit, "reason": reason})
    if not created:
        raise Invalid("the approval process offered no task", reason="extension_misconfigured",
                      fields={"task": [notes.note("misconfigured")]})
    return created[0]
