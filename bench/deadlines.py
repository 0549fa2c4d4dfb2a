"""Timer and deadline rows: poll cost against the number of pending rows, and firing rate."""
from __future__ import annotations

import statistics
import time
import uuid
from datetime import datetime, timedelta, UTC

from sqlalchemy import text

from bench.common import log
from bench.table import Row

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
POLL = "deadline/timer poll: many vs 1,000 pending rows"
RATE = "deadline firing rate, one worker"


def _series(dialect: str, n: int) -> str:
    """A row source of integers 1..n, as each database spells it."""
    if dialect == "sqlite":
        return (f"WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) "
                "SELECT i FROM s")
    return f"SELECT i FROM generate_series(1, {n}) AS s(i)"


def seed_pending(runtime, n: int) -> None:
    """n deadlines and n timer rows, all due in the future (bulk SQL, not the API)."""
    dialect = runtime.engine.dialect.name
    instance = str(uuid.uuid4())
    uid = "lower(hex(randomblob(16)))" if dialect == "sqlite" else "gen_random_uuid()::text"
    ts = "'2027-01-01 00:00:00'" if dialect == "sqlite" else "timestamptz '2027-01-01 00:00:00+00'"
    plus = (lambda col: f"datetime({ts}, '+' || {col} || ' seconds')") if dialect == "sqlite" \
        else (lambda col: f"{ts} + ({col} || ' seconds')::interval")
    with runtime.engine.begin() as conn:
        conn.execute(text("INSERT INTO bpmn_sources (checksum, file_name, xml, created_at) "
                          f"VALUES ('bench', 'bench.bpmn', '', {ts})"))
        conn.execute(text("INSERT INTO process_definitions (key, name, version, checksum, "
                          "source_checksum, dependency_checksums, spec_checksum, deployed_at, "
                          f"deployed_by, comment) VALUES ('bench', 'bench', 1, 'bench', 'bench', "
                          f"'[]', 'bench', {ts}, 'bench', '')"))
        conn.execute(text("INSERT INTO process_instances (id, definition_id, process_key, version, "
                          "status, created_at, updated_at, state, serializer_version, revision, "
                          f"data) SELECT '{instance}', id, 'bench', 1, 'running', {ts}, {ts}, '', "
                          "'x', 1, '{}' FROM process_definitions WHERE key = 'bench'"))
        conn.execute(text("INSERT INTO deadlines (key, started_at, amount, unit, extensions, "
                          "suspended_seconds, due_at, warn_at, status, updated_at) "
                          f"SELECT 'acceptance_notice', {ts}, 15, 'working_days', '[]', 0, "
                          f"{plus('i')}, {ts}, 'open', {ts} FROM ({_series(dialect, n)}) AS q"))
        conn.execute(text("INSERT INTO timers (instance_id, task_id, element_id, due_at, status) "
                          f"SELECT '{instance}', {uid}, 'bench', {plus('i')}, 'pending' "
                          f"FROM ({_series(dialect, n)}) AS q"))
        if dialect != "sqlite":
            conn.execute(text("ANALYZE deadlines; ANALYZE timers"))


def poll_ms(runtime, polls: int) -> float:
    """Median time of one poll that finds nothing due (timers then deadlines)."""
    from engine.timers import service
    times = []
    for _ in range(polls):
        t0 = time.perf_counter()
        assert service.run_due(runtime, NOW) == 0
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000


def firing_rate(runtime, n: int) -> float:
    """Deadlines breached per second by one worker over n due rows."""
    from engine.deadlines import service
    from engine.deadlines.models import Deadline
    # Due just before NOW, while the seeded pending rows are due later: exactly n fire.
    runtime.transact(lambda uow: uow.session.add_all(
        Deadline(key="acceptance_notice", started_at=NOW - timedelta(days=30), amount=15,
                 unit="working_days", extensions=[], suspended_seconds=0,
                 due_at=NOW - timedelta(seconds=i + 1), warn_at=NOW - timedelta(days=1),
                 status="open", updated_at=NOW) for i in range(n)))
    t0 = time.perf_counter()
    fired = service.fire_due(runtime, NOW)
    elapsed = time.perf_counter() - t0
    assert fired == n, f"expected {n} breaches, got {fired}"
    return fired / elapsed


def measure(database: str, make_url, quick: bool) -> list[Row]:
    """Poll cost at 1,000 and at many pending rows (fresh databases), then the firing rate."""
    from engine.config import load_settings
    from engine.runtime import Runtime
    from engine.schema import upgrade
    big = 100_000 if quick else 1_000_000
    results = {}
    for n in (1_000, big):
        with make_url() as url:
            upgrade(url=url)
            runtime = Runtime(load_settings({"database": {"url": url}}))
            log(f"{database}: seeding {n:,} pending deadlines and timers")
            seed_pending(runtime, n)
            poll_ms(runtime, 20)  # warm up
            results[n] = poll_ms(runtime, 100 if quick else 300)
            if n == big:
                rate = firing_rate(runtime, 300 if quick else 2_000)
            runtime.dispose()
    ratio = results[big] / results[1_000]
    return [Row(POLL.replace("many", f"{big:,}"), database, f"{results[big]:.2f} ms/poll",
                f"{results[1_000]:.2f} ms/poll", f"{ratio:.2f}", "≤ 2.0"),
            Row(RATE, database, f"{rate:.0f} fired/s", "—", "—", "≥ 200/s")]
