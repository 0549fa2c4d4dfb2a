"""The `cluedesk` command line (API.md), run for real: `python -m engine.cli ...` in a subprocess
with CLUEDESK_DATABASE_URL pointing at a committed scratch database, checked through the
database and through the HTTP API of an app built on the same URL."""
from __future__ import annotations

import getpass
import re
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from engine.errors import Unauthorized
from engine.org import service as org
from tests import conftest
from tests.api_client import ApiClient
from tests.conftest import CONFORMANCE, FIXTURES
from tests.integration.support import cli, dispose_app, issue_tokens, make_app

pytestmark = pytest.mark.timeout(120)

FROZEN_2020 = "2020-01-01T00:00:00+00:00"


def out(proc) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


@pytest.fixture(scope="module")
def sqlite_url(scratch):
    """One committed SQLite scratch database with the demo organisation, for this module."""
    return scratch.create("sqlite")


@pytest.fixture
def app_on(request):
    """`app_on(url, **sections)`: an app on that URL, disposed after the test."""
    apps = []

    def build(url, **sections):
        app = make_app(url, **sections)
        apps.append(app)
        return app
    yield build
    for app in apps:
        dispose_app(app)


# --- init-db -------------------------------------------------------------------------------


@pytest.fixture
def empty_url(backend, scratch, tmp_path):
    """A database with no schema at all (a new SQLite file, or a new PostgreSQL database)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh' / 'cluedesk.db'}"
    name = f"cluedesk_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(conftest._PG, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    scratch.pg_dbs.append(name)  # dropped with the other scratch databases
    return make_url(conftest._PG).set(database=name).render_as_string(hide_password=False)


def test_init_db_twice_is_idempotent(empty_url):
    first = cli(empty_url, "init-db")
    assert first.returncode == 0, out(first)
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert {"process_definitions", "process_instances", "tasks", "timers",
                "audit_events", "users"} <= tables, tables
        assert len(head) == 1

        second = cli(empty_url, "init-db")
        assert second.returncode == 0, out(second)
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) == tables
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() \
                == head
    finally:
        engine.dispose()


# --- deploy --------------------------------------------------------------------------------


def definitions(url: str) -> list[tuple[str, int]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                "SELECT key, version FROM process_definitions ORDER BY key, version"))]
    finally:
        engine.dispose()


def test_deploy_then_unchanged(sqlite_url):
    path = str(FIXTURES / "it_sequence.bpmn")
    first = cli(sqlite_url, "deploy", path)
    assert first.returncode == 0, out(first)
    assert re.search(r"^deployed: it_sequence v1$", first.stdout, re.M), out(first)

    again = cli(sqlite_url, "deploy", path)
    assert again.returncode == 0, out(again)
    assert re.search(r"^unchanged: it_sequence v1$", again.stdout, re.M), out(again)
    assert "deployed:" not in again.stdout
    assert [d for d in definitions(sqlite_url) if d[0] == "it_sequence"] == [("it_sequence", 1)]
    # The deployer is whoever ran the command (their login name), not a bare "cli".
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            deployer = conn.execute(text("SELECT deployed_by FROM process_definitions "
                                         "WHERE key = 'it_sequence'")).scalar_one()
    finally:
        engine.dispose()
    assert deployer == f"cli:{getpass.getuser()}"


def test_deploy_malformed_xml_fails_and_names_the_line(sqlite_url):
    proc = cli(sqlite_url, "deploy", str(FIXTURES / "it_malformed.bpmn"))
    assert proc.returncode != 0, out(proc)
    # The closing tag is misspelled on line 10 of the file.
    assert re.search(r"it_malformed\.bpmn:10\b", proc.stderr), out(proc)
    assert "Traceback" not in proc.stderr
    assert not [d for d in definitions(sqlite_url) if d[0] == "it_malformed"]


def test_deploy_bundle_with_one_bad_file_deploys_nothing(sqlite_url):
    proc = cli(sqlite_url, "deploy", str(FIXTURES / "it_parallel.bpmn"),
               str(FIXTURES / "it_malformed.bpmn"))
    assert proc.returncode != 0, out(proc)
    assert "it_malformed.bpmn:10" in proc.stderr, out(proc)
    assert not [d for d in definitions(sqlite_url) if d[0] in ("it_parallel", "it_malformed")]


def test_deploy_invalid_structure_names_the_line(sqlite_url):
    proc = cli(sqlite_url, "deploy", str(FIXTURES / "it_dangling_flow.bpmn"))
    assert proc.returncode != 0, out(proc)
    assert not [d for d in definitions(sqlite_url) if d[0] == "it_dangling_flow"]
    assert re.search(r"it_dangling_flow\.bpmn:\d+", proc.stderr), out(proc)
    assert "not an element of its process" in proc.stderr, out(proc)


# --- users and tokens ----------------------------------------------------------------------


def test_users_add_then_token_works_against_the_api(sqlite_url, app_on):
    name = f"it-worker-{uuid.uuid4().hex[:6]}"
    added = cli(sqlite_url, "users", "add", name, "--role", "caseworker", "--unit", "town-a",
                "--password-stdin", stdin="correct horse battery\n")
    assert added.returncode == 0, out(added)

    issued = cli(sqlite_url, "tokens", "issue", name)
    assert issued.returncode == 0, out(issued)
    token = issued.stdout.split()[-1]
    assert len(token) >= 20, out(issued)

    app = app_on(sqlite_url)
    api = ApiClient(app.test_client(), {name: token, "bogus": token + "x"})
    resp = api.as_(name).get("/tasks")
    assert resp.status == 200, resp.json
    assert resp.json["items"] == [] and resp.json["total"] == 0
    assert api.as_("bogus").get("/tasks").status == 401

    # The password from stdin was stored (hashed) and checks out; a wrong one does not.
    rt = app.extensions["cluedesk"]
    user = rt.read(lambda uow: org.authenticate(uow.session, name, "correct horse battery"))
    assert user.username == name and user.roles == {"caseworker"}
    with pytest.raises(Unauthorized):
        rt.read(lambda uow: org.authenticate(uow.session, name, "wrong"))

    # Refusals exit non-zero with a message, not a traceback.
    dup = cli(sqlite_url, "users", "add", name, "--role", "caseworker", "--unit", "town-a")
    assert dup.returncode != 0 and "exists" in dup.stderr, out(dup)
    bad_role = cli(sqlite_url, "users", "add", name + "-2", "--role", "wizard", "--unit", "town-a")
    assert bad_role.returncode != 0 and "wizard" in bad_role.stderr, out(bad_role)
    nobody = cli(sqlite_url, "tokens", "issue", "no-such-user")
    assert nobody.returncode != 0 and "Traceback" not in nobody.stderr, out(nobody)


# --- timers run-due and the clock ----------------------------------------------------------


def test_run_due_uses_the_frozen_clock_and_fires_once(backend, scratch, sqlite_url, app_on):
    url = sqlite_url if backend == "sqlite" else scratch.create(backend)
    clock = {"now": FROZEN_2020}
    app = app_on(url, clock=clock)
    tokens = issue_tokens(url, ["designer"], {"clock": clock})
    api = ApiClient(app.test_client(), tokens, "designer")
    xml = (CONFORMANCE / "boundary_timer_on_task.bpmn").read_bytes()
    assert api.deploy(xml, "boundary_timer_on_task.bpmn").status == 201
    started = api.start("test_timer")
    assert started.status == 201, started.json
    inst_id = started.json["id"]
    assert [t["element_id"] for t in started.json["ready_tasks"]] == ["user_task"]

    frozen_env = {"CLUEDESK_CLOCK_NOW": FROZEN_2020}

    def run_due(*args: str) -> str:
        proc = cli(url, "timers", "run-due", *args, env=frozen_env)
        assert proc.returncode == 0, out(proc)
        return proc.stdout.strip().splitlines()[-1]

    # PT0.002S after 2020-01-01T00:00:00Z is long past by the real clock, but not yet due by
    # the frozen one.
    assert run_due() == "fired 0"
    assert run_due("--now", FROZEN_2020) == "fired 0"
    assert api.get(f"/process-instances/{inst_id}").json["data"]["timer_called"] is False

    assert run_due("--now", "2020-01-01T00:01:00+00:00") == "fired 1"
    inst = api.get(f"/process-instances/{inst_id}").json
    assert inst["data"]["timer_called"] is True
    assert inst["status"] == "running"

    # Exactly once: the same run-due again fires nothing more.
    assert run_due("--now", "2020-01-01T00:01:00+00:00") == "fired 0"

    # The app (whose workflow cache predates the fire) continues from the fired state.
    [task] = inst["ready_tasks"]
    done = api.complete(task)
    assert done.status == 200, done.json
    final = api.get(f"/process-instances/{inst_id}").json
    assert final["status"] == "completed"
    assert final["data"]["timer_called"] is True

    if backend == "sqlite":  # a bad instant is refused with a message (once is enough)
        bad = cli(url, "timers", "run-due", "--now", "not-a-time", env=frozen_env)
        assert bad.returncode != 0 and "not-a-time" in bad.stderr, out(bad)


# --- a web process before its first request -------------------------------------------------


def test_a_web_process_sets_what_it_loaded_aside_from_the_garbage_collector(sqlite_url, app_on):
    """`ready_to_serve` (`cluedesk serve`, each gunicorn worker): the repeat check warmed up,
    then every object made so far frozen out of the collector's full passes."""
    import gc

    from engine.cli import ready_to_serve
    rt = app_on(sqlite_url).extensions["cluedesk"]
    gc.unfreeze()
    try:
        assert gc.get_freeze_count() == 0
        ready_to_serve(rt)
        assert gc.get_freeze_count() > 10_000  # the app, the libraries, the loaded tables
        assert gc.get_count()[0] < 100  # collected just before, nothing left pending
    finally:
        gc.unfreeze()
