"""One search over petitions, clues and cases: by number, person, post, place and words of the
content (any part of a Chinese word of two characters or more), only among what the user may
see. The reporter is never searchable: reporter fields are not in the index at all.

The database narrows: the full-text matches first, newest first (on PostgreSQL in windows of
the newest entries, see `_newest_seen_postgresql`; on SQLite a frequent word's by walking the
newest entries, `_newest_seen_sqlite`), then the visibility rule as one correlated
condition on batches of them; each hit is checked again with the rule for one record
(`may_see`) before it is shown."""
from __future__ import annotations

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, exists, or_, select, text
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.cases.models import Case
from engine.clues import service as clues
from engine.clues.models import Clue
from engine.errors import Invalid
from engine import notes
from engine.org.models import Unit, User
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.search import query, terms
from engine.search.models import KINDS, SearchEntry

MAX_QUERY = 200
EXCERPT = 40


def _without_case(session: Session, user: User):
    """Records without a case: a petition to its registering unit's clerks; a clue to its unit's
    caseworkers and supervisors and to supervisors above (as `may_see` of each says)."""
    parts = []
    if "intake_clerk" in user.roles:
        parts.append(and_(SearchEntry.kind == "petition", SearchEntry.unit_id == user.unit_id))
    if {"caseworker", "supervisor"} & user.roles:
        parts.append(and_(SearchEntry.kind == "clue", SearchEntry.unit_id == user.unit_id))
    if "supervisor" in user.roles:
        path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id)) or "/"
        parts.append(and_(SearchEntry.kind == "clue", SearchEntry.unit_id.in_(
            select(Unit.id).where(Unit.path.startswith(path)))))
    return and_(SearchEntry.case_id.is_(None), or_(*parts)) if parts else None


def _may_see(session: Session, user: User, kind: str, record) -> bool:
    if kind == "petition":
        return petitions.may_see(session, user, record)
    if kind == "clue":
        return clues.may_see(session, user=user, clue=record)
    return case_access.may_see_case(session, user, record)


