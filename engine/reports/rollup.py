"""The statistics rollup: how many of each figure per unit and local day (`report_counts`), kept
exact in the transaction of every domain write, so a summary sums a few rows per day instead of
joining every item of the period to its case.

How it stays exact without hooks in the services: every committing session tracks the
*sources* its writes touch (the petitions of a case, a case's own dates, its clues, its
deadlines, …). The first time a source is touched in a transaction its contribution is read from
the database (before the write reaches it); at commit it is read again, and the difference goes
into `report_counts`. A contribution is computed by the same attribution rules as the summary
(README "Statistics"), from the rows of that source only. Only ORM writes are seen: bulk SQL
that changes these tables must be followed by `rebuild` (the benchmark seed does so).

The days are local days in the time zone recorded in `report_rollup`; the rollup is used only
while that is the deployment's zone (`ensure` rebuilds it otherwise: `cluedesk init-db`).
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (Integer, String, and_, bindparam, case, delete, event, func, inspect,
                        literal, or_, select, text, true, union_all)
from sqlalchemy import join as sa_join
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, aliased

from engine.cases.models import Case
from engine.clarifications.models import AccusationReferral, Clarification
from engine.clues.models import Clue
from engine import db
from engine.db import UTCDateTime
from engine.deadlines.models import Deadline
from engine.petitions.models import Petition
from engine.reports.models import ReportCount, ReportRollup
from engine.visits.models import ReturnVisit

# Deadlines that can fall due; cancelled / not_applicable never do, suspended ones are paused.
DUE_STATUSES = ("open", "met", "breached")
CHUNK = 5000
_STATE = "cluedesk.report_rollup"
# The figures that depend on the moment of the report (a deadline falls due only once its due
# time has passed): the rollup serves them for the days before today only.
LIVE_FIGURES = ("due", "breached")
# Advisory lock spaces (two-key form) of the sources being counted: by case, by caseless row.
LOCK_CASE, LOCK_ROW = 7301, 7302

Key = tuple[int, date, str, str]


def case_unit(c):
    """The unit handling a case: handling unit, else first-handling unit, else registering."""
    return func.coalesce(c.handling_unit_id, c.first_handling_unit_id, c.registered_unit_id)


# ---------------------------------------------------------------------------------------------
# Contributions: (unit, local day, figure, key) -> n of the rows of some sources, or of all.
# A source is (family, id): the id is a case's, or for the `…0` families a row's without case.


def _day(tz, instant: datetime) -> date:
    return instant.astimezone(tz).date()


# The source families: a case's rows ("pt" petitions, "cs" the case's own dates, "cl" clues,
# "cf" clarifications, "rf" referrals, "rv" return visits, "dl" deadlines) and, for the `…0`
# families, a row that has no case.
FAMILIES = ("pt", "pt0", "cs", "cl", "cl0", "cf", "rf", "rv", "dl", "dl0")


def _ids(family: str):
    """The bound list of one family's ids (a set of values given at execution)."""
    return bindparam(family, expanding=True, type_=Integer())


def _filter(column_case, row_family=None, column_row=None, family=None):
    """The rows of the bound cases of `family` (and the bound caseless rows of `row_family`)."""
    limit = column_case.in_(_ids(family))
    if row_family is None:
        return limit
    return or_(limit, and_(column_case.is_(None), column_row.in_(_ids(row_family))))


