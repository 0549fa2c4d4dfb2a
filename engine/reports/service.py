"""Periodic statistics (定期通报) per unit and period, and the flags of periodic obligations.

Every figure is one SQL aggregate grouped by the unit an item counts for (README "Statistics"),
then rolled up the unit tree in Python (a handful of groups, never the rows). The unit of an item
is the unit handling its case: `cases.handling_unit_id`, else `first_handling_unit_id`, else
`registered_unit_id`; a repeat petition takes its original's case; a clue without a case its own
unit; a deadline the unit that must meet it.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, UTC

from sqlalchemy import Integer, String, and_, case, func, literal, or_, select, text, union_all
from sqlalchemy.orm import Session, aliased

from engine import db
from engine.audit import service as audit
from engine.audit.models import AuditEvent
from engine.cases.models import Case
from engine.clarifications.models import AccusationReferral, Clarification
from engine.clues.models import DISPOSITIONS, FINDINGS, Clue
from engine.deadlines.models import Deadline
from engine.errors import Forbidden, Invalid
from engine import notes
from engine.org.models import User
from engine.org.tree import Tree, UnitInfo
from engine.petitions.models import CATEGORIES, CHANNELS, Petition
from engine.quality.models import ReviewRound
from engine.reports import rollup
from engine.reports.rollup import DUE_STATUSES, case_unit
from engine.runtime import Runtime
from engine.visits.models import SATISFACTION, ReturnVisit
from engine.supervision import service as supervision

PERIOD_KINDS = ("month", "quarter", "year")
SUBMISSION_KINDS = ("key_verification_report", "quarterly_feedback",
                    "interference_quarterly_report")
SUBMITTED = "periodic_report_submitted"
# Reports: own unit for these roles, own subtree for supervisors, everything for administrators.
OWN_UNIT_ROLES = ("intake_clerk", "caseworker")
MAX_DAYS = 366 * 20


# ---------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """Dates `first`..`last` (both included) in the deployment's time zone, and the UTC instants
    [start, end) they cover."""
    first: date
    last: date
    start: datetime
    end: datetime

    def as_dict(self) -> dict:
        return {"from": self.first, "to": self.last}


def period(runtime: Runtime, *, first: date, last: date) -> Period:
    """The period of these dates (both included), in the deployment's time zone."""
    if last < first:
        raise Invalid("`to` is before `from`", reason="report_period_reversed", fields={"to": [notes.note("before_from")]})
    if (last - first).days > MAX_DAYS:
        raise Invalid("the period is too long", reason="report_period_too_long", fields={"to": [notes.note("max_years", years=20)]})
    tz = runtime.clock.tz
    start = datetime.combine(first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return Period(first, last, start, end)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def calendar_period(runtime: Runtime, *, kind: str, on: date, months: int | None = None,
                    back: int = 0) -> Period:
    """The month / quarter / year (or block of `months` months aligned on January) containing
    `on`; `back=1` gives the one before it."""
    size = months or {"month": 1, "quarter": 3, "year": 12}.get(kind)
    if size is None:
        raise Invalid("unknown period %(period)r", reason="report_period_unknown",
                      params={"period": kind}, fields={"period": notes.choices(PERIOD_KINDS)})
    first = date(on.year, (on.month - 1) // size * size + 1, 1)
    first = _add_months(first, -size * back)
    last = _add_months(first, size) - timedelta(days=1)
    return period(runtime, first=first, last=last)


def resolve_period(runtime: Runtime, *, first: date | None, last: date | None,
                   kind: str | None, on: date | None) -> Period:
    """`from`/`to` when given (custom), else the `kind` period (default month) containing `on`
    (default today)."""
    if first is not None or last is not None:
        if first is None or last is None:
            missing = "from" if first is None else "to"
            raise Invalid("give both `from` and `to`", reason="report_period_incomplete",
                          fields={missing: [notes.note("required_with_other")]})
        return period(runtime, first=first, last=last)
    today = runtime.clock.local(runtime.clock.now()).date()
    return calendar_period(runtime, kind=kind or "month", on=on or today)


# ---------------------------------------------------------------------------------------------
# Units and authority


def check_authority(tree: Tree, *, user: User, unit: UnitInfo, items: bool = False,
                    own_unit_roles: tuple[str, ...] = ()) -> None:
    """API.md "Authority" for reports: clerks and caseworkers their unit, supervisors their
    subtree, administrators everything but aggregates only (`items=True`: item ledgers).
    `own_unit_roles`: further roles that see this report of their own unit."""
    roles = user.roles
    if "supervisor" in roles and tree.contains(tree.by_id[user.unit_id], unit.id):
        return
    if set(OWN_UNIT_ROLES + own_unit_roles) & roles and unit.id == user.unit_id:
        return
    if "administrator" in roles:
        if items:
            raise Forbidden("administrators see aggregates only, not item ledgers",
                            reason="report_ledger_admin_forbidden")
        return
    if not ({"supervisor", "administrator"} | set(OWN_UNIT_ROLES)) & roles:
        raise Forbidden("your role sees no reports", reason="report_role_forbidden")
    raise Forbidden("you may not see reports of this unit", reason="report_unit_forbidden")


def visible_units(session: Session, *, user: User) -> list[UnitInfo]:
    """The units whose reports the user may see, in tree order (for a unit picker)."""
    tree = Tree.of(session)
    own = tree.by_id[user.unit_id]
    if "administrator" in user.roles:
        units = list(tree.by_id.values())
    elif "supervisor" in user.roles:
        units = tree.below(own)
    elif set(OWN_UNIT_ROLES) & user.roles:
        units = [own]
    else:
        units = []
    return sorted(units, key=lambda u: u.ancestry)


def report_unit(session: Session, *, user: User, unit_code: str | None,
                items: bool = False, own_unit_roles: tuple[str, ...] = ()) -> tuple[Tree, UnitInfo]:
    """The unit a report is about (default: the caller's), if the caller may see it."""
    tree = Tree.of(session)
    unit = tree.get(unit_code) if unit_code else tree.by_id[user.unit_id]
    check_authority(tree, user=user, unit=unit, items=items, own_unit_roles=own_unit_roles)
    return tree, unit


# ---------------------------------------------------------------------------------------------
# Attribution and the aggregates. Each item table is read once; the items of several tables go
# through ONE join with `cases` (a union of narrow rows), which is what costs at scale.


def clue_unit(c) -> object:
    """A clue's unit: its case's handling unit, else the clue's own unit, else the case's."""
    return func.coalesce(c.handling_unit_id, Clue.unit_id, c.first_handling_unit_id,
                         c.registered_unit_id)


def _in(column, p: Period):
    return and_(column >= p.start, column < p.end)


def tune(session: Session, runtime: Runtime) -> None:
    """PostgreSQL: memory for the report's hash joins and aggregates (this transaction only;
    no JIT compilation, as on every connection: `engine.db.make_engine`); set once in a
    read-only unit of work, which the dashboard's figures and flags share."""
    if session.get_bind().dialect.name == "postgresql":
        db.once_per_read(session, ("reports_tuned",), lambda: _tune(session, runtime))


def _tune(session: Session, runtime: Runtime) -> None:
    work_mem = str(runtime.settings.get("reports", "work_mem"))
    if not re.fullmatch(r"\d{1,6}(kB|MB|GB)", work_mem):  # it goes into SQL text
        work_mem = "16MB"
    session.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))
    # Index lookups into `cases` for the items of a short period, rather than hashing every
    # case: the rows a report reads are mostly cached (the usual setting for SSDs, too).
    session.execute(text("SET LOCAL random_page_cost = 1.1"))


