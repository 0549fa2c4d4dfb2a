"""Village power end to end through HTTP, as the demo users (both databases): a 四议两公开
decision with a failed quorum, a failed vote and reruns, its two disclosures and the supervision
committee's check; a skipped step refused (a designer's diagram without the check); a broken rule
refused, overridden by a township supervisor with a reason and turned into a clue at once; each
micro-power process to its end; who sees what (never a petition or a case for village officers).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from engine.audit.models import AuditEvent
from engine.demo import SAMPLE_REPORTER
from engine.jobs import service as jobs
from engine.petitions import masking
from engine.petitions.models import Petition
from tests.api_client import deploy_processes
from tests.e2e.test_pages_inbox import Browser
from tests.feeds import atom_errors, atom_titles, json_feed_errors, json_feed_titles

ROOT = Path(__file__).resolve().parents[2]
BPMN = ROOT / "bpmn"


@pytest.fixture
def vapi(api):
    deploy_processes(api.as_("designer"))
    return api


def start(api, kind, title="事项", user="east-secretary") -> dict:
    resp = api.as_(user).post("/village/matters", json={"kind": kind, "title": title})
    assert resp.status == 201, resp.json
    return resp.json


def open_task(api, user, matter) -> dict:
    found = [t for t in api.as_(user).get("/tasks").json["items"]
             if t["instance_id"] == matter["instance_id"]]
    assert len(found) == 1, found
    return found[0]


def do(api, user, matter, element_id, data, status=200) -> dict:
    task = open_task(api, user, matter)
    assert task["element_id"] == element_id
    resp = api.as_(user).complete(task, data)
    assert resp.status == status, resp.json
    return resp.json


def matter_of(api, matter, user="east-secretary") -> dict:
    resp = api.as_(user).get(f"/village/matters/{matter['id']}")
    assert resp.status == 200, resp.json
    return resp.json


def meeting(members=30, present=25, votes_for=20, against=3, abstain=2, on="2026-03-02",
            resolution="同意") -> dict:
    return {"held_on": on, "members": members, "present": present, "votes_for": votes_for,
            "votes_against": against, "votes_abstain": abstain, "resolution": resolution}


PUBLISHED = {"published_from": "2026-03-03", "published_to": "2026-03-09",
             "published_where": "村务公开栏"}
CHECKED = {"check_agreed": True, "check_opinion": "程序合规"}


def decided(api, title="村集体鱼塘发包") -> dict:
    """A 四议两公开 decision carried through to its end without incident."""
    m = start(api, "four_two", title)
    for step in ("propose", "deliberate", "review", "resolve"):
        do(api, "east-secretary", m, step, meeting())
    do(api, "east-secretary", m, "disclose_vote", PUBLISHED)
    do(api, "east-monitor", m, "supervise_check", CHECKED)
    do(api, "east-clerk", m, "implement", {"implementation": "已公开发包"})
    do(api, "east-clerk", m, "disclose_result", PUBLISHED)
    return matter_of(api, m)


def test_four_two_decision_with_a_failed_quorum_a_failed_vote_and_reruns(vapi):
    m = start(vapi, "four_two", "村道硬化工程")
    assert m["status"] == "running" and m["number"].startswith("village-a-east-2026-V")
    do(vapi, "east-secretary", m, "propose", meeting(members=5, present=5, votes_for=5,
                                                      against=0, abstain=0))
    do(vapi, "east-clerk", m, "deliberate", meeting(members=9, present=8, votes_for=7,
                                                     against=1, abstain=0))
    do(vapi, "east-secretary", m, "review", meeting(members=40, present=30, votes_for=25))
    # Villagers' representatives: 19 of 30 present is short of two thirds (20): recorded, rerun.
    do(vapi, "east-secretary", m, "resolve", meeting(present=19, votes_for=19, against=0,
                                                      abstain=0, resolution="流会"))
    # 20 present, 10 for: not more than half: the vote fails, recorded, rerun.
    do(vapi, "east-secretary", m, "resolve", meeting(present=20, votes_for=10, against=8,
                                                      abstain=2, resolution="未通过"))
    # The arithmetic must hold (422, nothing recorded).
    do(vapi, "east-secretary", m, "resolve", meeting(present=20, votes_for=30), status=422)
    do(vapi, "east-secretary", m, "resolve", meeting(present=20, votes_for=11, against=8,
                                                      abstain=1, resolution="通过"))
    # A publication shorter than the minimum (5 days) is a broken rule.
    short = do(vapi, "east-secretary", m, "disclose_vote",
               {**PUBLISHED, "published_to": "2026-03-04"}, status=422)
    assert short["error"]["reason"] == "village_rule_broken"
    assert short["error"]["params"]["rule"] == "disclosure_too_short"
    do(vapi, "east-secretary", m, "disclose_vote", PUBLISHED)
    # Officers do not check; the supervision committee does, and may send it back.
    assert [t for t in vapi.as_("east-secretary").get("/tasks").json["items"]
            if t["instance_id"] == m["instance_id"]] == []
    do(vapi, "east-monitor", m, "supervise_check", {"check_agreed": False}, status=422)
    do(vapi, "east-monitor", m, "supervise_check",
       {"check_agreed": False, "check_opinion": "表决票未存档"})
    do(vapi, "east-secretary", m, "resolve", meeting(present=22, votes_for=18, against=2,
                                                      abstain=2, resolution="通过（补存表决票）"))
    do(vapi, "east-secretary", m, "disclose_vote", PUBLISHED)
    do(vapi, "east-monitor", m, "supervise_check", CHECKED)
    do(vapi, "east-clerk", m, "implement", {"implementation": "完成硬化1.2公里"})
    do(vapi, "east-clerk", m, "disclose_result", {**PUBLISHED, "published_from": "2026-03-10",
                                                  "published_to": "2026-03-20"})
    done = matter_of(vapi, m)
    assert done["status"] == "finished" and done["open_tasks"] == []
    resolve = [(x["present"], x["votes_for"], x["quorum_met"], x["passed"])
               for x in done["meetings"] if x["step"] == "resolve"]
    assert resolve == [(19, 19, False, False), (20, 10, True, False), (20, 11, True, True),
                       (22, 18, True, True)]
    assert [x["body"] for x in done["meetings"]][:4] == ["党支部会提议", "两委会商议", "党员大会审议",
                                                         "村民代表会议决议"]
    outcomes = [(s["step"], s["outcome"]) for s in done["steps"]]
    assert ("supervise_check", "objected") in outcomes and outcomes[-1] == \
        ("disclose_result", "done")
    disclosures = [s["facts"] for s in done["steps"] if s["step"].startswith("disclose_")]
    assert disclosures[-1]["published_from"] == "2026-03-10"
    assert vapi.as_("east-monitor").get(f"/village/matters/{m['id']}").status == 200
    assert vapi.as_("a-head").get(f"/village/matters/{m['id']}").status == 200


@pytest.mark.parametrize("settings_overrides", [{"village": {"quorum": "1/2",
                                                             "majority": "2/3"}}])
def test_meeting_rules_are_configurable(vapi, settings_overrides):
    m = start(vapi, "four_two")
    # 15 of 30 is quorate at one half; 10 of 15 is not more than two thirds.
    do(vapi, "east-secretary", m, "propose", meeting(present=15, votes_for=10, against=5,
                                                      abstain=0))
    do(vapi, "east-secretary", m, "propose", meeting(present=15, votes_for=11, against=4,
                                                      abstain=0))
    assert [(x["quorum_met"], x["passed"]) for x in matter_of(vapi, m)["meetings"]] == \
        [(True, False), (True, True)]


def test_a_skipped_step_is_refused(vapi):
    # A designer's version of the seal process that goes from approval straight to the seal.
    xml = (BPMN / "village_seal.bpmn").read_text(encoding="utf-8")
    xml = xml.replace('targetRef="supervise_check"', 'targetRef="register_seal"')
    assert vapi.as_("designer").deploy(xml.encode(), "village_seal.bpmn").status == 201
    m = start(vapi, "seal", "出具证明")
    do(vapi, "east-clerk", m, "apply_seal", {"document": "收入证明", "purpose": "助学贷款"})
    do(vapi, "east-secretary", m, "approve_seal", {"approval_opinion": "同意"})
    refused = do(vapi, "east-clerk", m, "register_seal", {"used_on": "2026-03-02"}, status=409)
    assert refused["error"]["reason"] == "village_step_skipped"
    assert refused["error"]["params"] == {"step": "register_seal", "missing": "supervise_check"}
    assert matter_of(vapi, m)["status"] == "running"


def test_a_broken_rule_overridden_with_a_reason_becomes_a_clue(vapi):
    m = start(vapi, "expense", "办公用品报销", user="east-clerk")
    body = {"amount": 800, "purpose": "办公用品", "receipts": 0}
    refused = do(vapi, "east-clerk", m, "apply_expense", body, status=422)
    assert refused["error"]["params"]["rule"] == "receipts_missing"
    # Only a supervisor above the village overrides, with a reason.
    override = {"rule": "receipts_missing", "reason": "发票遗失，已由供货方出具证明"}
    for user in ("east-secretary", "east-monitor", "b-head", "a-worker"):
        assert vapi.as_(user).post(f"/village/matters/{m['id']}/overrides",
                                   json=override).status in (403, 404), user
    assert vapi.as_("a-head").post(f"/village/matters/{m['id']}/overrides",
                                   json={**override, "reason": ""}).status == 422
    made = vapi.as_("a-head").post(f"/village/matters/{m['id']}/overrides", json=override)
    assert made.status == 201, made.json
    assert made.json["clue_number"].startswith("town-a-2026-L") and not made.json["used"]
    clue = vapi.as_("a-head").get(f"/clues/{made.json['clue_id']}")
    assert clue.status == 200, clue.json
    assert clue.json["accused"]["name"] == "东村村委会委员" and "发票遗失" in clue.json["summary"]
    # The clue is in the township's disposition at once.
    assert any(t["element_id"] == "propose_disposition" and t["case_id"] == clue.json["case_id"]
               for t in vapi.as_("a-worker").get("/tasks").json["items"])
    do(vapi, "east-clerk", m, "apply_expense", body)
    # The override is used once; the four-eyes rule holds on approval.
    four_eyes = do(vapi, "east-clerk", m, "approve_expense", {"approval_opinion": "同意"},
                   status=422)
    assert four_eyes["error"]["params"]["rule"] == "four_eyes"
    do(vapi, "east-secretary", m, "approve_expense", {"approval_opinion": "同意"})
    seen = matter_of(vapi, m)
    assert seen["overrides"][0]["used"] and seen["steps"][0]["facts"]["overridden"] == \
        ["receipts_missing"]
    events = vapi.as_("a-head").get(f"/cases/{clue.json['case_id']}/history")
    assert events.status == 200


LIBRARY = {
    "asset_lease": [("east-secretary", "apply_lease", {"asset": "村集体仓库", "term_years": 3,
                                                       "reserve_rent": 20000,
                                                       "decision_number": "{decision}"}),
                    ("east-clerk", "bidding", {"bidders": 3, "winner": "某商贸公司",
                                               "rent": 26000, "reserve_rent": 20000}),
                    ("east-monitor", "supervise_check", CHECKED),
                    ("east-secretary", "sign_contract", {"contract_on": "2026-03-12",
                                                         **PUBLISHED})],
    "project_award": [("east-secretary", "propose_project", {"project": "村道路灯", "budget": 90000}),
                      ("east-clerk", "tender", {"bidders": 3, "winner": "某建设公司",
                                                "price": 85000, "budget": 90000}),
                      ("east-monitor", "supervise_check", CHECKED),
                      ("east-secretary", "accept_project", {"accepted_on": "2026-04-01",
                                                            "acceptance_report": "合格"})],
    "subsidy": [("east-clerk", "apply_subsidy", {"applicant": "村民甲", "subsidy_kind": "低保",
                                                 "household_size": 3}),
                ("east-secretary", "democratic_review", meeting()),
                ("east-clerk", "publicize", PUBLISHED),
                ("east-monitor", "supervise_check", CHECKED),
                ("east-clerk", "report_township", {"reported_on": "2026-03-10"})],
    "seal": [("east-clerk", "apply_seal", {"document": "证明", "purpose": "办理贷款"}),
             ("east-secretary", "approve_seal", {"approval_opinion": "同意"}),
             ("east-monitor", "supervise_check", CHECKED),
             ("east-clerk", "register_seal", {"used_on": "2026-03-02"})],
    "expense": [("east-clerk", "apply_expense", {"amount": 8000, "purpose": "修缮村委会",
                                                 "receipts": 4, "decision_number": "{decision}"}),
                ("east-secretary", "approve_expense", {"approval_opinion": "同意"}),
                ("east-monitor", "supervise_check", CHECKED),
                ("east-clerk", "pay_expense", {"paid_on": "2026-03-05", "voucher": "记-012"})],
    "homestead": [("east-clerk", "apply_homestead", {"applicant": "村民乙", "location": "东村3组",
                                                     "area": 110}),
                  ("east-secretary", "democratic_review", meeting()),
                  ("east-clerk", "publicize", PUBLISHED),
                  ("east-monitor", "supervise_check", CHECKED),
                  ("east-clerk", "report_township", {"reported_on": "2026-03-10"})],
}


@pytest.mark.parametrize("kind", sorted(LIBRARY))
def test_each_library_process_runs_to_its_end(vapi, kind):
    decision = decided(vapi)["number"]
    steps = LIBRARY[kind]
    m = start(vapi, kind, user=steps[0][0])
    for user, element_id, data in steps:
        data = {k: (decision if v == "{decision}" else v) for k, v in data.items()}
        do(vapi, user, m, element_id, data)
    done = matter_of(vapi, m)
    assert done["status"] == "finished" and done["open_tasks"] == []
    assert [s["step"] for s in done["steps"]] == [e for _, e, _ in steps]


def test_a_lease_needs_a_passed_decision_of_the_same_village(vapi):
    other = decided(vapi)["number"]
    m = start(vapi, "asset_lease", "仓库出租")
    lease = {"asset": "仓库", "term_years": 3, "reserve_rent": 1000}
    for number in (None, "village-a-east-2026-V999999"):
        body = {**lease, **({"decision_number": number} if number else {})}
        refused = do(vapi, "east-secretary", m, "apply_lease", body, status=422)
        assert refused["error"]["params"]["rule"] == "decision_required"
    do(vapi, "east-secretary", m, "apply_lease", {**lease, "decision_number": other})
    few = do(vapi, "east-clerk", m, "bidding", {"bidders": 2, "winner": "甲", "rent": 1200,
                                                 "reserve_rent": 1000}, status=422)
    assert few["error"]["params"]["rule"] == "too_few_bidders"


def test_who_sees_village_matters(vapi):
    m = start(vapi, "seal", "出具证明")
    for user in ("east-secretary", "east-clerk", "east-monitor", "a-head", "a-worker",
                 "east-head", "chief", "a-editor"):
        assert vapi.as_(user).get(f"/village/matters/{m['id']}").status == 200, user
    for user in ("west-secretary", "b-head", "b-worker", "clerk", "admin"):
        assert vapi.as_(user).get(f"/village/matters/{m['id']}").status == 404, user
        assert m["id"] not in [x["id"] for x in
                               vapi.as_(user).get("/village/matters").json], user
    assert vapi.as_("west-secretary").get("/tasks").json["items"] == []
    # Only officers of a village start its matters.
    assert vapi.as_("east-monitor").post("/village/matters", json={
        "kind": "seal", "title": "x"}).status == 403
    assert vapi.as_("a-head").post("/village/matters", json={
        "kind": "seal", "title": "x"}).status == 403


def test_village_officers_never_see_a_petition_or_a_case(vapi):
    petition = vapi.as_("clerk").post("/petitions", json={
        "channel": "letter", "received_at": "2026-03-01T02:00:00+00:00",
        "reporter": {"anonymous": False, "name": "赵大", "phone": "13900000001"},
        "accused": [{"name": "钱二", "post": "村委会主任", "unit": "东村", "level": "village"}],
        "township": "town-a", "village": "东村", "category": "welfare_funds",
        "content": "东村村委会主任钱二虚报低保。"})
    assert petition.status == 201, petition.json
    for user in ("east-secretary", "east-clerk", "east-monitor", "a-editor"):
        assert vapi.as_(user).get(f"/petitions/{petition.json['id']}").status in (403, 404)
        assert vapi.as_(user).get(f"/cases/{petition.json['case_id']}").status in (403, 404)
        assert vapi.as_(user).get("/cases").status in (200, 403, 404)


# ---------------------------------------------------------------------------------------------
# Disclosure

REPORTER = dict(SAMPLE_REPORTER)


def reporter_petition(api) -> dict:
    resp = api.as_("clerk").post("/petitions", json={
        "channel": "letter", "received_at": "2026-03-01T02:00:00+00:00", "reporter": REPORTER,
        "accused": [{"name": "钱二", "post": "村委会主任", "unit": "东村", "level": "village"}],
        "township": "town-a", "village": "东村", "category": "welfare_funds",
        "content": "东村村委会主任钱二虚报低保。"})
    assert resp.status == 201, resp.json
    return resp.json


def approve(api, item, approved=True, opinion=""):
    task = [t for t in api.as_("a-head").get("/tasks").json["items"]
            if t["instance_id"] == item["instance_id"]]
    assert len(task) == 1 and task[0]["element_id"] == "approve", task
    resp = api.as_("a-head").complete(task[0], {"disclosure_approved": approved,
                                                "approval_opinion": opinion})
    assert resp.status == 200, resp.json


def export(api, runtime, user="a-editor") -> dict:
    resp = api.as_(user).post("/disclosures/export")
    assert resp.status == 202, resp.json
    assert jobs.run_next(runtime, "test-worker")
    done = api.as_(user).get(f"/disclosures/exports/{resp.json['id']}")
    assert done.status == 200 and done.json["status"] == "done", done.json
    return done.json


def site_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def secrets_of(runtime) -> list[str]:
    """Every reporter value on record, and every masked form of it the pages show."""
    def read(uow):
        rows = uow.session.execute(select(
            Petition.anonymous, Petition.reporter_name, Petition.reporter_id_number,
            Petition.reporter_phone, Petition.reporter_address)).all()
        found = set()
        for anonymous, name, id_number, phone, address in rows:
            raw = {"name": name, "id_number": id_number, "phone": phone, "address": address}
            found |= {v for v in raw.values() if v}
            found |= {v for k, v in masking.reporter(anonymous, raw).items()
                      if isinstance(v, str) and k != "masked" and len(v.strip("*·. ")) >= 2}
        return sorted(found)
    return runtime.read(read)


def check_atom(data: bytes) -> list[str]:
    """Valid by RFC 4287's RELAX NG schema and rules; the entries' titles."""
    titles = atom_titles(data)
    # A SHOULD of RFC 4287 (4.1.1) that the schema leaves out: the feed names its own address.
    assert etree.fromstring(data).find("{http://www.w3.org/2005/Atom}link[@rel='self']") \
        is not None
    return titles


def check_json_feed(data: bytes) -> list[str]:
    """Valid by the JSON Feed 1.1 schema; the items' titles."""
    return json_feed_titles(data)


