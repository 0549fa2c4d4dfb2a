"""Statutory deadlines: start, attach to tasks, breach, extend, suspend, recompute on calendar
or configuration change. Escalation is done here, never by a BPMN timer (DEADLINES.md)."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import date, datetime, timedelta

import yaml
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from engine import glossary
from engine.audit import service as audit
from engine.calendar import workdays
from engine.calendar.models import CalendarDay, CalendarYear
from engine.cases.models import Case
from engine.deadlines.models import ConfigState, Deadline
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.inbox.models import Task
from engine.notifications import service as notifications
from engine.org.models import Unit, User
from engine.runtime import Runtime
from engine.uow import UnitOfWork, with_retry

EXTENSION_PROCESS = "deadline_extension"
UNITS = ("working_days", "days", "months")


# ---------------------------------------------------------------------------------------------
# Configuration and calendar


def config(runtime: Runtime) -> dict[str, dict]:
    """The configured deadline keys (DEADLINES.md defaults, changeable in config.yaml)."""
    keys = runtime.settings.get("deadlines", "keys")
    return {k: dict(v) for k, v in keys.items()}


def key_config(runtime: Runtime, key: str) -> dict:
    found = config(runtime).get(key)
    if found is None:
        raise Invalid("deadline key %(key)r is not configured", reason="deadline_key_unknown",
                      params={"key": key}, fields={"key": [notes.note("unknown")]})
    return found


def calendar(session: Session, runtime: Runtime) -> workdays.WorkCalendar:
    """The working-day calendar: loaded years over the packaged arrangement (cached)."""
    count, latest = session.execute(select(func.count(CalendarYear.year),
                                           func.max(CalendarYear.loaded_at))).one()
    fingerprint = (count, latest)
    cached = runtime.calendar_cache
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    loaded: dict[int, dict[date, str]] = {}
    for year in session.scalars(select(CalendarYear.year)):
        loaded[year] = {}
    for row in session.scalars(select(CalendarDay)):
        loaded.setdefault(row.year, {})[row.day] = row.kind
    cal = workdays.WorkCalendar(loaded=loaded)
    runtime.calendar_cache = (fingerprint, cal)
    return cal


def calendar_status(session: Session, runtime: Runtime) -> dict:
    """Which years are known and from where; a warning when the current year is not."""
    cal = calendar(session, runtime)
    year = runtime.clock.local(runtime.clock.now()).year
    rows = list(session.scalars(select(CalendarYear).order_by(CalendarYear.year)))
    status = {"loaded_years": [{"year": r.year, "source": r.source,
                                "loaded_at": r.loaded_at.isoformat()} for r in rows],
              "packaged_years": [min(cal.packaged), max(cal.packaged)],
              "current_year": year, "warning": None}
    missing = [y for y in (year, year + 1) if not cal.knows(y)]
    if year in missing:
        status["warning"] = (f"no holiday calendar for {year}: working days count weekends only; "
                             "load the State Council arrangement (cluedesk calendar load FILE)")
    elif missing:
        status["warning"] = (f"no holiday calendar for {missing[0]} yet: deadlines that reach "
                             "into it count weekends only until it is loaded")
    return status


def parse_calendar_file(text: str, file_name: str) -> tuple[int, list[tuple[date, str, str]]]:
    """A year's arrangement from YAML (`year`, `holidays`, `workdays`) or CSV (date,kind,name)."""
    days: list[tuple[date, str, str]] = []
    try:
        if file_name.lower().endswith(".csv"):
            for row in csv.DictReader(io.StringIO(text)):
                days.append((date.fromisoformat(row["date"].strip()), row["kind"].strip(),
                             (row.get("name") or "").strip()))
        else:
            data = yaml.safe_load(text) or {}
            for kind, entries in (("holiday", data.get("holidays")),
                                  ("workday", data.get("workdays"))):
                for entry in entries or []:
                    if "from" in entry:
                        day, end = _as_date(entry["from"]), _as_date(entry["to"])
                        while day <= end:
                            days.append((day, kind, entry.get("name", "")))
                            day += timedelta(days=1)
                    else:
                        days.append((_as_date(entry["date"]), kind, entry.get("name", "")))
    except (KeyError, ValueError, TypeError, AttributeError, yaml.YAMLError, csv.Error) as exc:
        raise Invalid("calendar file %(file)s cannot be read: %(reason)s",
                      reason="calendar_unreadable", params={"file": file_name, "reason": str(exc)},
                      fields={"file": [notes.note("detail", detail=str(exc))]}) from None
    if not days:
        raise Invalid("calendar file %(file)s lists no days", reason="calendar_empty",
                      params={"file": file_name}, fields={"file": [notes.note("empty")]})
    years = {d.year for d, _, _ in days}
    if len(years) != 1:
        raise Invalid("a calendar file holds exactly one year", reason="calendar_years",
                      fields={"file": [notes.note("several_years")]})
    bad = [k for _, k, _ in days if k not in ("holiday", "workday")]
    if bad:
        raise Invalid("unknown kind %(value)r (holiday or workday)", reason="calendar_day_kind_unknown",
                      params={"value": bad[0]}, fields={"file": [notes.note("day_kind")]})
    return years.pop(), days


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def load_calendar(session: Session, runtime: Runtime, *, text: str, file_name: str,
                  actor: str) -> dict:
    """Load a year's arrangement and recompute the open deadlines that reach into it."""
    now = runtime.clock.now()
    year, days = parse_calendar_file(text, file_name)
    session.execute(delete(CalendarDay).where(CalendarDay.year == year))
    existing = session.get(CalendarYear, year)
    if existing is None:
        session.add(CalendarYear(year=year, source=file_name, loaded_at=now, loaded_by=actor))
    else:
        existing.source, existing.loaded_at, existing.loaded_by = file_name, now, actor
    for day, kind, name in sorted(set(days)):
        session.add(CalendarDay(day=day, year=year, kind=kind, name=name[:64]))
    session.flush()
    runtime.calendar_cache = None
    audit.record(session, at=now, actor=actor, action="calendar_loaded",
                 detail={"year": year, "file": file_name, "days": len(days)})
    moved = recompute_open(session, runtime, actor=actor, reason=f"calendar {year} loaded",
                           year=year)
    return {"year": year, "days": len(days), "moved": moved}


