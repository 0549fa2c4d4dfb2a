"""Scale-out rows on one PostgreSQL: two `cluedesk serve` processes against one under the same
bounded concurrent load over loopback, and two timer workers against one over the same due
deadlines. Each run is checked: no errors, and no step or breach applied twice (audit trail and
`cluedesk check`)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from sqlalchemy import create_engine, text

from bench import api, scratch, server, verify
from bench.common import ROOT, Timings, log
from bench.table import Row, skipped_row

WEB = "scale-out: 2 web processes vs 1 ({clients} concurrent clients, one PostgreSQL)"
TIMERS = "scale-out: 2 timer workers vs 1 ({n:,} due deadlines, one PostgreSQL)"
TARGET = "≥ 1.6, no errors, none twice"
CLIENTS = 8
# The production set-up of the README: several processes with one thread each. Python threads
# of one process share one core; with 8 threads a process spends its time in contention for
# it, and while a thread holding the audit chain's lock waits for it, every process waits
# (measured: 2 processes vs 1 gave 1.22-1.29x with 8 threads, 1.36-1.43x with 2, 1.51-1.53x
# with 1).
SERVER_ENV = {"CLUEDESK_SERVER_THREADS": "1"}


def _load(ports: list[int], token: str, seconds: float) -> tuple[float, int, int]:
    """CLIENTS threads, each driving whole chain20 cases over its own keep-alive connection to
    one of `ports` (round robin, as a load balancer spreads connections) for `seconds` after a
    warm-up; return (completions per second, completions counted, errors)."""
    stop = threading.Event()
    counting = threading.Event()
    counts = [0] * CLIENTS
    errors: list[str] = []

    def client(number: int) -> None:
        poster = api.KeepAlivePoster(server.HOST, ports[number % len(ports)], token)
        counter = _Counter(poster, counting, counts, number)
        try:
            while not stop.is_set():
                api.run_case(counter, Timings())
        except Exception as exc:  # an error ends this client; the row reports it
            if not stop.is_set():
                errors.append(f"{exc.__class__.__name__}: {exc}"[:300])
        finally:
            poster.close()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    time.sleep(min(3.0, seconds / 3))  # warm-up: caches, connections, parsed specs
    counting.set()
    t0 = time.perf_counter()
    time.sleep(seconds)
    counting.clear()
    elapsed = time.perf_counter() - t0
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    for message in errors[:3]:
        log(f"  client error: {message}")
    return sum(counts) / elapsed, sum(counts), len(errors)


class _Counter:
    """A poster that counts successful task completions while `counting` is set."""

    def __init__(self, poster, counting, counts, number):
        self.poster, self.counting, self.counts, self.number = poster, counting, counts, number

    def __call__(self, path, body, content_type):
        status, data = self.poster(path, body, content_type)
        if status == 200 and path.endswith("/complete") and self.counting.is_set():
            self.counts[self.number] += 1
        return status, data


def _applied_twice(url: str, action: str, key: str) -> tuple[int, int]:
    """(events, keys named by more than one event) for audit `action`, keyed by task_id or by
    detail's deadline_id."""
    column = "task_id" if key == "task_id" else "CAST(detail->>'deadline_id' AS integer)"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            events = conn.execute(text(f"SELECT count(*) FROM audit_events WHERE action = "
                                       f"'{action}'")).scalar()
            twice = conn.execute(text(
                f"SELECT count(*) FROM (SELECT {column} FROM audit_events WHERE action = "
                f"'{action}' GROUP BY 1 HAVING count(*) > 1) AS dup")).scalar()
        return events, twice
    finally:
        engine.dispose()


def _check(url: str) -> list[str]:
    """`cluedesk check` on the database: every invariant between workflows and rows."""
    from engine.check import run_check
    from engine.config import load_settings
    from engine.runtime import Runtime
    runtime = Runtime(load_settings({"database": {"url": url}}))
    try:
        return run_check(runtime=runtime).problems
    finally:
        runtime.dispose()


