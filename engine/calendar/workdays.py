"""Working-day arithmetic on the State Council arrangement (pure: no database, no clock)."""
from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

import chinese_calendar



def packaged_years() -> set[int]:
    from chinese_calendar import constants
    return {d.year for d in constants.holidays}


@dataclass
class WorkCalendar:
    """Working days: loaded years first, then chinesecalendar, else weekends only."""
    loaded: dict[int, dict[date, str]] = field(default_factory=dict)  # year -> {day: kind}
    packaged: set[int] = field(default_factory=packaged_years)

    def knows(self, year: int) -> bool:
        return year in self.loaded or year in self.packaged

    def is_workday(self, day: date) -> bool:
        year = self.loaded.get(day.year)
        if year is not None:
            kind = year.get(day)
            if kind is not None:
                return kind == "workday"
            return day.weekday() < 5
        if day.year in self.packaged:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def next_workday(self, day: date) -> date:
        """This day if it is a working day, else the next one."""
        while not self.is_workday(day):
            day += timedelta(days=1)
        return day

    def add_workdays(self, start: date, n: int) -> date:
        """The Nth working day after `start` (the start day itself is not counted)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day = start
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end`."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_workday(day):
                count += 1
        return count


def add_months(day: date, months: int) -> date:
    """The same day number `months` later, or that month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, _cal.monthrange(year, month)[1]))


def end_of_day(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tz)


def due_date(cal: WorkCalendar, start_day: date, amount: int, unit: str) -> date:
    """The last day of a period that starts the day after `start_day` (DEADLINES.md counting)."""
    if unit == "working_days":
        return cal.add_workdays(start_day, amount)
    if unit == "days":
        end = start_day + timedelta(days=amount)
    elif unit == "months":
        end = add_months(start_day, amount)
    else:
        raise ValueError(f"unknown unit {unit!r}")
    # A period that ends on a non-working day ends on the next working day.
    return cal.next_workday(end)


def due_at(cal: WorkCalendar, start: datetime, amount: int, unit: str, tz: tzinfo) -> datetime:
    """The instant a deadline ends: 23:59:59 local on its last day."""
    return end_of_day(due_date(cal, start.astimezone(tz).date(), amount, unit), tz)


def warn_at(cal: WorkCalendar, start: datetime, due: datetime, tz: tzinfo) -> datetime:
    """Yellow from when 20% of the allowed time (at least one working day) remains."""
    fifth = due - (due - start) * 0.2
    # The start of the last working day before the due instant, i.e. one working day remains.
    last_day = due.astimezone(tz).date()
    one_day = datetime.combine(last_day, time(0, 0), tz)
    return min(fifth, one_day)