def _arms(limited: bool) -> list:
    """One SELECT per kind of counted item, all with the columns (tag, unit, at, k1, k2, at2,
    n); when `limited`, each takes only the rows of the sources bound to FAMILIES.

    Building these is costly (milliseconds, more than running them for one case): they are
    built once (`_statements`) and the ids are bound at execution."""
    c, o = aliased(Case), aliased(Petition)
    text_, time_, int_ = String(), UTCDateTime(), Integer()
    none_text, none_time = literal(None, text_), literal(None, time_)
    one = literal(1, int_)

    def arm(tag, unit, at, k1, k2, at2, n, frm, where, limit):
        stmt = select(literal(tag, text_).label("tag"), unit.label("unit"), at.label("at"),
                      k1.label("k1"), k2.label("k2"), at2.label("at2"),
                      n.label("n")).select_from(frm).where(where)
        return stmt.where(limit) if limited else stmt

    petition_unit = func.coalesce(case_unit(c), Petition.unit_id)
    by_petitions = _filter(Petition.case_id, "pt0", Petition.id, family="pt")
    by_originals = _filter(o.case_id, "pt0", o.id, family="pt")
    by_case = _filter(Case.id, family="cs")
    by_clue = _filter(Clue.case_id, "cl0", Clue.id, family="cl")
    by_deadline = _filter(Deadline.case_id, "dl0", Deadline.id, family="dl")
    clue_unit = func.coalesce(c.handling_unit_id, Clue.unit_id, c.first_handling_unit_id,
                              c.registered_unit_id)
    clue_from = sa_join(Clue, c, c.id == Clue.case_id, isouter=True)
    arms = [
        # A first-time petition through its own case (cleared: that case's closing), a repeat
        # through its original's case.
        arm("first", petition_unit, Petition.received_at, Petition.channel, Petition.category,
            case((c.status == "closed", c.closed_at), else_=none_time), one,
            sa_join(Petition, c, c.id == Petition.case_id, isouter=True),
            Petition.repeat_of_id.is_(None), by_petitions),
        arm("repeat", petition_unit, Petition.received_at, Petition.channel, Petition.category,
            none_time, one,
            sa_join(Petition, o, o.id == Petition.repeat_of_id).outerjoin(c, c.id == o.case_id),
            true(), by_originals),
        # A case's own dates.
        arm("filed", case_unit(Case), Case.filed_at, none_text, none_text, none_time, one, Case,
            Case.filed_at.is_not(None), by_case),
        arm("closed", case_unit(Case), Case.closed_at, none_text, none_text, none_time, one,
            Case, and_(Case.closed_at.is_not(None), Case.filed_at.is_not(None),
                       Case.status != "cancelled"), by_case),
        arm("disciplined", case_unit(Case), Case.decided_at, none_text, none_text, none_time,
            func.coalesce(Case.people_disciplined, 0), Case, Case.decided_at.is_not(None),
            by_case),
        # Clues: their case's handling unit, else their own.
        arm("disposition", clue_unit, Clue.approved_at, Clue.disposition, none_text, none_time,
            one, clue_from, and_(Clue.approved_at.is_not(None), Clue.disposition.is_not(None)),
            by_clue),
        arm("finding", clue_unit, Clue.finding_at, Clue.finding, none_text, none_time, one,
            clue_from, and_(Clue.finding_at.is_not(None), Clue.finding.is_not(None)), by_clue),
        # Through their case: clarifications, malicious accusations referred, reporters' visits.
        arm("clarified", case_unit(c), Clarification.carried_out_at, none_text, none_text,
            none_time, func.coalesce(Clarification.people, 0),
            sa_join(Clarification, c, c.id == Clarification.case_id, isouter=True),
            Clarification.carried_out_at.is_not(None),
            _filter(Clarification.case_id, family="cf")),
        arm("malicious", case_unit(c), AccusationReferral.decided_at, none_text, none_text,
            none_time, one,
            sa_join(AccusationReferral, c, c.id == AccusationReferral.case_id, isouter=True),
            and_(AccusationReferral.kind == "malicious", AccusationReferral.status == "referred",
                 AccusationReferral.decided_at.is_not(None)),
            _filter(AccusationReferral.case_id, family="rf")),
        arm("visit", case_unit(c), ReturnVisit.visited_at, ReturnVisit.satisfaction, none_text,
            none_time, one, sa_join(ReturnVisit, c, c.id == ReturnVisit.case_id, isouter=True),
            and_(ReturnVisit.kind == "reporter", ReturnVisit.satisfaction.is_not(None),
                 ReturnVisit.visited_at.is_not(None)),
            _filter(ReturnVisit.case_id, family="rv")),
        # Deadlines: the unit that must meet them, else their case's.
        arm("due", func.coalesce(Deadline.unit_id, case_unit(c)), Deadline.due_at,
            Deadline.status, none_text, none_time, one,
            sa_join(Deadline, c, c.id == Deadline.case_id, isouter=True),
            and_(Deadline.status.in_(DUE_STATUSES), Deadline.due_at.is_not(None)), by_deadline),
    ]
    return arms


