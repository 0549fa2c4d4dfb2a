"""The search index: one row per petition, clue and case, with its search terms (see
`engine.search.terms`). The database matches the terms with its own full-text search: an FTS5
table `search_fts` (rowid = the entry's id) on SQLite; on PostgreSQL a stored generated column
`terms_vector` = `to_tsvector('simple', terms)`, GIN-indexed together with `updated_at`
(migration 0036; not mapped here, SQLite has no such column; see `engine.search.query` and
`engine.views.search`). Reporter fields are never indexed."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime

KINDS = ("petition", "clue", "case")


class SearchEntry(Base):
    __tablename__ = "search_entries"
    __table_args__ = (UniqueConstraint("kind", "ref_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref_id: Mapped[int] = mapped_column(Integer)
    # Who may see the record follows from its case; without one, from its unit.
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    terms: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