def measure_web(tmp: Path, quick: bool) -> Row:
    """Completions per second through 1, then 2 server processes on one database."""
    from bench.__main__ import prepare
    seconds = 6.0 if quick else 20.0
    name = WEB.format(clients=CLIENTS)
    rates, problems, errors = {}, [], 0
    with scratch.postgres_database() as url:
        app, token = prepare(url)
        app.extensions["cluedesk"].dispose()
        for processes in (1, 2):
            with ExitStack() as stack:
                ports = [stack.enter_context(server.serve(url, tmp, env=SERVER_ENV)).port
                         for _ in range(processes)]
                rate, counted, failed = _load(ports, token, seconds)
            rates[processes], errors = rate, errors + failed
            log(f"  {processes} web process(es): {rate:.0f} completions/s ({counted:,} in "
                f"{seconds:.0f} s), {failed} errors")
        events, twice = _applied_twice(url, "task_completed", "task_id")
        problems = _check(url)
        verify.verified(url)
    log(f"  {events:,} task_completed events, {twice} tasks completed twice, "
        f"check: {len(problems)} problems")
    for problem in problems[:5]:
        log(f"    {problem}")
    verdict = f"{errors} errors, {twice} twice, check {'ok' if not problems else 'FAILED'}"
    return Row(name, "postgresql", f"{rates[2]:.0f} completions/s ({verdict})",
               f"{rates[1]:.0f} completions/s", f"{rates[2] / rates[1]:.2f}", TARGET)


WORKER = """
import sys, time
from engine.config import load_settings
from engine.runtime import Runtime
from engine.timers import service
runtime = Runtime(load_settings({"database": {"url": sys.argv[1]}}))
with runtime.uow() as uow:  # connect and import everything before the start signal
    pass
sys.stdout.write("ready\\n"); sys.stdout.flush()
sys.stdin.readline()
t0 = time.perf_counter()
fired = service.run_due(runtime, runtime.clock.now())
print(fired, time.perf_counter() - t0, flush=True)
"""


def _fire(url: str, workers: int) -> tuple[float, int]:
    """Start `workers` timer workers, let them go at once; (wall seconds, breaches fired)."""
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
             for _ in range(workers)]
    try:
        for proc in procs:
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a timer worker did not start")
        t0 = time.perf_counter()
        for proc in procs:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        fired = 0
        for proc in procs:
            fired += int(proc.stdout.readline().split()[0])
            proc.wait(timeout=600)
        return time.perf_counter() - t0, fired
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()


def measure_timers(quick: bool) -> Row:
    """Breaches per second by 1, then 2 worker processes (fresh, equal data sets)."""
    from engine.bench_seed import seed
    from engine.config import load_settings
    from engine.demo import load_organisation
    from engine.runtime import Runtime
    from engine.schema import upgrade
    tasks = 1_500 if quick else 6_000  # a third of them red: their deadlines are due
    rates, fired_by, problems = {}, {}, 0
    for workers in (1, 2):
        with scratch.postgres_database() as url:
            upgrade(url=url)
            runtime = Runtime(load_settings({"database": {"url": url}}))
            load_organisation(runtime)
            seed(runtime, tasks)
            runtime.dispose()
            seconds, fired = _fire(url, workers)
            events, twice = _applied_twice(url, "deadline_breached", "deadline_id")
            problems += twice + abs(events - fired)
            rates[workers], fired_by[workers] = fired / seconds, fired
            log(f"  {workers} timer worker(s): {fired:,} breaches in {seconds:.1f} s "
                f"({rates[workers]:.0f}/s); {events:,} audit events, {twice} twice")
    return Row(TIMERS.format(n=fired_by[1]), "postgresql",
               f"{rates[2]:.0f} breaches/s ({problems} applied twice or missing)",
               f"{rates[1]:.0f} breaches/s", f"{rates[2] / rates[1]:.2f}", TARGET)


def measure(tmp: Path, quick: bool) -> list[Row]:
    """Both rows, or skipped rows when no PostgreSQL answers (SQLite has one writer)."""
    if not scratch.postgres_reachable():
        reason = f"skipped: PostgreSQL not reachable at {scratch.postgres_address()}"
        return [skipped_row(WEB.format(clients=CLIENTS), "postgresql", reason, TARGET),
                skipped_row(TIMERS.format(n=0), "postgresql", reason, TARGET)]
    log("postgresql: scale-out")
    return [measure_web(tmp, quick), measure_timers(quick)]
