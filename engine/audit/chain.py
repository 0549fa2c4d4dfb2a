"""The tamper-evident audit trail: every event carries an HMAC-SHA256 over its content and the
previous event's hash, keyed with a secret that is not stored in the database; the chain head is
anchored in a file outside the database from time to time.

Appends are serialised: events are chained and inserted in the committing transaction, after
everything else is flushed, under a PostgreSQL transaction-level advisory lock (SQLite writers
are already serialised), so the lock is held only for the two statements that chain this
transaction's events and the commit. An event is therefore not readable in the transaction that
records it.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from engine import db
from engine.audit.models import AuditEvent
from engine.errors import Conflict
from engine.config import ROOT, Settings

log = logging.getLogger("cluedesk.audit")

# Public on purpose: a deployment that keeps it proves nothing. `check` and `audit verify` warn.
DEV_KEY = "cluedesk-development-audit-key-not-secret"
GENESIS = "0" * 64
LOCK_ID = 0x6175646974  # "audit": one advisory lock for the whole trail
PENDING = "audit_pending"
KEY = "audit_key"


def audit_key(settings: Settings) -> tuple[bytes, bool]:
    """The HMAC key (`audit.key`, env CLUEDESK_AUDIT_KEY) and whether it is the development default."""
    configured = str(settings.get("audit", "key") or "")
    return (configured or DEV_KEY).encode(), not configured


ROTATED = "audit_key_rotated"


def key_id(key: bytes) -> str:
    """A public name of a key (an HMAC of a constant under it: says nothing about the key)."""
    return hmac.new(key, b"cluedesk audit key id", hashlib.sha256).hexdigest()[:16]


def keyring(settings: Settings) -> dict[str, bytes]:
    """Every key the trail may have been signed with, by key id: the configured one, the
    public development key and `audit.previous_keys`."""
    keys = [audit_key(settings)[0], DEV_KEY.encode()]
    keys += [str(k).encode() for k in settings.get("audit", "previous_keys")
             if k]
    return {key_id(k): k for k in keys}


def session_info(settings: Settings) -> dict:
    """What a session needs to chain the events it commits."""
    return {KEY: audit_key(settings)[0]}


def content(ev: AuditEvent) -> str:
    """The canonical text of an event as the database gives it back (UTC instant, JSON detail)."""
    at = ev.at.astimezone(UTC).isoformat(timespec="microseconds") if ev.at else None
    detail = json.loads(json.dumps(ev.detail if ev.detail is not None else {}))
    return json.dumps([ev.chain_seq, ev.id, at, ev.actor, ev.action, ev.case_id, ev.instance_id,
                       ev.task_id, ev.task_name, detail],
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def digest(key: bytes, previous: str, ev: AuditEvent) -> str:
    """HMAC-SHA256 of the previous hash and this event's content."""
    return hmac.new(key, f"{previous}\n{content(ev)}".encode(), hashlib.sha256).hexdigest()


def pending(session: Session, ev: AuditEvent) -> None:
    """Remember an event: this transaction's commit chains and inserts it (not the ORM)."""
    session.info.setdefault(PENDING, []).append(ev)


def head(session: Session) -> tuple[int, int | None, str]:
    """(seq, event id, hash) of the last chained event; (0, None, GENESIS) for an empty trail."""
    row = session.execute(select(AuditEvent.chain_seq, AuditEvent.id, AuditEvent.hash)
                          .where(AuditEvent.chain_seq.is_not(None))
                          .order_by(AuditEvent.chain_seq.desc()).limit(1)).first()
    return (row[0], row[1], row[2]) if row else (0, None, GENESIS)


# Under the lock: the head of the chain and the ids the new events will have (PostgreSQL draws
# them from the table's sequence; SQLite, whose writers are serialised, counts on from the
# largest id), in one round trip, so the events are inserted once, already chained.
_HEAD = ("SELECT (SELECT max(chain_seq) FROM audit_events), "
         "(SELECT hash FROM audit_events WHERE chain_seq = "
         "(SELECT max(chain_seq) FROM audit_events)), ")
_HEAD_AND_IDS = {"sqlite": text(_HEAD + "(SELECT coalesce(max(id), 0) FROM audit_events)")}


def before_commit(session: Session) -> None:
    """Commit step (the last one, see `Runtime.COMMIT_STEPS`): chain and insert the events
    this transaction recorded."""
    events = session.info.pop(PENDING, None)
    if not events:
        return
    # Everything else first: once the lock is held this transaction touches only its own rows,
    # so it can never wait on another transaction that waits for the lock.
    session.flush()
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        seq, previous, ids = _locked_head(connection, len(events))
    else:
        seq, previous, ids = connection.execute(_HEAD_AND_IDS[dialect], {"n": len(events)}).one()
    if dialect != "postgresql":
        ids = range(ids + 1, ids + 1 + len(events))
    seq, previous = seq or 0, previous or GENESIS
    key = session.info.get(KEY) or DEV_KEY.encode()
    rows = []
    for ev, ident in zip(events, ids, strict=False):  # in the order they were recorded
        seq += 1
        ev.id, ev.chain_seq = ident, seq
        ev.hash = previous = digest(key, previous, ev)
        rows.append({c: getattr(ev, c) for c in _COLUMNS})
    connection.execute(_INSERT, rows)


