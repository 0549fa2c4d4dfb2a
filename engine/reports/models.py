"""The statistics rollup: per unit and local day, how many of each figure (README "Statistics")."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class ReportCount(Base):
    """`n` items of `figure` (with `key`: a channel, a disposition, …) counted for the unit
    (never a unit above it) on the local day. Kept in the transaction of the domain write."""
    __tablename__ = "report_counts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    unit_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    figure: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger, default=0)


class ReportRollup(Base):
    """One row once the rollup is built: the time zone its days are in."""
    __tablename__ = "report_rollup"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
