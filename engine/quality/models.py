"""Quality review (办信办案质量评查): quarterly rounds of a random sample of closed petitions,
clues and cases, scored against a checklist by reviewers from other units."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime

ITEM_KINDS = ("petition", "clue", "case")
ROUND_STATUSES = ("drawn", "notified")


class ReviewRound(Base):
    __tablename__ = "quality_review_rounds"
    __table_args__ = (UniqueConstraint("unit_id", "year", "quarter"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # who reviews
    year: Mapped[int] = mapped_column(Integer)
    quarter: Mapped[int] = mapped_column(Integer)
    # The draw is reproducible from these: the same seed and share give the same items.
    seed: Mapped[str] = mapped_column(String(64))
    share: Mapped[float] = mapped_column(Float)
    checklist: Mapped[list] = mapped_column(JSONType, default=list)  # [{key, label, points}]
    pass_score: Mapped[int] = mapped_column(Integer)
    reviewers: Mapped[list] = mapped_column(JSONType, default=list)  # usernames
    status: Mapped[str] = mapped_column(String(16), index=True)
    drawn_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    drawn_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewItem(Base):
    __tablename__ = "quality_review_items"
    __table_args__ = (UniqueConstraint("round_id", "kind", "item_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("quality_review_rounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # petition, clue, case
    item_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)  # the township
    position: Mapped[int] = mapped_column(Integer)
    checks: Mapped[dict | None] = mapped_column(JSONType)  # {check key: true/false}
    score: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str] = mapped_column(Text, default="")
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    scored_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A failed item needs a rectification by its unit: `needs_rectification` until one is
    # opened (`opened`, with its reference).
    rectification: Mapped[str | None] = mapped_column(String(32))
    rectification_ref: Mapped[str | None] = mapped_column(String(64))
