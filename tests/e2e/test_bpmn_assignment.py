"""Camunda's assignment attributes on user tasks, through the API (issue 18, point 5): `assignee`
gives the task to that user, `candidateUsers` lets only those users claim it, `candidateGroups`
names a role and/or a unit, `${variable}` is read from the process data; what cannot be evaluated
is refused at deploy, names nobody knows are deploy warnings. API.md "Authority"."""
from __future__ import annotations

import pytest

from tests.conftest import FIXTURES
from tests.e2e.test_foreign_bpmn import bpmn
from tests.e2e.test_reviews_and_zones import add_user


def deploy(api, name: str) -> list[dict]:
    resp = api.as_("designer").deploy((FIXTURES / name).read_bytes(), name)
    assert resp.status == 201, resp.json
    return [w for result in resp.json for w in result["warnings"]]


def start(api, key: str, data: dict | None = None) -> dict:
    resp = api.as_("designer").start(key, data)
    assert resp.status == 201, resp.json
    return resp.json


def only_task(api, inst_id: str) -> dict:
    (task,) = api.as_("designer").get(f"/process-instances/{inst_id}").json["ready_tasks"]
    return task


def mine(api, user: str) -> list[str]:
    resp = api.as_(user).get("/tasks", query={"scope": "mine", "per_page": 100})
    assert resp.status == 200, resp.json
    return [t["id"] for t in resp.json["items"]]


def sees(api, user: str, task: dict) -> bool:
    return api.as_(user).get(f"/tasks/{task['id']}").status == 200


def test_an_assignee_gets_the_task_and_nobody_else_works_it(api):
    assert deploy(api, "assignment_assignee.bpmn") == []
    inst = start(api, "assign_literal")
    task = only_task(api, inst["id"])
    assert (task["element_id"], task["assignee"]) == ("review", "a-worker")
    assert task["id"] in mine(api, "a-worker")
    assert task["id"] not in mine(api, "a-worker2")
    assert not sees(api, "a-worker2", task) and not sees(api, "b-worker", task)
    # Neither a colleague of the same unit nor the designer who started it may take or finish it.
    assert api.as_("a-worker2").post(f"/tasks/{task['id']}/claim").status in (403, 409)
    assert api.as_("designer").complete(task).status in (403, 409)
    # Given back, it stays offered to its assignee alone.
    back = api.as_("a-worker").post(f"/tasks/{task['id']}/unclaim")
    assert back.status == 200 and back.json["assignee"] is None
    assert task["id"] in mine(api, "a-worker")
    assert api.as_("a-worker2").post(f"/tasks/{task['id']}/claim").status == 403
    done = api.as_("a-worker").complete(back.json)
    assert done.status == 200, done.json
    # flowable:assignee is read the same way.
    (check,) = done.json["next_tasks"]
    assert (check["element_id"], check["assignee"]) == ("check", "b-worker")
    assert api.as_("b-worker").complete(check).status == 200
    assert api.as_("designer").get(f"/process-instances/{inst['id']}").json["status"] == \
        "completed"


def test_candidate_users_may_claim_and_nobody_else(api):
    deploy(api, "assignment_candidates.bpmn")
    task = only_task(api, start(api, "assign_candidates")["id"])
    assert task["assignee"] is None
    for user in ("a-worker2", "b-worker"):
        assert task["id"] in mine(api, user) and sees(api, user, task)
    assert task["id"] not in mine(api, "a-worker") and not sees(api, "a-worker", task)
    refused = api.as_("a-worker").post(f"/tasks/{task['id']}/claim")
    assert refused.status == 403, refused.json
    assert api.as_("a-worker").complete(task).status == 403
    assert api.as_("designer").complete(task).status == 403  # the starter is no candidate
    claimed = api.as_("b-worker").post(f"/tasks/{task['id']}/claim")
    assert claimed.status == 200 and claimed.json["assignee"] == "b-worker"
    assert api.as_("a-worker2").post(f"/tasks/{task['id']}/claim").status == 409  # held
    assert api.as_("b-worker").complete(claimed.json).status == 200


def test_candidate_groups_name_a_role_a_unit_or_both(api):
    deploy(api, "assignment_groups.bpmn")
    inst = start(api, "assign_groups")
    # "caseworker, town-b": a caseworker of town B.
    task = only_task(api, inst["id"])
    assert (task["candidate_role"], task["candidate_unit"]) == ("caseworker", "town-b")
    assert task["id"] in [t["id"] for t in api.as_("b-worker").get(
        "/tasks", query={"scope": "unit"}).json["items"]]
    assert api.as_("a-worker").post(f"/tasks/{task['id']}/claim").status == 403
    assert api.as_("b-worker").complete(task).status == 200
    # "town-a": anyone of town A, whatever their role.
    task = only_task(api, inst["id"])
    assert (task["candidate_role"], task["candidate_unit"]) == (None, "town-a")
    assert task["id"] in [t["id"] for t in api.as_("a-worker2").get(
        "/tasks", query={"scope": "unit"}).json["items"]]
    assert api.as_("b-worker").post(f"/tasks/{task['id']}/claim").status == 403
    assert api.as_("a-worker2").complete(task).status == 200
    # "supervisor": a role alone is taken in the unit of whoever started the instance (county).
    task = only_task(api, inst["id"])
    assert (task["candidate_role"], task["candidate_unit"]) == ("supervisor", "county")
    assert api.as_("a-head").post(f"/tasks/{task['id']}/claim").status == 403
    assert api.as_("chief").complete(task).status == 200


