"""The inbox: task queries, claim, unclaim, reassign. Never deserializes a workflow."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, or_, select, text, union
from sqlalchemy.orm import Session
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import Select

from engine.audit import last_change
from engine.audit import service as audit
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.deadlines.models import Deadline
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine import notes
from engine.access import authority
from engine.inbox.models import Task
from engine.notifications import service as notifications
from engine.org.models import Unit, User
from engine.processes.models import ProcessInstance
from engine.runtime import Runtime
from engine.search import query
from engine.search.models import SearchEntry
from engine.uow import UnitOfWork

TOTAL_CAP = 10_000


def warning_of(task: Task, now: datetime) -> str | None:
    """green / yellow / red from the app clock; None when the task has no deadline."""
    if task.due_at is None:
        return None
    if task.due_at < now:
        return "red"
    if task.warn_at is not None and task.warn_at <= now:
        return "yellow"
    return "green"


# Deadlines that still run: a breached one runs on (red) until it is met or settled.
RUNNING = ("open", "breached")


# The conditions below on other tables are correlated EXISTS, looked up per task by the other
# table's index, never `IN (subquery)`: under an OR PostgreSQL cannot join such a subquery, and
# once its rows outgrow work_mem (a third of a million breached deadlines, a million case
# numbers matching a search) it rescans them for every task, which took minutes at 1,000,000.

def _overdue_case(now: datetime):
    """The task's case has a running deadline that is breached or past its due time."""
    return select(Deadline.id).where(Deadline.case_id == Task.case_id, or_(
        Deadline.status == "breached",
        and_(Deadline.status == "open", Deadline.due_at < now))).exists()


def _breached_own():
    """The task's own deadline (its key, on its case) is marked breached."""
    return and_(Task.deadline_key.isnot(None), select(Deadline.id).where(
        Deadline.case_id == Task.case_id, Deadline.key == Task.deadline_key,
        Deadline.status == "breached").exists())


def overdue_clause(now: datetime):
    """Red as a worker feels it: the task is past its due time, or its own deadline was marked
    breached, or it has no deadline of its own and a running deadline of its case is overdue."""
    return or_(and_(Task.due_at.isnot(None), Task.due_at < now), _breached_own(),
               and_(Task.due_at.is_(None), _overdue_case(now)))


def _due_clause(due: str, now: datetime):
    if due == "red":
        return overdue_clause(now)
    if due == "yellow":
        return and_(Task.due_at >= now, Task.warn_at.isnot(None), Task.warn_at <= now,
                    ~_breached_own())
    if due == "green":
        return and_(Task.due_at >= now, or_(Task.warn_at.is_(None), Task.warn_at > now),
                    ~_breached_own())
    raise Invalid("unknown due filter %(value)r", reason="inbox_due_unknown", params={"value": due},
                  fields={"due": [notes.note("due_colours")]})


@dataclass
class TaskPage:
    items: list[Task]
    total: int
    total_capped: bool
    page: int
    per_page: int


def _conditions(session: Session, *, now: datetime, scope: str, status: str, due: str | None,
                process: str | None, unit: str | None, q: str | None, where) -> list:
    """The filters of `list_tasks` beside who may see the task."""
    if scope not in ("mine", "unit", "all"):
        raise Invalid("unknown scope %(value)r", reason="inbox_scope_unknown",
                      params={"value": scope}, fields={"scope": [notes.note("scopes")]})
    if status not in ("open", "completed"):
        raise Invalid("unknown status %(value)r", reason="inbox_status_unknown",
                      params={"value": status}, fields={"status": [notes.note("open_or_completed")]})
    conds = [Task.status == status]
    if due:
        conds.append(_due_clause(due, now))
    if process:
        conds.append(Task.process_key == process)
    if unit:
        conds.append(Task.candidate_unit_id == select(Unit.id).where(Unit.code == unit)
                     .scalar_subquery())
    if q:
        conds.append(_search_clause(session, q))
    return [*conds, *where]


# A search whose words match at most this many search-index entries is answered from their
# cases' ids; more, per task.
SEARCH_CASES = 1_000
# PostgreSQL: a search of prefixes alone first reads this many newest entries (`_matching_cases`).
SEARCH_WINDOW = 10_000

# Every distinct task name, one index probe each (a loose scan of ix_tasks_name): the names are
# the processes' step names, a few hundred however many tasks there are.
_TASK_NAMES = text(
    "WITH RECURSIVE names(name) AS (SELECT min(name) FROM tasks UNION ALL "
    "SELECT (SELECT min(t.name) FROM tasks t WHERE t.name > names.name) FROM names "
    "WHERE names.name IS NOT NULL) SELECT name FROM names WHERE name IS NOT NULL")


