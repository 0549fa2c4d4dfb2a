"""Search row (issue 21): `engine.views.search.search` p50/p95/max over ~50 typed queries with
N petitions (1,000,000; --quick 100,000) and their cases, accused and search-index rows.

`python -m bench.search [--petitions N] [--no-postgres] [--keep NAME]`, also a row of
`python -m bench`. `--keep NAME` uses (or makes) the PostgreSQL database NAME and keeps it: a
database already seeded is only migrated to the head, so reruns skip the minutes of seeding
(drop it yourself when done).
A scratch database (migrated, the demo organisation) gets N open petitions with cases and
accused village cadres from `cluedesk bench-seed --with-accused` (`engine.bench_seed`), which
writes each petition's and case's search entry as the application makes them (number, accused
name/post/unit, township, village, content). After ANALYZE and a warm-up,
the real read model (access rules included) is timed for the county supervisor `chief` and the
township caseworker `a-worker`."""
from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench import scratch
from bench.common import log
from bench.table import Row, render, skipped_row
from engine.bench_seed import seed
from engine.config import load_settings
from engine.demo import load_organisation
from engine.org.models import User
from engine.runtime import Runtime
from engine.schema import upgrade
from engine.views.search import search

NAME = "search p95 (engine.views.search.search, ~50 queries): {n} petitions, {who}"
TARGET = "p95 ≤ 200 ms"
USERS = (("chief", "county supervisor"), ("a-worker", "township caseworker"))
QUERIES = 50
WARMUP = 10


def _queries(runtime, rng: random.Random) -> list[str]:
    """~50 searches of the kinds people type: a name, a village, a number, a two-character
    word, a phrase of the content."""
    with runtime.engine.connect() as conn:
        sample = conn.execute(text(
            "SELECT p.number, p.village, a.name, p.content FROM petitions p "
            "JOIN accused_persons a ON a.petition_id = p.id ORDER BY p.id LIMIT 5000")).all()
    words = ("低保", "挪用", "补贴", "赌博", "拉票", "工程", "土地", "养老", "吃喝", "扶贫")
    phrases = ("套取低保资金", "没有招标", "聚众赌博", "送钱拉票", "租金没有入账")
    out = []
    for n in range(QUERIES):
        number, village, name, content = rng.choice(sample)
        kind = n % 5
        out.append((name, village, number, rng.choice(words),
                    rng.choice(phrases) if n % 10 else content[2:12])[kind])
    return out


def _time(runtime, username: str, queries: list[str]) -> tuple[list[float], int]:
    times, hits = [], 0
    with Session(runtime.engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        for q in queries[:WARMUP]:
            search(session, user, q)
        for q in queries:
            t0 = time.perf_counter()
            result = search(session, user, q)
            times.append((time.perf_counter() - t0) * 1000)
            hits += bool(result["items"])
            session.expunge_all()
            session.expire_all()
    return sorted(times), hits


def _seeded(runtime) -> int:
    with runtime.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM search_entries")) or 0


def measure_one(database: str, url: str, n: int) -> list[Row]:
    t0 = time.perf_counter()
    upgrade(url=url)
    log(f"  {database}: migrated in {time.perf_counter() - t0:.0f} s")
    runtime = Runtime(load_settings({"database": {"url": url}}))
    try:
        present = _seeded(runtime)
        if present:
            log(f"  {database}: reusing {present:,} search entries (kept database)")
        else:
            load_organisation(runtime)
            t0 = time.perf_counter()
            seed(runtime, n, people=True, progress=lambda d: log(f"  {database}: seeded {d:,}"))
            log(f"  {database}: {n:,} petitions seeded and indexed in "
                f"{time.perf_counter() - t0:.0f} s")
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("ANALYZE" if runtime.sqlite else "VACUUM ANALYZE"))
        queries = _queries(runtime, random.Random(21))
        rows = []
        for username, who in USERS:
            times, hits = _time(runtime, username, queries)
            p50, p95 = statistics.median(times), times[min(len(times) - 1,
                                                           int(0.95 * len(times)))]
            log(f"  {database} {who}: p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} "
                f"ms; {hits}/{len(times)} queries found something")
            rows.append(Row(NAME.format(n=f"{n:,}", who=who), database,
                            f"p50 {p50:.1f} ms, p95 {p95:.1f}, max {times[-1]:.1f}", "—", "—",
                            TARGET))
        return rows
    finally:
        runtime.dispose()


def measure(quick: bool, *, try_postgres: bool = True, sqlite: bool = False,
            n: int | None = None, keep: str | None = None) -> list[Row]:
    """The rows on PostgreSQL (and SQLite when asked)."""
    n = n or (100_000 if quick else 1_000_000)
    rows: list[Row] = []
    if try_postgres and scratch.postgres_reachable():
        database = scratch.kept_postgres_database(keep) if keep else scratch.postgres_database()
        with database as url:
            rows += measure_one("postgresql", url, n)
    else:
        rows += [skipped_row(NAME.format(n=f"{n:,}", who=who), "postgresql", "skipped", TARGET)
                 for _, who in USERS]
    if sqlite:
        with tempfile.TemporaryDirectory(prefix="cluedesk-bench-") as tmp:
            with scratch.sqlite_database(Path(tmp)) as url:
                rows += measure_one("sqlite", url, n)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--petitions", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--sqlite", action="store_true", help="also on SQLite")
    parser.add_argument("--keep", metavar="NAME",
                        help="PostgreSQL database to use and keep (seeded only if empty)")
    args = parser.parse_args(argv)
    print(render(measure(False, try_postgres=not args.no_postgres,
                         sqlite=args.sqlite or args.no_postgres, n=args.petitions,
                         keep=args.keep)))


if __name__ == "__main__":
    main()
