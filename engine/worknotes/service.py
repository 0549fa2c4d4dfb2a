"""Comments on tasks (办理意见) and follow-up dates (提醒日期)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case as when, exists, select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.errors import Invalid
from engine import notes
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org.models import User
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.worknotes.models import TaskComment, TaskFollowUp

COMMENT_MAX = 2000


def add_comment(uow: UnitOfWork, *, runtime: Runtime, user: User, task_id: str,
                body: str) -> TaskComment:
    """Comment on a task the user may see; audited, shown to every later handler of the case."""
    session = uow.session
    task = inbox.get_task(session, user=user, task_id=task_id)
    text = (body or "").strip()
    if not text:
        raise Invalid("Write the comment.", reason="comment_required",
                      fields={"body": [notes.note("required")]})
    if len(text) > COMMENT_MAX:
        raise Invalid("The comment has %(length)s characters; at most %(max)s are allowed.",
                      reason="comment_too_long", params={"length": len(text), "max": COMMENT_MAX},
                      fields={"body": [notes.note("max_length", max=COMMENT_MAX)]})
    now = runtime.clock.now()
    row = TaskComment(task_id=task.id, task_name=task.name, case_id=task.case_id,
                      instance_id=task.instance_id, author_id=user.id, body=text, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="task_commented",
                 case_id=task.case_id, instance_id=task.instance_id, task_id=task.id,
                 task_name=task.name, detail={"comment": row.id})
    return row


def comments_for(session: Session, runtime: Runtime, task: Task) -> list[dict]:
    """The comments of the task's case (or process instance when it has no case), oldest
    first, with their authors' names and the step each was written on."""
    where = TaskComment.case_id == task.case_id if task.case_id is not None \
        else TaskComment.instance_id == task.instance_id
    rows = session.execute(select(TaskComment, User.username, User.display_name)
                           .join(User, User.id == TaskComment.author_id)
                           .where(where).order_by(TaskComment.id)).all()
    return [{"id": c.id, "task_id": c.task_id, "task_name": c.task_name, "author": username,
             "author_name": name or username, "body": c.body,
             "created_at": runtime.clock.local(c.created_at)}
            for c, username, name in rows]


def set_follow_up(uow: UnitOfWork, *, runtime: Runtime, user: User, task_id: str,
                  remind_on: date | None) -> TaskFollowUp | None:
    """Set (or with None clear) the user's follow-up date on a task they may see."""
    session = uow.session
    task = inbox.get_task(session, user=user, task_id=task_id)
    row = session.scalar(select(TaskFollowUp).where(TaskFollowUp.user_id == user.id,
                                                    TaskFollowUp.task_id == task.id))
    if remind_on is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = TaskFollowUp(user_id=user.id, task_id=task.id, remind_on=remind_on,
                           updated_at=runtime.clock.now())
        session.add(row)
    row.remind_on = remind_on
    row.updated_at = runtime.clock.now()
    session.flush()
    return row


def follow_up_of(session: Session, *, user: User, task_id: str) -> date | None:
    """The user's follow-up date on a task, if any."""
    return session.scalar(select(TaskFollowUp.remind_on).where(
        TaskFollowUp.user_id == user.id, TaskFollowUp.task_id == task_id))


def follow_ups(session: Session, *, user: User, task_ids: list[str]) -> dict[str, date]:
    """The user's follow-up dates on these tasks."""
    if not task_ids:
        return {}
    return dict(session.execute(select(TaskFollowUp.task_id, TaskFollowUp.remind_on).where(
        TaskFollowUp.user_id == user.id, TaskFollowUp.task_id.in_(task_ids))).all())


def due_first(user: User, today: date) -> list:
    """ORDER BY clauses that put the user's tasks whose follow-up day has come first (the
    earliest such day first); the rest keep their order."""
    due = select(TaskFollowUp.remind_on).where(
        TaskFollowUp.task_id == Task.id, TaskFollowUp.user_id == user.id,
        TaskFollowUp.remind_on <= today).correlate(Task).scalar_subquery()
    come = exists().where(and_(TaskFollowUp.task_id == Task.id, TaskFollowUp.user_id == user.id,
                               TaskFollowUp.remind_on <= today)).correlate(Task)
    return [when((come, 0), else_=1), due.asc().nulls_last()]


