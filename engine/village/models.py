"""Village matters (one per run of a village process), their meetings and steps as rows, rule
overrides, and disclosure items (村务公开)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime

# The village processes (bpmn/village_<kind>.bpmn; files stay flat with the village_ prefix).
MATTER_KINDS = ("four_two", "asset_lease", "project_award", "subsidy", "seal", "expense",
                "homestead")
MATTER_STATUSES = ("running", "finished")
# What is published: village decisions and results, periodic statistics, typical cases.
DISCLOSURE_KINDS = ("decision", "result", "statistics", "typical_case")
# draft (being written or sent back), pending (awaiting approval), approved (exported),
# withdrawn (removed from the next export), refused.
DISCLOSURE_STATUSES = ("pending", "approved", "withdrawn")


class VillageMatter(Base):
    """One matter decided or handled by a village through its process."""
    __tablename__ = "village_matters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the village
    kind: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    facts: Mapped[dict] = mapped_column(JSONType, default=dict)  # what the steps recorded
    status: Mapped[str] = mapped_column(String(16), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VillageMeeting(Base):
    """A meeting's record: failed quorum or vote included (the meeting is then held again)."""
    __tablename__ = "village_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("village_matters.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))  # the task's element id (which meeting)
    body: Mapped[str] = mapped_column(String(100))  # the task's name (党支部会, 村民代表会议, …)
    held_on: Mapped[date] = mapped_column(Date)
    members: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    votes_for: Mapped[int] = mapped_column(Integer)
    votes_against: Mapped[int] = mapped_column(Integer)
    votes_abstain: Mapped[int] = mapped_column(Integer)
    quorum_met: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)
    resolution: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VillageStep(Base):
    """A step done on a matter (what its form recorded), in order."""
    __tablename__ = "village_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("village_matters.id"), index=True)
    step: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="done")  # done, agreed, objected
    facts: Mapped[dict] = mapped_column(JSONType, default=dict)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class VillageOverride(Base):
    """A supervisor let a broken rule pass, with a reason; it became a clue."""
    __tablename__ = "village_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("village_matters.id"), index=True)
    rule: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DisclosureItem(Base):
    """An item to publish on the public website (村务公开, 通报曝光)."""
    __tablename__ = "disclosure_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # village/township
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("village_matters.id"))
    # 点名通报: the accused is named only when the decision says so; otherwise "王某".
    accused_name: Mapped[str] = mapped_column(String(100), default="")
    name_publicly: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
