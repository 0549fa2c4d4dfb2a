"""Task authority (API.md "Authority"): lanes offer tasks to a role in a unit; claim, complete
and reassign follow the table; a case and its history are visible to the right people."""
from __future__ import annotations

import pytest

from engine.cases import service as cases
from engine.org import service as org
from tests.conftest import CONFORMANCE

LANES = {"lanes": {
    "A": {"role": "caseworker", "unit": "town-a"},
    "B": {"role": "caseworker", "unit_from": "handling_unit"},
    "C": {"role": "caseworker", "unit": "town-a"},
}}


@pytest.fixture
def settings_overrides():
    return {"lanes": LANES}


@pytest.fixture
def lanes_case(api, runtime):
    assert api.as_("designer").deploy((CONFORMANCE / "lanes.bpmn").read_bytes()).status == 201

    def open_case(uow):
        clerk = org.get_user(uow.session, "clerk")
        _ = clerk.roles
        return cases.open_case(uow, runtime=runtime, process_key="lanes",
                               data={"handling_unit": "town-b"}, user=clerk).id
    return runtime.transact(open_case)


def ids(resp):
    assert resp.status == 200, resp.json
    return [t["element_id"] for t in resp.json["items"]]


def test_lane_offers_the_task_to_its_unit_and_role(api, lanes_case):
    assert ids(api.as_("a-worker").get("/tasks", query={"scope": "unit"})) == ["Activity_A1"]
    assert ids(api.as_("a-worker").get("/tasks", query={"scope": "mine"})) == []
    assert ids(api.as_("b-worker").get("/tasks")) == []
    assert ids(api.as_("a-head").get("/tasks", query={"scope": "unit"})) == ["Activity_A1"]
    # Supervisors above see it too; the intake clerk sees the case it registered.
    assert ids(api.as_("chief").get("/tasks")) == ["Activity_A1"]
    assert ids(api.as_("clerk").get("/tasks")) == ["Activity_A1"]
    assert ids(api.as_("admin").get("/tasks")) == []
    (task,) = api.as_("a-worker").get("/tasks").json["items"]
    assert (task["candidate_unit"], task["candidate_role"], task["case_id"]) == \
        ("town-a", "caseworker", lanes_case)
    assert api.as_("b-worker").get(f"/tasks/{task['id']}").status == 403


def test_claim_complete_and_reassign_follow_the_table(api, lanes_case):
    (task,) = api.as_("a-worker").get("/tasks").json["items"]
    assert api.as_("b-worker").post(f"/tasks/{task['id']}/claim").status == 403
    claimed = api.as_("a-worker").post(f"/tasks/{task['id']}/claim", json={"version": 1})
    assert claimed.status == 200 and claimed.json["assignee"] == "a-worker"
    assert claimed.json["version"] == 2
    held = api.as_("a-worker2").post(f"/tasks/{task['id']}/claim")
    assert held.status == 409 and held.json["error"] == {
        "code": "conflict", "reason": "task_held_by_other", "params": {},
        "message": "task is held by someone else"}
    stale = api.as_("a-worker").post(f"/tasks/{task['id']}/claim", json={"version": 1})
    assert stale.status == 409 and stale.json["error"] == {
        "code": "conflict", "reason": "task_version_stale",
        # who changed it, how and when (issue 21: the refusal says who did what)
        "params": {"version": 2, "sent": 1, "by": stale.json["error"]["params"]["by"],
                   "change": "task_claimed", "at": stale.json["error"]["params"]["at"]},
        "message": "task has changed (version 2, you sent 1)"}
    assert stale.json["error"]["params"]["by"] and stale.json["error"]["params"]["at"]
    assert ids(api.as_("a-worker").get("/tasks", query={"scope": "mine"})) == ["Activity_A1"]

    body = {"assignee": "a-worker2", "reason": "a-worker is on leave"}
    assert api.as_("a-worker").post(f"/tasks/{task['id']}/reassign", json=body).status == 403
    assert api.as_("east-head").post(f"/tasks/{task['id']}/reassign",
                                     json={**body, "reason": ""}).status == 422
    wrong = api.as_("a-head").post(f"/tasks/{task['id']}/reassign",
                                   json={"assignee": "b-worker", "reason": "x"})
    assert wrong.status == 422 and "assignee" in wrong.json["error"]["fields"]
    moved = api.as_("east-head").post(f"/tasks/{task['id']}/reassign", json=body)
    assert moved.status == 200 and moved.json["assignee"] == "a-worker2"
    assert api.as_("d-worker").get(f"/tasks/{task['id']}").status == 403
    assert api.as_("a-worker").complete(moved.json, {"NewBPMNFeautre": "x"}).status == 409
    done = api.as_("a-worker2").complete(moved.json, {"NewBPMNFeautre": "export"})
    assert done.status == 200, done.json
    (b1,) = done.json["next_tasks"]
    # Lane B's unit comes from the case data (unit_from).
    assert (b1["element_id"], b1["candidate_unit"]) == ("Activity_B1", "town-b")
    # Completing an unassigned task claims it for the completer in the same transaction.
    finished = api.as_("b-worker").complete(b1, {"NeedClarification": False})
    assert finished.status == 200 and finished.json["task"]["assignee"] == "b-worker"


