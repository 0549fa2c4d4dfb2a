"""The audit trail is tamper-evident: every event carries an HMAC-SHA256 chained to the previous
one, keyed with a secret outside the database; anchors outside the database catch truncation."""
from __future__ import annotations

import hashlib
import json
import threading

import pytest
from sqlalchemy import select, text

from engine.audit import chain
from engine.audit import service as audit
from engine.audit.models import AuditEvent
from engine.clock import Clock
from engine.config import load_settings
from engine.runtime import Runtime
from tests.api_client import deploy_processes
from tests.conftest import FROZEN, backends
from tests.e2e.test_petitions import petition
from tests.integration.support import cli

KEY = "test-audit-key-0123456789abcdef"


@pytest.fixture
def settings_overrides(tmp_path):
    # The template database was chained under the configured key (the test suite's).
    return {"audit": {"anchor_path": str(tmp_path / "anchors.log")}}


@pytest.fixture
def activity(api):
    """Real work through the API: petitions registered (each writes several audit events)."""
    deploy_processes(api)
    for township in ("town-a", "town-b"):
        assert api.as_("clerk").post("/petitions", json=petition(township=township)).status == 201


def execute(runtime, statement, **params):
    runtime.transact(lambda uow: uow.session.execute(text(statement), params))


def chained(runtime) -> list[tuple[int, int, str]]:
    return runtime.read(lambda uow: list(map(tuple, uow.session.execute(
        select(AuditEvent.chain_seq, AuditEvent.id, AuditEvent.action)
        .order_by(AuditEvent.chain_seq)))))


def test_every_event_is_chained_and_the_chain_verifies(runtime, activity):
    events = chained(runtime)
    assert len(events) > 10
    assert [seq for seq, _, _ in events] == list(range(1, len(events) + 1))
    result = chain.verify(runtime)
    assert result.problems == [] and result.events == len(events)
    # Keyed: the same trail under another key does not verify.
    other = Runtime(load_settings({"database": {"url": runtime.settings.database.url},
                                   "audit": {"key": "another-key"}}),
                    engine=runtime.engine, connection=runtime.connection, clock=runtime.clock)
    assert chain.verify(other).problems[0].startswith("audit event ")


@pytest.mark.breaks_trail
def test_editing_one_row_is_detected_and_named(runtime, activity):
    seq, event_id, action = chained(runtime)[-5]
    execute(runtime, "UPDATE audit_events SET actor = 'nobody' WHERE id = :id", id=event_id)
    problems = chain.verify(runtime).problems
    assert len(problems) == 1
    assert problems[0].startswith(f"audit event {event_id} (seq {seq}, {action} at ")


@pytest.mark.breaks_trail
def test_rewriting_the_whole_chain_with_plain_hashes_is_detected(runtime, activity):
    # The attacker edits one event and recomputes every hash after it as well as it can
    # without the key: SHA-256 over the same text.
    seq, event_id, _ = chained(runtime)[-5]
    execute(runtime, "UPDATE audit_events SET detail = :d WHERE id = :id",
            d=json.dumps({"reason": "nothing happened"}), id=event_id)

    def rewrite(uow):
        previous = chain.GENESIS
        for ev in uow.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)):
            ev.hash = previous = hashlib.sha256(
                f"{previous}\n{chain.content(ev)}".encode()).hexdigest()
    runtime.transact(rewrite)
    problems = chain.verify(runtime).problems
    assert problems[0].startswith("audit event ") and "(seq 1," in problems[0]
    assert problems[1].startswith("audit chain: ") and "more event(s)" in problems[1]


