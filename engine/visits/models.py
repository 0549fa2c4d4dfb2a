"""Feedback to real-name reporters and return visits (反馈, 回访)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime

SATISFACTION = ("satisfied", "basically_satisfied", "dissatisfied")


class ReturnVisit(Base):
    __tablename__ = "return_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"))
    kind: Mapped[str] = mapped_column(String(16), default="reporter")  # reporter or cadre
    satisfaction: Mapped[str | None] = mapped_column(String(24))
    notes: Mapped[str] = mapped_column(Text, default="")
    reopened: Mapped[bool] = mapped_column(Boolean, default=False)
    visited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    visited_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
