"""The inbox page: its tabs and filters over `service.list_tasks`, the case facts of its rows
(accused, township, channel, received, working days left), and each user's saved filters."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import authority
from engine.cases.models import Case
from engine.deadlines import service as deadlines
from engine.errors import Invalid, NotFound
from engine import notes
from engine.inbox import service as inbox
from engine.supervision import service as supervision
from engine.worknotes import service as worknotes
from engine.village import service as village
from engine.inbox.models import SavedFilter, Task
from engine.org.models import Unit, User
from engine.petitions.models import CATEGORIES, AccusedPerson, Petition
from engine.processes import store
from engine.processes.models import ProcessDefinition
from engine.runtime import Runtime

# mine: assigned or offered to me personally; unit: my unit's tasks nobody has claimed;
# supervised: tasks of cases on the supervised list (督办); overdue: past their due time.
TABS = ("mine", "unit", "supervised", "overdue")
# What a filter (and a saved filter) may hold: the inbox page's query string.
KEYS = ("tab", "process", "step", "due", "township", "category", "q", "sort")
# Every column of the inbox table sorts, ascending or (with "-") descending; ties and the
# rest in due order. Case facts come from the case's first petition, as the rows show them.
COLUMNS = ("case", "step", "accused", "township", "channel", "received", "due", "holder")
SORTS = (*COLUMNS, *(f"-{c}" for c in COLUMNS))


def _first_petition(column):
    return (select(column).where(Petition.case_id == Task.case_id)
            .order_by(Petition.id).limit(1).correlate(Task).scalar_subquery())


def sort_order(sort: str | None) -> list | None:
    """The ORDER BY of an inbox sort key (None: the due order of `list_tasks`)."""
    key = (sort or "due").lstrip("-")
    if key == "due":
        return None
    column = {
        "case": select(Case.number).where(Case.id == Task.case_id).scalar_subquery(),
        "step": Task.name,
        "accused": select(func.min(AccusedPerson.name)).where(
            AccusedPerson.petition_id == _first_petition(Petition.id)).correlate(Task)
        .scalar_subquery(),
        "township": select(Unit.name).where(
            Unit.id == _first_petition(Petition.township_id)).correlate(Task).scalar_subquery(),
        "channel": _first_petition(Petition.channel),
        "received": _first_petition(Petition.received_at),
        "holder": select(User.display_name).where(User.id == Task.assignee_id)
        .scalar_subquery(),
    }[key]
    return [column.desc().nulls_last() if sort.startswith("-") else column.asc().nulls_last()]


def clean(query: dict) -> dict:
    """Only the known keys with non-empty values; values checked where they are closed sets."""
    out = {k: str(query[k]).strip() for k in KEYS if query.get(k) not in (None, "")}
    out = {k: v for k, v in out.items() if v}
    if out.get("tab", "mine") not in TABS:
        raise Invalid("unknown tab %(value)r", reason="inbox_tab_unknown",
                      params={"value": out["tab"]}, fields={"tab": [notes.note("options", options=", ".join(TABS))]})
    if out.get("sort", "due") not in SORTS:
        raise Invalid("unknown sort %(value)r", reason="inbox_sort_unknown",
                      params={"value": out["sort"]}, fields={"sort": [notes.note("options", options=", ".join(SORTS))]})
    if out.get("category", "other") not in CATEGORIES:
        raise Invalid("unknown category %(value)r", reason="inbox_category_unknown",
                      params={"value": out["category"]}, fields={"category": [notes.note("unknown")]})
    if len(out.get("q", "")) > 200:
        raise Invalid("the search text is too long", reason="inbox_search_too_long",
                      fields={"q": [notes.note("max_length", max=200)]})
    return out


def _tab_args(tab: str) -> dict:
    if tab == "mine":
        return {"scope": "mine", "where": []}
    if tab == "unit":
        return {"scope": "unit", "where": [Task.assignee_id.is_(None)]}
    if tab == "supervised":
        return {"scope": "all", "where": [Task.case_id.in_(
            select(Case.id).where(Case.supervised_at.isnot(None)))]}
    return {"scope": "all", "where": [], "due": "red"}


def _filter_args(session: Session, query: dict) -> dict:
    where = []
    if query.get("step"):
        where.append(Task.element_id == query["step"])
    if query.get("township"):
        township = select(Unit.id).where(Unit.code == query["township"]).scalar_subquery()
        where.append(Task.case_id.in_(select(Petition.case_id).where(
            Petition.township_id == township)))
    if query.get("category"):
        where.append(Task.case_id.in_(select(Petition.case_id).where(
            Petition.category == query["category"])))
    return {"where": where, "due": query.get("due"), "process": query.get("process"),
            "q": query.get("q")}


def _args(session: Session, tab: str, query: dict) -> dict:
    tab_args, filter_args = _tab_args(tab), _filter_args(session, query)
    due = tab_args.get("due")
    if filter_args["due"] and due and filter_args["due"] != due:
        # Overdue and (say) green at once: nothing; say so with an impossible condition.
        filter_args["where"].append(Task.id.is_(None))
    return {"scope": tab_args["scope"], "due": filter_args["due"] or due,
            "process": filter_args["process"], "q": filter_args["q"],
            "where": [*tab_args["where"], *filter_args["where"]]}


@dataclass
class InboxPage:
    tab: str
    query: dict
    counts: dict[str, int]
    rows: list[dict]
    total: int
    page: int
    pages: int
    cap: int  # counts and the total stop here: more shows as "1000+"
    capped: bool  # the tab's tasks are more than `cap`


# The page counts each tab, and its own tab's total, up to PAGE_CAP + 1: nobody pages past a
# thousand tasks (a filter or a sort finds them), and counting to 10,000 through the
# visibility rule cost ~100 ms per tab at 1,000,000 cases (bench/RESULTS.md, issue 28).
# Beyond the counted tasks no page has rows. The API's total still counts to inbox.TOTAL_CAP.
PAGE_CAP = 1_000
MAX_PAGE = 100_000
PER_PAGE = 25


def inbox_page(session: Session, runtime: Runtime, *, user: User, query: dict, page: int = 1,
               per_page: int = PER_PAGE) -> InboxPage:
    """One page of a tab, the count of every tab under the same filters, rows with case facts."""
    query = clean(query)
    tab, counts, found, pages = _listing(session, runtime, user, query, page, per_page)
    rows = rows_of(session, runtime, found.items, user=user)
    return InboxPage(tab, {**query, "tab": tab}, counts, rows, found.total, found.page, pages,
                     PAGE_CAP, found.total_capped)


def _listing(session: Session, runtime: Runtime, user: User, query: dict, page: int,
             per_page: int) -> tuple[str, dict[str, int], inbox.TaskPage, int]:
    """The tab shown, every tab's count, the tab's page of tasks and its number of pages."""
    now = runtime.clock.now()
    counts = _counts(session, user, now, query)
    # No tab asked for: the first that has tasks (a caseworker holding none lands on the unit's
    # unclaimed queue rather than an empty page).
    tab = query.get("tab") or next((name for name in TABS if counts[name]), "mine")
    # "My tasks" leads with those whose follow-up day (提醒日期) has come.
    today = runtime.clock.local(now).date()
    def listed(number):
        return inbox.list_tasks(session, user=user, now=now, page=number, per_page=per_page,
                                latest_due_first=query.get("sort") == "-due",
                                order=[*(worknotes.due_first(user, today)
                                         if tab == "mine" else ()),
                                       *(sort_order(query.get("sort")) or ())],
                                cap=PAGE_CAP, counted=counts[tab], **_args(session, tab, query))
    found = listed(min(max(page, 1), MAX_PAGE))
    pages = max(1, -(-found.total // per_page))
    if found.page > pages:  # past the end (an old link, a typed number): the last page
        found = listed(pages)
    return tab, counts, found, pages


def _counts(session: Session, user: User, now: datetime, query: dict) -> dict[str, int]:
    """Each tab's tasks under the filters, counted up to PAGE_CAP + 1."""
    return {name: inbox.count_tasks(session, user=user, now=now, cap=PAGE_CAP,
                                    **_args(session, name, query)) for name in TABS}


