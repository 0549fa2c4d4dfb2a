"""Problem clues (问题线索, counted per clue: 件) and their disposition (线索处置四类方式)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime

DISPOSITIONS = ("inquiry", "verification", "shelved", "closed")
FINDINGS = ("true", "partly_true", "untrue", "unverifiable")
SOURCES = ("petition", "inspection", "audit", "supervision", "other")


class Clue(Base):
    __tablename__ = "clues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The readable number shown to people (numbers.format), e.g. 甲镇纪委〔2026〕线索12号.
    display_number: Mapped[str | None] = mapped_column(String(128))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), index=True)
    source: Mapped[str] = mapped_column(String(16), default="petition")
    # pending, inquiry, verification, shelved, closed, filed
    status: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    accused_name: Mapped[str] = mapped_column(String(100), default="")
    accused_post: Mapped[str] = mapped_column(String(100), default="")
    accused_unit: Mapped[str] = mapped_column(String(200), default="")
    accused_level: Mapped[str] = mapped_column(String(16), default="other")
    summary: Mapped[str] = mapped_column(Text, default="")
    disposition: Mapped[str | None] = mapped_column(String(16))
    disposition_reason: Mapped[str] = mapped_column(Text, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Statistics count a clue in the period of its disposition's approval.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    shelved_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finding: Mapped[str | None] = mapped_column(String(16))
    finding_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    key_verification: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