_built: dict[bool, object] = {}


def _statements(limited: bool):
    """The arms of everything (a list, run one by one), or their union limited to sources."""
    if limited not in _built:
        _built[limited] = union_all(*_arms(True)) if limited else _arms(False)
    return _built[limited]


def contributions(session: Session, tz, sources: set | None) -> Counter:
    """What the rows of these sources (None: of everything) count for, per unit and day."""
    out: Counter = Counter()
    if sources is None:  # everything: each kind in chunks
        results = (session.execute(a.execution_options(yield_per=CHUNK))
                   for a in _statements(False))
    elif not sources:
        return out
    else:  # a few cases: one round trip
        ids = {family: [] for family in FAMILIES}
        for family, ident in sources:
            ids[family].append(ident)
        results = [session.execute(_statements(True), ids)]
    for result in results:
        for tag, unit, at, k1, k2, at2, n in result:
            if unit is None or at is None or not n:
                continue
            day = _day(tz, at)
            if tag in ("first", "repeat"):
                out[(unit, day, "petition", tag)] += 1
                out[(unit, day, "channel", k1)] += 1
                out[(unit, day, "category", k2)] += 1
                if at2 is not None:  # cleared in a period that ends after this closing day
                    out[(unit, day, "cleared", _day(tz, at2).isoformat())] += 1
            elif tag == "due":
                out[(unit, day, "due", "")] += 1
                if k1 == "breached":
                    out[(unit, day, "breached", "")] += 1
            else:
                out[(unit, day, tag, k1 or "")] += n
    return out


# ---------------------------------------------------------------------------------------------
# Which sources a written row touches


def _values(obj, attr: str) -> set:
    """The attribute's value before and after this flush."""
    hist = inspect(obj).attrs[attr].history
    return {*hist.added, *hist.deleted, *hist.unchanged} or {getattr(obj, attr)}