# ---------------------------------------------------------------------------------------------
# Computing


def compute(session: Session, runtime: Runtime, row: Deadline) -> tuple[datetime, datetime]:
    """Due and warning instants from the start, the limit, extensions and suspended time."""
    cal = calendar(session, runtime)
    tz = runtime.clock.tz
    due = workdays.due_at(cal, row.started_at, row.amount, row.unit, tz)
    for ext in row.extensions or []:
        due = workdays.due_at(cal, due, int(ext["amount"]), ext["unit"], tz)
    if row.suspended_seconds:
        shifted = due + timedelta(seconds=row.suspended_seconds)
        due = workdays.end_of_day(cal.next_workday(shifted.astimezone(tz).date()), tz)
    return due, workdays.warn_at(cal, row.started_at, due, tz)


def warning_of(row: Deadline, now: datetime) -> str | None:
    """green / yellow / red of a deadline; a breached one is always red."""
    if row.status == "breached":
        return "red"
    if row.status != "open" or row.due_at is None:
        return None
    if row.due_at < now:
        return "red"
    return "yellow" if row.warn_at is not None and row.warn_at <= now else "green"


def _sync_task(session: Session, row: Deadline) -> None:
    if row.task_id is None:
        return
    task = session.get(Task, row.task_id)
    if task is None or task.status != "open":
        return
    if row.status in ("open", "breached"):
        task.due_at, task.warn_at = row.due_at, row.warn_at
    else:
        task.due_at = task.warn_at = None


def start(session: Session, runtime: Runtime, *, key: str, started_at: datetime,
          case_id: int | None = None, instance_id: str | None = None, task_id: str | None = None,
          unit_id: int | None = None, applicable: bool = True, actor: str = "system") -> Deadline:
    """Start a deadline at its starting event (`not_applicable` rows record why none runs)."""
    cfg = key_config(runtime, key)
    now = runtime.clock.now()
    row = Deadline(key=key, case_id=case_id, instance_id=instance_id, task_id=task_id,
                   unit_id=unit_id, started_at=started_at, amount=int(cfg["amount"]),
                   unit=cfg["unit"], extensions=[], suspended_seconds=0,
                   status="open" if applicable else "not_applicable", updated_at=now)
    if applicable:
        row.due_at, row.warn_at = compute(session, runtime, row)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, action="deadline_started", case_id=case_id,
                 instance_id=instance_id, task_id=task_id,
                 detail={"key": key, "status": row.status,
                         "due_at": row.due_at.isoformat() if row.due_at else None})
    _sync_task(session, row)
    return row


