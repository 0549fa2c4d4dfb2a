"""Growth rows (issue 28 point 5): pages of a case that grew, and a county supervisor's inbox.

- case page and task page (`GET /cases/{id}`, `GET /tasks/{id}`, the HTML pages, logged in as
  the county supervisor `chief`) for a registered petition's case whose send-back loop
  (`tests/bpmn/sendback_loop.bpmn`, linked to the case) went round 400 times and which holds 50
  attachments; baseline: the same pages of the same case after 10 passes and no attachment;
- the county supervisor's inbox (`GET /tasks?scope=all` and `…&due=red` through the API) with
  100,000 seeded open tasks below the county: p95 over 300 requests after 20 warm-up ones.

Both through Flask's test client (the pages' own cost, no socket), on PostgreSQL when one
answers.

    .venv/bin/python -m bench.growth [--passes 400] [--tasks 100000]
"""
from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from bench import api, scratch, verify
from engine.processes import service as processes
from bench.common import ROOT, log
from bench.table import Row, render

LOOP_FILE = ROOT / "tests" / "bpmn" / "sendback_loop.bpmn"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PETITION = {"channel": "letter", "received_at": "2026-03-02T09:00:00+08:00",
            "reporter": {"anonymous": True},
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}


def _app(url: str, storage: Path):
    from engine.demo import load_organisation
    from engine.schema import upgrade
    from web import create_app
    upgrade(url=url)
    app = create_app({"database": {"url": url}, "storage": {"path": str(storage)},
                      "server": {"demo": True}})  # the demo users keep the password "demo"
    load_organisation(app.extensions["cluedesk"])
    return app


def _token(app, user: str) -> str:
    from engine.org.service import issue_token
    rt = app.extensions["cluedesk"]
    return rt.transact(lambda uow: issue_token(uow.session, username=user, now=rt.clock.now()))


def _logged_in(app, user: str):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    resp = client.post("/login", data={"username": user, "password": "demo",
                                       "csrf_token": CSRF.search(page).group(1)})
    if resp.status_code not in (302, 303):
        raise RuntimeError(f"login as {user}: {resp.status_code}")
    return client


def _page_ms(client, path: str, n: int) -> tuple[float, float, float]:
    """Median and p95 ms of n GETs (after 3 warm-up ones), and the median CPU ms of this
    process per GET (the server's Python work: far less sensitive to other load than wall
    time; the database's own CPU is not in it)."""
    times, cpu = [], []
    for number in range(n + 3):
        t0, c0 = time.perf_counter(), time.process_time()
        resp = client.get(path)
        elapsed, used = time.perf_counter() - t0, time.process_time() - c0
        if resp.status_code != 200:
            raise RuntimeError(f"GET {path} -> {resp.status_code}")
        if number >= 3:
            times.append(elapsed)
            cpu.append(used)
    times.sort()
    return (1000 * statistics.median(times), 1000 * times[int(0.95 * len(times))],
            1000 * statistics.median(cpu))


