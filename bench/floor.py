"""`python -m bench.floor`: what a durable, audited step costs with the engine left out.

The step's target (issue 28) is a ratio to raw SpiffWorkflow's load+step+save, which writes
nothing. This measures, in the same process and alternating with it on chain20:

- **the step**: `POST /tasks/{id}/complete` through the Flask test client (as `python -m bench`);
- **the floor**: the same request to a route registered here that does everything the step does
  except run the engine: the same token check, body parsing (marshmallow), locking read of task
  and instance, the finished task's update, a new task's insert and the instance's update (with a
  saved state of chain20's size) sent as the deferred writes, the two audit events on the chain,
  the durable commit (SQLite `synchronous = FULL`, PostgreSQL `synchronous_commit = on`), and the
  answer described and dumped as the step's is;
- **the request alone**: the same authenticated POST to a route that parses the body and answers
  the step's answer without a unit of work;
- **the engine's own work**: raw SpiffWorkflow's step and save with the workflow kept in memory
  (as cluedesk's workflow cache keeps it: nothing deserialized), the least any step must run;
- **the database's time in the floor**, measured in extra rounds of the floor: on SQLite the time
  inside the driver's `execute` and `commit` (the statements and the fsync), on PostgreSQL the
  time psycopg waits for the server (round trips, the statements, the WAL flush; its own message
  handling included).

From these, **the lowest step this stack allows**: the request alone + the engine's own work +
the database's time, i.e. the step with every line of SQLAlchemy, of the unit of work and of
cluedesk's own rules (the form's checks, the candidates, the audit chain's hashing) made free.
Where that is above the target, no rewrite of the step's Python reaches it; only fewer round
trips or a cheaper commit could.

Each route takes the task the previous call opened, so every call writes a fresh row as a step
does. Each database's run ends with `audit verify` and `reports verify` on what it wrote.
"""
from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import bindparam, event, insert, select, update
from sqlalchemy.orm.session import make_transient_to_detached

from bench import api, scratch, verify
from bench.__main__ import TARGET, postgres_skip_reason, prepare
from bench.baseline import RawSpiff
from bench.common import CHAIN_FILE, PROCESS_KEY, STEPS, Timings, log
from engine import db
from engine.audit import service as audit
from engine.inbox import service as inbox
from engine.inbox.models import Task
from engine.processes import store
from engine.processes.models import ProcessInstance
from web import schemas
from web.api.common import dump, json_body
from web.auth import current_user, runtime

_TASKS, _INSTANCES = Task.__table__, ProcessInstance.__table__
_NEW_TASK = insert(_TASKS)
_UPDATE_INSTANCE = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("row_id"))
_COPIED = ("instance_id", "case_id", "process_key", "element_id", "name", "lane", "kind",
           "candidate_unit_id", "candidate_role", "candidate_user_id", "properties")
_BLANK = dict.fromkeys(c.key for c in _TASKS.columns)  # a new row states every column


def _routes(app, saved_state: dict) -> None:
    """Register the floor and the request alone on `app` (before its first request)."""

    def floor(task_id):
        user, args, rt = current_user(), json_body(schemas.CompleteIn), runtime()

        def work(uow):
            session, now = uow.session, rt.clock.now()
            row, instance = store.lock_task_and_instance(session, rt, task_id)
            store.finish_task(session, row, status="completed", now=now, by=user.id)
            audit.record(session, at=now, actor=user.username, action="task_completed",
                         case_id=instance.case_id, instance_id=instance.id, task_id=task_id,
                         task_name=row.name, detail={"data": args["data"]})
            values = {**_BLANK, **{name: getattr(row, name) for name in _COPIED},
                      "id": str(uuid.uuid4()), "status": "open", "created_at": now,
                      "version": 1}
            db.defer(session, _NEW_TASK, [values])
            db.defer(session, _UPDATE_INSTANCE, {
                "row_id": instance.id, "revision": instance.revision + 1, "updated_at": now,
                "state": saved_state["state"], "data": instance.data})
            new = Task(**values)
            make_transient_to_detached(new)
            session.add(new)
            audit.record(session, at=now, actor="system", action="task_created",
                         case_id=instance.case_id, instance_id=instance.id, task_id=new.id,
                         task_name=new.name, detail={"element_id": new.element_id})
            db.write_deferred(session)
            session.flush()
            described = inbox.describe(session, [row, new], rt)
            return {"task": described[0], "next_tasks": described[1:]}
        return dump(schemas.CompleteOut, rt.transact(work))

    def alone(task_id):
        current_user()
        json_body(schemas.CompleteIn)
        answer = {"id": task_id, "name": "Step", "element_id": "step", "status": "completed",
                  "version": 2}
        return dump(schemas.CompleteOut, {"task": answer, "next_tasks": [answer]})

    app.add_url_rule("/api/v1/bench-floor/<task_id>", "api.bench_floor", floor, methods=["POST"])
    app.add_url_rule("/api/v1/bench-alone/<task_id>", "api.bench_alone", alone, methods=["POST"])