def poll_state(session: Session, runtime: Runtime, *, user: User, query: dict,
               page: int = 1) -> dict:
    """What a polling inbox page compares: the tab counts under the page's filters and a stamp
    of what the page shows (the counts, and the id and version of each task on its page: a new,
    finished, claimed, given back or reassigned task changes it). Only what is on screen: a
    stamp over every visible task read them all, 1.3 s a poll for a township supervisor at
    1,000,000 cases (bench/RESULTS.md, issue 28)."""
    query = clean(query)
    _tab, counts, found, _pages = _listing(session, runtime, user, query, page, PER_PAGE)
    shown = ",".join(f"{t.id}:{t.version}" for t in found.items)
    stamp = hashlib.sha256(f"{sorted(counts.items())}|{shown}".encode()).hexdigest()[:16]
    return {"counts": counts, "stamp": stamp}


def rows_of(session: Session, runtime: Runtime, tasks: list[Task], *,
            user: User | None = None) -> list[dict]:
    """Tasks as `service.describe` gives them plus their case's facts and the holder's name,
    in a fixed number of queries; with `user`, whether they may claim it from the list
    (offered to them and held by nobody; recusal is checked by the claim itself)."""
    described = inbox.describe(session, tasks, runtime)
    facts = case_facts(session, runtime, [t.case_id for t in tasks if t.case_id])
    # A task without a deadline of its own counts down its case's most urgent running one.
    left = working_days_left(session, runtime, [
        row["due_at"] or (row.get("case_deadline") or {}).get("due_at") for row in described])
    holders = {t.assignee_id for t in tasks if t.assignee_id}
    names = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_(holders))).all()) if holders else {}
    caseless = [t.instance_id for t in tasks if not t.case_id]
    supervised = {**supervision.inbox_facts(session, caseless),
                  **village.inbox_facts(session, runtime, caseless)}
    reminders = worknotes.follow_ups(session, user=user, task_ids=[t.id for t in tasks]) \
        if user is not None else {}
    for task, row, days in zip(tasks, described, left, strict=False):
        row.update(supervised.get(task.instance_id, {}) if not task.case_id else {})
        row.update(facts.get(row["case_id"], {}), days_left=days,
                   assignee_name=names.get(task.assignee_id) or row["assignee"],
                   claimable=user is not None and task.assignee_id is None
                   and authority.may_work(user, task), remind_on=reminders.get(task.id))
    return described


