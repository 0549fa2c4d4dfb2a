"""Quality review rounds (sample, reviewers, checklist, notice) and the zones' evaluation, through
the HTTP API on both databases, with figures worked out by hand."""
from __future__ import annotations

import io
import re
from datetime import datetime, UTC
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from engine.cases.models import Case
from engine.clues.models import Clue
from engine.deadlines.models import Deadline
from engine.org.models import Unit, User
from engine.petitions.models import Petition
from engine.quality import service as quality
from engine.quality.models import ReviewItem
from engine.org.tree import Tree
from engine.supervision.models import Finding, Inspection
from engine.views.evaluation_board import evaluation_view
from engine.visits.models import ReturnVisit
from tests.api_client import deploy_all
from tests.e2e.test_pages_admin import Browser

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


def deploy_rectification(api):
    resp = deploy_all(api.as_("designer"), [BPMN / "rectification.bpmn"])
    assert resp.status == 201, resp.json


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def seed_items(runtime) -> dict:
    """Closed in the fourth quarter of 2025 (the clock is 2 March 2026): town-a 8 petitions,
    town-b 3 filed cases, town-d 2 clues; town-c nothing. Plus the evaluation's rows for the
    second half of 2025."""
    def work(uow):
        s = uow.session
        ids = dict(s.execute(select(Unit.code, Unit.id)).all())
        clerk = s.scalar(select(User.id).where(User.username == "clerk"))
        now = at("2025-07-01T09:00:00+08:00")
        seq = iter(range(1, 1000))

        def case(unit, **kw):
            n = next(seq)
            c = Case(number=f"qr-C{n:04d}", display_number=f"评查〔2025〕案件{n}号",
                     process_key="petition_intake",
                     registered_unit_id=ids["petition-office"], handling_unit_id=ids[unit],
                     first_handling_unit_id=ids[unit], created_at=now, **kw)
            s.add(c)
            s.flush()
            return c
        out = {"petitions": [], "cases": [], "clues": []}
        for day in range(1, 9):
            c = case("town-a", status="closed", closed_at=at(f"2025-11-{day:02d}T10:00:00+08:00"))
            p = Petition(number=f"qr-P{day:04d}", display_number=f"评查〔2025〕信访{day}号",
                         case_id=c.id, channel="letter",
                         received_at=at("2025-10-01T09:00:00+08:00"), registered_at=now,
                         registered_by_id=clerk, unit_id=ids["petition-office"],
                         status="accepted", updated_at=now)
            s.add(p)
            s.flush()
            out["petitions"].append(p.display_number)
        for day in (3, 4, 5):
            c = case("town-b", status="closed", filed_at=at(f"2025-08-{day:02d}T10:00:00+08:00"),
                     closed_at=at(f"2025-12-{day:02d}T10:00:00+08:00"))
            out["cases"].append(c.display_number)
        case("town-b", status="closed", closed_at=at("2026-01-05T10:00:00+08:00"))  # Q1
        c = case("town-d", status="open", filed_at=at("2025-09-01T10:00:00+08:00"))
        for day in (6, 7):
            clue = Clue(number=f"qr-L{day:04d}", display_number=f"评查〔2025〕线索{day}号",
                        case_id=c.id, status="closed",
                        unit_id=ids["town-d"], closed_at=at(f"2025-12-{day:02d}T10:00:00+08:00"),
                        created_at=now, updated_at=now)
            s.add(clue)
            out["clues"].append(clue.display_number)
        east_case = s.scalar(select(Case).where(Case.display_number == out["cases"][0]))

        def deadline(key, unit, due, status):
            s.add(Deadline(key=key, case_id=east_case.id if unit != "town-d" else c.id,
                           unit_id=ids[unit], started_at=now, amount=15, unit="working_days",
                           due_at=at(due), status=status, updated_at=now))
        for i, status in enumerate(("met", "met", "met", "breached")):
            deadline("acceptance_notice", "town-a", f"2025-09-1{i}T23:59:59+08:00", status)
        deadline("acceptance_notice", "town-a", "2026-01-10T23:59:59+08:00", "breached")  # H1
        deadline("acceptance_notice", "town-a", "2025-03-10T23:59:59+08:00", "met")  # 2025-H1
        deadline("disposal_proposal", "town-b", "2025-10-10T23:59:59+08:00", "met")
        deadline("disposal_proposal", "town-b", "2025-10-11T23:59:59+08:00", "met")
        deadline("disposal_proposal", "town-d", "2025-10-12T23:59:59+08:00", "breached")
        for satisfaction in ("satisfied", "basically_satisfied", "dissatisfied"):
            s.add(ReturnVisit(case_id=east_case.id, kind="reporter", satisfaction=satisfaction,
                              visited_at=at("2025-12-20T10:00:00+08:00"), notes=""))
        # Rectifications due in the second half of 2025: town-b's closed on time and late.
        inspection = Inspection(number="qr-I0001", display_number="评查〔2025〕督查1号",
                                unit_id=ids["supervision-office"],
                                kind="special", title="乙镇2025年下半年专项督查", targets=["town-b"],
                                inspectors=["s-inspector"], status="approved",
                                created_by_id=clerk, created_at=now)
        s.add(inspection)
        s.flush()
        for n, (due, closed) in enumerate((("2025-10-20", "2025-10-18"),
                                           ("2025-11-20", "2025-11-25"))):
            s.add(Finding(number=f"qr-F{n:04d}", display_number=f"评查〔2025〕问题{n + 1}号",
                          inspection_id=inspection.id,
                          unit_id=ids["town-b"], category="other", description="问题",
                          responsible_person="乙镇", time_limit_days=20,
                          due_at=at(f"{due}T23:59:59+08:00"),
                          closed_at=at(f"{closed}T10:00:00+08:00"), status="closed",
                          created_at=now, updated_at=now))
        s.flush()
        return out
    return runtime.transact(work)


