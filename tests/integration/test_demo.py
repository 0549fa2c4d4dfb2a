"""`cluedesk demo` on an empty database, run for real (`python -m engine.cli` in a subprocess):
after `init-db` and `deploy` it leaves sample cases waiting at every step of every process, driven
through the real processes; a second run changes nothing. Checked in the database and in the
inbox of the HTTP API.

SQLite only (no `backend` fixture): this is about the command line on a fresh file, which is what
`make run` does; the processes themselves are tested on both databases in tests/e2e."""
from __future__ import annotations


import pytest
from sqlalchemy import create_engine, text

from tests.api_client import ApiClient
from tests.feeds import atom_errors, atom_titles, json_feed_errors
from tests.integration.support import cli, dispose_app, issue_tokens, make_app

pytestmark = pytest.mark.timeout(300)

# (process, element) pairs where the demo leaves open tasks, as in tests/e2e.
WAITING = {
    ("petition_intake", "repeat_check"),
    ("petition_intake", "notify_forward"),          # sealed forward: tell the reporter
    ("petition_intake", "acceptance_notice"),
    ("clue_disposition", "propose_disposition"),    # also the one sent back
    ("clue_disposition", "approve_disposition"),
    ("feedback_visit", "result_feedback"),          # after a clue closed with its reason
    ("feedback_visit", "review"),                   # a dissatisfied return visit
    ("inquiry", "register_inquiry_reply"),
    ("preliminary_verification", "approve_verification_plan"),
    ("preliminary_verification", "gather_evidence"),
    ("joint_review", "member_opinion"),
    ("case_filing", "investigate_case"),
    ("case_filing", "trial_case"),
    ("case_filing", "announce_decision"),
    ("clarification", "approve"),
    ("false_accusation", "city_approve"),
    ("zone_escalation", "zone_decide"),
    ("first_handling_transfer", "approve"),
    ("inspection", "carry_out"),                    # a cross-check drawn from other townships
    ("inspection", "approve"),
    ("rectification", "state_measures"),
    ("rectification", "report_progress"),           # also the one sent back at verification
    ("rectification", "verify"),
    ("rectification", "supervise"),                 # patrol: the township supervises
}  # (the village processes: test_a_village_matter_waits_at_each_step_of_each_flow)


