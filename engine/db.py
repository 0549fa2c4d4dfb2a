"""Database engine, declarative base and column types shared by every domain package."""
from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime, UTC
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import JSON, DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


T = TypeVar("T")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on both databases (SQLite keeps no offset: store UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use the application clock")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSON(none_as_null=True), "sqlite")


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, busy_timeout: float = 30, echo: bool = False) -> Engine:
    """Create the SQLAlchemy engine; on SQLite, WAL and explicit BEGIN (IMMEDIATE for writers)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout,
                                                             "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record):
            # Take transaction control from pysqlite so that writers can BEGIN IMMEDIATE.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a commit returns once the WAL is on disk (NORMAL would lose the last
            # acknowledged steps on a power cut; PostgreSQL's synchronous_commit is on too).
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn):
            immediate = conn.get_execution_options().get("sqlite_immediate")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20,
                           json_serializer=lambda v: json.dumps(v, ensure_ascii=False))

    @event.listens_for(engine, "connect")
    def _no_jit(dbapi_conn, _record):
        # No JIT compilation: it pays off only for long analytic queries, and the planner's cost
        # of an inbox or search query at 100,000+ rows passes `jit_above_cost`, so such a request
        # spent 30-40 ms compiling before it read a row (bench/RESULTS.md, issue 28). A SET, not
        # a startup option, which PgBouncer refuses by default.
        autocommit, dbapi_conn.autocommit = dbapi_conn.autocommit, True  # no transaction
        try:
            dbapi_conn.execute("SET jit = off")
        finally:
            dbapi_conn.autocommit = autocommit

    return engine


# ---------------------------------------------------------------------------------------------
# What a read-only unit of work asks more than once (`UnitOfWork` marks its session).

READ_ONLY = "read_only"


def once_per_read(session: Session, key: tuple, compute: Callable[[], T]) -> T:
    """`compute()`, kept for the rest of a read-only unit of work (an inbox page asks who may
    see what for each tab's count and for its rows); computed each time in one that writes,
    which may change what it reads."""
    if not session.info.get(READ_ONLY):
        return compute()
    known = session.info.setdefault("once_per_read", {})
    if key not in known:
        known[key] = compute()
    return known[key]


# ---------------------------------------------------------------------------------------------
# Deferred writes: Core statements a step queues and sends together (the hot path, see
# engine/processes/store.py), pipelined on PostgreSQL: one round trip for all of them.

_DEFERRED = "deferred_writes"


def defer(session: Session, statement, params) -> None:
    """Queue a Core write for this transaction; `write_deferred` sends it (before any ORM flush,
    at the latest as the first commit step), in the order queued."""
    session.info.setdefault(_DEFERRED, []).append((statement, params))


def pipeline(connection):
    """psycopg's pipeline mode on this connection (statements sent without waiting for each
    answer), where there is one: PostgreSQL with libpq 14 or newer; else nothing changes."""
    if connection.dialect.name == "postgresql" and connection.dialect.loaded_dbapi.Pipeline \
            .is_supported():
        return connection.connection.driver_connection.pipeline()
    return nullcontext()


def write_deferred(session: Session) -> None:
    """Send the queued writes, in one pipeline where there is one (one round trip)."""
    writes = session.info.pop(_DEFERRED, None)
    if not writes:
        return
    connection = session.connection()
    dbapi = connection.dialect.loaded_dbapi
    try:
        with pipeline(connection) if len(writes) > 1 else nullcontext():
            for statement, params in writes:
                connection.execute(statement, params)
    except dbapi.Error as exc:  # raised at the pipeline's sync, outside SQLAlchemy: wrap it
        raise DBAPIError.instance(None, None, exc, dbapi.Error) from exc


@event.listens_for(Session, "before_flush")
def _deferred_first(session: Session, _context, _instances) -> None:
    # An ORM row may refer to a deferred one (a new task's candidate users): those go first.
    write_deferred(session)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
