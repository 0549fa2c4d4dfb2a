"""Clues end to end through HTTP, one test per path: a petition about a village cadre becomes a
clue of town-a, which is disposed of in one of the four ways (closed, shelved and reviewed after
six months, talk or letter inquiry, preliminary verification), the proposal can be sent back,
every verification finding leads to its decision, and a filed case goes through investigation,
trial, sanction and closing. Each test checks the inboxes, the clue, the deadlines and the
audit trail."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine.cases.models import Case
from engine.timers import service as timers
from tests.api_client import deploy_processes

ROOT = Path(__file__).resolve().parents[2]
REPORTER = {"anonymous": False, "name": "王小明", "id_number": "330481199001011234",
            "phone": "13812345678", "address": "浙江省海宁市甲镇东村5组12号"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture(autouse=True)
def deployed(api):
    """Every process a clue can pass through, deployed together so the call activities
    resolve. (The demo users include `trial-officer`, a caseworker of 案件审理室.)"""
    deploy_processes(api)


# ---------------------------------------------------------------------------------------------
# Helpers


def inbox(api, user: str, case_id: int) -> list[dict]:
    return [t for t in api.as_(user).get("/tasks", query={"per_page": 100}).json["items"]
            if t["case_id"] == case_id]


def elements(api, user: str, case_id: int) -> list[str]:
    return sorted(t["element_id"] for t in inbox(api, user, case_id))


def task(api, user: str, case_id: int, element_id: str) -> dict:
    found = [t for t in inbox(api, user, case_id) if t["element_id"] == element_id]
    assert found, (user, element_id, elements(api, user, case_id))
    return found[0]


def complete(api, user: str, case_id: int, element_id: str, data: dict) -> dict:
    resp = api.as_(user).complete(task(api, user, case_id, element_id), data)
    assert resp.status == 200, resp.json
    return resp.json


def clue_of(api, case_id: int, user: str = "a-head") -> dict:
    (listed,) = api.as_(user).get(f"/cases/{case_id}/clues").json
    shown = api.as_(user).get(f"/clues/{listed['id']}")
    assert shown.status == 200 and shown.json == listed
    return listed


def case_of(api, case_id: int, user: str = "chief") -> dict:
    return api.as_(user).get(f"/cases/{case_id}").json


def fed_back(api, case_id: int) -> dict:
    """The matter is concluded: the real-name reporter is told the result (the handling unit's
    caseworker) and visited (the petition office), then the case closes. Returns the case."""
    case = case_of(api, case_id)
    assert [t["element_id"] for t in case["current_tasks"]] == ["result_feedback"], case
    (feedback,) = case["current_tasks"]
    assert feedback["deadline_key"] == "result_feedback"
    done = api.as_("a-worker").complete(feedback, {"feedback_method": "phone",
                                                  "feedback_summary": "已将处理结果告知举报人"})
    assert done.status == 200, done.json
    (visit,) = done.json["next_tasks"]
    assert api.as_("clerk").complete(visit, {"satisfaction": "satisfied"}).status == 200
    return case_of(api, case_id)


def deadlines(api, case_id: int) -> dict[str, list[dict]]:
    rows: dict[str, list[dict]] = {}
    for row in case_of(api, case_id)["deadlines"]:
        rows.setdefault(row["key"], []).append(row)
    return rows


def statuses(api, case_id: int) -> dict[str, list[str]]:
    return {key: [r["status"] for r in rows] for key, rows in deadlines(api, case_id).items()}


def history(api, case_id: int) -> list[dict]:
    return api.as_("chief").get(f"/cases/{case_id}/history").json


def actions(api, case_id: int) -> list[str]:
    return [e["action"] for e in history(api, case_id)]


def events(api, case_id: int, action: str) -> list[dict]:
    return [e for e in history(api, case_id) if e["action"] == action]


def open_clue(api, *, anonymous: bool = False) -> int:
    """A petition about a village cadre, registered by the clerk and classified to town-a."""
    body = {"channel": "letter", "received_at": "2026-03-02T09:00:00+08:00",
            "reporter": {"anonymous": True} if anonymous else REPORTER,
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}
    created = api.as_("clerk").post("/petitions", json=body)
    assert created.status == 201, created.json
    case_id = created.json["case_id"]
    complete(api, "clerk", case_id, "repeat_check", {"is_repeat": False})
    done = complete(api, "clerk", case_id, "classify",
                    {"in_scope": True, "concerns_official": True, "category": "welfare_funds",
                     "first_handling_unit": "town-a"})
    if not anonymous:
        assert [t["element_id"] for t in done["next_tasks"]] == ["acceptance_notice"]
        done = complete(api, "clerk", case_id, "acceptance_notice", {"method": "phone"})
    (proposal,) = done["next_tasks"]
    assert (proposal["element_id"], proposal["candidate_unit"], proposal["candidate_role"]) == \
        ("propose_disposition", "town-a", "caseworker")
    return case_id


def dispose(api, case_id: int, disposition: str, reason: str = "经研判，按此方式处置") -> None:
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": disposition, "disposition_reason": reason})
    complete(api, "a-head", case_id, "approve_disposition", {"approved": True, "comment": "同意"})


def to_evidence(api, case_id: int, *, key: bool = False) -> None:
    """Disposed of by verification; plan approved; the evidence task is open."""
    dispose(api, case_id, "verification", "反映问题具体，可查性强")
    complete(api, "a-worker", case_id, "plan_verification",
             {"verification_plan": "调取低保审批材料，走访低保户，与李四谈话",
              "key_verification": key, "verification_team": "a-worker, a-worker2"})
    complete(api, "a-head", case_id, "approve_verification_plan", {"approved": True})


def report(api, case_id: int, finding: str) -> None:
    complete(api, "a-worker", case_id, "gather_evidence",
             {"talks": "与李四及3户低保户谈话", "documents": "调取2025年低保审批表",
              "site_visits": "走访东村5组", "finding": finding,
              "verification_report": f"初核认定：{finding}"})


# ---------------------------------------------------------------------------------------------
# Disposition


def test_a_clue_closed_at_disposition_records_why(api):
    case_id = open_clue(api)
    clue = clue_of(api, case_id)
    assert clue["number"] == "town-a-2026-L000001"
    assert (clue["status"], clue["unit"], clue["source"]) == ("pending", "town-a", "petition")
    assert clue["accused"] == {"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                               "level": "village"}
    assert clue["disposition"] is None and clue["approved_at"] is None
    data = case_of(api, case_id)["data"]
    assert data["clue_id"] == clue["id"] and data["handling_unit"] == "town-a"

    # The proposal is the town-a caseworkers' (1 month from receipt by the handling unit).
    proposal = task(api, "a-worker", case_id, "propose_disposition")
    assert proposal["deadline_key"] == "disposal_proposal"
    assert proposal["due_at"] == "2026-04-02T23:59:59+08:00"
    assert elements(api, "a-worker2", case_id) == ["propose_disposition"]
    assert elements(api, "b-worker", case_id) == []
    assert api.as_("b-worker").get(f"/cases/{case_id}/clues").status == 403
    assert api.as_("b-worker").get(f"/clues/{clue['id']}").status == 403

    bad = api.as_("a-worker").complete(proposal, {"disposition": "closed",
                                                  "disposition_reason": "  "})
    assert bad.status == 422 and "disposition_reason" in bad.json["error"]["fields"]
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "closed", "disposition_reason": "反映内容已在年度审计中查清，无新情况"})
    # Only the supervisor approves. The proposal alone does not meet the month: the approval
    # works under the same deadline (DEADLINES.md: met when the proposal is approved).
    assert elements(api, "a-worker", case_id) == []
    approval = task(api, "a-head", case_id, "approve_disposition")
    assert (approval["candidate_unit"], approval["candidate_role"]) == ("town-a", "supervisor")
    assert (approval["deadline_key"], approval["due_at"]) == \
        ("disposal_proposal", "2026-04-02T23:59:59+08:00")
    (running,) = deadlines(api, case_id)["disposal_proposal"]
    assert (running["status"], running["task_id"]) == ("open", approval["id"])
    assert api.as_("a-worker").complete(approval, {"approved": True}).status == 403
    pending = clue_of(api, case_id)
    assert (pending["disposition"], pending["proposed_by"], pending["approved_at"]) == \
        ("closed", "a-worker", None)
    complete(api, "a-head", case_id, "approve_disposition", {"approved": True, "comment": "同意"})

    clue = clue_of(api, case_id)
    assert (clue["status"], clue["disposition"], clue["approved_by"]) == \
        ("closed", "closed", "a-head")
    assert clue["approved_at"] == clue["closed_at"] == "2026-03-02T09:00:00+08:00"
    assert clue["closed_reason"] == "予以了结：反映内容已在年度审计中查清，无新情况"
    case = fed_back(api, case_id)
    assert case["status"] == "closed" and case["current_tasks"] == []
    assert statuses(api, case_id) == {"acceptance_notice": ["met"],
                                      "forward_elsewhere": ["cancelled"],
                                      "disposal_proposal": ["met"], "result_feedback": ["met"]}
    trail = actions(api, case_id)
    for name in ("clue_created", "clue_disposition_proposed", "clue_disposition_approved",
                 "clue_closed", "instance_completed"):
        assert name in trail, name
    assert trail.index("clue_disposition_approved") < trail.index("clue_closed")
    (closed,) = events(api, case_id, "clue_closed")
    assert closed["actor"] == "a-head" and closed["detail"]["clue"] == clue["number"]
    assert "王小明" not in str(history(api, case_id))


def test_a_proposal_sent_back_is_proposed_again_and_then_approved(api):
    case_id = open_clue(api, anonymous=True)
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "closed", "disposition_reason": "情节轻微"})
    complete(api, "a-head", case_id, "approve_disposition",
             {"approved": False, "comment": "反映具体，应当初核"})
    # Back with the caseworkers; nothing was approved.
    assert elements(api, "a-worker", case_id) == ["propose_disposition"]
    assert elements(api, "a-head", case_id) == ["propose_disposition"]
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["approved_at"], clue["approved_by"]) == ("pending", None, None)
    (returned,) = events(api, case_id, "clue_disposition_returned")
    assert returned["actor"] == "a-head"
    assert returned["detail"] == {"clue": clue["number"], "disposition": "closed",
                                  "comment": "反映具体，应当初核"}
    # One starting event, one row: the re-work runs against the first month.
    (running,) = deadlines(api, case_id)["disposal_proposal"]
    again = task(api, "a-worker", case_id, "propose_disposition")
    assert (running["status"], running["task_id"]) == ("open", again["id"])
    assert again["due_at"] == running["due_at"] == "2026-04-02T23:59:59+08:00"
    assert "deadline_handed_on" in actions(api, case_id)

    dispose(api, case_id, "verification", "反映问题具体，可查性强")
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["disposition"], clue["disposition_reason"]) == \
        ("verification", "verification", "反映问题具体，可查性强")
    assert clue["approved_by"] == "a-head" and clue["closed_at"] is None
    assert elements(api, "a-worker", case_id) == ["plan_verification"]
    assert statuses(api, case_id)["disposal_proposal"] == ["met"]
    assert case_of(api, case_id)["status"] == "open"
    trail = actions(api, case_id)
    assert trail.count("clue_disposition_proposed") == 2
    assert trail.count("clue_disposition_approved") == 1


def test_a_shelved_clue_is_reviewed_six_months_later_and_disposed_of_again(api, runtime):
    case_id = open_clue(api)
    dispose(api, case_id, "shelved", "反映线索笼统，暂不具备核查条件")
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["disposition"]) == ("shelved", "shelved")
    assert clue["shelved_until"] == "2026-09-02T23:59:59+08:00"
    (review,) = deadlines(api, case_id)["shelved_review"]
    assert (review["status"], review["due_at"], review["task_id"]) == \
        ("open", "2026-09-02T23:59:59+08:00", None)
    assert elements(api, "a-worker", case_id) == []
    assert case_of(api, case_id)["status"] == "open"

    # The BPMN timer waits six months from the approval (09:00 on 2 March).
    assert timers.run_due(runtime, at("2026-09-02T08:59:00+08:00")) == 0
    assert elements(api, "a-worker", case_id) == []
    assert timers.run_due(runtime, at("2026-09-02T09:01:00+08:00")) == 1
    runtime.clock.set(at("2026-09-02T09:05:00+08:00"))
    item = task(api, "a-worker", case_id, "review_shelved")
    assert (item["candidate_unit"], item["deadline_key"]) == ("town-a", "shelved_review")
    assert item["due_at"] == "2026-09-02T23:59:59+08:00" and item["warning"] == "yellow"
    assert "timer_fired" in actions(api, case_id)

    complete(api, "a-worker", case_id, "review_shelved",
             {"new_information": True, "review_note": "收到补充材料，反映李四冒领低保金"})
    assert elements(api, "a-worker", case_id) == ["propose_disposition"]
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["shelved_until"]) == ("pending", None)
    assert statuses(api, case_id)["shelved_review"] == ["met"]
    assert statuses(api, case_id)["disposal_proposal"] == ["met", "open"]
    dispose(api, case_id, "verification", "有新材料，转初核")
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["disposition"], clue["approved_at"]) == \
        ("verification", "verification", "2026-09-02T09:05:00+08:00")
    trail = actions(api, case_id)
    assert trail.index("clue_shelved") < trail.index("timer_fired") < \
        trail.index("shelved_clue_reviewed")
    (reviewed,) = events(api, case_id, "shelved_clue_reviewed")
    assert reviewed["actor"] == "a-worker" and reviewed["detail"]["new_information"] is True


# ---------------------------------------------------------------------------------------------
# Talk or letter inquiry (谈话函询)


def to_letter(api, case_id: int) -> dict:
    """Disposed of by inquiry, a letter sent: the reply is awaited."""
    dispose(api, case_id, "inquiry", "反映问题线索较为笼统，先行函询")
    assert clue_of(api, case_id)["status"] == "inquiry"
    complete(api, "a-worker", case_id, "plan_inquiry",
             {"inquiry_method": "letter", "inquiry_questions": "请说明2025年低保户名单审核情况"})
    complete(api, "a-worker", case_id, "send_inquiry_letter",
             {"letter_number": "甲纪函〔2026〕3号", "sent_on": "2026-03-02"})
    waiting = task(api, "a-worker", case_id, "register_inquiry_reply")
    assert waiting["deadline_key"] == "inquiry_reply"
    # 15 working days from the letter (Monday 2 March).
    assert waiting["due_at"] == "2026-03-23T23:59:59+08:00"
    return waiting


def test_a_letter_inquiry_whose_reply_arrives_as_a_message_is_closed(api, runtime):
    case_id = open_clue(api)
    to_letter(api, case_id)
    instance_id = case_of(api, case_id)["instance_id"]
    runtime.clock.set(at("2026-03-16T10:00:00+08:00"))
    message = {"name": "inquiry_reply", "payload": {"reply_summary": "李四书面说明情况，党支部书记签字"}}
    assert api.as_("a-worker").post(f"/process-instances/{instance_id}/messages",
                                    json=message).status == 403
    sent = api.as_("a-head").post(f"/process-instances/{instance_id}/messages", json=message)
    assert sent.status == 200, sent.json

    # The registration task is gone; the report is due a month after the reply.
    assert elements(api, "a-worker", case_id) == ["report_inquiry"]
    report_task = task(api, "a-worker", case_id, "report_inquiry")
    assert (report_task["deadline_key"], report_task["due_at"]) == \
        ("inquiry_report", "2026-04-16T23:59:59+08:00")
    complete(api, "a-worker", case_id, "report_inquiry",
             {"outcome": "close", "inquiry_report": "函询回复说明合理，有相关材料佐证"})
    (reply,) = deadlines(api, case_id)["inquiry_reply"]
    assert reply["status"] == "met"
    assert elements(api, "a-worker", case_id) == []
    complete(api, "a-head", case_id, "approve_inquiry_report", {"approved": True})

    clue = clue_of(api, case_id)
    assert (clue["status"], clue["disposition"]) == ("closed", "inquiry")
    assert clue["closed_reason"] == "谈话函询后予以了结：函询回复说明合理，有相关材料佐证"
    assert clue["closed_at"] == "2026-03-16T10:00:00+08:00"
    assert fed_back(api, case_id)["status"] == "closed"
    assert statuses(api, case_id)["inquiry_report"] == ["met"]
    trail = actions(api, case_id)
    assert trail.index("inquiry_letter_sent") < trail.index("message_received") < \
        trail.index("inquiry_reported") < trail.index("clue_closed")
    (received,) = events(api, case_id, "inquiry_reply_received")
    assert received["detail"]["via"] == "message"
    assert received["detail"]["received_at"].startswith("2026-03-16T02:00:00")


def test_a_letter_reply_registered_by_the_caseworker_escalates_to_verification(api, runtime):
    case_id = open_clue(api)
    waiting = to_letter(api, case_id)
    runtime.clock.set(at("2026-03-20T15:00:00+08:00"))
    unsigned = api.as_("a-worker").complete(
        waiting, {"reply_summary": "李四否认虚报", "countersigned": False})
    assert unsigned.status == 422 and "countersigned" in unsigned.json["error"]["fields"]
    complete(api, "a-worker", case_id, "register_inquiry_reply",
             {"reply_summary": "李四否认虚报", "countersigned": True, "replied_on": "2026-03-19"})
    (reply,) = deadlines(api, case_id)["inquiry_reply"]
    assert reply["status"] == "met"
    complete(api, "a-worker", case_id, "report_inquiry",
             {"outcome": "verification", "inquiry_report": "回复与群众反映明显不符，建议初核"})
    assert elements(api, "a-head", case_id) == ["approve_inquiry_report"]
    complete(api, "a-head", case_id, "approve_inquiry_report", {"approved": True})

    assert elements(api, "a-worker", case_id) == ["plan_verification"]
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["disposition"], clue["closed_at"]) == \
        ("verification", "inquiry", None)
    assert statuses(api, case_id)["inquiry_report"] == ["met"]
    assert case_of(api, case_id)["status"] == "open"
    trail = actions(api, case_id)
    assert "inquiry_escalated" in trail and "message_received" not in trail
    (received,) = events(api, case_id, "inquiry_reply_received")
    assert received["actor"] == "a-worker" and received["detail"]["via"] == "registered"


def test_a_talk_inquiry_report_sent_back_then_closed(api):
    case_id = open_clue(api)
    dispose(api, case_id, "inquiry", "先行谈话了解情况")
    complete(api, "a-worker", case_id, "plan_inquiry",
             {"inquiry_method": "talk", "inquiry_questions": "低保户名单审核过程"})
    assert elements(api, "a-worker", case_id) == ["inquiry_talk"]
    complete(api, "a-worker", case_id, "inquiry_talk",
             {"talked_on": "2026-03-02", "talk_record": "李四说明低保户名单经村民代表评议"})
    assert "inquiry_reply" not in deadlines(api, case_id)
    complete(api, "a-worker", case_id, "report_inquiry",
             {"outcome": "close", "inquiry_report": "谈话说明"})
    (running,) = deadlines(api, case_id)["inquiry_report"]
    assert running["status"] == "open"
    complete(api, "a-head", case_id, "approve_inquiry_report",
             {"approved": False, "comment": "请附评议记录"})
    assert elements(api, "a-worker", case_id) == ["report_inquiry"]
    (still,) = deadlines(api, case_id)["inquiry_report"]
    assert (still["id"], still["status"], still["due_at"]) == \
        (running["id"], "open", running["due_at"])
    assert clue_of(api, case_id)["status"] == "inquiry"
    complete(api, "a-worker", case_id, "report_inquiry",
             {"outcome": "close", "inquiry_report": "谈话说明属实，附村民代表评议记录"})
    complete(api, "a-head", case_id, "approve_inquiry_report", {"approved": True})
    clue = clue_of(api, case_id)
    assert clue["status"] == "closed"
    assert clue["closed_reason"] == "谈话函询后予以了结：谈话说明属实，附村民代表评议记录"
    assert statuses(api, case_id)["inquiry_report"] == ["met"]
    assert fed_back(api, case_id)["status"] == "closed"
    trail = actions(api, case_id)
    assert trail.index("inquiry_talk_held") < trail.index("inquiry_report_returned") < \
        trail.index("inquiry_report_approved") < trail.index("clue_closed")


# ---------------------------------------------------------------------------------------------
# Preliminary verification (初步核实) and the filed case


def test_a_true_finding_is_filed_tried_decided_and_closed(api, runtime):
    case_id = open_clue(api)
    to_evidence(api, case_id)
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["key_verification"]) == ("verification", False)
    # The report is due 15 working days after the plan's approval; more time needs approval.
    gather = task(api, "a-worker", case_id, "gather_evidence")
    assert (gather["deadline_key"], gather["due_at"]) == \
        ("verification_report", "2026-03-23T23:59:59+08:00")
    asked = api.as_("a-worker").post(f"/tasks/{gather['id']}/extension",
                                     json={"amount": 5, "unit": "working_days",
                                           "reason": "等待银行流水"})
    assert asked.status == 201, asked.json
    assert (asked.json["candidate_unit"], asked.json["candidate_role"]) == ("town-a", "supervisor")
    assert api.as_("a-head").complete(asked.json, {"approved": True, "comment": "同意"}).status == 200
    assert task(api, "a-worker", case_id, "gather_evidence")["due_at"] == \
        "2026-03-30T23:59:59+08:00"

    runtime.clock.set(at("2026-03-27T10:00:00+08:00"))
    report(api, case_id, "true")
    clue = clue_of(api, case_id)
    assert (clue["finding"], clue["finding_at"]) == ("true", "2026-03-27T10:00:00+08:00")
    assert elements(api, "a-worker", case_id) == []
    decision = task(api, "a-head", case_id, "decide_verification")
    wrong = api.as_("a-head").complete(decision, {"decision": "clarify", "decision_reason": "x"})
    assert wrong.status == 422 and "decision" in wrong.json["error"]["fields"]
    complete(api, "a-head", case_id, "decide_verification",
             {"decision": "file", "decision_reason": "李四虚报低保户3户，违反群众纪律"})

    # 立案: approval files the case.
    complete(api, "a-worker", case_id, "request_filing", {"filing_reason": "初核属实，需追究纪律责任"})
    assert case_of(api, case_id)["filed_at"] is None
    complete(api, "a-head", case_id, "approve_filing", {"approved": True, "comment": "同意立案"})
    assert at(case_of(api, case_id)["filed_at"]) == at("2026-03-27T10:00:00+08:00")
    assert clue_of(api, case_id)["status"] == "filed"

    runtime.clock.set(at("2026-04-10T09:00:00+08:00"))
    complete(api, "a-worker", case_id, "investigate_case",
             {"investigation_report": "查明李四虚报低保户3户，套取资金2.4万元", "measures": "谈话、调取账目"})
    # Trial by the trial office, within a month. The handling unit's supervisor sees it (a
    # task of its case) but neither works nor supervises it (the trial office's own).
    assert elements(api, "a-worker", case_id) == [] and \
        elements(api, "a-head", case_id) == ["trial_case"]
    seen = task(api, "a-head", case_id, "trial_case")
    assert api.as_("a-head").complete(seen, {"trial_opinion": "x"}).status == 403
    assert api.as_("a-head").post(f"/tasks/{seen['id']}/reassign",
                                  json={"assignee": "a-worker", "reason": "x"}).status == 403
    trial = task(api, "trial-officer", case_id, "trial_case")
    assert (trial["candidate_unit"], trial["candidate_role"], trial["deadline_key"]) == \
        ("trial-office", "caseworker", "trial_report")
    assert trial["due_at"] == "2026-05-11T23:59:59+08:00"
    complete(api, "trial-officer", case_id, "trial_case",
             {"trial_opinion": "事实清楚，证据确凿", "proposed_sanction": "serious_warning"})

    runtime.clock.set(at("2026-04-20T09:00:00+08:00"))
    sanction = task(api, "a-head", case_id, "decide_sanction")
    nobody = api.as_("a-head").complete(sanction, {"sanction": "serious_warning",
                                                   "people_disciplined": 0})
    assert nobody.status == 422 and "people_disciplined" in nobody.json["error"]["fields"]
    complete(api, "a-head", case_id, "decide_sanction",
             {"sanction": "serious_warning", "people_disciplined": 1,
              "decision_note": "甲纪发〔2026〕5号"})
    announce = task(api, "a-worker", case_id, "announce_decision")
    assert (announce["deadline_key"], announce["due_at"]) == \
        ("decision_announcement", "2026-05-20T23:59:59+08:00")
    complete(api, "a-worker", case_id, "announce_decision",
             {"announced_on": "2026-04-22", "announcement_note": "当面宣布并送达"})
    complete(api, "a-head", case_id, "conclude_case", {"closing_note": "案卷齐全，予以结案"})

    case = fed_back(api, case_id)
    assert case["status"] == "closed" and case["current_tasks"] == []
    assert (case["data"]["sanction"], case["data"]["people_disciplined"]) == ("serious_warning", 1)
    row = runtime.read(lambda uow: uow.session.get(Case, case_id))
    assert (row.sanction, row.people_disciplined) == ("serious_warning", 1)
    assert runtime.clock.local(row.decided_at).isoformat() == "2026-04-20T09:00:00+08:00"
    assert runtime.clock.local(row.closed_at).isoformat() == "2026-04-20T09:00:00+08:00"
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["finding"], clue["closed_at"]) == ("filed", "true", None)
    assert statuses(api, case_id) == {
        "acceptance_notice": ["met"], "forward_elsewhere": ["cancelled"],
        "disposal_proposal": ["met"], "verification_report": ["met"], "trial_report": ["met"],
        "decision_announcement": ["met"], "result_feedback": ["met"]}
    trail = actions(api, case_id)
    order = ["verification_planned", "verification_plan_approved", "deadline_extended",
             "verification_reported", "verification_decided", "case_filing_requested",
             "case_filed", "case_investigated", "case_tried", "case_decided",
             "decision_announced", "case_concluded"]
    assert [a for a in trail if a in order] == order
    assert trail[-1] == "instance_completed"  # the case's own process (after the extension's)
    (decided,) = events(api, case_id, "case_decided")
    assert decided["actor"] == "a-head"
    assert decided["detail"]["sanction_label"] == "严重警告"
    assert decided["detail"]["people_disciplined"] == 1


def test_a_partly_true_finding_ends_with_a_reminder_talk(api):
    case_id = open_clue(api)
    to_evidence(api, case_id)
    report(api, case_id, "partly_true")
    decision = task(api, "a-head", case_id, "decide_verification")
    wrong = api.as_("a-head").complete(decision, {"decision": "clarify", "decision_reason": "x"})
    assert wrong.status == 422
    complete(api, "a-head", case_id, "decide_verification",
             {"decision": "remind", "decision_reason": "问题部分属实，情节轻微"})
    assert clue_of(api, case_id)["status"] == "verification"
    assert elements(api, "a-worker", case_id) == ["remind_talk"]
    complete(api, "a-worker", case_id, "remind_talk",
             {"remind_method": "criticise", "remind_record": "对李四进行批评教育，责令整改"})
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["finding"]) == ("closed", "partly_true")
    assert clue["closed_reason"] == "批评教育后予以了结：对李四进行批评教育，责令整改"
    assert fed_back(api, case_id)["status"] == "closed"
    assert statuses(api, case_id)["verification_report"] == ["met"]
    trail = actions(api, case_id)
    assert trail.index("verification_decided") < trail.index("cadre_reminded") < \
        trail.index("clue_closed")
    (decided,) = events(api, case_id, "verification_decided")
    assert decided["detail"]["decision"] == "remind"
    assert decided["detail"]["finding"] == "partly_true"


def test_an_untrue_finding_after_a_plan_sent_back_closes_the_clue(api):
    case_id = open_clue(api)
    dispose(api, case_id, "verification")
    complete(api, "a-worker", case_id, "plan_verification", {"verification_plan": "走访"})
    complete(api, "a-head", case_id, "approve_verification_plan",
             {"approved": False, "comment": "方案过简"})
    assert elements(api, "a-worker", case_id) == ["plan_verification"]
    assert "verification_report" not in deadlines(api, case_id)
    complete(api, "a-worker", case_id, "plan_verification",
             {"verification_plan": "调取低保审批材料，走访低保户，与李四谈话"})
    complete(api, "a-head", case_id, "approve_verification_plan", {"approved": True})
    report(api, case_id, "untrue")
    complete(api, "a-head", case_id, "decide_verification",
             {"decision": "close", "decision_reason": "低保户名单经评议公示，反映不实"})
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["finding"]) == ("closed", "untrue")
    assert clue["closed_reason"] == "初核不属实，予以了结：低保户名单经评议公示，反映不实"
    assert fed_back(api, case_id)["status"] == "closed"
    assert statuses(api, case_id)["verification_report"] == ["met"]
    trail = actions(api, case_id)
    assert trail.index("verification_plan_returned") < trail.index("verification_plan_approved")


def test_an_unverifiable_finding_cannot_be_filed_and_is_closed(api):
    case_id = open_clue(api)
    to_evidence(api, case_id)
    report(api, case_id, "unverifiable")
    decision = task(api, "a-head", case_id, "decide_verification")
    wrong = api.as_("a-head").complete(decision, {"decision": "file", "decision_reason": "x"})
    assert wrong.status == 422
    complete(api, "a-head", case_id, "decide_verification",
             {"decision": "close", "decision_reason": "当事人已去世，无法查实"})
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["finding"]) == ("closed", "unverifiable")
    assert clue["closed_reason"] == "初核无法查实，予以了结：当事人已去世，无法查实"
    case = fed_back(api, case_id)
    assert (case["status"], case["filed_at"]) == ("closed", None)
    assert statuses(api, case_id)["verification_report"] == ["met"]
    assert "case_filed" not in actions(api, case_id)


# Paths through the processes other areas own (joint review, clarification): tested last.


def test_a_key_verification_goes_to_joint_review_before_the_decision(api):
    case_id = open_clue(api)
    to_evidence(api, case_id, key=True)
    assert clue_of(api, case_id)["key_verification"] is True
    report(api, case_id, "partly_true")
    # The chair is town-a's parent (the zone); no decision before the review (town-a's head
    # sees the review of its case, the chair convenes it).
    assert elements(api, "a-head", case_id) == ["convene"]
    convene = task(api, "east-head", case_id, "convene")
    assert (convene["process_key"], convene["candidate_unit"]) == ("joint_review", "zone-east")
    complete(api, "east-head", case_id, "convene", {"review_agenda": "李四低保问题重点初核件"})
    for reviewer, unit in (("reviewer", "supervision-office"), ("reviewer-org", "org-dept"),
                           ("reviewer-police", "police")):
        assert task(api, reviewer, case_id, "member_opinion")["candidate_unit"] == unit
        complete(api, reviewer, case_id, "member_opinion", {"position": "agree"})
    complete(api, "east-head", case_id, "consolidate",
             {"review_decision": "agree", "review_note": "同意予以批评教育"})
    complete(api, "a-head", case_id, "decide_verification",
             {"decision": "remind", "decision_reason": "联审同意"})
    complete(api, "a-worker", case_id, "remind_talk",
             {"remind_method": "remind", "remind_record": "提醒谈话"})
    clue = clue_of(api, case_id)
    assert (clue["status"], clue["key_verification"]) == ("closed", True)
    assert fed_back(api, case_id)["status"] == "closed"
    assert statuses(api, case_id)["verification_report"] == ["met"]
    (decided,) = events(api, case_id, "verification_decided")
    assert decided["detail"]["review_decision"] == "agree"
    trail = actions(api, case_id)
    assert trail.index("verification_reported") < trail.index("verification_decided")


def test_an_untrue_finding_can_lead_to_clarification(api):
    case_id = open_clue(api)
    to_evidence(api, case_id)
    report(api, case_id, "untrue")
    complete(api, "a-head", case_id, "decide_verification",
             {"decision": "clarify", "decision_reason": "反映不实，对李四造成不良影响"})
    clue = clue_of(api, case_id)
    assert clue["status"] == "closed"
    assert clue["closed_reason"] == "初核不属实，澄清正名：反映不实，对李四造成不良影响"
    data = case_of(api, case_id)["data"]
    assert (data["cadre_name"], data["clue_id"]) == ("李四", clue["id"])
    first = inbox(api, "a-worker", case_id)
    assert [t["process_key"] for t in first] == ["clarification"]
    assert first[0]["candidate_unit"] == "town-a"
    assert case_of(api, case_id)["status"] == "open"
    assert statuses(api, case_id)["verification_report"] == ["met"]
    trail = actions(api, case_id)
    assert trail.index("verification_decided") < trail.index("clue_closed")
