"""The case's timeline: its audit events in order with the actors' display names, whole (the
dossier) or a part of it (the task page shows the newest; the history page pages the rest)."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import service as audit
from engine.org.models import User
from engine.processes.models import ProcessDefinition

TIMELINE_LAST = 50  # the task page shows the case's newest events; the history page the rest
HISTORY_PAGE = 100


def timeline(session: Session, *, case_id: int) -> list[dict]:
    """The case's audit events, oldest first, with the actors' display names."""
    return _described(session, audit.history(session, case_id=case_id))


def timeline_part(session: Session, *, case_id: int, offset: int | None = None,
                  limit: int = TIMELINE_LAST) -> dict:
    """`limit` events of the case's timeline from the `offset`-th, oldest first (no offset: the
    newest `limit`), with how many the timeline holds and how many come before them."""
    total = audit.history_count(session, case_id=case_id)
    if offset is None:
        offset = max(total - limit, 0)
    events = audit.history_part(session, case_id=case_id, offset=offset, limit=limit)
    return {"events": _described(session, events), "total": total,
            "earlier": min(offset, total)}


def _described(session: Session, events: list) -> list[dict]:
    actors = {e.actor for e in events}
    names = dict(session.execute(select(User.username, User.display_name)
                                 .where(User.username.in_(actors))).all()) if actors else {}
    keys = {e.detail.get("key") for e in events if e.action == "instance_started" and e.detail}
    processes_named = dict(session.execute(
        select(ProcessDefinition.key, func.max(ProcessDefinition.name))
        .where(ProcessDefinition.key.in_(keys)).group_by(ProcessDefinition.key)).all()) \
        if keys else {}
    out = []
    for e in events:
        detail = dict(e.detail or {})
        if e.action == "instance_started":
            detail["process_name"] = processes_named.get(detail.get("key")) or detail.get("key")
        out.append({"at": e.at, "actor": names.get(e.actor) or e.actor, "action": e.action,
                    "task": e.task_name or "", "detail": detail})
    return out
