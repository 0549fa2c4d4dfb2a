"""Statistics, flags and ledgers (定期通报, 台账) through HTTP, from known sets of cases.

Every expected number below is worked out by hand from the definitions in README.md
("Statistics"), item by item, in the comments next to it. The items are made through the real
processes (registration, repeat confirmation, classification, transfer, clue disposition,
verification, filing, clarification, false-accusation referral, feedback and return visits,
deadline breach and extension) and, for a few figures whose dates the processes cannot easily
reach, written directly with the ORM."""
from __future__ import annotations

import io
from datetime import datetime, UTC

import openpyxl
import pytest

from engine.cases.models import Case
from engine.clarifications.models import AccusationReferral
from engine.clues.models import Clue
from engine.org.models import Unit
from engine.petitions.models import Petition
from engine.visits.models import ReturnVisit
from tests.api_client import deploy_processes

REPORTER = {"anonymous": False, "name": "王小明", "id_number": "330481199001011234",
            "phone": "13812345678", "address": "浙江省海宁市甲镇东村5组12号"}
ANONYMOUS = {"anonymous": True}
ACCUSED = [{"name": "李四", "post": "村委会主任", "unit": "东村村委会", "level": "village"}]
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}
FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}
APRIL = {"from": "2026-04-01", "to": "2026-04-30"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def deployed(api):
    deploy_processes(api)
    return api


# ---------------------------------------------------------------------------------------------
# Helpers


def inbox(api, user: str, case_id: int) -> list[dict]:
    return [t for t in api.as_(user).get("/tasks", query={"per_page": 200}).json["items"]
            if t["case_id"] == case_id]


def task(api, user: str, case_id: int, element_id: str) -> dict:
    found = [t for t in inbox(api, user, case_id) if t["element_id"] == element_id]
    assert found, (user, element_id, [t["element_id"] for t in inbox(api, user, case_id)])
    return found[0]


def complete(api, user: str, case_id: int, element_id: str, data: dict) -> dict:
    resp = api.as_(user).complete(task(api, user, case_id, element_id), data)
    assert resp.status == 200, resp.json
    return resp.json


def register(api, *, received: str, channel: str = "letter", reporter: dict = ANONYMOUS,
             township: str = "town-a", category: str = "welfare_funds",
             content: str = "东村村委会主任李四虚报低保户名单，套取低保资金。") -> dict:
    resp = api.as_("clerk").post("/petitions", json={
        "channel": channel, "received_at": received, "reporter": reporter, "accused": ACCUSED,
        "township": township, "village": "东村", "category": category, "content": content})
    assert resp.status == 201, resp.json
    return resp.json


def classify(api, case_id: int, *, unit: str | None, official: bool = False,
             category: str = "welfare_funds", real_name: bool = False) -> None:
    """Not a repeat; in scope with this first-handling unit (None: out of scope)."""
    complete(api, "clerk", case_id, "repeat_check", {"is_repeat": False})
    if unit is None:
        complete(api, "clerk", case_id, "classify", {"in_scope": False, "category": category})
        return
    complete(api, "clerk", case_id, "classify",
             {"in_scope": True, "concerns_official": official, "category": category,
              "first_handling_unit": unit})
    if real_name:
        complete(api, "clerk", case_id, "acceptance_notice", {"method": "phone"})


@pytest.fixture(autouse=True)
def recount_check(runtime):
    """Every summary a test reads (from the rollup) is also recounted from the item tables."""
    from engine.reports import rollup
    RECOUNT["runtime"] = runtime
    yield
    RECOUNT.clear()
    # And the whole rollup, every day and unit, is what a full recount of the tables gives.
    assert runtime.read(lambda uow: rollup.differences(uow.session, runtime.clock.tz.key)) == {}


RECOUNT: dict = {}


def recounted(body: dict) -> list[dict]:
    """The same summary counted again from the item tables, in the API's JSON form."""
    from datetime import date

    from engine.reports import rollup, service
    from web.api.reports import SummaryOut
    rt = RECOUNT["runtime"]

    def work(uow):
        assert rollup.ready(uow.session, rt.clock.tz.key)  # the API read the rollup
        tree = service.Tree(uow.session)
        unit = tree.get(body["units"][0]["unit"])
        p = service.period(rt, first=date.fromisoformat(body["from"]),
                           last=date.fromisoformat(body["to"]))
        units = service.figures(uow.session, rt, tree=tree, units=[unit, *tree.children(unit)],
                                p=p, fast=False)
        return SummaryOut().dump({"first": p.first, "last": p.last, "units": units})["units"]
    return rt.read(work)


def summary(api, query: dict, user: str = "chief") -> dict[str, dict]:
    resp = api.as_(user).get("/reports/summary", query=query)
    assert resp.status == 200, resp.json
    again = recounted(resp.json)
    for fast, slow in zip(resp.json["units"], again, strict=False):
        assert fast == slow, {k: (fast[k], slow[k]) for k in fast if fast[k] != slow[k]}
    assert len(again) == len(resp.json["units"])
    return {entry["unit"]: entry for entry in resp.json["units"]}


def petition_figures(entry: dict) -> dict:
    keys = ("petitions", "petitions_first_time", "petitions_repeat", "first_time_cleared")
    return {k: entry[k] for k in keys}


def nonzero(counts: dict) -> dict:
    return {k: v for k, v in counts.items() if v}


def case_row(runtime, case_id: int) -> Case:
    return runtime.read(lambda uow: uow.session.get(Case, case_id))


def unit_id(runtime, code: str) -> int:
    return runtime.read(lambda uow: runtime.names.unit_id(uow.session, code))


def download(api, user: str, path: str, query: dict | None = None):
    """(status, headers, workbook or None) of a file download."""
    resp = api.client.get(f"/api/v1{path}", query_string=query or {},
                          headers={"Authorization": f"Bearer {api.tokens[user]}"})
    book = None
    if resp.status_code == 200:
        book = openpyxl.load_workbook(io.BytesIO(resp.data))
    return resp.status_code, resp.headers, book


def rows_of(book) -> list[list]:
    (sheet,) = book.worksheets
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# ---------------------------------------------------------------------------------------------
# Petitions: per submission, first-time and repeat, clearance, transfers, period boundaries


def test_petitions_count_per_submission_with_repeats_transfers_and_boundaries(deployed, runtime):
    api = deployed
    # P1, 26 Feb: real-name, town-a handles it; its feedback stays open (the case is open).
    runtime.clock.set(at("2026-02-26T10:00:00+08:00"))
    p1 = register(api, received="2026-02-26T10:00:00+08:00", reporter=REPORTER)
    classify(api, p1["case_id"], unit="town-a", real_name=True)
    # P2, 2 March: anonymous visit, town-a; no official concerned, anonymous: the case closes now.
    runtime.clock.set(at("2026-03-02T09:00:00+08:00"))
    p2 = register(api, received="2026-03-02T09:00:00+08:00", channel="visit",
                  category="eight_rules")
    classify(api, p2["case_id"], unit="town-a", category="eight_rules")
    assert case_row(runtime, p2["case_id"]).status == "closed"
    # P3, 3 March: the same matter as P1, confirmed a repeat (merged; counts for P1's town-a).
    runtime.clock.set(at("2026-03-03T10:00:00+08:00"))
    p3 = register(api, received="2026-03-03T10:00:00+08:00", reporter=REPORTER)
    complete(api, "clerk", p3["case_id"], "repeat_check",
             {"is_repeat": True, "original_number": p1["number"]})
    assert case_row(runtime, p3["case_id"]).status == "merged"
    # P4, 5 March: anonymous online, town-b; closes at once.
    runtime.clock.set(at("2026-03-05T10:00:00+08:00"))
    p4 = register(api, received="2026-03-05T10:00:00+08:00", channel="online",
                  township="town-b", category="land_requisition")
    classify(api, p4["case_id"], unit="town-b", category="land_requisition")
    # P7, 10 March: real-name phone call, first handled by town-a, then transferred to town-b.
    runtime.clock.set(at("2026-03-10T10:00:00+08:00"))
    p7 = register(api, received="2026-03-10T10:00:00+08:00", channel="phone", reporter=REPORTER,
                  category="collective_assets")
    classify(api, p7["case_id"], unit="town-a", category="collective_assets", real_name=True)
    moved = api.as_("a-worker").post(f"/cases/{p7['case_id']}/transfer",
                                     json={"to_unit": "town-b", "reason": "被反映人现任乙镇职务"})
    assert moved.status == 201, moved.json
    complete(api, "a-head", p7["case_id"], "approve", {"transfer_approved": True})
    complete(api, "b-worker", p7["case_id"], "receive", {"receipt_note": "已接收"})
    p7_case = case_row(runtime, p7["case_id"])
    assert (p7_case.handling_unit_id, p7_case.first_handling_unit_id, p7_case.status) == \
        (unit_id(runtime, "town-b"), unit_id(runtime, "town-a"), "open")
    # P5, 31 March 23:30 (Shanghai): received in March, forwarded elsewhere on 1 April.
    runtime.clock.set(at("2026-03-31T23:40:00+08:00"))
    p5 = register(api, received="2026-03-31T23:30:00+08:00", channel="phone",
                  township="town-d", category="gambling")
    # P6, 1 April 00:10: April, even though it is still 31 March in UTC.
    runtime.clock.set(at("2026-04-01T09:00:00+08:00"))
    p6 = register(api, received="2026-04-01T00:10:00+08:00", channel="letter",
                  township="town-c", category="other")
    classify(api, p5["case_id"], unit=None, category="gambling")
    complete(api, "clerk", p5["case_id"], "forward", {"forwarded_to": "县公安局", "sealed": False})
    assert case_row(runtime, p5["case_id"]).status == "closed"

    # March: P2, P3, P4, P5, P7 = 5 submissions; P3 is the one repeat. Cleared in March: the
    # first-time ones whose case closed before April: P2 (2 Mar) and P4 (5 Mar); P5 closed on
    # 1 April, P7 is still open. Units: P2 town-a; P3 P1's case, town-a; P4 town-b; P7 town-b
    # after the transfer; P5 has no handling unit (forwarded): its registering petition-office.
    county = summary(api, MARCH)
    assert list(county) == ["county", "petition-office", "case-office", "supervision-office",
                            "trial-office", "zone-east", "zone-west", "org-dept", "politics-law",
                            "police", "civil-affairs", "dept-housing", "dept-resources"]
    assert petition_figures(county["county"]) == {
        "petitions": 5, "petitions_first_time": 4, "petitions_repeat": 1, "first_time_cleared": 2}
    assert nonzero(county["county"]["petitions_by_channel"]) == \
        {"visit": 1, "letter": 1, "online": 1, "phone": 2}
    assert county["county"]["petitions_by_channel"]["transfer"] == 0
    assert nonzero(county["county"]["petitions_by_category"]) == {
        "eight_rules": 1, "welfare_funds": 1, "land_requisition": 1, "gambling": 1,
        "collective_assets": 1}
    assert petition_figures(county["petition-office"]) == {
        "petitions": 1, "petitions_first_time": 1, "petitions_repeat": 0, "first_time_cleared": 0}
    assert petition_figures(county["zone-east"]) == {
        "petitions": 4, "petitions_first_time": 3, "petitions_repeat": 1, "first_time_cleared": 2}
    assert petition_figures(county["zone-west"]) == {
        "petitions": 0, "petitions_first_time": 0, "petitions_repeat": 0, "first_time_cleared": 0}
    east = summary(api, {**MARCH, "unit": "zone-east"})
    assert list(east) == ["zone-east", "town-a", "town-b", "town-c"]
    assert petition_figures(east["town-a"]) == {
        "petitions": 2, "petitions_first_time": 1, "petitions_repeat": 1, "first_time_cleared": 1}
    assert petition_figures(east["town-b"]) == {
        "petitions": 2, "petitions_first_time": 2, "petitions_repeat": 0, "first_time_cleared": 1}
    assert nonzero(east["town-b"]["petitions_by_channel"]) == {"online": 1, "phone": 1}

    # February: only P1 (town-a), still open. April: only P6, unclassified (petition-office).
    feb = summary(api, FEBRUARY)
    assert petition_figures(feb["county"]) == {
        "petitions": 1, "petitions_first_time": 1, "petitions_repeat": 0, "first_time_cleared": 0}
    assert feb["zone-east"]["petitions"] == 1
    apr = summary(api, APRIL)
    assert petition_figures(apr["county"]) == {
        "petitions": 1, "petitions_first_time": 1, "petitions_repeat": 0, "first_time_cleared": 0}
    assert apr["petition-office"]["petitions"] == 1
    assert nonzero(apr["county"]["petitions_by_category"]) == {"other": 1}
    # The quarter: February's P1 is outside it; 5 in March and 1 in April.
    q2 = summary(api, {"period": "quarter", "date": "2026-05-20"})
    assert q2["county"]["petitions"] == 1
    q1 = summary(api, {"period": "quarter", "date": "2026-02-10"})
    assert petition_figures(q1["county"]) == {
        "petitions": 6, "petitions_first_time": 5, "petitions_repeat": 1, "first_time_cleared": 2}
    year = summary(api, {"period": "year", "date": "2026-07-01"})
    assert year["county"]["petitions"] == 7

    # The first quarter's repeats: town-a has the only one.
    flags = api.as_("chief").get("/reports/flags", query={"date": "2026-04-15"}).json
    assert flags["repeat_townships"] == {"from": "2026-01-01", "to": "2026-03-31",
                                         "items": [{"unit": "town-a", "name": "甲镇纪委",
                                                    "repeats": 1}]}
    assert p6["number"] not in str(flags)


# ---------------------------------------------------------------------------------------------
# Clues, verifications, cases, people: each by its own date


CLUE_KEYS = ("clues", "clues_by_disposition", "verifications", "verifications_by_finding",
             "cases_filed", "cases_closed", "people_disciplined", "people_clarified",
             "malicious_referred", "return_visits")


def clue_figures(entry: dict) -> dict:
    """The clue and case figures, with zero breakdowns left out (for short expectations)."""
    out = {}
    for key in CLUE_KEYS:
        value = entry[key]
        out[key] = nonzero(value) if isinstance(value, dict) else value
    return out


def figures_of(clues=0, dispositions=None, verifications=0, findings=None, filed=0, closed=0,
               disciplined=0, clarified=0, malicious=0, visits=None) -> dict:
    return {"clues": clues, "clues_by_disposition": dispositions or {},
            "verifications": verifications, "verifications_by_finding": findings or {},
            "cases_filed": filed, "cases_closed": closed, "people_disciplined": disciplined,
            "people_clarified": clarified, "malicious_referred": malicious,
            "return_visits": visits or {}}


def worker_head(unit: str) -> tuple[str, str]:
    return {"town-a": ("a-worker", "a-head"), "town-b": ("b-worker", "b-head")}[unit]


def official_petition(api, runtime, *, when: str, unit: str) -> int:
    """A real-name petition about a village cadre, classified to `unit`; returns its case."""
    runtime.clock.set(at(when))
    created = register(api, received=when, reporter=REPORTER,
                       township=unit if unit.startswith("town") else "town-a")
    classify(api, created["case_id"], unit=unit, official=True, real_name=True)
    return created["case_id"]


def verify(api, runtime, case_id: int, unit: str, *, disposed: str, reported: str,
           finding: str) -> None:
    worker, head = worker_head(unit)
    runtime.clock.set(at(disposed))
    complete(api, worker, case_id, "propose_disposition",
             {"disposition": "verification", "disposition_reason": "反映问题具体，可查性强"})
    complete(api, head, case_id, "approve_disposition", {"approved": True})
    complete(api, worker, case_id, "plan_verification",
             {"verification_plan": "调取材料，走访群众", "key_verification": False,
              "verification_team": worker})
    complete(api, head, case_id, "approve_verification_plan", {"approved": True})
    runtime.clock.set(at(reported))
    complete(api, worker, case_id, "gather_evidence",
             {"talks": "谈话3人", "documents": "调取账目", "site_visits": "走访",
              "finding": finding, "verification_report": f"初核认定：{finding}"})


def feedback(api, runtime, case_id: int, unit: str, *, when: str, satisfaction: str) -> dict:
    """The result is fed back to the real-name reporter and the petition office visits them."""
    worker, _ = worker_head(unit)
    runtime.clock.set(at(when))
    complete(api, worker, case_id, "result_feedback",
             {"feedback_method": "phone", "feedback_summary": "已告知处理结果"})
    return complete(api, "clerk", case_id, "return_visit", {"satisfaction": satisfaction})


def add_rows(runtime, make) -> list:
    """ORM rows made by `make(session, ids)` (ids: unit code -> id), committed; returns them."""
    def work(uow):
        session = uow.session
        ids = dict((code, i) for code, i in session.query(Unit.code, Unit.id))
        rows = make(session, ids)
        session.add_all(rows)
        session.flush()
        return rows
    return runtime.transact(work)


def local(text: str) -> datetime:
    return at(text).astimezone(UTC)


def test_clues_verifications_cases_and_people_count_by_their_own_dates(deployed, runtime):
    api = deployed
    # C1 (town-a): verification approved 27 Feb, finding `true` 20 March, put on file 31 March
    # 23:00, decided (2 people) and concluded 1 April, reporter satisfied 1 April.
    c1 = official_petition(api, runtime, when="2026-02-25T10:00:00+08:00", unit="town-a")
    verify(api, runtime, c1, "town-a", disposed="2026-02-27T10:00:00+08:00",
           reported="2026-03-20T10:00:00+08:00", finding="true")
    complete(api, "a-head", c1, "decide_verification",
             {"decision": "file", "decision_reason": "初核属实，需追究纪律责任"})
    complete(api, "a-worker", c1, "request_filing", {"filing_reason": "初核属实"})
    runtime.clock.set(at("2026-03-31T23:00:00+08:00"))
    complete(api, "a-head", c1, "approve_filing", {"approved": True})
    runtime.clock.set(at("2026-04-01T09:00:00+08:00"))
    complete(api, "a-worker", c1, "investigate_case",
             {"investigation_report": "查明虚报低保户3户", "measures": "谈话"})
    complete(api, "trial-officer", c1, "trial_case",
             {"trial_opinion": "事实清楚", "proposed_sanction": "warning"})
    complete(api, "a-head", c1, "decide_sanction",
             {"sanction": "warning", "people_disciplined": 2, "decision_note": "甲纪发〔2026〕7号"})
    complete(api, "a-worker", c1, "announce_decision", {"announced_on": "2026-04-01"})
    complete(api, "a-head", c1, "conclude_case", {"closing_note": "予以结案"})
    feedback(api, runtime, c1, "town-a", when="2026-04-01T09:00:00+08:00",
             satisfaction="satisfied")
    row = case_row(runtime, c1)
    assert (row.status, row.people_disciplined) == ("closed", 2)
    assert runtime.clock.local(row.filed_at).isoformat() == "2026-03-31T23:00:00+08:00"

    # C2 (town-b): verification approved 2 March, finding `untrue` 16 March, the cadre cleared
    # (2 people) 25 March, the accusation found malicious and referred 2 April; the reporter is
    # dissatisfied (2 April), the review reopens it, and after re-handling satisfied (8 April).
    c2 = official_petition(api, runtime, when="2026-03-02T09:00:00+08:00", unit="town-b")
    verify(api, runtime, c2, "town-b", disposed="2026-03-02T09:00:00+08:00",
           reported="2026-03-16T10:00:00+08:00", finding="untrue")
    complete(api, "b-head", c2, "decide_verification",
             {"decision": "clarify", "decision_reason": "反映不实，影响干部声誉"})
    complete(api, "b-worker", c2, "draft",
             {"clarification_origin": "finding", "clarified_people": 2,
              "joint_departments": False, "clarification_plan": "书面澄清"})
    complete(api, "b-head", c2, "approve", {"clarification_approved": True})
    runtime.clock.set(at("2026-03-25T10:00:00+08:00"))
    complete(api, "b-worker", c2, "carry_out", {"done_written": True, "carried_out_note": "已完成"})
    complete(api, "b-worker", c2, "cadre_visit",
             {"cadre_visit_notes": "干部表示满意", "cadre_satisfaction": "satisfied"})
    complete(api, "b-worker", c2, "assess", {"accusation_kind": "malicious",
                                            "accusation_note": "故意捏造事实", "aggravating": "none"})
    runtime.clock.set(at("2026-04-02T10:00:00+08:00"))
    complete(api, "city-chief", c2, "city_approve",
             {"referral_approved": True, "referral_comment": "同意"})
    complete(api, "b-worker", c2, "refer", {"referred_to": "县公安局"})
    feedback(api, runtime, c2, "town-b", when="2026-04-02T10:00:00+08:00",
             satisfaction="dissatisfied")
    complete(api, "b-head", c2, "review", {"review_decision": "rehandle",
                                           "review_reason": "补充说明核查情况"})
    complete(api, "b-worker", c2, "rehandle", {"rehandle_result": "再次核查，维持结论"})
    feedback(api, runtime, c2, "town-b", when="2026-04-08T10:00:00+08:00",
             satisfaction="satisfied")
    assert case_row(runtime, c2).status == "closed"

    # Written directly (town-d): clues without a case, cases with their dates, referrals and
    # visits, several on the edges of March.
    def make(session, ids):
        d = ids["town-d"]
        now = local("2026-01-05T09:00:00+08:00")

        def clue(n, **kw):
            return Clue(number=f"town-d-2026-L9{n:05d}", source="inspection", status="pending",
                        unit_id=d, created_at=now, updated_at=now, **kw)

        def filed_case(n, **kw):
            return Case(number=f"town-d-2026-C9{n:05d}", process_key="case_filing",
                        registered_unit_id=d, handling_unit_id=d, created_at=now, **kw)
        k1 = filed_case(1, status="closed", filed_at=local("2026-02-20T10:00:00+08:00"),
                        decided_at=local("2026-03-05T10:00:00+08:00"), people_disciplined=1,
                        sanction="warning", closed_at=local("2026-03-10T10:00:00+08:00"))
        k2 = filed_case(2, status="cancelled", filed_at=local("2026-03-06T10:00:00+08:00"),
                        closed_at=local("2026-03-12T10:00:00+08:00"))
        k3 = filed_case(3, status="closed", closed_at=local("2026-03-08T10:00:00+08:00"))
        k4 = filed_case(4, status="open", filed_at=local("2026-03-25T10:00:00+08:00"),
                        decided_at=local("2026-03-28T10:00:00+08:00"), people_disciplined=0,
                        sanction="exempted")
        session.add_all([k1, k2, k3, k4])
        session.flush()
        return [
            clue(1, disposition="inquiry", approved_at=local("2026-03-31T23:59:59+08:00")),
            clue(2, disposition="shelved", approved_at=local("2026-04-01T00:00:00+08:00")),
            clue(3, disposition="closed", approved_at=local("2026-03-15T10:00:00+08:00")),
            clue(4, disposition="verification", approved_at=local("2026-01-20T10:00:00+08:00"),
                 finding="partly_true", finding_at=local("2026-03-03T10:00:00+08:00")),
            clue(5, disposition="inquiry", proposed_at=local("2026-03-10T10:00:00+08:00")),
            AccusationReferral(case_id=k3.id, kind="mistaken", status="educated",
                               decided_at=local("2026-03-09T10:00:00+08:00"), created_at=now),
            AccusationReferral(case_id=k3.id, kind="malicious", status="refused",
                               decided_at=local("2026-03-09T10:00:00+08:00"), created_at=now),
            AccusationReferral(case_id=k4.id, kind="malicious", status="referred",
                               decided_at=local("2026-03-31T23:59:00+08:00"), created_at=now),
            ReturnVisit(case_id=k3.id, kind="cadre", satisfaction="satisfied",
                        visited_at=local("2026-03-09T10:00:00+08:00")),
            ReturnVisit(case_id=k3.id, kind="reporter", satisfaction="dissatisfied",
                        visited_at=local("2026-03-09T10:00:00+08:00")),
            ReturnVisit(case_id=k1.id, kind="reporter", satisfaction="basically_satisfied",
                        visited_at=local("2026-03-20T10:00:00+08:00")),
        ]
    add_rows(runtime, make)

    # February: C1's clue (verification, approved 27 Feb); K1 filed 20 Feb.
    feb = summary(api, FEBRUARY)
    assert clue_figures(feb["county"]) == figures_of(
        clues=1, dispositions={"verification": 1}, filed=1)
    # March: clues approved: C2 (verification), L1 (inquiry, 23:59:59 on the 31st), L3 (closed);
    # not L2 (1 April 00:00), L4 (January), L5 (never approved), C1 (February).
    # Findings: C1 true (20th), C2 untrue (16th), L4 partly true (3rd).
    # Filed: C1 (31st 23:00), K2 (6th, later cancelled: still filed), K4 (25th).
    # Closed (结案): K1 (10th); not K2 (cancelled), not K3 (never filed), not C1 (April).
    # Disciplined: K1's 1 person (5th) + K4's exemption (0); C1's 2 were decided in April.
    # Clarified: C2's 2 people (25th). Malicious referred: K4's (31st 23:59); not the mistaken
    # one, not the refused one. Reporters visited: K3 dissatisfied, K1 basically satisfied; the
    # visits to cleared cadres (C2's, K3's) are not reporter satisfaction.
    mar = summary(api, MARCH)
    assert clue_figures(mar["county"]) == figures_of(
        clues=3, dispositions={"verification": 1, "inquiry": 1, "closed": 1},
        verifications=3, findings={"true": 1, "untrue": 1, "partly_true": 1},
        filed=3, closed=1, disciplined=1, clarified=2, malicious=1,
        visits={"dissatisfied": 1, "basically_satisfied": 1})
    assert mar["county"]["clues_by_disposition"] == {"inquiry": 1, "verification": 1,
                                                     "shelved": 0, "closed": 1}
    assert clue_figures(mar["zone-east"]) == figures_of(
        clues=1, dispositions={"verification": 1}, verifications=2,
        findings={"true": 1, "untrue": 1}, filed=1, clarified=2)
    assert clue_figures(mar["zone-west"]) == figures_of(
        clues=2, dispositions={"inquiry": 1, "closed": 1}, verifications=1,
        findings={"partly_true": 1}, filed=2, closed=1, disciplined=1, malicious=1,
        visits={"dissatisfied": 1, "basically_satisfied": 1})
    assert clue_figures(mar["petition-office"]) == figures_of()
    east = summary(api, {**MARCH, "unit": "zone-east"})
    assert clue_figures(east["town-a"]) == figures_of(verifications=1, findings={"true": 1},
                                                      filed=1)
    assert clue_figures(east["town-b"]) == figures_of(
        clues=1, dispositions={"verification": 1}, verifications=1, findings={"untrue": 1},
        clarified=2)
    # April: L2 (shelved); C1 concluded with 2 people disciplined; C2's referral; reporters:
    # C1 satisfied, C2 dissatisfied (reopened) and then satisfied.
    apr = summary(api, APRIL)
    assert clue_figures(apr["county"]) == figures_of(
        clues=1, dispositions={"shelved": 1}, closed=1, disciplined=2, malicious=1,
        visits={"satisfied": 2, "dissatisfied": 1})
    assert clue_figures(apr["zone-east"]) == figures_of(
        closed=1, disciplined=2, malicious=1, visits={"satisfied": 2, "dissatisfied": 1})


def test_a_shelved_clue_disposed_of_again_and_an_undone_repeat_move_their_counts(deployed,
                                                                                 runtime):
    from engine.timers import service as timers
    api = deployed
    # S (town-a): shelved on 2 March (approved then); six months later the review sends it
    # back; the new proposal (verification) waits; it is approved on 3 September.
    s = official_petition(api, runtime, when="2026-03-02T09:00:00+08:00", unit="town-a")
    complete(api, "a-worker", s, "propose_disposition",
             {"disposition": "shelved", "disposition_reason": "反映线索笼统，暂不具备核查条件"})
    complete(api, "a-head", s, "approve_disposition", {"approved": True})
    # R, 4 March: confirmed as a repeat of S's petition, then the link is undone on 5 March:
    # it is a first-time submission of its own case again (reopened at classification).
    runtime.clock.set(at("2026-03-04T09:00:00+08:00"))
    r = register(api, received="2026-03-04T09:00:00+08:00", reporter=REPORTER)
    s_number = runtime.read(lambda uow: uow.session.query(Petition.number).filter(
        Petition.case_id == s).scalar())
    complete(api, "clerk", r["case_id"], "repeat_check",
             {"is_repeat": True, "original_number": s_number})
    march = summary(api, MARCH)
    # March: S's petition (first-time) and R (repeat, counted for S's town-a); S's clue shelved.
    assert petition_figures(march["zone-east"]) == {
        "petitions": 2, "petitions_first_time": 1, "petitions_repeat": 1,
        "first_time_cleared": 0}
    assert nonzero(march["zone-east"]["clues_by_disposition"]) == {"shelved": 1}
    runtime.clock.set(at("2026-03-05T09:00:00+08:00"))
    undone = api.as_("clerk").delete(f"/petitions/{r['id']}/repeat-of")
    assert undone.status == 200, undone.json
    # R is first-time now; its case is back at classification with the registering petition
    # office (not yet classified), so it counts there.
    march = summary(api, MARCH)
    assert petition_figures(march["zone-east"]) == {
        "petitions": 1, "petitions_first_time": 1, "petitions_repeat": 0,
        "first_time_cleared": 0}
    assert petition_figures(march["petition-office"]) == {
        "petitions": 1, "petitions_first_time": 1, "petitions_repeat": 0,
        "first_time_cleared": 0}
    assert march["county"]["petitions_repeat"] == 0 and march["county"]["petitions"] == 2

    assert timers.run_due(runtime, at("2026-09-02T09:01:00+08:00")) == 1
    runtime.clock.set(at("2026-09-02T10:00:00+08:00"))
    complete(api, "a-worker", s, "review_shelved",
             {"new_information": True, "review_note": "收到补充材料"})
    complete(api, "a-worker", s, "propose_disposition",
             {"disposition": "verification", "disposition_reason": "有新材料，转初核"})
    # Awaiting approval, the clue counts nowhere: not in March, not in September.
    september = {"from": "2026-09-01", "to": "2026-09-30"}
    assert summary(api, MARCH)["county"]["clues"] == 0
    assert summary(api, september)["county"]["clues"] == 0
    runtime.clock.set(at("2026-09-03T10:00:00+08:00"))
    complete(api, "a-head", s, "approve_disposition", {"approved": True})
    assert summary(api, MARCH)["county"]["clues"] == 0
    sep = summary(api, september)
    assert (sep["zone-east"]["clues"], nonzero(sep["zone-east"]["clues_by_disposition"])) == \
        (1, {"verification": 1})


def test_a_rollup_of_another_time_zone_is_not_read_and_init_db_rebuilds_it(deployed, runtime):
    from engine.reports import rollup
    api = deployed
    runtime.clock.set(at("2026-04-01T09:00:00+08:00"))
    # 1 April 00:30 in Shanghai is still 31 March in UTC.
    register(api, received="2026-04-01T00:30:00+08:00")
    runtime.transact(lambda uow: rollup.rebuild(uow.session, "UTC", now=runtime.clock.now()))
    assert runtime.read(lambda uow: rollup.ready(uow.session, "UTC"))
    # Built for UTC, the rollup says March; the summary recounts in Shanghai time instead.
    april = api.as_("chief").get("/reports/summary", query=APRIL).json["units"][0]
    march = api.as_("chief").get("/reports/summary", query=MARCH).json["units"][0]
    assert (april["petitions"], march["petitions"]) == (1, 0)
    assert rollup.ensure(runtime) is True and rollup.ensure(runtime) is False
    assert summary(api, APRIL)["county"]["petitions"] == 1  # from the rebuilt rollup


# ---------------------------------------------------------------------------------------------
# Deadlines: fell due in the period (and by now), breached, an extension moving one out


def deadline_figures(entry: dict) -> tuple:
    return entry["deadlines_due"], entry["deadlines_breached"], entry["overdue_rate"]


def deadline_rows(api, case_id: int) -> list[tuple]:
    return sorted((d["key"], d["status"], d["due_at"])
                  for d in api.as_("chief").get(f"/cases/{case_id}").json["deadlines"])


def test_overdue_rate_counts_what_fell_due_and_what_was_breached(deployed, runtime):
    from engine.cases import service as cases
    from engine.org import service as org
    from engine.timers import service as timers
    api = deployed
    # 2 March (Monday). X: real-name, handled by town-a, notice given and result fed back at
    # once: its acceptance notice and result feedback are met (both due 23 March); its
    # forwarding deadline is cancelled (in scope).
    x = register(api, received="2026-03-02T09:00:00+08:00", reporter=REPORTER)["case_id"]
    classify(api, x, unit="town-a", real_name=True)
    feedback(api, runtime, x, "town-a", when="2026-03-02T09:00:00+08:00",
             satisfaction="satisfied")
    # Y: real-name, left waiting at the repeat check; Z: anonymous, the same.
    y = register(api, received="2026-03-02T09:00:00+08:00", reporter=REPORTER)["case_id"]
    z = register(api, received="2026-03-02T09:00:00+08:00")["case_id"]
    # E: a clarification of town-a approved on Friday 20 March: its step is due in 5 working
    # days (27 March); an approved extension of 5 more moves it to 3 April.
    runtime.clock.set(at("2026-03-20T10:00:00+08:00"))

    def open_clarification(uow):
        return cases.open_case(uow, runtime=runtime, process_key="clarification",
                               user=org.get_user(uow.session, "a-worker"),
                               data={"handling_unit": "town-a", "registering_unit": "town-a",
                                     "cadre_name": "李四", "clue_id": None, "petition_id": None,
                                     "real_name": False, "finding": "untrue"}).id
    e = runtime.transact(open_clarification)
    complete(api, "a-worker", e, "draft", {"clarification_origin": "finding",
                                           "clarified_people": 1, "joint_departments": False,
                                           "clarification_plan": "书面澄清"})
    complete(api, "a-head", e, "approve", {"clarification_approved": True})
    step = task(api, "a-worker", e, "carry_out")
    assert step["due_at"] == "2026-03-27T23:59:59+08:00"
    asked = api.as_("a-worker").post(f"/tasks/{step['id']}/extension",
                                     json={"amount": 5, "unit": "working_days",
                                           "reason": "需会同村党支部召开会议"})
    assert asked.status == 201, asked.json
    assert api.as_("a-head").complete(asked.json, {"approved": True}).status == 200

    assert timers.run_due(runtime, at("2026-03-10T09:00:00+08:00")) == 2  # Y's, Z's forwarding
    runtime.clock.set(at("2026-03-15T09:00:00+08:00"))
    # Mid-March, only what is due by now has fallen due: the two forwarding deadlines (9 March),
    # both breached. X's and Y's notices (23 March) have not fallen due yet.
    mid = summary(api, MARCH)
    assert deadline_figures(mid["county"]) == (2, 2, 1.0)
    assert timers.run_due(runtime, at("2026-03-24T09:00:00+08:00")) == 1  # Y's notice

    assert deadline_rows(api, x) == [
        ("acceptance_notice", "met", "2026-03-23T23:59:59+08:00"),
        ("forward_elsewhere", "cancelled", "2026-03-09T23:59:59+08:00"),
        ("result_feedback", "met", "2026-03-23T23:59:59+08:00")]
    assert deadline_rows(api, y) == [
        ("acceptance_notice", "breached", "2026-03-23T23:59:59+08:00"),
        ("forward_elsewhere", "breached", "2026-03-09T23:59:59+08:00")]
    assert [r[:2] for r in deadline_rows(api, z)] == [
        ("acceptance_notice", "not_applicable"), ("forward_elsewhere", "breached")]
    assert deadline_rows(api, e) == [
        ("clarification_step", "open", "2026-04-03T23:59:59+08:00")]

    # 2 April, March: fell due: X's notice and feedback (met), Y's forwarding and notice
    # (breached), Z's forwarding (breached) = 5, 3 breached: 0.6. Not X's cancelled forwarding,
    # not Z's notice (not applicable), not E's step (extended into April).
    # By unit: the notices and forwardings are the petition office's (the clerk's tasks, or the
    # unit that registered the case when no task took them yet): 4 due, 3 breached; the result
    # feedback is town-a's: 1 due, none breached.
    runtime.clock.set(at("2026-04-02T09:00:00+08:00"))
    mar = summary(api, MARCH)
    assert deadline_figures(mar["county"]) == (5, 3, 0.6)
    assert deadline_figures(mar["petition-office"]) == (4, 3, 0.75)
    assert deadline_figures(mar["zone-east"]) == (1, 0, 0.0)
    assert deadline_figures(mar["zone-west"]) == (0, 0, None)
    assert deadline_figures(summary(api, {**MARCH, "unit": "town-a"})["town-a"]) == (1, 0, 0.0)
    # April: E's step is due on the 3rd, not yet fallen due on the 2nd.
    assert deadline_figures(summary(api, APRIL)["county"]) == (0, 0, None)
    assert timers.run_due(runtime, at("2026-04-04T09:00:00+08:00")) == 1
    runtime.clock.set(at("2026-04-05T09:00:00+08:00"))
    apr = summary(api, APRIL)
    assert deadline_figures(apr["county"]) == (1, 1, 1.0)
    assert deadline_figures(apr["zone-east"]) == (1, 1, 1.0)
    # The quarter holds both months: 6 due, 4 breached.
    assert deadline_figures(summary(api, {"from": "2026-03-01", "to": "2026-04-30"})["county"]) \
        == (6, 4, 0.6667)


# ---------------------------------------------------------------------------------------------
# Flags and periodic obligations


def test_flags_repeat_townships_zero_cases_key_verifications_and_feedback(api, runtime):
    from engine.org.models import User
    # Checked on 10 May 2026: the last complete quarter is January-March, the three months
    # before May are February-April, the last complete two-month period is March-April.
    def make(session, ids):
        clerk = session.query(User.id).filter(User.username == "clerk").scalar()
        now = local("2026-01-02T09:00:00+08:00")
        rows, seq = [], iter(range(1, 1000))

        def case(unit, **kw):
            n = next(seq)
            kw.setdefault("status", "open")
            c = Case(number=f"flag-C{n:04d}", process_key="petition_intake",
                     registered_unit_id=ids["petition-office"],
                     handling_unit_id=ids[unit] if unit else None,
                     first_handling_unit_id=ids[unit] if unit else None, created_at=now, **kw)
            session.add(c)
            session.flush()
            return c

        def petition(c, received, repeat_of=None):
            n = next(seq)
            p = Petition(number=f"flag-{n:04d}", case_id=c.id, channel="letter",
                         received_at=local(received), registered_at=now, registered_by_id=clerk,
                         unit_id=ids["petition-office"], status="merged" if repeat_of else
                         "accepted", repeat_of_id=repeat_of.id if repeat_of else None,
                         updated_at=now)
            session.add(p)
            session.flush()
            return p

        def repeats(unit, *dates):
            original = petition(case(unit), "2025-11-01T09:00:00+08:00")
            for when in dates:
                petition(case(None, status="merged"), when, repeat_of=original)

        # Repeats received in the first quarter: town-a 3, town-b 2, town-c 2, town-d 2, town-e 1
        # (its other one came in April); one of town-f's came in December.
        repeats("town-a", "2026-01-05T09:00:00+08:00", "2026-02-05T09:00:00+08:00",
                "2026-03-31T23:59:00+08:00")
        repeats("town-b", "2026-01-06T09:00:00+08:00", "2026-03-06T09:00:00+08:00")
        repeats("town-c", "2026-01-07T09:00:00+08:00", "2026-03-07T09:00:00+08:00")
        repeats("town-d", "2026-02-08T09:00:00+08:00", "2026-02-09T09:00:00+08:00")
        repeats("town-e", "2026-02-10T09:00:00+08:00", "2026-04-01T00:00:00+08:00")
        repeats("town-f", "2025-12-31T23:00:00+08:00")
        # Cases filed February-April: town-a's own (10 March), town-d's (30 April 23:00);
        # town-c's matter filed at the zone (escalated: not self-handled); town-b's in January
        # and town-e's on 1 May are outside the three months.
        case("town-a", filed_at=local("2026-03-10T09:00:00+08:00"))
        case("town-d", filed_at=local("2026-04-30T23:00:00+08:00"))
        case("zone-east", filed_at=local("2026-03-01T09:00:00+08:00"))
        case("town-b", filed_at=local("2026-01-31T09:00:00+08:00"))
        case("town-e", filed_at=local("2026-05-01T00:30:00+08:00"))
        # Petition cases closed in the first quarter by units other than the petition office:
        # town-a 2 (10 February, 31 March 23:00), supervision-office 1; not town-b's (2 April),
        # not a forwarded one (it counts for the petition office itself).
        for unit, closed in (("town-a", "2026-02-10T09:00:00+08:00"),
                             ("town-a", "2026-03-31T23:00:00+08:00"),
                             ("supervision-office", "2026-01-15T09:00:00+08:00"),
                             ("town-b", "2026-04-02T09:00:00+08:00"),
                             (None, "2026-03-05T09:00:00+08:00")):
            petition(case(unit, status="closed", closed_at=local(closed)),
                     "2026-01-03T09:00:00+08:00")

        # Key verifications in progress during March-April: town-a's KV1 (from February, no
        # finding yet) and KV2 (finding 20 April); town-d's KV6. Not KV3 (finished in
        # February), KV4 (begun in May), KV5 (not a key verification).
        def clue(name, unit, created, finding_at=None, key=True):
            return Clue(number=name, source="inspection", status="verification",
                        unit_id=ids[unit], key_verification=key, created_at=local(created),
                        updated_at=now, finding="true" if finding_at else None,
                        finding_at=local(finding_at) if finding_at else None)
        rows += [clue("KV1", "town-a", "2026-02-10T09:00:00+08:00"),
                 clue("KV2", "town-a", "2026-03-05T09:00:00+08:00", "2026-04-20T09:00:00+08:00"),
                 clue("KV3", "town-a", "2026-01-05T09:00:00+08:00", "2026-02-25T09:00:00+08:00"),
                 clue("KV4", "town-b", "2026-05-02T09:00:00+08:00"),
                 clue("KV5", "town-b", "2026-04-01T09:00:00+08:00", key=False),
                 clue("KV6", "town-d", "2026-03-01T09:00:00+08:00")]
        return rows
    add_rows(runtime, make)
    runtime.clock.set(at("2026-05-05T09:00:00+08:00"))

    # Submissions: town-a reports its key verifications of March-April and its quarterly
    # feedback (the last complete periods by default); town-b reports it has none.
    kv = api.as_("a-head").post("/reports/submissions", json={"kind": "key_verification_report",
                                                              "date": "2026-04-30"})
    assert kv.status == 201, kv.json
    assert (kv.json["from"], kv.json["to"], kv.json["items"], kv.json["unit"]) == \
        ("2026-03-01", "2026-04-30", ["KV1", "KV2"], "town-a")
    fb = api.as_("a-worker").post("/reports/submissions", json={"kind": "quarterly_feedback"})
    assert fb.status == 201, fb.json
    assert (fb.json["from"], fb.json["to"], len(fb.json["items"])) == \
        ("2026-01-01", "2026-03-31", 2)
    assert api.as_("b-worker").post("/reports/submissions",
                                    json={"kind": "key_verification_report"}).json["items"] == []
    # Only townships report key verifications; only their supervisors and caseworkers submit.
    assert api.as_("case-officer").post("/reports/submissions",
                                        json={"kind": "key_verification_report"}).status == 422
    assert api.as_("clerk").post("/reports/submissions",
                                 json={"kind": "quarterly_feedback"}).status == 403
    assert api.as_("a-head").post("/reports/submissions", json={"kind": "nonsense"}).status == 422
    assert api.as_("a-head").post("/reports/submissions",
                                  json={"kind": "quarterly_feedback",
                                        "date": "2026-12-01"}).status == 422
    # KV7 is registered after town-a reported: the report misses it.
    add_rows(runtime, lambda session, ids: [Clue(
        number="KV7", source="inspection", status="verification", unit_id=ids["town-a"],
        key_verification=True, created_at=local("2026-04-25T09:00:00+08:00"),
        updated_at=local("2026-04-25T09:00:00+08:00"))])

    runtime.clock.set(at("2026-05-10T09:00:00+08:00"))
    flags = api.as_("chief").get("/reports/flags").json
    assert (flags["date"], flags["unit"]) == ("2026-05-10", "county")
    # The top three with ties: town-a 3, then town-b, town-c and town-d tied with 2.
    assert flags["repeat_townships"] == {"from": "2026-01-01", "to": "2026-03-31", "items": [
        {"unit": "town-a", "name": "甲镇纪委", "repeats": 3},
        {"unit": "town-b", "name": "乙镇纪委", "repeats": 2},
        {"unit": "town-c", "name": "丙镇纪委", "repeats": 2},
        {"unit": "town-d", "name": "丁镇纪委", "repeats": 2}]}
    assert flags["zero_case_townships"]["from"] == "2026-02-01"
    assert flags["zero_case_townships"]["to"] == "2026-04-30"
    assert [t["unit"] for t in flags["zero_case_townships"]["items"]] == \
        ["town-b", "town-c", "town-e", "town-f"]
    reports = {r["unit"]: r for r in flags["key_verification_reports"]["items"]}
    assert (flags["key_verification_reports"]["from"], flags["key_verification_reports"]["to"]) \
        == ("2026-03-01", "2026-04-30")
    assert list(reports) == ["town-a", "town-b", "town-c", "town-d", "town-e", "town-f"]
    a = reports["town-a"]
    assert (a["key_verifications"], a["reported"], a["missing"], a["flagged"]) == \
        (["KV1", "KV2", "KV7"], True, ["KV7"], True)
    assert a["reported_at"] == "2026-05-05T09:00:00+08:00"
    assert (reports["town-b"]["key_verifications"], reports["town-b"]["reported"],
            reports["town-b"]["flagged"]) == ([], True, False)
    assert (reports["town-d"]["key_verifications"], reports["town-d"]["reported"],
            reports["town-d"]["missing"], reports["town-d"]["flagged"]) == \
        (["KV6"], False, ["KV6"], True)
    assert not reports["town-c"]["flagged"] and not reports["town-c"]["reported"]
    assert flags["quarterly_feedback"]["from"] == "2026-01-01"
    assert [(r["unit"], r["closed_items"], r["reported"], r["flagged"])
            for r in flags["quarterly_feedback"]["items"]] == \
        [("supervision-office", 1, False, True), ("town-a", 2, True, False)]

    # A zone head sees its zone's townships only; a caseworker its own township.
    east = api.as_("east-head").get("/reports/flags").json
    assert [t["unit"] for t in east["repeat_townships"]["items"]] == ["town-a", "town-b", "town-c"]
    assert [t["unit"] for t in east["zero_case_townships"]["items"]] == ["town-b", "town-c"]
    assert [r["unit"] for r in east["quarterly_feedback"]["items"]] == ["town-a"]
    own = api.as_("a-worker").get("/reports/flags").json
    assert [r["unit"] for r in own["key_verification_reports"]["items"]] == ["town-a"]
    assert own["zero_case_townships"]["items"] == []
    assert api.as_("a-worker").get("/reports/flags", query={"unit": "town-b"}).status == 403
    assert api.as_("reviewer").get("/reports/flags").status == 403
    # The submissions are in the audit trail, without any reporter identity.
    from engine.audit.models import AuditEvent
    events = runtime.read(lambda uow: [(e.actor, e.detail["kind"], e.detail["unit"])
                                       for e in uow.session.query(AuditEvent).filter(
                                           AuditEvent.action == "periodic_report_submitted")])
    assert events == [("a-head", "key_verification_report", "town-a"),
                      ("a-worker", "quarterly_feedback", "town-a"),
                      ("b-worker", "key_verification_report", "town-b")]


# ---------------------------------------------------------------------------------------------
# Authority and periods


def test_who_sees_which_reports(api):
    def status(user, **query):
        return api.as_(user).get("/reports/summary", query={**MARCH, **query}).status

    # Clerks and caseworkers: their own unit (the default), nothing else.
    assert status("clerk") == 200 and status("clerk", unit="petition-office") == 200
    assert status("clerk", unit="county") == 403
    only = api.as_("a-worker").get("/reports/summary", query=MARCH).json
    assert [u["unit"] for u in only["units"]] == ["town-a", "village-a-east", "village-a-west"]
    assert status("a-worker", unit="town-b") == 403 and status("a-worker", unit="zone-east") == 403
    # Supervisors: their unit and every unit below it.
    assert status("east-head") == 200 and status("east-head", unit="town-c") == 200
    assert status("east-head", unit="county") == 403 and status("east-head", unit="town-d") == 403
    assert status("chief", unit="town-f") == 200 and status("city-chief", unit="county") == 200
    # Administrators: every unit, aggregates only.
    assert status("admin", unit="city") == 200 and status("admin", unit="town-a") == 200
    assert download(api, "admin", "/reports/ledgers/monthly-report.xlsx", MARCH)[0] == 200
    for kind in ("petition-register", "clue-ledger"):
        assert download(api, "admin", f"/reports/ledgers/{kind}.xlsx", MARCH)[0] == 403
        assert api.as_("admin").post(f"/reports/ledgers/{kind}", json=MARCH).status == 403
    # Joint reviewers and process designers see no reports.
    for user in ("reviewer", "designer"):
        assert status(user) == 403
        assert download(api, user, "/reports/ledgers/monthly-report.xlsx", MARCH)[0] == 403
    assert api.get("/reports/summary").status == 401
    assert status("chief", unit="nowhere") == 404
    assert download(api, "chief", "/reports/ledgers/nonsense.xlsx")[0] == 404


def test_periods_default_validate_and_follow_the_local_calendar(api, runtime):
    def period(**query):
        resp = api.as_("chief").get("/reports/summary", query=query)
        assert resp.status == 200, resp.json
        return resp.json["from"], resp.json["to"]

    # The clock says Monday 2 March 2026 (Shanghai): the default is this month.
    assert period() == ("2026-03-01", "2026-03-31")
    assert period(period="quarter") == ("2026-01-01", "2026-03-31")
    assert period(period="year") == ("2026-01-01", "2026-12-31")
    assert period(period="month", date="2024-02-10") == ("2024-02-01", "2024-02-29")
    assert period(period="quarter", date="2026-11-30") == ("2026-10-01", "2026-12-31")
    assert period(**{"from": "2026-03-10", "to": "2026-03-10"}) == ("2026-03-10", "2026-03-10")
    # 1 March 00:30 in Shanghai is still February in UTC: it belongs to March.
    runtime.clock.set(at("2026-03-01T00:30:00+08:00"))
    assert period() == ("2026-03-01", "2026-03-31")
    for bad in ({"from": "2026-03-31", "to": "2026-03-01"}, {"from": "2026-03-01"},
                {"to": "2026-03-01"}, {"from": "2026-13-01", "to": "2026-13-02"},
                {"period": "week"}, {"from": "2000-01-01", "to": "2030-01-01"},
                {"colour": "red"}):
        resp = api.as_("chief").get("/reports/summary", query=bad)
        assert resp.status == 422, (bad, resp.json)


# ---------------------------------------------------------------------------------------------
# Ledgers


@pytest.fixture
def settings_overrides(tmp_path):
    """Background ledgers go to a temporary folder, not the instance folder."""
    return {"reports": {"path": str(tmp_path / "reports")}}


def ledger_data(api, runtime) -> dict:
    """L4 in February; in March: L1 (real-name, a clue of town-a), L2 (anonymous, forwarded
    sealed on the 3rd), L3 (L1's repeat); and an inspection clue of town-d, disposed of."""
    runtime.clock.set(at("2026-02-20T09:00:00+08:00"))
    l4 = register(api, received="2026-02-20T09:00:00+08:00")
    runtime.clock.set(at("2026-03-02T09:00:00+08:00"))
    l1 = register(api, received="2026-03-02T09:00:00+08:00", reporter=REPORTER)
    classify(api, l1["case_id"], unit="town-a", official=True, real_name=True)
    runtime.clock.set(at("2026-03-03T09:00:00+08:00"))
    l2 = register(api, received="2026-03-03T08:00:00+08:00", channel="visit",
                  township="town-b", category="other")
    classify(api, l2["case_id"], unit=None, category="other")
    complete(api, "clerk", l2["case_id"], "forward", {"forwarded_to": "市纪委监委", "sealed": True})
    runtime.clock.set(at("2026-03-04T09:00:00+08:00"))
    l3 = register(api, received="2026-03-04T09:00:00+08:00", reporter=REPORTER)
    complete(api, "clerk", l3["case_id"], "repeat_check",
             {"is_repeat": True, "original_number": l1["number"]})
    add_rows(runtime, lambda session, ids: [Clue(
        number="town-d-2026-L000009", source="inspection", status="inquiry",
        unit_id=ids["town-d"], accused_name="赵六", accused_post="村会计",
        accused_unit="丁村村委会", accused_level="village", summary="巡察发现账目不清",
        disposition="inquiry", disposition_reason="问题较轻，函询了解",
        approved_at=local("2026-03-06T10:00:00+08:00"), key_verification=False,
        created_at=local("2026-03-05T10:00:00+08:00"),
        updated_at=local("2026-03-06T10:00:00+08:00"))])
    return {"l1": l1, "l2": l2, "l3": l3, "l4": l4}


def test_ledgers_are_numbered_masked_spreadsheets(deployed, runtime):
    api = deployed
    data = ledger_data(api, runtime)
    l1, l2, l3 = data["l1"], data["l2"], data["l3"]

    status, headers, book = download(api, "chief", "/reports/ledgers/petition-register.xlsx",
                                     MARCH)
    assert status == 200
    assert headers["Content-Type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    disposition = headers["Content-Disposition"]
    assert disposition.startswith(
        'attachment; filename="petition-register_county_2026-03-01_2026-03-31.xlsx"; '
        "filename*=UTF-8''")
    assert "%E4%BF%A1%E8%AE%BF%E4%BB%B6%E7%99%BB%E8%AE%B0%E5%8F%B0%E8%B4%A6" in disposition
    assert book.worksheets[0].title == "信访件登记台账"
    rows = rows_of(book)
    assert rows[0] == ["序号", "信访件编号", "收件日期", "来源渠道", "举报人", "联系电话",
                       "被反映人", "职务", "被反映人单位", "层级", "所属乡镇", "村(社区)",
                       "问题类别", "主要问题", "初信/重复", "原件编号", "登记单位", "首办单位",
                       "承办单位", "办理状态", "办结日期"]
    # March only (not February's L4), in order of receipt, numbered from 1; the numbers as
    # people read them (甲镇纪委〔2026〕信访1号), not the coded ones.
    assert l1["display_number"] and l1["display_number"] != l1["number"]
    assert [r[:2] for r in rows[1:]] == [[1, l1["display_number"]], [2, l2["display_number"]],
                                         [3, l3["display_number"]]]
    first = dict(zip(rows[0], rows[1], strict=False))
    assert first["收件日期"] == datetime(2026, 3, 2)
    assert (first["来源渠道"], first["举报人"], first["联系电话"]) == ("来信", "王**", "138****5678")
    assert (first["被反映人"], first["职务"], first["层级"], first["所属乡镇"]) == \
        ("李四", "村委会主任", "村干部", "甲镇纪委")
    assert (first["问题类别"], first["初信/重复"], first["登记单位"], first["首办单位"],
            first["承办单位"], first["办理状态"], first["办结日期"]) == \
        ("惠民资金(扶贫、低保)", "初信初访", "信访室", "甲镇纪委", "甲镇纪委", "已受理", None)
    sealed = dict(zip(rows[0], rows[2], strict=False))
    assert (sealed["举报人"], sealed["主要问题"], sealed["被反映人"], sealed["承办单位"],
            sealed["办理状态"], sealed["办结日期"]) == \
        ("匿名", "（密封转送，不载内容）", None, "信访室", "已转送", datetime(2026, 3, 3))
    repeat = dict(zip(rows[0], rows[3], strict=False))
    assert (repeat["初信/重复"], repeat["原件编号"], repeat["承办单位"], repeat["办理状态"]) == \
        ("重复件", l1["display_number"], "甲镇纪委", "重复件合并办理")
    everything = str(rows)
    for secret in ("王小明", "13812345678", "330481199001011234", "东村5组12号"):
        assert secret not in everything
    # town-a's register: the two petitions that count for it.
    status, _, book = download(api, "a-head", "/reports/ledgers/petition-register.xlsx",
                               {**MARCH, "unit": "town-a"})
    assert [r[:2] for r in rows_of(book)[1:]] == [[1, l1["display_number"]], [2, l3["display_number"]]]

    status, _, book = download(api, "chief", "/reports/ledgers/clue-ledger.xlsx", MARCH)
    assert status == 200 and book.worksheets[0].title == "问题线索台账"
    rows = rows_of(book)
    assert rows[0][:6] == ["序号", "线索编号", "受理日期", "线索来源", "关联信访件编号", "反映人"]
    clue = dict(zip(rows[0], rows[1], strict=False))
    assert (clue["序号"], clue["线索编号"], clue["线索来源"], clue["关联信访件编号"],
            clue["反映人"], clue["被反映人"], clue["承办单位"], clue["处置方式"],
            clue["线索状态"], clue["重点初核件"]) == \
        (1, "甲镇纪委〔2026〕线索1号", "信访举报", l1["display_number"], "王**", "李四", "甲镇纪委", None,
         "待处置", "否")
    other = dict(zip(rows[0], rows[2], strict=False))
    assert (other["序号"], other["线索来源"], other["反映人"], other["承办单位"],
            other["处置方式"], other["处置理由"], other["处置审批日期"], other["线索状态"]) == \
        (2, "巡察移交", None, "丁镇纪委", "谈话函询", "问题较轻，函询了解", datetime(2026, 3, 6),
         "谈话函询")
    # A clue from before display numbers (no display number of its own) keeps its code.
    assert other["线索编号"] == "town-d-2026-L000009"
    assert len(rows) == 3 and "王小明" not in str(rows)

    status, _, book = download(api, "chief", "/reports/ledgers/monthly-report.xlsx", MARCH)
    assert status == 200 and book.worksheets[0].title == "月报表"
    rows = rows_of(book)
    figures = summary(api, MARCH)
    assert [r[:2] for r in rows[1:]] == [[i + 1, entry["unit_name"]]
                                         for i, entry in enumerate(figures.values())]
    county = dict(zip(rows[0], rows[1], strict=False))
    # 3 submissions in March (one repeat); one clue disposed of (the inspection clue).
    assert (county["信访件次"], county["初信初访"], county["重复件"], county["问题线索"],
            county["谈话函询"], county["来信"], county["来访"]) == (3, 2, 1, 1, 1, 2, 1)
    assert county["超期率"] == "—" and county["到期时限"] == figures["county"]["deadlines_due"]


def test_ledger_jobs_report_progress_and_serve_the_file(deployed, runtime):
    api = deployed
    data = ledger_data(api, runtime)
    started = api.as_("a-head").post("/reports/ledgers/petition-register",
                                     json={**MARCH, "unit": "town-a"})
    assert started.status == 202, started.json
    job = started.json
    # Tests bind the runtime to one connection, so the job runs before the response.
    assert (job["status"], job["rows_written"], job["rows_total"]) == ("done", 2, 2)
    assert job["download"] == f"/api/v1/reports/jobs/{job['id']}/download"
    assert api.as_("a-head").get(f"/reports/jobs/{job['id']}").json == job
    status, headers, book = download(api, "a-head", f"/reports/jobs/{job['id']}/download")
    assert status == 200 and "petition-register_town-a_2026-03-01_2026-03-31.xlsx" in \
        headers["Content-Disposition"]
    assert [r[:2] for r in rows_of(book)[1:]] == [[1, data["l1"]["display_number"]],
                                                  [2, data["l3"]["display_number"]]]
    # Someone else's job does not exist for you; nor does an unknown one.
    assert api.as_("chief").get(f"/reports/jobs/{job['id']}").status == 404
    assert download(api, "chief", f"/reports/jobs/{job['id']}/download")[0] == 404
    assert api.as_("a-head").get("/reports/jobs/nope").status == 404
    # Authority is checked before anything is built.
    assert api.as_("a-head").post("/reports/ledgers/clue-ledger",
                                  json={**MARCH, "unit": "county"}).status == 403
    assert api.as_("a-head").post("/reports/ledgers/nonsense", json=MARCH).status == 404
    monthly = api.as_("admin").post("/reports/ledgers/monthly-report", json=MARCH).json
    # The county and the 12 units directly below it (the demo's two departments included).
    assert (monthly["status"], monthly["rows_written"], monthly["rows_total"]) == ("done", 13, 13)
