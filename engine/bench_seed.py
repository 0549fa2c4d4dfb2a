"""`cluedesk bench-seed`: many open tasks for the benchmarks, written with bulk SQL (not the API).

Each seeded task is a whole small matter: a petition, its open case, a running process instance,
the open task in the inbox and its open deadline. Tasks are spread over every unit that has
people (townships, offices, zones, commissions), offered to caseworkers or supervisors, and are
one third each green, yellow and red at the application clock. The rows are generated inside the
database (`generate_series` on PostgreSQL, a recursive CTE on SQLite), in chunks, so a million
tasks take minutes, not hours. The instances hold no workflow state: they exist for the inbox and
the deadline rows, and `cluedesk check` reports them as not deserializing.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, UTC

from sqlalchemy import text

from engine.runtime import Runtime
from engine.reports import rollup

PROCESS_KEY = "bench_seed"
CHUNK = 100_000
UNIT_KINDS = ("township", "office", "zone", "commission")


def seed(runtime: Runtime, tasks: int, *, progress: Callable[[int], None] | None = None) -> int:
    """Add `tasks` open tasks with their cases, petitions, instances and deadlines; return it."""
    now = runtime.clock.now()
    sql = _Sql(runtime.engine.dialect.name, now)
    with runtime.engine.begin() as conn:
        units = [row[0] for row in conn.execute(text(
            "SELECT u.id FROM units u WHERE u.active AND u.kind IN ('township', 'office', "
            "'zone', 'commission') AND EXISTS (SELECT 1 FROM users p WHERE p.unit_id = u.id) "
            "ORDER BY u.id"))]
        clerk = conn.execute(text("SELECT id FROM users ORDER BY id LIMIT 1")).scalar()
        if not units or clerk is None:
            raise RuntimeError("no organisation: run `cluedesk demo` (or create units and users)")
        definition = _definition(conn, sql)
        base = conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar()
        base = max(base, conn.execute(text("SELECT coalesce(max(id), 0) FROM petitions"))
                   .scalar())
    salt = secrets.token_hex(4)
    done = 0
    while done < tasks:
        size = min(CHUNK, tasks - done)
        with runtime.engine.begin() as conn:
            _chunk(conn, sql, first=base + done + 1, size=size, units=units, clerk=clerk,
                   definition=definition, salt=salt)
        done += size
        if progress:
            progress(done)
    with runtime.engine.begin() as conn:
        if sql.postgres:
            for table in ("cases", "petitions", "deadlines"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    # Bulk SQL passes the statistics rollup by (it counts what sessions commit): recount it.
    runtime.transact(lambda uow: rollup.rebuild(uow.session, runtime.clock.tz.key, now=now))
    return tasks


class _Sql:
    """The few expressions that PostgreSQL and SQLite spell differently."""

    def __init__(self, dialect: str, now: datetime):
        self.postgres = dialect == "postgresql"
        self.now = now

    def series(self, first: int, size: int) -> str:
        last = first + size - 1
        if self.postgres:
            return f"generate_series({first}, {last}) AS s(i)"
        return (f"(WITH RECURSIVE s(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM s "
                f"WHERE i < {last}) SELECT i FROM s) AS s")

    def at(self, seconds: str) -> str:
        """The application clock's now plus `seconds` (an SQL expression)."""
        if self.postgres:
            return f"(timestamptz '{self.now.isoformat()}' + ({seconds}) * interval '1 second')"
        utc = self.now.astimezone(UTC)
        return f"datetime('{utc:%Y-%m-%d %H:%M:%S}', printf('%+d seconds', {seconds}))"

    def pick(self, values: list, index: str) -> str:
        """values[index % len(values)] as SQL."""
        whens = " ".join(f"WHEN {n} THEN {v!r}" if isinstance(v, str) else f"WHEN {n} THEN {v}"
                         for n, v in enumerate(values))
        return f"(CASE ({index}) % {len(values)} {whens} END)"

    def uuid(self, salt: str, kind: str) -> str:
        """A UUID-shaped id, unique per seed run (salt), kind and row."""
        hex_i = "lpad(to_hex(i), 12, '0')" if self.postgres else "printf('%012x', i)"
        return f"('{salt}-{kind}-4000-8000-' || {hex_i})"

    @property
    def true(self) -> str:
        return "true" if self.postgres else "1"

    @property
    def false(self) -> str:
        return "false" if self.postgres else "0"


