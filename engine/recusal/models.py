"""Declared relations between users and accused persons or reporters (回避)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime


class Relation(Base):
    __tablename__ = "relations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(100), index=True)
    person_kind: Mapped[str] = mapped_column(String(16))  # accused or reporter
    relation: Mapped[str] = mapped_column(String(64))  # kin, colleague, friend, other ...
    reason: Mapped[str] = mapped_column(Text, default="")
    # active (declared or approved), requested (asked by a reporter/accused), rejected, ended
    status: Mapped[str] = mapped_column(String(16), index=True)
    declared_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    end_reason: Mapped[str | None] = mapped_column(Text)  # why it was ended (a recusal lifted)