def petition_groups(session: Session, *, p: Period) -> list:
    """(unit, channel, category, repeat, cleared, count) of petitions received in the period. A
    first-time petition counts for its own case's unit and is cleared when that case closed
    before the period's end; a repeat counts for its original's case's unit."""
    c = aliased(Case)
    unit = func.coalesce(case_unit(c), Petition.unit_id)
    cleared = case((and_(c.status == "closed", c.closed_at < p.end), 1), else_=0)
    first = session.execute(
        select(unit, Petition.channel, Petition.category, literal(0), cleared, func.count())
        .select_from(Petition).outerjoin(c, c.id == Petition.case_id)
        .where(_in(Petition.received_at, p), Petition.repeat_of_id.is_(None))
        .group_by(unit, Petition.channel, Petition.category, cleared)).all()
    o = aliased(Petition)
    repeats = session.execute(
        select(unit, Petition.channel, Petition.category, literal(1), literal(0), func.count())
        .select_from(Petition).join(o, o.id == Petition.repeat_of_id)
        .outerjoin(c, c.id == o.case_id)
        .where(_in(Petition.received_at, p), Petition.repeat_of_id.is_not(None))
        .group_by(unit, Petition.channel, Petition.category)).all()
    return [*first, *repeats]


def item_groups(session: Session, *, p: Period) -> list:
    """(unit, figure, key, count, sum) of the items that count through their case: clue
    dispositions approved, verification findings, people clarified, malicious accusations
    referred, reporters' return visits."""
    def arm(figure: str, model, key, own_unit, value, *where):
        return select(model.case_id.label("case_id"), literal(figure).label("figure"),
                      key.label("key"), own_unit.label("own_unit"),
                      value.label("value")).where(*where)

    none_text, none_int = literal(None, String()), literal(None, Integer())
    rows = union_all(
        arm("clue", Clue, Clue.disposition, Clue.unit_id, literal(1),
            _in(Clue.approved_at, p), Clue.disposition.is_not(None)),
        arm("finding", Clue, Clue.finding, Clue.unit_id, literal(1),
            _in(Clue.finding_at, p), Clue.finding.is_not(None)),
        arm("clarified", Clarification, none_text, none_int,
            func.coalesce(Clarification.people, 0), _in(Clarification.carried_out_at, p)),
        arm("malicious", AccusationReferral, none_text, none_int, literal(1),
            AccusationReferral.kind == "malicious", AccusationReferral.status == "referred",
            _in(AccusationReferral.decided_at, p)),
        arm("visit", ReturnVisit, ReturnVisit.satisfaction, none_int, literal(1),
            ReturnVisit.kind == "reporter", ReturnVisit.satisfaction.is_not(None),
            _in(ReturnVisit.visited_at, p)),
    ).subquery("i")
    c = aliased(Case)
    unit = func.coalesce(c.handling_unit_id, rows.c.own_unit, c.first_handling_unit_id,
                         c.registered_unit_id)
    return session.execute(
        select(unit, rows.c.figure, rows.c.key, func.count(), func.sum(rows.c.value))
        .select_from(rows).outerjoin(c, c.id == rows.c.case_id)
        .group_by(unit, rows.c.figure, rows.c.key)).all()


