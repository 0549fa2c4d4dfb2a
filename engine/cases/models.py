"""A case: the handling record of one matter (its process instance and data)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class Case(Base):
    __tablename__ = "cases"
    # The supervised list (督办) is a few cases among many: the inbox's supervised tab starts
    # from them (bench: a seq scan of 1,000,000 cases per page without it, issue 28).
    __table_args__ = (Index("ix_cases_supervised", "id",
                            postgresql_where=text("supervised_at IS NOT NULL"),
                            sqlite_where=text("supervised_at IS NOT NULL")),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The readable number shown to people (numbers.format), e.g. 甲镇纪委〔2026〕线索12号.
    display_number: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, closed, merged, cancelled
    process_key: Mapped[str] = mapped_column(String(255))
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    registered_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # On the supervised list (督办): set by a supervisor or by a breached deadline.
    supervised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # 初信初访首办责任制: the first-handling unit owns the matter to its conclusion, even when
    # an approved transfer moves the handling elsewhere.
    first_handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    handling_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    # 领导包案: a supervisor takes the case personally.
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Decision (处分/处置) of a filed case; statistics count people disciplined by decided_at.
    sanction: Mapped[str | None] = mapped_column(String(64))
    people_disciplined: Mapped[int] = mapped_column(Integer, default=0)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_reason: Mapped[str | None] = mapped_column(String(500))


class NumberSequence(Base):
    """Gap-free counters for readable numbers, one row per (kind, unit, year)."""
    __tablename__ = "number_sequences"

    scope: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)