def _changed(obj, attrs: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return state.pending or state.deleted or any(
        state.attrs[a].history.has_changes() for a in attrs)


CASE_UNIT = ("handling_unit_id", "first_handling_unit_id", "registered_unit_id")
CASE_WATCH = {  # changed columns of a case -> the families of that case to count again
    **{a: ("pt", "cs", "cl", "cf", "rf", "rv", "dl") for a in CASE_UNIT},
    "status": ("pt", "cs"), "closed_at": ("pt", "cs"), "filed_at": ("cs",),
    "decided_at": ("cs",), "people_disciplined": ("cs",)}
ITEM_WATCH = {
    Clarification: ("cf", ("case_id", "people", "carried_out_at")),
    AccusationReferral: ("rf", ("case_id", "kind", "status", "decided_at")),
    ReturnVisit: ("rv", ("case_id", "kind", "satisfaction", "visited_at")),
}
PETITION_WATCH = ("case_id", "repeat_of_id", "received_at", "channel", "category", "unit_id")
CLUE_WATCH = ("case_id", "unit_id", "disposition", "approved_at", "finding", "finding_at")
DEADLINE_WATCH = ("case_id", "unit_id", "status", "due_at")


def _touched(session: Session, obj) -> tuple[set, list]:
    """(sources known now, rows whose own id is a source but is not assigned yet)."""
    sources, later = set(), []

    def by_case(family, row_family=None):
        for case_id in _values(obj, "case_id"):
            if case_id is not None:
                sources.add((family, case_id))
            elif row_family is not None:
                if obj.id is None:
                    later.append((row_family, obj))
                else:
                    sources.add((row_family, obj.id))

    if isinstance(obj, Case):
        state = inspect(obj)
        if obj.id is None:  # its own dates; rows of it made later name it themselves
            return sources, [("cs", obj)]
        for attr, families in CASE_WATCH.items():
            if state.pending or state.deleted or state.attrs[attr].history.has_changes():
                sources.update((f, obj.id) for f in families)
    elif isinstance(obj, Petition):
        if not _changed(obj, PETITION_WATCH):
            return sources, later
        by_case("pt", "pt0")
        for original_id in _values(obj, "repeat_of_id"):
            if original_id is None:
                continue
            original = session.get(Petition, original_id)
            if original is None:
                continue
            if original.case_id is not None:
                sources.add(("pt", original.case_id))
            else:
                sources.add(("pt0", original.id))
    elif isinstance(obj, Clue):
        if _changed(obj, CLUE_WATCH):
            by_case("cl", "cl0")
    elif isinstance(obj, Deadline):
        if _changed(obj, DEADLINE_WATCH):
            by_case("dl", "dl0")
    elif type(obj) in ITEM_WATCH:
        family, attrs = ITEM_WATCH[type(obj)]
        if _changed(obj, attrs):
            by_case(family)
    return sources, later


WATCHED = (Case, Petition, Clue, Deadline, *ITEM_WATCH)


class _Tracking:
    """This transaction's touched sources and their contribution before it touched them."""

    def __init__(self, tz):
        self.tz = tz
        self.sources: set = set()
        self.before: Counter = Counter()
        self.later: list = []
        self.new_cases: set[int] = set()  # made in this transaction: nothing counted before


def _tracking(session: Session) -> _Tracking | None:
    state = session.info.get(_STATE)
    if state is None:
        name = session.scalar(select(ReportRollup.timezone).where(ReportRollup.id == 1))
        state = _Tracking(ZoneInfo(name)) if name else False  # not built: nothing to keep
        session.info[_STATE] = state
    return state or None


def _lock(session: Session, sources: set) -> None:
    """PostgreSQL: hold each source's case (or row) until commit, so that another transaction
    cannot commit a change to it between our reading it before and after (which would count
    that change twice). SQLite runs one writing transaction at a time."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({(LOCK_ROW if family.endswith("0") else LOCK_CASE, i) for family, i in sources})
    for space, ident in keys:
        session.execute(text("SELECT pg_advisory_xact_lock(:space, :ident)"),
                        {"space": space, "ident": ident})


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context, _instances) -> None:
    objs = [o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, WATCHED)]
    if not objs:
        return
    with session.no_autoflush:
        state = _tracking(session)
        if state is None:
            return
        fresh = set()
        for obj in objs:
            sources, later = _touched(session, obj)
            fresh |= sources - state.sources
            state.later.extend(later)
        state.sources |= fresh
        fresh = {(f, i) for f, i in fresh if f.endswith("0") or i not in state.new_cases}
        if fresh:
            _lock(session, fresh)
            state.before.update(contributions(session, state.tz, fresh))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    state = session.info.get(_STATE)
    if state:  # rows inserted now (new cases, rows without a case): nothing counted before
        for family, obj in state.later:
            if obj.id is not None:
                state.sources.add((family, obj.id))
                if isinstance(obj, Case):
                    state.new_cases.add(obj.id)
        state.later = []


def before_commit(session: Session) -> None:
    """Commit step (see `Runtime.COMMIT_STEPS`): add what this transaction changed to the
    rollup's counts."""
    # Flush first: a transaction whose only flush happens here is tracked by that flush.
    session.flush()
    state = session.info.get(_STATE)
    if not state or not state.sources:
        return
    after = contributions(session, state.tz, state.sources)
    delta = {k: after[k] - state.before[k] for k in after.keys() | state.before.keys()}
    _apply(session, {k: n for k, n in delta.items() if n})
    state.sources, state.before = set(), Counter()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_STATE, None)


