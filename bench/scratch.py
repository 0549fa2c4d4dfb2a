"""Scratch databases: a SQLite file in a temp dir, or a PostgreSQL database made and dropped here."""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

POSTGRES_SERVER_URL = os.environ.get("CLUEDESK_BENCH_POSTGRES_URL",
                                     "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def postgres_address() -> str:
    """host:port of the PostgreSQL server, for messages."""
    url = make_url(POSTGRES_SERVER_URL)
    return f"{url.host}:{url.port or 5432}"


def postgres_reachable() -> bool:
    """True when the PostgreSQL server answers a query within a few seconds."""
    try:
        engine = create_engine(POSTGRES_SERVER_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def _admin(sql: str) -> None:
    """Run one statement on the PostgreSQL server outside a transaction."""
    engine = create_engine(POSTGRES_SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


@contextmanager
def sqlite_database(tmp: Path) -> Iterator[str]:
    """The URL of a fresh SQLite file under `tmp` (removed with the temp dir)."""
    yield f"sqlite:///{tmp / f'bench-{uuid.uuid4().hex[:8]}.db'}"


@contextmanager
def kept_postgres_database(name: str) -> Iterator[str]:
    """The URL of database `name`, made if missing and kept on exit (for reruns)."""
    engine = create_engine(POSTGRES_SERVER_URL)
    try:
        with engine.connect() as conn:
            present = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                  {"name": name})
    finally:
        engine.dispose()
    if not present:
        _admin(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgres_database() -> Iterator[str]:
    """The URL of a new database `cluedesk_bench_<random>`, dropped on exit."""
    name = f"cluedesk_bench_{uuid.uuid4().hex[:10]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(POSTGRES_SERVER_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
