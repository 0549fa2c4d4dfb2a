"""Repeat suggestions from the database: the candidate keys of every petition are stored in
`repeat_keys` (written at registration and on every correction), so a check looks a few keys up
through the table's primary key and scores only what they name. Nothing is built in memory when
a process starts: the first check after a restart costs what any other check costs."""
from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.orm import Session

from engine.cases.models import Case
from engine.org.models import Unit
from engine.petitions import aliases as alias_table
from engine.petitions import words
from engine.petitions.models import AccusedPerson, Petition, RepeatKey
from engine.petitions.similarity import (DEFAULT_THRESHOLD, NEAR_NAME_SHORTLIST,
                                         PetitionFeatures, components, index_keys, prepare,
                                         query_keys, rank)
from engine.petitions.words import Aliases

# Only submissions that can still be the "same matter": open cases, or received within this many
# days. Merged, withdrawn and sealed petitions are never suggested (the original is).
DEFAULT_WINDOW_DAYS = 365
LIMIT = 10
# How many petitions a key's lookup reads, newest first: twice what its shortlist keeps (the
# closest wordings among them are kept), at most KEY_ROWS; a near spelling of a name reads only
# what it keeps. A key naming more is a very common surname in one village or a common given
# name ("n|建国": every 张建国, 李建国, …), and the newest of its petitions are the likely
# repeats. Every row read is a petition normalized for scoring (~0.3 ms), so this bounds a check.
KEY_ROWS, KEY_ROWS_PER_KEPT = 1000, 2
# Petitions normalized for scoring, kept per process (least recently used out): a petition the
# check met before is not segmented again. Only a speed-up, filled as checks go; never required.
PREPARED_CACHE = 10_000
_CLOSED = ("withdrawn", "cancelled", "merged")


def _rows(keep: int) -> int:
    """How many rows a key that keeps `keep` candidates reads (see KEY_ROWS)."""
    if keep <= NEAR_NAME_SHORTLIST:
        return keep
    return min(KEY_ROWS, KEY_ROWS_PER_KEPT * keep)


# Why a candidate matches, from the parts of its score (similarity.components), as stable codes
# the pages translate: (code, component, at least).
REASONS = (("same_accused", "person", 0.95), ("similar_accused", "person", 0.6),
           ("same_township", "township", 1.0), ("same_village", "village", 0.9),
           ("same_category", "category", 1.0), ("similar_content", "content", 0.5))
EXCERPT = 80


def features_of(petition: Petition, township_code: str | None) -> PetitionFeatures:
    return PetitionFeatures(
        petition_id=petition.id,
        accused=[{"name": a.name, "post": a.post, "unit": a.unit} for a in petition.accused],
        township=township_code or "", village=petition.village or "",
        category=petition.category or "", content=petition.content or "",
        received_at=petition.received_at)


def _township_code(session: Session, petition: Petition) -> str | None:
    if petition.township_id is None:
        return None
    return session.scalar(select(Unit.code).where(Unit.id == petition.township_id))


_last_aliases: Aliases | None = None


def _aliases(rows: tuple) -> Aliases:
    """The alias table of `rows`, built once while it stays the same (~100 rows)."""
    global _last_aliases
    last = _last_aliases
    if last is None or last.rows != rows:
        last = _last_aliases = Aliases(rows)
    return last


def write_keys(session: Session, petition: Petition) -> set[str]:
    """Store the keys the repeat check finds `petition` under (replacing its old ones); called
    whenever a petition is registered or corrected. The office keys read the alias table as
    it is now."""
    keys = index_keys(features_of(petition, _township_code(session, petition)),
                      _aliases(alias_table.rows(session)))
    session.flush()
    session.execute(delete(RepeatKey).where(RepeatKey.petition_id == petition.id))
    if keys:
        session.execute(insert(RepeatKey),
                        [{"key": key, "petition_id": petition.id} for key in sorted(keys)])
    return keys


