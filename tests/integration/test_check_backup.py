"""`cluedesk check` finds nothing wrong after real work and names a broken invariant; `cluedesk
backup` / `restore` copy a SQLite database that then passes the check with the same data."""
from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import create_engine, text

from tests.api_client import ApiClient, deploy_processes
from tests import conftest
from tests.conftest import CONFORMANCE
from tests.e2e.test_petitions import petition
from tests.integration.support import cli, dispose_app, issue_tokens, make_app

pytestmark = pytest.mark.timeout(300)

NOW = "2026-03-02T01:00:00+00:00"
LATER = "2026-03-02T01:05:00+00:00"
USERS = ["designer", "clerk"]
COUNTED = ("petitions", "tasks", "audit_events", "process_instances", "timers", "deadlines",
           "cases")


def out(proc) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


def run_cli(url: str, *args: str):
    return cli(url, *args, env={"CLUEDESK_CLOCK_NOW": NOW}, timeout=120)


def sql(url: str, statement: str, **params):
    """Run one statement straight on the database (committed); return the first value if any."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def counts(url: str) -> dict[str, int]:
    return {table: sql(url, f"SELECT count(*) FROM {table}") for table in COUNTED}


def drive(url: str) -> None:
    """Deploy bpmn/ and a timer process; register petitions, complete tasks, fire a timer."""
    clock = {"now": NOW}
    app = make_app(url, clock=clock)
    try:
        api = ApiClient(app.test_client(), issue_tokens(url, USERS, {"clock": clock}), "designer")
        deploy_processes(api)
        xml = (CONFORMANCE / "boundary_timer_on_task.bpmn").read_bytes()
        assert api.deploy(xml, "boundary_timer_on_task.bpmn").status in (200, 201)
        clerk = api.as_("clerk")
        cases = []
        for township in ("town-a", "town-b", "town-a"):
            resp = clerk.post("/petitions", json=petition(township=township))
            assert resp.status == 201, resp.json
            cases.append(resp.json["case_id"])
        for case_id in cases[:2]:
            [task] = [t for t in clerk.get("/tasks").json["items"]
                      if t["case_id"] == case_id and t["element_id"] == "repeat_check"]
            done = clerk.complete(task, {"is_repeat": False})
            assert done.status == 200, done.json
        first = api.start("test_timer")
        second = api.start("test_timer")
        assert first.status == second.status == 201
        fired = run_cli(url, "timers", "run-due", "--now", LATER)
        assert fired.returncode == 0 and fired.stdout.strip().endswith("fired 2"), out(fired)
        # One timer instance runs to its end; a third one keeps a pending timer.
        [task] = api.get(f"/process-instances/{first.json['id']}").json["ready_tasks"]
        assert api.complete(task).status == 200
        assert api.get(f"/process-instances/{first.json['id']}").json["status"] == "completed"
        assert api.start("test_timer").status == 201
    finally:
        dispose_app(app)
    assert sql(url, "SELECT count(*) FROM timers WHERE status = 'pending'") >= 1
    assert sql(url, "SELECT count(*) FROM timers WHERE status = 'fired'") >= 2


@pytest.fixture(scope="module")
def _driven_once(scratch):
    """Per backend, one database after `drive` (the tests below each break a copy of it)."""
    made: dict[str, str] = {}

    def get(backend: str) -> str:
        if backend not in made:
            made[backend] = scratch.create(backend)
            drive(made[backend])
        return made[backend]
    return get


@pytest.fixture
def driven(backend, scratch, _driven_once):
    return scratch.clone(_driven_once(backend))


def assert_ok(url: str) -> str:
    proc = run_cli(url, "check")
    assert proc.returncode == 0, out(proc)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("ok: ") and " instances, " in last and last.endswith(" tasks checked")
    return last


def assert_problem(url: str, *fragments: str) -> str:
    proc = run_cli(url, "check")
    assert proc.returncode != 0, out(proc)
    assert all(f in proc.stdout for f in fragments), out(proc)
    return proc.stdout


def test_check_passes_after_real_work_and_names_each_broken_invariant(driven):
    url = driven
    line = assert_ok(url)
    assert not line.startswith("ok: 0 instances")

    # An open inbox row disappears: the workflow still waits on that task.
    task_id = sql(url, "SELECT id FROM tasks WHERE status = 'open' AND process_key = "
                       "'petition_intake' ORDER BY id LIMIT 1")
    sql(url, "DELETE FROM deadlines WHERE task_id = :t", t=task_id)
    sql(url, "DELETE FROM tasks WHERE id = :t", t=task_id)
    assert_problem(url, "ready human tasks without an open task row", task_id)


def test_check_names_a_pending_timer_marked_fired(driven):
    url = driven
    timer_task = sql(url, "SELECT task_id FROM timers WHERE status = 'pending' LIMIT 1")
    sql(url, "UPDATE timers SET status = 'fired' WHERE task_id = :t", t=timer_task)
    assert_problem(url, "waiting timers without a pending timer row", timer_task)


def test_check_names_a_wrong_instance_status_and_a_stale_audit_event(driven):
    url = driven
    instance_id = sql(url, "SELECT id FROM process_instances WHERE status = 'running' AND "
                           "process_key = 'test_timer' ORDER BY id LIMIT 1")
    sql(url, "UPDATE process_instances SET status = 'completed' WHERE id = :i", i=instance_id)
    task_id = sql(url, "SELECT task_id FROM audit_events WHERE action = 'task_completed' "
                       "ORDER BY id LIMIT 1")
    sql(url, "UPDATE tasks SET status = 'open' WHERE id = :t", t=task_id)
    text_out = assert_problem(url, f"instance {instance_id}",
                              "status is 'completed' but the workflow is 'running'",
                              "completed but has open task rows", f"task {task_id} is open")
    assert "open task rows the workflow does not wait on" in text_out


def test_sqlite_backup_then_restore_passes_check_with_the_same_data(scratch, tmp_path):
    url = scratch.create("sqlite")
    drive(url)
    before = counts(url)
    assert before["petitions"] == 3 and before["tasks"] > 0 and before["audit_events"] > 0

    backup_file = tmp_path / "backups" / "cluedesk.db"
    made = run_cli(url, "backup", str(backup_file))
    assert made.returncode == 0 and backup_file.exists(), out(made)

    target = f"sqlite:///{tmp_path / 'restored' / 'cluedesk.db'}"
    refused = run_cli(target, "restore", str(backup_file))
    assert refused.returncode == 2 and "--yes" in refused.stderr, out(refused)
    assert not (tmp_path / "restored" / "cluedesk.db").exists()

    restored = run_cli(target, "restore", "--yes", str(backup_file))
    assert restored.returncode == 0, out(restored)
    assert counts(target) == before
    assert assert_ok(target) == assert_ok(url)

    # Restoring over a database that has moved on brings back the backed-up state.
    sql(target, "DELETE FROM timers WHERE status = 'fired'")
    again = run_cli(target, "restore", "--yes", str(backup_file))
    assert again.returncode == 0, out(again)
    assert counts(target) == before


def test_sqlite_backup_is_safe_while_a_writer_holds_the_database(scratch, tmp_path):
    url = scratch.create("sqlite")
    path = url.split("///", 1)[1]
    before = sql(url, "SELECT count(*) FROM audit_events")
    assert before > 0
    writer = sqlite3.connect(path, timeout=1, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # as the server does for every write
        writer.execute("DELETE FROM audit_events")  # not committed while the backup runs
        made = run_cli(url, "backup", str(tmp_path / "live.db"))
        assert made.returncode == 0, out(made)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert sql(f"sqlite:///{tmp_path / 'live.db'}", "SELECT count(*) FROM audit_events") == before


@pytest.mark.skipif(conftest._PG is None, reason="PostgreSQL not reachable")
def test_postgresql_backup_and_restore_point_to_pg_dump(scratch):
    url = scratch.create("postgresql", demo=False)
    for args in (("backup", "x.dump"), ("restore", "--yes", __file__)):
        proc = run_cli(url, *args)
        assert proc.returncode == 2, out(proc)
        assert "pg_dump" in proc.stderr and "pg_restore" in proc.stderr, out(proc)
        assert "Traceback" not in proc.stderr