def _matching_cases(session: Session, q: str, match) -> list[int] | None:
    """The cases of the entries that meet `match` (the terms of `q`), or None when more than
    SEARCH_CASES do. PostgreSQL cannot estimate a prefix: asked for the first matches of a
    search of prefixes alone, it walks the whole table expecting to stop early, and a single Han
    character or a number's beginning that matches little then reads every entry (~400 ms at
    1,000,000 cases). Such a search reads the newest SEARCH_WINDOW entries first (a frequent
    prefix stops there), then every match through the full-text index (a rare one: few)."""
    def first(stmt) -> list[int]:
        return list(session.scalars(stmt.limit(SEARCH_CASES + 1)))
    cases = select(SearchEntry.case_id).where(match, SearchEntry.case_id.isnot(None))
    if session.get_bind().dialect.name == "postgresql" and query.only_prefixes(q):
        top = session.scalar(select(func.max(SearchEntry.id))) or 0
        rows = first(cases.where(SearchEntry.id > top - SEARCH_WINDOW))
        if len(rows) <= SEARCH_CASES:
            found = cases.cte("found").prefix_with("MATERIALIZED")  # the index, whatever LIMIT
            rows = first(select(found.c.case_id))
    else:
        rows = first(cases)
    return None if len(rows) > SEARCH_CASES else sorted(set(rows))


def _search_clause(session: Session, q: str) -> ColumnElement[bool]:
    """`q` in the task's name, or every word of `q` in what the search index holds of the
    task's case (its number, its petitions' and clues' numbers, accused, places and content:
    the matching of the search page, `engine.search`). Worked out once per transaction (an
    inbox page counts four tabs and reads a page, each with this condition): the step names
    containing `q` from the list of distinct task names, and the matching cases from the
    full-text index — their ids when few; when many, each task's case is looked up instead,
    and the counts and the page stop early at their caps."""
    known = session.info.setdefault("inbox_search", {})
    if q not in known:
        wanted = q.lower()
        names = [n for n in session.scalars(_TASK_NAMES) if wanted in n.lower()]
        match = query.matches(session, q)
        known[q] = (names, [] if match is None else _matching_cases(session, q, match), match)
    names, case_ids, match = known[q]
    if case_ids is None:
        # OFFSET 0 keeps PostgreSQL from hashing every match first (it cannot estimate a
        # prefix search and guessed 20,000 of 1,000,000): each task's entries are looked up.
        cases = select(SearchEntry.id).where(SearchEntry.case_id == Task.case_id, match) \
            .offset(0).exists()
    else:
        cases = Task.case_id.in_(case_ids) if case_ids else None
    found = [c for c in (Task.name.in_(names) if names else None, cases) if c is not None]
    return or_(*found) if found else false()


def task_filter(session: Session, *, user: User, now: datetime, scope: str = "all",
                status: str = "open", due: str | None = None, process: str | None = None,
                unit: str | None = None, q: str | None = None, where=()) -> ColumnElement[bool]:
    """The condition of `list_tasks` (`where`: more conditions, e.g. the inbox page's tabs)."""
    conds = _conditions(session, now=now, scope=scope, status=status, due=due, process=process,
                        unit=unit, q=q, where=where)
    return and_(authority.visible_clause(session, user, scope), *conds)


# Up to this many visible tasks, a page is read from the visible sets and sorted (list_tasks).
FEW = 500

# Soonest due first, tasks without a deadline last: the order of ix_tasks_open_unit_due (a unit's
# open tasks) and ix_tasks_open_due (all open tasks).
DUE_ORDER = (Task.due_at.asc().nulls_last(), Task.created_at, Task.id)


def _first(visible: ColumnElement[bool], conds: list, cap: int, *, one_range: bool = False):
    """The ids of the first cap + 1 tasks meeting `visible` (a part of the visibility rule) and
    `conds`. `one_range`: `visible` is one branch of the rule; if it is on the task's own
    columns it is one range of an index, read in due order so that it stops at the cap, where
    PostgreSQL gathered a bitmap of the whole range first (a township's 60,606 open tasks: a
    search's overdue count 35 -> 4 ms). Not in due order: a branch that looks another table up
    (an intake office's registered cases: a case probed for every open task until the cap, 62
    -> 620 ms), and several units' ranges (PostgreSQL reads them through the index of all open
    tasks: a township supervisor's count to 10,000, 45 -> 186 ms)."""
    first = select(Task.id).where(visible, *conds)
    if one_range and not any(isinstance(e, Select) for e in visitors.iterate(visible)):
        first = first.order_by(*DUE_ORDER)
    return first.limit(cap + 1).subquery()


