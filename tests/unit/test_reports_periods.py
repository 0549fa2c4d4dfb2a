"""Report periods in the deployment's time zone, and the top-three-with-ties rule."""
from datetime import date, datetime, UTC
from types import SimpleNamespace

import pytest

from engine.clock import Clock
from engine.errors import Invalid
from engine.reports import service

RUNTIME = SimpleNamespace(clock=Clock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC)))


def test_a_period_covers_whole_local_days():
    p = service.period(RUNTIME, first=date(2026, 3, 1), last=date(2026, 3, 31))
    # Shanghai is UTC+8: March begins at 16:00 UTC on the last day of February.
    assert p.start == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    assert p.end == datetime(2026, 3, 31, 16, 0, tzinfo=UTC)
    assert p.as_dict() == {"from": date(2026, 3, 1), "to": date(2026, 3, 31)}
    one_day = service.period(RUNTIME, first=date(2026, 3, 10), last=date(2026, 3, 10))
    assert (one_day.end - one_day.start).total_seconds() == 86400


@pytest.mark.parametrize("kind, on, back, months, expected", [
    ("month", date(2026, 2, 14), 0, None, (date(2026, 2, 1), date(2026, 2, 28))),
    ("month", date(2024, 2, 29), 0, None, (date(2024, 2, 1), date(2024, 2, 29))),
    ("month", date(2026, 1, 10), 1, None, (date(2025, 12, 1), date(2025, 12, 31))),
    ("quarter", date(2026, 5, 20), 0, None, (date(2026, 4, 1), date(2026, 6, 30))),
    ("quarter", date(2026, 2, 1), 1, None, (date(2025, 10, 1), date(2025, 12, 31))),
    ("year", date(2026, 7, 1), 0, None, (date(2026, 1, 1), date(2026, 12, 31))),
    # Two-month blocks from January: Jan-Feb, Mar-Apr, ...
    ("month", date(2026, 5, 10), 1, 2, (date(2026, 3, 1), date(2026, 4, 30))),
    ("month", date(2026, 2, 28), 1, 2, (date(2025, 11, 1), date(2025, 12, 31))),
])
def test_calendar_periods(kind, on, back, months, expected):
    p = service.calendar_period(RUNTIME, kind=kind, on=on, back=back, months=months)
    assert (p.first, p.last) == expected


def test_resolve_period_defaults_and_refusals():
    p = service.resolve_period(RUNTIME, first=None, last=None, kind=None, on=None)
    assert (p.first, p.last) == (date(2026, 3, 1), date(2026, 3, 31))
    p = service.resolve_period(RUNTIME, first=date(2026, 1, 5), last=date(2026, 2, 5),
                               kind="year", on=None)
    assert (p.first, p.last) == (date(2026, 1, 5), date(2026, 2, 5))  # custom wins
    with pytest.raises(Invalid) as error:
        service.resolve_period(RUNTIME, first=date(2026, 1, 5), last=None, kind=None, on=None)
    assert "to" in error.value.fields
    with pytest.raises(Invalid):
        service.period(RUNTIME, first=date(2026, 3, 2), last=date(2026, 3, 1))
    with pytest.raises(Invalid):
        service.calendar_period(RUNTIME, kind="week", on=date(2026, 3, 2))


@pytest.mark.parametrize("counts, expected", [
    ({}, []),
    ({"a": 0, "b": 0}, []),
    ({"a": 1, "b": 5}, [("b", 5), ("a", 1)]),
    ({"a": 3, "b": 2, "c": 2, "d": 2, "e": 1}, [("a", 3), ("b", 2), ("c", 2), ("d", 2)]),
    ({"a": 3, "b": 3, "c": 3, "d": 3}, [("a", 3), ("b", 3), ("c", 3), ("d", 3)]),
    ({"a": 4, "b": 3, "c": 2, "d": 1, "e": 0}, [("a", 4), ("b", 3), ("c", 2)]),
])
def test_top_three_keeps_ties_with_the_third(counts, expected):
    assert service.top_with_ties(counts, 3) == expected