def pages(url: str, passes: int, requests: int) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="cluedesk-growth-") as storage:
        app = _app(url, Path(storage))
        rt = app.extensions["cluedesk"]
        try:
            files = [(f.name, f.read_bytes())
                     for f in sorted((ROOT / "bpmn").glob("*.bpmn")) + [LOOP_FILE]]
            rt.transact(lambda uow: processes.deploy(uow, runtime=rt, files=files,
                                                     actor="bench", comment=""))
            clerk = api.FlaskClientPoster(app, _token(app, "clerk"))
            case_id = api._post_json(clerk, "/petitions", PETITION, 201)["case_id"]
            clerk_token = clerk.headers["Authorization"].split()[1]
            # Only a process designer starts a process by key; its lane-less tasks are theirs.
            designer = api.FlaskClientPoster(app, _token(app, "designer"))
            started = api._post_json(designer, "/process-instances",
                                     {"process_key": "sendback_loop"}, 201)
            with rt.engine.begin() as conn:
                # The loop becomes part of the case, and the clerk who registered the case
                # works it (as if they had started it): they see both pages.
                clerk_id = conn.execute(text("SELECT id FROM users WHERE username = 'clerk'")
                                        ).scalar()
                conn.execute(text("UPDATE process_instances SET case_id = :c, "
                                  "started_by_id = :u WHERE id = :i"),
                             {"c": case_id, "u": clerk_id, "i": started["id"]})
                conn.execute(text("UPDATE tasks SET case_id = :c, candidate_user_id = :u "
                                  "WHERE instance_id = :i"),
                             {"c": case_id, "u": clerk_id, "i": started["id"]})
            (task,) = started["ready_tasks"]
            browser = worker = _logged_in(app, "clerk")

            def go(until: int, done: int) -> dict:
                nonlocal task
                for _ in range(done, until):
                    body = api._post_json(clerk, f"/tasks/{task['id']}/complete",
                                          {"data": {"approved": False},
                                           "version": task["version"]}, 200)
                    (task,) = body["next_tasks"]
                return task

            go(10, 0)
            case_small = _page_ms(browser, f"/cases/{case_id}", requests)
            task_small = _page_ms(worker, f"/tasks/{task['id']}", requests)
            log(f"  growth: after 10 passes case page {case_small[0]:.1f} ms (CPU "
                f"{case_small[2]:.1f}), task page {task_small[0]:.1f} ms (CPU {task_small[2]:.1f})")
            t0 = time.perf_counter()
            go(passes, 10)
            log(f"  growth: {passes} passes in {time.perf_counter() - t0:.0f} s")
            client = app.test_client()
            for number in range(50):
                resp = client.post(f"/api/v1/cases/{case_id}/attachments",
                                   headers={"Authorization": f"Bearer {clerk_token}"},
                                   data={"file": (io.BytesIO(PDF), f"证据{number:02d}.pdf",
                                                  "application/pdf")},
                                   content_type="multipart/form-data")
                if resp.status_code != 201:
                    raise RuntimeError(f"attachment {number}: {resp.status_code} "
                                       f"{resp.get_json()}")
            with rt.engine.connect() as conn:
                events = conn.execute(text("SELECT count(*) FROM audit_events WHERE case_id = :c"),
                                      {"c": case_id}).scalar()
                rows = conn.execute(text("SELECT count(*) FROM tasks WHERE case_id = :c"),
                                    {"c": case_id}).scalar()
            case_big = _page_ms(browser, f"/cases/{case_id}", requests)
            task_big = _page_ms(worker, f"/tasks/{task['id']}", requests)
            log(f"  growth: after {passes} passes + 50 attachments ({rows} task rows, {events} "
                f"audit events) case page {case_big[0]:.1f} ms (CPU {case_big[2]:.1f}), task page "
                f"{task_big[0]:.1f} ms (CPU {task_big[2]:.1f})")
        finally:
            rt.dispose()
    database = "sqlite" if url.startswith("sqlite") else "postgresql"
    what = f"{passes} send-back passes, 50 attachments ({rows} task rows, {events} events)"
    return [Row(f"case page (GET /cases/{{id}}): {what} vs 10 passes", database,
                f"{case_big[0]:.1f} ms (p95 {case_big[1]:.1f}; CPU {case_big[2]:.1f})",
                f"{case_small[0]:.1f} ms (p95 {case_small[1]:.1f}; CPU {case_small[2]:.1f})",
                f"{case_big[0] / case_small[0]:.2f} (CPU {case_big[2] / case_small[2]:.2f})",
                "≤ 150 ms"),
            Row(f"task page (GET /tasks/{{id}}): {what} vs 10 passes", database,
                f"{task_big[0]:.1f} ms (p95 {task_big[1]:.1f}; CPU {task_big[2]:.1f})",
                f"{task_small[0]:.1f} ms (p95 {task_small[1]:.1f}; CPU {task_small[2]:.1f})",
                f"{task_big[0] / task_small[0]:.2f} (CPU {task_big[2] / task_small[2]:.2f})",
                "≤ 150 ms")]


def supervisor_inbox(url: str, tasks: int, requests: int) -> list[Row]:
    from engine.bench_seed import seed
    with tempfile.TemporaryDirectory(prefix="cluedesk-growth-") as storage:
        app = _app(url, Path(storage))
        rt = app.extensions["cluedesk"]
        try:
            t0 = time.perf_counter()
            seed(rt, tasks)
            if not rt.sqlite:
                with rt.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(text("VACUUM ANALYZE tasks"))
            log(f"  growth: seeded {tasks:,} open tasks in {time.perf_counter() - t0:.0f} s")
            client = app.test_client()
            headers = {"Authorization": f"Bearer {_token(app, 'chief')}"}
            rows = []
            for query in ("/tasks?scope=all", "/tasks?scope=all&due=red"):
                times, total = [], 0
                for number in range(requests + 20):
                    t1 = time.perf_counter()
                    resp = client.get(f"/api/v1{query}", headers=headers)
                    elapsed = time.perf_counter() - t1
                    body = resp.get_json()
                    if resp.status_code != 200 or not body["items"]:
                        raise RuntimeError(f"GET {query}: {resp.status_code} {str(body)[:200]}")
                    total = body["total"]
                    if number >= 20:
                        times.append(elapsed)
                times.sort()
                p50 = 1000 * statistics.median(times)
                p95 = 1000 * times[int(0.95 * len(times))]
                log(f"  growth: chief {query}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
                    f"(total {total:,}{'+' if body.get('total_capped') else ''})")
                rows.append(Row(f"county supervisor's inbox (GET {query}), {tasks:,} open tasks "
                                f"below the county ({total:,}"
                                f"{'+' if body.get('total_capped') else ''} counted)",
                                "sqlite" if rt.sqlite else "postgresql",
                                f"{p95:.1f} ms p95 (p50 {p50:.1f})", "—", "—", "p95 ≤ 50 ms"))
            return rows
        finally:
            rt.dispose()


def measure(make_url, quick: bool, only: str | None = None) -> list[Row]:
    rows = []
    if only in (None, "pages"):
        with make_url() as url:
            rows += pages(url, 40 if quick else 400, 20 if quick else 50)
            verify.verified(url)
    if only in (None, "inbox"):
        with make_url() as url:
            rows += supervisor_inbox(url, 10_000 if quick else 100_000, 50 if quick else 300)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.growth", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=("pages", "inbox"))
    args = parser.parse_args(argv)
    log(f"growth: load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="cluedesk-bench-") as tmp_name:
        if args.no_postgres or not scratch.postgres_reachable():
            rows = measure(lambda: scratch.sqlite_database(Path(tmp_name)), args.quick,
                           args.only)
        else:
            rows = measure(scratch.postgres_database, args.quick, args.only)
    print(render(rows))
    log(f"growth: load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
