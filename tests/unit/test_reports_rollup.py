"""The statistics rollup under concurrent writers: two transactions changing rows of one case
at the same time are each counted once (committed scratch databases, real threads)."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, UTC

import pytest
from sqlalchemy import select

from engine.cases.models import Case
from engine.clock import Clock
from engine.config import load_settings
from engine.deadlines.models import Deadline
from engine.org.models import Unit
from engine.reports import rollup
from engine.runtime import Runtime
from tests.conftest import backends

NOW = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)


@pytest.fixture(params=backends())
def server_runtime(request, scratch):
    rt = Runtime(load_settings({"database": {"url": scratch.create(request.param)}}),
                 clock=Clock(NOW))
    yield rt
    rt.dispose()


def breached(rt: Runtime) -> int:
    def work(uow):
        return sum(n for (_u, _d, figure, _k), n in rollup.contributions(
            uow.session, rt.clock.tz, None).items() if figure == "breached")
    return rt.read(work)


def test_two_transactions_breaching_deadlines_of_one_case_count_each_once(server_runtime):
    rt = server_runtime

    def make(uow):
        town = uow.session.scalar(select(Unit.id).where(Unit.code == "town-a"))
        case = Case(number="race-C1", status="open", process_key="petition_intake",
                    registered_unit_id=town, handling_unit_id=town, created_at=NOW)
        uow.session.add(case)
        uow.session.flush()
        rows = [Deadline(key=f"k{i}", case_id=case.id, started_at=NOW, amount=1,
                         unit="working_days", extensions=[], suspended_seconds=0,
                         due_at=NOW - timedelta(days=i), status="open", updated_at=NOW)
                for i in (1, 2)]
        uow.session.add_all(rows)
        uow.session.flush()
        return [r.id for r in rows]
    first, second = rt.transact(make)
    assert rt.read(lambda uow: rollup.ready(uow.session, rt.clock.tz.key))

    def breach(uow, deadline_id):
        uow.session.get(Deadline, deadline_id).status = "breached"
        uow.session.flush()

    # T1 breaches one deadline and holds its transaction open while T2 breaches the other
    # and commits; then T1 commits. Neither may count the other's change.
    other = threading.Thread(target=lambda: rt.transact(lambda uow: breach(uow, second)))
    with rt.uow(write=True) as uow:
        breach(uow, first)
        other.start()
        other.join(timeout=0.5)  # T2 waits for T1 (its case lock, or SQLite's write lock)
        uow.commit()
    other.join()
    assert breached(rt) == 2
    assert rt.read(lambda uow: rollup.differences(uow.session, rt.clock.tz.key)) == {}
