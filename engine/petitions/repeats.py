"""Repeat suggestions from the database: an in-memory index per process, kept fresh by the
petitions' `updated_at`, so a suggestion never scans the petition table."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.cases.models import Case
from engine.org.models import Unit
from engine.petitions.models import Petition
from engine.petitions import aliases as alias_table
from engine.petitions.similarity import PetitionFeatures, RepeatIndex
from engine.petitions.words import Aliases

# Only submissions that can still be the "same matter": open cases, or received within this many
# days. Merged, withdrawn and sealed petitions are never suggested (the original is).
DEFAULT_WINDOW_DAYS = 365
LIMIT = 10


def features_of(petition: Petition, township_code: str | None) -> PetitionFeatures:
    return PetitionFeatures(
        petition_id=petition.id,
        accused=[{"name": a.name, "post": a.post, "unit": a.unit} for a in petition.accused],
        township=township_code or "", village=petition.village or "",
        category=petition.category or "", content=petition.content or "",
        received_at=petition.received_at)


class RepeatFinder:
    """One per process (on the runtime); safe for concurrent requests."""

    def __init__(self, window_days: int = DEFAULT_WINDOW_DAYS):
        self.window = timedelta(days=window_days)
        self.index: RepeatIndex | None = None  # built with the alias table on first refresh
        self._watermark: datetime | None = None
        self._lock = threading.Lock()

    def _eligible(self, petition: Petition, case_status: str | None, now: datetime) -> bool:
        if petition.repeat_of_id is not None or petition.sealed:
            return False
        if petition.status in ("withdrawn", "cancelled", "merged"):
            return False
        return case_status == "open" or petition.received_at >= now - self.window

    def refresh(self, session: Session, now: datetime) -> None:
        """Index what changed since the last refresh (everything relevant, the first time, and
        again whenever an administrator changed the alias table)."""
        with self._lock:
            aliases = alias_table.rows(session)
            if self.index is None or self.index.aliases.rows != aliases:
                self.index = RepeatIndex(aliases=Aliases(aliases))
                self._watermark = None
            stmt = (select(Petition, Case.status, Unit.code)
                    .outerjoin(Case, Case.id == Petition.case_id)
                    .outerjoin(Unit, Unit.id == Petition.township_id))
            if self._watermark is None:
                stmt = stmt.where(or_(Case.status == "open",
                                      Petition.received_at >= now - self.window))
            else:
                # >= : rows written in the same instant as the watermark are seen again (cheap).
                stmt = stmt.where(Petition.updated_at >= self._watermark)
            latest = self._watermark
            for petition, case_status, township in session.execute(stmt):
                if self._eligible(petition, case_status, now):
                    self.index.add(features_of(petition, township))
                else:
                    self.index.remove(petition.id)
                if latest is None or petition.updated_at > latest:
                    latest = petition.updated_at
            self._watermark = latest or now

    def search(self, session: Session, query: PetitionFeatures, now: datetime) -> list[dict]:
        """The most likely repeats of `query`, best first: petition id, case, number, score."""
        self.refresh(session, now)
        hits = self.index.search(query, limit=LIMIT)
        if not hits:
            return []
        rows = {p.id: p for p in session.scalars(
            select(Petition).where(Petition.id.in_([pid for pid, _ in hits])))}
        return [{"petition_id": pid, "case_id": rows[pid].case_id, "number": rows[pid].number,
                 "score": round(score, 3)} for pid, score in hits if pid in rows]