def case_groups(session: Session, *, p: Period) -> list:
    """Per unit: cases filed, filed cases closed, people disciplined in the period."""
    unit = case_unit(Case)
    filed = _in(Case.filed_at, p)
    # 结案: a filed case concluded (closed_at is set at conclusion); a cancelled one is not.
    closed = and_(_in(Case.closed_at, p), Case.status != "cancelled", Case.filed_at.is_not(None))
    decided = _in(Case.decided_at, p)
    return session.execute(
        select(unit, func.sum(case((filed, 1), else_=0)), func.sum(case((closed, 1), else_=0)),
               func.sum(case((decided, func.coalesce(Case.people_disciplined, 0)), else_=0)))
        .where(or_(filed, closed, decided)).group_by(unit)).all()


def deadline_groups(session: Session, *, p: Period, now: datetime) -> list:
    """Per unit: deadlines that fell due in the period (and by now), and how many breached. A
    deadline counts for its own unit; only those without one are joined to their case."""
    until = min(p.end, now + timedelta(microseconds=1))
    due = and_(Deadline.status.in_(DUE_STATUSES), Deadline.due_at >= p.start,
               Deadline.due_at < until)
    breached = func.sum(case((Deadline.status == "breached", 1), else_=0))
    own = (select(Deadline.unit_id, func.count(), breached)
           .where(due, Deadline.unit_id.is_not(None)).group_by(Deadline.unit_id))
    c = aliased(Case)
    unit = case_unit(c)
    by_case = (select(unit, func.count(), breached).select_from(Deadline)
               .outerjoin(c, c.id == Deadline.case_id)
               .where(due, Deadline.unit_id.is_(None)).group_by(unit))
    return [*session.execute(own).all(), *session.execute(by_case).all()]


