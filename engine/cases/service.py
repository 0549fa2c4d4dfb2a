"""Cases: open one with its process instance, read it, number it."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.access.cases import get_case  # noqa: F401  (cases.get_case for callers)
from engine.audit import service as audit
from engine.cases.models import Case, NumberSequence
from engine.deadlines import service as deadlines
from engine import glossary
from engine.errors import Invalid
from engine import notes
from engine.org.models import Unit, User
from engine.processes import service as processes
from engine.processes.models import ProcessInstance
from engine.runtime import Runtime
from engine.uow import UnitOfWork
from engine.deadlines.models import Deadline


PREFIX = {"petition": "", "case": "C", "clue": "L", "inspection": "I", "finding": "F",
          "interference": "G"}


def next_number(session: Session, *, unit_code: str, year: int, kind: str) -> str:
    """A readable number, gap-free per kind, unit and year (the counter row stays locked until
    commit), e.g. petition-office-2026-000123 (petitions), …-C000045 (cases), …-L000012 (clues)."""
    value = next_value(session, f"{kind}:{unit_code}:{year}")
    return f"{unit_code}-{year}-{PREFIX[kind]}{value:06d}"


def numbers(session: Session, runtime: Runtime, *, unit: Unit, year: int,
            kind: str) -> dict[str, str]:
    """The next `number` and `display_number` of `kind` for `unit` and `year`, both from one
    gap-free counter (its row stays locked until commit); the display form follows
    `numbers.format` with the unit's name (甲镇纪委〔2026〕线索12号)."""
    value = next_value(session, f"{kind}:{unit.code}:{year}")
    fmt = runtime.settings.get("numbers", "format") or glossary.DEFAULT_NUMBER_FORMAT
    return {"number": f"{unit.code}-{year}-{PREFIX[kind]}{value:06d}",
            "display_number": glossary.display_number(fmt, unit_name=unit.name, year=year,
                                                      kind=kind, seq=value)}


def display_of(runtime: Runtime, number: str | None, *, unit_name: str, kind: str) -> str:
    """A coded number of a record without a stored display number, in the configured form."""
    fmt = runtime.settings.get("numbers", "format") or glossary.DEFAULT_NUMBER_FORMAT
    return glossary.display_of(fmt, number, unit_name=unit_name, kind=kind)


def next_value(session: Session, scope: str) -> int:
    """The next number of a gap-free counter (its row stays locked until commit)."""
    # One atomic upsert: concurrent registrations queue on the counter row, none skips or repeats.
    insert = (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)
    stmt = insert(NumberSequence).values(scope=scope, value=1)
    stmt = stmt.on_conflict_do_update(index_elements=[NumberSequence.scope],
                                      set_={"value": NumberSequence.value + 1})
    return session.execute(stmt.returning(NumberSequence.value)).scalar_one()


def open_case(uow: UnitOfWork, *, runtime: Runtime, process_key: str, data: dict | None,
              user: User, deadlines_started: list[dict] | None = None,
              before_start=None) -> Case:
    """Open a case in the user's unit, start the deadlines whose event this is, start its process.

    `deadlines_started`: [{"key", "started_at", "applicable"?}] (e.g. acceptance_notice from the
    moment a petition was received), so the process's tasks attach to them. `before_start(case)`
    links domain records to the case before its first step runs.
    """
    session = uow.session
    now = runtime.clock.now()
    unit = session.get(Unit, user.unit_id)
    case = Case(**numbers(session, runtime, unit=unit, year=runtime.clock.local(now).year,
                          kind="case"),
                status="open", process_key=process_key, registered_unit_id=unit.id,
                created_by_id=user.id, created_at=now)
    session.add(case)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="case_opened", case_id=case.id,
                 detail={"number": case.number, "process_key": process_key})
    for item in deadlines_started or []:
        deadlines.start(session, runtime, key=item["key"], started_at=item["started_at"],
                        case_id=case.id, applicable=item.get("applicable", True),
                        actor=user.username)
    if before_start is not None:
        before_start(case)
        session.flush()
    instance, _ = processes.start_instance(uow, runtime=runtime, key=process_key, data=data,
                                           user=user, case_id=case.id)
    case.instance_id = instance.id
    return case


def read_case(session: Session, runtime: Runtime, *, user: User, case_id: int) -> Case:
    """Open a case's record for a user: refused when they may not see it or are recused from it;
    the reading is noted in the audit trail (reporter protection, README "Security"). The API
    and the case page both open a case through here."""
    case = case_access.case_for_user(session, user, case_id)
    audit.record_view(session, at=runtime.clock.now(), actor=user.username, case_id=case.id,
                      via="case")
    return case


def take_personally(session: Session, runtime: Runtime, *, user: User, case_id: int) -> Case:
    """领导包案: a supervisor takes the case personally."""
    case = case_access.supervised_case(session, user, case_id)
    now = runtime.clock.now()
    case.taken_by_id, case.taken_at = user.id, now
    audit.record(session, at=now, actor=user.username, action="case_taken", case_id=case.id)
    return case


def mark_supervised(session: Session, runtime: Runtime, *, user: User, case_id: int,
                    reason: str, on: bool = True) -> Case:
    """督办: put the case on (or take it off) the supervised list."""
    case = case_access.supervised_case(session, user, case_id)
    if on and not (reason or "").strip():
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    now = runtime.clock.now()
    case.supervised_at = now if on else None
    audit.record(session, at=now, actor=user.username,
                 action="case_supervised" if on else "case_unsupervised", case_id=case.id,
                 detail={"reason": reason or ""})
    return case


def cancel_case(uow: UnitOfWork, *, runtime: Runtime, user: User, case_id: int,
                reason: str) -> Case:
    """A supervisor cancels a case with a reason; its tasks and deadlines stop, history stays."""
    session = uow.session
    case = case_access.supervised_case(session, user, case_id)
    if not (reason or "").strip():
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    if case.status != "open":
        raise Invalid("case is %(status)s", reason="case_not_open", params={"status": case.status},
                      fields={"status": [notes.note("status", status=case.status)]})
    now = runtime.clock.now()
    case.status, case.closed_at, case.cancelled_reason = "cancelled", now, reason.strip()
    for instance_id in session.scalars(select(ProcessInstance.id).where(
            ProcessInstance.case_id == case.id, ProcessInstance.status != "completed")):
        processes.cancel_instance(uow, runtime=runtime, instance_id=instance_id,
                                  actor=user.username, reason=reason)
    for row in session.scalars(select(Deadline).where(Deadline.case_id == case.id,
                                                      Deadline.status.in_(("open", "suspended")))):
        deadlines.settle(session, runtime, case_id=case.id, key=row.key, status="cancelled",
                         actor=user.username, reason="case cancelled")
    audit.record(session, at=now, actor=user.username, action="case_cancelled", case_id=case.id,
                 detail={"reason": reason.strip()})
    return case
