"""Corrections, withdrawal, cancellation, supervisor actions and recusal, through HTTP."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event

from engine.access import recusal
from engine.inbox import service as inbox_service
from engine.org import service as org
from engine.processes import service as processes
from tests.api_client import deploy_processes
from tests.conftest import FIXTURES, FROZEN
from tests.e2e.test_petitions import register

ROOT = Path(__file__).resolve().parents[2]
LANES = {"notice": {"登记人员": {"role": "intake_clerk", "unit": "petition-office"},
                    "承办人": {"role": "caseworker", "unit": "town-a"}}}


@pytest.fixture
def settings_overrides():
    return {"lanes": LANES}


@pytest.fixture
def intake(api):
    deploy_processes(api)
    assert api.as_("designer").deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201
    return api


def history(api, case_id):
    return api.as_("chief").get(f"/cases/{case_id}/history").json


def town_task(api, runtime, case_id):
    """A task of the case offered to town-a's caseworkers (the `notice` fixture's `verify`)."""
    def start(uow):
        clerk = org.get_user(uow.session, "clerk")
        processes.start_instance(uow, runtime=runtime, key="notice", data={}, user=clerk,
                                 case_id=case_id)
    runtime.transact(start)
    (notice,) = [t for t in api.as_("clerk").get("/tasks").json["items"]
                 if t["case_id"] == case_id and t["element_id"] == "send_notice"]
    done = api.as_("clerk").complete(notice)
    assert done.status == 200
    (verify,) = done.json["next_tasks"]
    return verify


def test_a_correction_is_audited_with_old_and_new_values(intake):
    created = register(intake)
    resp = intake.as_("clerk").patch(f"/petitions/{created['id']}",
                                     json={"village": "西村", "category": "collective_assets",
                                           "reporter": {"anonymous": False, "name": "王晓明"}})
    assert resp.status == 200, resp.json
    assert resp.json["village"] == "西村" and resp.json["category"] == "collective_assets"
    (event,) = [e for e in history(intake, created["case_id"])
                if e["action"] == "petition_corrected"]
    assert event["detail"]["changes"]["village"] == {"from": "东村", "to": "西村"}
    assert event["detail"]["changes"]["reporter"] == {"changed": True}
    assert "王晓明" not in str(event) and "王小明" not in str(event)
    assert intake.as_("a-worker").patch(f"/petitions/{created['id']}",
                                        json={"village": "x"}).status == 403
    bad = intake.as_("clerk").patch(f"/petitions/{created['id']}", json={"township": "city"})
    assert bad.status == 422


def test_a_correction_that_leaves_nobody_accused_says_why(intake):
    created = register(intake)
    path = f"/petitions/{created['id']}"
    refused = intake.as_("clerk").patch(path, json={"accused": []})
    assert refused.status == 422, refused.json
    assert (refused.json["error"]["reason"], list(refused.json["error"]["fields"])) == \
        ("correction_reason_required", ["reason"])
    assert intake.as_("clerk").get(path).json["accused"]  # nothing changed
    done = intake.as_("clerk").patch(path, json={"accused": [], "reason": "举报人补充说明所指为村委会集体"})
    assert done.status == 200 and done.json["accused"] == []
    (event,) = [e for e in history(intake, created["case_id"])
                if e["action"] == "petition_corrected"]
    assert event["detail"]["reason"] == "举报人补充说明所指为村委会集体"


def test_a_withdrawal_is_recorded_without_losing_the_petition(intake):
    created = register(intake)
    assert intake.as_("clerk").post(f"/petitions/{created['id']}/withdraw",
                                    json={"reason": ""}).status == 422
    resp = intake.as_("clerk").post(f"/petitions/{created['id']}/withdraw",
                                    json={"reason": "举报人书面撤回"})
    assert resp.status == 200 and resp.json["status"] == "withdrawn"
    assert resp.json["content"]  # nothing is erased
    assert "petition_withdrawn" in [e["action"] for e in history(intake, created["case_id"])]


def test_a_supervisor_cancels_a_case_with_a_reason(intake):
    created = register(intake)
    case_id = created["case_id"]
    assert intake.as_("a-worker").post(f"/cases/{case_id}/cancel",
                                       json={"reason": "x"}).status == 403
    resp = intake.as_("chief").post(f"/cases/{case_id}/cancel", json={"reason": "重复登记"})
    assert resp.status == 200 and resp.json["status"] == "cancelled"
    case = intake.as_("chief").get(f"/cases/{case_id}").json
    assert case["current_tasks"] == []
    assert {d["status"] for d in case["deadlines"]} == {"cancelled"}
    assert intake.as_("clerk").get("/tasks").json["items"] == []
    actions = [e["action"] for e in history(intake, case_id)]
    assert "case_cancelled" in actions and "instance_cancelled" in actions
    assert intake.as_("chief").post(f"/cases/{case_id}/cancel",
                                    json={"reason": "again"}).status == 422


def test_take_personally_and_mark_supervised(intake):
    created = register(intake)
    case_id = created["case_id"]
    assert intake.as_("a-head").post(f"/cases/{case_id}/take").status == 403  # not its unit
    assert intake.as_("chief").post(f"/cases/{case_id}/take").status == 200
    assert intake.as_("chief").post(f"/cases/{case_id}/supervised",
                                    json={"reason": ""}).status == 422
    assert intake.as_("chief").post(f"/cases/{case_id}/supervised",
                                    json={"reason": "群众反映强烈"}).status == 200
    assert intake.as_("chief").get(f"/cases/{case_id}").json["supervised_at"] is not None
    assert intake.as_("chief").delete(f"/cases/{case_id}/supervised").status == 200
    assert intake.as_("chief").get(f"/cases/{case_id}").json["supervised_at"] is None
    actions = [e["action"] for e in history(intake, case_id)]
    assert {"case_taken", "case_supervised", "case_unsupervised"} <= set(actions)


def test_a_recused_user_is_never_offered_or_given_the_task(intake, runtime):
    created = register(intake)
    case_id = created["case_id"]
    declared = intake.as_("a-worker2").post("/relations", json={
        "person_name": "李 四", "person_kind": "accused", "relation": "kin",
        "reason": "李四是我的表哥"})
    assert declared.status == 201 and declared.json["status"] == "active"
    verify = town_task(intake, runtime, case_id)
    assert [t["id"] for t in intake.as_("a-worker").get("/tasks").json["items"]] == [verify["id"]]
    assert intake.as_("a-worker2").get("/tasks").json["items"] == []
    assert intake.as_("a-worker2").post(f"/tasks/{verify['id']}/claim").status == 403
    refused = intake.as_("a-head").post(f"/tasks/{verify['id']}/reassign",
                                        json={"assignee": "a-worker2", "reason": "workload"})
    assert refused.status == 422 and "assignee" in refused.json["error"]["fields"]
    ok = intake.as_("a-head").post(f"/tasks/{verify['id']}/reassign",
                                   json={"assignee": "a-worker", "reason": "workload"})
    assert ok.status == 200
    listed = intake.as_("a-worker2").get("/relations").json
    assert [r["person_name"] for r in listed] == ["李 四"]


def test_who_may_see_what_is_read_once_in_a_read_and_afresh_in_a_write(intake, runtime):
    """An inbox page asks who may see what for its page and each tab's count: a read-only unit
    of work reads the user's recusals and named tasks once; one that writes reads them each
    time, so a relation it declares takes effect at once."""
    case_id = register(intake)["case_id"]
    town_task(intake, runtime, case_id)
    sent = []

    def seen(_conn, _cursor, statement, *_args):
        sent.append(statement)

    def from_(table):
        return [s for s in sent if f"FROM {table} " in " ".join(s.split()) + " "]

    event.listen(runtime.connection, "before_cursor_execute", seen)
    try:
        def inbox(uow):
            user = org.get_user(uow.session, "a-worker2")
            return [inbox_service.count_tasks(uow.session, user=user, now=FROZEN, scope=scope)
                    for scope in ("mine", "unit", "all")] + [len(inbox_service.list_tasks(
                        uow.session, user=user, now=FROZEN, scope="unit").items)]
        assert runtime.read(inbox) == [0, 1, 1, 1]
        assert len(from_("relations")) == 1 and len(from_("task_candidate_users")) == 1

        def declare_then_count(uow):
            user = org.get_user(uow.session, "a-worker2")
            before = inbox_service.count_tasks(uow.session, user=user, now=FROZEN, scope="unit")
            recusal.declare(uow.session, runtime, actor=user, user=user, person_name="李四",
                            person_kind="accused", relation="kin", reason="表哥")
            return before, inbox_service.count_tasks(uow.session, user=user, now=FROZEN,
                                                     scope="unit")
        sent.clear()
        assert runtime.transact(declare_then_count) == (1, 0)
        assert len(from_("relations")) == 2
    finally:
        event.remove(runtime.connection, "before_cursor_execute", seen)


def test_a_recused_supervisor_neither_opens_nor_supervises_the_case(intake, runtime):
    created = register(intake)
    case_id = created["case_id"]
    assert intake.as_("chief").get(f"/cases/{case_id}").status == 200
    declared = intake.as_("chief").post("/relations", json={
        "person_name": "李四", "person_kind": "accused", "relation": "kin", "reason": "姻亲"})
    assert declared.status == 201
    for method, path, body in [("get", f"/cases/{case_id}", None),
                               ("get", f"/cases/{case_id}/history", None),
                               ("post", f"/cases/{case_id}/take", None),
                               ("post", f"/cases/{case_id}/supervised", {"reason": "督办"})]:
        resp = getattr(intake.as_("chief"), method)(path, **({"json": body} if body else {}))
        assert resp.status == 403, (path, resp.status)
        assert resp.json["error"]["message"] == "you are recused from this case", path
    # Nor does a recused supervisor reassign one of its tasks (a-head supervises town-a).
    verify = town_task(intake, runtime, case_id)
    assert intake.as_("a-head").post("/relations", json={
        "person_name": "李四", "person_kind": "accused", "relation": "kin",
        "reason": "姻亲"}).status == 201
    assert intake.as_("a-head").post(f"/tasks/{verify['id']}/reassign", json={
        "assignee": "a-worker", "reason": "workload"}).status == 403
    # Another supervisor over the unit still can; ending the relation lifts the recusal.
    assert intake.as_("city-chief").get(f"/cases/{case_id}").status == 200
    assert intake.as_("city-chief").post(f"/tasks/{verify['id']}/reassign", json={
        "assignee": "a-worker", "reason": "workload"}).status == 200
    assert intake.as_("chief").post(f"/relations/{declared.json['id']}/end",
                                    json={"reason": "关系已解除"}).status == 200
    assert intake.as_("chief").get(f"/cases/{case_id}").status == 200


def test_a_requested_recusal_takes_effect_when_a_supervisor_approves_it(intake, runtime):
    created = register(intake)
    case_id = created["case_id"]
    asked = intake.as_("a-head").post("/relations", json={
        "username": "a-worker", "person_name": "王小明", "person_kind": "reporter",
        "relation": "neighbour", "reason": "举报人申请回避", "requested": True})
    assert asked.status == 201 and asked.json["status"] == "requested"
    verify = town_task(intake, runtime, case_id)
    assert [t["id"] for t in intake.as_("a-worker").get("/tasks").json["items"]] == [verify["id"]]
    assert intake.as_("b-worker").post(f"/relations/{asked.json['id']}/decision",
                                       json={"approve": True}).status == 403
    decided = intake.as_("a-head").post(f"/relations/{asked.json['id']}/decision",
                                        json={"approve": True, "reason": "邻居关系属实"})
    assert decided.status == 200 and decided.json["status"] == "active"
    assert intake.as_("a-worker").get("/tasks").json["items"] == []
    ended = intake.as_("a-head").post(f"/relations/{asked.json['id']}/end",
                                      json={"reason": "经核实不存在邻居关系"})
    assert ended.status == 200 and ended.json["status"] == "ended"
    assert [t["id"] for t in intake.as_("a-worker").get("/tasks").json["items"]] == [verify["id"]]
