"""The audit trail: append-only events named subject_past_tense_verb."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))  # a username, or "system"
    action: Mapped[str] = mapped_column(String(64), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    instance_id: Mapped[str | None] = mapped_column(String(36), index=True)
    task_id: Mapped[str | None] = mapped_column(String(36))
    task_name: Mapped[str | None] = mapped_column(String(255))
    detail: Mapped[dict] = mapped_column(JSONType, default=dict)
    # Position in the chain and HMAC-SHA256 over the previous hash and this event
    # (engine/audit/chain.py); set when the transaction that wrote the event commits.
    chain_seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    hash: Mapped[str | None] = mapped_column(String(64))
