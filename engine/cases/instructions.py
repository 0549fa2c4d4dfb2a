"""批示: a supervisor's written instruction on a case. It is an audit event (who, when, what),
shown on the case record to whoever holds one of the case's tasks, and sent to them as a
notification."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.audit import service as audit
from engine.audit.models import AuditEvent
from engine.errors import Invalid
from engine import notes
from engine.inbox.models import Task
from engine.notifications import service as notifications
from engine.org.models import User
from engine.runtime import Runtime

ACTION = "case_instructed"
MAX_LENGTH = 4000


def give(session: Session, runtime: Runtime, *, user: User, case_id: int,
         text: str) -> AuditEvent:
    """A supervisor over the case writes an instruction on it (audited; the holders of its open
    tasks are notified)."""
    case = case_access.supervised_case(session, user, case_id)
    text = (text or "").strip()
    if not text:
        raise Invalid("write the instruction", reason="instruction_text_required",
                      fields={"text": [notes.note("required")]})
    if len(text) > MAX_LENGTH:
        raise Invalid("the instruction is longer than %(max)s characters",
                      reason="instruction_text_too_long", params={"max": MAX_LENGTH},
                      fields={"text": [notes.note("too_long")]})
    now = runtime.clock.now()
    event = audit.record(session, at=now, actor=user.username, action=ACTION, case_id=case.id,
                         detail={"text": text})
    holders = [i for i in session.scalars(select(Task.assignee_id).where(
        Task.case_id == case.id, Task.status == "open", Task.assignee_id.is_not(None)))
        if i != user.id]
    if holders:
        notifications.notify(session, user_ids=holders, kind="instructed", now=now,
                             case_id=case.id,
                             message=f"{case.number} {user.display_name or user.username} "
                                     f"批示：{text[:200]}")
    return event
