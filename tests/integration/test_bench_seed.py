"""`cluedesk bench-seed --tasks N`: bulk-written open tasks that the inbox, the deadline rows
and the timer worker treat like any others (on both databases, in a committed scratch database)."""
from __future__ import annotations

import pytest
from sqlalchemy import select, text

from engine.petitions.models import Petition
from engine.petitions.repeats import RepeatFinder, features_of
from engine.petitions.similarity import PetitionFeatures, index_keys
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


def test_bench_seed_with_accused_writes_the_keys_registration_would_and_repeats_are_found(
        scratch, backend):
    """`--with-accused`: varied cadres, villages and matters, and repeat-check keys spelled in
    SQL exactly as the application writes them; the repeat check finds a seeded matter again."""
    url = scratch.create(backend)
    proc = cli(url, "bench-seed", "--tasks", "400", "--with-accused")
    assert proc.returncode == 0, proc.stderr
    app = make_app(url)
    rt = app.extensions["cluedesk"]
    try:
        def compare(uow):
            session = uow.session
            seeded = list(session.scalars(select(Petition).where(
                Petition.number.like("BENCH-%"))))
            codes = dict(session.execute(text("SELECT id, code FROM units")).all())
            stored: dict[int, set[str]] = {}
            for key, pid in session.execute(text("SELECT key, petition_id FROM repeat_keys")):
                stored.setdefault(pid, set()).add(key)
            assert len(seeded) == 400
            assert len({p.village for p in seeded}) > 100
            assert len({p.accused[0].name for p in seeded}) > 300
            for p in seeded:
                assert stored[p.id] == index_keys(features_of(p, codes.get(p.township_id))), p.id
            return seeded[7]
        sample = rt.read(compare)
        person = sample.accused[0]
        query = PetitionFeatures(
            petition_id=-1, accused=[{"name": person.name, "post": person.post}],
            village=sample.village, content=sample.content.replace("，", "。"),
            received_at=rt.clock.now())
        hits = rt.read(lambda uow: RepeatFinder().search(uow.session, query, rt.clock.now()))
        assert hits and hits[0]["petition_id"] == sample.id
    finally:
        dispose_app(app)