def _definition(conn, sql: _Sql) -> int:
    """The placeholder process definition the seeded instances belong to."""
    found = conn.execute(text("SELECT id FROM process_definitions WHERE key = :k"),
                         {"k": PROCESS_KEY}).scalar()
    if found:
        return found
    now = sql.at("0")
    conn.execute(text("INSERT INTO bpmn_sources (checksum, file_name, xml, created_at) "
                      f"SELECT '{PROCESS_KEY}', 'bench_seed.bpmn', '', {now} WHERE NOT EXISTS "
                      f"(SELECT 1 FROM bpmn_sources WHERE checksum = '{PROCESS_KEY}')"))
    conn.execute(text(
        "INSERT INTO process_definitions (key, name, version, checksum, source_checksum, "
        "dependency_checksums, spec_checksum, deployed_at, deployed_by, comment) VALUES "
        f"('{PROCESS_KEY}', 'bench seed', 1, '{PROCESS_KEY}', '{PROCESS_KEY}', '[]', "
        f"'{PROCESS_KEY}', {now}, 'bench-seed', 'placeholder for seeded instances')"))
    return conn.execute(text("SELECT id FROM process_definitions WHERE key = :k"),
                        {"k": PROCESS_KEY}).scalar()


def _chunk(conn, sql: _Sql, *, first: int, size: int, units: list[int], clerk: int,
           definition: int, salt: str) -> None:
    """Rows first .. first+size-1 of every table."""
    series = sql.series(first, size)
    unit = sql.pick(units, "i")
    role = sql.pick(["caseworker", "caseworker", "supervisor"], "i / 7")
    # Thirds: red (overdue 1-20 days), yellow (due in 1-2 days, warned), green (10-39 days).
    colour = f"(i / {len(units)}) % 3"
    due = (f"CASE {colour} WHEN 0 THEN -86400 * (1 + i % 20) "
           f"WHEN 1 THEN 86400 * (1 + i % 2) ELSE 86400 * (10 + i % 30) END")
    warn = (f"CASE {colour} WHEN 1 THEN -3600 * (1 + i % 24) "
            f"ELSE 86400 * (CASE {colour} WHEN 0 THEN -(4 + i % 20) ELSE 7 + i % 30 END) END")
    created = sql.at("-86400 * (25 + i % 30)")
    instance, task = sql.uuid(salt, "0001"), sql.uuid(salt, "0002")
    conn.execute(text(
        "INSERT INTO cases (id, number, status, process_key, instance_id, registered_unit_id, "
        "created_at, first_handling_unit_id, handling_unit_id, people_disciplined) "
        f"SELECT i, 'BENCH-{salt}-C' || i, 'open', '{PROCESS_KEY}', {instance}, {unit}, "
        f"{created}, {unit}, {unit}, 0 FROM {series}"))
    conn.execute(text(
        "INSERT INTO petitions (id, number, case_id, channel, received_at, registered_at, "
        "registered_by_id, unit_id, anonymous, township_id, village, category, content, status, "
        "sealed, updated_at) "
        f"SELECT i, 'BENCH-{salt}-P' || i, i, 'letter', {created}, {created}, {clerk}, {unit}, "
        f"{sql.false}, {unit}, '东村', 'other', '东村村委会主任虚报低保户名单，套取低保资金。', "
        f"'accepted', {sql.false}, {created} FROM {series}"))
    conn.execute(text(
        "INSERT INTO process_instances (id, definition_id, process_key, version, status, "
        "case_id, created_at, updated_at, state, serializer_version, revision, data) "
        f"SELECT {instance}, {definition}, '{PROCESS_KEY}', 1, 'running', i, {created}, "
        f"{created}, '', 'cluedesk-1', 1, '{{}}' FROM {series}"))
    conn.execute(text(
        "INSERT INTO tasks (id, instance_id, case_id, process_key, element_id, name, lane, kind, "
        "status, candidate_unit_id, candidate_role, created_at, due_at, warn_at, deadline_key, "
        "version, properties) "
        f"SELECT {task}, {instance}, i, '{PROCESS_KEY}', 'review', '初核审查', '承办人', 'user', "
        f"'open', {unit}, {role}, {created}, {sql.at(due)}, {sql.at(warn)}, "
        f"'preliminary_verification', 1, '{{}}' FROM {series}"))
    conn.execute(text(
        "INSERT INTO deadlines (key, case_id, instance_id, task_id, unit_id, started_at, amount, "
        "unit, extensions, suspended_seconds, due_at, warn_at, status, updated_at) "
        f"SELECT 'preliminary_verification', i, {instance}, {task}, {unit}, {created}, 3, "
        f"'months', '[]', 0, {sql.at(due)}, {sql.at(warn)}, 'open', {created} FROM {series}"))
