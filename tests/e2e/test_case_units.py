"""Visibility and supervision follow the case's units (engine/access/case_units.py), and a zone's
acceptance withdraws the township's work on the case (engine/zones/service.py), through HTTP on
both databases: a zone head sees, lists assignees for and reassigns its investigators' tasks; a
county supervisor sees the city's approval of its own case but does not reassign it; the joint
review chair sees the members' tasks; after acceptance the township has no task of the case, in
the saved workflow as in the inbox, and the zone's team sees the case record; a refusal leaves
the township's task as it was."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases import service as cases
from engine.check import check
from engine.org import service as org
from engine.processes import store
from engine.processes.models import ProcessInstance
from tests.e2e import test_reviews_and_zones as _rz
from tests.e2e.test_reviews_and_zones import (
    actions_of,
    complete,
    escalate,
    inbox,
    open_review_case,
    task_of,
    to_team,
    town_case,
)

zone, reviews = _rz.zone, _rz.reviews  # their fixtures

CITY_CASE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_city" targetNamespace="t">
  <bpmn:collaboration id="c"><bpmn:participant id="p" processRef="city_case" /></bpmn:collaboration>
  <bpmn:process id="city_case" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="承办人"><bpmn:flowNodeRef>s</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>handle</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="市纪委"><bpmn:flowNodeRef>city_approve</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="handle" name="承办"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="city_approve" name="市纪委审批"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="handle" />
    <bpmn:sequenceFlow id="f2" sourceRef="handle" targetRef="city_approve" />
    <bpmn:sequenceFlow id="f3" sourceRef="city_approve" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def settings_overrides():
    return {"lanes": {"city_case": {"承办人": {"role": "caseworker",
                                               "unit_from": "case.handling_unit"},
                                    "市纪委": {"role": "supervisor", "unit": "city"}}}}


def _reassign(api, user, task, assignee):
    return api.as_(user).post(f"/tasks/{task['id']}/reassign",
                              json={"assignee": assignee, "reason": "调整承办人"})


def _eligible(api, user, task):
    return api.as_(user).get(f"/tasks/{task['id']}/eligible-assignees")


# ---------------------------------------------------------------------------------------------
# Supervision follows the task's unit, sight follows the case's units


def test_the_zone_head_sees_and_reassigns_its_investigators_tasks(zone, runtime):
    api = zone
    case_id = town_case(api, runtime)
    team = to_team(api, case_id)
    done = complete(api, "east-head", team, {"team": "b-worker", "team_leader": "b-worker"})
    (job,) = done["next_tasks"]
    # Bound to one person, done for the zone.
    assert (job["element_id"], job["candidate_unit"]) == ("investigate", "zone-east")
    assert api.as_("east-head").get(f"/tasks/{job['id']}").status == 200
    listed = _eligible(api, "east-head", job)
    assert listed.status == 200, listed.json
    names = {u["username"] for u in listed.json}
    # Caseworkers of the zone's townships; never the township the case came from (回避).
    assert {"b-worker", "c-worker"} <= names and not {"a-worker", "a-worker2"} & names
    assert _reassign(api, "east-head", job, "a-worker").status == 422
    moved = _reassign(api, "east-head", job, "c-worker")
    assert moved.status == 200, moved.json
    assert [t["id"] for t in inbox(api, "c-worker")] == [job["id"]]
    # The township's own supervisor neither sees nor supervises it any more.
    assert api.as_("a-head").get(f"/tasks/{job['id']}").status == 403
    assert _reassign(api, "a-head", job, "b-worker").status == 403
    assert _eligible(api, "a-head", job).status == 403


def test_a_county_supervisor_sees_the_citys_approval_of_its_case_but_does_not_reassign_it(
        api, runtime):
    assert api.as_("designer").deploy(CITY_CASE.encode(), "city_case.bpmn").status == 201

    def work(uow):
        session = uow.session
        town = org.get_unit(session, "town-a")

        def link(case):
            case.first_handling_unit_id = case.handling_unit_id = town.id
        return cases.open_case(uow, runtime=runtime, process_key="city_case", data={},
                               user=org.get_user(session, "clerk"), before_start=link).id
    case_id = runtime.transact(work)
    done = complete(api, "a-worker", task_of(api, "a-worker", "handle", case_id), {})
    (approval,) = done["next_tasks"]
    assert approval["candidate_unit"] == "city"
    # The county is above the case's units (town-a handles, the petition office registered).
    assert api.as_("chief").get(f"/tasks/{approval['id']}").status == 200
    assert approval["id"] in [t["id"] for t in inbox(api, "chief", scope="all")]
    assert api.as_("chief").get(f"/cases/{case_id}").status == 200
    # Supervising is for the task's own unit and above: the city's, not the county's.
    assert _reassign(api, "chief", approval, "city-chief").status == 403
    assert _eligible(api, "chief", approval).status == 403
    assert _eligible(api, "city-chief", approval).status == 200
    # Units outside the case see nothing of it.
    assert api.as_("b-head").get(f"/tasks/{approval['id']}").status == 403


def test_the_joint_review_chair_sees_the_members_tasks(reviews, runtime):
    api = reviews
    # Registered at the county, chaired by the zone head: the chair is above none of the
    # case's units, yet sees the members' tasks of the review it convened.
    case_id = open_review_case(runtime, members=["org-dept", "police"], chair_unit="zone-east")
    convene = task_of(api, "east-head", "convene", case_id)
    done = complete(api, "east-head", convene, {"review_agenda": "研究是否立案审查"})
    members = done["next_tasks"]
    assert sorted(t["candidate_unit"] for t in members) == ["org-dept", "police"]
    for member in members:
        assert api.as_("east-head").get(f"/tasks/{member['id']}").status == 200
        assert api.as_("b-head").get(f"/tasks/{member['id']}").status == 403
    # Seeing is not supervising: the members' units are not below the zone.
    assert _reassign(api, "east-head", members[0], "reviewer-org").status == 403


# ---------------------------------------------------------------------------------------------
# Zone acceptance withdraws the township's work


def _instance_of(runtime, case_id: int, key: str) -> ProcessInstance:
    def read(uow):
        return uow.session.scalar(select(ProcessInstance).where(
            ProcessInstance.case_id == case_id, ProcessInstance.process_key == key))
    return runtime.read(read)


def _ready_in_saved_workflow(runtime, instance_id: str) -> list[str]:
    """Load the workflow from its saved state (no cache) and list its ready user tasks."""
    def read(uow):
        instance = uow.session.get(ProcessInstance, instance_id)
        runtime.workflow_cache.pop(instance_id)
        return [v.element_id for v in
                store.load(uow.session, runtime, instance).ready_human_tasks()]
    return runtime.read(read)


def test_acceptance_withdraws_the_townships_tasks_in_the_workflow_too(zone, runtime):
    api = zone
    case_id = town_case(api, runtime)
    held = _instance_of(runtime, case_id, "town_case")
    handle = task_of(api, "a-worker", "handle", case_id)
    assert _ready_in_saved_workflow(runtime, held.id) == ["handle"]
    applied = escalate(api, case_id)
    # Applying changes nothing yet.
    assert [t["id"] for t in inbox(api, "a-worker")] == [handle["id"]]
    complete(api, "east-head", applied["task"], {"accept": True, "decision_reason": "同意提级"})

    assert [t for t in inbox(api, "a-worker") if t["case_id"] == case_id] == []
    assert _ready_in_saved_workflow(runtime, held.id) == []
    withdrawn = _instance_of(runtime, case_id, "town_case")
    assert withdrawn.status == "withdrawn"
    assert api.as_("a-worker").complete(handle, {"note": "x"}).status in (403, 409)
    case = api.as_("chief").get(f"/cases/{case_id}").json
    assert case["status"] == "open"
    assert "handle" not in [t["element_id"] for t in case["current_tasks"]]
    (event,) = [e for e in api.as_("chief").get(f"/cases/{case_id}/history").json
                if e["action"] == "township_work_withdrawn"]
    assert event["actor"] == "east-head"
    assert event["detail"]["instances"] == [held.id]
    assert [t["element_id"] for t in event["detail"]["tasks"]] == ["handle"]
    assert check(runtime) == []
    # The township's supervisor no longer sees the case's work; the zone's team sees the case.
    assert api.as_("a-head").get(f"/tasks/{handle['id']}").status == 403
    assert api.as_("b-worker").get(f"/cases/{case_id}").status == 403
    done = complete(api, "sup-worker", task_of(api, "sup-worker", "analyse", case_id),
                    {"analysis": "需异地调查"})
    (team,) = done["next_tasks"]
    complete(api, "east-head", team, {"team": "b-worker"})
    assert api.as_("b-worker").get(f"/cases/{case_id}").status == 200
    assert api.as_("d-worker").get(f"/cases/{case_id}").status == 403


def test_a_refusal_leaves_the_townships_tasks_as_they_were(zone, runtime):
    api = zone
    case_id = town_case(api, runtime)
    held = _instance_of(runtime, case_id, "town_case")
    handle = task_of(api, "a-worker", "handle", case_id)
    applied = escalate(api, case_id)
    complete(api, "east-head", applied["task"],
             {"accept": False, "decision_reason": "一般案件，由乡镇纪委自办"})
    assert [t["id"] for t in inbox(api, "a-worker")] == [handle["id"]]
    assert _ready_in_saved_workflow(runtime, held.id) == ["handle"]
    assert _instance_of(runtime, case_id, "town_case").status == "running"
    assert "township_work_withdrawn" not in actions_of(api, case_id)
    complete(api, "a-worker", handle, {"note": "自办完毕"})


def test_the_upgrade_step_withdraws_work_left_running_by_an_earlier_release(zone, runtime):
    from engine.zones import service as zones
    from engine.zones.models import ZoneEscalation
    api = zone
    case_id = town_case(api, runtime)
    held = _instance_of(runtime, case_id, "town_case")
    applied = escalate(api, case_id)

    def accept_the_old_way(uow):  # as before this release: the decision only
        row = uow.session.get(ZoneEscalation, applied["id"])
        row.decision = "accepted"
    runtime.transact(accept_the_old_way)
    assert _instance_of(runtime, case_id, "town_case").status == "running"
    assert zones.withdraw_pending(runtime) == 1
    assert _instance_of(runtime, case_id, "town_case").status == "withdrawn"
    assert _ready_in_saved_workflow(runtime, held.id) == []
    assert zones.withdraw_pending(runtime) == 0


def test_migration_0014a_gives_open_person_tasks_their_unit(zone, runtime):
    """Data built the old way: an investigator's task without a unit."""
    import importlib.util
    from pathlib import Path

    from engine.inbox.models import Task
    path = Path(__file__).resolve().parents[2] / \
        "migrations/versions/2026_12_04_0014a_person_task_unit.py"
    spec = importlib.util.spec_from_file_location("mend_0014a", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    api = zone
    case_id = town_case(api, runtime)
    team = to_team(api, case_id)
    (job,) = complete(api, "east-head", team, {"team": "b-worker"})["next_tasks"]

    def strip(uow):
        uow.session.get(Task, job["id"]).candidate_unit_id = None
    runtime.transact(strip)
    assert _eligible(api, "east-head", job).status == 403

    def mend(uow):
        return module.mend(uow.session.connection())
    assert runtime.transact(mend) == 1
    assert api.as_("east-head").get(f"/tasks/{job['id']}").json["candidate_unit"] == "zone-east"
    assert _eligible(api, "east-head", job).status == 200