def _locked_head(connection, n: int) -> tuple:
    """PostgreSQL: take the chain lock and read the head with the new ids, in one round trip
    (pipelined: the server runs the read once the lock is held)."""
    raw = connection.connection.driver_connection
    with raw.cursor() as lock, raw.cursor() as read:
        with db.pipeline(connection):
            lock.execute(_LOCK_SQL, (LOCK_ID,))
            read.execute(_HEAD_SQL, (n,))
        return read.fetchone()


_INSERT = insert(AuditEvent.__table__)
_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"
_HEAD_SQL = (_HEAD + "ARRAY(SELECT nextval(pg_get_serial_sequence('audit_events', 'id'))"
             " FROM generate_series(1, %s))")
_COLUMNS = [c.key for c in AuditEvent.__table__.columns]


# ---------------------------------------------------------------- verification and anchors

@dataclass
class Verification:
    events: int = 0
    head: tuple[int, int | None, str] = (0, None, GENESIS)
    problems: list[str] = field(default_factory=list)
    anchors: int = 0


def _events(session: Session, batch: int = 2000) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.chain_seq > last)
                                    .order_by(AuditEvent.chain_seq).limit(batch)))
        if not rows:
            return
        yield from rows
        last = rows[-1].chain_seq
        session.expunge_all()


def _first_key(session: Session, current: bytes, keys: dict[str, bytes]) -> bytes | None:
    """The key of the trail's first segment: the one the first rotation left (None when it is
    not in the keyring), or the current key when the trail was never rotated."""
    first = session.scalar(select(AuditEvent).where(AuditEvent.action == ROTATED,
                                                    AuditEvent.chain_seq.is_not(None))
                           .order_by(AuditEvent.chain_seq).limit(1))
    if first is None:
        return current
    return keys.get((first.detail or {}).get("from"))


def verify_chain(session: Session, key: bytes, keys: dict[str, bytes] | None = None
                 ) -> Verification:
    """Recompute the chain; name the first broken event, unchained events and gaps.

    `key` is the current key; a key rotation event (`audit_key_rotated`, signed with the new
    key) switches to the key it names, from `keys`. The trail must end under `key`."""
    result = Verification()
    keys = {key_id(key): key, **(keys or {})}
    unchained = list(session.scalars(select(AuditEvent.id).where(AuditEvent.chain_seq.is_(None))
                                     .order_by(AuditEvent.id).limit(11)))
    if unchained:
        more = ", …" if len(unchained) > 10 else ""
        result.problems.append("audit events outside the chain (inserted without the "
                               f"application): {', '.join(map(str, unchained[:10]))}{more}")
    segment = _first_key(session, key, keys)
    if segment is None:
        result.problems.append("the audit trail was first signed with a key this installation "
                               "does not know: list it in audit.previous_keys")
        return result
    previous, expected, broken = GENESIS, 1, 0
    for ev in _events(session):
        result.events += 1
        if ev.action == ROTATED:
            named = keys.get((ev.detail or {}).get("to"))
            if named is None:
                result.problems.append(f"audit event {ev.id} (seq {ev.chain_seq}) switches to a "
                                       "key this installation does not know")
                return result
            segment = named
        if ev.chain_seq != expected:
            result.problems.append(f"audit chain: events {expected}–{ev.chain_seq - 1} are "
                                   f"missing before event {ev.id} (seq {ev.chain_seq})")
        elif ev.hash != digest(segment, previous, ev):
            broken += 1
            if broken == 1:
                result.problems.append(
                    f"audit event {ev.id} (seq {ev.chain_seq}, {ev.action} at "
                    f"{ev.at.isoformat() if ev.at else '?'}) does not match its hash: "
                    "it, or its hash, was changed without the audit key")
        expected = ev.chain_seq + 1
        previous = ev.hash or ""
        result.head = (ev.chain_seq, ev.id, ev.hash)
    if broken > 1:
        result.problems.append(f"audit chain: {broken - 1} more event(s) after it do not match")
    if result.events and segment != key and not result.problems:
        result.problems.append("the audit trail is signed with another key than the configured "
                               "one: run `cluedesk audit rotate-key` (README, Security)")
    return result


def anchor_path(settings: Settings) -> Path:
    path = Path(str(settings.get("audit", "anchor_path")))
    return path if path.is_absolute() else ROOT / path


def database_label(url: str) -> str:
    """The database an anchor belongs to (no password)."""
    from sqlalchemy.engine import make_url
    return make_url(url).render_as_string(hide_password=True)


