"""Recusal (回避): declared relations, and who may never be given a case's tasks."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import db
from engine.audit import service as audit
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.org.models import Unit, User
from engine.petitions.models import AccusedPerson, Petition
from engine.runtime import Runtime
from engine.clues.models import Clue
from engine.recusal.models import Relation

KINDS = ("accused", "reporter")


def _norm(name: str) -> str:
    return "".join((name or "").split())


def people_of_case(session: Session, case_id: int) -> dict[str, set[str]]:
    """The accused persons' and reporters' names of a case (and of its repeats)."""
    petitions = list(session.scalars(select(Petition).where(Petition.case_id == case_id)))
    ids = [p.id for p in petitions]
    if ids:
        petitions += list(session.scalars(select(Petition).where(Petition.repeat_of_id.in_(ids))))
    accused = {_norm(a.name) for a in session.scalars(select(AccusedPerson).where(
        AccusedPerson.petition_id.in_([p.id for p in petitions])))} if petitions else set()
    accused |= {_norm(n) for n in session.scalars(select(Clue.accused_name).where(
        Clue.case_id == case_id)) if n}
    reporters = {_norm(p.reporter_name) for p in petitions if p.reporter_name}
    return {"accused": accused, "reporter": reporters}


def accused_township_id(session: Session, case_id: int) -> int | None:
    """The township the accused belong to (the case's petition township)."""
    return session.scalar(select(Petition.township_id).where(
        Petition.case_id == case_id, Petition.township_id.isnot(None)).limit(1))


def is_recused(session: Session, *, user_id: int, case_id: int | None) -> bool:
    """True when the user declared (or was found to have) a relation to a person of the case."""
    if case_id is None:
        return False
    rows = list(session.scalars(select(Relation).where(Relation.user_id == user_id,
                                                       Relation.status == "active")))
    if not rows:
        return False
    people = people_of_case(session, case_id)
    return any(_norm(r.person_name) in people.get(r.person_kind, set()) for r in rows)


def recused_user_ids(session: Session, case_id: int | None) -> set[int]:
    """Every user recused from the case (for filtering offers and assignee lists)."""
    if case_id is None:
        return set()
    people = people_of_case(session, case_id)
    names = people["accused"] | people["reporter"]
    if not names:
        return set()
    return {r.user_id for r in session.scalars(select(Relation).where(
        Relation.status == "active")) if _norm(r.person_name) in people.get(r.person_kind, set())}


def declare(session: Session, runtime: Runtime, *, actor: User, user: User, person_name: str,
            person_kind: str, relation: str, reason: str, requested: bool = False):
    """Record a relation: declared by the user (active at once), or asked for by a reporter or
    accused through a supervisor (`requested`: a supervisor decides)."""
    if person_kind not in KINDS:
        raise Invalid("person_kind is accused or reporter", reason="relation_kind_invalid",
                      fields={"person_kind": [notes.note("invalid")]})
    if not (person_name or "").strip():
        raise Invalid("name the person", reason="relation_person_required", fields={"person_name": [notes.note("required")]})
    if not (relation or "").strip():
        raise Invalid("name the relation", reason="relation_required", fields={"relation": [notes.note("required")]})
    if actor.id != user.id and "supervisor" not in actor.roles and \
            "administrator" not in actor.roles:
        raise Forbidden("you may only declare your own relations", reason="relation_not_own")
    now = runtime.clock.now()
    row = Relation(user_id=user.id, person_name=person_name.strip(), person_kind=person_kind,
                   relation=relation.strip(), reason=reason or "",
                   status="requested" if requested else "active", declared_by_id=actor.id,
                   created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor.username,
                 action="relation_requested" if requested else "relation_declared",
                 detail={"relation_id": row.id, "user": user.username, "kind": person_kind,
                         "relation": row.relation})
    return row


def decide(session: Session, runtime: Runtime, *, actor: User, relation_id: int,
           approve: bool, reason: str):
    """A supervisor over the user's unit decides a requested recusal."""
    row = session.get(Relation, relation_id)
    if row is None:
        raise NotFound("relation %(id)s not found", reason="relation_not_found",
                       params={"id": relation_id})
    subject = session.get(User, row.user_id)
    path = session.scalar(select(Unit.path).where(Unit.id == actor.unit_id))
    target = session.scalar(select(Unit.path).where(Unit.id == subject.unit_id))
    if "supervisor" not in actor.roles or not target.startswith(path):
        raise Forbidden("only a supervisor over the user's unit decides a recusal",
                        reason="relation_decide_forbidden")
    if row.status != "requested":
        raise Invalid("relation is %(status)s", reason="relation_status",
                      params={"status": row.status}, fields={"status": [notes.note("status", status=row.status)]})
    now = runtime.clock.now()
    row.status, row.decided_by_id = ("active" if approve else "rejected"), actor.id
    audit.record(session, at=now, actor=actor.username, action="relation_decided",
                 detail={"relation_id": row.id, "approved": approve, "reason": reason})
    return row


def end(session: Session, runtime: Runtime, *, actor: User, relation_id: int, reason: str):
    """End a relation (kept, with its history); lifting a recusal needs a reason."""
    row = session.get(Relation, relation_id)
    if row is None:
        raise NotFound("relation %(id)s not found", reason="relation_not_found",
                       params={"id": relation_id})
    if actor.id != row.user_id and "administrator" not in actor.roles:
        # A supervisor of another unit must not lift someone's recusal (as in decide()).
        subject = session.get(User, row.user_id)
        path = session.scalar(select(Unit.path).where(Unit.id == actor.unit_id))
        target = session.scalar(select(Unit.path).where(Unit.id == subject.unit_id))
        if "supervisor" not in actor.roles or not target.startswith(path):
            raise Forbidden("you may not end this relation", reason="relation_end_forbidden")
    if row.status not in ("active", "requested"):
        raise Invalid("relation is %(status)s", reason="relation_status",
                      params={"status": row.status}, fields={"status": [notes.note("status", status=row.status)]})
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    now = runtime.clock.now()
    row.status, row.ended_at, row.end_reason = "ended", now, reason
    audit.record(session, at=now, actor=actor.username, action="relation_ended",
                 detail={"relation_id": row.id, "reason": reason})
    return row


def recused_case_ids(session: Session, user_id: int) -> set[int]:
    """Cases the user is recused from (none at all for a user with no active relation)."""
    return db.once_per_read(session, ("recused", user_id), lambda: _recused(session, user_id))


def _recused(session: Session, user_id: int) -> set[int]:
    rows = list(session.scalars(select(Relation).where(Relation.user_id == user_id,
                                                       Relation.status == "active")))
    if not rows:
        return set()
    accused = {_norm(r.person_name) for r in rows if r.person_kind == "accused"}
    reporters = {_norm(r.person_name) for r in rows if r.person_kind == "reporter"}
    squeeze = lambda col: func.replace(col, " ", "")  # noqa: E731
    cases: set[int] = set()
    if accused:
        cases |= set(session.scalars(select(Petition.case_id).join(
            AccusedPerson, AccusedPerson.petition_id == Petition.id).where(
            squeeze(AccusedPerson.name).in_(accused), Petition.case_id.isnot(None))))
        cases |= set(session.scalars(select(Clue.case_id).where(
            squeeze(Clue.accused_name).in_(accused), Clue.case_id.isnot(None))))
    if reporters:
        cases |= set(session.scalars(select(Petition.case_id).where(
            squeeze(Petition.reporter_name).in_(reporters), Petition.case_id.isnot(None))))
    return cases