def out(proc) -> str:
    return f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory):
    """A fresh SQLite file: init-db, deploy, demo, then demo again (its time is a bench matter)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'cluedesk.db'}"
    for args in (["init-db"], ["deploy"]):
        proc = cli(url, *args)
        assert proc.returncode == 0, out(proc)
    first = cli(url, "demo", timeout=300)
    assert first.returncode == 0, out(first)
    assert "demo organisation ready (37 users created)" in first.stdout, out(first)
    assert "sample petitions: " in first.stdout and " created" in first.stdout, out(first)
    again = cli(url, "demo", timeout=300)
    assert again.returncode == 0, out(again)
    assert "(0 users created)" in again.stdout, out(again)
    assert "sample petitions already present" in again.stdout, out(again)
    return url


@pytest.fixture(scope="module")
def db(demo_url):
    engine = create_engine(demo_url)

    def rows(sql: str, **params) -> list[tuple]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]
    yield rows
    engine.dispose()


def test_tasks_wait_at_every_step(db):
    waiting = set(db("SELECT process_key, element_id FROM tasks WHERE status = 'open'"))
    assert WAITING <= waiting, sorted(WAITING - waiting)


def test_cases_merged_closed_and_supervised(db):
    statuses = {s for (s,) in db("SELECT status FROM cases")}
    assert {"open", "merged", "closed"} <= statuses, statuses
    (supervised,) = db("SELECT id FROM cases WHERE supervised_at IS NOT NULL")
    breached = db("SELECT d.key FROM deadlines d WHERE d.status = 'breached' ORDER BY d.key")
    assert breached == [("acceptance_notice",), ("rectification",)]
    # The supervised case is the one whose acceptance notice is overdue.
    assert db("SELECT element_id FROM tasks WHERE case_id = :c AND status = 'open'",
              c=supervised[0]) == [("acceptance_notice",)]
    # The filed and decided case keeps its sanction.
    assert ("serious_warning", 1) in db("SELECT sanction, people_disciplined FROM cases "
                                        "WHERE decided_at IS NOT NULL")
    assert db("SELECT COUNT(*) FROM petitions")[0][0] >= 20


def test_the_states_behind_the_tasks(db):
    clues = db("SELECT status, closed_reason FROM clues")
    assert "shelved" in {status for status, _ in clues}
    assert any(status == "closed" and reason.startswith("予以了结：") for status, reason in clues)
    assert db("SELECT COUNT(*) FROM timers WHERE status = 'pending'") == [(1,)]  # shelved review
    assert db("SELECT COUNT(*) FROM audit_events WHERE action = 'clue_disposition_returned'") \
        == [(1,)]
    assert db("SELECT COUNT(*) FROM return_visits WHERE satisfaction = 'dissatisfied'") == [(1,)]
    assert db("SELECT status FROM petitions WHERE sealed") == [("forwarded",)]
    # The key verification's joint review: one member disagreed with a reason, two owe theirs.
    (review_case,) = db("SELECT case_id FROM joint_reviews WHERE case_id IS NOT NULL")
    opinions = db("SELECT o.position, o.reason FROM joint_review_opinions o JOIN joint_reviews r "
                  "ON r.id = o.review_id WHERE r.case_id = :c AND o.position IS NOT NULL",
                  c=review_case[0])
    assert [p for p, _ in opinions] == ["disagree"] and opinions[0][1]
    assert db("SELECT COUNT(*) FROM tasks WHERE case_id = :c AND element_id = 'member_opinion' "
              "AND status = 'open'", c=review_case[0]) == [(2,)]
    # The village cadre qualification review has no case; its six members all owe a position.
    assert db("SELECT COUNT(*) FROM tasks WHERE case_id IS NULL AND process_key = 'joint_review' "
              "AND element_id = 'member_opinion' AND status = 'open'") == [(6,)]
    assert db("SELECT COUNT(*) FROM zone_escalations WHERE decision IS NULL") == [(1,)]


def test_inspections_and_rectifications_at_every_state(db):
    assert {s for (s,) in db("SELECT status FROM inspections")} == {
        "planned", "findings_recorded", "approved"}
    assert {s for (s,) in db("SELECT status FROM inspection_findings")} >= {
        "recorded", "measures", "rectifying", "verifying", "closed"}
    kinds = [k for (k,) in db("SELECT kind FROM rectification_entries ORDER BY id")]
    assert {"measures", "progress", "refused", "verified"} <= set(kinds)
    assert db("SELECT COUNT(*) FROM inspection_findings WHERE recurring") >= [(2,)]
    assert db("SELECT COUNT(*) FROM inspection_findings WHERE clue_id IS NOT NULL") == [(1,)]
    assert db("SELECT COUNT(*) FROM interference_entries") == [(2,)]


def test_a_notified_quality_review_round_and_zone_scores(db):
    assert db("SELECT status, seed FROM quality_review_rounds") == [("notified", "20260401")]
    items = db("SELECT score, passed, rectification FROM quality_review_items ORDER BY position")
    assert items and all(score is not None for score, _, _ in items)
    # The failed item's township has its rectification (a finding of the round's random check).
    assert [r for _, passed, r in items if not passed] == ["opened"]
    (ref,) = db("SELECT rectification_ref FROM quality_review_items WHERE NOT passed")
    assert db("SELECT f.status, i.kind FROM inspection_findings f JOIN inspections i "
              "ON i.id = f.inspection_id WHERE f.number = :n", n=ref[0]) == [("measures",
                                                                              "random")]
    # Zones for the half-year, the townships' committees for the quarter.
    assert sorted(db("SELECT score FROM evaluation_scores")) == [
        (68.0,), (72.0,), (80.0,), (88.0,), (92.0,)]


def test_the_inboxes_show_the_work(demo_url):
    users = ["clerk", "a-worker", "a-head", "b-head", "d-head", "east-head", "city-chief",
             "trial-officer", "reviewer-org", "reviewer-civil"]
    app = make_app(demo_url)
    try:
        api = ApiClient(app.test_client(), issue_tokens(demo_url, users))

        def inbox(user: str) -> list[dict]:
            resp = api.as_(user).get("/tasks", query={"per_page": 100})
            assert resp.status == 200, resp.json
            return resp.json["items"]
        clerk = inbox("clerk")
        assert [t["element_id"] for t in clerk if t["warning"] == "red"] == ["acceptance_notice"]
        for user in users:
            assert inbox(user), f"{user} has nothing to do"
        # Supervisors also see the work of the units below theirs.
        assert "zone_decide" in {t["element_id"] for t in inbox("east-head")}
        assert "city_approve" in {t["element_id"] for t in inbox("city-chief")}
        # (A township head also sees the city's approval of its own case, not another's.)
        assert "zone_decide" not in {t["element_id"] for t in inbox("a-head")}
        # The review chaired by the zone has answered for org-dept; the village review has not.
        assert [t["case_id"] for t in inbox("reviewer-org")] == [None]
    finally:
        dispose_app(app)


def test_village_matters_and_the_exported_public_site(demo_url, db, tmp_path):
    """A 四议两公开 decision finished after a failed quorum; published items; the exported site
    holds none of the demo's reporter values, raw or masked."""
    from engine.petitions import masking
    assert db("SELECT COUNT(*) FROM village_meetings WHERE NOT quorum_met") == [(1,)]
    assert db("SELECT status, COUNT(*) FROM village_matters GROUP BY status ORDER BY status") == \
        [("finished", 7), ("running", 34)]
    assert db("SELECT COUNT(*) FROM disclosure_items WHERE status = 'approved'") == [(4,)]
    site = tmp_path / "site"
    proc = cli(demo_url, "disclosure-export", "--path", str(site), timeout=120)
    assert proc.returncode == 0, out(proc)
    files = {p: p.read_text(encoding="utf-8") for p in site.rglob("*") if p.is_file()}
    assert len(files) > 10 and (site / "town-a" / "feed.atom").exists()
    # Every feed of the site valid: Atom by RFC 4287's schema, JSON Feed by the 1.1 schema.
    feeds = {str(p.relative_to(site)): p.read_bytes() for p in files if p.name.startswith("feed.")}
    assert len(feeds) >= 6
    assert {path: (atom_errors(data) if path.endswith(".atom") else json_feed_errors(data))
            for path, data in feeds.items()} == {path: [] for path in feeds}
    assert len(atom_titles(feeds["town-a/feed.atom"])) == 4
    text_ = "\n".join(files.values())
    secrets = set()
    for anonymous, *values in db("SELECT anonymous, reporter_name, reporter_id_number, "
                                 "reporter_phone, reporter_address FROM petitions"):
        raw = dict(zip(("name", "id_number", "phone", "address"), values, strict=True))
        secrets |= {v for v in raw.values() if v}
        secrets |= {v for k, v in masking.reporter(bool(anonymous), raw).items()
                    if isinstance(v, str) and len(v.strip("*")) >= 2}
    assert len(secrets) >= 4
    assert [s for s in secrets if s in text_] == []
    assert "钱某" in text_ and "钱二" not in text_ and "孙三" in text_


