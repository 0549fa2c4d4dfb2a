"""The runtime: settings, clock, database and caches, built once per process."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import models  # noqa: F401  (configure every mapper)
from engine.audit import chain as audit_chain
from engine.reports import rollup
from engine.search import index as search_index
from engine.clock import Clock
from engine.config import Settings, load_settings
from engine.db import is_sqlite, make_engine, write_deferred
from engine.org.names import Names
from engine.uow import UnitOfWork, with_retry
from engine.workflow import engine_clock, sandbox
from engine.workflow.adapter import LRU


class Runtime:
    """Everything a service needs besides its arguments; no Flask, no global state."""

    # What every commit does before it commits, in this order: the deferred Core writes go out
    # (engine/db.py; a step sends its own at its end already), the statistics rollup adds what
    # the transaction changed (it may write counts), the search index rewrites the entries of
    # the petitions, clues and cases it changed, then the audit chain appends the events last
    # (once it holds the chain lock the transaction touches only its own rows).
    COMMIT_STEPS = (write_deferred, rollup.before_commit, search_index.before_commit,
                    audit_chain.before_commit)

    def __init__(self, settings: Settings, *, engine: Engine | None = None,
                 connection: Connection | None = None, clock: Clock | None = None):
        self.settings = settings
        self.clock = clock or Clock.from_settings(settings)
        engine_clock.set_local_timezone(self.clock.tz)
        sandbox.use_settings(settings)
        self.engine = engine or make_engine(settings.database.url,
                                            busy_timeout=float(settings.get(
                                                "database", "sqlite_busy_timeout", default=30)))
        self.sqlite = is_sqlite(self.engine)
        self.connection = connection
        self.spec_cache = LRU(int(settings.get("engine", "spec_cache_size")))
        self.workflow_cache = LRU(int(settings.get("engine", "workflow_cache_size")))
        # Immutable rows and identifiers; tokens for a few seconds (see web/auth.py).
        self.definition_cache = LRU(1024)
        self.token_cache = LRU(4096)
        self.names = Names()
        self.repeat_finder = None  # engine.petitions.repeats.RepeatFinder, built on first use
        # (fingerprint of the loaded years, WorkCalendar); see engine.deadlines.service.calendar
        self.calendar_cache = None
        if connection is not None:
            # Tests: join an outer transaction; each commit only releases a savepoint.
            factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                   expire_on_commit=False, info=audit_chain.session_info(settings))
            self._session: Callable[[bool], Session] = lambda write: factory()
        else:
            info = audit_chain.session_info(settings)  # the audit key, never in the database
            reader = sessionmaker(bind=self.engine, expire_on_commit=False, info=info)
            writer = sessionmaker(bind=self.engine.execution_options(sqlite_immediate=True),
                                  expire_on_commit=False, info=info) if self.sqlite else reader
            self._session = lambda write: (writer if write else reader)()

    @classmethod
    def from_config(cls, overrides: dict[str, Any] | None = None) -> Runtime:
        return cls(load_settings(overrides))

    def uow(self, *, write: bool = False) -> UnitOfWork:
        """A unit of work; `write=True` takes the SQLite write lock up front (no upgrade races)."""
        return UnitOfWork(self._session, write=write, steps=self.COMMIT_STEPS)

    def transact(self, fn: Callable[[UnitOfWork], Any], *, write: bool = True) -> Any:
        """Run `fn(uow)` in one transaction and commit it; retried whole on a busy database."""
        def attempt():
            with self.uow(write=write) as uow:
                result = fn(uow)
                uow.commit()
                return result
        return with_retry(attempt)

    def read(self, fn: Callable[[UnitOfWork], Any]) -> Any:
        """Run `fn(uow)` in a read-only transaction (rolled back)."""
        with self.uow() as uow:
            return fn(uow)

    def dispose(self) -> None:
        self.engine.dispose()
