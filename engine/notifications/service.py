"""Notify users in the app; list and mark read."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.notifications.models import Notification
from engine.org.models import Unit, User, UserRole


def supervisors_of(session: Session, unit_id: int) -> list[int]:
    """Active supervisors of a unit, or of the nearest unit above it that has any."""
    current: int | None = unit_id
    while current is not None:
        found = list(session.scalars(select(User.id).join(UserRole, UserRole.user_id == User.id)
                                     .where(User.unit_id == current, User.active.is_(True),
                                            UserRole.role == "supervisor")))
        if found:
            return found
        current = session.scalar(select(Unit.parent_id).where(Unit.id == current))
    return []


def notify(session: Session, *, user_ids: list[int], kind: str, message: str, now: datetime,
           case_id: int | None = None, task_id: str | None = None) -> None:
    """One notification per user."""
    for user_id in dict.fromkeys(user_ids):
        session.add(Notification(user_id=user_id, kind=kind, message=message, case_id=case_id,
                                 task_id=task_id, created_at=now))


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_for(session: Session, user_id: int, *, limit: int = 50) -> list[Notification]:
    """The user's newest notifications."""
    return list(session.scalars(select(Notification).where(Notification.user_id == user_id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc())
                                .limit(limit)))


def mark_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark every unread notification of the user as read."""
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount or 0
