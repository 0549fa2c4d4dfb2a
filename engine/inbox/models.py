"""Inbox rows: ready human tasks copied out of the workflow so the inbox is a SQL query."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_unit_status_due", "candidate_unit_id", "status", "due_at"),
        Index("ix_tasks_assignee_status_due", "assignee_id", "status", "due_at"),
        # The inbox (a unit's open tasks, soonest due first): only open rows, in page order,
        # with the role, so counting and paging never visit the table (bench: 1,000,000 open).
        Index("ix_tasks_open_unit_due", "candidate_unit_id", "due_at", "created_at", "id",
              "candidate_role", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
        # Everything a county supervisor sees, soonest due first: the first page is the first
        # rows of this index that pass their visibility (bench: 100,000 open, issue 28).
        Index("ix_tasks_open_due", "due_at", "created_at", "id",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        # An instance's open tasks (every save reads them): however many it has completed.
        Index("ix_tasks_open_instance", "instance_id", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
        # The inbox search's step names: every distinct name, one probe each (a loose scan).
        Index("ix_tasks_name", "name"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine's task id
    instance_id: Mapped[str] = mapped_column(ForeignKey("process_instances.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    element_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="user")
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, completed, cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    candidate_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    candidate_role: Mapped[str | None] = mapped_column(String(32))
    # Set when the process has no lane mapping: the task is offered to its starter only.
    candidate_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # From this instant the task is yellow; from due_at it is red.
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_key: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)
    properties: Mapped[dict] = mapped_column(JSONType, default=dict)


class SavedFilter(Base):
    """A user's named inbox filter (the query string of the inbox page)."""
    __tablename__ = "saved_filters"
    __table_args__ = (Index("ux_saved_filters_user_name", "user_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    query: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TaskCandidateUser(Base):
    """A person a task is offered to by name (BPMN `candidateUsers`): any of them may claim it."""
    __tablename__ = "task_candidate_users"

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"),
                                         primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