def _capped(session: Session, first) -> int:
    return session.scalar(select(func.count()).select_from(first)) or 0


def count_tasks(session: Session, *, user: User, now: datetime, scope: str = "all",
                status: str = "open", due: str | None = None, process: str | None = None,
                unit: str | None = None, q: str | None = None, where=(),
                cap: int | None = None) -> int:
    """How many tasks `list_tasks` finds, counted up to `cap` + 1 (default TOTAL_CAP; more:
    "10,000+"). A county supervisor's tasks offered to the units below are counted first, from
    the index alone: when they pass the cap, the rest of what they see is never read."""
    return _count(session, user, scope, _conditions(
        session, now=now, scope=scope, status=status, due=due, process=process, unit=unit, q=q,
        where=where), TOTAL_CAP if cap is None else cap)


def _count(session: Session, user: User, scope: str, conds: list, cap: int) -> int:
    part = authority.counted_part(session, user, scope)
    if part is not None:
        counted = _capped(session, _first(part, conds, cap))
        if counted > cap:
            return counted
    return min(_capped(session, _visible_ids(session, user, scope, conds, cap)), cap + 1)


def _visible_ids(session: Session, user: User, scope: str, conds: list, cap: int):
    """The ids of the tasks the user sees meeting `conds`, up to cap + 1 of them (more when
    several branches each find some), read as the count reads them."""
    branches = authority.visible_branches(session, user, scope)
    if len(branches) == 1:
        return _first(branches[0], conds, cap, one_range=True)
    if "supervisor" in user.roles:
        # A supervisor's branches include the tasks of cases handled or registered below,
        # which no index range of the tasks serves: measured slower apart than together.
        return _first(or_(*branches), conds, cap)
    # Each branch of the visibility rule read from its own index up to cap + 1 rows, the ids
    # merged without repeats: exact below the cap, and past it as soon as one branch is (the
    # OR as one condition made the database collect every visible task before counting: a
    # township caseworker's inbox at 1,000,000 cases, 55-69 ms of counting -> 30-38 ms).
    arms = [_first(branch, conds, cap, one_range=True) for branch in branches]
    return union(*(select(arm.c.id) for arm in arms)).subquery()


def list_tasks(session: Session, *, user: User, now: datetime, scope: str = "all",
               status: str = "open", due: str | None = None, process: str | None = None,
               unit: str | None = None, q: str | None = None, page: int = 1,
               per_page: int = 50, where=(), latest_due_first: bool = False,
               order=None, cap: int | None = None, counted: int | None = None) -> TaskPage:
    """Tasks the user may see, filtered, soonest due first (or latest due first, or in
    `order`: clauses put before the due order); the total counted up to `cap` (default
    TOTAL_CAP), or `counted` when the caller has just counted them with `count_tasks`."""
    cap = TOTAL_CAP if cap is None else cap
    conds = _conditions(session, now=now, scope=scope, status=status, due=due, process=process,
                        unit=unit, q=q, where=where)
    if counted is None:
        counted = _count(session, user, scope, conds, cap)
    if not counted:
        # Nothing to read: a page of rows checked one by one in due order would read every
        # open task looking for one (a designer who started none: 2 s at 1,000,000).
        return TaskPage([], 0, False, page, per_page)
    if counted <= min(FEW, cap):
        # A few: the ids the count read, then sorted. Read in due order checking each row, the
        # page would read every open task to find them (a designer with 5 tasks among
        # 1,000,000: 3 s), and so would PostgreSQL given the visibility rule with the order.
        where = Task.id.in_(select(_visible_ids(session, user, scope, conds, FEW).c.id))
    else:
        # Many: a page is the first rows of an index range, however many tasks are open, read
        # in due order and stopping at its last row, visibility checked per row.
        where = and_(authority.visible_clause(session, user, scope, per_row=True), *conds)
    by_due = DUE_ORDER
    if latest_due_first:
        by_due = (Task.due_at.desc().nulls_last(), Task.created_at.desc(), Task.id.desc())
    items = list(session.scalars(select(Task).where(where).order_by(*(order or ()), *by_due)
                                 .offset((page - 1) * per_page).limit(per_page)))
    return TaskPage(items, min(counted, cap), counted > cap, page, per_page)


