"""What BPMN script helpers may look up (units, users, deadlines, the working-day calendar)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.deadlines import service as deadlines
from engine.org.models import Unit, User
from engine.runtime import Runtime
from engine.workflow import scripting


def context(session: Session, runtime: Runtime) -> scripting.ScriptContext:
    """A script context on this session; the calendar is read only when a helper needs it."""
    return scripting.ScriptContext(
        calendar=lambda: deadlines.calendar(session, runtime), tz=runtime.clock.tz,
        deadlines=lambda: deadlines.config(runtime),
        unit_name=lambda code: session.scalar(select(Unit.name).where(Unit.code == code)),
        user_name=lambda name: session.scalar(select(User.display_name)
                                              .where(User.username == name)))


def use(session: Session, runtime: Runtime) -> None:
    """Bind the helpers to this session before a workflow is stepped."""
    scripting.use(context(session, runtime))
