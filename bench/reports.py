"""Reports: the summary over 1,000,000 petitions on PostgreSQL (read from the statistics rollup,
rebuilt once after the bulk seed), and a 100,000-row clue-ledger export
(time and peak Python memory, against a 10,000-row export: memory must not grow)."""
from __future__ import annotations

import gc
import statistics
import tempfile
import time
import tracemalloc
from datetime import date, datetime, UTC

from sqlalchemy import select, text

from bench import scratch
from bench.common import log
from bench.table import Row, skipped_row

SUMMARY = "reports: summary of {span}"
SUMMARY_TARGET = "≤ 1000 ms"
EXPORT = "reports: clue-ledger export, {n} rows (time, peak memory)"
EXPORT_TARGET = "memory ratio ≤ 1.5"
YEAR = 2026
TS = "timestamptz '2026-01-01 00:00:00+08'"


def _at(column: str, n: int) -> str:
    """Instants spread evenly over the year: row i of n at TS + i/n of a year."""
    return f"({TS} + ({column}::float8 * 31536000 / {n}) * interval '1 second')"


def seed(conn, n: int, *, units: dict[str, int], clerk_id: int) -> None:
    """n petitions with their cases (10% repeats), 30% with clues, two deadlines each, and some
    decisions, clarifications, referrals and return visits: bulk SQL, not the API."""
    towns = [units[c] for c in ("town-a", "town-b", "town-c", "town-d", "town-e", "town-f")]
    town = f"(ARRAY{towns})[1 + i % 6]"
    office = units["petition-office"]
    channels = "(ARRAY['letter','visit','online','phone','transfer','inspection','audit'," \
               "'supervision'])[1 + i % 8]"
    categories = "(ARRAY['welfare_funds','collective_assets','land_requisition'," \
                 "'construction_bidding','eight_rules','organised_crime','election_discipline'," \
                 "'gambling','service_window','other'])[1 + i % 10]"
    at = _at("i", n)
    series = f"generate_series(1, {n}) AS s(i)"
    conn.execute(text(
        "INSERT INTO cases (id, number, status, process_key, registered_unit_id, created_at, "
        "first_handling_unit_id, handling_unit_id, filed_at, closed_at, people_disciplined, "
        "decided_at, sanction) "
        f"SELECT i, 'bench-C' || i, CASE WHEN i % 5 < 3 THEN 'closed' WHEN i % 10 = 0 THEN "
        f"'merged' ELSE 'open' END, 'petition_intake', {office}, {at}, "
        f"CASE WHEN i % 10 = 9 THEN NULL ELSE {town} END, "
        f"CASE WHEN i % 10 = 9 THEN NULL WHEN i % 50 = 1 THEN {towns[0]} ELSE {town} END, "
        f"CASE WHEN i % 20 = 1 THEN {at} + interval '20 days' END, "
        f"CASE WHEN i % 5 < 3 THEN {at} + interval '40 days' END, "
        f"CASE WHEN i % 40 = 1 THEN 1 + i % 3 ELSE 0 END, "
        f"CASE WHEN i % 40 = 1 THEN {at} + interval '35 days' END, "
        f"CASE WHEN i % 40 = 1 THEN 'warning' END FROM {series}"))
    conn.execute(text(
        "INSERT INTO petitions (id, number, case_id, channel, received_at, registered_at, "
        "registered_by_id, unit_id, anonymous, reporter_name, reporter_phone, township_id, "
        "village, category, content, status, repeat_of_id, sealed, updated_at) "
        f"SELECT i, 'bench-' || i, i, {channels}, {at}, {at}, {clerk_id}, {office}, i % 3 = 0, "
        f"CASE WHEN i % 3 = 0 THEN NULL ELSE '王小明' END, "
        f"CASE WHEN i % 3 = 0 THEN NULL ELSE '13812345678' END, {town}, '东村', {categories}, "
        "'东村村委会主任虚报低保户名单，套取低保资金。', "
        "CASE WHEN i % 10 = 0 THEN 'merged' ELSE 'accepted' END, "
        "CASE WHEN i % 10 = 0 AND i > 10 THEN i - 7 END, false, "
        f"{at} FROM {series}"))
    conn.execute(text(
        "INSERT INTO accused_persons (petition_id, name, post, unit, level) "
        f"SELECT i, '李四', '村委会主任', '东村村委会', 'village' FROM {series}"))
    conn.execute(text(
        "INSERT INTO clues (id, number, case_id, petition_id, source, status, unit_id, "
        "accused_name, accused_post, accused_unit, accused_level, summary, disposition, "
        "disposition_reason, approved_at, finding, finding_at, key_verification, closed_reason, "
        "closed_at, created_at, updated_at) "
        f"SELECT i, 'bench-L' || i, i, i, 'petition', 'closed', {town}, '李四', '村委会主任', "
        "'东村村委会', 'village', '东村村委会主任虚报低保户名单，套取低保资金。', "
        "(ARRAY['inquiry','verification','shelved','closed'])[1 + i % 4], '经研判', "
        f"{at} + interval '10 days', CASE WHEN i % 4 = 1 THEN (ARRAY['true','partly_true',"
        "'untrue','unverifiable'])[1 + (i / 4) % 4] END, "
        f"CASE WHEN i % 4 = 1 THEN {at} + interval '30 days' END, i % 97 = 0, '', "
        f"{at} + interval '40 days', {at}, {at} FROM {series} WHERE i % 10 IN (1, 2, 3)"))
    for key, days in (("acceptance_notice", 21), ("forward_elsewhere", 7)):
        conn.execute(text(
            "INSERT INTO deadlines (key, case_id, unit_id, started_at, amount, unit, extensions, "
            "suspended_seconds, due_at, status, updated_at) "
            f"SELECT '{key}', i, CASE WHEN i % 100 <> 0 THEN {office} END, {at}, 15, "
            f"'working_days', '[]', 0, {at} + interval '{days} days', "
            "CASE WHEN i % 13 = 0 THEN 'breached' WHEN i % 7 = 0 THEN 'cancelled' ELSE 'met' END, "
            f"{at} FROM {series}"))
    conn.execute(text(
        "INSERT INTO return_visits (case_id, kind, satisfaction, notes, reopened, visited_at) "
        "SELECT i, 'reporter', (ARRAY['satisfied','basically_satisfied','dissatisfied'])"
        f"[1 + i % 3], '', false, {at} + interval '50 days' FROM {series} WHERE i % 10 = 4"))
    conn.execute(text(
        "INSERT INTO clarifications (case_id, cadre_name, origin, scope, people, status, "
        f"carried_out_at, created_at) SELECT i, '李四', 'finding', '[\"written\"]', 1, 'done', "
        f"{at} + interval '45 days', {at} FROM {series} WHERE i % 100 = 5"))
    conn.execute(text(
        "INSERT INTO accusation_referrals (case_id, kind, aggravating, note, status, decided_at, "
        f"created_at) SELECT i, 'malicious', '', '', 'referred', {at} + interval '45 days', {at} "
        f"FROM {series} WHERE i % 200 = 6"))
    for table in ("cases", "petitions", "clues"):
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"(SELECT max(id) FROM {table}))"))
    conn.execute(text("ANALYZE"))