ALL_PASS = {"procedure": True, "deadlines": True, "documents": True, "evidence": True,
            "feedback": True}


def draw(api, **over):
    body = {"year": 2025, "quarter": 4, "share": 0.3, "seed": "42",
            "reviewers": ["b-worker", "a-worker", "d-worker"], **over}
    return api.as_("chief").post("/quality-reviews", json=body)


def test_the_sample_is_reproducible_from_its_seed_and_differs_with_another(api, runtime):
    made = seed_items(runtime)
    resp = draw(api)
    assert resp.status == 201, resp.json
    rnd = resp.json
    assert rnd["seed"] == "42" and rnd["status"] == "drawn"
    by_unit: dict[str, list[str]] = {}
    for item in rnd["items"]:
        by_unit.setdefault(item["unit"], []).append(item["number"])
    # ceil(30% of 8) = 3 of town-a's petitions; ceil(30% of 3) = 1 case; ceil(30% of 2) = 1 clue;
    # town-c closed nothing and has no item.
    assert {u: len(n) for u, n in by_unit.items()} == {"town-a": 3, "town-b": 1, "town-d": 1}
    assert set(by_unit["town-a"]) <= set(made["petitions"])
    assert set(by_unit["town-b"]) <= set(made["cases"])
    assert set(by_unit["town-d"]) <= set(made["clues"])
    # Drawn again from the recorded seed: the same items; another seed: another sample.
    again = api.as_("chief").get(f"/quality-reviews/{rnd['id']}/redraw")
    assert again.status == 200 and again.json["same"] is True
    assert again.json["items"] == [i["number"] for i in rnd["items"]]
    other = api.as_("chief").get(f"/quality-reviews/{rnd['id']}/redraw", query={"seed": "7"})
    assert other.json["same"] is False and other.json["items"] != again.json["items"]
    # The service draws the same twice (no state kept between draws).
    def twice(uow):
        tree = Tree(uow.session)
        p = quality.quarter_period(runtime, 2025, 4)
        return [[c.number for c in quality.draw(uow.session, tree=tree, scope=tree.get("county"),
                                                 p=p, year=2025, quarter=4, share=0.3,
                                                 seed="42")] for _ in range(2)]
    first, second = runtime.read(twice)
    assert first == second == again.json["items"]
    # One round per unit and quarter; the seed stays on record.
    assert draw(api).status == 409
    assert api.as_("chief").get(f"/quality-reviews/{rnd['id']}").json["seed"] == "42"


