"""Deployed BPMN sources, process definition versions and process instances."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime


class BpmnSource(Base):
    """One BPMN file's bytes, stored once however many processes and versions use it."""
    __tablename__ = "bpmn_sources"

    checksum: Mapped[str] = mapped_column(String(64), primary_key=True)
    file_name: Mapped[str] = mapped_column(String(255))
    xml: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    version: Mapped[int] = mapped_column(Integer)
    # The checksum of the file that holds the process: an unchanged file is not re-versioned.
    checksum: Mapped[str] = mapped_column(String(64), index=True)
    source_checksum: Mapped[str] = mapped_column(ForeignKey("bpmn_sources.checksum"))
    # Sources of call-activity targets defined in other files, pinned at deploy time.
    dependency_checksums: Mapped[list] = mapped_column(JSONType, default=list)
    # Identifies the parsed spec (process key + every source it needs): the spec cache key.
    spec_checksum: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deployed_by: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    # {process key: {lane: rule}} kept with the version: drawn on the file's lanes at deploy,
    # or config.yaml's as it was when migration 0031 ran. A lane absent here falls back to
    # config.yaml `lanes:` (API.md "Authority").
    lanes: Mapped[dict | None] = mapped_column(JSONType, nullable=True)


class ProcessInstance(Base):
    __tablename__ = "process_instances"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(255), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)  # running, completed, error, withdrawn
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Serialized workflow state without the spec (the spec lives once, in bpmn_sources). Read
    # only when the workflow is not cached at this revision, so it is not loaded with the row.
    state: Mapped[str] = mapped_column(Text, deferred=True)
    serializer_version: Mapped[str] = mapped_column(String(16))
    # Bumped on every save; a loaded workflow is reused only at the same revision.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    data: Mapped[dict] = mapped_column(JSONType, default=dict)
    error_element_id: Mapped[str | None] = mapped_column(String(255))
    error_message: Mapped[str | None] = mapped_column(Text)


class TestRun(Base):
    """A designer's throwaway run of a draft: only here, so any web process can continue it.

    Nothing else is written for it (no instance, task, timer, deadline or audit row); rows not
    touched for a day are deleted when a designer starts another."""
    __tablename__ = "test_runs"
    __test__ = False  # not a pytest class

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    process_key: Mapped[str] = mapped_column(String(255))
    # The draft and the deployed files its call activities need: [[file name, XML], ...].
    sources: Mapped[list] = mapped_column(JSONType)
    sources_checksum: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text)
    now: Mapped[datetime] = mapped_column(UTCDateTime)
    completed: Mapped[list] = mapped_column(JSONType, default=list)  # element ids, in order
    # Each step taken ({"kind": "task", "element_id", "data", ...} or {"kind": "timers", ...})
    # and, at the same index, what the run was before it ({"state", "completed", "now"}).
    steps: Mapped[list] = mapped_column(JSONType, default=list)
    history: Mapped[list] = mapped_column(JSONType, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TestCase(Base):
    """A test-run saved by name for a process: its steps and what each met, replayed against a
    later draft to see what an edit changed."""
    __tablename__ = "test_cases"
    __table_args__ = (UniqueConstraint("process_key", "name"),)
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    process_key: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    steps: Mapped[list] = mapped_column(JSONType)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
