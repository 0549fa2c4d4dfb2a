"""The conformance corpus: every file deployed through HTTP and driven to its end, as an outside
client would (start, complete, fire timers at a later instant, send messages)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from engine.timers import service as timers
from tests.conftest import CONFORMANCE, FROZEN

LATER = FROZEN + timedelta(minutes=5)


def deploy(api, name: str) -> list[dict]:
    resp = api.as_("designer").deploy((CONFORMANCE / name).read_bytes(), name)
    assert resp.status in (200, 201), resp.json
    return resp.json


def instance(api, instance_id: str) -> dict:
    resp = api.as_("designer").get(f"/process-instances/{instance_id}")
    assert resp.status == 200, resp.json
    return resp.json


def drive(api, inst: dict, answers: dict, *, max_steps: int = 50) -> dict:
    """Complete ready tasks (data from `answers` by element id) until none are left."""
    designer = api.as_("designer")
    for _ in range(max_steps):
        if not inst["ready_tasks"]:
            return inst
        task = inst["ready_tasks"][0]
        data = answers.get(task["element_id"], {})
        data = data(task) if callable(data) else data
        resp = designer.complete(task, data)
        assert resp.status == 200, (task["element_id"], resp.json)
        inst = instance(api, inst["id"])
    raise AssertionError("process did not finish")


def run_due(runtime, now=LATER) -> int:
    return timers.run_due(runtime, now)


def test_boundary_timer_on_task(api, runtime):
    deploy(api, "boundary_timer_on_task.bpmn")
    inst = api.as_("designer").start("test_timer").json
    assert inst["status"] == "running"
    # The timer is due by the real clock, but not under the frozen one.
    assert run_due(runtime, FROZEN) == 0
    assert run_due(runtime) == 1
    inst = drive(api, instance(api, inst["id"]), {})
    assert inst["status"] == "completed"
    assert inst["data"]["timer_called"] is True


def test_boundary_interrupting_timer_on_subprocess(api, runtime):
    deploy(api, "boundary.bpmn")
    inst = api.as_("designer").start("boundary_event").json
    first = inst["ready_tasks"][0]
    assert api.as_("designer").complete(first, {"initialstuff": "yes"}).status == 200
    inst = instance(api, inst["id"])
    assert [t["element_id"] for t in inst["ready_tasks"]] == ["Activity_Pester_Dad"]
    pester = inst["ready_tasks"][0]
    assert api.as_("designer").complete(pester, {"answer": "No"}).status == 200
    assert run_due(runtime) >= 1
    inst = instance(api, inst["id"])
    assert "Activity_Pester_Dad" not in [t["element_id"] for t in inst["ready_tasks"]]
    inst = drive(api, inst, {})
    assert inst["status"] == "completed"


def test_non_interrupting_timer_joined_by_parallel_gateway(api, runtime):
    deploy(api, "timer-non-interrupt-boundary.bpmn")
    inst = api.as_("designer").start("NonInterruptTimer").json
    assert [t["element_id"] for t in inst["ready_tasks"]] == ["Activity_Work"]
    assert run_due(runtime) == 1
    inst = instance(api, inst["id"])
    assert sorted(t["element_id"] for t in inst["ready_tasks"]) == ["Activity_Work", "GetReason"]
    inst = drive(api, inst, {"GetReason": {"delay_reason": "traffic"},
                             "Activity_Work": {"work_done": "Yes"}})
    assert inst["status"] == "completed"
    assert inst["data"]["delay_reason"] == "traffic"


def test_intermediate_timedate_timer_from_variable(api, runtime):
    deploy(api, "Timer-Intermediate.bpmn20.xml")
    due = (FROZEN + timedelta(minutes=1)).isoformat()
    inst = api.as_("designer").start("sid-909dfba4-15dd-47b3-b7d4-88330891429a",
                                     {"due_time": due}).json
    assert inst["status"] == "running"
    assert run_due(runtime, FROZEN) == 0
    assert run_due(runtime) == 1
    inst = drive(api, instance(api, inst["id"]), {})
    assert inst["status"] == "completed"


def test_lanes_are_visible_on_tasks(api):
    deploy(api, "lanes.bpmn")
    inst = api.as_("designer").start("lanes").json
    seen = []

    def answer(task):
        seen.append((task["element_id"], task["lane"]))
        return {"Activity_A1": {"NewBPMNFeautre": "diagram export"},
                "Activity_B1": {"NeedClarification": False}}.get(task["element_id"], {})
    inst = drive(api, inst, {k: answer for k in
                             ("Activity_A1", "Activity_B1", "Implement_Feature", "SubProcessTask",
                              "Activity_1uksrqx")})
    assert inst["status"] == "completed"
    assert ("Activity_A1", "A") in seen and ("Activity_B1", "B") in seen
    assert all(lane is not None for _, lane in seen)


def test_call_activities_parallel_and_terminate(api):
    results = deploy(api, "Approvals.bpmn")
    assert {r["key"] for r in results} == {"Approvals", "First_Approval_Wins",
                                           "Parallel_Approvals_SP"}
    inst = api.as_("designer").start("Approvals").json
    inst = drive(api, inst, {})
    assert inst["status"] == "completed"


def test_parallel_multi_instance(api):
    deploy(api, "Multi-Instance.bpmn20.xml")
    inst = api.as_("designer").start("Process_0xa1l01").json
    while inst["ready_tasks"] and inst["ready_tasks"][0]["element_id"] != "Personnel_Info":
        assert api.as_("designer").complete(inst["ready_tasks"][0], {}).status == 200
        inst = instance(api, inst["id"])
    personnel = [t for t in inst["ready_tasks"] if t["element_id"] == "Personnel_Info"]
    assert len(personnel) == 3
    for i, task in enumerate(personnel):
        resp = api.as_("designer").complete(task, {"person": {"dog_friendly": i % 2 == 0}})
        assert resp.status == 200, resp.json
    assert instance(api, inst["id"])["status"] == "completed"


def test_message_with_correlation(api):
    deploy(api, "collaboration.bpmn")
    inst = api.as_("designer").start("process_buddy", {"lover_name": "Peggy"}).json
    assert inst["status"] == "running"
    resp = api.as_("designer").post(f"/process-instances/{inst['id']}/messages",
                                    json={"name": "Love Letter Response",
                                          "payload": {"from_name": "Peggy"}})
    assert resp.status == 200, resp.json
    assert resp.json["status"] == "completed"
    again = api.as_("designer").post(f"/process-instances/{inst['id']}/messages",
                                     json={"name": "Love Letter Response", "payload": {}})
    assert again.status == 409


@pytest.mark.parametrize("name,data,expected", [
    ("error_event_payload.bpmn", {"error": True, "payload": "ERROR!"}, "ERROR!"),
    ("escalation_event_payload.bpmn", {"escalation": True, "payload": "ESC!"}, "ESC!"),
])
def test_error_and_escalation_payloads(api, name, data, expected):
    deploy(api, "error_event_payload.bpmn")
    results = deploy(api, name)
    if name.startswith("escalation"):
        assert results[0]["version"] == 2  # same process id: a new version
    inst = api.as_("designer").start("event_test").json
    inst = drive(api, inst, {"set_data": data})
    assert inst["status"] == "completed"
    assert inst["data"]["result"] == expected


def test_inclusive_gateway_with_script_loop(api):
    deploy(api, "inclusive_gateway.bpmn")
    inst = api.as_("designer").start("main").json
    inst = drive(api, inst, {"set_data": {"u": 2, "v": 0, "w": 3}})
    assert inst["status"] == "completed"
    # Both conditional branches ran their scripts (u += v, w += v) and joined.
    assert (inst["data"]["u"], inst["data"]["v"], inst["data"]["w"]) == (2, 0, 3)


def test_event_gateway_via_message(api):
    deploy(api, "event-gateway.bpmn")
    inst = api.as_("designer").start("Process_0pvx19v").json
    import re
    xml = (CONFORMANCE / "event-gateway.bpmn").read_text()
    names = re.findall(r'<bpmn:message id="[^"]+" name="([^"]+)"', xml)
    resp = api.as_("designer").post(f"/process-instances/{inst['id']}/messages",
                                    json={"name": names[0], "payload": {}})
    assert resp.status == 200, resp.json
    assert resp.json["status"] == "completed"


def test_event_gateway_via_timer(api, runtime):
    deploy(api, "event-gateway.bpmn")
    inst = api.as_("designer").start("Process_0pvx19v").json
    assert run_due(runtime, FROZEN) == 0
    assert run_due(runtime) == 1
    assert instance(api, inst["id"])["status"] == "completed"


def test_gateway_without_default_fails_then_retries(api):
    deploy(api, "exclusive_gateway_no_default.bpmn")
    inst = api.as_("designer").start("NoDefaultGateway", {"x": 1}).json
    assert inst["status"] == "error"
    assert inst["error"]["element_id"] == "Gateway_CheckValue"
    assert "Gateway_CheckValue" in inst["error"]["message"] or inst["error"]["message"]
    resp = api.as_("designer").post(f"/process-instances/{inst['id']}/retry",
                                    json={"data": {"x": 2}})
    assert resp.status == 200, resp.json
    inst = drive(api, resp.json, {})
    assert inst["status"] == "completed"