def _excerpt(text: str, q: str) -> str:
    """The content around the first place any word of the search occurs."""
    text = " ".join((text or "").split())
    at = min((i for i in (text.find(w) for w in q.split() if w) if i >= 0), default=-1)
    if at < 0:
        pairs = [t for t, _ in terms.query(q)]
        at = min((i for i in (text.lower().find(p) for p in pairs) if i >= 0), default=0)
    start = max(0, at - EXCERPT // 2)
    return ("…" if start else "") + text[start:start + EXCERPT] + \
        ("…" if start + EXCERPT < len(text) else "")


def _describe(session: Session, kind: str, record, q: str) -> dict:
    if kind == "petition":
        people = "；".join(" ".join(x for x in (a.name, a.post) if x) for a in record.accused)
        return {"kind": kind, "id": record.id, "number": record.number,
                "display_number": record.display_number, "title": people,
                "excerpt": "" if record.sealed else _excerpt(record.content, q),
                "date": record.received_at, "case_id": record.case_id, "status": record.status}
    if kind == "clue":
        return {"kind": kind, "id": record.id, "number": record.number,
                "display_number": record.display_number,
                "title": " ".join(x for x in (record.accused_name, record.accused_post) if x),
                "excerpt": _excerpt(record.summary, q), "date": record.created_at,
                "case_id": record.case_id, "status": record.status}
    people = session.scalars(select(Clue.accused_name).where(Clue.case_id == record.id))
    return {"kind": kind, "id": record.id, "number": record.number,
            "display_number": record.display_number,
            "title": "；".join(dict.fromkeys(p for p in people if p)), "excerpt": "",
            "date": record.created_at, "case_id": record.id, "status": record.status}


MODELS = {"petition": Petition, "clue": Clue, "case": Case}


def search(session: Session, user: User, q: str, *, kind: str | None = None,
           limit: int = 20) -> dict:
    """The newest records matching every word of `q` that the user may see."""
    q = (q or "").strip()
    if len(q) > MAX_QUERY:
        raise Invalid("the search text is too long", fields={"q": [notes.note("max_length", max=200)]},
                      reason="search_too_long", params={"max": MAX_QUERY})
    if kind is not None and kind not in KINDS:
        raise Invalid("unknown kind %(kind)s", fields={"kind": [notes.note("search_kinds")]},
                      reason="search_kind_unknown", params={"kind": kind})
    match = query.matches(session, q)
    if match is None:
        return {"q": q, "items": [], "more": False}
    if kind is not None:
        match = and_(match, SearchEntry.kind == kind)
    if session.get_bind().dialect.name == "postgresql":
        rows = _newest_seen_postgresql(session, user, match, limit + 1)
    else:
        walk = query.matches(session, q, walk=True)
        if kind is not None:
            walk = and_(walk, SearchEntry.kind == kind)
        rows = _newest_seen_sqlite(session, user, q, match, walk, limit + 1)
    items = []
    for row_kind, ref_id in rows[:limit]:
        record = session.get(MODELS[row_kind], ref_id)
        if record is not None and _may_see(session, user, row_kind, record):
            items.append(_describe(session, row_kind, record, q))
    return {"q": q, "items": items, "more": len(rows) > limit}


def _seen(session: Session, user: User):
    """The visibility rule as a condition on a search entry."""
    seen = [exists(case_access.visible_cases(session, user).where(Case.id == SearchEntry.case_id))]
    without = _without_case(session, user)
    if without is not None:
        seen.append(without)
    return or_(*seen)


# PostgreSQL plans (issue 21, bench/RESULTS.md). Bigrams of one phrase occur together, so the
# planner, multiplying their frequencies, expects a few hundred matches where there are 70,000,
# then checks the visibility rule on every one; or it walks the newest entries, reading a row for
# each entry it passes. Neither is fast at a million. So the matches are taken in windows of the
# newest entries: within a window the GIN index on (terms_vector, updated_at) (migration 0036)
# finds "these words since then" before any row is read. A window's matches are sorted newest
# first and the rule is checked on batches of them, so a user who sees the county usually stops
# after the first batch. When the first window holds few matches the word is rare: the rest of
# the table is one more window; otherwise the windows grow.
WINDOWS = (50_000, 100_000, 200_000, 400_000, None)  # entries per window (None: the rest)
RARE = 300  # matches in the first window below which the rest is read at once
BATCH = 100  # matches checked against the rule at once, four times as many each next time
MAX_BATCH = 10_000  # (SQLite binds each id of a batch as one parameter)


def _newest_seen_postgresql(session: Session, user: User, match, wanted: int) -> list:
    """The `wanted` newest entries matching `match` that the user may see, as (kind, ref_id)."""
    # (No JIT: the engine's connections turn it off, `engine.db.make_engine`; with it the rule's
    # correlated subplans cost ~2 s of compiling here, bench/RESULTS.md, issue 21.) The bitmaps
    # of tens of thousands of matches turn lossy (every row of a page rechecked) in 4 MB.
    session.execute(text("SET LOCAL work_mem = '32MB'"))
    seen = _seen(session, user)  # built once: it reads the user's units and teams
    rows: list = []
    newer_than = None
    for n, size in enumerate(WINDOWS):
        since = None
        if size is not None:
            older = select(SearchEntry.updated_at)
            if newer_than is not None:
                older = older.where(SearchEntry.updated_at < newer_than)
            since = session.scalar(older.order_by(SearchEntry.updated_at.desc())
                                   .offset(size - 1).limit(1))
        matched, found = _newest_seen_among(session, seen, match, wanted - len(rows),
                                            since=since, before=newer_than)
        rows += found
        if since is None or len(rows) >= wanted:
            break
        newer_than = since
        if n == 0 and matched < RARE:  # a rare word: the rest of the table at once
            rows += _newest_seen_among(session, seen, match, wanted - len(rows),
                                       before=newer_than)[1]
            break
    return rows


# SQLite (FTS5 orders its matches by entry, not by time). A rare word's matches are read at once
# and sorted; a frequent word's (60,000-140,000 at 1,000,000 entries: 100-200 ms to read them all)
# are found by walking the entries newest first and keeping those in the word's list of matches,
# a few hundred, then a few thousand, then the rest, until enough of them pass the rule.
WALK_FROM = 2_000  # matches from which the newest entries are walked
WALK = (500, 4_000, None)  # entries kept per walk (None: the rest)


def _newest_seen_sqlite(session: Session, user: User, q: str, match, walk,
                        wanted: int) -> list:
    """The `wanted` newest entries matching `match` that the user may see, as (kind, ref_id);
    `walk`: the same condition, written for reading the entries in time order."""
    seen = _seen(session, user)
    if query.sqlite_count(session, q) < WALK_FROM:
        return _newest_seen_among(session, seen, match, wanted)[1]
    rows: list = []
    after = None  # (updated_at, id) of the last entry kept by the previous walk
    for size in WALK:
        stmt = select(SearchEntry.id, SearchEntry.updated_at).where(walk)
        if after is not None:
            stmt = stmt.where(or_(SearchEntry.updated_at < after[0], and_(
                SearchEntry.updated_at == after[0], SearchEntry.id < after[1])))
        stmt = stmt.order_by(SearchEntry.updated_at.desc(), SearchEntry.id.desc())
        kept = session.execute(stmt if size is None else stmt.limit(size)).all()
        rows += _seen_of(session, seen, [entry for entry, _ in kept], wanted - len(rows))
        if len(rows) >= wanted or size is None or len(kept) < size:
            break
        after = (kept[-1].updated_at, kept[-1].id)
    return rows[:wanted]


def _newest_seen_among(session: Session, seen, match, wanted: int, *, since=None,
                       before=None) -> tuple[int, list]:
    """How many entries match within [since, before), and the `wanted` newest of them that meet
    `seen` (the visibility rule): every match's id first (materialized, so the planner cannot
    walk the newest entries instead), newest first, then `seen` on batches of them. `since` is a
    condition of the index scan; `before` only filters what it found (as a second range on the
    same GIN column it would make the index collect every older entry's position)."""
    where = [match]
    if since is not None:
        where.append(SearchEntry.updated_at >= since)
    matched = select(SearchEntry.id, SearchEntry.updated_at).where(*where) \
        .cte("matched").prefix_with("MATERIALIZED")
    newest = select(matched.c.id)
    if before is not None:
        newest = newest.where(matched.c.updated_at < before)
    ids = list(session.scalars(newest.order_by(matched.c.updated_at.desc(),
                                               matched.c.id.desc())))
    return len(ids), _seen_of(session, seen, ids, wanted)


def _seen_of(session: Session, seen, ids: list[int], wanted: int) -> list:
    """The first `wanted` of the entries `ids` (in that order) that meet `seen`, as (kind,
    ref_id): `seen` checked on batches of them, four times as many each next time."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    rows: list = []
    start, size = 0, BATCH
    while start < len(ids) and len(rows) < wanted:
        batch = ids[start:start + size]
        among = SearchEntry.id.in_(batch) if sqlite else \
            SearchEntry.id == any_(bindparam("batch", batch, type_=ARRAY(Integer)))
        visible = dict(((e, (k, r)) for e, k, r in session.execute(
            select(SearchEntry.id, SearchEntry.kind, SearchEntry.ref_id).where(among, seen))))
        rows += [visible[e] for e in batch if e in visible]
        start, size = start + size, min(size * 4, MAX_BATCH)
    return rows[:wanted]
