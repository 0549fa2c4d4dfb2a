"""Loaded holiday arrangements: which years came from a file, and their days."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class CalendarYear(Base):
    """A year loaded by an administrator (overrides the packaged arrangement for that year)."""
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    loaded_by: Mapped[str] = mapped_column(String(64))


class CalendarDay(Base):
    """A day off on a weekday (holiday) or a worked weekend day (workday, 调休)."""
    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # holiday or workday
    name: Mapped[str] = mapped_column(String(64), default="")
