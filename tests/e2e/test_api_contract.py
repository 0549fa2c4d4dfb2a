"""The HTTP contract: bad input gets 400/422 with field messages, forms are enforced, failing
scripts leave the instance in error and retry completes it, malformed BPMN deploys nothing."""
from __future__ import annotations

from tests.conftest import CONFORMANCE, FIXTURES


def start_form_task(api):
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "form_task.bpmn").read_bytes(), "form_task.bpmn").status == 201
    inst = designer.start("form_task").json
    (task,) = inst["ready_tasks"]
    return designer, inst, task


def test_task_detail_carries_the_form_as_json_schema(api):
    designer, _, task = start_form_task(api)
    detail = designer.get(f"/tasks/{task['id']}").json
    form = detail["form"]
    assert form["required"] == ["title"]
    assert form["properties"]["count"]["type"] == "integer"
    assert form["properties"]["person"]["properties"]["name"]["type"] == "string"
    assert form["properties"]["kind"]["enum"] == ["a", "b"]
    assert detail["deadline_key"] == "acceptance_notice"


def test_completion_data_is_validated_against_the_form(api):
    designer, _, task = start_form_task(api)
    wrong = designer.complete(task, {"title": "x", "count": "three", "urgent": "yes"})
    assert wrong.status == 422
    assert set(wrong.json["error"]["fields"]) == {"count", "urgent"}
    missing = designer.complete(task, {"count": 1})
    assert missing.status == 422 and missing.json["error"]["fields"] == {"title": ["required"]}
    unknown = designer.complete(task, {"title": "x", "colour": "red", "person": {"age": 3}})
    assert unknown.status == 422
    assert unknown.json["error"]["fields"] == {"colour": ["unknown field"],
                                               "person.age": ["unknown field"]}
    too_long = designer.complete(task, {"title": "x" * 21})
    assert too_long.status == 422 and "title" in too_long.json["error"]["fields"]
    bad_enum = designer.complete(task, {"title": "x", "kind": "c"})
    assert bad_enum.status == 422 and "kind" in bad_enum.json["error"]["fields"]
    # Nothing of the refused attempts reached the engine: the task is still open, same version.
    again = designer.get(f"/tasks/{task['id']}").json
    assert again["status"] == "open" and again["version"] == task["version"]
    ok = designer.complete(task, {"title": "x", "count": 2, "person": {"name": "张三"}})
    assert ok.status == 200, ok.json
    (free,) = ok.json["next_tasks"]
    assert free["element_id"] == "free"
    # A task with no form takes any JSON object.
    assert designer.complete(free, {"anything": [1, {"goes": True}]}).status == 200


def test_a_failing_script_leaves_the_instance_in_error_and_retry_completes_it(api):
    designer, inst, task = start_form_task(api)
    done = designer.complete(task, {"title": "no count"})
    assert done.status == 200 and done.json["next_tasks"] == []
    failed = designer.get(f"/process-instances/{inst['id']}").json
    assert failed["status"] == "error"
    assert failed["error"]["element_id"] == "compute"
    assert "count" in failed["error"]["message"]
    retried = designer.post(f"/process-instances/{inst['id']}/retry", json={"data": {"count": 4}})
    assert retried.status == 200, retried.json
    assert retried.json["status"] == "running" and retried.json["error"] is None
    assert retried.json["data"]["doubled"] == 8
    assert [t["element_id"] for t in retried.json["ready_tasks"]] == ["free"]
    not_failed = designer.post(f"/process-instances/{inst['id']}/retry", json={})
    assert not_failed.status == 409


