"""One search over petitions, clues and cases: by number, person, post, place and words of the
content (any part of a Chinese word of two characters or more), only among what the user may
see. The reporter is never searchable: reporter fields are not in the index at all.

The database narrows (full-text match, then the visibility rule as one correlated condition);
each hit is checked again with the rule for one record (`may_see`) before it is shown."""
from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, text
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
        return {"kind": kind, "id": record.id, "number": record.number, "title": people,
                "excerpt": "" if record.sealed else _excerpt(record.content, q),
                "date": record.received_at, "case_id": record.case_id, "status": record.status}
    if kind == "clue":
        return {"kind": kind, "id": record.id, "number": record.number,
                "title": " ".join(x for x in (record.accused_name, record.accused_post) if x),
                "excerpt": _excerpt(record.summary, q), "date": record.created_at,
                "case_id": record.case_id, "status": record.status}
    people = session.scalars(select(Clue.accused_name).where(Clue.case_id == record.id))
    return {"kind": kind, "id": record.id, "number": record.number,
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
    visible = case_access.visible_cases(session, user).where(Case.id == SearchEntry.case_id)
    seen = [exists(visible)]
    without = _without_case(session, user)
    if without is not None:
        seen.append(without)
    if session.get_bind().dialect.name == "postgresql":
        # The visibility rule's correlated subplans inflate the planner's cost estimate past
        # jit_above_cost, and PostgreSQL then spends ~2 s JIT-compiling a query that runs in
        # ~0.3 s (EXPLAIN ANALYZE at 100,000 petitions, bench/RESULTS.md, issue 21).
        session.execute(text("SET LOCAL jit = off"))
    stmt = select(SearchEntry.kind, SearchEntry.ref_id).where(match, or_(*seen))
    if kind is not None:
        stmt = stmt.where(SearchEntry.kind == kind)
    rows = session.execute(stmt.order_by(SearchEntry.updated_at.desc(), SearchEntry.id.desc())
                           .limit(limit + 1)).all()
    items = []
    for row_kind, ref_id in rows[:limit]:
        record = session.get(MODELS[row_kind], ref_id)
        if record is not None and _may_see(session, user, row_kind, record):
            items.append(_describe(session, row_kind, record, q))
    return {"q": q, "items": items, "more": len(rows) > limit}
