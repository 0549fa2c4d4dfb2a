"""Route SpiffWorkflow's timer clock through the application clock.

SpiffWorkflow's timer event definitions call `datetime.now(timezone.utc)` (when a duration timer
starts and in `has_fired`). We replace the `datetime` name in that one module with a subclass whose
`now()` returns the instant the adapter set for the current engine call, so timers fire only at the
instant we choose (the frozen clock, or `timers run-due --now`).
"""
from __future__ import annotations

import contextlib
import contextvars
from datetime import datetime, tzinfo, UTC

from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module

_engine_now: contextvars.ContextVar[datetime | None] = contextvars.ContextVar("engine_now",
                                                                              default=None)


class EngineTimeNotSet(RuntimeError):
    """The engine was stepped outside `engine_time()`: it would read the real clock."""


class _EngineDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None):  # type: ignore[override]
        instant = _engine_now.get()
        if instant is None:
            raise EngineTimeNotSet("engine step without an application instant")
        return instant.astimezone(tz) if tz is not None else instant.astimezone().replace(tzinfo=None)


_timer_module.datetime = _EngineDatetime


def set_local_timezone(tz: tzinfo) -> None:
    """Naive dates in timer expressions are read in the deployment's time zone, not the server's."""
    _timer_module.LOCALTZ = tz


@contextlib.contextmanager
def engine_time(instant: datetime):
    """Every engine call inside this block sees `instant` as now."""
    if instant.tzinfo is None:
        raise ValueError("engine time must be timezone-aware")
    token = _engine_now.set(instant.astimezone(UTC))
    try:
        yield
    finally:
        _engine_now.reset(token)
