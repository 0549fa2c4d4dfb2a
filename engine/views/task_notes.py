"""The notes block of the task page: the case's comments (办理意见) and the user's follow-up
date (提醒日期) on the task."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.inbox import service as inbox
from engine.org.models import User
from engine.runtime import Runtime
from engine.worknotes import service as worknotes


def notes_view(session: Session, runtime: Runtime, *, user: User, task_id: str) -> dict:
    """Comments of the task's case, oldest first, and the user's follow-up date on it."""
    task = inbox.get_task(session, user=user, task_id=task_id)
    return {"task_id": task.id, "open": task.status == "open",
            "comments": worknotes.comments_for(session, runtime, task),
            "remind_on": worknotes.follow_up_of(session, user=user, task_id=task.id),
            "comment_max": worknotes.COMMENT_MAX}
