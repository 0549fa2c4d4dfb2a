"""Evaluation of collaboration zones (协作区履职绩效考评): manual scores beside the indicators
computed from the data."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class ManualScore(Base):
    __tablename__ = "evaluation_scores"
    __table_args__ = (UniqueConstraint("unit_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))  # 2026-H1, 2026
    score: Mapped[float] = mapped_column(Float)  # 0..100
    comment: Mapped[str] = mapped_column(Text, default="")
    scored_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)
