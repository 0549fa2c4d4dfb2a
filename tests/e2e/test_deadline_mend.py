"""Migration 0014 mends deadline rows written the old way (a proposal's clock met at the proposal,
a second row after each send-back), on both databases: one row per starting event, met at the
approval, or open under the open task of a running case (which then follows the new rule)."""
from __future__ import annotations

import importlib.util
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, update

from engine.deadlines.models import Deadline
from engine.inbox.models import Task
from tests.e2e.test_clue_paths import (  # noqa: F401  (the autouse fixture deploys)
    complete,
    deadlines,
    deployed,
    open_clue,
    task,
)

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "mend_0014", ROOT / "migrations/versions/2026_12_04_0014_deadlines_met_at_approval.py")
mend_0014 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mend_0014)


def _tasks(runtime, case_id: int, element: str) -> list[Task]:
    with runtime.uow() as uow:
        return list(uow.session.scalars(select(Task).where(
            Task.case_id == case_id, Task.element_id == element).order_by(Task.created_at)))


def _make_old(runtime, case_id: int, key: str, work: str) -> None:
    """Rewrite the case's rows as the previous release wrote them: one row per work task,
    met when that task completed, the approval carrying no deadline."""
    proposals = _tasks(runtime, case_id, work)
    with runtime.uow(write=True) as uow:
        conn = uow.session
        (row,) = conn.execute(select(Deadline.__table__).where(
            Deadline.case_id == case_id, Deadline.key == key)).mappings().all()
        base = dict(row)
        for n, t in enumerate(proposals):
            done = t.status == "completed"
            values = {"task_id": t.id, "status": "met" if done else "open",
                      "met_at": t.completed_at if done else None}
            if n == 0:
                conn.execute(update(Deadline).where(Deadline.id == row["id"]).values(**values))
            else:
                conn.execute(insert(Deadline).values(
                    {**{k: v for k, v in base.items() if k != "id"}, **values,
                     "started_at": t.created_at}))
        conn.execute(update(Task).where(Task.case_id == case_id, Task.element_id != work)
                     .values(deadline_key=None))
        uow.commit()


def _mend(runtime) -> dict:
    with runtime.uow(write=True) as uow:
        counts = mend_0014.mend(uow.session.connection(), datetime.now(UTC))
        uow.commit()
    return counts


def test_a_finished_proposal_with_a_send_back_becomes_one_row_met_at_the_approval(api, runtime):
    case_id = open_clue(api, anonymous=True)
    started = deadlines(api, case_id)["disposal_proposal"][0]["started_at"]
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "closed", "disposition_reason": "情节轻微"})
    complete(api, "a-head", case_id, "approve_disposition", {"approved": False})
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "verification", "disposition_reason": "反映具体"})
    runtime.clock.set(datetime.fromisoformat("2026-03-05T10:00:00+08:00"))
    complete(api, "a-head", case_id, "approve_disposition", {"approved": True})
    _make_old(runtime, case_id, "disposal_proposal", "propose_disposition")
    assert [r["status"] for r in deadlines(api, case_id)["disposal_proposal"]] == ["met", "met"]

    counts = _mend(runtime)
    assert counts["merged"] == 1 and counts["met_at_approval"] == 1
    (row,) = deadlines(api, case_id)["disposal_proposal"]
    (approval,) = [t for t in _tasks(runtime, case_id, "approve_disposition")
                   if t.completed_at == datetime.fromisoformat("2026-03-05T10:00:00+08:00")]
    assert (row["status"], row["task_id"], row["started_at"]) == ("met", approval.id, started)
    with runtime.uow() as uow:
        assert uow.session.get(Deadline, row["id"]).met_at == approval.completed_at
    # Running it again changes nothing.
    assert _mend(runtime)["merged"] == 0
    assert deadlines(api, case_id)["disposal_proposal"] == [row]


def test_a_running_case_sent_back_gets_one_open_row_and_follows_the_new_rule(api, runtime):
    case_id = open_clue(api, anonymous=True)
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "closed", "disposition_reason": "情节轻微"})
    complete(api, "a-head", case_id, "approve_disposition", {"approved": False})
    _make_old(runtime, case_id, "disposal_proposal", "propose_disposition")
    old = _tasks(runtime, case_id, "propose_disposition")
    with runtime.uow(write=True) as uow:  # the old task properties
        for t in old:
            props = {k: v for k, v in t.properties.items() if k != "deadline_met"}
            uow.session.execute(update(Task).where(Task.id == t.id).values(properties=props))
        uow.commit()
    assert [r["status"] for r in deadlines(api, case_id)["disposal_proposal"]] == ["met", "open"]

    assert _mend(runtime)["reopened"] == 1
    (row,) = deadlines(api, case_id)["disposal_proposal"]
    again = task(api, "a-worker", case_id, "propose_disposition")
    assert (row["status"], row["task_id"]) == ("open", again["id"])
    assert again["due_at"] == row["due_at"] == "2026-04-02T23:59:59+08:00"

    # The next proposal hands the clock on; the approval meets it.
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "verification", "disposition_reason": "反映具体"})
    assert [r["status"] for r in deadlines(api, case_id)["disposal_proposal"]] == ["open"]
    complete(api, "a-head", case_id, "approve_disposition", {"approved": True})
    assert [r["status"] for r in deadlines(api, case_id)["disposal_proposal"]] == ["met"]
