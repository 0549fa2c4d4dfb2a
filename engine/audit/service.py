"""Append audit events; read a case's or an instance's history."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit.models import AuditEvent


def record(session: Session, *, at: datetime, actor: str, action: str, case_id: int | None = None,
           instance_id: str | None = None, task_id: str | None = None,
           task_name: str | None = None, detail: dict | None = None) -> AuditEvent:
    """Append one event (`action` is subject_past_tense_verb, e.g. task_completed)."""
    event = AuditEvent(at=at, actor=actor, action=action, case_id=case_id,
                       instance_id=instance_id, task_id=task_id, task_name=task_name,
                       detail=detail or {})
    session.add(event)
    return event


def history(session: Session, *, case_id: int | None = None,
            instance_id: str | None = None) -> list[AuditEvent]:
    """Events of a case (or an instance), oldest first."""
    stmt = select(AuditEvent)
    if case_id is not None:
        stmt = stmt.where(AuditEvent.case_id == case_id)
    if instance_id is not None:
        stmt = stmt.where(AuditEvent.instance_id == instance_id)
    return list(session.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id)))