def _apply(session: Session, delta: dict[Key, int]) -> None:
    """Add each delta to its row (made when missing); in key order, so concurrent transactions
    lock the rows they share in the same order."""
    if not delta:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(ReportCount)
    stmt = stmt.on_conflict_do_update(index_elements=["day", "unit_id", "figure", "key"],
                                      set_={"n": ReportCount.n + stmt.excluded.n})
    rows = [{"unit_id": u, "day": d, "figure": f, "key": k, "n": n}
            for (u, d, f, k), n in sorted(delta.items(), key=lambda kv: (kv[0][1], kv[0][0],
                                                                         kv[0][2], kv[0][3]))]
    session.execute(stmt, rows)


# ---------------------------------------------------------------------------------------------
# Building and reading


def rebuild(session: Session, tz_name: str, *, now: datetime) -> int:
    """Count everything again from the live tables; returns the number of rows written."""
    tz = ZoneInfo(tz_name)
    session.execute(delete(ReportCount))
    session.execute(delete(ReportRollup))
    counts = contributions(session, tz, None)
    rows = [{"unit_id": u, "day": d, "figure": f, "key": k, "n": n}
            for (u, d, f, k), n in counts.items() if n]
    for start in range(0, len(rows), CHUNK):
        session.execute(ReportCount.__table__.insert(), rows[start:start + CHUNK])
    session.add(ReportRollup(id=1, timezone=tz_name, built_at=now))
    session.flush()
    session.info.pop(_STATE, None)  # this transaction's earlier writes are counted already
    return len(rows)


def ready(session: Session, tz_name: str) -> bool:
    """Whether the rollup is built for this time zone (asked once in a read-only unit of work)."""
    return db.once_per_read(session, ("rollup_ready", tz_name), lambda: session.scalar(
        select(ReportRollup.timezone).where(ReportRollup.id == 1)) == tz_name)


def ensure(runtime) -> bool:
    """Build the rollup when it is missing or in another time zone; True when it was built."""
    tz_name = runtime.clock.tz.key

    def work(uow):
        if ready(uow.session, tz_name):
            return False
        rebuild(uow.session, tz_name, now=runtime.clock.now())
        return True
    return runtime.transact(work)


def counts(session: Session, *, first: date, last: date, today: date):
    """(unit, figure, key, n) summed over the days first..last; the deadline figures only for
    the days before `today` (the caller counts the rest live). `cleared` is summed over the
    petitions closed by `last`."""
    stmt = (select(ReportCount.unit_id, ReportCount.figure, ReportCount.key,
                   func.sum(ReportCount.n))
            .where(ReportCount.day >= first, ReportCount.day <= last,
                   or_(ReportCount.figure.not_in(LIVE_FIGURES), ReportCount.day < today))
            .group_by(ReportCount.unit_id, ReportCount.figure, ReportCount.key))
    cleared: Counter = Counter()
    for unit_id, figure, key, n in session.execute(stmt):
        if figure == "cleared":
            if key <= last.isoformat():
                cleared[unit_id] += int(n)
        else:
            yield unit_id, figure, key, int(n)
    for unit_id, n in cleared.items():
        yield unit_id, "cleared", "", n


def verify(runtime) -> dict[Key, tuple[int, int]] | None:
    """What `cluedesk reports verify` checks: None when the rollup is not built for the
    deployment's time zone, else where it and a full recount disagree (empty: they agree)."""
    tz_name = runtime.clock.tz.key
    if not runtime.read(lambda uow: ready(uow.session, tz_name)):
        return None
    return runtime.read(lambda uow: differences(uow.session, tz_name))


def differences(session: Session, tz_name: str) -> dict[Key, tuple[int, int]]:
    """Rows where the rollup and a full recount disagree: {key: (rollup, recount)}."""
    recount = contributions(session, ZoneInfo(tz_name), None)
    stored = defaultdict(int)
    for u, d, f, k, n in session.execute(select(ReportCount.unit_id, ReportCount.day,
                                                ReportCount.figure, ReportCount.key,
                                                ReportCount.n)):
        stored[(u, d, f, k)] += n
    return {k: (stored.get(k, 0), recount.get(k, 0))
            for k in stored.keys() | recount.keys() if stored.get(k, 0) != recount.get(k, 0)}

