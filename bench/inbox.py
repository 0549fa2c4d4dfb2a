"""Inbox rows: `GET /tasks?scope=unit&due=red` p95 at many vs 10,000 open tasks, through a real
`cluedesk serve`, and that server's resident memory afterwards."""
from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from bench import api, server
from bench.common import log
from bench.table import Row

QUERY = "/tasks?scope=unit&due=red"
USER = "a-worker"  # a township caseworker: the unit scope is their township's open tasks
P95 = "inbox query p95 (GET /tasks?scope=unit&due=red): {big} vs 10,000 open tasks"
RSS = "server RSS after the inbox benchmark"


def _prepare(url: str, n: int) -> str:
    """Migrate, load the demo organisation, seed n open tasks; return a token for USER."""
    from engine.bench_seed import seed
    from engine.config import load_settings
    from engine.demo import load_organisation
    from engine.org.service import issue_token
    from engine.runtime import Runtime
    from engine.schema import upgrade
    upgrade(url=url)
    runtime = Runtime(load_settings({"database": {"url": url}}))
    try:
        load_organisation(runtime)
        t0 = time.perf_counter()
        seed(runtime, n)
        if not runtime.sqlite:
            # What autovacuum does soon after a bulk load: the visibility map lets counting
            # read the index only.
            with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE tasks"))
        log(f"  seeded {n:,} open tasks in {time.perf_counter() - t0:.0f} s")
        return runtime.transact(lambda uow: issue_token(uow.session, username=USER,
                                                        now=runtime.clock.now()))
    finally:
        runtime.dispose()


def _p95_ms(served: server.Served, token: str, requests: int) -> tuple[float, int]:
    """p95 of `requests` inbox queries over one keep-alive connection, and the total shown."""
    client = api.KeepAlivePoster(server.HOST, served.port, token)
    try:
        times, total = [], 0
        for number in range(requests + 20):
            t0 = time.perf_counter()
            status, body = client.get(QUERY)
            elapsed = time.perf_counter() - t0
            if status != 200 or not body["items"]:
                raise RuntimeError(f"GET {QUERY} -> {status}: {str(body)[:300]}")
            total = body["total"]
            if number >= 20:  # the first ones warm caches up
                times.append(elapsed)
        times.sort()
        return 1000 * times[int(0.95 * len(times))], total
    finally:
        client.close()


def measure(database: str, make_url, tmp: Path, quick: bool) -> list[Row]:
    """Both sizes on fresh databases; the RSS of the server that answered the big one."""
    big = 100_000 if quick else 1_000_000
    requests = 100 if quick else 300
    results = {}
    rss = 0.0
    for n in (10_000, big):
        with make_url() as url:
            log(f"{database}: inbox with {n:,} open tasks")
            token = _prepare(url, n)
            with server.serve(url, tmp) as served:
                results[n] = _p95_ms(served, token, requests)
                rss = served.rss_mb()
            log(f"  p95 {results[n][0]:.1f} ms ({results[n][1]:,} red tasks counted), "
                f"server RSS {rss:.0f} MiB")
    (p_big, _), (p_small, _) = results[big], results[10_000]
    return [Row(P95.format(big=f"{big:,}"), database, f"{p_big:.1f} ms p95",
                f"{p_small:.1f} ms p95", f"{p_big / p_small:.2f}", "≤ 2.0 and ≤ 50 ms"),
            Row(RSS, database, f"{rss:.0f} MiB", "—", "—", "≤ 300 MiB")]