def test_assignees_and_candidates_come_from_process_data(api):
    warnings = deploy(api, "assignment_expression.bpmn")
    assert not [w for w in warnings if w["reason"] == "field_unused"], warnings
    inst = start(api, "assign_expression")
    # camunda:initiator="initiator" on the start event: ${initiator} is who started it.
    task = only_task(api, inst["id"])
    assert (task["element_id"], task["assignee"]) == ("prepare", "designer")
    done = api.as_("designer").complete(task, {"approver": "a-head",
                                              "reviewers": "a-worker, b-worker"})
    assert done.status == 200, done.json
    (task,) = done.json["next_tasks"]
    assert (task["element_id"], task["assignee"]) == ("approve", "a-head")
    assert api.as_("chief").complete(task).status in (403, 409)
    (task,) = api.as_("a-head").complete(task).json["next_tasks"]
    # "${reviewers}, d-worker": the names in the variable and the literal one.
    assert task["element_id"] == "second_look" and task["assignee"] is None
    for user in ("a-worker", "b-worker", "d-worker"):
        assert task["id"] in mine(api, user)
    assert api.as_("a-worker2").post(f"/tasks/{task['id']}/claim").status == 403
    assert api.as_("d-worker").complete(task).status == 200


def test_a_reference_with_no_value_leaves_the_task_to_the_starter(api):
    deploy(api, "assignment_expression.bpmn")
    inst = start(api, "assign_expression")
    task = only_task(api, inst["id"])
    (task,) = api.as_("designer").complete(task, {}).json["next_tasks"]  # no approver given
    assert (task["element_id"], task["assignee"]) == ("approve", None)
    assert api.as_("designer").complete(task).status == 200


def test_expressions_other_than_a_variable_are_refused_at_deploy_with_their_line(api):
    xml = bpmn('<bpmn:userTask id="t" name="Edit" '
               'camunda:assignee="#{jobAnnouncementService.findEditor(jobAnnouncementId)}"/>')
    resp = api.as_("designer").deploy(xml, "foreign.bpmn")
    assert resp.status == 422, resp.json
    (problem,) = resp.json["error"]["details"]
    assert problem["reason"] == "assignment_expression_unsupported"
    assert (problem["element_id"], problem["element_name"], problem["line"],
            problem["file_name"]) == ("t", "Edit", 5, "foreign.bpmn")
    assert "only a variable name" in problem["message"]
    xml = bpmn('<bpmn:userTask id="t" name="Edit" camunda:candidateUsers="a-worker, '
               '${owner == null ? boss : owner}"/>')
    (problem,) = api.as_("designer").deploy(xml, "foreign.bpmn").json["error"]["details"]
    assert problem["reason"] == "assignment_expression_unsupported"


def test_unknown_names_are_deploy_warnings_and_the_task_goes_to_the_starter(api):
    xml = bpmn('<bpmn:userTask id="t" name="Approve" camunda:assignee="kermit" '
               'camunda:candidateUsers="fozzie" '
               'camunda:candidateGroups="management, caseworker, supervisor"/>', pid="p18u")
    resp = api.as_("designer").deploy(xml, "foreign.bpmn")
    assert resp.status == 201, resp.json
    found = {(w["reason"], w["params"].get("value") or w["params"].get("values"), w["line"])
             for w in resp.json[0]["warnings"] if w["element_id"] == "t"}
    assert found == {("assignee_unknown", "kermit", 5), ("assignee_unknown", "fozzie", 5),
                     ("candidate_group_unknown", "management", 5),
                     ("candidate_group_ambiguous", "caseworker, supervisor", 5)}
    task = only_task(api, start(api, "p18u")["id"])
    # Only the first role is used, in the starter's unit; the unknown names are left out.
    assert (task["assignee"], task["candidate_role"], task["candidate_unit"]) == \
        (None, "caseworker", "county")


LANED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="x">
  <bpmn:process id="p18lane" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="Mapped"><bpmn:flowNodeRef>t1</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="Unmapped"><bpmn:flowNodeRef>t2</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t1" name="Mapped" camunda:assignee="a-worker"/>
    <bpmn:userTask id="t2" name="Unmapped" camunda:assignee="a-worker"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t1" targetRef="t2"/>
    <bpmn:sequenceFlow id="f3" sourceRef="t2" targetRef="e"/>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize("settings_overrides", [
    {"lanes": {"p18lane": {"Mapped": {"role": "caseworker", "unit": "town-b"}}}}])