@pytest.fixture
def export_dir(tmp_path):
    return tmp_path / "site"


@pytest.fixture
def settings_overrides(export_dir):
    return {"village": {"export_path": str(export_dir)}}


def test_disclosure_approve_export_withdraw_and_export_again(vapi, runtime, export_dir):
    petition = reporter_petition(vapi)
    decision = decided(vapi)
    # The editor writes items; who may not, may not.
    item = {"unit": "village-a-east", "kind": "decision", "title": "东村鱼塘发包决定公开",
            "matter_id": decision["id"]}
    for user in ("east-secretary", "a-worker", "b-head"):
        assert vapi.as_(user).post("/disclosures", json=item).status == 403, user
    made = vapi.as_("a-editor").post("/disclosures", json=item)
    assert made.status == 201, made.json
    decision_item = made.json
    assert decision_item["status"] == "pending" and "村民代表会议决议" in decision_item["body"]
    # Never reporter data; the accused named only when the decision says 点名通报.
    leak = vapi.as_("a-editor").post("/disclosures", json={
        "unit": "town-a", "kind": "typical_case", "title": "通报",
        "body": f"经查，举报人{REPORTER['phone']}反映的问题属实。"})
    assert leak.status == 422 and leak.json["error"]["reason"] == "disclosure_reporter_data"
    named = vapi.as_("a-editor").post("/disclosures", json={
        "unit": "town-a", "kind": "typical_case", "title": "违规发放低保典型案例",
        "body": "钱二利用职务便利为亲属违规办理低保。", "accused_name": "钱二"})
    assert named.status == 422 and named.json["error"]["reason"] == "disclosure_names_accused"
    case = vapi.as_("a-editor").post("/disclosures", json={
        "unit": "town-a", "kind": "typical_case", "title": "违规发放低保典型案例",
        "body": "东村村委会主任利用职务便利为亲属违规办理低保，受到党内警告处分。",
        "accused_name": "钱二"}).json
    assert case["published_name"] == "钱某"
    public = vapi.as_("a-editor").post("/disclosures", json={
        "unit": "town-a", "kind": "typical_case", "title": "点名通报：孙三违规收受礼金",
        "body": "西村党支部书记孙三违规收受礼金，受到党内严重警告处分。",
        "accused_name": "孙三", "name_publicly": True}).json
    stats = vapi.as_("a-editor").post("/disclosures", json={
        "unit": "town-a", "kind": "statistics", "title": "一季度小微权力事项统计"}).json
    assert "四议两公开：办结1件" in stats["body"]
    # Approval: one is sent back, revised and approved.
    approve(vapi, decision_item)
    approve(vapi, case, approved=False, opinion="补充处分依据")
    revise = [t for t in vapi.as_("a-editor").get("/tasks").json["items"]
              if t["instance_id"] == case["instance_id"]]
    assert vapi.as_("a-editor").complete(revise[0], {
        "title": case["title"], "body": case["body"] + "依据《中国共产党纪律处分条例》。"}).status == 200
    approve(vapi, case)
    approve(vapi, public)
    approve(vapi, stats)
    # The list says what each item's own page says, who wrote and approved it included.
    listed = {d["id"]: d for d in vapi.as_("a-editor").get("/disclosures").json}
    for one in (decision_item, case, public, stats):
        single = vapi.as_("a-editor").get(f"/disclosures/{one['id']}").json
        assert listed[one["id"]] == single and single["created_by"] and single["approved_by"]
    # The preview is exactly what the export writes.
    assert vapi.as_("east-secretary").get("/disclosures/preview").status == 403
    preview = vapi.as_("a-editor").get("/disclosures/preview")
    assert preview.status == 200
    export(vapi, runtime)
    files = site_files(export_dir)
    assert {f["path"]: f["sha256"] for f in preview.json} == \
        {p: hashlib.sha256(d).hexdigest() for p, d in files.items()}
    for place in ("town-a/", "town-a/village-a-east/", "town-b/"):
        for name in ("index.html", "feed.atom", "feed.json"):
            assert place + name in files, place + name
    town = check_atom(files["town-a/feed.atom"])
    assert sorted(town) == sorted([decision_item["title"], case["title"], public["title"],
                                   stats["title"]])
    assert check_json_feed(files["town-a/feed.json"]) == town
    assert check_atom(files["town-a/village-a-east/feed.atom"]) == [decision_item["title"]]
    assert check_json_feed(files["town-b/feed.json"]) == []
    # The validators are not lenient: the same feeds, broken, are refused.
    atom = files["town-a/feed.atom"]
    assert atom_errors(atom.replace(b"<id>", b"<ident>", 1).replace(b"</id>", b"</ident>", 1))
    assert atom_errors(re.sub(rb"<updated>[^<]+</updated>", b"<updated>2026-3-1</updated>", atom))
    assert atom_errors(re.sub(rb"<author>.*?</author>", b"", atom, flags=re.S))
    feed = json.loads(files["town-a/feed.json"])
    for broken in ({**feed, "version": "1.1"}, {**feed, "items": [
            {k: v for k, v in feed["items"][0].items() if k != "content_html"}]},
            {**feed, "items": [{**feed["items"][0], "date_published": "2026-03-01"}]}):
        assert json_feed_errors(json.dumps(broken).encode()), broken
    everything = "\n".join(d.decode("utf-8") for d in files.values())
    assert "钱某" in everything and "钱二" not in everything and "孙三" in everything
    secrets = secrets_of(runtime)
    assert {REPORTER["phone"], REPORTER["name"], "138****5678"} <= set(secrets)
    assert [s for s in secrets if s in everything] == []
    # Withdrawn: gone from the next export.
    assert vapi.as_("east-secretary").post(f"/disclosures/{decision_item['id']}/withdraw",
                                           json={"reason": "x"}).status == 403
    gone = vapi.as_("a-editor").post(f"/disclosures/{decision_item['id']}/withdraw",
                                     json={"reason": "合同变更，重新公开"})
    assert gone.status == 200 and gone.json["status"] == "withdrawn"
    export(vapi, runtime)
    again = site_files(export_dir)
    assert f"items/{decision_item['number']}.html" not in again
    assert check_atom(again["town-a/village-a-east/feed.atom"]) == []
    assert decision_item["title"] not in check_json_feed(again["town-a/feed.json"])
    # Audited.
    actions = runtime.read(lambda uow: [e.action for e in uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("disclosure_%")))])
    for action in ("disclosure_created", "disclosure_approved", "disclosure_sent_back",
                   "disclosure_revised", "disclosure_withdrawn", "disclosure_exported"):
        assert action in actions, action
    assert petition["id"]