def test_reviewers_score_other_units_a_failing_item_needs_rectification_and_the_notice(
        api, runtime):
    seed_items(runtime)
    deploy_rectification(api)
    # Before any round the last complete quarter's notice is missing: flagged.
    flags = api.as_("chief").get("/reports/flags", query={"unit": "county"}).json
    (owed,) = flags["quality_review_notice"]["items"]
    assert owed["unit"] == "county" and owed["flagged"] is True and owed["drawn"] is False
    rnd = draw(api).json
    items = {i["unit"]: i for i in rnd["items"]}
    town_a = items["town-a"]
    # A reviewer from the reviewed township is refused; so is someone not on the round.
    refused = api.as_("a-worker").post(f"/quality-reviews/items/{town_a['id']}/score",
                                       json={"checks": ALL_PASS})
    assert refused.status == 403 and "own unit" in refused.json["error"]["message"]
    stranger = api.as_("b-head").post(f"/quality-reviews/items/{town_a['id']}/score",
                                        json={"checks": ALL_PASS})
    assert stranger.status in (403, 404)
    # The reviewer reads the case record of the item (not their unit's case).
    assert api.as_("b-worker").get(f"/cases/{town_a['case_id']}").status == 200
    assert api.as_("b-head").get(f"/cases/{town_a['case_id']}").status in (403, 404)
    # Failing: evidence insufficient (25) and no feedback (10): 65 < 80.
    failing = {**ALL_PASS, "evidence": False, "feedback": False}
    no_comment = api.as_("b-worker").post(f"/quality-reviews/items/{town_a['id']}/score",
                                          json={"checks": failing})
    assert no_comment.status == 422
    scored = api.as_("b-worker").post(f"/quality-reviews/items/{town_a['id']}/score",
                                      json={"checks": failing, "comment": "证据不足，未反馈"})
    assert scored.status == 200, scored.json
    assert scored.json["score"] == 65 and scored.json["passed"] is False
    assert scored.json["rectification"] == "needs_rectification"
    # The notice waits for every item.
    early = api.as_("chief").post(f"/quality-reviews/{rnd['id']}/notice")
    assert early.status == 409 and "not scored" in early.json["error"]["message"]
    for item in rnd["items"]:
        if item["id"] == town_a["id"]:
            continue
        reviewer = "b-worker" if item["unit"] != "town-b" else "a-worker"
        resp = api.as_(reviewer).post(f"/quality-reviews/items/{item['id']}/score",
                                      json={"checks": ALL_PASS})
        assert resp.status == 200 and resp.json["passed"] is True
    # A township's own supervisor cannot issue the county's notice.
    assert api.as_("a-head").post(f"/quality-reviews/{rnd['id']}/notice").status == 403
    done = api.as_("chief").post(f"/quality-reviews/{rnd['id']}/notice")
    assert done.status == 200 and done.json["status"] == "notified"
    results = {r["unit"]: r for r in done.json["results"]}
    # town-a: 65 and twice 100.
    assert results["town-a"] == {"unit": "town-a", "name": "甲镇纪委", "items": 3, "scored": 3,
                                 "passed": 2, "failed": 1, "average": 88.3,
                                 "rectifications": 1}
    assert results["town-b"]["average"] == 100.0 and results["town-b"]["rectifications"] == 0
    # After the notice nothing changes and the flag is lifted.
    late = api.as_("b-worker").post(f"/quality-reviews/items/{town_a['id']}/score",
                                    json={"checks": ALL_PASS})
    assert late.status == 409
    flags = api.as_("chief").get("/reports/flags", query={"unit": "county"}).json
    (owed,) = flags["quality_review_notice"]["items"]
    assert owed["flagged"] is False and owed["round"] == rnd["id"]
    # The notice as Excel: results per unit, then every item with its checks.
    resp = api.as_("chief").client.get(f"/api/v1/quality-reviews/{rnd['id']}/notice.xlsx",
                                       headers=api.as_("chief")._headers(None))
    assert resp.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(resp.data))
    summary = [list(r) for r in book["通报"].iter_rows(values_only=True)]
    assert summary[2][:8] == ["序号", "单位", "抽查件数", "已评查", "合格", "不合格", "平均分",
                              "需整改"]
    rows = {r[1]: r for r in summary[3:]}
    assert rows["甲镇纪委"][2:8] == [3, 3, 2, 1, 88.3, 1]
    detail = [list(r) for r in book["评查明细"].iter_rows(values_only=True)]
    failed = [r for r in detail[1:] if r[3] == town_a["number"]][0]
    assert failed[5:12] == ["符合", "符合", "符合", "不符合", "不符合", 65, "不合格"]
    assert failed[12] == "证据不足，未反馈"
    assert failed[13] == f"已启动整改 {results_item(done.json, town_a['id'])['rectification_ref']}"


def results_item(described: dict, item_id: int) -> dict:
    return next(i for i in described["items"] if i["id"] == item_id)


