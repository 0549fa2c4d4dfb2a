"""Daily supervision end to end through HTTP, as the demo users (both databases): inspection ->
findings -> rectification -> 销号; refusal; overdue; finding -> clue; cross-check staffing with
recusal; patrol double feedback; interference entry -> quarterly report -> missing-report flag;
the ledgers opened with openpyxl and their headers checked against the seeds' forms (seed 002
附件2-4, seed 003 双十条 part 2 item 6; copied into tests/fixtures/supervision_forms.yaml)."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from engine.timers import service as timers
from tests.api_client import deploy_all
from tests.e2e.test_pages_cases import Page

ROOT = Path(__file__).resolve().parents[2]
BPMN = ROOT / "bpmn"
FORMS = yaml.safe_load((ROOT / "tests" / "fixtures" / "supervision_forms.yaml")
                       .read_text(encoding="utf-8"))


@pytest.fixture
def sv(api):
    resp = deploy_all(api.as_("designer"), [BPMN / "inspection.bpmn", BPMN / "rectification.bpmn",
                                            BPMN / "clue_disposition.bpmn",
                                            BPMN / "inquiry.bpmn",
                                            BPMN / "preliminary_verification.bpmn",
                                            BPMN / "joint_review.bpmn", BPMN / "case_filing.bpmn",
                                            BPMN / "clarification.bpmn",
                                            BPMN / "false_accusation.bpmn"])
    assert resp.status == 201, resp.json
    return api


def inbox(api, user) -> list[dict]:
    resp = api.as_(user).get("/tasks")
    assert resp.status == 200, resp.json
    return resp.json["items"]


def task(api, user, element_id, instance_id) -> dict:
    found = [t for t in inbox(api, user) if t["element_id"] == element_id
             and t["instance_id"] == instance_id]
    assert len(found) == 1, [(t["element_id"], t["instance_id"]) for t in inbox(api, user)]
    return found[0]


def complete(api, user, t, data, status=200):
    resp = api.as_(user).complete(t, data)
    assert resp.status == status, resp.json
    return resp.json


FINDING = {"unit": "town-a", "category": "welfare_funds",
           "description": "低保资金发放台账不全，3户低保对象无审批记录",
           "evidence": "抽查低保档案12份", "suggestion": "补齐审批记录，开展低保对象复核",
           "responsible_person": "甲镇民政办主任 赵六", "time_limit_days": 20}


def plan(api, user="s-inspector", **over) -> dict:
    body = {"kind": "special", "title": "惠民资金专项督查", "content": "低保、救助资金发放",
            "targets": ["town-a"], "inspectors": ["s-inspector"]}
    body.update(over)
    resp = api.as_(user).post("/inspections", json=body)
    assert resp.status == 201, resp.json
    return resp.json


def inspected(api, findings, *, inspector="s-inspector", approver="s-head", **over) -> dict:
    """Plan, carry out, record the findings, hand in, approve; return the inspection."""
    ins = plan(api, inspector, **over)
    complete(api, inspector, task(api, inspector, "carry_out", ins["instance_id"]),
             {"inspection_report": "检查了低保档案和资金发放记录", "carried_out_on": "2026-03-02"})
    for f in findings:
        resp = api.as_(inspector).post(f"/inspections/{ins['id']}/findings", json=f)
        assert resp.status == 201, resp.json
    complete(api, inspector, task(api, inspector, "record_findings", ins["instance_id"]), {})
    complete(api, approver, task(api, approver, "approve", ins["instance_id"]),
             {"inspection_approved": True, "approval_comment": "同意"})
    resp = api.as_(inspector).get(f"/inspections/{ins['id']}")
    assert resp.status == 200 and resp.json["status"] == "approved", resp.json
    return resp.json


def ledger(api, user, kind, **query) -> tuple[list, list[list]]:
    resp = api.as_(user).client.get(f"/api/v1/reports/ledgers/{kind}.xlsx",
                                    query_string={"from": "2026-01-01", "to": "2026-12-31",
                                                  **query},
                                    headers=api.as_(user)._headers())
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    wb = load_workbook(io.BytesIO(resp.get_data()))
    ws = wb.worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return rows[0], rows[1:]


def test_inspection_findings_rectification_and_closing(sv, runtime):
    api = sv
    ins = inspected(api, [FINDING])
    finding = ins["findings"][0]
    assert finding["status"] == "measures" and finding["due_at"] is not None
    assert finding["number"].startswith("supervision-office-2026-F")
    # The responsible unit rectifies from its inbox; the deadline follows its open task.
    t = task(api, "a-rectifier", "state_measures", finding["instance_id"])
    assert t["due_at"] is not None
    complete(api, "a-rectifier", t, {"measures": "补齐审批记录；全镇低保对象复核"})
    t = task(api, "a-rectifier", "report_progress", finding["instance_id"])
    assert t["due_at"] is not None
    up = api.as_("a-rectifier").request(
        "POST", f"/findings/{finding['id']}/evidence",
        data={"file": (io.BytesIO(b"%PDF-1.4 proof"), "proof.pdf", "application/pdf")})
    assert up.status == 201, up.json
    complete(api, "a-rectifier", t, {"progress": "已补齐3户审批记录", "rectification_done": True})
    # Closing needs the inspecting unit's verification: nobody else is offered it.
    assert [x for x in inbox(api, "a-rectifier") if x["instance_id"] == finding["instance_id"]] == []
    t = task(api, "s-inspector", "verify", finding["instance_id"])
    complete(api, "s-inspector", t, {"rectification_verified": True,
                                     "verification_comment": "经核查整改到位"})
    got = api.as_("a-rectifier").get(f"/findings/{finding['id']}").json
    assert got["status"] == "closed" and got["closed_at"] and not got["overdue"]
    assert [e["kind"] for e in got["entries"]] == ["measures", "progress", "verified"]
    assert got["files"][0]["file_name"] == "proof.pdf"
    figures = api.as_("chief").get("/supervision/figures").json
    assert {"unit": "town-a", "unit_name": "甲镇纪委", "found": 1, "closed": 1, "on_time": 1,
            "overdue": 0} in figures
    # 整改台账 with the closed row; 检查台账 one row per finding.
    headers, rows = ledger(api, "chief", "rectification-ledger")
    assert headers == FORMS["rectification_ledger"]
    assert len(rows) == 1 and rows[0][headers.index("完成情况")] == "已补齐3户审批记录"
    assert rows[0][headers.index("状态")] == "已销号"
    # The ledgers number the finding as people read it (甲镇纪委〔2026〕问题1号), not its code.
    assert got["display_number"] and got["display_number"] != got["number"]
    assert rows[0][headers.index("编号")] == got["display_number"]
    headers, rows = ledger(api, "chief", "inspection-ledger")
    assert headers == FORMS["inspection_ledger"]
    assert rows[0][headers.index("编号")] == got["display_number"]
    assert "〔" in rows[0][headers.index("检查编号")]
    assert rows[0][headers.index("发现的问题")] == FINDING["description"]
    assert rows[0][headers.index("整改时限")] is not None
    headers, rows = ledger(api, "chief", "supervision-monthly")
    assert headers == FORMS["monthly_report"]


def test_refusal_sends_the_rectification_back(sv, runtime):
    api = sv
    finding = inspected(api, [FINDING])["findings"][0]
    iid = finding["instance_id"]
    complete(api, "a-rectifier", task(api, "a-rectifier", "state_measures", iid),
             {"measures": "补齐记录"})
    complete(api, "a-rectifier", task(api, "a-rectifier", "report_progress", iid),
             {"progress": "已补齐", "rectification_done": True})
    verify = task(api, "s-inspector", "verify", iid)
    # A refusal needs its reason.
    resp = api.as_("s-inspector").complete(verify, {"rectification_verified": False})
    assert resp.status == 422 and "verification_comment" in resp.json["error"]["fields"]
    complete(api, "s-inspector", verify, {"rectification_verified": False,
                                          "verification_comment": "复核记录缺签字"})
    again = task(api, "a-rectifier", "report_progress", iid)
    assert again["due_at"] is not None
    got = api.as_("s-inspector").get(f"/findings/{finding['id']}").json
    assert got["status"] == "rectifying" and got["entries"][-1]["kind"] == "refused"


def test_overdue_rectification_is_red_and_escalated(sv, runtime, app):
    api = sv
    finding = inspected(api, [dict(FINDING, time_limit_days=3)])["findings"][0]
    iid = finding["instance_id"]
    later = runtime.clock.now() + timedelta(days=10)
    assert timers.run_due(runtime, later) == 1
    runtime.clock.set(later)
    t = task(api, "a-rectifier", "state_measures", iid)
    assert t["warning"] == "red"
    # On the supervisor's overdue board; it belongs to no case, so its case column says so.
    board = Page(app, "a-head").get("/overdue").get_data(as_text=True)
    row = board.split(f'id="board-{t["id"]}"')[1].split("</tr>")[0]
    assert "制定整改措施" in row and "<td>—</td>" in row
    # Escalated: the responsible unit's supervisors are told.
    notes = api.as_("a-head").get("/notifications").json
    assert any("问题整改" in n["message"] for n in notes["items"]), notes
    figures = {f["unit"]: f for f in api.as_("chief").get("/supervision/figures").json}
    assert figures["town-a"] == {"unit": "town-a", "unit_name": "甲镇纪委", "found": 1,
                                 "closed": 0, "on_time": 0, "overdue": 1}
    headers, rows = ledger(api, "chief", "rectification-ledger")
    assert rows[0][headers.index("状态")] == "已超期"
    # Still red on the next step (the row follows the open task); closed late it stays overdue.
    complete(api, "a-rectifier", t, {"measures": "补齐记录"})
    t = task(api, "a-rectifier", "report_progress", iid)
    assert t["warning"] == "red"
    complete(api, "a-rectifier", t, {"progress": "已补齐", "rectification_done": True})
    complete(api, "s-inspector", task(api, "s-inspector", "verify", iid),
             {"rectification_verified": True})
    figures = {f["unit"]: f for f in api.as_("chief").get("/supervision/figures").json}
    assert (figures["town-a"]["closed"], figures["town-a"]["on_time"],
            figures["town-a"]["overdue"]) == (1, 0, 1)
    headers, rows = ledger(api, "chief", "rectification-ledger")
    assert rows[0][headers.index("状态")] == "已销号（超期）"


def test_finding_about_a_person_becomes_a_clue(sv, runtime):
    api = sv
    ins = inspected(api, [dict(FINDING, person_name="赵六", person_post="民政办主任")])
    finding = ins["findings"][0]
    resp = api.as_("a-rectifier").post(f"/findings/{finding['id']}/clue")
    assert resp.status == 403
    resp = api.as_("s-inspector").post(f"/findings/{finding['id']}/clue")
    assert resp.status == 201, resp.json
    clue = api.as_("chief").get(f"/clues/{resp.json['id']}").json
    assert clue["source"] == "inspection" and clue["accused"]["name"] == "赵六"
    assert clue["status"] == "pending" and clue["unit"] == "supervision-office"
    # It is in the clue disposition: the office's caseworker proposes a disposition.
    tasks = [t for t in inbox(api, "s-officer") if t["case_id"] == resp.json["case_id"]]
    assert [t["element_id"] for t in tasks] == ["propose_disposition"]
    again = api.as_("s-inspector").post(f"/findings/{finding['id']}/clue")
    assert again.status == 409


def test_cross_check_draws_inspectors_from_other_townships_with_recusal(sv, runtime):
    api = sv
    # Drawn automatically: town-b and town-c inspectors for a check of town-a.
    ins = plan(api, "east-head", kind="cross", targets=["town-a"], inspectors=[])
    assert sorted(ins["inspectors"]) == ["b-inspector", "c-inspector"]
    # The lead inspector works it, from another township.
    assert task(api, "b-inspector", "carry_out", ins["instance_id"])
    # An inspector from an inspected township steps aside (回避).
    resp = api.as_("east-head").post("/inspections", json={
        "kind": "cross", "title": "交叉互查", "targets": ["town-a", "town-b"],
        "inspectors": ["b-inspector"]})
    assert resp.status == 422 and "回避" in resp.json["error"]["message"], resp.json
    # One from outside the zone is no cross-check inspector.
    resp = api.as_("east-head").post("/inspections", json={
        "kind": "cross", "title": "交叉互查", "targets": ["town-a"], "inspectors": ["s-inspector"]})
    assert resp.status == 422 and "other townships" in resp.json["error"]["message"], resp.json


def test_patrol_double_feedback(sv, runtime):
    api = sv
    ins = inspected(api, [dict(FINDING, unit="village-a-east", category="collective_assets",
                               description="村集体资产出租未公开招标",
                               responsible_person="东村村委会主任")],
                    kind="patrol", targets=["town-a"])
    finding = ins["findings"][0]
    assert finding["supervising_unit"] == "town-a" and finding["unit"] == "village-a-east"
    # Both recipients see the finding.
    for user in ("east-rectifier", "a-head", "a-worker"):
        assert api.as_(user).get(f"/findings/{finding['id']}").status == 200, user
    assert api.as_("b-worker").get(f"/findings/{finding['id']}").status == 403
    iid = finding["instance_id"]
    complete(api, "east-rectifier", task(api, "east-rectifier", "state_measures", iid),
             {"measures": "公开招标重新出租"})
    complete(api, "east-rectifier", task(api, "east-rectifier", "report_progress", iid),
             {"progress": "已重新公开招标", "rectification_done": True})
    # The township supervises before the inspectors verify.
    sup = task(api, "a-worker", "supervise", iid)
    complete(api, "a-worker", sup, {"supervision_agreed": False,
                                    "supervision_comment": "招标结果未公示"})
    complete(api, "east-rectifier", task(api, "east-rectifier", "report_progress", iid),
             {"progress": "招标结果已公示", "rectification_done": True})
    complete(api, "a-worker", task(api, "a-worker", "supervise", iid),
             {"supervision_agreed": True})
    complete(api, "s-inspector", task(api, "s-inspector", "verify", iid),
             {"rectification_verified": True})
    got = api.as_("a-head").get(f"/findings/{finding['id']}").json
    assert got["status"] == "closed"
    assert [e["kind"] for e in got["entries"]] == ["measures", "progress", "supervision",
                                                   "progress", "supervision", "verified"]


def test_recurring_problems_are_flagged(sv, runtime):
    api = sv
    ins = inspected(api, [FINDING, dict(FINDING, description="临时救助审批缺少公示")])
    assert [f["recurring"] for f in ins["findings"]] == [True, True]


def test_interference_register_quarterly_report_and_flag(sv, runtime):
    api = sv
    entry = {"cadre_name": "钱七", "cadre_unit": "某镇政府", "cadre_post": "副镇长",
             "occurred_on": "2026-02-10", "form": "电话打招呼", "matter_kind": "projects",
             "matter": "要求某工程项目指定施工单位", "handling": "未予采纳，已登记"}
    assert api.as_("a-worker").post("/interference", json=entry).status == 403
    resp = api.as_("housing-registrar").post("/interference", json=entry)
    assert resp.status == 201, resp.json
    eid = resp.json["id"]
    assert resp.json["number"].startswith("dept-housing-2026-G")
    # Searchable by the commission; not by another department.
    found = api.as_("chief").get("/interference", query={"q": "钱七"}).json
    assert [e["id"] for e in found] == [eid]
    assert api.as_("land-registrar").get("/interference", query={"q": "钱七"}).json == []
    assert api.as_("land-registrar").get(f"/interference/{eid}").status == 403
    # Never deleted, only corrected (with a reason; old and new audited).
    assert api.as_("housing-registrar").delete(f"/interference/{eid}").status == 405
    fixed = api.as_("housing-registrar").patch(f"/interference/{eid}", json={
        "cadre_post": "常务副镇长", "reason": "职务登记有误"})
    assert fixed.status == 200 and fixed.json["corrections"] == 1
    # The commission turns it into a clue.
    clue = api.as_("s-officer").post(f"/interference/{eid}/clue", json={})
    assert clue.status == 201, clue.json
    # Quarterly report: the housing department reports, the resources department does not.
    sub = api.as_("housing-registrar").post("/reports/submissions", json={
        "kind": "interference_quarterly_report", "date": "2026-02-15"})
    assert sub.status == 201, sub.json
    assert sub.json["items"] == [resp.json["number"]]
    flags = api.as_("chief").get("/reports/flags", query={"date": "2026-04-02"}).json
    items = {i["unit"]: i for i in flags["interference_reports"]["items"]}
    assert items["dept-housing"]["flagged"] is False and items["dept-housing"]["entries"] == 1
    assert items["dept-resources"]["flagged"] is True
    headers, rows = ledger(api, "chief", "interference-report", unit="county")
    assert headers == FORMS["interference_report"]
    assert rows[0][headers.index("姓名")] == "钱七"
    assert rows[0][headers.index("编号")] == resp.json["display_number"] != resp.json["number"]
    assert rows[0][headers.index("职务")] == "常务副镇长"
    # A second entry about the same matter joins the clue the first one became.
    second = api.as_("housing-registrar").post("/interference", json=dict(
        entry, occurred_on="2026-02-20", form="当面说情")).json
    assert api.as_("housing-registrar").post(f"/interference/{second['id']}/clue", json={
        "clue_id": clue.json["id"]}).status == 403
    joined = api.as_("s-officer").post(f"/interference/{second['id']}/clue",
                                       json={"clue_id": clue.json["id"]})
    assert joined.status == 201, joined.json
    assert joined.json["id"] == clue.json["id"]
    assert api.as_("chief").get(f"/interference/{second['id']}").json["clue_id"] == clue.json["id"]
    again = api.as_("s-officer").post(f"/interference/{second['id']}/clue", json={})
    assert again.status == 409 and again.json["error"]["reason"] == "interference_clue_exists"


def test_petition_villages_link_to_village_units(api, runtime):
    """New petitions link their free-text village to the village unit of that name; the rest
    are listed for an administrator and linked when the village unit is created."""
    from engine.org import service as org
    from engine.petitions import service as petitions
    from engine.petitions.models import Petition
    from tests.api_client import deploy_processes
    deploy_processes(api)

    def register(village):
        def work(uow):
            clerk = org.get_user(uow.session, "clerk")
            body = {"channel": "letter", "reporter": {"anonymous": True},
                    "accused": [{"name": "李四", "post": "村委会主任", "unit": village,
                                 "level": "village"}], "township": "town-a",
                    "village": village, "category": "welfare_funds", "content": "反映问题"}
            return petitions.register(uow, runtime=runtime, user=clerk, fields=body).id
        return runtime.transact(work)
    linked, unlinked = register("东村"), register("北村")
    got = runtime.read(lambda uow: {p.id: p.village_unit_id for p in
                                    uow.session.query(Petition).all()})
    assert got[linked] is not None and got[unlinked] is None
    assert api.as_("chief").get("/villages/unlinked").status == 403
    rows = api.as_("admin").get("/villages/unlinked").json
    assert {"township": "town-a", "township_name": "甲镇纪委", "village": "北村",
            "petitions": 1} in rows
    made = api.as_("admin").post("/admin/units", json={"code": "village-a-north", "name": "北村",
                                                      "kind": "village", "parent": "town-a"})
    assert made.status == 201, made.json
    assert not any(r["village"] == "北村" for r in api.as_("admin").get("/villages/unlinked").json)