def attach_task(session: Session, runtime: Runtime, task: Task) -> None:
    """A new task that names a deadline key fulfils that deadline (started now if not yet)."""
    if not task.deadline_key or task.deadline_key not in config(runtime):
        return
    owner = (Deadline.case_id == task.case_id) if task.case_id else \
        (Deadline.instance_id == task.instance_id)
    row = session.scalar(select(Deadline).where(
        Deadline.key == task.deadline_key, owner, Deadline.task_id.is_(None),
        Deadline.status.in_(("open", "breached", "suspended", "not_applicable")))
        .order_by(Deadline.id).limit(1))
    if row is None:
        start(session, runtime, key=task.deadline_key, started_at=task.created_at,
              case_id=task.case_id, instance_id=task.instance_id, task_id=task.id,
              unit_id=task.candidate_unit_id)
        return
    row.task_id = task.id
    row.unit_id = row.unit_id or task.candidate_unit_id
    _sync_task(session, row)


def met_rule(task: Task) -> str:
    """What completing `task` does to the deadline it works under (task property
    `deadline_met`): `completed` (default) meets it; `later` hands the clock on to the next task
    of the same key (re-work runs against the same deadline); any other value names a form field
    (e.g. `approved`): met when that field is true, handed on otherwise (a send-back)."""
    return str((task.properties or {}).get("deadline_met") or "completed")


def task_finished(session: Session, runtime: Runtime, task: Task, *, completed: bool,
                  data: dict | None = None) -> None:
    """The task that works under a deadline was completed (met, or handed on to the task that
    follows, see `met_rule`) or cancelled."""
    now = runtime.clock.now()
    rule = met_rule(task)
    meets = rule == "completed" or (rule != "later" and bool((data or {}).get(rule)))
    for row in session.scalars(select(Deadline).where(Deadline.task_id == task.id)):
        if completed and not meets and row.status in ("open", "breached", "suspended"):
            row.task_id = None
            audit.record(session, at=now, actor="system", action="deadline_handed_on",
                         case_id=row.case_id, instance_id=row.instance_id, task_id=task.id,
                         detail={"key": row.key, "by": task.element_id})
        elif completed and row.status in ("open", "breached", "suspended"):
            row.met_at = now
            if row.status != "breached":
                row.status = "met"
            audit.record(session, at=now, actor="system", action="deadline_met",
                         case_id=row.case_id, instance_id=row.instance_id, task_id=task.id,
                         detail={"key": row.key, "late": row.status == "breached"})
        elif not completed and row.status in ("open", "suspended"):
            row.status = "cancelled"
        row.updated_at = now


def settle(session: Session, runtime: Runtime, *, case_id: int, key: str, status: str,
           actor: str, reason: str) -> None:
    """A deadline that no longer runs for this case: `cancelled` or `not_applicable`."""
    now = runtime.clock.now()
    for row in session.scalars(select(Deadline).where(
            Deadline.case_id == case_id, Deadline.key == key,
            Deadline.status.in_(("open", "suspended")))):
        row.status, row.updated_at = status, now
        _sync_task(session, row)
        audit.record(session, at=now, actor=actor, action=f"deadline_{status}",
                     case_id=case_id, detail={"key": key, "reason": reason})


def meet(session: Session, runtime: Runtime, *, instance_id: str, key: str, actor: str) -> None:
    """A domain event fulfils the instance's deadline of this key (e.g. 销号 after verification);
    a breached one stays red and is recorded as met late."""
    now = runtime.clock.now()
    for row in session.scalars(select(Deadline).where(
            Deadline.instance_id == instance_id, Deadline.key == key,
            Deadline.status.in_(("open", "breached", "suspended")))):
        row.met_at, row.updated_at = now, now
        if row.status != "breached":
            row.status = "met"
        audit.record(session, at=now, actor=actor, action="deadline_met",
                     case_id=row.case_id, instance_id=row.instance_id, task_id=row.task_id,
                     detail={"key": row.key, "late": row.status == "breached"})
        _sync_task(session, row)


