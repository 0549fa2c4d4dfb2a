"""Clarification of falsely accused cadres (澄清正名), false-accusation handling (错告/诬告),
result feedback with return visits (反馈, 回访) and the first-handling transfer (首办责任制),
end to end through HTTP as the demo users."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases import service as cases
from engine.cases.models import Case
from engine.org import service as org
from engine.visits import service as visits
from tests.api_client import deploy_all

ROOT = Path(__file__).resolve().parents[2]
FILES = ["clarification.bpmn", "false_accusation.bpmn", "feedback_visit.bpmn",
         "first_handling_transfer.bpmn"]
CASE_DATA = {"handling_unit": "town-a", "registering_unit": "petition-office",
             "cadre_name": "李四", "clue_id": None, "petition_id": None, "real_name": True}


@pytest.fixture
def deployed(api):
    resp = deploy_all(api.as_("designer"), [ROOT / "bpmn" / name for name in FILES])
    assert resp.status == 201, resp.json
    assert {r["key"] for r in resp.json} == {"clarification", "false_accusation",
                                            "feedback_visit", "first_handling_transfer"}
    assert all(not r["warnings"] for r in resp.json), resp.json
    return api


def open_case(runtime, key: str, user: str = "a-worker", **data) -> int:
    def work(uow):
        return cases.open_case(uow, runtime=runtime, process_key=key,
                               data={**CASE_DATA, **data},
                               user=org.get_user(uow.session, user)).id
    return runtime.transact(work)


def tasks_of(api, user: str, case_id: int) -> list[dict]:
    return [t for t in api.as_(user).get("/tasks", query={"per_page": 100}).json["items"]
            if t["case_id"] == case_id]


def only_task(api, user: str, case_id: int, element_id: str) -> dict:
    found = tasks_of(api, user, case_id)
    assert [t["element_id"] for t in found] == [element_id], found
    return found[0]


def complete(api, user: str, task: dict, data: dict, status: int = 200):
    resp = api.as_(user).complete(task, data)
    assert resp.status == status, resp.json
    return resp.json


def history(api, case_id: int, user: str = "a-head") -> list[str]:
    return [e["action"] for e in api.as_(user).get(f"/cases/{case_id}/history").json]


def deadline(api, case_id: int, key: str, user: str = "a-head") -> list[dict]:
    return [d for d in api.as_(user).get(f"/cases/{case_id}").json["deadlines"]
            if d["key"] == key]


def case_row(runtime, case_id: int) -> Case:
    return runtime.read(lambda uow: uow.session.get(Case, case_id))


# ---------------------------------------------------------------------------------------------
# Clarification


def test_clarification_from_an_untrue_finding_with_meeting_and_notice(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "clarification", finding="untrue")
    draft = only_task(api, "a-worker", case_id, "draft")
    assert (draft["lane"], draft["candidate_unit"], draft["candidate_role"]) == \
        ("承办人", "town-a", "caseworker")
    form = api.as_("a-worker").get(f"/tasks/{draft['id']}").json["form"]
    assert form["properties"]["scope_meeting"]["title"] == "会议澄清"

    out = complete(api, "a-worker", draft, {
        "clarification_origin": "finding", "scope_meeting": True, "scope_notice": True,
        "clarified_people": 1, "joint_departments": False,
        "clarification_plan": "在村党员大会上澄清并书面通报"})
    (approve,) = out["next_tasks"]
    assert (approve["element_id"], approve["lane"], approve["candidate_unit"],
            approve["candidate_role"]) == ("approve", "审批人", "town-a", "supervisor")
    assert tasks_of(api, "a-worker", case_id) == []
    # A caseworker cannot approve.
    assert api.as_("a-worker").complete(approve, {"clarification_approved": True}).status == 403

    (row,) = api.as_("a-worker").get(f"/cases/{case_id}/clarifications").json
    assert (row["status"], row["scope"], row["people"], row["origin"], row["cadre_name"]) == \
        ("drafted", ["written", "meeting", "notice"], 1, "finding", "李四")

    out = complete(api, "a-head", approve, {"clarification_approved": True,
                                            "clarification_comment": "同意"})
    (carry,) = out["next_tasks"]
    assert (carry["element_id"], carry["deadline_key"], carry["candidate_unit"]) == \
        ("carry_out", "clarification_step", "town-a")
    # 5 working days from Monday 2026-03-02 (approval day not counted).
    assert carry["due_at"] == "2026-03-09T23:59:59+08:00" and carry["warning"] == "green"
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/clarifications").json
    assert row["status"] == "approved" and row["approved_by"] == "a-head"
    assert row["approved_at"].startswith("2026-03-02T09:00:00") and row["carried_out_at"] is None

    # Every approved step must be done: the meeting is missing.
    bad = api.as_("a-worker").complete(carry, {"done_written": True, "done_notice": True})
    assert bad.status == 422 and "done_meeting" in bad.json["error"]["fields"]
    runtime.clock.set(runtime.clock.now().replace(day=5))
    out = complete(api, "a-worker", carry, {"done_written": True, "done_meeting": True,
                                            "done_notice": True, "carried_out_note": "已完成"})
    (visit,) = out["next_tasks"]
    assert visit["element_id"] == "cadre_visit" and visit["lane"] == "承办人"
    (row,) = api.as_("a-worker").get(f"/cases/{case_id}/clarifications").json
    assert row["status"] == "done" and row["carried_out_at"].startswith("2026-03-05T09:00:00")
    (step,) = deadline(api, case_id, "clarification_step")
    assert step["status"] == "met" and step["due_at"] == "2026-03-09T23:59:59+08:00"

    complete(api, "a-worker", visit, {"cadre_visit_notes": "干部表示放下包袱，安心工作",
                                      "cadre_satisfaction": "satisfied"})
    (cadre_visit,) = api.as_("a-head").get(f"/cases/{case_id}/return-visits").json
    assert (cadre_visit["kind"], cadre_visit["satisfaction"], cadre_visit["visited_by"]) == \
        ("cadre", "satisfied", "a-worker")
    assert api.as_("a-head").get(f"/cases/{case_id}").json["status"] == "closed"
    actions = history(api, case_id)
    for name in ("clarification_drafted", "clarification_approved", "clarification_carried_out",
                 "return_visit_recorded", "deadline_met"):
        assert name in actions, actions
    # Someone with no part in the case sees none of it.
    assert api.as_("d-worker").get(f"/cases/{case_id}/clarifications").status == 403


def test_clarification_with_other_departments_has_the_joint_deadline(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "clarification", finding="untrue", cadre_name="王五")
    draft = only_task(api, "a-worker", case_id, "draft")
    (approve,) = complete(api, "a-worker", draft, {
        "clarification_origin": "finding", "scope_publication": True, "clarified_people": 2,
        "joint_departments": True})["next_tasks"]
    (carry,) = complete(api, "a-head", approve, {"clarification_approved": True})["next_tasks"]
    assert (carry["element_id"], carry["deadline_key"]) == \
        ("carry_out_joint", "clarification_step_joint")
    assert carry["due_at"] == "2026-03-16T23:59:59+08:00"  # 10 working days
    (row,) = api.as_("a-worker").get(f"/cases/{case_id}/clarifications").json
    assert row["scope"] == ["written", "publication"] and row["people"] == 2


def test_clarification_refused_by_the_supervisor_ends(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "clarification", clarification_origin="application")
    draft = only_task(api, "a-worker", case_id, "draft")
    (approve,) = complete(api, "a-worker", draft, {"clarification_origin": "application",
                                                   "clarified_people": 1})["next_tasks"]
    out = complete(api, "a-head", approve, {"clarification_approved": False,
                                            "clarification_comment": "影响已消除"})
    assert out["next_tasks"] == []
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/clarifications").json
    assert (row["status"], row["origin"], row["scope"], row["carried_out_at"]) == \
        ("refused", "application", ["written"], None)
    assert "clarification_refused" in history(api, case_id)
    assert api.as_("a-head").get(f"/cases/{case_id}").json["status"] == "closed"


def test_no_clarification_for_an_unverifiable_allegation(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "clarification", finding="unverifiable")
    draft = only_task(api, "a-worker", case_id, "draft")
    for origin in ("finding", "application"):
        resp = api.as_("a-worker").complete(draft, {"clarification_origin": origin,
                                                    "scope_meeting": True})
        assert resp.status == 422, resp.json
        assert "origin_finding" in resp.json["error"]["fields"]
    assert api.as_("a-worker").get(f"/cases/{case_id}/clarifications").json == []
    # The caseworker closes it without a clarification.
    out = complete(api, "a-worker", draft, {"clarification_withdrawn": True,
                                            "clarification_plan": "查无实据但不能排除"})
    assert out["next_tasks"] == []
    assert api.as_("a-worker").get(f"/cases/{case_id}/clarifications").json == []
    assert "clarification_withdrawn" in history(api, case_id)


# ---------------------------------------------------------------------------------------------
# False accusations


def test_mistaken_accusation_is_only_educated(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "false_accusation")
    assess = only_task(api, "a-worker", case_id, "assess")
    (educate,) = complete(api, "a-worker", assess, {
        "accusation_kind": "mistaken", "accusation_note": "举报人误解政策", "aggravating": "none"
    })["next_tasks"]
    assert (educate["element_id"], educate["lane"], educate["candidate_unit"]) == \
        ("educate", "承办人", "town-a")
    # No city-level approval for an honest mistake.
    assert [t["candidate_unit"] for t in tasks_of(api, "city-chief", case_id)] == ["town-a"]
    complete(api, "a-worker", educate, {"education_method": "talk"})
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/referrals").json
    assert (row["kind"], row["status"], row["aggravating"], row["approved_at"]) == \
        ("mistaken", "educated", "", None)
    assert row["decided_at"].startswith("2026-03-02")
    actions = history(api, case_id)
    assert "accuser_educated" in actions and "malicious_accusation_referred" not in actions


def test_malicious_accusation_needs_city_approval_then_is_referred(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "false_accusation")
    assess = only_task(api, "a-worker", case_id, "assess")
    (approval,) = complete(api, "a-worker", assess, {
        "accusation_kind": "malicious", "accusation_note": "换届前捏造事实举报候选人",
        "aggravating": "election"})["next_tasks"]
    assert (approval["element_id"], approval["lane"], approval["candidate_unit"],
            approval["candidate_role"]) == ("city_approve", "市纪委", "city", "supervisor")
    # Neither the township nor the county can make the finding: the task is not theirs. Their
    # supervisors see it (a task of their case) but can neither decide nor reassign it.
    for user in ("a-head", "chief", "east-head", "a-worker"):
        seen = [t["id"] for t in tasks_of(api, user, case_id)]
        assert seen == ([] if user == "a-worker" else [approval["id"]]), user
        resp = api.as_(user).complete(approval, {"referral_approved": True})
        assert resp.status == 403, (user, resp.json)
        resp = api.as_(user).post(f"/tasks/{approval['id']}/reassign",
                                  json={"assignee": "city-chief", "reason": "x"})
        assert resp.status == 403, (user, resp.json)
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/referrals").json
    assert (row["kind"], row["status"], row["approved_at"]) == ("malicious", "proposed", None)

    assert [t["id"] for t in tasks_of(api, "city-chief", case_id)] == [approval["id"]]
    (refer,) = complete(api, "city-chief", approval, {
        "referral_approved": True, "referral_comment": "同意认定为诬告陷害",
        "aggravating_confirmed": "election"})["next_tasks"]
    assert (refer["element_id"], refer["candidate_unit"]) == ("refer", "town-a")
    (row,) = api.as_("city-chief").get(f"/cases/{case_id}/referrals").json
    assert row["approved_by"] == "city-chief" and row["status"] == "proposed"

    # Aggravated (it disrupted an election): the heavier handling must be stated.
    bad = api.as_("a-worker").complete(refer, {"referred_to": "县公安局"})
    assert bad.status == 422 and "heavier_handling" in bad.json["error"]["fields"]
    complete(api, "a-worker", refer, {"referred_to": "县公安局",
                                      "heavier_handling": "干扰换届选举，从重处理"})
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/referrals").json
    assert (row["status"], row["aggravating"]) == ("referred", "election")
    assert row["decided_at"].startswith("2026-03-02")
    actions = history(api, case_id)
    for name in ("accusation_assessed", "malicious_accusation_approved",
                 "malicious_accusation_referred"):
        assert name in actions, actions


def test_city_refusal_of_a_malicious_finding_ends_it(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "false_accusation")
    assess = only_task(api, "a-worker", case_id, "assess")
    (approval,) = complete(api, "a-worker", assess, {
        "accusation_kind": "malicious", "accusation_note": "疑似故意捏造"})["next_tasks"]
    out = complete(api, "city-chief", approval, {"referral_approved": False,
                                                  "referral_comment": "证据不足以认定诬告"})
    assert out["next_tasks"] == []
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/referrals").json
    assert row["status"] == "refused" and row["decided_at"] is not None


# ---------------------------------------------------------------------------------------------
# Feedback and return visits


def test_dissatisfied_reporter_reopens_review_then_rehandled_then_satisfied(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "feedback_visit", user="clerk")
    feedback = only_task(api, "a-worker", case_id, "result_feedback")
    assert (feedback["lane"], feedback["deadline_key"], feedback["due_at"]) == \
        ("承办人", "result_feedback", "2026-03-23T23:59:59+08:00")  # 15 working days
    (visit,) = complete(api, "a-worker", feedback, {
        "feedback_method": "phone", "feedback_summary": "已查实并处理"})["next_tasks"]
    assert (visit["element_id"], visit["lane"], visit["candidate_unit"]) == \
        ("return_visit", "登记人员", "petition-office")
    assert [t["id"] for t in tasks_of(api, "clerk", case_id)] == [visit["id"]]
    (review,) = complete(api, "clerk", visit, {"satisfaction": "dissatisfied",
                                               "visit_notes": "认为处理过轻"})["next_tasks"]
    assert (review["element_id"], review["lane"], review["candidate_unit"],
            review["candidate_role"]) == ("review", "审批人", "town-a", "supervisor")
    assert api.as_("a-worker").complete(review, {"review_decision": "uphold",
                                                 "review_reason": "x"}).status == 403
    (rehandle,) = complete(api, "a-head", review, {
        "review_decision": "rehandle", "review_reason": "补充核实退赔情况"})["next_tasks"]
    assert (rehandle["element_id"], rehandle["candidate_unit"]) == ("rehandle", "town-a")
    (first,) = api.as_("a-head").get(f"/cases/{case_id}/return-visits").json
    assert (first["kind"], first["satisfaction"], first["reopened"]) == \
        ("reporter", "dissatisfied", True)

    runtime.clock.set(runtime.clock.now().replace(day=10))
    (again,) = complete(api, "a-worker", rehandle,
                        {"rehandle_result": "责令退赔并给予处分"})["next_tasks"]
    assert again["element_id"] == "result_feedback"
    assert again["due_at"] == "2026-03-31T23:59:59+08:00"  # a new 15-working-day period
    (visit2,) = complete(api, "a-worker", again, {
        "feedback_method": "letter", "feedback_summary": "重新办理结果"})["next_tasks"]
    out = complete(api, "clerk", visit2, {"satisfaction": "satisfied"})
    assert out["next_tasks"] == []
    rows = api.as_("a-head").get(f"/cases/{case_id}/return-visits").json
    assert [(r["satisfaction"], r["reopened"]) for r in rows] == \
        [("dissatisfied", True), ("satisfied", False)]
    rows = deadline(api, case_id, "result_feedback")
    assert [r["status"] for r in rows] == ["met", "met"]
    actions = history(api, case_id)
    for name in ("result_fed_back", "return_visit_recorded", "return_visit_reviewed",
                 "case_rehandled"):
        assert name in actions, actions
    assert api.as_("a-head").get(f"/cases/{case_id}").json["status"] == "closed"


def test_dissatisfied_reporter_review_upheld_ends(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "feedback_visit", user="clerk")
    feedback = only_task(api, "a-worker", case_id, "result_feedback")
    (visit,) = complete(api, "a-worker", feedback, {
        "feedback_method": "sms", "feedback_summary": "结果"})["next_tasks"]
    (review,) = complete(api, "clerk", visit, {"satisfaction": "dissatisfied"})["next_tasks"]
    out = complete(api, "a-head", review, {"review_decision": "uphold",
                                           "review_reason": "处理适当"})
    assert out["next_tasks"] == []
    (row,) = api.as_("a-head").get(f"/cases/{case_id}/return-visits").json
    assert row["reopened"] is False


def test_anonymous_items_skip_feedback(deployed, runtime):
    api = deployed
    case_id = open_case(runtime, "feedback_visit", user="clerk", real_name=False)
    case = api.as_("clerk").get(f"/cases/{case_id}").json
    assert case["current_tasks"] == []
    instance = api.as_("clerk").get(f"/process-instances/{case['instance_id']}").json
    assert instance["status"] == "completed"
    assert deadline(api, case_id, "result_feedback", user="clerk") == []
    assert api.as_("clerk").get(f"/cases/{case_id}/return-visits").json == []


# ---------------------------------------------------------------------------------------------
# First-handling transfer


def handled_case(runtime) -> int:
    """A matter whose first-handling and handling unit is town-a (its draft task waiting)."""
    case_id = open_case(runtime, "clarification", finding="untrue")

    def assign(uow):
        case = uow.session.get(Case, case_id)
        case.first_handling_unit_id = case.handling_unit_id = runtime.names.unit_id(
            uow.session, "town-a")
    runtime.transact(assign)
    return case_id


def test_transfer_approved_moves_handling_and_keeps_the_first_unit(deployed, runtime):
    api = deployed
    case_id = handled_case(runtime)
    body = {"to_unit": "town-b", "reason": "被反映人现任乙镇职务，由乙镇办理更便于核查"}
    # Only the handling unit asks; the target must exist and differ.
    assert api.as_("b-worker").post(f"/cases/{case_id}/transfer", json=body).status == 403
    bad = api.as_("a-worker").post(f"/cases/{case_id}/transfer",
                                   json={"to_unit": "nowhere", "reason": "x"})
    assert bad.status == 422 and "to_unit" in bad.json["error"]["fields"]
    assert api.as_("a-worker").post(f"/cases/{case_id}/transfer",
                                    json={"to_unit": "town-a", "reason": "x"}).status == 422
    resp = api.as_("a-worker").post(f"/cases/{case_id}/transfer", json=body)
    assert resp.status == 201, resp.json
    approve = resp.json
    assert (approve["element_id"], approve["process_key"], approve["lane"],
            approve["candidate_unit"], approve["candidate_role"]) == \
        ("approve", "first_handling_transfer", "审批人", "town-a", "supervisor")
    assert api.as_("a-worker").post(f"/cases/{case_id}/transfer", json=body).status == 409
    assert api.as_("a-worker").complete(approve, {"transfer_approved": True}).status == 403

    (receive,) = complete(api, "a-head", approve, {"transfer_approved": True,
                                                   "transfer_comment": "同意"})["next_tasks"]
    assert (receive["element_id"], receive["lane"], receive["candidate_unit"]) == \
        ("receive", "承办人", "town-b")
    assert receive["id"] in [t["id"] for t in tasks_of(api, "b-worker", case_id)]
    case = case_row(runtime, case_id)
    town_a, town_b = (runtime.read(lambda uow, c=c: runtime.names.unit_id(uow.session, c))
                      for c in ("town-a", "town-b"))
    assert (case.handling_unit_id, case.first_handling_unit_id) == (town_b, town_a)
    assert runtime.read(lambda uow: visits.first_handling_unit_of(uow.session, case_id)) == \
        "town-a"
    complete(api, "b-worker", receive, {"receipt_note": "已接收材料"})
    actions = history(api, case_id)
    for name in ("case_transfer_requested", "case_transferred", "case_transfer_received"):
        assert name in actions, actions
    (event,) = [e for e in api.as_("a-head").get(f"/cases/{case_id}/history").json
                if e["action"] == "case_transferred"]
    assert event["actor"] == "a-head"
    assert (event["detail"]["from"], event["detail"]["to"],
            event["detail"]["first_handling_unit"]) == ("town-a", "town-b", "town-a")


def test_transfer_refused_changes_nothing(deployed, runtime):
    api = deployed
    case_id = handled_case(runtime)
    resp = api.as_("a-worker").post(f"/cases/{case_id}/transfer",
                                    json={"to_unit": "town-c", "reason": "工作量大"})
    assert resp.status == 201, resp.json
    out = complete(api, "a-head", resp.json, {"transfer_approved": False,
                                              "transfer_comment": "首办单位负责到底"})
    assert out["next_tasks"] == []
    town_a = runtime.read(lambda uow: runtime.names.unit_id(uow.session, "town-a"))
    case = case_row(runtime, case_id)
    assert (case.handling_unit_id, case.first_handling_unit_id) == (town_a, town_a)
    actions = history(api, case_id)
    assert "case_transfer_refused" in actions and "case_transferred" not in actions
    # The case's own process goes on (its draft task is still open at town-a).
    assert [t["element_id"] for t in tasks_of(api, "a-worker", case_id)] == ["draft"]


def test_transfer_body_is_validated(deployed, runtime):
    api = deployed
    case_id = handled_case(runtime)
    resp = api.as_("a-worker").post(f"/cases/{case_id}/transfer", json={"to_unit": "town-b"})
    assert resp.status == 422 and "reason" in resp.json["error"]["fields"]
    # A case that no unit handles yet cannot be transferred.
    fresh = open_case(runtime, "clarification", finding="untrue")
    resp = api.as_("a-worker").post(f"/cases/{fresh}/transfer",
                                    json={"to_unit": "town-b", "reason": "x"})
    assert resp.status == 422


def test_a_repeat_petition_routes_back_to_the_first_handling_unit(deployed, runtime):
    from engine.petitions.models import Petition
    first_case, repeat_case = handled_case(runtime), open_case(runtime, "clarification")

    def petitions(uow):
        clerk = org.get_user(uow.session, "clerk")
        now = runtime.clock.now()
        rows = [Petition(number=f"probe-{case_id}", case_id=case_id, channel="letter",
                         received_at=now, registered_at=now, registered_by_id=clerk.id,
                         unit_id=clerk.unit_id, status="registered", updated_at=now)
                for case_id in (first_case, repeat_case)]
        uow.session.add_all(rows)
        uow.session.flush()
        return rows[0].id, rows[1].id
    first, repeat = runtime.transact(petitions)
    assert runtime.read(lambda uow: visits.first_handling_unit_of(uow.session, repeat_case)) \
        is None

    def link(uow):
        uow.session.get(Petition, repeat).repeat_of_id = first
    runtime.transact(link)
    assert runtime.read(lambda uow: visits.first_handling_unit_of(uow.session, repeat_case)) \
        == "town-a"
    assert runtime.read(lambda uow: visits.first_handling_unit_of(uow.session, first_case)) \
        == "town-a"
