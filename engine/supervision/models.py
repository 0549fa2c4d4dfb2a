"""Daily supervision (seeds 002, 000 items 10-13, 003, 004): inspections and their findings,
rectification of each finding with closing (销号), and the interference register (干预插手留痕)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime

# 专项督查 / 随机抽查 / 交叉检查 / 明察暗访 / 巡察 (patrol: double feedback to township and village)
INSPECTION_KINDS = ("special", "random", "cross", "unannounced", "patrol")
INSPECTION_STATUSES = ("planned", "carried_out", "findings_recorded", "approved")
# recorded (inspection not yet approved), measures (the unit states its measures), rectifying,
# verifying (reported done, the inspecting unit checks), closed (销号)
FINDING_STATUSES = ("recorded", "measures", "rectifying", "verifying", "closed")
# What an entry of a finding's rectification history says.
ENTRY_KINDS = ("measures", "progress", "supervision", "verified", "refused")
# Matters of the interference register (seed 003 双十条 part 2 item 6).
INTERFERENCE_MATTERS = ("projects", "enforcement", "public_trading", "justice", "finance",
                        "land", "appointments", "audit")


class Inspection(Base):
    """One inspection (检查) by a unit of some target units; numbered per unit and year."""
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The readable number shown to people (numbers.format), e.g. 甲镇纪委〔2026〕线索12号.
    display_number: Mapped[str | None] = mapped_column(String(128))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text, default="")  # 检查内容
    targets: Mapped[list] = mapped_column(JSONType, default=list)  # unit codes
    inspectors: Mapped[list] = mapped_column(JSONType, default=list)  # usernames
    planned_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    report: Mapped[str] = mapped_column(Text, default="")  # 检查工作情况
    carried_out_on: Mapped[date | None] = mapped_column(Date)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Finding(Base):
    """A problem found (发现的问题), its own row: the unit, what, evidence, suggestion, who is
    responsible and by when; rectified and closed (销号) one by one."""
    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The readable number shown to people (numbers.format), e.g. 甲镇纪委〔2026〕线索12号.
    display_number: Mapped[str | None] = mapped_column(String(128))
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # 问题单位
    # Patrol findings: the township committee that supervises the village's rectification.
    supervising_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(32), default="other")
    description: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str] = mapped_column(Text, default="")
    responsible_person: Mapped[str] = mapped_column(String(100))
    time_limit_days: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A finding about a person can become a clue.
    person_name: Mapped[str] = mapped_column(String(100), default="")
    person_post: Mapped[str] = mapped_column(String(100), default="")
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    measures: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[str] = mapped_column(Text, default="")  # 完成情况 (latest report)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # 一案双查: another finding of the same category at the same unit within the window.
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RectificationEntry(Base):
    """One step of a finding's rectification: measures, a progress report (with evidence files),
    the township's supervision, the inspecting unit's verification or refusal."""
    __tablename__ = "rectification_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspection_findings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class Evidence(Base):
    """A file proving rectification (stored like attachments)."""
    __tablename__ = "rectification_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspection_findings.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InterferenceEntry(Base):
    """干预插手留痕: a leading cadre's intervention recorded by a department; never deleted, only
    corrected (each correction audited with old and new values)."""
    __tablename__ = "interference_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The readable number shown to people (numbers.format), e.g. 甲镇纪委〔2026〕线索12号.
    display_number: Mapped[str | None] = mapped_column(String(128))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the department
    cadre_name: Mapped[str] = mapped_column(String(100))
    cadre_unit: Mapped[str] = mapped_column(String(200), default="")
    cadre_post: Mapped[str] = mapped_column(String(100), default="")
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    form: Mapped[str] = mapped_column(String(200), default="")  # 形式: phone, note, in person …
    matter_kind: Mapped[str] = mapped_column(String(32))
    matter: Mapped[str] = mapped_column(Text)
    handling: Mapped[str] = mapped_column(Text, default="")  # 处理结果
    clue_id: Mapped[int | None] = mapped_column(ForeignKey("clues.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    corrections: Mapped[int] = mapped_column(Integer, default=0)