def _summary_ms(runtime, first: date, last: date, rounds: int,
                fast: bool = True) -> tuple[float, list[dict]]:
    """Median milliseconds of the county's summary (and its units') for first..last; `fast`:
    from the rollup, else recounted from the item tables."""
    from engine.reports import service
    times, result = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        with runtime.uow() as uow:
            tree = service.Tree(uow.session)
            unit = tree.get("county")
            result = service.figures(uow.session, runtime, tree=tree,
                                     units=[unit, *tree.children(unit)],
                                     p=service.period(runtime, first=first, last=last),
                                     fast=fast)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000, result


def _days_for(runtime, rows: int) -> date:
    """The last day of a period from 1 January holding at least `rows` clues."""
    from engine.clues.models import Clue
    with runtime.uow() as uow:
        at = uow.session.scalar(select(Clue.created_at).order_by(Clue.created_at)
                                .offset(rows - 1).limit(1))
    return runtime.clock.local(at).date()


def _export(runtime, user, last: date, *, trace: bool) -> tuple[int, float, float]:
    """(rows, seconds, peak traced MB) of one clue-ledger export from 1 January to `last`."""
    from engine.reports import ledgers, service
    p = service.period(runtime, first=date(YEAR, 1, 1), last=last)
    gc.collect()
    if trace:
        tracemalloc.start()
    try:
        t0 = time.perf_counter()
        with tempfile.TemporaryFile() as out, runtime.uow() as uow:
            names = ledgers.write(uow.session, runtime, user=user, kind="clue-ledger",
                                  unit_code="county", p=p, out=out)
        elapsed = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1] / 2 ** 20 if trace else 0.0
    finally:
        if trace:
            tracemalloc.stop()
    return names["rows"], elapsed, peak


