"""Append audit events; read a case's or an instance's history; who viewed which case."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import chain
from engine.audit.models import AuditEvent

VIEWED = "case_viewed"


def record(session: Session, *, at: datetime, actor: str, action: str, case_id: int | None = None,
           instance_id: str | None = None, task_id: str | None = None,
           task_name: str | None = None, detail: dict | None = None) -> AuditEvent:
    """Append one event (`action` is subject_past_tense_verb, e.g. task_completed); it is
    written, chained, when the transaction commits."""
    event = AuditEvent(at=at, actor=actor, action=action, case_id=case_id,
                       instance_id=instance_id, task_id=task_id, task_name=task_name,
                       detail=detail or {})
    chain.pending(session, event)
    return event


def history(session: Session, *, case_id: int | None = None,
            instance_id: str | None = None, actions=None) -> list[AuditEvent]:
    """Events of a case (or an instance), oldest first; reads of the case are listed apart;
    `actions` keeps only events of those kinds."""
    stmt = select(AuditEvent).where(AuditEvent.action != VIEWED)
    if case_id is not None:
        stmt = stmt.where(AuditEvent.case_id == case_id)
    if instance_id is not None:
        stmt = stmt.where(AuditEvent.instance_id == instance_id)
    if actions is not None:
        stmt = stmt.where(AuditEvent.action.in_(list(actions)))
    return list(session.scalars(stmt.order_by(AuditEvent.at, AuditEvent.id)))


def history_count(session: Session, *, case_id: int) -> int:
    """How many events a case's history holds (reads of the case left out, as in `history`)."""
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.action != VIEWED))


def history_part(session: Session, *, case_id: int, offset: int,
                 limit: int) -> list[AuditEvent]:
    """`limit` events of a case's history from the `offset`-th, oldest first: a page of a long
    history costs the page, not the history."""
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case_id, AuditEvent.action != VIEWED)
        .order_by(AuditEvent.at, AuditEvent.id).offset(max(offset, 0)).limit(limit)))


def record_view(session: Session, *, at: datetime, actor: str, case_id: int, via: str,
                record_id: int | None = None) -> None:
    """Note that `actor` read a case's details (`via` names what was read: case, petition)."""
    record(session, at=at, actor=actor, action=VIEWED, case_id=case_id,
           detail={"via": via, "id": record_id} if record_id is not None else {"via": via})