def set_limit(session: Session, runtime: Runtime, row: Deadline, *, amount: int, unit: str,
              started_at: datetime, actor: str, reason: str) -> None:
    """A limit set per item (a key configured `per_item: true`, e.g. the 整改时限 an inspector
    sets per finding) replaces the configured default; audited."""
    if unit not in UNITS or amount < 1:
        raise Invalid("invalid time limit", reason="deadline_limit_invalid",
                      fields={"amount": [notes.note("invalid")]})
    old = row.due_at
    row.amount, row.unit, row.started_at = amount, unit, started_at
    row.due_at, row.warn_at = compute(session, runtime, row)
    row.updated_at = runtime.clock.now()
    _sync_task(session, row)
    audit.record(session, at=row.updated_at, actor=actor, action="deadline_limit_set",
                 case_id=row.case_id, instance_id=row.instance_id, task_id=row.task_id,
                 detail={"key": row.key, "amount": amount, "unit": unit, "reason": reason,
                         "from": old.isoformat() if old else None,
                         "to": row.due_at.isoformat()})


def for_case(session: Session, case_id: int) -> list[Deadline]:
    return list(session.scalars(select(Deadline).where(Deadline.case_id == case_id)
                                .order_by(Deadline.started_at, Deadline.id)))


# ---------------------------------------------------------------------------------------------
# Breach


# Breaches per transaction: the commit's fixed work (audit chain lock and head, the rollup's
# before/after recount, the fsync) is ~10 ms, far more than one breach itself.
BATCH = 50


def _claim_due(session: Session, runtime: Runtime, now: datetime) -> list[Deadline]:
    # Breaching changes the status, so a claimed row is never claimed again.
    stmt = (select(Deadline).where(Deadline.status == "open", Deadline.due_at < now)
            .order_by(Deadline.due_at, Deadline.id).limit(BATCH))
    if not runtime.sqlite:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.scalars(stmt))


def breach(session: Session, runtime: Runtime, row: Deadline, now: datetime,
           supervisors: dict[int, list[int]]) -> None:
    """Mark breached, put the case on the supervised list, notify the unit's supervisors
    (`supervisors`: unit id -> user ids already looked up in this transaction)."""
    row.status, row.breached_at, row.updated_at = "breached", now, now
    audit.record(session, at=now, actor="system", action="deadline_breached",
                 case_id=row.case_id, instance_id=row.instance_id, task_id=row.task_id,
                 detail={"deadline_id": row.id, "key": row.key, "due_at": row.due_at.isoformat()})
    case = session.get(Case, row.case_id) if row.case_id else None
    if case is not None and case.supervised_at is None:
        case.supervised_at = now
        audit.record(session, at=now, actor="system", action="case_supervised",
                     case_id=case.id, detail={"reason": f"deadline {row.key} breached"})
    unit_id = row.unit_id or (case.registered_unit_id if case else None)
    if unit_id is not None:
        label = (case.display_number or case.number) if case else "一个未关联案件的流程"
        due = runtime.clock.local(row.due_at).strftime("%Y-%m-%d")
        listed = "，已列入督办" if case is not None else ""
        if unit_id not in supervisors:
            supervisors[unit_id] = notifications.supervisors_of(session, unit_id)
        notifications.notify(session, user_ids=supervisors[unit_id],
                             kind="deadline_breached", now=now, case_id=row.case_id,
                             task_id=row.task_id,
                             message=f"{label}：“{glossary.name('deadline_key', row.key)}”期限"
                                     f"已于 {due} 届满，超期未办结{listed}")
    _sync_task(session, row)