def test_pages_village_and_disclosure(vapi, app, runtime):
    """The pages in Chinese, as the village secretary, the committee, the editor and a head."""
    secretary = Browser(app, "east-secretary")
    home = secretary.get("/village")
    assert home.status_code == 200 and "发起事项" in home.get_data(as_text=True)
    started = secretary.post("/village/matters", {"kind": "four_two", "title": "村部修缮"})
    assert started.status_code == 204, started.get_data(as_text=True)
    page = secretary.get(started.headers["HX-Redirect"]).get_data(as_text=True)
    assert "村部修缮" in page and "党支部会提议" in page and "四议两公开" in page
    m = vapi.as_("east-secretary").get("/village/matters").json[0]
    do(vapi, "east-secretary", m, "propose", meeting(present=3, members=5, votes_for=3,
                                                      against=0, abstain=0))
    page = secretary.get(f"/village/matters/{m['id']}").get_data(as_text=True)
    assert "不足法定人数，重新召开" in page
    # The step waits in the inbox, shown with the matter's number and title.
    inbox = secretary.get("/inbox").get_data(as_text=True)
    assert m["number"] in inbox and "村部修缮" in inbox and "党支部会提议" in inbox
    assert Browser(app, "west-secretary").get(f"/village/matters/{m['id']}").status_code == 404
    head = Browser(app, "a-head").get(f"/village/matters/{m['id']}").get_data(as_text=True)
    assert "放行" in head
    editor = Browser(app, "a-editor")
    made = editor.post("/disclosure/items", {"unit": "town-a", "kind": "statistics",
                                             "title": "季度统计"})
    assert made.status_code == 200 and "已提交审核" in made.headers["HX-Trigger"].encode() \
        .decode("unicode_escape")
    item = vapi.as_("a-editor").get("/disclosures").json[0]
    approve(vapi, item)
    page = editor.get("/disclosure").get_data(as_text=True)
    assert "导出公开网站" in page and "town-a/feed.atom" in page and "季度统计" in page
    feed = editor.get("/disclosure/preview/town-a/feed.atom")
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith(
        "application/atom+xml")
    assert check_atom(feed.get_data()) == ["季度统计"]
    assert secretary.get("/disclosure").status_code == 403
