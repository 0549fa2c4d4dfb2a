"""Fixtures: every test runs on SQLite and on PostgreSQL (when reachable), in a rolled-back
transaction over a schema made by `alembic upgrade head`, with the demo organisation loaded."""
from __future__ import annotations

import json
import os
import shutil
import uuid
from datetime import datetime, UTC
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.audit import chain
from engine.clock import Clock
from engine.config import load_settings
from engine.reports import rollup
from engine.runtime import Runtime
from engine.schema import upgrade
from engine.workflow.adapter import LRU
from tests.api_client import ApiClient

# Tests run with real (non-default) secrets, as `serve` demands, never read the developer's
# instance/local.yaml, and are a demo installation (the demo users log in with `demo`);
# subprocesses get the same (tests/integration/support.py: clean_env).
TEST_ENV = {"CLUEDESK_LOCAL_CONFIG": "", "CLUEDESK_SERVER_DEMO": "true",
                "CLUEDESK_SERVER_SECRET_KEY": "cluedesk-test-suite-session-secret",
                "CLUEDESK_AUDIT_KEY": "cluedesk-test-suite-audit-key"}
for _name, _value in TEST_ENV.items():
    os.environ.setdefault(_name, _value)

FROZEN = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
DEMO_USERS = ["admin", "designer", "clerk", "city-chief", "chief", "east-head", "a-head",
              "a-worker", "a-worker2", "b-worker", "d-worker", "case-officer", "reviewer",
              "reviewer-org", "reviewer-police", "b-head", "c-worker", "d-head", "s-officer",
              "trial-officer", "reviewer-law", "reviewer-civil", "reviewer-petition",
              "s-head", "s-inspector", "b-inspector", "c-inspector", "a-rectifier", "east-rectifier",
              "housing-rectifier", "housing-registrar", "land-registrar",
              "east-secretary", "east-clerk", "east-monitor", "west-secretary", "a-editor"]