def fire_due(runtime: Runtime, now: datetime) -> int:
    """Breach every open deadline past due at `now` once, up to BATCH per transaction."""
    fired = 0
    while True:
        def batch() -> int:
            with runtime.uow(write=True) as uow:
                rows = _claim_due(uow.session, runtime, now)
                supervisors: dict[int, list[int]] = {}
                # One flush for the whole batch: the rollup then locks its cases in one sorted
                # pass, so two workers' batches cannot deadlock on each other's cases. It is
                # explicit because the rollup misses writes first flushed by the commit itself.
                with uow.session.no_autoflush:
                    for row in rows:
                        breach(uow.session, runtime, row, now, supervisors)
                uow.session.flush()
                uow.commit()
                return len(rows)
        count = with_retry(batch)
        fired += count
        if count < BATCH:
            return fired


# ---------------------------------------------------------------------------------------------
# Extensions and suspension


def instance_completed(session: Session, runtime: Runtime, *, process_key: str, data: dict,
                       actor: str) -> None:
    """Apply the outcome of a finished approval process."""
    if process_key != EXTENSION_PROCESS:
        return
    row = session.get(Deadline, data.get("deadline_id"))
    now = runtime.clock.now()
    if row is None:
        return
    requester = session.scalar(select(User.id).where(User.username == data.get("requested_by")))
    number = session.scalar(select(func.coalesce(Case.display_number, Case.number))
                            .where(Case.id == row.case_id)) if row.case_id else None
    label = f"{number} " if number else ""
    if not data.get("approved"):
        audit.record(session, at=now, actor=actor, action="deadline_extension_refused",
                     case_id=row.case_id, task_id=row.task_id,
                     detail={"key": row.key, "comment": data.get("comment", "")})
        if requester is not None:
            comment = (data.get("comment") or "").strip()
            notifications.notify(session, user_ids=[requester], kind="refused", now=now,
                                 case_id=row.case_id, task_id=row.task_id,
                                 message=f"{label}期限“{glossary.name('deadline_key', row.key)}”的延期申请未获批准"
                                         f"{'：' + comment if comment else ''}")
        return
    old = row.due_at
    row.extensions = [*(row.extensions or []), {"amount": int(data["amount"]),
                                                "unit": data["time_unit"], "at": now.isoformat(),
                                                "by": actor}]
    row.due_at, row.warn_at = compute(session, runtime, row)
    if row.status == "breached" and row.due_at >= now:
        row.status, row.breached_at = "open", None
    row.updated_at = now
    _sync_task(session, row)
    audit.record(session, at=now, actor=actor, action="deadline_extended", case_id=row.case_id,
                 task_id=row.task_id,
                 detail={"key": row.key, "from": old.isoformat(), "to": row.due_at.isoformat(),
                         "amount": data["amount"], "unit": data["time_unit"]})
    if requester is not None:
        due = runtime.clock.local(row.due_at).strftime("%Y-%m-%d")
        notifications.notify(session, user_ids=[requester], kind="approved", now=now,
                             case_id=row.case_id, task_id=row.task_id,
                             message=f"{label}期限“{glossary.name('deadline_key', row.key)}”的延期申请已批准，"
                                 f"新的期限：{due}")


def _supervised_row(session: Session, user: User, deadline_id: int) -> Deadline:
    row = session.get(Deadline, deadline_id)
    if row is None:
        raise NotFound("deadline %(id)s not found", reason="deadline_not_found",
                       params={"id": deadline_id})
    unit_id = row.unit_id
    if unit_id is None and row.case_id:
        unit_id = session.get(Case, row.case_id).registered_unit_id
    user_path = session.scalar(select(Unit.path).where(Unit.id == user.unit_id))
    unit_path = session.scalar(select(Unit.path).where(Unit.id == unit_id)) if unit_id else None
    if "supervisor" not in user.roles or unit_path is None or not unit_path.startswith(user_path):
        raise Forbidden("only a supervisor of the unit may suspend or resume this deadline",
                        reason="deadline_suspend_forbidden")
    return row


def suspend(session: Session, runtime: Runtime, *, deadline_id: int, user: User,
            reason: str) -> Deadline:
    """Pause the clock (e.g. waiting for another authority)."""
    row = _supervised_row(session, user, deadline_id)
    if row.status != "open":
        raise Invalid("deadline is %(status)s", reason="deadline_wrong_status",
                      params={"status": row.status}, fields={"status": [notes.note("status", status=row.status)]})
    if not reason.strip():
        raise Invalid("a reason is required", reason="reason_required", fields={"reason": [notes.note("required")]})
    now = runtime.clock.now()
    row.status, row.suspended_at, row.updated_at = "suspended", now, now
    _sync_task(session, row)
    audit.record(session, at=now, actor=user.username, action="deadline_suspended",
                 case_id=row.case_id, task_id=row.task_id,
                 detail={"key": row.key, "reason": reason})
    return row