# ---------------------------------------------------------------------------------------------
# The summary


def empty_summary(unit: UnitInfo) -> dict:
    return {
        "unit": unit.code, "unit_name": unit.name, "unit_kind": unit.kind,
        "petitions": 0, "petitions_first_time": 0, "petitions_repeat": 0,
        "petitions_by_channel": dict.fromkeys(CHANNELS, 0),
        "petitions_by_category": dict.fromkeys(CATEGORIES, 0),
        "first_time_cleared": 0,
        "clues": 0, "clues_by_disposition": dict.fromkeys(DISPOSITIONS, 0),
        "verifications": 0, "verifications_by_finding": dict.fromkeys(FINDINGS, 0),
        "cases_filed": 0, "cases_closed": 0, "people_disciplined": 0, "people_clarified": 0,
        "malicious_referred": 0, "deadlines_due": 0, "deadlines_breached": 0,
        "overdue_rate": None, "return_visits": dict.fromkeys(SATISFACTION, 0),
    }


def _bump(target: dict, key: str, n: int, sub: str | None = None) -> None:
    if sub is None:
        target[key] += n
    elif sub in target[key]:
        target[key][sub] += n
    else:  # a value outside the known list still counts in the total
        target[key][sub] = target[key].get(sub, 0) + n


# figure -> (count field, breakdown field) of the summary
FIGURES = {"petition": ("petitions", None), "channel": (None, "petitions_by_channel"),
           "category": (None, "petitions_by_category"), "cleared": ("first_time_cleared", None),
           "disposition": ("clues", "clues_by_disposition"),
           "finding": ("verifications", "verifications_by_finding"),
           "clarified": ("people_clarified", None), "malicious": ("malicious_referred", None),
           "visit": (None, "return_visits"), "filed": ("cases_filed", None),
           "closed": ("cases_closed", None), "disciplined": ("people_disciplined", None),
           "due": ("deadlines_due", None), "breached": ("deadlines_breached", None)}


def _tally(s: dict, figure: str, key: str, n: int) -> None:
    count, breakdown = FIGURES[figure]
    if count:
        _bump(s, count, n)
    if breakdown:
        _bump(s, breakdown, n, key)
    if figure == "petition":
        _bump(s, "petitions_repeat" if key == "repeat" else "petitions_first_time", n)


def recount(session: Session, runtime: Runtime, *, p: Period):
    """(unit, figure, key, n) of the period counted from the item tables (the definitions as
    SQL aggregates; the rollup must always agree with it)."""
    for unit_id, channel, category, repeat, cleared, n in petition_groups(session, p=p):
        yield unit_id, "petition", "repeat" if repeat else "first", n
        yield unit_id, "channel", channel, n
        yield unit_id, "category", category, n
        if cleared:
            yield unit_id, "cleared", "", n
    names = {"clue": "disposition", "finding": "finding", "visit": "visit"}
    for unit_id, figure, key, n, total in item_groups(session, p=p):
        if figure == "clarified":
            yield unit_id, "clarified", "", int(total or 0)
        elif figure == "malicious":
            yield unit_id, "malicious", "", n
        else:
            yield unit_id, names[figure], key, n
    for unit_id, filed, closed, people in case_groups(session, p=p):
        yield unit_id, "filed", "", int(filed or 0)
        yield unit_id, "closed", "", int(closed or 0)
        yield unit_id, "disciplined", "", int(people or 0)
    yield from _deadline_counts(session, p=p, now=runtime.clock.now())


