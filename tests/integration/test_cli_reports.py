"""`cluedesk reports verify|rebuild`: a write that bypasses the application (bulk SQL) is
found by a full recount and mended by a rebuild, through the real command line."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import backends
from tests.integration.support import cli

NOW = {"CLUEDESK_CLOCK_NOW": "2026-03-02T01:00:00+00:00"}


def execute(url: str, statement: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", backends())
def test_verify_finds_a_bulk_write_and_rebuild_mends_it(scratch, backend):
    url = scratch.create(backend)
    deployed = cli(url, "deploy", env=NOW, timeout=180)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    seeded = cli(url, "demo", env=NOW, timeout=180)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    ok = cli(url, "reports", "verify", env=NOW)
    assert ok.returncode == 0 and ok.stdout.startswith("ok: "), ok.stdout + ok.stderr
    # Bulk SQL moves every petition to another channel: the rollup did not see it.
    execute(url, "UPDATE petitions SET channel = 'bulk-import'")
    found = cli(url, "reports", "verify", env=NOW)
    assert found.returncode == 1
    assert "problem: unit " in found.stdout and "channel bulk-import: rollup 0, recount " \
        in found.stdout
    rebuilt = cli(url, "reports", "rebuild", env=NOW)
    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("rebuilt: "), rebuilt.stderr
    again = cli(url, "reports", "verify", env=NOW)
    assert again.returncode == 0, again.stdout + again.stderr