def measure(quick: bool) -> list[Row]:
    """Both rows on a scratch PostgreSQL database (skipped when none answers)."""
    n = 100_000 if quick else 1_000_000
    small, big = (3_000, 30_000) if quick else (10_000, 100_000)
    spans = {"month": (date(YEAR, 6, 1), date(YEAR, 6, 30)),
             "year": (date(YEAR, 1, 1), date(YEAR, 12, 31))}
    names = {"month": SUMMARY.format(span=f"a month ({n:,} petitions stored)"),
             "year": SUMMARY.format(span=f"a year (all {n:,} petitions)")}
    export_name = EXPORT.format(n=f"{big:,}")
    if not scratch.postgres_reachable():
        reason = f"skipped: PostgreSQL not reachable at {scratch.postgres_address()}"
        log(f"reports {reason}")
        return [*(skipped_row(name, "postgresql", reason, SUMMARY_TARGET)
                  for name in names.values()),
                skipped_row(export_name, "postgresql", reason, EXPORT_TARGET)]
    from engine.clock import Clock
    from engine.config import load_settings
    from engine.demo import load_organisation
    from engine.org.models import Unit, User
    from engine.runtime import Runtime
    from engine.schema import upgrade
    with scratch.postgres_database() as url:
        upgrade(url=url)
        runtime = Runtime(load_settings({"database": {"url": url}}),
                          clock=Clock(datetime(YEAR + 1, 1, 15, 1, 0, tzinfo=UTC)))
        try:
            load_organisation(runtime)
            with runtime.uow() as uow:
                units = dict(uow.session.execute(select(Unit.code, Unit.id)).all())
                chief = uow.session.scalar(select(User).where(User.username == "chief"))
                clerk_id = uow.session.scalar(select(User.id).where(User.username == "clerk"))
                _ = chief.roles, chief.unit
            log(f"postgresql: seeding {n:,} petitions with cases, clues and deadlines")
            t0 = time.perf_counter()
            with runtime.engine.begin() as conn:
                seed(conn, n, units=units, clerk_id=clerk_id)
            log(f"  seeded in {time.perf_counter() - t0:.0f} s")
            from engine.reports import rollup
            t0 = time.perf_counter()
            # The seed is bulk SQL, which the rollup does not see: count it all again.
            runtime.transact(lambda uow: rollup.rebuild(uow.session, runtime.clock.tz.key,
                                                        now=runtime.clock.now()))
            log(f"  statistics rollup built in {time.perf_counter() - t0:.0f} s")
            timings = {}
            for span, (first, last) in spans.items():
                _summary_ms(runtime, first, last, 1)  # warm up
                ms, units = _summary_ms(runtime, first, last, 3 if quick else 5)
                slow, recounted = _summary_ms(runtime, first, last, 1, fast=False)
                timings[span] = ms
                county = units[0]
                log(f"  summary of the {span}: {ms:.0f} ms for {county['petitions']:,} "
                    f"petitions, {county['clues']:,} clues, {county['deadlines_due']:,} "
                    f"deadlines due; a direct recount: {slow:.0f} ms, "
                    f"{'the same figures' if units == recounted else 'DIFFERENT FIGURES'}")
            rows = {}
            for size in (small, big):
                last = _days_for(runtime, size)
                count, _, peak = _export(runtime, chief, last, trace=True)
                count, seconds, _ = _export(runtime, chief, last, trace=False)
                rows[size] = (count, seconds, peak)
                log(f"  clue ledger: {count:,} rows in {seconds:.1f} s, peak {peak:.1f} MB")
        finally:
            runtime.dispose()
    (n_small, s_small, m_small), (n_big, s_big, m_big) = rows[small], rows[big]
    return [*(Row(names[span], "postgresql", f"{timings[span]:.0f} ms", "—", "—", SUMMARY_TARGET)
              for span in spans),
            Row(export_name, "postgresql",
                f"{n_big:,} rows: {s_big:.1f} s, peak {m_big:.1f} MB",
                f"{n_small:,} rows: {s_small:.1f} s, peak {m_small:.1f} MB",
                f"{m_big / m_small:.2f}", EXPORT_TARGET)]


if __name__ == "__main__":
    import sys

    from bench.table import render
    print(render(measure("--quick" in sys.argv)))
