"""The inbox's count and first pages (`engine.inbox.service`) over many seeded tasks: counting a
county supervisor's tasks offered to the units below first, and the index of open tasks in due
order, give exactly what the plain visibility condition gives, for every kind of user, under
the cap and over it (on both databases, in a committed scratch database)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from engine.errors import NotFound
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.org.models import User
from engine.processes.models import ProcessInstance
from tests.integration.support import cli, dispose_app, make_app

pytestmark = pytest.mark.timeout(300)

USERS = ("chief", "city-chief", "east-head", "a-head", "a-worker", "clerk", "s-head", "designer")


def read_seeded(scratch, backend, check, *seed):
    """`check(uow, runtime)` in one read of a scratch database filled by `bench-seed *seed`."""
    url = scratch.create(backend)
    assert cli(url, "bench-seed", *seed).returncode == 0
    app = make_app(url)
    try:
        rt = app.extensions["cluedesk"]
        return rt.read(lambda uow: check(uow, rt))
    finally:
        dispose_app(app)


def _plain(session, user, now, cap, **filters):
    """The count and the first two pages from the visibility condition alone."""
    where = inbox.task_filter(session, user=user, now=now, **filters)
    counted = session.scalar(select(func.count()).select_from(
        select(Task.id).where(where).limit(cap + 1).subquery()))
    order = (Task.due_at.asc().nulls_last(), Task.created_at, Task.id)
    pages = [list(session.scalars(select(Task.id).where(where).order_by(*order)
                                  .offset(offset).limit(20))) for offset in (0, 20)]
    return counted, pages


def test_counts_and_pages_match_the_visibility_rule_over_and_under_the_cap(
        scratch, backend, monkeypatch):
    over_by_part, read_few, read_many = set(), set(), set()
    def check(uow, rt):
        session, now = uow.session, rt.clock.now()
        # A process designer sees the tasks of the instances they started: three of them.
        designer = session.scalar(select(User.id).where(User.username == "designer"))
        started = select(ProcessInstance.id).order_by(ProcessInstance.id).limit(3)
        session.execute(update(ProcessInstance).where(ProcessInstance.id.in_(
            started.scalar_subquery())).values(started_by_id=designer))
        for cap in (30, 200, 10_000):
            monkeypatch.setattr(inbox, "TOTAL_CAP", cap)
            for name in USERS:
                user = session.scalar(select(User).where(User.username == name))
                for scope in ("all", "unit", "mine"):
                    for due in (None, "red"):
                        filters = {"scope": scope, "due": due}
                        counted, pages = _plain(session, user, now, cap, **filters)
                        assert inbox.count_tasks(session, user=user, now=now,
                                                 **filters) == counted, (cap, name, filters)
                        # A page of many tasks read in due order checking each row, and of
                        # a few read from the ids the count read (FEW 0: never; 500: the
                        # users who see fewer).
                        for few in (0, 500):
                            monkeypatch.setattr(inbox, "FEW", few)
                            for number, expected in enumerate(pages, start=1):
                                found = inbox.list_tasks(session, user=user, now=now,
                                                         page=number, per_page=20, **filters)
                                assert [t.id for t in found.items] == expected, (few, name)
                                assert (found.total, found.total_capped) == \
                                    (min(counted, cap), counted > cap)
                                if counted:
                                    (read_few if counted <= min(few, cap) else read_many).add(name)
                        part = inbox.authority.counted_part(session, user, scope)
                        if part is not None and session.scalar(select(func.count(Task.id))
                                                               .where(part)) > cap:
                            over_by_part.add((cap, name))
    read_seeded(scratch, backend, check, "--tasks", "700")
    # The county supervisor's tasks below the county alone passed the smaller caps (the count
    # stopped there), and a township supervisor's did not: both branches were checked.
    assert {(30, "chief"), (200, "chief")} <= over_by_part
    assert (10_000, "chief") not in over_by_part
    # Each kind of user's pages were read both ways.
    assert read_few == read_many == set(USERS)


def test_postgresql_connections_never_jit_compile(scratch, backend):
    """JIT compilation pays off only for long analytic queries; an inbox count at 100,000 tasks
    passed `jit_above_cost` and spent 30-40 ms compiling (bench/RESULTS.md, issue 28)."""
    if backend != "postgresql":
        pytest.skip("SQLite compiles no query")
    from sqlalchemy import text
    app = make_app(scratch.create(backend))
    try:
        rt = app.extensions["cluedesk"]
        assert rt.read(lambda uow: uow.session.scalar(text("SHOW jit"))) == "off"
    finally:
        dispose_app(app)


def test_the_overdue_board_counts_to_its_cap_and_lists_the_most_overdue_first(
        scratch, backend, monkeypatch):
    """Over seeded tasks (a third red), for supervisors of a township and of the county: each
    township's count is the plain count of its red tasks, stopped at the cap ("1000+"), and its
    list is the plain order (no due time first, then longest overdue) cut at `per_township`."""
    from sqlalchemy import and_

    from engine.org.models import Unit
    from engine.views import board
    seen_capped = set()
    def check(uow, rt):
        session, now = uow.session, rt.clock.now()
        for cap in (20, 10_000):
            monkeypatch.setattr(board, "BOARD_CAP", cap)
            for name in ("a-head", "chief"):
                user = session.scalar(select(User).where(User.username == name))
                groups = board.overdue_board(session, user=user, now=now, per_township=7)
                assert groups, name
                units = {u.id: u for u in session.scalars(select(Unit))}
                red = and_(Task.status == "open", inbox.overdue_clause(now),
                           inbox.authority.visible_clause(session, user, "all"))
                for group in groups:
                    members = [u for u in units
                               if board._township(units, u).id == group["unit"].id
                               and units[u].path.startswith(units[user.unit_id].path)]
                    mine = and_(red, Task.candidate_unit_id.in_(members))
                    plain = session.scalar(select(func.count(Task.id)).where(mine))
                    assert (group["count"], group["capped"]) == (min(plain, cap), plain > cap)
                    order = (Task.due_at.is_(None).desc(), Task.due_at, Task.created_at,
                             Task.id)
                    expected = list(session.scalars(select(Task.id).where(mine)
                                                    .order_by(*order).limit(7)))
                    assert [t.id for t in group["tasks"]] == expected
                    if group["capped"]:
                        seen_capped.add((cap, name))
        # By default the rows are shared out (a county's townships 10 or more each, a
        # township's 50); one township of the county's is listed alone, at 50.
        chief = session.scalar(select(User).where(User.username == "chief"))
        groups = board.overdue_board(session, user=chief, now=now)
        per = max(board.MIN_PER_TOWNSHIP, min(board.PER_TOWNSHIP, board.PAGE_ROWS // len(groups)))
        assert len(groups) > 1 and per < board.PER_TOWNSHIP
        assert [len(g["tasks"]) for g in groups] == [min(g["count"], per) for g in groups]
        first = groups[0]
        assert first["count"] > per
        (alone,) = board.overdue_board(session, user=chief, now=now,
                                       township=first["unit"].code)
        assert alone["count"] == first["count"]
        assert len(alone["tasks"]) == min(alone["count"], board.PER_TOWNSHIP)
        assert [t.id for t in alone["tasks"]][:per] == [t.id for t in first["tasks"]]
        head = session.scalar(select(User).where(User.username == "a-head"))
        for outside in ("town-b", "nowhere", "county"):
            with pytest.raises(NotFound):
                board.overdue_board(session, user=head, now=now, township=outside)
    read_seeded(scratch, backend, check, "--tasks", "700")
    assert (20, "chief") in seen_capped and not any(cap == 10_000 for cap, _ in seen_capped)


def test_a_search_answers_the_same_from_the_listed_cases_and_per_task(
        scratch, backend, monkeypatch):
    """`q` over seeded tasks with accused cadres: whether the matching cases are listed first
    (few) or looked up per task (more than SEARCH_CASES), found among the newest entries or
    through the index, the counts and pages are those of the plain condition: `q` in the task's
    name, or its words in the search index's entries of the task's case (number, accused, place,
    content: as the search page matches)."""
    from engine.cases.models import Case
    from engine.petitions.models import AccusedPerson, Petition
    from engine.search import query
    from engine.search.models import SearchEntry
    def check(uow, rt):
        session, now = uow.session, rt.clock.now()
        accused = session.scalar(select(AccusedPerson.name).order_by(AccusedPerson.id))
        number = session.scalar(select(Case.number).order_by(Case.id.desc()))
        step = session.scalar(select(Task.name).order_by(Task.id))
        village = session.scalar(select(Petition.village).order_by(Petition.id))
        for q in (accused, accused[1:], accused[:1], number[-4:], number, "BENCH", village,
                  f"{accused} {village}", step[1:],
                  "nothing-like-this", "、"):
            match = query.matches(session, q)
            plain = Task.name.ilike(f"%{q}%")
            if match is not None:
                plain |= Task.case_id.in_(select(SearchEntry.case_id).where(match))
            seen = set()
            for name in ("chief", "a-head", "a-worker"):
                user = session.scalar(select(User).where(User.username == name))
                where = inbox.task_filter(session, user=user, now=now) & plain
                order = (Task.due_at.asc().nulls_last(), Task.created_at, Task.id)
                expected = list(session.scalars(select(Task.id).where(where)
                                                .order_by(*order).limit(20)))
                total = session.scalar(select(func.count(Task.id)).where(where))
                seen.add(total)
                # Per task; from the listed cases; on PostgreSQL a search of prefixes alone
                # (a surname's first character, a number's end, BENCH) also through a window of
                # the 5 newest entries before the index, and past the cap or not in either.
                for limit, window in ((0, 10_000), (10_000, 10_000), (2, 5), (10_000, 5)):
                    monkeypatch.setattr(inbox, "SEARCH_CASES", limit)
                    monkeypatch.setattr(inbox, "SEARCH_WINDOW", window)
                    session.info.pop("inbox_search", None)
                    found = inbox.list_tasks(session, user=user, now=now, q=q, per_page=20)
                    assert ([t.id for t in found.items], found.total) == (expected, total), \
                        (q, name, limit, window)
            assert (max(seen) > 0) == (q not in ("nothing-like-this", "、")), q
        assert session.info["inbox_search"]  # the listed form was used
    read_seeded(scratch, backend, check, "--tasks", "300", "--with-accused")