def test_case_and_history_visibility(api, lanes_case):
    case = api.as_("a-worker").get(f"/cases/{lanes_case}")
    assert case.status == 200
    assert case.json["status"] == "open" and case.json["process_key"] == "lanes"
    assert case.json["number"].startswith("petition-office-2026-C")
    assert [t["element_id"] for t in case.json["current_tasks"]] == ["Activity_A1"]
    assert api.as_("d-worker").get(f"/cases/{lanes_case}").status == 403
    assert api.as_("admin").get(f"/cases/{lanes_case}").status == 403
    assert api.as_("chief").get(f"/cases/{lanes_case}").status == 200

    (task,) = api.as_("a-worker").get("/tasks").json["items"]
    api.as_("a-head").post(f"/tasks/{task['id']}/reassign",
                           json={"assignee": "a-worker2", "reason": "workload"})
    history = api.as_("chief").get(f"/cases/{lanes_case}/history").json
    actions = [e["action"] for e in history]
    assert actions[:3] == ["case_opened", "instance_started", "task_created"]
    reassigned = [e for e in history if e["action"] == "task_reassigned"]
    assert reassigned[0]["actor"] == "a-head"
    assert reassigned[0]["detail"] == {"from": None, "to": "a-worker2", "reason": "workload"}
    assert reassigned[0]["task"] == "Request Feature"
    assert history == sorted(history, key=lambda e: e["at"])


def test_case_numbers_are_sequential_per_unit_and_year(api, runtime, lanes_case):
    def open_more(uow):
        clerk = org.get_user(uow.session, "clerk")
        return [cases.open_case(uow, runtime=runtime, process_key="lanes", data={},
                                user=clerk).number for _ in range(2)]
    first = api.as_("clerk").get(f"/cases/{lanes_case}").json["number"]
    numbers = runtime.transact(open_more)
    seq = [int(n.rsplit("-", 1)[1].lstrip("C")) for n in [first, *numbers]]
    assert seq == [seq[0], seq[0] + 1, seq[0] + 2]


def test_only_the_starter_or_a_supervisor_of_the_case_reads_an_instance(api, lanes_case):
    case = api.as_("chief").get(f"/cases/{lanes_case}").json
    path = f"/process-instances/{case['instance_id']}"
    assert api.as_("chief").get(path).status == 200
    assert api.as_("a-head").get(path).status == 200      # town-a holds the case's task
    assert api.as_("d-head").get(path).status == 403      # another township
    assert api.as_("designer").get(path).status == 403    # did not start it
    assert api.as_("a-worker").get(path).status == 403