def get_task(session: Session, *, user: User, task_id: str) -> Task:
    """A task the user may see."""
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task %(id)s not found", reason="task_not_found", params={"id": task_id})
    if not authority.may_see(session, user, task):
        raise Forbidden("you may not see this task", reason="task_not_visible")
    return task


def _locked_task(uow: UnitOfWork, runtime: Runtime, task_id: str) -> Task:
    session = uow.session
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task %(id)s not found", reason="task_not_found", params={"id": task_id})
    # Writes to one instance are serialised: lock its row, then re-read the task.
    stmt = select(ProcessInstance.id).where(ProcessInstance.id == task.instance_id)
    if not runtime.sqlite:
        stmt = stmt.with_for_update()
    session.execute(stmt)
    session.refresh(task)
    return task


def _check_version(task: Task, version: int | None, session: Session | None = None,
                   runtime: Runtime | None = None) -> None:
    if version is not None and version != task.version:
        # Say who changed it and how (the page keeps what the user typed).
        changed = last_change.of_task(session, runtime.clock, task.id) if session is not None \
            else {"by": "", "change": "", "at": ""}
        raise Conflict("task has changed (version %(version)s, you sent %(sent)s)",
                       reason="task_version_stale",
                       params={"version": task.version, "sent": version, "by": changed["by"],
                               "change": changed["change"], "at": changed["at"]})


def claim(uow: UnitOfWork, *, runtime: Runtime, task_id: str, user: User,
          version: int | None = None) -> Task:
    """Take a task offered to the user."""
    task = _locked_task(uow, runtime, task_id)
    _check_version(task, version, uow.session, runtime)
    if task.status != "open":
        raise Conflict("task is %(status)s", reason="task_not_open", params={"status": task.status})
    if task.assignee_id is not None and task.assignee_id != user.id:
        raise Conflict("task is held by someone else", reason="task_held_by_other")
    if not authority.may_work(user, task, uow.session):
        raise Forbidden("you may not claim this task", reason="task_claim_forbidden")
    if task.assignee_id != user.id:
        task.assignee_id = user.id
        task.version += 1
        audit.record(uow.session, at=runtime.clock.now(), actor=user.username,
                     action="task_claimed", case_id=task.case_id, instance_id=task.instance_id,
                     task_id=task.id, task_name=task.name)
    return task


def unclaim(uow: UnitOfWork, *, runtime: Runtime, task_id: str, user: User,
            version: int | None = None) -> Task:
    """Give a task back to its queue."""
    task = _locked_task(uow, runtime, task_id)
    _check_version(task, version, uow.session, runtime)
    if task.status != "open":
        raise Conflict("task is %(status)s", reason="task_not_open", params={"status": task.status})
    if not authority.may_see(uow.session, user, task):
        raise Forbidden("you may not see this task", reason="task_not_visible")  # nor learn what it is from the reply
    if task.assignee_id is None:
        return task
    if task.assignee_id != user.id and not authority.may_supervise(uow.session, user, task):
        raise Conflict("task is held by someone else", reason="task_held_by_other")
    task.assignee_id = None
    task.version += 1
    audit.record(uow.session, at=runtime.clock.now(), actor=user.username,
                 action="task_unclaimed", case_id=task.case_id, instance_id=task.instance_id,
                 task_id=task.id, task_name=task.name)
    return task


def reassign(uow: UnitOfWork, *, runtime: Runtime, task_id: str, user: User, assignee: str,
             reason: str, version: int | None = None) -> Task:
    """A supervisor gives the task to another eligible user, with a reason."""
    session = uow.session
    task = _locked_task(uow, runtime, task_id)
    if not authority.may_supervise(session, user, task):
        raise Forbidden("only a supervisor of the task's unit may reassign it",
                        reason="task_reassign_forbidden")
    _check_version(task, version, uow.session, runtime)
    if task.status != "open":
        raise Conflict("task is %(status)s", reason="task_not_open", params={"status": task.status})
    if not reason or not reason.strip():
        raise Invalid("a reason is required", reason="reason_required",
                      fields={"reason": [notes.note("required")]})
    target = session.scalar(select(User).where(User.username == assignee))
    if target is None:
        raise Invalid("no user %(user)r", reason="assignee_unknown", params={"user": assignee},
                      fields={"assignee": [notes.note("unknown_user")]})
    if not authority.eligible(target, task, session):
        raise Invalid("%(user)s may not work this task", reason="assignee_not_eligible",
                      params={"user": assignee},
                      fields={"assignee": [notes.note("not_eligible")]})
    previous = session.get(User, task.assignee_id).username if task.assignee_id else None
    task.assignee_id = target.id
    task.version += 1
    now = runtime.clock.now()
    audit.record(session, at=now, actor=user.username, action="task_reassigned",
                 case_id=task.case_id, instance_id=task.instance_id, task_id=task.id,
                 task_name=task.name,
                 detail={"from": previous, "to": target.username, "reason": reason})
    if target.id != user.id:
        number = session.scalar(select(func.coalesce(Case.display_number, Case.number))
                                .where(Case.id == task.case_id)) if task.case_id else None
        notifications.notify(session, user_ids=[target.id], kind="reassigned", now=now,
                             case_id=task.case_id, task_id=task.id,
                             message=f"{number + ' ' if number else ''}「{task.name}」由 "
                                     f"{user.display_name or user.username} 交给您办理："
                                     f"{reason.strip()}")
    return task