class RepeatFinder:
    """One per process (on the runtime); safe for concurrent requests. Holds no index: only the
    alias table as last read and a cache of petitions it has normalized."""

    def __init__(self, window_days: int = DEFAULT_WINDOW_DAYS,
                 threshold: float = DEFAULT_THRESHOLD):
        self.window = timedelta(days=window_days)
        self.threshold = threshold
        self._aliases: Aliases | None = None
        self._prepared: OrderedDict[int, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def aliases(self, session: Session) -> Aliases:
        """The alias table as it is now (read on every check: ~100 rows)."""
        rows = alias_table.rows(session)
        with self._lock:
            if self._aliases is None or self._aliases.rows != rows:
                self._aliases = Aliases(rows)
            return self._aliases

    def warm_up(self, session: Session) -> None:
        """Load the word segmenter and the alias table (a web process does this when it
        starts, so the first clerk of the day does not wait for it)."""
        words.tokenizer()
        self.aliases(session)

    def _candidates(self, session: Session, key: str, keep: int,
                    now: datetime) -> list[tuple]:
        """(petition_id, updated_at) of the eligible petitions stored under `key`."""
        stmt = (select(RepeatKey.petition_id, Petition.updated_at)
                .join(Petition, Petition.id == RepeatKey.petition_id)
                .outerjoin(Case, Case.id == Petition.case_id)
                .where(RepeatKey.key == key, Petition.repeat_of_id.is_(None),
                       Petition.sealed.is_(False), Petition.status.not_in(_CLOSED),
                       or_(Case.status == "open", Petition.received_at >= now - self.window))
                .order_by(RepeatKey.petition_id.desc())
                .limit(_rows(keep)))
        return list(session.execute(stmt))

    def _load(self, session: Session, ids: list[int], aliases: Aliases) -> dict[int, object]:
        """Normalized petitions by id, from the cache or read and normalized now."""
        rows = list(session.execute(
            select(Petition.id, Petition.village, Petition.category, Petition.content,
                   Petition.received_at, Petition.updated_at, Unit.code)
            .outerjoin(Unit, Unit.id == Petition.township_id).where(Petition.id.in_(ids))))
        accused: dict[int, list[dict]] = {}
        for pid, name, post, unit in session.execute(
                select(AccusedPerson.petition_id, AccusedPerson.name, AccusedPerson.post,
                       AccusedPerson.unit).where(AccusedPerson.petition_id.in_(ids))
                .order_by(AccusedPerson.id)):
            accused.setdefault(pid, []).append({"name": name, "post": post, "unit": unit})
        out = {}
        for pid, village, category, content, received_at, updated_at, township in rows:
            prepared = prepare(PetitionFeatures(
                petition_id=pid, accused=accused.get(pid, []), township=township or "",
                village=village or "", category=category or "", content=content or "",
                received_at=received_at), aliases)
            out[pid] = prepared
            self._remember(pid, (updated_at, aliases.key), prepared)
        return out

    def _remember(self, pid: int, stamp: tuple, prepared) -> None:
        with self._lock:
            self._prepared[pid] = (stamp, prepared)
            self._prepared.move_to_end(pid)
            while len(self._prepared) > PREPARED_CACHE:
                self._prepared.popitem(last=False)

    def _cached(self, pid: int, stamp: tuple):
        with self._lock:
            hit = self._prepared.get(pid)
            if hit is None or hit[0] != stamp:
                return None
            self._prepared.move_to_end(pid)
            return hit[1]

    def search(self, session: Session, query: PetitionFeatures, now: datetime) -> list[dict]:
        """The most likely repeats of `query`, best first: petition id, case, number, score."""
        aliases = self.aliases(session)
        q = prepare(query, aliases)
        keyed = [(keep, self._candidates(session, key, keep, now))
                 for key, keep in query_keys(query, aliases).items()]
        items: dict[int, object] = {}
        missing: dict[int, None] = {}  # ordered, no repeats
        for _, rows in keyed:
            for pid, updated_at in rows:
                if pid in items or pid in missing:
                    continue
                cached = self._cached(pid, (updated_at, aliases.key))
                if cached is None:
                    missing[pid] = None
                else:
                    items[pid] = cached
        missing = list(missing)
        for start in range(0, len(missing), 900):  # SQLite's bound-parameter limit
            items.update(self._load(session, missing[start:start + 900], aliases))
        groups = [(keep, [items[pid] for pid, _ in rows if pid in items]) for keep, rows in keyed]
        hits = rank(q, groups, self.threshold, LIMIT)
        if not hits:
            return []
        found = {p.id: p for p in session.scalars(
            select(Petition).where(Petition.id.in_([pid for pid, _ in hits])))}
        return [{"petition_id": pid, "case_id": found[pid].case_id, "number": found[pid].number,
                 "display_number": found[pid].display_number, "score": round(score, 3)}
                for pid, score in hits if pid in found]

    def explain(self, session: Session, runtime, query: PetitionFeatures,
                hits: list[dict]) -> list[dict]:
        """The hits with what a person needs to judge them: the accused, place, date, an excerpt
        of the content and why they match (`reasons`, codes of REASONS)."""
        if not hits:
            return hits
        rows = {p.id: p for p in session.scalars(select(Petition).where(
            Petition.id.in_([h["petition_id"] for h in hits])))}
        towns = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(
            {p.township_id for p in rows.values() if p.township_id}))).all())
        names = dict(session.execute(select(Unit.code, Unit.name).where(
            Unit.code.in_(set(towns.values())))).all()) if towns else {}
        aliases = self.aliases(session)
        out = []
        for hit in hits:
            petition = rows.get(hit["petition_id"])
            if petition is None:
                continue
            town = towns.get(petition.township_id)
            parts = components(query, features_of(petition, town), aliases)
            taken = set()
            reasons = []
            for code, part, least in REASONS:
                if parts.get(part) is not None and parts[part] >= least and part not in taken:
                    reasons.append(code)
                    taken.add(part)
            content = "" if petition.sealed else (petition.content or "")
            out.append({**hit, "accused": [{"name": a.name, "post": a.post, "unit": a.unit}
                                           for a in petition.accused],
                        "township": town, "township_name": names.get(town),
                        "village": petition.village or "",
                        "received_at": runtime.clock.local(petition.received_at),
                        "excerpt": content[:EXCERPT] + ("…" if len(content) > EXCERPT else ""),
                        "reasons": reasons})
        return out