def _deadline_counts(session: Session, *, p: Period, now: datetime):
    for unit_id, due, breached in deadline_groups(session, p=p, now=now):
        yield unit_id, "due", "", int(due or 0)
        yield unit_id, "breached", "", int(breached or 0)


def counts(session: Session, runtime: Runtime, *, p: Period, fast: bool = True):
    """(unit, figure, key, n) of the period: from the rollup when it is built for this time
    zone (deadlines from today on counted live, as they fall due by the moment of the report),
    else recounted from the item tables."""
    tune(session, runtime)
    if not (fast and rollup.ready(session, runtime.clock.tz.key)):
        yield from recount(session, runtime, p=p)
        return
    now = runtime.clock.now()
    today = runtime.clock.local(now).date()
    yield from rollup.counts(session, first=p.first, last=p.last, today=today)
    if today <= p.last:
        live = period(runtime, first=max(today, p.first), last=p.last)
        yield from _deadline_counts(session, p=live, now=now)


def figures(session: Session, runtime: Runtime, *, tree: Tree, units: list[UnitInfo],
            p: Period, fast: bool = True) -> list[dict]:
    """The summary of each of `units` for the period (each unit with everything below it);
    `fast=False` recounts from the item tables instead of reading the rollup."""
    out = {u.id: empty_summary(u) for u in units}
    wanted = set(out)
    for unit_id, figure, key, n in counts(session, runtime, p=p, fast=fast):
        for i in tree.ancestry(unit_id):
            if i in wanted and n:
                _tally(out[i], figure, key, n)
    for s in out.values():
        if s["deadlines_due"]:
            s["overdue_rate"] = round(s["deadlines_breached"] / s["deadlines_due"], 4)
    return [out[u.id] for u in units]


def summary(session: Session, runtime: Runtime, *, unit_code: str, start: date,
            end: date) -> dict:
    """One unit's figures (the unit and everything below it) for the dates start..end."""
    tree = Tree.of(session)
    (result,) = figures(session, runtime, tree=tree, units=[tree.get(unit_code)],
                        p=period(runtime, first=start, last=end))
    return result


def report(session: Session, runtime: Runtime, *, user: User, unit_code: str | None,
           p: Period) -> dict:
    """`{"from", "to", "units"}`: the unit and each unit directly below it, if the user may."""
    tree, unit = report_unit(session, user=user, unit_code=unit_code)
    units = [unit, *tree.children(unit)]
    return {**p.as_dict(), "units": figures(session, runtime, tree=tree, units=units, p=p)}


# ---------------------------------------------------------------------------------------------
# Flags and periodic obligations


def _months(runtime: Runtime, key: str) -> int:
    """A period length in months (1, 2, 3, 4, 6 or 12: the settings schema checks it)."""
    return int(runtime.settings.get("reports", key))


def _township_of(tree: Tree, unit_id: int | None) -> UnitInfo | None:
    for i in reversed(tree.ancestry(unit_id)):
        if tree.by_id[i].kind == "township":
            return tree.by_id[i]
    return None


def _entry(unit: UnitInfo) -> dict:
    return {"unit": unit.code, "name": unit.name}


def repeat_townships(session: Session, runtime: Runtime, *, tree: Tree, scope: UnitInfo,
                     p: Period, top: int = 3) -> dict:
    """The townships (in scope) with the most repeat petitions: the top `top`, ties included."""
    repeats: dict[int, int] = defaultdict(int)
    for unit_id, figure, key, n in counts(session, runtime, p=p):
        town = _township_of(tree, unit_id) if (figure, key) == ("petition", "repeat") else None
        if town is not None and tree.contains(scope, town.id):
            repeats[town.id] += n
    ranked = top_with_ties({tree.by_id[i].code: n for i, n in repeats.items()}, top)
    return {**p.as_dict(), "items": [{**_entry(tree.by_code[code]), "repeats": n}
                                     for code, n in ranked]}