def test_a_failing_item_opens_its_townships_rectification_closed_by_the_reviewer(api, runtime, app):
    """At the notice the failed item becomes a finding of the round's check (随机抽查) sent to its
    township: daily supervision's rectification, verified by the item's reviewer and closed
    (销号); the passed items open nothing."""
    seed_items(runtime)
    deploy_rectification(api)
    rnd = draw(api).json
    failing = {**ALL_PASS, "evidence": False}
    for item in rnd["items"]:
        reviewer = "b-worker" if item["unit"] != "town-b" else "a-worker"
        fail = item["unit"] == "town-a" and item["number"] == rnd["items"][0]["number"]
        resp = api.as_(reviewer).post(f"/quality-reviews/items/{item['id']}/score", json={
            "checks": failing if fail else ALL_PASS, "comment": "证据不充分" if fail else ""})
        assert resp.status == 200, resp.json
    first = rnd["items"][0]
    assert first["unit"] == "town-a"
    # Scoring marks the need; nothing is opened before the notice (a score may still change).
    assert runtime.read(lambda uow: uow.session.get(ReviewItem, first["id"]).rectification) \
        == "needs_rectification"
    done = api.as_("chief").post(f"/quality-reviews/{rnd['id']}/notice")
    assert done.status == 200, done.json
    item = results_item(done.json, first["id"])
    assert item["rectification"] == "opened" and item["finding_id"]
    assert [i for i in done.json["items"] if i["rectification"]] == [item]
    finding = api.as_("a-rectifier").get(f"/findings/{item['finding_id']}").json
    assert finding["number"] == item["rectification_ref"]
    assert finding["unit"] == "town-a" and finding["status"] == "measures"
    assert first["number"] in finding["description"] and "证据确实充分" in finding["evidence"]
    assert finding["due_at"] is not None
    inspection = api.as_("chief").get(f"/inspections/{finding['inspection_id']}").json
    assert inspection["kind"] == "random" and inspection["status"] == "approved"
    assert inspection["title"] == "2025年第4季度办信办案质量评查"
    assert inspection["inspectors"] == ["b-worker"]
    # The township's rectification officer rectifies from the inbox; the reviewer verifies.
    iid = finding["instance_id"]
    t = next(t for t in api.as_("a-rectifier").get("/tasks").json["items"]
             if t["instance_id"] == iid)
    assert t["element_id"] == "state_measures"
    assert api.as_("a-rectifier").complete(t, {"measures": "补充证据，向举报人反馈"}).status == 200
    t = next(t for t in api.as_("a-rectifier").get("/tasks").json["items"]
             if t["instance_id"] == iid)
    assert api.as_("a-rectifier").complete(t, {"progress": "已补充询问笔录",
                                               "rectification_done": True}).status == 200
    t = next(t for t in api.as_("b-worker").get("/tasks").json["items"]
             if t["instance_id"] == iid)
    assert t["element_id"] == "verify"
    assert api.as_("b-worker").complete(t, {"rectification_verified": True,
                                            "verification_comment": "已整改到位"}).status == 200
    closed = api.as_("chief").get(f"/findings/{item['finding_id']}").json
    assert closed["status"] == "closed" and closed["closed_at"] and not closed["overdue"]
    figures = {r["unit"]: r for r in api.as_("chief").get("/supervision/figures").json}
    assert figures["town-a"]["closed"] == 1 and figures["town-a"]["on_time"] == 1
    # The dashboard's rectification table shows the same row, by the unit's name.
    page = Browser(app, "chief").get("/dashboard").get_data(as_text=True)
    row = re.search(r'data-testid="rect-town-a">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
    town = figures["town-a"]
    assert cells == [town["unit_name"], str(town["found"]), "1", "1", str(town["overdue"])]


def test_only_the_reviewing_units_supervisors_draw(api, runtime):
    for user in ("a-head", "a-worker", "admin", "east-head"):
        resp = api.as_(user).post("/quality-reviews", json={
            "unit": "county", "year": 2025, "quarter": 3, "reviewers": ["b-worker"]})
        assert resp.status == 403, (user, resp.json)


def test_zone_evaluation_figures_and_grades_match_the_hand_count_and_the_export(api, runtime):
    seed_items(runtime)
    rnd = draw(api).json
    scores = {}
    for item in rnd["items"]:
        reviewer = "b-worker" if item["unit"] != "town-b" else "a-worker"
        checks = ALL_PASS if item["unit"] != "town-d" else {**ALL_PASS, "documents": False}
        resp = api.as_(reviewer).post(f"/quality-reviews/items/{item['id']}/score",
                                      json={"checks": checks, "comment": "文书不全"})
        scores.setdefault(item["unit"], []).append(resp.json["score"])
    # The zone head does not score their own zone; the county does.
    assert api.as_("east-head").request("PUT", "/evaluations/zones/zone-east/manual",
                                    json={"period": "2025-H2", "score": 99}).status == 403
    assert api.as_("chief").request("PUT", "/evaluations/zones/zone-east/manual",
                                json={"period": "2025-H2", "score": 80,
                                      "comment": "工作扎实"}).status == 200
    result = api.as_("chief").get("/evaluations", query={"period": "2025-H2"}).json
    zones = {z["unit"]: z for z in result["zones"]}
    # By hand. zone-east: acceptance notices 3 of 4 on time (the January one is in H1);
    # disposal proposals 2 of 2; cases filed 3 (town-b, August) and closed 3 (December), the
    # most of any zone; return visits 2 of 3 satisfied; review: town-a 3 x 100 and town-b
    # 1 x 100; manual 80; rectifications due: town-b's 1 of 2 closed by its due time.
    w = {"petitions_on_time": 20, "clues_on_time": 15, "cases_filed": 15, "cases_closed": 10,
         "satisfaction": 10, "rectifications_on_time": 10, "review_score": 15, "manual": 15}
    east = {"petitions_on_time": 0.75, "clues_on_time": 1.0, "cases_filed": 1.0,
            "cases_closed": 1.0, "satisfaction": round(2 / 3, 4), "rectifications_on_time": 0.5,
            "review_score": 1.0, "manual": 0.8}
    east_score = round(100 * sum(w[k] * v for k, v in east.items()) / sum(w.values()), 2)
    assert east_score == 85.15  # (15 + 15 + 15 + 10 + 6.667 + 5 + 15 + 12) / 110
    # zone-west: no petition deadline fell due (left out), disposal 0 of 1, one case filed
    # (town-d, September: 1/3 of the east's), none closed (0), no visits (left out), review:
    # town-d's clue without its documents 80, no manual score (left out), no rectification due
    # (left out).
    west = {"clues_on_time": 0.0, "cases_filed": round(1 / 3, 4), "cases_closed": 0.0,
            "review_score": 0.8}
    west_weight = sum(w[k] for k in west)
    west_score = round(100 * sum(w[k] * v for k, v in west.items()) / west_weight, 2)
    assert west_score == 30.91  # (0 + 5 + 0 + 12) / 55
    assert zones["zone-east"]["score"] == east_score
    assert zones["zone-west"]["score"] == west_score
    assert {k: zones["zone-east"]["indicators"][k]["value"] for k in east} == east
    assert zones["zone-west"]["indicators"]["petitions_on_time"]["value"] is None
    # 优秀 from 90, 良好 from 75, else 一般; ranked; the last one is to be talked to.
    assert (zones["zone-east"]["grade_label"], zones["zone-east"]["rank"]) == ("良好", 1)
    assert (zones["zone-west"]["grade_label"], zones["zone-west"]["rank"]) == ("一般", 2)
    assert zones["zone-west"]["last"] is True and zones["zone-east"]["last"] is False
    # Each figure links to the rows it counts.
    rows = api.as_("chief").get("/evaluations/rows", query={
        "period": "2025-H2", "zone": "zone-east", "indicator": "petitions_on_time"}).json["rows"]
    assert len(rows) == 4 and sum(r["counted"] for r in rows) == 3
    assert all(r["case_id"] for r in rows)
    found = api.as_("chief").get("/evaluations/rows", query={
        "period": "2025-H2", "zone": "zone-east", "indicator": "rectifications_on_time"}).json
    assert [(r["number"], r["counted"]) for r in found["rows"]] == [("qr-F0000", True),
                                                                    ("qr-F0001", False)]
    assert all(r["finding_id"] for r in found["rows"])
    visits = api.as_("chief").get("/evaluations/rows", query={
        "period": "2025-H2", "zone": "zone-east", "indicator": "satisfaction"}).json["rows"]
    assert sorted(r["status"] for r in visits) == ["basically_satisfied", "dissatisfied",
                                                   "satisfied"]
    # The export says the same.
    chief = api.as_("chief")
    resp = chief.client.get("/api/v1/evaluations/export.xlsx", query_string={"period": "2025-H2"},
                            headers=chief._headers(None))
    assert resp.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data))["考评结果"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body = table[1], {r[1]: dict(zip(table[1], r, strict=True)) for r in table[2:]}
    assert header[-3:] == ["总分", "等次", "约谈提醒"]
    assert body["东部协作区"]["总分"] == east_score and body["东部协作区"]["等次"] == "良好"
    assert body["西部协作区"]["总分"] == west_score and body["西部协作区"]["等次"] == "一般"
    assert body["东部协作区"]["排名"] == 1 and body["西部协作区"]["约谈提醒"] == "是"
    assert body["东部协作区"]["信访件按时办理率"] == 75.0
    assert body["西部协作区"]["信访件按时办理率"] is None
    assert body["东部协作区"]["整改按期销号率"] == 50.0
    assert body["东部协作区"]["整改按期销号率得分"] == round(100 * 10 * 0.5 / 110, 2)
    assert body["西部协作区"]["整改按期销号率"] is None
    # The year 2025 counts both halves: the March notice met (4 of 5 on time); the manual score
    # is the year's own (the half-year's 80 does not carry over).
    assert api.as_("chief").request("PUT", "/evaluations/zones/zone-east/manual",
                                json={"period": "2025", "score": 90}).status == 200
    year = {z["unit"]: z for z in api.as_("chief").get(
        "/evaluations", query={"period": "2025"}).json["zones"]}
    east_year = {**east, "petitions_on_time": 0.8, "manual": 0.9}
    assert {k: year["zone-east"]["indicators"][k]["value"] for k in east} == east_year
    assert year["zone-east"]["score"] == 87.42  # (16 + 15 + 15 + 10 + 6.667 + 5 + 15 + 13.5) / 110
    assert year["zone-west"]["score"] == west_score
    # Only supervisors above the zones see it.
    assert api.as_("a-worker").get("/evaluations", query={"period": "2025-H2"}).status == 403
    assert api.as_("east-head").get("/evaluations/rows", query={
        "period": "2025-H2", "zone": "zone-east", "indicator": "manual"}).status == 403


@pytest.mark.parametrize("period", ["2025-H3", "25", "2025-Q1"])
def test_evaluation_periods_are_validated(api, period):
    assert api.as_("chief").get("/evaluations", query={"period": period}).status == 422


def test_items_of_the_draw_are_stored_in_order(api, runtime):
    seed_items(runtime)
    rnd = draw(api).json
    positions = runtime.read(lambda uow: [i.position for i in uow.session.scalars(
        select(ReviewItem).where(ReviewItem.round_id == rnd["id"]).order_by(ReviewItem.id))])
    assert positions == list(range(1, len(rnd["items"]) + 1))


def seed_committees(runtime) -> None:
    """The fourth quarter of 2025 of the village supervision committees (villages): 东村 two
    petition deadlines (one met, one breached), a satisfied return visit, a rectification closed
    on time; 西村 one deadline met, a rectification still open past its due time; 南村 nothing.
    Rows outside the quarter are not counted."""
    def work(uow):
        s = uow.session
        ids = dict(s.execute(select(Unit.code, Unit.id)).all())
        clerk = s.scalar(select(User.id).where(User.username == "clerk"))
        now = at("2025-10-01T09:00:00+08:00")
        seq = iter(range(1, 100))

        def petition(village, town):
            n = next(seq)
            c = Case(number=f"vc-C{n:04d}", display_number=f"村评〔2025〕案件{n}号",
                     process_key="petition_intake",
                     registered_unit_id=ids["petition-office"], handling_unit_id=ids[town],
                     first_handling_unit_id=ids[town], status="open", created_at=now)
            s.add(c)
            s.flush()
            s.add(Petition(number=f"vc-P{n:04d}", display_number=f"村评〔2025〕信访{n}号",
                           case_id=c.id, channel="letter",
                           received_at=now, registered_at=now, registered_by_id=clerk,
                           unit_id=ids["petition-office"], status="accepted", updated_at=now,
                           township_id=ids[town], village_unit_id=ids[village], village="x"))
            s.flush()
            return c

        def deadline(c, due, status):
            s.add(Deadline(key="acceptance_notice", case_id=c.id, unit_id=c.handling_unit_id,
                           started_at=now, amount=15, unit="working_days", due_at=at(due),
                           status=status, updated_at=now))
        east1, east2 = petition("village-a-east", "town-a"), petition("village-a-east", "town-a")
        west = petition("village-a-west", "town-a")
        deadline(east1, "2025-10-20T23:59:59+08:00", "met")
        deadline(east2, "2025-11-20T23:59:59+08:00", "breached")
        deadline(east2, "2026-01-20T23:59:59+08:00", "breached")  # next quarter
        deadline(west, "2025-12-01T23:59:59+08:00", "met")
        s.add(ReturnVisit(case_id=east1.id, kind="reporter", satisfaction="satisfied",
                          visited_at=at("2025-12-10T10:00:00+08:00"), notes=""))
        inspection = Inspection(number="vc-I0001", display_number="村评〔2025〕巡察1号",
                                unit_id=ids["town-a"], kind="patrol",
                                title="东村、西村2025年村级巡察", targets=["village-a-east", "village-a-west"],
                                inspectors=["a-worker"], status="approved",
                                created_by_id=clerk, created_at=now)
        s.add(inspection)
        s.flush()
        for n, (village, closed) in enumerate((("village-a-east", "2025-11-01"),
                                               ("village-a-west", None))):
            s.add(Finding(number=f"vc-F{n:04d}", display_number=f"村评〔2025〕问题{n + 1}号",
                          inspection_id=inspection.id,
                          unit_id=ids[village], category="other", description="问题",
                          responsible_person="村委会", time_limit_days=20,
                          due_at=at("2025-11-10T23:59:59+08:00"),
                          closed_at=at(f"{closed}T10:00:00+08:00") if closed else None,
                          status="closed" if closed else "rectifying", created_at=now,
                          updated_at=now))
        s.flush()
    runtime.transact(work)


def test_village_committee_quarterly_scores_by_their_township_match_the_export(api, runtime):
    seed_committees(runtime)
    put = "/evaluations/committees/{}/manual"
    # Only the committee's own township scores it.
    assert api.as_("east-head").request("PUT", put.format("village-a-east"), json={
        "period": "2025-Q4", "score": 99}).status == 403
    assert api.as_("a-head").request("PUT", put.format("village-b-south"), json={
        "period": "2025-Q4", "score": 99}).status == 403
    assert api.as_("a-head").request("PUT", put.format("village-a-east"), json={
        "period": "2025-Q5", "score": 90}).status == 422
    for village, score in (("village-a-east", 90), ("village-a-west", 60)):
        resp = api.as_("a-head").request("PUT", put.format(village), json={
            "period": "2025-Q4", "score": score, "comment": "季度考评"})
        assert resp.status == 200, resp.json
    # By hand, weights 30 / 20 / 10 / 40. 东村: deadlines 1 of 2 (the January one is in the
    # next quarter), rectification 1 of 1, visits 1 of 1, manual 90:
    # (15 + 20 + 10 + 36) / 100 = 81 -> 良好. 西村: deadlines 1 of 1, rectification 0 of 1, no
    # visit (left out), manual 60: (30 + 0 + 24) / 90 = 60 -> 一般. 南村: nothing -> no score.
    w = {"petitions_on_time": 30, "rectifications_on_time": 20, "satisfaction": 10, "manual": 40}
    east = {"petitions_on_time": 0.5, "rectifications_on_time": 1.0, "satisfaction": 1.0,
            "manual": 0.9}
    west = {"petitions_on_time": 1.0, "rectifications_on_time": 0.0, "manual": 0.6}

    def by_hand(values):
        return round(100 * sum(w[k] * v for k, v in values.items())
                     / sum(w[k] for k in values), 2)
    assert (by_hand(east), by_hand(west)) == (81.0, 60.0)
    result = api.as_("chief").get("/evaluations/committees", query={"period": "2025-Q4"})
    assert result.status == 200, result.json
    got = {c["unit"]: c for c in result.json["committees"]}
    assert set(got) == {"village-a-east", "village-a-west", "village-b-south"}
    assert {k: got["village-a-east"]["indicators"][k]["value"] for k in east} == east
    assert got["village-a-west"]["indicators"]["satisfaction"]["value"] is None
    assert (got["village-a-east"]["score"], got["village-a-east"]["grade_label"],
            got["village-a-east"]["rank"]) == (81.0, "良好", 1)
    assert (got["village-a-west"]["score"], got["village-a-west"]["grade_label"],
            got["village-a-west"]["rank"]) == (60.0, "一般", 2)
    assert got["village-b-south"]["score"] is None and got["village-b-south"]["rank"] == 1
    # The township sees its own committees only; a caseworker none.
    mine = api.as_("a-head").get("/evaluations/committees", query={"period": "2025-Q4"}).json
    assert [c["unit"] for c in mine["committees"]] == ["village-a-east", "village-a-west"]
    assert api.as_("a-worker").get("/evaluations/committees",
                                   query={"period": "2025-Q4"}).status == 403
    # Each figure links to the rows it counts.
    rows = api.as_("a-head").get("/evaluations/committees/rows", query={
        "period": "2025-Q4", "committee": "village-a-east",
        "indicator": "petitions_on_time"}).json["rows"]
    assert sorted((r["number"], r["counted"]) for r in rows) == [("vc-P0001", True),
                                                                 ("vc-P0002", False)]
    assert all(r["case_id"] for r in rows)
    found = api.as_("a-head").get("/evaluations/committees/rows", query={
        "period": "2025-Q4", "committee": "village-a-west",
        "indicator": "rectifications_on_time"}).json["rows"]
    assert [(r["number"], r["counted"], bool(r["finding_id"])) for r in found] == [
        ("vc-F0001", False, True)]
    assert api.as_("b-head").get("/evaluations/committees/rows", query={
        "period": "2025-Q4", "committee": "village-a-east",
        "indicator": "manual"}).status == 403
    # The export says the same.
    chief = api.as_("chief")
    resp = chief.client.get("/api/v1/evaluations/committees/export.xlsx",
                            query_string={"period": "2025-Q4"}, headers=chief._headers(None))
    assert resp.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(resp.data))["考评结果"]
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = table[1]
    body = {r[2]: dict(zip(header, r, strict=True)) for r in table[2:]}
    assert header[:3] == ["乡镇", "排名", "村务监督委员会"] and header[-2:] == ["总分", "等次"]
    assert body["东村"]["总分"] == 81.0 and body["东村"]["等次"] == "良好"
    assert body["东村"]["乡镇"] == "甲镇纪委" and body["东村"]["排名"] == 1
    assert body["东村"]["村民信访件按时办理率"] == 50.0
    assert body["东村"]["村民信访件按时办理率得分"] == 15.0
    assert body["西村"]["总分"] == 60.0 and body["西村"]["等次"] == "一般"
    assert body["西村"]["回访满意率"] is None and body["西村"]["乡镇评议打分"] == 60
    assert body["南村"]["总分"] is None


