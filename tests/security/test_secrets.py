"""No shipped secrets: `serve` and `scheduler` refuse default ones, `cluedesk init-secrets` writes
random ones, and a trail signed with the public development key (earlier releases) keeps
verifying after `cluedesk audit rotate-key` (issue 16)."""
from __future__ import annotations

import os
import stat

import pytest
import yaml
from sqlalchemy import select, text

from engine.audit import chain
from engine.audit import service as audit
from engine.audit.models import AuditEvent
from engine.clock import Clock
from engine.config import load_settings, secret_problems
from engine.runtime import Runtime
from engine.schema import upgrade
from tests.conftest import FROZEN, backends
from tests.integration.support import cli, free_port

pytestmark = pytest.mark.timeout(180)
SQLITE = [p for p in backends() if p.id == "sqlite"]


def test_the_shipped_configuration_has_no_usable_secret():
    settings = load_settings(environ={"CLUEDESK_LOCAL_CONFIG": ""})
    problems = secret_problems(settings)
    assert len(problems) == 2
    assert "server.secret_key" in problems[0] and "audit.key" in problems[1]
    for value in ("change-me-in-production", "short-secret"):
        settings = load_settings({"server": {"secret_key": value},
                                  "audit": {"key": "x" * 40}},
                                 environ={"CLUEDESK_LOCAL_CONFIG": ""})
        assert len(secret_problems(settings)) == 1


@pytest.mark.parametrize("backend", SQLITE)
@pytest.mark.parametrize("command,env", [
    ("serve", {"CLUEDESK_SERVER_SECRET_KEY": "change-me-in-production"}),
    ("serve", {"CLUEDESK_SERVER_SECRET_KEY": ""}),
    ("serve", {"CLUEDESK_AUDIT_KEY": ""}),
    ("scheduler", {"CLUEDESK_SERVER_SECRET_KEY": ""}),
])
def test_serve_and_scheduler_refuse_to_start_with_default_secrets(scratch, backend, command,
                                                                  env):
    url = scratch.create(backend, demo=False)
    args = [command] + (["--port", str(free_port())] if command == "serve" else [])
    done = cli(url, *args, env=env, timeout=60)
    assert done.returncode != 0 and "refusing to start" in done.stderr, done.stderr


def test_init_secrets_writes_random_private_secrets_once(tmp_path):
    local = tmp_path / "local.yaml"
    env = {"CLUEDESK_LOCAL_CONFIG": str(local)}
    first = cli("sqlite://", "init-secrets", "--demo", env=env)
    assert first.returncode == 0, first.stderr
    assert stat.S_IMODE(os.stat(local).st_mode) == 0o600
    data = yaml.safe_load(local.read_text())
    assert data["server"]["demo"] is True
    settings = load_settings(environ={"CLUEDESK_LOCAL_CONFIG": str(local)})
    assert secret_problems(settings) == []
    assert settings.server.secret_key == data["server"]["secret_key"]
    again = cli("sqlite://", "init-secrets", env=env)
    assert again.returncode == 0 and yaml.safe_load(local.read_text()) == data
    other = tmp_path / "other.yaml"
    cli("sqlite://", "init-secrets", env={"CLUEDESK_LOCAL_CONFIG": str(other)})
    assert yaml.safe_load(other.read_text())["audit"]["key"] != data["audit"]["key"]


def _old_database(tmp_path) -> str:
    """A database of the previous release (schema 0011) whose trail was chained with the public
    development key, as every earlier installation's was."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    upgrade(url=url, revision="0011")
    rt = Runtime(load_settings({"database": {"url": url}, "audit": {"key": ""}},
                               environ={"CLUEDESK_LOCAL_CONFIG": ""}), clock=Clock(FROZEN))
    for i in range(5):
        rt.transact(lambda uow, i=i: audit.record(uow.session, at=FROZEN, actor="clerk",
                                                  action="petition_registered",
                                                  detail={"n": i}))
    rt.dispose()
    return url


@pytest.mark.parametrize("backend", SQLITE)
def test_an_upgraded_database_signed_with_the_development_key_keeps_verifying(tmp_path, backend):
    url = _old_database(tmp_path)
    env = {"CLUEDESK_AUDIT_ANCHOR_PATH": str(tmp_path / "anchors.log")}
    # Upgrading with the new key first would chain new events onto the old ones: refused.
    refused = cli(url, "init-db", env=env)
    assert refused.returncode != 0 and "cluedesk audit rotate-key" in refused.stderr
    unverified = cli(url, "audit", "verify", env=env)
    assert unverified.returncode == 1
    rotated = cli(url, "audit", "rotate-key", env=env)
    assert rotated.returncode == 0 and "audit key rotated" in rotated.stdout, rotated.stderr
    again = cli(url, "audit", "rotate-key", env=env)
    assert again.returncode == 0 and "already signed" in again.stdout
    upgraded = cli(url, "init-db", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(FROZEN))
    rt.transact(lambda uow: audit.record(uow.session, at=FROZEN, actor="clerk",
                                         action="petition_registered", detail={"n": 99}))
    verified = cli(url, "audit", "verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "problem" not in verified.stdout and "warning" not in verified.stderr
    # The change is in the trail itself, naming the keys by id only.
    try:
        rotation = rt.read(lambda uow: uow.session.scalar(
            select(AuditEvent).where(AuditEvent.action == chain.ROTATED)))
        dev_id = chain.key_id(chain.DEV_KEY.encode())
        assert rotation.chain_seq == 6 and rotation.detail["from"] == dev_id
        assert rotation.detail["to"] == chain.key_id(os.environ["CLUEDESK_AUDIT_KEY"].encode())
        assert os.environ["CLUEDESK_AUDIT_KEY"] not in str(rotation.detail)
        assert chain.verify(rt).problems == []
        # Whoever knows the public key can no longer rewrite the old part: the rotation event,
        # signed with the secret key, covers its hash.
        with rt.engine.begin() as conn:
            conn.execute(text("UPDATE audit_events SET actor = 'nobody' WHERE chain_seq = 2"))
        previous, hashes = chain.GENESIS, {}
        for ev in rt.read(lambda uow: list(uow.session.scalars(
                select(AuditEvent).where(AuditEvent.chain_seq < 6)
                .order_by(AuditEvent.chain_seq)))):
            hashes[ev.id] = previous = chain.digest(chain.DEV_KEY.encode(), previous, ev)
        with rt.engine.begin() as conn:
            for ident, digest in hashes.items():
                conn.execute(text("UPDATE audit_events SET hash = :h WHERE id = :i"),
                             {"h": digest, "i": ident})
        problems = chain.verify(rt).problems
        assert problems and problems[0].startswith(f"audit event {rotation.id} (seq 6, ")
    finally:
        rt.dispose()


@pytest.mark.parametrize("backend", SQLITE)
def test_serve_refuses_a_trail_signed_with_another_key(tmp_path, backend):
    url = _old_database(tmp_path)
    done = cli(url, "serve", "--port", str(free_port()), timeout=60)
    assert done.returncode != 0 and "rotate-key" in done.stderr
