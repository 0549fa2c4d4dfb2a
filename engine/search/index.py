"""Keeping the search index current: every transaction that adds or changes a petition (or its
accused), a clue or a case rewrites those records' entries in the commit step `before_commit`
(see `Runtime.COMMIT_STEPS`), so the index never lags what was committed and no service has to
remember it. `rebuild` writes every entry again, the same entries the migration that made the
index wrote for the records before it."""
from __future__ import annotations

from sqlalchemy import delete, event, select, text
from sqlalchemy.orm import Session

from engine.cases.models import Case
from engine.clues.models import Clue
from engine.org.models import Unit
from engine.petitions.models import AccusedPerson, Petition
from engine.search import terms
from engine.search.models import SearchEntry

_DIRTY = "search_dirty"


@event.listens_for(Session, "before_flush")
def _collect(session: Session, _context, _instances) -> None:
    dirty = None
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, AccusedPerson):
            found = ("petition_id", obj)  # its petition's id is known after the flush
        elif isinstance(obj, Petition):
            found = ("petition", obj)
        elif isinstance(obj, Clue):
            found = ("clue", obj)
        elif isinstance(obj, Case):
            found = ("case", obj)
        else:
            continue
        if dirty is None:
            dirty = session.info.setdefault(_DIRTY, [])
        dirty.append(found)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_DIRTY, None)


def before_commit(session: Session) -> None:
    """Commit step: rewrite the entries of what this transaction added or changed."""
    if not session.info.get(_DIRTY):
        return
    session.flush()
    touched: dict[tuple[str, int], None] = {}
    for kind, obj in session.info.pop(_DIRTY, []):
        if kind == "petition_id":
            touched[("petition", obj.petition_id)] = None
        else:
            touched[(kind, obj.id)] = None
            if kind == "clue" and obj.case_id is not None:
                touched[("case", obj.case_id)] = None  # a case is found by its clues' accused
    for kind, ref_id in touched:
        write(session, kind, ref_id)


def _names(session: Session, *unit_ids: int | None) -> list[str]:
    ids = [u for u in unit_ids if u is not None]
    return list(session.scalars(select(Unit.name).where(Unit.id.in_(ids)))) if ids else []


def entry_of(session: Session, kind: str, ref_id: int) -> dict | None:
    """(case id, unit id, terms) of a record, or None if it is gone. Never a reporter field."""
    if kind == "petition":
        p = session.get(Petition, ref_id)
        if p is None:
            return None
        people = [x for a in p.accused for x in (a.name, a.post, a.unit)]
        return {"case_id": p.case_id, "unit_id": p.unit_id, "at": p.received_at,
                "terms": terms.document(
            p.number, getattr(p, "display_number", None), *people,
            *_names(session, p.township_id, p.village_unit_id), p.village,
            None if p.sealed else p.content)}
    if kind == "clue":
        c = session.get(Clue, ref_id)
        if c is None:
            return None
        return {"case_id": c.case_id, "unit_id": c.unit_id, "at": c.created_at,
                "terms": terms.document(
            c.number, getattr(c, "display_number", None), c.accused_name, c.accused_post,
            c.accused_unit, c.summary)}
    case = session.get(Case, ref_id)
    if case is None:
        return None
    people = session.execute(select(Clue.accused_name, Clue.accused_post)
                             .where(Clue.case_id == ref_id)).all()
    return {"case_id": case.id, "unit_id": case.handling_unit_id or case.registered_unit_id,
            "at": case.created_at, "terms": terms.document(case.number, getattr(case, "display_number", None),
                                    *(x for row in people for x in row))}


def write(session: Session, kind: str, ref_id: int) -> None:
    """Insert or rewrite one record's entry (and its full-text row on SQLite)."""
    values = entry_of(session, kind, ref_id)
    entry = session.scalar(select(SearchEntry).where(SearchEntry.kind == kind,
                                                     SearchEntry.ref_id == ref_id))
    sqlite = session.get_bind().dialect.name == "sqlite"
    if values is None:
        if entry is not None:
            if sqlite:
                session.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": entry.id})
            session.execute(delete(SearchEntry).where(SearchEntry.id == entry.id))
        return
    if entry is None:
        entry = SearchEntry(kind=kind, ref_id=ref_id)
        session.add(entry)
    elif entry.terms == values["terms"]:
        entry.case_id, entry.unit_id = values["case_id"], values["unit_id"]
        return
    entry.case_id, entry.unit_id, entry.terms = values["case_id"], values["unit_id"], values["terms"]
    entry.updated_at = values["at"]
    session.flush()
    if sqlite:
        session.execute(text("DELETE FROM search_fts WHERE rowid = :id"), {"id": entry.id})
        session.execute(text("INSERT INTO search_fts (rowid, terms) VALUES (:id, :terms)"),
                        {"id": entry.id, "terms": entry.terms})


def rebuild(session: Session) -> int:
    """Write every petition's, clue's and case's entry; the number written."""
    count = 0
    for kind, model in (("petition", Petition), ("clue", Clue), ("case", Case)):
        for ref_id in session.scalars(select(model.id).order_by(model.id)):
            write(session, kind, ref_id)
            count += 1
    return count