def test_a_lane_mapping_wins_over_the_attributes(api):
    assert api.as_("designer").deploy(LANED, "lane.bpmn").status == 201
    inst = start(api, "p18lane")
    task = only_task(api, inst["id"])
    assert (task["assignee"], task["candidate_role"], task["candidate_unit"]) == \
        (None, "caseworker", "town-b")
    (task,) = api.as_("b-worker").complete(task).json["next_tasks"]
    assert task["assignee"] == "a-worker"  # its lane maps to nothing: the attribute holds


# Files of the public corpus (tests/bpmn/public, SOURCES.csv) that assign their tasks.
PUBLIC = FIXTURES / "public"


def test_camunda_examples_initiator_assignee_goes_to_who_started_it(api):
    name = "camunda-migration_migrate-on-deployment__exampleProcess.bpmn"
    assert api.as_("designer").deploy((PUBLIC / name).read_bytes(), name).status == 201
    inst = start(api, "exampleProcess")
    task = only_task(api, inst["id"])  # assignee="${initiator}", initiator on the start event
    assert (task["element_id"], task["assignee"]) == ("UserTask_14494ua", "designer")
    assert task["id"] in mine(api, "designer") and not sees(api, "a-worker", task)
    assert api.as_("designer").complete(task).status == 200


def test_camunda_examples_named_assignees_once_those_users_exist(api, runtime):
    name = "camunda-process-engine-plugin_bpmn-parse-listener__bpmnParseListenerOnUserTask.bpmn"
    data = (PUBLIC / name).read_bytes()
    resp = api.as_("designer").deploy(data, name)
    assert resp.status == 201
    unknown = sorted((w["params"]["value"], w["element_id"], w["line"])
                     for w in resp.json[0]["warnings"] if w["reason"] == "assignee_unknown")
    assert unknown == [("Fozzie", "Task_01v3a6u", 17), ("Kermit", "Task_1i9jsnp", 13)]
    for username in ("Kermit", "Fozzie"):
        add_user(api, runtime, username, "caseworker", "town-a")
    inst = start(api, "bpmnParseListenerOnUserTask")
    task = only_task(api, inst["id"])
    assert task["assignee"] == "Kermit"
    assert api.as_("designer").complete(task).status in (403, 409)
    assert api.as_("Fozzie").complete(task).status in (403, 409)
    (task,) = api.as_("Kermit").complete(task).json["next_tasks"]
    assert task["assignee"] == "Fozzie"
    assert api.as_("Fozzie").complete(task).status == 200
    assert api.as_("designer").get(f"/process-instances/{inst['id']}").json["status"] == \
        "completed"


def test_the_pages_offer_the_task_to_its_candidates_only(api, app):
    from tests.e2e.test_pages_cases import Page, text
    deploy(api, "assignment_candidates.bpmn")
    task = only_task(api, start(api, "assign_candidates")["id"])
    candidate, other = Page(app, "a-worker2"), Page(app, "a-worker")
    assert "Triage" in text(candidate.get("/inbox?scope=mine"))
    assert "Triage" not in text(other.get("/inbox?scope=mine"))
    assert other.get(f"/tasks/{task['id']}").status_code == 403
    page = candidate.get(f"/tasks/{task['id']}")
    assert page.status_code == 200 and f"/tasks/{task['id']}/complete" in text(page)
    assert candidate.action(f"/tasks/{task['id']}/claim").status_code == 200


def test_a_deactivated_candidate_leaves_the_task_to_the_other_candidates_or_hands_it_on(api):
    """Deactivating one of several named candidates leaves the task to the others; the last
    active named candidate holds it, and must hand it on first (API.md "Administration")."""
    deploy(api, "assignment_candidates.bpmn")
    first = only_task(api, start(api, "assign_candidates")["id"])
    second = only_task(api, start(api, "assign_candidates")["id"])
    admin = api.as_("admin")
    # b-worker is one of two candidates: no transfer needed, a-worker2 carries on alone.
    assert admin.post("/admin/users/b-worker/deactivate", json={}).status == 200
    assert first["id"] in mine(api, "a-worker2") and second["id"] in mine(api, "a-worker2")
    # a-worker2 is now the last active candidate: deactivation asks where the tasks go.
    refused = admin.post("/admin/users/a-worker2/deactivate", json={})
    assert refused.status == 409, refused.json
    assert set(refused.json["error"]["fields"]["transfers"]) == {first["id"], second["id"]}
    done = admin.post("/admin/users/a-worker2/deactivate", json={"all_to": "a-worker"})
    assert done.status == 200, done.json
    for task in (first, second):
        moved = api.as_("a-worker").get(f"/tasks/{task['id']}")
        assert moved.status == 200 and moved.json["assignee"] == "a-worker"
        assert api.as_("a-worker").complete(moved.json).status == 200