def case_facts(session: Session, runtime: Runtime, case_ids: list[int]) -> dict[int, dict]:
    """Per case: the first petition's accused (none for a sealed one), township, channel,
    category and received time."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(Petition.case_id, Petition.id, Petition.channel, Petition.received_at,
               Petition.category, Petition.sealed, Unit.code, Unit.name)
        .outerjoin(Unit, Unit.id == Petition.township_id)
        .where(Petition.case_id.in_(set(case_ids))).order_by(Petition.id)).all()
    first: dict[int, tuple] = {}
    for row in rows:
        first.setdefault(row.case_id, row)
    accused: dict[int, list[str]] = {}
    petition_ids = [r.id for r in first.values() if not r.sealed]
    if petition_ids:
        for pid, name in session.execute(
                select(AccusedPerson.petition_id, AccusedPerson.name)
                .where(AccusedPerson.petition_id.in_(petition_ids)).order_by(AccusedPerson.id)):
            accused.setdefault(pid, []).append(name)
    return {case_id: {"petition_id": r.id, "channel": r.channel,
                      "received_at": runtime.clock.local(r.received_at), "category": r.category,
                      "township": r.code, "township_name": r.name,
                      "accused": accused.get(r.id, [])}
            for case_id, r in first.items()}


def working_days_left(session: Session, runtime: Runtime,
                      due: list[datetime | None]) -> list[int | None]:
    """Working days from today to each due day (0: due today; negative: working days late)."""
    cal = deadlines.calendar(session, runtime)
    tz = runtime.clock.tz
    today = runtime.clock.now().astimezone(tz).date()
    memo: dict = {}

    def left(at: datetime | None) -> int | None:
        if at is None:
            return None
        day = at.astimezone(tz).date()
        if day not in memo:
            memo[day] = cal.workdays_between(today, day) if day >= today else \
                -max(cal.workdays_between(day, today), 1)
        return memo[day]
    return [left(at) for at in due]


def choices(session: Session, runtime: Runtime, process: str | None = None) -> dict:
    """What the filters offer: the deployed processes, the steps of the chosen one (from its
    definition, so the cost does not grow with the number of open tasks), the townships."""
    latest = select(func.max(ProcessDefinition.id)).group_by(ProcessDefinition.key)
    definitions = session.execute(select(ProcessDefinition.id, ProcessDefinition.key,
                                         ProcessDefinition.name)
                                  .where(ProcessDefinition.id.in_(latest))
                                  .order_by(ProcessDefinition.key)).all()
    steps: list[tuple[str, str]] = []
    chosen = next((d for d in definitions if d.key == process), None)
    if chosen is not None:
        human = store.compiled_for(session, runtime, chosen.id).human_tasks
        # Only its own steps: a called process's steps carry the called process's key.
        steps = [(element, info["name"]) for element, info in human.items()
                 if info.get("process") in (None, chosen.key)]
    townships = session.execute(select(Unit.code, Unit.name).where(
        Unit.kind == "township", Unit.active.is_(True)).order_by(Unit.code)).all()
    return {"processes": [(d.key, d.name or d.key) for d in definitions], "steps": steps,
            "townships": [(t.code, t.name) for t in townships], "categories": CATEGORIES}


# ---------------------------------------------------------------------------------------------
# Saved filters


def saved(session: Session, user_id: int) -> list[SavedFilter]:
    """The user's saved filters by name."""
    return list(session.scalars(select(SavedFilter).where(SavedFilter.user_id == user_id)
                                .order_by(SavedFilter.name, SavedFilter.id)))


def save(session: Session, *, user: User, name: str, query: dict, now: datetime) -> SavedFilter:
    """Save (or replace) a named filter of the user's inbox."""
    name = (name or "").strip()
    if not name:
        raise Invalid("give the filter a name", reason="filter_name_required", fields={"name": [notes.note("required")]})
    if len(name) > 100:
        raise Invalid("the name is too long", reason="filter_name_too_long",
                      fields={"name": [notes.note("max_length", max=100)]})
    query = clean(query)
    row = session.scalar(select(SavedFilter).where(SavedFilter.user_id == user.id,
                                                   SavedFilter.name == name))
    if row is None:
        row = SavedFilter(user_id=user.id, name=name, created_at=now)
        session.add(row)
    row.query = query
    session.flush()
    return row


def delete(session: Session, *, user: User, filter_id: int) -> None:
    """Delete one of the user's saved filters."""
    row = session.get(SavedFilter, filter_id)
    if row is None or row.user_id != user.id:
        raise NotFound("saved filter %(id)s not found", reason="filter_not_found",
                       params={"id": filter_id})
    session.delete(row)
    session.flush()
