"""The 查重确认 task's candidates: the likely repeats of the case's petition, each with the
accused, place, date, an excerpt and why it matches (`petitions.repeat_candidates`)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from engine.inbox.models import Task
from engine.org.models import User
from engine.petitions import service as petitions
from engine.runtime import Runtime

ACTION = "petition.check_repeat"


def candidates(session: Session, runtime: Runtime, *, user: User, task: Task,
               petition_id: int | None) -> list[dict] | None:
    """The candidates of an open repeat-check task (None for any other task)."""
    if (task.properties or {}).get("action") != ACTION or task.status != "open" \
            or petition_id is None:
        return None
    return petitions.repeat_candidates(session, runtime, user=user, petition_id=petition_id)
