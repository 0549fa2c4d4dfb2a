"""Joint review (联审会商) and escalation to a collaboration zone (协作区提级办理) through HTTP,
acting as the demo users: parallel member opinions with required reasons, the chair's decision,
the village cadre qualification review, the call-activity contract, and a zone escalation with
recusal (回避) of the accused's own township and of related investigators."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from engine.cases import service as cases
from engine.org import service as org
from engine.org.models import Unit
from engine.access import recusal
from engine.timers import service as timers
from tests.api_client import deploy_all

ROOT = Path(__file__).resolve().parents[2]
BPMN = ROOT / "bpmn"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def inbox(api, user, **query) -> list[dict]:
    resp = api.as_(user).get("/tasks", query=query or None)
    assert resp.status == 200, resp.json
    return resp.json["items"]


def task_of(api, user, element_id, case_id=None, instance_id=None) -> dict:
    found = [t for t in inbox(api, user) if t["element_id"] == element_id
             and (case_id is None or t["case_id"] == case_id)
             and (instance_id is None or t["instance_id"] == instance_id)]
    assert len(found) == 1, [(t["case_id"], t["element_id"]) for t in inbox(api, user)]
    return found[0]


def complete(api, user, task, data, status=200):
    resp = api.as_(user).complete(task, data)
    assert resp.status == status, resp.json
    return resp.json


def history(api, case_id, user="chief") -> list[dict]:
    resp = api.as_(user).get(f"/cases/{case_id}/history")
    assert resp.status == 200, resp.json
    return resp.json


def actions_of(api, case_id, user="chief") -> list[str]:
    return [e["action"] for e in history(api, case_id, user)]


def add_user(api, runtime, username, role, unit) -> None:
    """A user (beyond the demo organisation unless it has one already), with an API token."""
    def work(uow):
        from engine.errors import NotFound
        try:
            org.get_user(uow.session, username)
        except NotFound:
            org.create_user(uow.session, username=username, roles=[role], unit_code=unit,
                            password="demo", demo_password=True, now=runtime.clock.now())
        return org.issue_token(uow.session, username=username, now=runtime.clock.now())
    api.tokens[username] = runtime.transact(work)


# ---------------------------------------------------------------------------------------------
# Joint review


@pytest.fixture
def reviews(api):
    resp = deploy_all(api.as_("designer"), [BPMN / "joint_review.bpmn",
                                            BPMN / "deadline_extension.bpmn"])
    assert resp.status == 201, resp.json
    return api


def open_review_case(runtime, *, members, chair_unit="county", subject="东村低保资金案重点初核件联审",
                     user="chief") -> int:
    def work(uow):
        chair = org.get_user(uow.session, user)
        return cases.open_case(uow, runtime=runtime, process_key="joint_review",
                               data={"review_subject": subject, "members": members,
                                     "chair_unit": chair_unit}, user=chair).id
    return runtime.transact(work)


def test_joint_review_members_state_positions_in_parallel_and_the_chair_decides(reviews, runtime):
    api = reviews
    case_id = open_review_case(runtime, members=["supervision-office", "org-dept", "police"])
    convene = task_of(api, "chief", "convene", case_id)
    assert (convene["lane"], convene["candidate_unit"], convene["candidate_role"]) == \
        ("召集人", "county", "supervisor")
    assert inbox(api, "reviewer-org") == []
    done = complete(api, "chief", convene, {"review_agenda": "研究是否立案审查"})
    opened = {t["candidate_unit"]: t for t in done["next_tasks"]}
    assert set(opened) == {"supervision-office", "org-dept", "police"}
    assert all(t["element_id"] == "member_opinion" and t["lane"] == "成员单位" and
               t["candidate_role"] == "joint_reviewer" and
               t["deadline_key"] == "joint_review_opinion" and t["warning"] == "green"
               for t in opened.values())
    # 5 working days from Monday 2026-03-02: Monday 2026-03-09, end of day.
    assert {t["due_at"] for t in opened.values()} == {"2026-03-09T23:59:59+08:00"}
    # Every member unit's reviewer sees exactly its own task, all at once.
    for user, unit in (("reviewer", "supervision-office"), ("reviewer-org", "org-dept"),
                       ("reviewer-police", "police")):
        assert [t["id"] for t in inbox(api, user)] == [opened[unit]["id"]]
    # The chair sees the review as it stands: nobody has stated a position yet.
    (review,) = api.as_("chief").get(f"/cases/{case_id}/joint-reviews").json
    assert review["status"] == "convened" and review["convened_by"] == "chief"
    assert [o["position"] for o in review["opinions"]] == [None, None, None]

    # Disagreeing (or supplementing) without a reason is refused, and nothing is saved.
    org_task = opened["org-dept"]
    bad = api.as_("reviewer-org").complete(org_task, {"position": "disagree"})
    assert bad.status == 422 and "reason" in bad.json["error"]["fields"]
    bad = api.as_("reviewer-org").complete(org_task, {"position": "supplement", "reason": "  "})
    assert bad.status == 422 and "reason" in bad.json["error"]["fields"]
    assert api.as_("reviewer-org").complete(org_task, {"position": "maybe"}).status == 422
    # Nobody answers for another unit.
    assert api.as_("reviewer-police").complete(org_task, {"position": "agree"}).status == 403
    assert api.as_("reviewer-org").get(f"/tasks/{opened['police']['id']}").status in (403, 404)

    done = complete(api, "reviewer-org", org_task,
                    {"position": "disagree", "reason": "该同志系换届候选人，建议先听取组织部门意见"})
    assert done["next_tasks"] == []
    done = complete(api, "reviewer", opened["supervision-office"], {"position": "agree"})
    assert done["next_tasks"] == []
    done = complete(api, "reviewer-police", opened["police"],
                    {"position": "supplement", "reason": "当事人另涉一起治安案件，请一并考虑"})
    (decide,) = done["next_tasks"]
    assert (decide["element_id"], decide["candidate_unit"]) == ("consolidate", "county")
    assert inbox(api, "reviewer-org") == []

    (review,) = api.as_("chief").get(f"/cases/{case_id}/joint-reviews").json
    assert {o["unit"]: (o["position"], o["by"]) for o in review["opinions"]} == {
        "supervision-office": ("agree", "reviewer"), "org-dept": ("disagree", "reviewer-org"),
        "police": ("supplement", "reviewer-police")}
    assert review["opinions"][1]["reason"].startswith("该同志系换届候选人")
    # The chair must record a conclusion.
    assert api.as_("chief").complete(decide, {"review_decision": "agree"}).status == 422
    complete(api, "chief", decide, {"review_decision": "supplement",
                                    "review_note": "请承办部门补充治安案件材料后再议"})
    (review,) = api.as_("reviewer-org").get(f"/cases/{case_id}/joint-reviews").json
    assert (review["status"], review["decision"], review["decided_by"]) == \
        ("decided", "supplement", "chief")
    case = api.as_("chief").get(f"/cases/{case_id}").json
    assert case["status"] == "closed" and case["data"]["review_decision"] == "supplement"
    assert {d["status"] for d in case["deadlines"] if d["key"] == "joint_review_opinion"} == {"met"}
    assert len([d for d in case["deadlines"] if d["key"] == "joint_review_opinion"]) == 3
    trail = history(api, case_id)
    assert [e["action"] for e in trail if e["action"].startswith("joint_review_")] == [
        "joint_review_convened", "joint_review_opinion_given", "joint_review_opinion_given",
        "joint_review_opinion_given", "joint_review_decided"]
    decided = [e for e in trail if e["action"] == "joint_review_decided"][0]
    assert decided["detail"]["positions"] == {"agree": 1, "disagree": 1, "supplement": 1}


def test_joint_reviewers_see_only_their_own_reviews(reviews, runtime):
    api = reviews
    ours = open_review_case(runtime, members=["org-dept", "police"])
    other = open_review_case(runtime, members=["police"], subject="另一案件联审")
    for case_id in (ours, other):
        complete(api, "chief", task_of(api, "chief", "convene", case_id), {})
    assert [t["case_id"] for t in inbox(api, "reviewer-org")] == [ours]
    assert sorted(t["case_id"] for t in inbox(api, "reviewer-police")) == sorted([ours, other])
    assert inbox(api, "reviewer") == []
    assert api.as_("reviewer-org").get(f"/cases/{other}").status == 403
    assert api.as_("reviewer-org").get(f"/cases/{other}/joint-reviews").status == 403
    assert api.as_("reviewer").get(f"/cases/{ours}/joint-reviews").status == 403
    assert api.as_("a-worker").get(f"/cases/{ours}/joint-reviews").status == 403
    assert api.as_("reviewer-org").get(f"/cases/{ours}/joint-reviews").status == 200
    assert api.as_("reviewer-org").get(f"/cases/{ours}").status == 200
    assert api.as_("chief").get("/cases/999999/joint-reviews").status == 404


def test_parallel_member_tasks_do_not_conflict_but_a_repeat_completion_does(reviews, runtime):
    """Versions read before either completes stay valid for the other member's task (the real
    race is in test_reviewers_racing_on_a_committed_database_both_succeed)."""
    api = reviews
    case_id = open_review_case(runtime, members=["org-dept", "police"])
    done = complete(api, "chief", task_of(api, "chief", "convene", case_id), {})
    by_unit = {t["candidate_unit"]: t for t in done["next_tasks"]}
    # Both complete against the same instance revision (the same versions they read).
    first = api.as_("reviewer-org").complete(by_unit["org-dept"], {"position": "agree"})
    second = api.as_("reviewer-police").complete(by_unit["police"], {"position": "agree"})
    assert (first.status, second.status) == (200, 200)
    assert [t["element_id"] for t in second.json["next_tasks"]] == ["consolidate"]
    # A second completion of a finished task is a conflict, not a second opinion.
    again = api.as_("reviewer-org").complete(by_unit["org-dept"], {"position": "disagree",
                                                                   "reason": "x"})
    assert again.status == 409


VILLAGE_MEMBERS = ["org-dept", "supervision-office", "politics-law", "petition-office", "police",
                   "civil-affairs"]


def test_the_village_cadre_qualification_review_runs_standalone(reviews, runtime):
    """村干部资格联审: the same process, started on its own with the six member units."""
    api = reviews
    for username, unit in (("reviewer-pl", "politics-law"),
                           ("reviewer-petition", "petition-office"),
                           ("reviewer-civil", "civil-affairs")):
        add_user(api, runtime, username, "joint_reviewer", unit)
    started = api.as_("designer").start("joint_review", {
        "review_subject": "东村村委会换届候选人张三资格联审", "members": VILLAGE_MEMBERS,
        "chair_unit": "org-dept"})
    assert started.status == 201, started.json
    instance_id = started.json["id"]
    (convene,) = started.json["ready_tasks"]
    assert convene["candidate_unit"] == "org-dept" and convene["case_id"] is None
    # org-dept has no supervisor of its own in the demo; the chair unit's reviewer cannot convene.
    assert api.as_("reviewer-org").complete(convene, {}).status == 403
    add_user(api, runtime, "org-head", "supervisor", "org-dept")
    done = complete(api, "org-head", convene, {"review_agenda": "逐人审查候选人资格"})
    assert sorted(t["candidate_unit"] for t in done["next_tasks"]) == sorted(VILLAGE_MEMBERS)
    reviewers = {"org-dept": "reviewer-org", "supervision-office": "reviewer",
                 "politics-law": "reviewer-pl", "petition-office": "reviewer-petition",
                 "police": "reviewer-police", "civil-affairs": "reviewer-civil"}
    for task in done["next_tasks"]:
        unit = task["candidate_unit"]
        position = {"police": ("disagree", "候选人曾因赌博受治安处罚")}.get(unit, ("agree", ""))
        last = complete(api, reviewers[unit], task,
                        {"position": position[0], "reason": position[1]})
    (decide,) = last["next_tasks"]
    assert decide["element_id"] == "consolidate"
    complete(api, "org-head", decide, {"review_decision": "disagree",
                                       "review_note": "公安机关反映有违法记录，资格审查不通过"})
    instance = api.as_("designer").get(f"/process-instances/{instance_id}").json
    assert instance["status"] == "completed"
    assert instance["data"]["review_decision"] == "disagree"
    review_id = instance["data"]["joint_review_id"]
    review = api.as_("designer").get(f"/joint-reviews/{review_id}")
    assert review.status == 200, review.json
    assert review.json["members"] == VILLAGE_MEMBERS and review.json["case_id"] is None
    assert [o["position"] for o in review.json["opinions"]] == \
        ["agree", "agree", "agree", "agree", "disagree", "agree"]
    assert api.as_("reviewer-civil").get(f"/joint-reviews/{review_id}").status == 200
    assert api.as_("a-worker").get(f"/joint-reviews/{review_id}").status == 403


CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_caller"
    targetNamespace="http://cluedesk.org/test">
  <bpmn:process id="jr_caller" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:callActivity id="review" calledElement="joint_review">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f1b</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:callActivity id="review_again" calledElement="joint_review">
      <bpmn:incoming>f1b</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:userTask id="after" name="after">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="ok" label="确认" type="boolean" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="review" />
    <bpmn:sequenceFlow id="f1b" sourceRef="review" targetRef="review_again" />
    <bpmn:sequenceFlow id="f2" sourceRef="review_again" targetRef="after" />
    <bpmn:sequenceFlow id="f3" sourceRef="after" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_calling_process_gets_review_decision_back(reviews):
    """The call-activity contract: IN review_subject, members, chair_unit; OUT review_decision
    (twice in a row: nothing of the first review gets in the way of the second)."""
    api = reviews
    assert api.as_("designer").deploy(CALLER.encode(), "jr_caller.bpmn").status == 201
    started = api.as_("designer").start("jr_caller", {
        "review_subject": "重点初核件联审", "members": ["org-dept"], "chair_unit": "county",
        "handling_unit": "town-a", "reason": "caller's own value"})
    assert started.status == 201, started.json
    (convene,) = started.json["ready_tasks"]
    for decision in ("disagree", "agree"):
        assert (convene["process_key"], convene["candidate_unit"]) == ("joint_review", "county")
        done = complete(api, "chief", convene, {})
        (member,) = done["next_tasks"]
        assert member["candidate_unit"] == "org-dept"
        done = complete(api, "reviewer-org", member, {"position": "agree"})
        done = complete(api, "chief", done["next_tasks"][0],
                        {"review_decision": decision, "review_note": "会商结论"})
        (convene,) = done["next_tasks"]
    after = convene
    assert after["element_id"] == "after" and after["process_key"] == "jr_caller"
    instance = api.as_("designer").get(f"/process-instances/{started.json['id']}").json
    assert instance["data"]["review_decision"] == "agree"
    assert instance["data"]["handling_unit"] == "town-a"
    complete(api, "designer", after, {"ok": True})
    assert api.as_("designer").get(
        f"/process-instances/{started.json['id']}").json["status"] == "completed"


def test_a_member_list_with_an_unknown_unit_is_refused_at_convening(reviews, runtime):
    api = reviews
    case_id = open_review_case(runtime, members=["org-dept", "no-such-unit"])
    convene = task_of(api, "chief", "convene", case_id)
    bad = api.as_("chief").complete(convene, {})
    assert bad.status == 422 and "review_members" in bad.json["error"]["fields"]
    # The chair may correct the member units when convening.
    done = complete(api, "chief", convene, {"review_members": "org-dept, police"})
    assert sorted(t["candidate_unit"] for t in done["next_tasks"]) == ["org-dept", "police"]


# ---------------------------------------------------------------------------------------------
# Escalation to a collaboration zone


HOLDER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_holder"
    targetNamespace="http://cluedesk.org/test">
  <bpmn:process id="town_case" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="handle" name="承办">
      <bpmn:extensionElements><camunda:formData>
        <camunda:formField id="note" label="办理情况" type="string" />
      </camunda:formData></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="handle" />
    <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def zone(api, runtime):
    resp = deploy_all(api.as_("designer"), [BPMN / "zone_escalation.bpmn",
                                            BPMN / "deadline_extension.bpmn"])
    assert resp.status == 201, resp.json
    assert api.as_("designer").deploy(HOLDER.encode(), "town_case.bpmn").status == 201
    # The demo has no caseworker in the functional office; town-c has no caseworker at all.
    add_user(api, runtime, "sup-worker", "caseworker", "supervision-office")
    add_user(api, runtime, "c-worker", "caseworker", "town-c")
    return api


def town_case(api, runtime, *, township="town-a", handling="town-a", user="a-worker") -> int:
    """A real-name petition about a village cadre of `township` whose case `handling` handles
    (here: held by a stand-in process whose task `user` works; the clue processes upstream are
    other areas' work)."""
    from engine.petitions.models import AccusedPerson, Petition

    def work(uow):
        session = uow.session
        now = runtime.clock.now()
        clerk = org.get_user(session, "clerk")
        handler = org.get_user(session, user)
        office = org.get_unit(session, "petition-office")
        petition = Petition(
            number=cases.next_number(session, unit_code="petition-office", year=2026,
                                     kind="petition"),
            channel="letter", received_at=now, registered_at=now, registered_by_id=clerk.id,
            unit_id=office.id, anonymous=False, reporter_name="王小明",
            reporter_phone="13812345678", township_id=org.get_unit(session, township).id,
            village="东村", category="collective_assets", status="accepted", updated_at=now,
            content="东村村委会主任李四私自处置集体资产，涉及乡镇干部，情况复杂。",
            accused=[AccusedPerson(name="李四", post="村委会主任", unit="东村村委会",
                                   level="village")])
        session.add(petition)
        session.flush()
        unit_id = org.get_unit(session, handling).id

        def link(case):
            petition.case_id = case.id
            case.first_handling_unit_id = case.handling_unit_id = unit_id
        return cases.open_case(uow, runtime=runtime, process_key="town_case",
                               data={"handling_unit": handling}, user=handler,
                               before_start=link).id
    case_id = runtime.transact(work)
    assert [t["element_id"] for t in inbox(api, user) if t["case_id"] == case_id] == ["handle"]
    return case_id


def handling_unit(runtime, case_id) -> str:
    def read(uow):
        case = cases.get_case(uow.session, case_id)
        return uow.session.get(Unit, case.handling_unit_id).code
    return runtime.read(read)


def escalate(api, case_id, user="a-worker", reason="案情复杂，涉及乡镇干部，本镇办理存在干扰",
             status=201):
    resp = api.as_(user).post(f"/cases/{case_id}/escalate", json={"reason": reason})
    assert resp.status == status, resp.json
    return resp.json


def to_team(api, case_id) -> dict:
    """Escalate, accept, analyse: returns the zone head's team task."""
    applied = escalate(api, case_id)
    complete(api, "east-head", applied["task"], {"accept": True, "decision_reason": "同意提级"})
    done = complete(api, "sup-worker", task_of(api, "sup-worker", "analyse", case_id),
                    {"analysis": "涉及集体资产处置，需调取村账和镇经管站资料",
                     "suggested_investigators": "b-worker, c-worker"})
    (team,) = done["next_tasks"]
    assert (team["element_id"], team["candidate_unit"]) == ("assemble_team", "zone-east")
    return team


def test_a_town_case_is_escalated_investigated_across_townships_and_archived(zone, runtime):
    api = zone
    case_id = town_case(api, runtime)
    applied = escalate(api, case_id)
    assert (applied["zone"], applied["township"], applied["status"]) == \
        ("zone-east", "town-a", "applied")
    assert applied["applied_by"] == "a-worker"
    decide = applied["task"]
    assert [t["id"] for t in applied["ready_tasks"]] == [decide["id"]]
    assert (decide["element_id"], decide["lane"], decide["candidate_unit"],
            decide["candidate_role"]) == ("zone_decide", "协作区区长", "zone-east", "supervisor")
    assert decide["deadline_key"] == "zone_decision"
    assert decide["due_at"] == "2026-03-09T23:59:59+08:00"  # 5 working days
    # (The township's own task of the case is below the zone too: its head sees it.)
    assert [t["id"] for t in inbox(api, "east-head")
            if t["element_id"] != "handle"] == [decide["id"]]
    # One escalation at a time.
    assert api.as_("a-head").post(f"/cases/{case_id}/escalate",
                                  json={"reason": "再次申请"}).status == 409
    # Only the zone head decides.
    assert api.as_("a-head").complete(decide, {"accept": True}).status == 403

    done = complete(api, "east-head", decide, {"accept": True, "decision_reason": "同意提级办理"})
    (analyse,) = done["next_tasks"]
    assert (analyse["element_id"], analyse["lane"], analyse["candidate_unit"]) == \
        ("analyse", "职能室", "supervision-office")
    (row,) = api.as_("east-head").get(f"/cases/{case_id}/escalations").json
    assert (row["status"], row["decision"], row["decided_by"]) == \
        ("accepted", "accepted", "east-head")
    # The zone handles the case now; the township cannot start a second escalation.
    assert handling_unit(runtime, case_id) == "zone-east"
    assert api.as_("a-worker").post(f"/cases/{case_id}/escalate",
                                    json={"reason": "再次申请"}).status == 409
    done = complete(api, "sup-worker", analyse, {"analysis": "需异地调查"})
    (team_task,) = done["next_tasks"]

    # The accused's own township never investigates (回避), nor anyone outside the zone.
    bad = api.as_("east-head").complete(team_task, {"team": "a-worker, b-worker"})
    assert bad.status == 422
    assert "a-worker" in bad.json["error"]["message"]
    assert any("a-worker" in m and "town-a" in m for m in bad.json["error"]["fields"]["team"])
    for team, who in (("d-worker", "d-worker"), ("b-worker, a-head", "a-head"),
                      ("b-worker, nobody", "nobody"), ("a-worker2", "a-worker2")):
        bad = api.as_("east-head").complete(team_task, {"team": team})
        assert bad.status == 422 and who in bad.json["error"]["message"], (team, bad.json)
    bad = api.as_("east-head").complete(team_task, {"team": "b-worker", "team_leader": "c-worker"})
    assert bad.status == 422 and "team_leader" in bad.json["error"]["fields"]

    done = complete(api, "east-head", team_task, {"team": "b-worker，c-worker",
                                                  "team_leader": "b-worker"})
    assert len(done["next_tasks"]) == 2
    assert all(t["element_id"] == "investigate" and t["lane"] == "调查组"
               for t in done["next_tasks"])
    mine = {user: inbox(api, user) for user in ("b-worker", "c-worker", "a-worker", "a-worker2")}
    assert [t["element_id"] for t in mine["b-worker"]] == ["investigate"]
    assert [t["element_id"] for t in mine["c-worker"]] == ["investigate"]
    assert mine["a-worker"] == []  # its work on the case was withdrawn at the acceptance
    assert mine["a-worker2"] == []
    assert mine["b-worker"][0]["id"] != mine["c-worker"][0]["id"]
    # Bound to a person, done for the zone (its head supervises them).
    assert all(t["candidate_unit"] == "zone-east" for t in done["next_tasks"])
    # Nobody completes another investigator's task.
    assert api.as_("c-worker").complete(mine["b-worker"][0], {"findings": "x"}).status == 403
    (row,) = api.as_("chief").get(f"/cases/{case_id}/escalations").json
    assert (row["status"], row["team"]) == ("investigating", ["b-worker", "c-worker"])

    assert complete(api, "b-worker", mine["b-worker"][0],
                    {"findings": "调取村账，发现集体资产处置未经村民代表会议"})["next_tasks"] == []
    done = complete(api, "c-worker", mine["c-worker"][0], {"findings": "走访村民12人，情况属实"})
    (dossier,) = done["next_tasks"]
    assert (dossier["element_id"], dossier["candidate_unit"]) == ("compile_dossier", "zone-east")
    done = complete(api, "east-head", dossier, {"dossier_summary": "正卷1册、副卷1册", "volumes": 2})
    (archive,) = done["next_tasks"]
    assert (archive["element_id"], archive["lane"], archive["candidate_unit"]) == \
        ("archive", "案管室", "case-office")
    assert api.as_("east-head").complete(archive, {"archive_number": "x"}).status == 403
    runtime.clock.set(at("2026-03-20T10:00:00+08:00"))
    complete(api, "case-officer", archive, {"archive_number": "县纪档〔2026〕17号"})

    (row,) = api.as_("chief").get(f"/cases/{case_id}/escalations").json
    assert row["status"] == "archived"
    assert row["archived_at"] == "2026-03-20T10:00:00+08:00" and row["dossier_at"] is not None
    instance = api.as_("chief").get(f"/process-instances/{row['instance_id']}").json
    assert instance["status"] == "completed"
    assert [i["by"] for i in instance["data"]["investigations"]] == ["b-worker", "c-worker"]

    def archived_at(uow):
        return cases.get_case(uow.session, case_id).archived_at
    assert runtime.read(archived_at) == at("2026-03-20T10:00:00+08:00")
    case = api.as_("chief").get(f"/cases/{case_id}").json
    zone_deadline = [d for d in case["deadlines"] if d["key"] == "zone_decision"]
    assert [(d["status"], d["due_at"]) for d in zone_deadline] == \
        [("met", "2026-03-09T23:59:59+08:00")]
    trail = actions_of(api, case_id)
    expected = ["case_escalation_applied", "case_escalation_accepted", "case_escalation_analysed",
                "investigation_team_assembled", "investigation_reported", "investigation_reported",
                "dossier_compiled", "case_archived"]
    assert [a for a in trail if a in expected] == expected
    # Refused teams leave no trace but the refusal: the team in the trail is the accepted one.
    assembled = [e for e in history(api, case_id) if e["action"] == "investigation_team_assembled"]
    assert [e["detail"]["team"] for e in assembled] == [["b-worker", "c-worker"]]
    assert "王小明" not in str(history(api, case_id))
    # Whoever may not see the case sees none of this.
    assert api.as_("reviewer-org").get(f"/cases/{case_id}/escalations").status == 403
    assert api.as_("d-worker").get(f"/cases/{case_id}/escalations").status == 403


def test_an_investigator_related_to_the_accused_is_refused(zone, runtime):
    api = zone

    def declare(uow):
        b = org.get_user(uow.session, "b-worker")
        return recusal.declare(uow.session, runtime, actor=b, user=b, person_name="李 四",
                               person_kind="accused", relation="表兄弟", reason="亲属关系").id
    case_id = town_case(api, runtime)
    relation_id = runtime.transact(declare)
    team_task = to_team(api, case_id)
    bad = api.as_("east-head").complete(team_task, {"team": "b-worker, c-worker"})
    assert bad.status == 422
    assert bad.json["error"]["fields"]["team"] == ["b-worker: recused from this case (回避)"]
    # Without them the team stands; the related investigator gets no task.
    done = complete(api, "east-head", team_task, {"team": "c-worker"})
    assert [t["element_id"] for t in done["next_tasks"]] == ["investigate"]
    assert inbox(api, "b-worker") == [] and len(inbox(api, "c-worker")) == 1
    assert relation_id


def test_the_zone_head_may_refuse_and_the_case_stays_with_the_township(zone, runtime):
    api = zone
    case_id = town_case(api, runtime)
    applied = escalate(api, case_id, user="a-head")
    assert applied["task"]
    # Past the deadline the decision is overdue (red) and the case goes on the supervised list.
    assert timers.run_due(runtime, at("2026-03-10T09:00:00+08:00")) == 1
    runtime.clock.set(at("2026-03-10T09:00:00+08:00"))
    (late,) = [t for t in inbox(api, "east-head") if t["element_id"] == "zone_decide"]
    assert late["warning"] == "red"
    assert api.as_("chief").get(f"/cases/{case_id}").json["supervised_at"] is not None
    bad = api.as_("east-head").complete(late, {"accept": False})
    assert bad.status == 422 and "decision_reason" in bad.json["error"]["fields"]
    done = complete(api, "east-head", late, {"accept": False,
                                             "decision_reason": "一般案件，由乡镇纪委自办"})
    assert done["next_tasks"] == []
    (row,) = api.as_("east-head").get(f"/cases/{case_id}/escalations").json
    assert (row["status"], row["decision"], row["township"]) == ("refused", "refused", "town-a")
    instance = api.as_("chief").get(f"/process-instances/{row['instance_id']}").json
    assert instance["status"] == "completed" and instance["data"]["zone_accepted"] is False
    assert inbox(api, "sup-worker") == []
    case = api.as_("chief").get(f"/cases/{case_id}").json
    assert [d["status"] for d in case["deadlines"] if d["key"] == "zone_decision"] == ["breached"]
    assert "case_escalation_refused" in actions_of(api, case_id)
    assert handling_unit(runtime, case_id) == "town-a"
    # The case still belongs to the township, which may apply again later.
    again = escalate(api, case_id, reason="发现新的线索，再次申请")
    assert again["status"] == "applied" and again["id"] != row["id"]
    assert len(api.as_("chief").get(f"/cases/{case_id}/escalations").json) == 2


def test_only_a_township_in_a_zone_applies_and_only_its_own_staff(zone, runtime):
    api = zone
    county_case = town_case(api, runtime, handling="supervision-office", user="sup-worker")
    bad = api.as_("chief").post(f"/cases/{county_case}/escalate", json={"reason": "复杂"})
    assert bad.status == 422 and "handling_unit" in bad.json["error"]["fields"]
    case_id = town_case(api, runtime)
    assert api.as_("d-worker").post(f"/cases/{case_id}/escalate",
                                    json={"reason": "复杂"}).status == 403
    assert api.as_("b-worker").post(f"/cases/{case_id}/escalate",
                                    json={"reason": "复杂"}).status == 403
    assert api.as_("chief").post(f"/cases/{case_id}/escalate",
                                 json={"reason": "复杂"}).status == 403
    assert api.as_("a-worker").post(f"/cases/{case_id}/escalate", json={}).status == 422
    assert api.as_("a-worker").post(f"/cases/{case_id}/escalate",
                                    json={"reason": "  "}).status == 422
    assert api.as_("a-worker").post("/cases/999999/escalate", json={"reason": "x"}).status == 404
    assert api.as_("chief").get(f"/cases/{case_id}/escalations").json == []


@pytest.mark.timeout(180)
def test_reviewers_racing_on_a_committed_database_both_succeed(backend, scratch):
    """Two member units complete at the same instant (real threads, committed transactions):
    the engine serialises them per instance, so both get 200 and the chair gets one task."""
    import threading

    from tests.api_client import ApiClient
    from tests.integration.support import dispose_app, issue_tokens, make_app, sql_scalar

    url = scratch.create(backend)
    app = make_app(url)
    try:
        tokens = issue_tokens(url, ["designer", "chief", "reviewer-org", "reviewer-police"])
        api = ApiClient(app.test_client(), tokens)
        assert deploy_all(api.as_("designer"), [BPMN / "joint_review.bpmn"]).status == 201
        for round_ in range(3):
            started = api.as_("designer").start("joint_review", {
                "review_subject": f"并发联审 {round_}", "members": ["org-dept", "police"],
                "chair_unit": "county"})
            assert started.status == 201, started.json
            (convene,) = started.json["ready_tasks"]
            done = complete(api, "chief", convene, {})
            by_unit = {t["candidate_unit"]: t for t in done["next_tasks"]}
            calls = [("reviewer-org", by_unit["org-dept"]), ("reviewer-police", by_unit["police"])]
            barrier = threading.Barrier(len(calls))
            results: list = [None] * len(calls)

            def worker(i, user, task, barrier=barrier, results=results):
                try:
                    client = app.test_client()
                    barrier.wait(timeout=30)
                    resp = client.post(f"/api/v1/tasks/{task['id']}/complete",
                                       json={"data": {"position": "agree"},
                                             "version": task["version"]},
                                       headers={"Authorization": f"Bearer {tokens[user]}"})
                    results[i] = (resp.status_code, resp.get_json(silent=True))
                except BaseException as exc:  # reported below, never swallowed
                    results[i] = exc

            threads = [threading.Thread(target=worker, args=(i, *c), daemon=True)
                       for i, c in enumerate(calls)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert [r[0] if isinstance(r, tuple) else r for r in results] == [200, 200]
            nexts = [t["element_id"] for r in results for t in r[1]["next_tasks"]]
            assert nexts == ["consolidate"]
            instance_id = started.json["id"]
            assert sql_scalar(app, "SELECT COUNT(*) FROM joint_review_opinions o JOIN "
                                   "joint_reviews r ON r.id = o.review_id "
                                   "WHERE r.instance_id = :i", i=instance_id) == 2
            assert sql_scalar(app, "SELECT COUNT(*) FROM tasks WHERE instance_id = :i AND "
                                   "element_id = 'consolidate' AND status = 'open'",
                              i=instance_id) == 1
    finally:
        dispose_app(app)
