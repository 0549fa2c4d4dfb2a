"""The unit of work: the only place that commits."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from engine.db import READ_ONLY

T = TypeVar("T")


class UnitOfWork:
    """`with uow: ...; uow.commit()`. Leaving the block without commit rolls back."""

    def __init__(self, session_factory: Callable[[bool], Session], *, write: bool = False,
                 steps: tuple[Callable[[Session], None], ...] = ()):
        self._factory = session_factory
        self.write = write
        self._steps = steps
        self.session: Session | None = None
        self._after_commit: list[Callable[[], None]] = []
        self.committed = False

    def __enter__(self) -> UnitOfWork:
        self.session = self._factory(self.write)
        self.session.info[READ_ONLY] = not self.write
        self._after_commit = []
        self.committed = False
        return self

    def __exit__(self, *exc) -> None:
        # close() rolls back an uncommitted transaction; it detaches objects without expiring
        # them, so what a read returned stays readable.
        self.session.close()

    def commit(self) -> None:
        """Run the commit steps in their order (each may still write), then commit."""
        for step in self._steps:
            step(self.session)
        self.session.commit()
        self.committed = True
        callbacks, self._after_commit = self._after_commit, []
        for callback in callbacks:
            callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run `callback` only once the transaction is durable (e.g. to refresh a cache)."""
        self._after_commit.append(callback)


def is_retryable(exc: BaseException) -> bool:
    """A busy SQLite database, or a PostgreSQL deadlock or serialization failure."""
    if isinstance(exc, OperationalError) and "database is locked" in str(exc).lower():
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(getattr(exc, "orig", None), "sqlstate", None)
        return code in ("40001", "40P01")
    return False


def with_retry(fn: Callable[[], T], *, attempts: int = 8) -> T:
    """Run a whole unit of work again when the database says it was busy."""
    delay = 0.01
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as exc:
            if attempt == attempts - 1 or not is_retryable(exc):
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")