def test_malformed_json_and_bodies_get_400_or_422_never_500(api):
    designer, _, task = start_form_task(api)
    path = f"/tasks/{task['id']}/complete"
    raw = designer.post(path, data=b"{not json", headers={"Content-Type": "application/json"})
    assert raw.status == 400 and raw.json["error"]["code"] == "bad_request"
    array = designer.post(path, json=[1, 2])
    assert array.status == 400
    extra = designer.post(path, json={"data": {}, "sneaky": 1})
    assert extra.status == 422 and "sneaky" in extra.json["error"]["fields"]
    typed = designer.post(path, json={"data": "text", "version": "one"})
    assert typed.status == 422 and {"data", "version"} <= set(typed.json["error"]["fields"])
    assert designer.post("/process-instances", json={"process_key": 5}).status == 422
    assert designer.post("/process-instances", json={"process_key": "nope"}).status == 404
    assert designer.get("/tasks", query={"scope": "everything"}).status == 422
    assert designer.get("/tasks/not-a-task").status == 404
    assert designer.get("/process-instances/unknown").status == 404


def test_stale_version_and_double_completion_get_409(api):
    designer, _, task = start_form_task(api)
    stale = designer.post(f"/tasks/{task['id']}/complete",
                          json={"data": {"title": "x", "count": 1}, "version": task["version"] + 1})
    assert stale.status == 409
    assert designer.complete(task, {"title": "x", "count": 1}).status == 200
    assert designer.complete(task, {"title": "x", "count": 1}).status == 409


def _definitions(api):
    return api.as_("designer").get("/process-definitions").json


def test_malformed_bpmn_is_refused_with_line_or_element_and_nothing_is_deployed(api):
    designer = api.as_("designer")
    before = _definitions(api)
    broken = designer.deploy(b"<?xml version='1.0'?>\n<bpmn:definitions>\n<oops", "broken.bpmn")
    assert broken.status == 422
    (problem,) = broken.json["error"]["details"]
    assert problem["line"] is not None and problem["file_name"] == "broken.bpmn"

    good = (FIXTURES / "form_task.bpmn").read_text()
    bad_script = good.replace("doubled = count * 2", "doubled = = count")
    resp = designer.deploy(bad_script.encode(), "bad_script.bpmn")
    assert resp.status == 422
    assert any(d["element_id"] == "compute" for d in resp.json["error"]["details"])

    missing_target = good.replace(
        '<bpmn:scriptTask id="compute" name="Compute">',
        '<bpmn:callActivity id="compute" name="Compute" calledElement="not_deployed">').replace(
        "<bpmn:script>doubled = count * 2</bpmn:script>\n    </bpmn:scriptTask>",
        "</bpmn:callActivity>")
    resp = designer.deploy(missing_target.encode(), "missing.bpmn")
    assert resp.status == 422, resp.json
    assert "not_deployed" in resp.json["error"]["details"][0]["message"]

    entity = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
              b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"/>')
    assert designer.deploy(entity, "entity.bpmn").status == 422
    assert _definitions(api) == before

    # A schema finding that does not stop execution deploys, as a warning with its line.
    not_schema = good.replace('<bpmn:endEvent id="end">', '<bpmn:endEvent id="end" bogus="1">')
    resp = designer.deploy(not_schema.encode(), "xsd.bpmn")
    assert resp.status == 201, resp.json
    assert any(w["line"] for d in resp.json for w in d["warnings"]), resp.json


def test_only_designers_deploy_and_start(api):
    xml = (CONFORMANCE / "lanes.bpmn").read_bytes()
    assert api.as_("a-worker").deploy(xml).status == 403
    assert api.as_("designer").deploy(xml).status == 201
    assert api.as_("a-worker").start("lanes").status == 403
    assert api.as_("admin").start("lanes").status == 403


def test_multipart_upload_deploys(api):
    data = {"bpmn": ((CONFORMANCE / "lanes.bpmn").open("rb"), "lanes.bpmn")}
    resp = api.as_("designer").client.post(
        "/api/v1/process-definitions", data=data, content_type="multipart/form-data",
        headers={"Authorization": f"Bearer {api.tokens['designer']}"})
    assert resp.status_code == 201
    listed = _definitions(api)
    assert [(d["key"], d["version"], d["deployed_by"]) for d in listed] == [("lanes", 1, "designer")]
