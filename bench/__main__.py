"""`python -m bench [--quick]`: measure, then print one table of ratios to stdout."""
from __future__ import annotations

import argparse
import gc
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench import (api, deadlines, inbox, loop, reports, repeats, sandbox, scaleout, scratch,
                   search, server, verify)
from bench.baseline import RawSpiff
from bench.common import CHAIN_FILE, PROCESS_KEY, STEPS, Timings, log
from bench.table import Row, render, skipped_row

# The step against raw SpiffWorkflow load+step+save (issue 28: floor-aware, a durable audited
# step cannot cost less than its statements and a WAL flush).
TARGET = {"sqlite": "≤ 1.2", "postgresql": "≤ 1.5"}
CASES_TARGET = "≥ 25 cases/s"  # absolute; the ratio column is context (time per case)
STEP_CLIENT = "HTTP complete-task step (test client)"
STEP_SERVE = "HTTP complete-task step (serve, keep-alive)"
STEP_GUNICORN = "HTTP complete-task step (gunicorn gthread, keep-alive)"
WHOLE_CASE = f"whole {STEPS}-task case via API, serve (cases/s)"
WHOLE_CASE_GUNICORN = f"whole {STEPS}-task case via API, gunicorn (cases/s)"

RunCase = Callable[[Timings], None]


@dataclass
class Plan:
    """How many whole cases to run: untimed warm-up, then timed rounds of both kinds."""
    warmup: int
    rounds: int
    cases_per_round: int
    baseline_per_round: int


QUICK = Plan(warmup=1, rounds=3, cases_per_round=1, baseline_per_round=2)
DEFAULT = Plan(warmup=3, rounds=10, cases_per_round=5, baseline_per_round=10)


def parse_args(argv=None) -> tuple[Plan, bool, bool, bool]:
    """Command-line options → (plan, whether to try PostgreSQL, quick, the step rows only)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few cases only (smoke run)")
    parser.add_argument("--rounds", type=int, help="timed rounds per database and transport")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite rows only")
    parser.add_argument("--step", action="store_true",
                        help="the step rows only (both databases, scripts, 2 web processes)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else DEFAULT
    if args.rounds:
        plan = replace(plan, rounds=args.rounds)
    return plan, not args.no_postgres, args.quick, args.step


def interleaved(ours: RunCase, raw: RunCase, plan: Plan) -> tuple[Timings, Timings]:
    """Warm up both, then alternate rounds of raw Spiff and cluedesk cases (same machine load)."""
    for _ in range(plan.warmup):
        raw(Timings())
        ours(Timings())
    gc.collect()
    measured, base = Timings(), Timings()
    for _ in range(plan.rounds):
        for _ in range(plan.baseline_per_round):
            raw(base)
        for _ in range(plan.cases_per_round):
            ours(measured)
    log(f"  cluedesk {measured.ms_per_step():.2f} ms/step, raw Spiff {base.ms_per_step():.2f} "
        f"ms/step ({len(measured.cases)} and {len(base.cases)} cases)")
    return measured, base


def prepare(url: str, routes: Callable | None = None):
    """Migrate the scratch database, load the demo org, deploy chain20; return (app, token).
    `routes(app)` may add routes before the app's first request."""
    from engine.demo import load_organisation
    from engine.org.service import issue_token
    from engine.schema import upgrade
    from web import create_app

    upgrade(url=url)
    app = create_app({"database": {"url": url}})
    if routes is not None:
        routes(app)
    runtime = app.extensions["cluedesk"]
    load_organisation(runtime)
    token = runtime.transact(lambda uow: issue_token(uow.session, username="designer",
                                                     now=runtime.clock.now()))
    api.deploy_chain(api.FlaskClientPoster(app, token))
    return app, token