def test_the_dashboard_view_of_this_quarters_committees_and_this_half_years_zones(api, runtime):
    """The clock is 2 March 2026: committees of 2026-Q1 (only the townships' scores have rows),
    zones of 2026-H1."""
    for head, village, score in (("a-head", "village-a-east", 95), ("a-head", "village-a-west", 50),
                                 ("b-head", "village-b-south", 80)):
        resp = api.as_(head).request("PUT", f"/evaluations/committees/{village}/manual",
                                     json={"period": "2026-Q1", "score": score})
        assert resp.status == 200, resp.json

    def view(username):
        return runtime.read(lambda uow: evaluation_view(
            uow.session, runtime, user=uow.session.scalar(
                select(User).where(User.username == username))))
    chief = view("chief")
    assert chief["committees"]["period"] == "2026-Q1"
    assert chief["committees"]["grades"] == {"excellent": 1, "good": 1, "fair": 1}
    assert [(c["unit"], c["score"]) for c in chief["committees"]["lowest"]] == [
        ("village-a-west", 50.0), ("village-b-south", 80.0), ("village-a-east", 95.0)]
    assert chief["zones"]["period"] == "2026-H1"
    assert {z["unit"] for z in chief["zones"]["zones"]} == {"zone-east", "zone-west"}
    town_b = view("b-head")
    assert town_b["zones"] is None and [c["unit"] for c in town_b["committees"]["lowest"]] == [
        "village-b-south"]
    assert view("d-head") == {"zones": None, "committees": None}  # no village below town-d
    assert view("a-worker") == {"zones": None, "committees": None}