def resume(session: Session, runtime: Runtime, *, deadline_id: int, user: User) -> Deadline:
    """Restart the clock; the due date moves by the time spent suspended."""
    row = _supervised_row(session, user, deadline_id)
    if row.status != "suspended":
        raise Invalid("deadline is %(status)s", reason="deadline_wrong_status",
                      params={"status": row.status}, fields={"status": [notes.note("status", status=row.status)]})
    now = runtime.clock.now()
    paused = int((now - row.suspended_at).total_seconds())
    old = row.due_at
    row.suspended_seconds += max(paused, 0)
    row.status, row.suspended_at, row.updated_at = "open", None, now
    row.due_at, row.warn_at = compute(session, runtime, row)
    _sync_task(session, row)
    audit.record(session, at=now, actor=user.username, action="deadline_resumed",
                 case_id=row.case_id, task_id=row.task_id,
                 detail={"key": row.key, "suspended_seconds": paused, "from": old.isoformat(),
                         "to": row.due_at.isoformat()})
    return row


# ---------------------------------------------------------------------------------------------
# Recomputing


def recompute_open(session: Session, runtime: Runtime, *, actor: str, reason: str,
                   year: int | None = None) -> list[dict]:
    """Recompute open and suspended deadlines (those reaching into `year`); audit each move."""
    now = runtime.clock.now()
    stmt = select(Deadline).where(Deadline.status.in_(("open", "suspended")))
    if year is not None:
        tz = runtime.clock.tz
        first = workdays.end_of_day(date(year - 1, 12, 31), tz)
        stmt = stmt.where(Deadline.started_at < workdays.end_of_day(date(year, 12, 31), tz),
                          or_(Deadline.due_at >= first, Deadline.due_at.is_(None)))
    moved = []
    for row in session.scalars(stmt):
        due, warn = compute(session, runtime, row)
        if due != row.due_at or warn != row.warn_at:
            moved.append({"id": row.id, "key": row.key, "case_id": row.case_id,
                          "from": row.due_at.isoformat() if row.due_at else None,
                          "to": due.isoformat()})
            audit.record(session, at=now, actor=actor, action="deadline_recomputed",
                         case_id=row.case_id, task_id=row.task_id,
                         detail={"key": row.key, "reason": reason, "from": moved[-1]["from"],
                                 "to": moved[-1]["to"]})
            row.due_at, row.warn_at, row.updated_at = due, warn, now
            _sync_task(session, row)
    return moved


def sync_config(runtime: Runtime, *, actor: str = "system") -> list[dict]:
    """When configured limits changed since the last run, apply them to open deadlines."""
    def work(uow: UnitOfWork) -> list[dict]:
        session = uow.session
        cfg = config(runtime)
        fingerprint = hashlib.sha256(json.dumps(cfg, sort_keys=True, default=str)
                                     .encode()).hexdigest()
        state = session.get(ConfigState, "deadlines")
        now = runtime.clock.now()
        if state is not None and state.fingerprint == fingerprint:
            return []
        changed = []
        if state is not None:
            for row in session.scalars(select(Deadline).where(
                    Deadline.status.in_(("open", "suspended")))):
                c = cfg.get(row.key)
                if c and c.get("per_item"):
                    continue  # the configured amount is only the default of new items
                if c and (int(c["amount"]), c["unit"]) != (row.amount, row.unit):
                    row.amount, row.unit = int(c["amount"]), c["unit"]
                    changed.append(row.key)
            audit.record(session, at=now, actor=actor, action="deadline_config_changed",
                         detail={"keys": sorted(set(changed))})
        else:
            session.add(ConfigState(name="deadlines", fingerprint=fingerprint, updated_at=now))
        if state is not None:
            state.fingerprint, state.updated_at = fingerprint, now
        if not changed:
            return []
        return recompute_open(session, runtime, actor=actor, reason="deadline limits changed")
    return runtime.transact(work)