def _chain(post: api.Post, route: str, timings: Timings) -> None:
    """One case's worth of calls to `route`, each on the task the previous one opened."""
    started = api._post_json(post, "/process-instances", {"process_key": PROCESS_KEY}, 201)
    (task,) = started["ready_tasks"]
    steps = []
    case_start = time.perf_counter()
    for _ in range(STEPS):
        t0 = time.perf_counter()
        done = api._post_json(post, f"/{route}/{task['id']}",
                              {"data": {}, "version": task["version"]}, 200)
        steps.append(time.perf_counter() - t0)
        task = done["next_tasks"][0]
    timings.add_case(time.perf_counter() - case_start, steps)


def _saved_state(app, post: api.Post) -> str:
    """chain20's saved state halfway through a case (what a step writes)."""
    started = api._post_json(post, "/process-instances", {"process_key": PROCESS_KEY}, 201)
    (task,) = started["ready_tasks"]
    for _ in range(STEPS // 2):
        task = api._post_json(post, f"/tasks/{task['id']}/complete",
                              {"data": {}, "version": task["version"]}, 200)["next_tasks"][0]
    return app.extensions["cluedesk"].read(lambda uow: uow.session.scalar(
        select(ProcessInstance.state).where(ProcessInstance.id == started["id"])))


@contextmanager
def _database_time(engine) -> Iterator[list[float]]:
    """Seconds spent in the database while active (see the module's docstring), summed."""
    spent = [0.0]
    if engine.dialect.name == "postgresql":
        original = psycopg.Connection.wait

        def wait(self, *args, **kwargs):
            t0 = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                spent[0] += time.perf_counter() - t0
        psycopg.Connection.wait = wait
        try:
            yield spent
        finally:
            psycopg.Connection.wait = original
        return
    started = [0.0]

    def before(*_):
        started[0] = time.perf_counter()

    def after(*_):
        spent[0] += time.perf_counter() - started[0]
    commit = engine.dialect.do_commit

    def do_commit(dbapi_connection):
        t0 = time.perf_counter()
        try:
            commit(dbapi_connection)
        finally:
            spent[0] += time.perf_counter() - t0
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    engine.dialect.do_commit = do_commit
    try:
        yield spent
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
        engine.dialect.do_commit = commit


def measure(database: str, url: str, raw: RawSpiff, rounds: int) -> dict[str, Timings]:
    """Alternate raw SpiffWorkflow, the step, the floor and the request alone on one database."""
    saved: dict = {}
    app, token = prepare(url, routes=lambda a: _routes(a, saved))
    try:
        post = api.FlaskClientPoster(app, token)
        saved["state"] = _saved_state(app, post)
        kinds = {"raw": raw.run_case, "engine": raw.run_case_in_memory,
                 "step": lambda t: api.run_case(post, t),
                 "floor": lambda t: _chain(post, "bench-floor", t),
                 "alone": lambda t: _chain(post, "bench-alone", t)}
        for run in kinds.values():  # warm up
            for _ in range(3):
                run(Timings())
        measured = {name: Timings() for name in kinds}
        for _ in range(rounds):
            for name, run in kinds.items():
                for _ in range(2 if name in ("raw", "engine") else 1):
                    run(measured[name])
        # The database's share, in rounds of their own (the measuring costs time itself).
        database_time = Timings()
        with _database_time(app.extensions["cluedesk"].engine) as spent:
            for _ in range(rounds):
                spent[0] = 0.0
                kinds["floor"](Timings())
                database_time.add_case(spent[0], [spent[0] / STEPS] * STEPS)
        measured["database"] = database_time
    finally:
        app.extensions["cluedesk"].dispose()
    verify.verified(url)
    log(f"{database}: " + ", ".join(f"{name} {t.ms_per_step():.2f}" for name, t in measured.items())
        + f" ms/step; saved state {len(saved['state'])} bytes")
    return measured


def render(results: dict[str, dict[str, Timings]]) -> str:
    """A Markdown table: each kind's median ms per step and its ratio to raw SpiffWorkflow."""
    lines = ["| database | raw SpiffWorkflow load+step+save | the step | the floor (no engine) "
             "| the request alone | the engine's own work | the database's time in the floor "
             "| the lowest step this stack allows | target |",
             "|---|---|---|---|---|---|---|---|---|"]
    for database, measured in results.items():
        ms = {name: t.ms_per_step() for name, t in measured.items()}
        base = ms["raw"]
        ms["lowest"] = ms["alone"] + ms["engine"] + ms["database"]
        cells = [f"{base:.2f} ms"] + [f"{ms[k]:.2f} ms ({ms[k] / base:.2f}×)" for k in (
            "step", "floor", "alone", "engine", "database", "lowest")] + [TARGET[database]]
        lines.append(f"| {database} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds of each kind")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args(argv)
    raw = RawSpiff(CHAIN_FILE, PROCESS_KEY)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        with scratch.sqlite_database(Path(tmp)) as url:
            results["sqlite"] = measure("sqlite", url, raw, args.rounds)
    skip = postgres_skip_reason(not args.no_postgres)
    if skip is None:
        with scratch.postgres_database() as url:
            results["postgresql"] = measure("postgresql", url, raw, args.rounds)
    else:
        log(f"postgresql skipped: {skip}")
    print(render(results))


if __name__ == "__main__":
    main()
