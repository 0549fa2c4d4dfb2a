"""Other people's BPMN through the API (issue 18): engine errors while a task completes become
the instance's error naming the element, and retry works; refusals say where and what to do;
what the engine can run deploys (schema problems and vendor extensions are warnings)."""
from __future__ import annotations

from tests.conftest import FIXTURES

PUBLIC = FIXTURES / "public"


def instance(api, inst_id):
    return api.as_("designer").get(f"/process-instances/{inst_id}").json


def test_a_missing_data_output_on_completion_is_an_instance_error_and_retry_fixes_it(api):
    designer = api.as_("designer")
    name = "spiff-bpmn-data_object.bpmn"
    assert designer.deploy((PUBLIC / name).read_bytes(), name).status == 201
    inst = designer.start("Process").json
    (task,) = inst["ready_tasks"]
    assert task["element_id"] == "generate_data"
    resp = designer.complete(task, {})  # the data object obj_1 gets no value
    assert resp.status == 200, resp.json
    inst = instance(api, inst["id"])
    assert inst["status"] == "error" and inst["ready_tasks"] == []
    assert inst["error"]["element_id"] == "generate_data"
    assert "generate_data (Generate Data)" in inst["error"]["message"]
    assert "obj_1 has no value" in inst["error"]["message"]
    again = designer.complete(task, {})  # the task is no longer waiting for a person
    assert again.status in (404, 409, 422), again.json
    resp = designer.post(f"/process-instances/{inst['id']}/retry", json={"data": {"obj_1": 7}})
    assert resp.status == 200, resp.json
    inst = resp.json
    assert inst["status"] == "running"
    for _ in range(5):
        if not inst["ready_tasks"]:
            break
        assert designer.complete(inst["ready_tasks"][0], {}).status == 200
        inst = instance(api, inst["id"])
    assert inst["status"] == "completed"


def test_a_name_error_in_a_data_association_names_the_task(api):
    designer = api.as_("designer")
    name = "spiff-bpmn-io_spec.bpmn"
    assert designer.deploy((PUBLIC / name).read_bytes(), name).status == 201
    inst = designer.start("subprocess").json
    assert inst["status"] == "error"
    assert inst["error"]["element_id"] == "Activity_04d94ee"
    assert "Activity_04d94ee (Task 1)" in inst["error"]["message"]
    assert "in_1" in inst["error"]["message"]


BASE = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions '
        'xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'xmlns:acme="http://acme.example/bpmn" id="d"{ns}>\n'
        '<bpmn:process id="{pid}" isExecutable="{exe}">\n'
        '<bpmn:startEvent id="s"/>\n{body}\n<bpmn:endEvent id="e"/>\n'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>\n'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>\n'
        '</bpmn:process>\n</bpmn:definitions>\n')


def bpmn(body: str, *, pid="p18", exe="true", ns=' targetNamespace="x"') -> bytes:
    return BASE.format(body=body, pid=pid, exe=exe, ns=ns).encode()


def refusal(api, xml: bytes) -> list[dict]:
    resp = api.as_("designer").deploy(xml, "foreign.bpmn")
    assert resp.status == 422, resp.json
    return resp.json["error"]["details"]


def test_refusals_name_file_element_and_line_and_say_what_to_do(api):
    (problem,) = refusal(api, bpmn('<bpmn:userTask id="t" name="Check"/>', exe="false"))
    assert problem["reason"] == "no_executable_process"
    assert problem["element_id"] == "p18" and problem["line"] == 3
    assert problem["file_name"] == "foreign.bpmn"
    assert 'isExecutable="true"' in problem["message"]

    (problem,) = refusal(api, bpmn('<bpmn:serviceTask id="t" name="Call bank" '
                                   'camunda:class="com.acme.Bank"/>'))
    assert (problem["reason"], problem["element_id"], problem["element_name"], problem["line"]) \
        == ("service_task", "t", "Call bank", 5)
    assert "script task" in problem["message"]

    (problem,) = refusal(api, bpmn(
        '<bpmn:exclusiveGateway id="t" name="OK?" default="f2"/>'
        '<bpmn:endEvent id="e2"/><bpmn:sequenceFlow id="f3" sourceRef="t" targetRef="e2">'
        '<bpmn:conditionExpression>${approved &amp;&amp; !late}</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow>'))
    assert problem["reason"] == "expression_juel" and problem["element_id"] == "f3"
    assert "approved and not late" in problem["message"]

    (problem,) = refusal(api, bpmn('<bpmn:scriptTask id="t" name="Sum" scriptFormat="groovy">'
                                   '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'))
    assert problem["reason"] == "script_language" and problem["element_name"] == "Sum"

    (problem,) = refusal(api, bpmn('<bpmn:scriptTask id="t" name="Empty"/>'))
    assert problem["reason"] == "script_missing" and problem["line"] == 5


def test_what_the_engine_runs_deploys_with_warnings(api):
    xml = bpmn('<bpmn:userTask id="t" name="Check" camunda:formKey="embedded:app:check.html">'
               '<bpmn:extensionElements>'
               '<acme:hint>kept aside</acme:hint></bpmn:extensionElements></bpmn:userTask>'
               '<acme:note id="n1">a vendor element outside extensionElements</acme:note>',
               ns="")  # and no targetNamespace
    resp = api.as_("designer").deploy(xml, "foreign.bpmn")
    assert resp.status == 201, resp.json
    warnings = resp.json[0]["warnings"]
    vendor = [w for w in warnings if w["reason"] == "vendor_extension"]
    assert [(w["element_id"], w["line"]) for w in vendor] == [("n1", 5)]
    assert not any("targetNamespace" in w["message"] for w in warnings)
    (form_key,) = [w for w in warnings if w["reason"] == "form_key_ignored"]
    assert (form_key["element_id"], form_key["line"]) == ("t", 5)
    inst = api.as_("designer").start("p18").json
    assert [t["element_id"] for t in inst["ready_tasks"]] == ["t"]


def test_a_message_starts_an_event_sub_process(api):
    designer = api.as_("designer")
    name = "event_subprocess_message.bpmn"
    assert designer.deploy((FIXTURES / name).read_bytes(), name).status == 201
    inst = designer.start("esp_message").json
    assert [t["element_id"] for t in inst["ready_tasks"]] == ["work"]
    url = f"/process-instances/{inst['id']}/messages"
    assert designer.post(url, json={"name": "no_such_message", "payload": {}}).status == 409
    resp = designer.post(url, json={"name": "status_query", "payload": {"asked": "status"}})
    assert resp.status == 200, resp.json
    ready = {t["element_id"]: t for t in instance(api, inst["id"])["ready_tasks"]}
    assert sorted(ready) == ["answer", "work"]  # not interrupting: the work goes on
    assert designer.complete(ready["answer"]).status == 200
    assert designer.complete(ready["work"]).status == 200
    assert instance(api, inst["id"])["status"] == "completed"