def describe(session: Session, tasks: list[Task], runtime: Runtime) -> list[dict]:
    """Task objects as API.md "Tasks" lists them (local times; names from the id caches)."""
    clock, names = runtime.clock, runtime.names
    now = clock.now()

    def local(value):
        return clock.local(value) if value is not None else None
    users = names.usernames(session, (t.assignee_id for t in tasks))
    units = names.unit_codes(session, (t.candidate_unit_id for t in tasks))
    case_ids = {t.case_id for t in tasks if t.case_id}
    shown = {i: (n, d) for i, n, d in session.execute(
        select(Case.id, Case.number, Case.display_number).where(Case.id.in_(case_ids)))
    } if case_ids else {}
    cases = {i: n for i, (n, _) in shown.items()}
    running = _running_deadlines(session, case_ids)

    def case_deadline(t: Task) -> dict | None:
        if t.due_at is not None or not t.case_id or not running.get(t.case_id):
            return None
        row = running[t.case_id][0]
        return {"key": row.key, "due_at": local(row.due_at), "status": row.status,
                "warning": deadlines.warning_of(row, now)}

    def warning(t: Task) -> str | None:
        own = [d for d in running.get(t.case_id, ()) if d.key == t.deadline_key]
        if t.deadline_key and any(d.status == "breached" for d in own):
            return "red"
        return warning_of(t, now)
    return [{
        "id": t.id, "name": t.name, "element_id": t.element_id, "lane": t.lane,
        "process_key": t.process_key, "instance_id": t.instance_id, "case_id": t.case_id,
        "case_number": cases.get(t.case_id),
        "case_display_number": (shown.get(t.case_id) or (None, None))[1] or cases.get(t.case_id), "assignee": users.get(t.assignee_id),
        "candidate_unit": units.get(t.candidate_unit_id), "candidate_role": t.candidate_role,
        "created_at": local(t.created_at), "due_at": local(t.due_at),
        "deadline_key": t.deadline_key,
        "warning": warning(t), "status": t.status, "version": t.version,
        "case_deadline": case_deadline(t),
    } for t in tasks]


def _running_deadlines(session: Session, case_ids: set) -> dict[int, list[Deadline]]:
    """Per case, its running deadlines, most urgent first: breached ones, then by due time."""
    if not case_ids:
        return {}
    out: dict[int, list[Deadline]] = {}
    for row in session.scalars(select(Deadline).where(
            Deadline.case_id.in_(case_ids), Deadline.status.in_(RUNNING),
            Deadline.due_at.isnot(None))):
        out.setdefault(row.case_id, []).append(row)
    for rows in out.values():
        rows.sort(key=lambda d: (d.status != "breached", d.due_at, d.id))
    return out


def move_case_tasks(session: Session, *, case_id: int, from_unit_id: int, to_unit_id: int,
                    actor: str, now: datetime) -> int:
    """A transferred case: its open tasks offered to the old handling unit move to the new one
    (unassigned, so the new unit's people pick them up); audited per task."""
    moved = 0
    for task in session.scalars(select(Task).where(Task.case_id == case_id, Task.status == "open",
                                                   Task.candidate_unit_id == from_unit_id)):
        task.candidate_unit_id, task.assignee_id = to_unit_id, None
        task.version += 1
        moved += 1
        audit.record(session, at=now, actor=actor, action="task_moved", case_id=case_id,
                     instance_id=task.instance_id, task_id=task.id, task_name=task.name,
                     detail={"reason": "case transferred"})
    return moved
