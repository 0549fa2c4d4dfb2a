"""Comments on tasks and personal follow-up dates."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class TaskComment(Base):
    """A handler's comment (办理意见) on a task; shown on every task page of the same case (or
    the same process instance when there is no case), newest last."""
    __tablename__ = "task_comments"
    __table_args__ = (Index("ix_task_comments_case", "case_id", "id"),
                      Index("ix_task_comments_instance", "instance_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))
    task_name: Mapped[str] = mapped_column(String(255))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskFollowUp(Base):
    """A user's follow-up date (提醒日期) on a task: from that day the task leads "my tasks"."""
    __tablename__ = "task_follow_ups"
    __table_args__ = (Index("ux_task_follow_ups_user_task", "user_id", "task_id", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    remind_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