def measure_database(database: str, url: str, raw: RawSpiff, plan: Plan, tmp: Path) -> list[Row]:
    """The three rows of one database: test client, then a real server, on the same data."""
    app, token = prepare(url)
    try:
        log(f"{database}: test client")
        client = api.FlaskClientPoster(app, token)
        via_client = interleaved(lambda t: api.run_case(client, t), raw.run_case, plan)
        loop_rows = loop.measure(database, app, token)
    finally:
        app.extensions["cluedesk"].dispose()
    via = {}
    for name, gunicorn in (("cluedesk serve", False), ("gunicorn", True)):
        with server.serve(url, tmp, gunicorn=gunicorn) as served:
            log(f"{database}: {name} on port {served.port}")
            poster = api.KeepAlivePoster(server.HOST, served.port, token)
            try:
                via[gunicorn] = interleaved(lambda t, p=poster: api.run_case(p, t), raw.run_case,
                                            plan)
            finally:
                poster.close()
            log(f"  {poster.connects} TCP connection(s) for all requests")
    verify.verified(url)
    target = TARGET[database]
    return [Row.per_step(STEP_CLIENT, database, *via_client, target),
            Row.per_step(STEP_SERVE, database, *via[False], target),
            Row.per_step(STEP_GUNICORN, database, *via[True], target),
            Row.per_case(WHOLE_CASE, database, *via[False], CASES_TARGET),
            Row.per_case(WHOLE_CASE_GUNICORN, database, *via[True], CASES_TARGET), *loop_rows]


def postgres_skip_reason(try_postgres: bool) -> str | None:
    """Why the PostgreSQL rows are skipped, or None to measure them."""
    if not try_postgres:
        return "skipped (--no-postgres)"
    if not scratch.postgres_reachable():
        return f"skipped: PostgreSQL not reachable at {scratch.postgres_address()}"
    return None


def warn_if_busy() -> None:
    """Say so on stderr when other processes already load the CPUs."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load > 0.5 * cpus:
        log(f"note: load average {load:.1f} on {cpus} CPUs; absolute times will be noisy "
            "(ratios less so: baseline and cluedesk run in alternating rounds)")


def main(argv=None) -> None:
    """Measure SQLite, then PostgreSQL when reachable; print the table."""
    plan, try_postgres, quick, step_only = parse_args(argv)
    warn_if_busy()
    raw = RawSpiff(CHAIN_FILE, PROCESS_KEY)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="cluedesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with scratch.sqlite_database(tmp) as url:
            rows += measure_database("sqlite", url, raw, plan, tmp)
        with scratch.sqlite_database(tmp) as url:
            rows += sandbox.run(url, quick)
        reason = postgres_skip_reason(try_postgres)
        if reason:
            log(f"postgresql {reason}")
            step = TARGET["postgresql"]
            rows += [skipped_row(name, "postgresql", reason, target) for name, target in
                     ((STEP_CLIENT, step), (STEP_SERVE, step), (STEP_GUNICORN, step),
                      (WHOLE_CASE, CASES_TARGET), (WHOLE_CASE_GUNICORN, CASES_TARGET))]
        else:
            with scratch.postgres_database() as url:
                rows += measure_database("postgresql", url, raw, plan, tmp)
            if step_only:
                rows.append(scaleout.measure_web(tmp, quick))
        if step_only:
            print(render(rows))
            return
        # The big-data rows: PostgreSQL is what scales out; SQLite only when no server answers.
        if reason:
            big_db, make_big = "sqlite", lambda: scratch.sqlite_database(tmp)
        else:
            big_db, make_big = "postgresql", scratch.postgres_database
        rows += deadlines.measure(big_db, make_big, quick)
        rows += inbox.measure(big_db, make_big, tmp, quick)
        if not reason:
            rows += scaleout.measure(tmp, quick)
    rows += repeats.measure(quick)
    # Search: 1,000,000 petitions (--quick 100,000) on PostgreSQL, SQLite when none answers.
    rows += search.measure(quick, try_postgres=not reason, sqlite=bool(reason))
    if not reason:
        rows += reports.measure(quick)
    print(render(rows))


if __name__ == "__main__":
    main()
