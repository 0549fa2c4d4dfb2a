"""Clearing falsely accused cadres (澄清正名) and handling false accusations (诬告陷害查处)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime


class Clarification(Base):
    __tablename__ = "clarifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    cadre_name: Mapped[str] = mapped_column(String(100))
    origin: Mapped[str] = mapped_column(String(16))  # finding (untrue) or application
    # Always in writing; optionally also at a meeting, by notice or by publication.
    scope: Mapped[list] = mapped_column(JSONType, default=list)
    people: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))  # drafted, approved, done, refused
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Statistics count people clarified by this date.
    carried_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccusationReferral(Base):
    """A false accusation: mistaken (错告: education only) or malicious (诬告: referred; needs
    approval at city level or above)."""
    __tablename__ = "accusation_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # mistaken, malicious
    aggravating: Mapped[str] = mapped_column(String(32), default="")  # election, inspection, ...
    note: Mapped[str] = mapped_column(Text, default="")
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))  # proposed, educated, referred, refused
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
