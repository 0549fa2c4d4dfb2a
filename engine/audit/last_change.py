"""Who last changed a task, for a refusal that says so (a stale version, a finished task)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.models import AuditEvent
from engine.org.models import User
from engine.clock import Clock

# What a refusal may name (the rest of a task's events change nothing a form depends on).
CHANGES = ("task_claimed", "task_unclaimed", "task_completed", "task_reassigned", "task_moved",
           "task_transferred", "task_cancelled")


def of_task(session: Session, clock: Clock, task_id: str) -> dict:
    """`{"by": display name, "change": action, "at": "YYYY-MM-DD HH:MM"}` of the task's last
    change; empty strings when none is recorded."""
    event = session.scalar(select(AuditEvent).where(
        AuditEvent.task_id == task_id, AuditEvent.action.in_(CHANGES))
        .order_by(AuditEvent.id.desc()).limit(1))
    if event is None:
        return {"by": "", "change": "", "at": ""}
    name = session.scalar(select(User.display_name).where(User.username == event.actor))
    return {"by": name or event.actor, "change": event.action,
            "at": clock.local(event.at).strftime("%Y-%m-%d %H:%M")}