def _postgres_server_url() -> str | None:
    """A PostgreSQL server where scratch databases can be created, or None."""
    url = os.environ.get("CLUEDESK_TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return url
    except Exception:
        return None


_PG = _postgres_server_url()


def _require(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false")


def backends() -> list:
    marks = []
    if _PG is None:
        if _require("CLUEDESK_REQUIRE_POSTGRES"):
            marks = [pytest.mark.xfail(reason="CLUEDESK_REQUIRE_POSTGRES=1 but no PostgreSQL",
                                       strict=True, run=False)]
        else:
            marks = [pytest.mark.skip(reason="PostgreSQL not reachable on 127.0.0.1:5432 "
                                             "(set CLUEDESK_TEST_POSTGRES_URL)")]
    return [pytest.param("sqlite", id="sqlite"),
            pytest.param("postgresql", id="postgresql", marks=marks)]


def pytest_sessionstart(session):
    if _PG is None and _require("CLUEDESK_REQUIRE_POSTGRES"):
        raise pytest.UsageError("CLUEDESK_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable")
    # The PDF halves of the document tests skip without LibreOffice; CI must not skip them.
    if _require("CLUEDESK_REQUIRE_SOFFICE") and not shutil.which("soffice"):
        raise pytest.UsageError("CLUEDESK_REQUIRE_SOFFICE=1 but LibreOffice (soffice) is not "
                                "installed")


class ScratchDatabases:
    """Committed scratch databases (created, migrated, demo-loaded), dropped at the end."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.pg_dbs: list[str] = []

    def create(self, backend: str, *, demo: bool = True) -> str:
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp / f'scratch-{uuid.uuid4().hex[:8]}.db'}"
        else:
            url = self._new_postgres()
        upgrade(url=url)
        if demo:
            rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(FROZEN))
            from engine.demo import load_organisation
            load_organisation(rt)
            rt.dispose()
        return url

    def clone(self, url: str) -> str:
        """A new scratch database holding what `url` holds (nobody may be connected to it)."""
        if url.startswith("sqlite:///"):
            import sqlite3
            copy = self.tmp / f"scratch-{uuid.uuid4().hex[:8]}.db"
            source, target = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(copy)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            return f"sqlite:///{copy}"
        return self._new_postgres(template=make_url(url).database)

    def _new_postgres(self, template: str | None = None) -> str:
        """A new scratch PostgreSQL database (a copy of `template`, else empty); its URL."""
        name = f"cluedesk_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(_PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'
                              + (f' TEMPLATE "{template}"' if template else "")))
        admin.dispose()
        self.pg_dbs.append(name)
        return make_url(_PG).set(database=name).render_as_string(hide_password=False)

    def drop_all(self):
        if not self.pg_dbs:
            return
        admin = create_engine(_PG, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in self.pg_dbs:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def scratch(tmp_path_factory):
    dbs = ScratchDatabases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session")
def _template(scratch):
    """Per backend: one migrated database with the demo organisation and a token per user."""
    made: dict = {}

    def get(backend: str):
        if backend not in made:
            url = scratch.create(backend)
            rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(FROZEN))
            from engine.org import service as org
            tokens = rt.transact(lambda uow: {u: org.issue_token(uow.session, username=u, now=FROZEN)
                                              for u in DEMO_USERS})
            made[backend] = (url, rt.engine, tokens)
        return made[backend]
    yield get
    for _, engine, _ in made.values():
        engine.dispose()


@pytest.fixture(params=backends())
def backend(request):
    return request.param


@pytest.fixture
def settings_overrides():
    """Tests override configuration by redefining this fixture."""
    return {}


def assert_trail_and_rollup(rt: Runtime) -> None:
    """What `cluedesk audit verify` and `cluedesk reports verify` check: every event chained and
    verifying, and the statistics rollup (where built) equal to a full recount."""
    key, _ = chain.audit_key(rt.settings)
    problems = rt.read(lambda uow: chain.verify_chain(uow.session, key,
                                                      chain.keyring(rt.settings)).problems)
    assert not problems, problems
    assert rollup.verify(rt) in (None, {})  # None: not built in this database


_SPECS = LRU(512)


@pytest.fixture
def runtime(request, backend, _template, settings_overrides):
    """A runtime whose every commit is rolled back at the end of the test; before that, the
    audit trail and the rollup must verify (a test that breaks them on purpose is marked
    `breaks_trail`)."""
    url, engine, _ = _template(backend)
    # No hot-workflow cache by default: every step deserializes what the last one saved, so
    # every workflow test round-trips the serializer (test_cache.py covers the cache).
    overrides = {"database": {"url": url}, "engine": {"workflow_cache_size": 0}}
    for section, values in settings_overrides.items():
        overrides.setdefault(section, {}).update(values)
    settings = load_settings(overrides)
    connection = engine.connect()
    outer = connection.begin()
    rt = Runtime(settings, engine=engine, connection=connection, clock=Clock(FROZEN))
    # Compiled specs are kept for the test process, as a server keeps them for its life: they are
    # found by the checksums of their sources, so every test deploying bpmn/ compiles it once.
    rt.spec_cache = _SPECS
    yield rt
    try:
        if "breaks_trail" not in request.keywords and connection.in_transaction():
            assert_trail_and_rollup(rt)
    finally:
        outer.rollback()
    connection.close()


@pytest.fixture
def tokens(backend, _template):
    # A copy: a test that issues a token inside its rolled-back transaction (add_user) must not
    # leave it behind for later tests (they would present a token that no longer exists: 401).
    return dict(_template(backend)[2])


_APPS: dict[str, object] = {}  # settings → the app built for them, in this test process


@pytest.fixture
def app(runtime):
    """The Flask app serving this test's runtime. One app is built per configuration and kept
    for the process, as a server process keeps its one app, each test's runtime put in its
    place: building one cost ~0.2 s of CPU (270 routes compiled, every template compiled again
    on first use), paid by some 1,200 tests."""
    from web import create_app
    key = json.dumps(runtime.settings.as_dict(), sort_keys=True, default=str)
    if key not in _APPS:
        if len(_APPS) >= 8:  # settings naming a test's own folder are used once
            _APPS.pop(next(iter(_APPS)))
        _APPS[key] = create_app(runtime=runtime)
    made = _APPS[key]
    made.extensions["cluedesk"] = runtime
    return made


@pytest.fixture
def api(app, tokens):
    """`api.as_("designer").post(...)`: HTTP through the Flask test client."""
    return ApiClient(app.test_client(), tokens)


FIXTURES = Path(__file__).resolve().parent / "bpmn"
CONFORMANCE = FIXTURES / "conformance"  # copied into the repository (see its SOURCES)