def top_with_ties(counts: dict[str, int], top: int) -> list[tuple[str, int]]:
    """The `top` largest positive counts, most first (then by key), and every one tied with the
    last of them."""
    ranked = sorted(((k, n) for k, n in counts.items() if n > 0), key=lambda kv: (-kv[1], kv[0]))
    if len(ranked) > top:
        ranked = [(k, n) for k, n in ranked if n >= ranked[top - 1][1]]
    return ranked


def zero_case_townships(session: Session, runtime: Runtime, *, tree: Tree, scope: UnitInfo,
                        p: Period) -> dict:
    """Active townships in scope with no case filed that counts for them in the period."""
    filed: dict[int, int] = defaultdict(int)
    for unit_id, figure, _key, n in counts(session, runtime, p=p):
        town = _township_of(tree, unit_id) if figure == "filed" else None
        if town is not None:
            filed[town.id] += n
    items = [_entry(t) for t in tree.below(scope, kind="township")
             if t.active and not filed.get(t.id)]
    return {**p.as_dict(), "items": items}


def _submissions(session: Session, *, kind: str, p: Period) -> dict[str, list[AuditEvent]]:
    """Submitted periodic reports of this kind and period, by unit code, oldest first."""
    out: dict[str, list[AuditEvent]] = defaultdict(list)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == SUBMITTED)
                             .order_by(AuditEvent.at, AuditEvent.id))
    for event in events:
        d = event.detail or {}
        if d.get("kind") == kind and d.get("from") == p.first.isoformat() and \
                d.get("to") == p.last.isoformat():
            out[d.get("unit")].append(event)
    return out


def key_verification_items(session: Session, *, tree: Tree, p: Period) -> dict[int, list[str]]:
    """Per township id: numbers of its key verifications in progress during the period."""
    c = aliased(Case)
    rows = session.execute(
        select(clue_unit(c), Clue.number).select_from(Clue).outerjoin(c, c.id == Clue.case_id)
        .where(Clue.key_verification.is_(True), Clue.created_at < p.end,
               or_(Clue.finding_at.is_(None), Clue.finding_at >= p.start))
        .order_by(Clue.id)).all()
    out: dict[int, list[str]] = defaultdict(list)
    for unit_id, number in rows:
        town = _township_of(tree, unit_id)
        if town is not None:
            out[town.id].append(number)
    return out


def key_verification_reports(session: Session, runtime: Runtime, *, tree: Tree,
                             scope: UnitInfo, p: Period) -> dict:
    """Each township's key verifications of the period and whether it reported them."""
    items = key_verification_items(session, tree=tree, p=p)
    submitted = _submissions(session, kind="key_verification_report", p=p)
    rows = []
    for town in tree.below(scope, kind="township"):
        numbers = items.get(town.id, [])
        events = submitted.get(town.code, [])
        covered = {n for e in events for n in (e.detail or {}).get("items", [])}
        missing = [n for n in numbers if n not in covered]
        rows.append({**_entry(town), "key_verifications": numbers, "reported": bool(events),
                     "reported_at": runtime.clock.local(events[-1].at) if events else None,
                     "missing": missing,
                     "flagged": bool(numbers) and (not events or bool(missing))})
    return {**p.as_dict(), "items": rows}


def feedback_items(session: Session, *, p: Period) -> dict[int, list[str]]:
    """Per handling unit id: numbers of petition cases it closed in the period (for units other
    than the one that registered the petition)."""
    unit = case_unit(Case)
    rows = session.execute(
        select(unit, Case.number).select_from(Case)
        .join(Petition, and_(Petition.case_id == Case.id, Petition.repeat_of_id.is_(None)))
        .where(Case.status == "closed", _in(Case.closed_at, p),
               unit != func.coalesce(Case.registered_unit_id, Petition.unit_id))
        .order_by(Case.id)).all()
    out: dict[int, list[str]] = defaultdict(list)
    for unit_id, number in rows:
        out[unit_id].append(number)
    return out