@pytest.mark.breaks_trail
def test_removed_or_foreign_events_are_detected(runtime, activity):
    events = chained(runtime)
    _, middle, _ = events[len(events) // 2]
    execute(runtime, "DELETE FROM audit_events WHERE id = :id", id=middle)
    execute(runtime, "INSERT INTO audit_events (at, actor, action, detail) "
                     "VALUES (:at, 'intruder', 'case_opened', '{}')", at=FROZEN.replace(tzinfo=None))
    problems = chain.verify(runtime).problems
    assert problems[0].startswith("audit events outside the chain")
    assert any("missing before event" in p for p in problems)


def test_truncation_after_an_anchor_is_detected(runtime, activity, tmp_path):
    anchored = chain.anchor(runtime)
    assert anchored["seq"] == len(chained(runtime))
    assert chain.anchor(runtime) == {**anchored, "line": 1}   # unchanged head: not written twice
    assert chain.verify(runtime).problems == []
    # The newest events (including the anchored one) are cut off. Without the anchor the
    # shorter chain would verify: every remaining hash is intact.
    execute(runtime, "DELETE FROM audit_events WHERE chain_seq >= :s", s=anchored["seq"] - 2)
    result = chain.verify(runtime)
    assert [p for p in result.problems if "anchor" in p] == [
        f"anchor of {anchored['at']} names event {anchored['id']} (seq {anchored['seq']}) but "
        f"the trail ends at seq {anchored['seq'] - 3}: events were removed"]
    assert result.problems == [result.problems[0]]


def test_anchor_lines_name_their_database(runtime, activity, tmp_path):
    path = tmp_path / "anchors.log"
    path.write_text(json.dumps({"database": "postgresql://elsewhere/db", "seq": 999999,
                                "id": 1, "hash": "x", "at": "2026-01-01"}) + "\n")
    chain.anchor(runtime)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 2 and lines[1]["database"] == chain.database_label(
        runtime.settings.database.url)
    assert chain.verify(runtime).problems == []  # the other database's anchor is not ours


def test_the_timer_worker_anchors_the_chain(runtime, activity, tmp_path):
    from engine.timers.worker import build_scheduler
    scheduler = build_scheduler(runtime)
    scheduler.get_job("audit_anchor").func()
    (line,) = (tmp_path / "anchors.log").read_text().splitlines()
    assert json.loads(line)["seq"] == len(chained(runtime))


@pytest.mark.postgres_only
@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "postgresql"])
def test_concurrent_appends_make_one_unbroken_chain(scratch, backend):
    url = scratch.create(backend, demo=False)
    rt = Runtime(load_settings({"database": {"url": url}, "audit": {"key": KEY}}),
                 clock=Clock(FROZEN))
    errors = []

    def writer(n):
        try:
            for i in range(15):
                rt.transact(lambda uow, i=i: [audit.record(uow.session, at=FROZEN, actor=f"w{n}",
                                                      action="test_written", detail={"i": i, "k": k})
                                         for k in range(3)])
        except Exception as exc:  # reported below
            errors.append(exc)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        result = chain.verify(rt)
        assert result.problems == [] and result.events == 8 * 15 * 3
    finally:
        rt.dispose()


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
def test_cli_audit_verify_and_anchor(scratch, backend, tmp_path):
    url = scratch.create(backend)
    env = {"CLUEDESK_AUDIT_KEY": KEY, "CLUEDESK_AUDIT_ANCHOR_PATH": str(tmp_path / "a.log"),
           "CLUEDESK_CLOCK_NOW": "2026-03-02T01:00:00+00:00"}
    # The demo organisation was chained with the test suite's key: the CLI under another key
    # names the very first event.
    wrong = cli(url, "audit", "verify", env=env)
    assert wrong.returncode == 1 and "problem: audit event 1 (seq 1, " in wrong.stdout
    dev = {k: v for k, v in env.items() if k != "CLUEDESK_AUDIT_KEY"}
    ok = cli(url, "audit", "verify", env=dev)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("ok: ") and "warning" not in ok.stderr
    anchored = cli(url, "audit", "anchor", env=dev)
    assert anchored.returncode == 0 and anchored.stdout.startswith("anchored seq ")
    execute_url(url, "DELETE FROM audit_events WHERE chain_seq = "
                     "(SELECT max(chain_seq) FROM audit_events)")
    broken = cli(url, "audit", "verify", env=dev)
    assert broken.returncode == 1 and "events were removed" in broken.stdout
    check = cli(url, "check", env=dev)
    assert check.returncode == 1 and "events were removed" in check.stdout


def execute_url(url, statement):
    from sqlalchemy import create_engine
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()
