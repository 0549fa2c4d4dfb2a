"""`python -m bench [--quick]`: measure, then print one table of ratios to stdout."""
from __future__ import annotations

import argparse
import gc
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import api, baseline, scratch, server
from bench.common import CHAIN_FILE, PROCESS_KEY, STEPS, Timings, log
from bench.table import Row, render, skipped_row

TARGET = "≤ 1.0"
STEP_CLIENT = "HTTP complete-task step (test client)"
STEP_SERVE = "HTTP complete-task step (serve, keep-alive)"
WHOLE_CASE = f"whole {STEPS}-task case via API (cases/s)"


@dataclass
class Plan:
    """How many whole cases to run, untimed and timed."""
    warmup: int
    cases: int
    baseline_cases: int


def parse_args(argv=None) -> tuple[Plan, bool]:
    """Command-line options → (plan, whether to try PostgreSQL)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few cases only (smoke run)")
    parser.add_argument("--cases", type=int, help="timed cases per database and transport")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite rows only")
    args = parser.parse_args(argv)
    plan = Plan(warmup=1, cases=3, baseline_cases=5) if args.quick else \
        Plan(warmup=3, cases=50, baseline_cases=100)
    if args.cases:
        plan.cases = args.cases
    return plan, not args.no_postgres


def prepare(url: str):
    """Migrate the scratch database, load the demo org, deploy chain20; return (app, token)."""
    from engine.demo import load_organisation
    from engine.org.service import issue_token
    from engine.schema import upgrade
    from web import create_app

    upgrade(url=url)
    app = create_app({"database": {"url": url}})
    runtime = app.extensions["cluedesk"]
    load_organisation(runtime)
    token = runtime.transact(lambda uow: issue_token(uow.session, username="designer",
                                                     now=runtime.clock.now()))
    api.deploy_chain(api.FlaskClientPoster(app, token))
    return app, token


def timed(label: str, fn) -> Timings:
    """Collect garbage, run `fn`, log its mean step time."""
    gc.collect()
    timings = fn()
    log(f"{label}: {timings.ms_per_step():.2f} ms/step over {len(timings.cases)} cases")
    return timings


def measure_database(url: str, plan: Plan, tmp: Path) -> tuple[Timings, Timings]:
    """Time chain20 cases through the test client, then through a real server on `url`."""
    app, token = prepare(url)
    try:
        client = timed("  test client", lambda: api.measure(
            api.FlaskClientPoster(app, token), warmup=plan.warmup, cases=plan.cases))
    finally:
        app.extensions["cluedesk"].dispose()
    with server.serve(url, tmp) as port:
        poster = api.KeepAlivePoster(server.HOST, port, token)
        try:
            served = timed("  serve", lambda: api.measure(poster, warmup=plan.warmup,
                                                          cases=plan.cases))
        finally:
            poster.close()
        log(f"  serve used {poster.connects} TCP connection(s) for "
            f"{(plan.warmup + plan.cases) * (STEPS + 1)} requests")
    return client, served


def rows_for(database: str, client: Timings, served: Timings, base: Timings) -> list[Row]:
    """The three rows of one database."""
    return [Row.per_step(STEP_CLIENT, database, client, base, TARGET),
            Row.per_step(STEP_SERVE, database, served, base, TARGET),
            Row.per_case(WHOLE_CASE, database, served, base, TARGET)]


def main(argv=None) -> None:
    """Run the baseline, then each database; print the table."""
    plan, try_postgres = parse_args(argv)
    log(f"baseline: raw SpiffWorkflow on {CHAIN_FILE.name} ({plan.baseline_cases} cases)")
    base = timed("  raw Spiff", lambda: baseline.measure(
        CHAIN_FILE, PROCESS_KEY, warmup=plan.warmup, cases=plan.baseline_cases))
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="cluedesk-bench-") as tmp_name:
        tmp = Path(tmp_name)
        log("sqlite")
        with scratch.sqlite_database(tmp) as url:
            rows += rows_for("sqlite", *measure_database(url, plan, tmp), base)
        if not try_postgres:
            reason = "skipped (--no-postgres)"
        elif not scratch.postgres_reachable():
            reason = "skipped: PostgreSQL not reachable at 127.0.0.1:5432"
        else:
            reason = None
        if reason:
            log(f"postgresql {reason}")
            rows += [skipped_row(name, "postgresql", reason, TARGET)
                     for name in (STEP_CLIENT, STEP_SERVE, WHOLE_CASE)]
        else:
            log("postgresql")
            with scratch.postgres_database() as url:
                rows += rows_for("postgresql", *measure_database(url, plan, tmp), base)
    print(render(rows))


if __name__ == "__main__":
    main()