def test_a_village_matter_waits_at_each_step_of_each_flow(demo_url, db):
    """For 四议两公开 and each micro-power process: the steps where the demo's matters wait are
    exactly the user tasks of the deployed diagram (as the engine parsed it), one matter at each,
    and one matter of the process is finished."""
    from engine.processes.store import compiled_for
    from engine.village.models import MATTER_KINDS
    app = make_app(demo_url)
    runtime = app.extensions["cluedesk"]
    try:
        for kind in MATTER_KINDS:
            key = "village_" + kind
            (definition_id,) = db("SELECT id FROM process_definitions WHERE key = :k "
                                  "ORDER BY version DESC LIMIT 1", k=key)[0]
            compiled = runtime.read(lambda uow, d=definition_id: compiled_for(
                uow.session, runtime, d))
            user_tasks = {e for e, info in compiled.human_tasks.items() if info["kind"] == "user"}
            assert len(user_tasks) >= 4, (key, user_tasks)
            waiting = db("SELECT t.element_id FROM tasks t JOIN village_matters m "
                         "ON m.instance_id = t.instance_id WHERE t.status = 'open' "
                         "AND m.kind = :k", k=kind)
            assert sorted(e for (e,) in waiting) == sorted(user_tasks), key
            assert db("SELECT COUNT(*) FROM village_matters WHERE kind = :k "
                      "AND status = 'finished'", k=kind) == [(1,)], key
            # Each step done on the way is on record (the prerequisite rules let none be skipped).
            assert db("SELECT COUNT(DISTINCT s.step) FROM village_steps s JOIN village_matters m "
                      "ON m.id = s.matter_id WHERE m.kind = :k", k=kind) == [(len(user_tasks),)]
    finally:
        dispose_app(app)
