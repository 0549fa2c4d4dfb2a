"""`cluedesk bench-seed --tasks N`: bulk-written open tasks that the inbox, the deadline rows
and the timer worker treat like any others (on both databases, in a committed scratch database)."""
from __future__ import annotations

import pytest

from tests.api_client import ApiClient
from tests.integration.support import cli, dispose_app, issue_tokens, make_app, sql_scalar

pytestmark = pytest.mark.timeout(120)


def test_bench_seed_writes_open_tasks_the_inbox_shows_in_every_colour(scratch, backend):
    url = scratch.create(backend)
    proc = cli(url, "bench-seed", "--tasks", "600")
    assert proc.returncode == 0, proc.stderr
    assert "seeded 600 open tasks" in proc.stdout
    app = make_app(url)
    try:
        counts = {table: sql_scalar(app, f"SELECT count(*) FROM {table} WHERE {where}")
                  for table, where in (("tasks", "status = 'open'"), ("cases", "status = 'open'"),
                                       ("deadlines", "status = 'open'"), ("petitions", "1 = 1"),
                                       ("process_instances", "status = 'running'"))}
        assert counts == dict.fromkeys(counts, 600)
        # Every open deadline belongs to a seeded open task, in the task's unit.
        assert sql_scalar(app, "SELECT count(*) FROM deadlines d JOIN tasks t ON t.id = d.task_id "
                          "WHERE d.status = 'open' AND t.status = 'open' "
                          "AND d.unit_id = t.candidate_unit_id AND d.due_at = t.due_at") == 600
        assert sql_scalar(app, "SELECT count(DISTINCT candidate_unit_id) FROM tasks") >= 6
        api = ApiClient(app.test_client(), issue_tokens(url, ["a-worker", "a-head"]))
        seen = {}
        for colour in ("red", "yellow", "green"):
            page = api.as_("a-head").get("/tasks", query={"scope": "unit", "due": colour}).json
            assert page["total"] > 0, colour
            assert {t["warning"] for t in page["items"]} == {colour}
            seen[colour] = page["total"]
        worker = api.as_("a-worker").get("/tasks", query={"scope": "unit", "due": "red"}).json
        # The caseworker sees the caseworkers' share of the township's red tasks, soonest first.
        assert 0 < worker["total"] < seen["red"]
        dues = [t["due_at"] for t in worker["items"]]
        assert dues == sorted(dues)
        # The statistics rollup counts the bulk-written petitions and cases too.
        from engine.reports import rollup
        rt = app.extensions["cluedesk"]
        assert rt.read(lambda uow: rollup.differences(uow.session, rt.clock.tz.key)) == {}
    finally:
        dispose_app(app)
    # A second run adds more rows beside the first ones.
    assert cli(url, "bench-seed", "--tasks", "50").returncode == 0
    app = make_app(url)
    try:
        assert sql_scalar(app, "SELECT count(*) FROM tasks WHERE process_key = 'bench_seed'") == 650
    finally:
        dispose_app(app)