def quarterly_feedback(session: Session, runtime: Runtime, *, tree: Tree, scope: UnitInfo,
                       p: Period) -> dict:
    """Units that closed petition items in the quarter and whether they reported them back."""
    items = feedback_items(session, p=p)
    submitted = _submissions(session, kind="quarterly_feedback", p=p)
    rows = []
    for unit_id, numbers in sorted(items.items()):
        unit = tree.by_id.get(unit_id)
        if unit is None or not tree.contains(scope, unit_id):
            continue
        events = submitted.get(unit.code, [])
        rows.append({**_entry(unit), "closed_items": len(numbers), "reported": bool(events),
                     "reported_at": runtime.clock.local(events[-1].at) if events else None,
                     "flagged": not events})
    return {**p.as_dict(), "items": rows}


def interference_reports(session: Session, runtime: Runtime, *, tree: Tree, scope: UnitInfo,
                         p: Period) -> dict:
    """Every active department in scope: its register entries of the period and whether it
    reported them (not recording is itself a violation, so a department reports every period,
    with or without entries)."""
    submitted = _submissions(session, kind="interference_quarterly_report", p=p)
    rows = []
    for unit in tree.below(scope, kind="department"):
        if not unit.active:
            continue
        numbers = supervision.interference_numbers(session, unit_id=unit.id, first=p.first,
                                                   last=p.last)
        events = submitted.get(unit.code, [])
        rows.append({**_entry(unit), "entries": len(numbers), "reported": bool(events),
                     "reported_at": runtime.clock.local(events[-1].at) if events else None,
                     "flagged": not events})
    return {**p.as_dict(), "items": rows}


def responsible_units(tree: Tree, scope: UnitInfo) -> list[UnitInfo]:
    """The units that owe the notice in the scope: each commission that is the nearest
    commission above some township (the county), in or above the scope."""
    owners = set()
    for town in (u for u in tree.by_id.values() if u.kind == "township" and u.active):
        above = [tree.by_id[i] for i in town.ancestry[:-1]]
        commissions = [u for u in above if u.kind == "commission"]
        if commissions:
            owner = commissions[-1]
            if tree.contains(scope, owner.id) or tree.contains(owner, scope.id):
                owners.add(owner.id)
    return [tree.by_id[i] for i in sorted(owners)]


def notice_flags(session: Session, runtime: Runtime, *, tree: Tree, scope: UnitInfo,
                 p: Period) -> dict:
    """`quality_review_notice`: for the quarter `p`, whether each owing unit notified it."""
    quarter = (p.first.month - 1) // 3 + 1
    rows = []
    for unit in responsible_units(tree, scope):
        rnd = session.scalar(select(ReviewRound).where(
            ReviewRound.unit_id == unit.id, ReviewRound.year == p.first.year,
            ReviewRound.quarter == quarter))
        notified = rnd is not None and rnd.status == "notified"
        rows.append({"unit": unit.code, "name": unit.name, "round": rnd.id if rnd else None,
                     "drawn": rnd is not None, "notified": notified,
                     "notified_at": runtime.clock.local(rnd.notified_at) if notified else None,
                     "flagged": not notified})
    return {**p.as_dict(), "items": rows}


