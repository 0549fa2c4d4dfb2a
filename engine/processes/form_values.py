"""The domain types of task forms (API.md "Forms"), checked against the database when a task is
completed: a `unit` field holds the code of an active unit, a `person` field the login of a user
who could work the task (`authority.eligible`, the rule of the reassign list), a `file` field
the id of an attachment of the task's case. Their JSON shape, `show_when` and the other
constraints are `engine.workflow.forms`'."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import notes
from engine.access import authority
from engine.attachments.models import Attachment
from engine.inbox.models import Task
from engine.org.models import Unit, User
from engine.workflow import forms


def _unit(session: Session, value, task: Task) -> str | None:
    unit = session.scalar(select(Unit).where(Unit.code == value))
    return notes.note("unknown_unit") if unit is None else None if unit.active else notes.note("retired_unit")


def _person(session: Session, value, task: Task) -> str | None:
    user = session.scalar(select(User).where(User.username == value))
    if user is None:
        return notes.note("unknown_user")
    return None if authority.eligible(user, task, session) else notes.note("may_not_work_task")


def _file(session: Session, value, task: Task) -> str | None:
    found = task.case_id is not None and session.scalar(
        select(Attachment.id).where(Attachment.id == value, Attachment.case_id == task.case_id))
    return None if found else notes.note("not_in_case")


CHECKS = {"unit": _unit, "person": _person, "file": _file}


def field_errors(session: Session, *, form: dict | None, data: dict, task: Task,
                 checked: dict[str, list[str]]) -> dict[str, list[str]]:
    """Notes on the domain-typed fields of `data` whose shape passed (`checked` holds the
    schema's notes); empty when every value names what it must."""
    errors: dict[str, list[str]] = {}
    for path, prop, _parent, _name in forms.leaves(form):
        check = CHECKS.get(prop.get("x-type"))
        value = forms.value_at(data, path)
        if check is None or value is None or path in checked:
            continue
        note = check(session, value, task)
        if note:
            errors[path] = [note]
    return errors

