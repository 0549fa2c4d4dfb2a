"""Working days on the real 2024-2026 arrangements and a loaded 2027 file (DEADLINES.md rules)."""
from datetime import date, datetime, timedelta, UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.calendar.workdays import WorkCalendar, add_months, due_at, due_date, warn_at
from engine.deadlines.service import parse_calendar_file

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()
FILE_2027 = Path(__file__).resolve().parents[1] / "fixtures" / "calendar-2027.yaml"


def test_national_day_2026_and_its_swapped_working_days():
    assert not CAL.is_workday(date(2026, 10, 1)) and not CAL.is_workday(date(2026, 10, 7))
    assert CAL.is_workday(date(2026, 9, 20))   # Sunday worked
    assert CAL.is_workday(date(2026, 10, 10))  # Saturday worked
    assert CAL.is_workday(date(2026, 10, 8))


def test_spring_festival_2024_and_2025():
    assert not CAL.is_workday(date(2024, 2, 12))  # Monday in the 2024 Spring Festival
    assert CAL.is_workday(date(2024, 2, 4))       # Sunday worked
    assert CAL.is_workday(date(2024, 2, 18))      # Sunday worked
    assert not CAL.is_workday(date(2025, 1, 29))  # 2025 Spring Festival
    assert CAL.is_workday(date(2025, 1, 26))      # Sunday worked
    assert CAL.is_workday(date(2025, 2, 8))       # Saturday worked


def test_the_worked_example_of_deadlines_md():
    received = datetime(2026, 9, 28, 10, 0, tzinfo=SH)
    assert due_at(CAL, received, 15, "working_days", SH) == datetime(2026, 10, 23, 23, 59, 59,
                                                                      tzinfo=SH)


def test_the_start_day_is_not_counted_and_periods_end_on_a_working_day():
    friday = date(2026, 3, 6)
    assert due_date(CAL, friday, 1, "working_days") == date(2026, 3, 9)   # Monday
    assert due_date(CAL, friday, 1, "days") == date(2026, 3, 9)           # Sat -> Monday
    assert due_date(CAL, date(2026, 9, 23), 8, "days") == date(2026, 10, 8)  # Oct 1 -> Oct 8


def test_months_run_to_the_same_day_or_the_months_last_day():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 3, 15), 1) == date(2026, 4, 15)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert due_date(CAL, date(2026, 8, 31), 1, "months") == date(2026, 9, 30)
    assert due_date(CAL, date(2026, 9, 1), 1, "months") == date(2026, 10, 8)  # Oct 1 is a holiday


def test_a_year_without_data_counts_weekends_only():
    assert not CAL.knows(2027)
    assert CAL.is_workday(date(2027, 1, 1))   # a Friday; no holiday data yet
    assert not CAL.is_workday(date(2027, 1, 2))


def test_a_loaded_year_overrides():
    year, days = parse_calendar_file(FILE_2027.read_text(), FILE_2027.name)
    cal = WorkCalendar(loaded={year: {d: k for d, k, _ in days}})
    assert year == 2027 and cal.knows(2027)
    assert not cal.is_workday(date(2027, 1, 1))
    assert not cal.is_workday(date(2027, 2, 8))
    assert cal.is_workday(date(2027, 2, 20))  # a swapped Saturday
    # A petition received on 2026-12-28 runs into 2027 and skips the new year's holiday.
    assert due_date(cal, date(2026, 12, 28), 5, "working_days") == date(2027, 1, 5)
    assert due_date(CAL, date(2026, 12, 28), 5, "working_days") == date(2027, 1, 4)


def test_csv_calendar_files_are_read_too():
    year, days = parse_calendar_file("date,kind,name\n2027-01-01,holiday,元旦\n"
                                     "2027-02-20,workday,调休\n", "2027.csv")
    assert year == 2027 and (date(2027, 2, 20), "workday", "调休") in days


def test_warning_starts_with_a_fifth_or_at_least_one_working_day_left():
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SH)
    due = due_at(CAL, start, 15, "working_days", SH)
    warn = warn_at(CAL, start, due, SH)
    assert due - warn >= (due - start) * 0.2 - timedelta(seconds=1)
    short_due = due_at(CAL, start, 1, "working_days", SH)
    assert warn_at(CAL, start, short_due, SH) == datetime(2026, 3, 3, 0, 0, tzinfo=SH)


days_2024_2026 = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 10, 31))


@settings(max_examples=200, deadline=None)
@given(start=days_2024_2026, n=st.integers(min_value=0, max_value=40))
def test_adding_working_days_lands_on_a_working_day(start, n):
    end = CAL.add_workdays(start, n)
    assert n == 0 or CAL.is_workday(end)
    assert CAL.workdays_between(start, end) == n


@settings(max_examples=200, deadline=None)
@given(start=days_2024_2026, n=st.integers(min_value=0, max_value=40),
       extra=st.integers(min_value=1, max_value=10))
def test_adding_working_days_is_monotonic_in_n(start, n, extra):
    assert CAL.add_workdays(start, n + extra) > CAL.add_workdays(start, n) or n + extra == 0


@settings(max_examples=200, deadline=None)
@given(start=days_2024_2026, later=st.integers(min_value=1, max_value=30),
       n=st.integers(min_value=1, max_value=30))
def test_adding_working_days_is_monotonic_in_the_start(start, later, n):
    assert CAL.add_workdays(start + timedelta(days=later), n) >= CAL.add_workdays(start, n)


def test_due_instants_are_timezone_aware_in_the_deployment_zone():
    due = due_at(CAL, datetime(2026, 3, 2, 1, 0, tzinfo=UTC), 1, "days", SH)
    assert due.utcoffset() == timedelta(hours=8) and due.time().isoformat() == "23:59:59"
