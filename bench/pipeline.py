"""What psycopg's pipeline mode could save on a step (issue 28 point 1, the measurement only).

The HTTP step on PostgreSQL sends about ten statements one after the other and waits for each
(lock + read, open tasks, task update, task insert, instance update, the audit chain's advisory
lock, head read, events insert, head update) and then the commit. This bench runs that shape of
transaction on scratch tables of the same form, with the same row sizes, twice in alternating
rounds:

- one by one: 10 statements and the commit, each a round trip (today's step);
- pipelined: the locking reads in one round trip, the engine's work (none here), then every
  write plus the chain's lock and head read in a second, the events' insert, the head update and
  the commit in a third (the hash of the events needs the head: the fewest round trips the
  chain's design allows without moving the hashing into the database).

Both commit with `synchronous_commit = on` (the WAL flush is in both). The difference is the
most that pipelining the step could save, the upper bound for point 1.

    .venv/bin/python -m bench.pipeline [--steps 500]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time

import psycopg
from sqlalchemy.engine import make_url

from bench import scratch
from bench.common import log

STATE = json.dumps({"tasks": {str(i): {"state": 64, "data": {}} for i in range(40)}})
SCHEMA = """
CREATE TABLE pi (id text PRIMARY KEY, revision int, state text, data jsonb,
                 updated_at timestamptz);
CREATE TABLE pt (id text PRIMARY KEY, instance_id text, status text, version int,
                 name text, created_at timestamptz, completed_at timestamptz);
CREATE INDEX pt_open ON pt (instance_id) WHERE status = 'open';
CREATE TABLE pa (seq bigserial PRIMARY KEY, at timestamptz, action text, task_id text,
                 detail jsonb, hash text);
CREATE TABLE ph (id int PRIMARY KEY, seq bigint, hash text);
INSERT INTO ph VALUES (1, 0, '');
"""
LOCK = ("SELECT t.id, t.version, i.revision, i.state FROM pt t JOIN pi i ON i.id = t.instance_id "
        "WHERE t.id = %s FOR UPDATE OF t, i")
OPEN = "SELECT id, status, version FROM pt WHERE instance_id = %s AND status = 'open'"
DONE = "UPDATE pt SET status = 'completed', completed_at = now(), version = version + 1 WHERE id = %s"
NEW = ("INSERT INTO pt (id, instance_id, status, version, name, created_at) "
       "VALUES (%s, %s, 'open', 1, 'Step', now())")
SAVE = "UPDATE pi SET revision = revision + 1, state = %s, data = %s, updated_at = now() WHERE id = %s"
CHAIN_LOCK = "SELECT pg_advisory_xact_lock(42)"
HEAD = "SELECT seq, hash FROM ph WHERE id = 1"
EVENTS = ("INSERT INTO pa (at, action, task_id, detail, hash) VALUES "
          "(now(), 'task_completed', %s, %s, %s), (now(), 'task_created', %s, %s, %s)")
MOVE = "UPDATE ph SET seq = seq + 2, hash = %s WHERE id = 1"


def _hash(prev: str, what: str) -> str:
    return hashlib.sha256((prev + what).encode()).hexdigest()


class Chain:
    """One instance whose ready task moves on by one per step."""

    def __init__(self, conn: psycopg.Connection, name: str):
        self.conn, self.instance, self.n = conn, name, 0
        with conn.transaction():
            conn.execute("INSERT INTO pi VALUES (%s, 1, %s, '{}', now())", (name, STATE))
            conn.execute(NEW, (self.task(), name))

    def task(self) -> str:
        return f"{self.instance}-{self.n}"

    def one_by_one(self) -> None:
        c, current = self.conn, self.task()
        with c.transaction():
            c.execute(LOCK, (current,)).fetchone()
            c.execute(OPEN, (self.instance,)).fetchall()
            self.n += 1
            c.execute(DONE, (current,))
            c.execute(NEW, (self.task(), self.instance))
            c.execute(SAVE, (STATE, "{}", self.instance))
            c.execute(CHAIN_LOCK)
            _, prev = c.execute(HEAD).fetchone()
            h1 = _hash(prev, current)
            h2 = _hash(h1, self.task())
            c.execute(EVENTS, (current, "{}", h1, self.task(), "{}", h2))
            c.execute(MOVE, (h2,))

    def pipelined(self) -> None:
        c, current = self.conn, self.task()
        with c.transaction():
            with c.pipeline() as p:
                lock = c.execute(LOCK, (current,))
                opened = c.execute(OPEN, (self.instance,))
                p.sync()
                lock.fetchone()
                opened.fetchall()
                self.n += 1
                c.execute(DONE, (current,))
                c.execute(NEW, (self.task(), self.instance))
                c.execute(SAVE, (STATE, "{}", self.instance))
                c.execute(CHAIN_LOCK)
                head = c.execute(HEAD)
                p.sync()
                _, prev = head.fetchone()
                h1 = _hash(prev, current)
                h2 = _hash(h1, self.task())
                c.execute(EVENTS, (current, "{}", h1, self.task(), "{}", h2))
                c.execute(MOVE, (h2,))
            # leaving the transaction block sends COMMIT (its own round trip in both modes)


def measure(url: str, steps: int, rounds: int = 10) -> tuple[float, float]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(SCHEMA)
        a, b = Chain(conn, "a"), Chain(conn, "b")
        for _ in range(20):
            a.one_by_one()
            b.pipelined()
        seq, pipe = [], []
        for _ in range(rounds):
            for fn, out in ((a.one_by_one, seq), (b.pipelined, pipe)):
                for _ in range(steps // rounds):
                    t0 = time.perf_counter()
                    fn()
                    out.append(time.perf_counter() - t0)
        count = conn.execute("SELECT count(*) FROM pa").fetchone()[0]
        if count != 2 * (len(seq) + len(pipe) + 40):
            raise RuntimeError(f"{count} audit rows for {len(seq) + len(pipe) + 40} steps")
    return 1000 * statistics.median(seq), 1000 * statistics.median(pipe)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__)
    parser.add_argument("--steps", type=int, default=1000)
    args = parser.parse_args(argv)
    load0 = os.getloadavg()[0]
    with scratch.postgres_database() as url:
        seq, pipe = measure(url, args.steps)
    log(f"pipeline: load {load0:.1f} → {os.getloadavg()[0]:.1f}")
    print(f"step-shaped transaction, one by one: {seq:.2f} ms median; pipelined (3 round trips "
          f"+ commit): {pipe:.2f} ms; saved {seq - pipe:.2f} ms ({args.steps} steps each)")


if __name__ == "__main__":
    main()
