"""Petitions and reports (信访件, counted per submission: 件次) and the people they accuse."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, UTCDateTime

CHANNELS = ("letter", "visit", "online", "phone", "transfer", "inspection", "audit",
            "supervision")
LEVELS = ("village", "township", "other")
CATEGORIES = ("welfare_funds", "collective_assets", "land_requisition", "construction_bidding",
              "eight_rules", "organised_crime", "election_discipline", "gambling",
              "service_window", "other")


class Petition(Base):
    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    # The readable number shown to people (numbers.format), e.g. 甲镇纪委〔2026〕线索12号.
    display_number: Mapped[str | None] = mapped_column(String(128))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    # Reporter identity: protected; masked everywhere except through an audited reveal.
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str | None] = mapped_column(String(100))
    reporter_id_number: Mapped[str | None] = mapped_column(String(32))
    reporter_phone: Mapped[str | None] = mapped_column(String(32))
    reporter_address: Mapped[str | None] = mapped_column(String(300))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    village: Mapped[str] = mapped_column(String(100), default="")
    # The village unit the free-text `village` names (linked where the names match).
    village_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    category: Mapped[str] = mapped_column(String(32), default="other")
    content: Mapped[str] = mapped_column(Text, default="")
    # Why no accused person is named (required then; see service._validate).
    no_accused_reason: Mapped[str | None] = mapped_column(Text)
    # registered, accepted, forwarded, merged, withdrawn, cancelled
    status: Mapped[str] = mapped_column(String(16), index=True)
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), index=True)
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
    forwarded_to: Mapped[str | None] = mapped_column(String(200))
    forwarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    accused: Mapped[list[AccusedPerson]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="AccusedPerson.id")

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None


class AccusedPerson(Base):
    __tablename__ = "accused_persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"),
                                             index=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    post: Mapped[str] = mapped_column(String(100), default="")
    unit: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[str] = mapped_column(String(16), default="other")


class RepeatAlias(Base):
    """One spelling the repeat check reads as another (posts, kinship terms, paraphrases):
    "小舅子" is "妻弟". Seeded by migrations 0020, 0030 and 0034; administrators edit it."""
    __tablename__ = "repeat_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # post | everyday | kinship | phrase
    alias: Mapped[str] = mapped_column(String(64), unique=True)
    canonical: Mapped[str] = mapped_column(String(64))


class RepeatKey(Base):
    """One key a petition is found under by the repeat check (engine/petitions/similarity.py
    `index_keys`: the same surname or kind of post in the same place, the same or a near full
    name). Written at registration and on every correction; looked up through the primary key,
    so the first check after a restart reads the index instead of rebuilding it."""
    __tablename__ = "repeat_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    petition_id: Mapped[int] = mapped_column(
        ForeignKey("petitions.id", ondelete="CASCADE"), primary_key=True, index=True)