def read_anchors(path: Path, database: str) -> list[dict]:
    """This database's anchors, oldest first (unreadable lines are skipped and reported)."""
    if not path.exists():
        return []
    anchors = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            anchors.append({"line": number, "invalid": True})
            continue
        if item.get("database") == database:
            anchors.append({**item, "line": number})
    return anchors


def write_anchor(session: Session, *, path: Path, database: str, now: datetime) -> dict | None:
    """Append the chain head to the anchor file, unless the last anchor already names it."""
    seq, event_id, digest_ = head(session)
    if seq == 0:
        return None
    last = [a for a in read_anchors(path, database) if not a.get("invalid")]
    if last and last[-1].get("seq") == seq and last[-1].get("hash") == digest_:
        return last[-1]
    item = {"at": now.isoformat(), "database": database, "seq": seq, "id": event_id,
            "hash": digest_}
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        fh.flush()
    return item


def check_anchors(session: Session, anchors: list[dict], result: Verification) -> None:
    """Each anchor's event still exists with the anchored hash (no truncation, no rewrite)."""
    for item in anchors:
        result.anchors += 1
        if item.get("invalid"):
            result.problems.append(f"anchor file line {item['line']} is not valid JSON")
            continue
        row = session.execute(select(AuditEvent.id, AuditEvent.hash)
                              .where(AuditEvent.chain_seq == item["seq"])).first()
        if row is None:
            result.problems.append(
                f"anchor of {item['at']} names event {item['id']} (seq {item['seq']}) but the "
                f"trail ends at seq {result.head[0]}: events were removed")
        elif row[1] != item["hash"] or row[0] != item["id"]:
            result.problems.append(
                f"anchor of {item['at']}: event seq {item['seq']} is now event {row[0]} with "
                "another hash: the trail was rewritten")


# ---------------------------------------------------------------- use cases (CLI, worker, check)

def verify(runtime) -> Verification:
    """Recompute the whole chain and compare it with every anchor of this database."""
    key, _ = audit_key(runtime.settings)
    keys = keyring(runtime.settings)
    database = database_label(runtime.settings.database.url)

    def work(uow):
        result = verify_chain(uow.session, key, keys)
        check_anchors(uow.session, read_anchors(anchor_path(runtime.settings), database), result)
        return result
    return runtime.read(work)


def anchor(runtime) -> dict | None:
    """Append the chain head to the anchor file (the timer worker and `cluedesk audit anchor`)."""
    path = anchor_path(runtime.settings)
    database = database_label(runtime.settings.database.url)
    return runtime.read(lambda uow: write_anchor(uow.session, path=path, database=database,
                                                 now=runtime.clock.wall()))


def key_warning(settings: Settings) -> str | None:
    """A warning when the audit key is the public development default."""
    if audit_key(settings)[1]:
        return ("the audit key is the public development default: set CLUEDESK_AUDIT_KEY "
                "(audit.key) to a long random secret kept outside the database")
    return None


def head_signed_with(session: Session, key: bytes) -> bool:
    """Whether the last event of the trail was signed with `key` (True for an empty trail): new
    events chained under `key` then keep the trail verifiable. Two rows, cheap at start-up."""
    rows = list(session.scalars(select(AuditEvent).where(AuditEvent.chain_seq.is_not(None))
                                .order_by(AuditEvent.chain_seq.desc()).limit(2)))
    if not rows:
        return True
    last = rows[0]
    previous = rows[1].hash if len(rows) > 1 else GENESIS
    return last.hash == digest(key, previous or "", last)


def rotate_key(runtime, *, old_key: bytes, actor: str) -> str:
    """Record in the trail that from now on it is signed with the configured key. The trail must
    verify under `old_key` first (a broken trail is never sealed). The rotation event itself is
    signed with the new key over the old trail's head, so the new key vouches for everything
    before it. Returns "rotated" or "current" (already signed with the configured key)."""
    new_key, default = audit_key(runtime.settings)
    if default:
        raise Conflict("the configured audit key is the public development key: set a secret "
                       "one first", reason="audit_key_default")
    keys = {**keyring(runtime.settings), key_id(old_key): old_key}
    if runtime.read(lambda uow: head_signed_with(uow.session, new_key)):
        return "current"
    if not runtime.read(lambda uow: head_signed_with(uow.session, old_key)):
        raise Conflict("the audit trail is not signed with the old key given",
                       reason="audit_old_key_wrong")
    result = runtime.read(lambda uow: verify_chain(uow.session, old_key, keys))
    if result.problems:
        raise Conflict("the audit trail does not verify under the old key; nothing was "
                       "rotated: %(problem)s", reason="audit_chain_broken",
                       params={"problem": result.problems[0]})

    def work(uow):
        pending(uow.session, AuditEvent(at=runtime.clock.wall(), actor=actor, action=ROTATED,
                                        detail={"from": key_id(old_key),
                                                "to": key_id(new_key)}))
    runtime.transact(work)
    return "rotated"