def flags(session: Session, runtime: Runtime, *, user: User, on: date | None,
          unit_code: str | None) -> dict:
    """Every flag for the last complete periods before `on` (default today), in the scope of
    the unit (default: the caller's)."""
    tree, scope = report_unit(session, user=user, unit_code=unit_code)
    tune(session, runtime)
    on = on or runtime.clock.local(runtime.clock.now()).date()
    quarter = calendar_period(runtime, kind="quarter", on=on,
                              months=_months(runtime, "feedback_months"), back=1)
    zero_months = _months(runtime, "zero_case_months")
    this_month = date(on.year, on.month, 1)
    zero = period(runtime, first=_add_months(this_month, -zero_months),
                  last=this_month - timedelta(days=1))
    bimonth = calendar_period(runtime, kind="month", on=on,
                              months=_months(runtime, "key_verification_months"), back=1)
    repeat_period = calendar_period(runtime, kind="quarter", on=on, back=1)
    return {"date": on, "unit": scope.code,
            "repeat_townships": repeat_townships(session, runtime, tree=tree, scope=scope,
                                                 p=repeat_period),
            "zero_case_townships": zero_case_townships(session, runtime, tree=tree, scope=scope,
                                                       p=zero),
            "key_verification_reports": key_verification_reports(session, runtime, tree=tree,
                                                                 scope=scope, p=bimonth),
            "quarterly_feedback": quarterly_feedback(session, runtime, tree=tree, scope=scope,
                                                     p=quarter),
            "interference_reports": interference_reports(
                session, runtime, tree=tree, scope=scope,
                p=calendar_period(runtime, kind="month", on=on, back=1,
                                  months=_months(runtime, "interference_report_months"))),
            "quality_review_notice": notice_flags(
                session, runtime, tree=tree, scope=scope,
                p=calendar_period(runtime, kind="quarter", on=on, back=1))}


def submit(session: Session, runtime: Runtime, *, user: User, kind: str,
           on: date | None) -> dict:
    """A unit submits its periodic report (key verifications every two months, or the quarterly
    feedback to the petition office) for the period containing `on` (default: the last complete
    one); recorded in the audit trail with the item numbers it covers."""
    if kind not in SUBMISSION_KINDS:
        raise Invalid("unknown report %(kind)r", reason="report_kind_unknown", params={"kind": kind},
                      fields={"kind": notes.choices(SUBMISSION_KINDS)})
    submitters = {"interference_registrar", "supervisor"} \
        if kind == "interference_quarterly_report" else {"supervisor", "caseworker"}
    if not submitters & user.roles:
        raise Forbidden("a supervisor or caseworker of the unit submits its periodic reports",
                        reason="report_submit_forbidden")
    tree = Tree.of(session)
    unit = tree.by_id[user.unit_id]
    today = runtime.clock.local(runtime.clock.now()).date()
    if kind == "interference_quarterly_report":
        if unit.kind != "department":
            raise Invalid("departments report their interference registers",
                          reason="interference_report_not_department",
                          fields={"kind": [notes.note("not_department")]})
        months = _months(runtime, "interference_report_months")
    elif kind == "key_verification_report":
        if unit.kind != "township":
            raise Invalid("key verifications are reported by townships", reason="report_not_township",
                          fields={"kind": [notes.note("not_township")]})
        months = _months(runtime, "key_verification_months")
    else:
        months = _months(runtime, "feedback_months")
    p = calendar_period(runtime, kind="month", on=on or today, months=months,
                        back=0 if on else 1)
    if p.first > today:
        raise Invalid("that period has not begun", reason="report_period_future", fields={"date": [notes.note("future")]})
    if kind == "interference_quarterly_report":
        numbers = supervision.interference_numbers(session, unit_id=unit.id, first=p.first,
                                                   last=p.last)
    elif kind == "key_verification_report":
        numbers = key_verification_items(session, tree=tree, p=p).get(unit.id, [])
    else:
        numbers = feedback_items(session, p=p).get(unit.id, [])
    now = runtime.clock.now()
    audit.record(session, at=now, actor=user.username, action=SUBMITTED,
                 detail={"kind": kind, "unit": unit.code, "from": p.first.isoformat(),
                         "to": p.last.isoformat(), "items": numbers})
    return {"kind": kind, "unit": unit.code, **p.as_dict(), "items": numbers,
            "submitted_at": runtime.clock.local(now), "submitted_by": user.username}