def test_the_zone_evaluation_link_shows_only_where_there_are_zones_to_evaluate(app):
    """The county's supervisor evaluates the zones below; a township head has none: no link that
    would answer 403."""
    county = Browser(app, "chief").get("/inbox").get_data(as_text=True)
    town = Browser(app, "a-head").get("/inbox").get_data(as_text=True)
    assert 'href="/evaluation"' in county
    assert 'href="/evaluation"' not in town and "/quality" in town


def test_the_dashboard_reads_the_unit_tree_and_the_rollups_state_once(app, runtime):
    """Its figures, flags, rectification table and evaluation each ask for the unit tree, and
    the figures and flags each tune the statistics' statements (PostgreSQL) and ask whether the
    rollup is built: once each in the page's read-only unit of work (39 statements -> 27 a
    supervisor's dashboard at 1,000,000 cases). A unit of work that writes reads afresh."""
    from sqlalchemy import event

    sent = []

    def seen(_conn, _cursor, statement, *_args):
        sent.append(" ".join(statement.split()))
    tree = "SELECT units.id, units.code, units.name, units.kind, units.parent_id, units.path"
    chief = Browser(app, "chief")
    event.listen(runtime.connection, "before_cursor_execute", seen)
    try:
        assert chief.get("/dashboard").status_code == 200
        read = list(sent)
        sent.clear()
        runtime.transact(lambda uow: [Tree.of(uow.session) for _ in range(2)])
        written = list(sent)
    finally:
        event.remove(runtime.connection, "before_cursor_execute", seen)
    # The page's read, and the navigation's own (whether the user has zones to evaluate).
    assert sum(s.startswith(tree) for s in read) == 2
    assert sum("FROM report_rollup" in s for s in read) == 1
    assert sum(s.startswith("SET LOCAL work_mem") for s in read) == (0 if runtime.sqlite else 1)
    assert sum(s.startswith(tree) for s in written) == 2
