"""The process designer's API: validation with errors and warnings pinned to elements, deploy
returning warnings, versions and their diff, test-runs that leave no rows, `cluedesk lint`."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from engine import models  # noqa: F401
from engine.db import Base
from tests.conftest import CONFORMANCE

LANE_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="lane1" name="{lane}"><bpmn:flowNodeRef>ask</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="ask" name="ask">
      <bpmn:extensionElements>
        <camunda:formData><camunda:formField id="answer" type="string"/><camunda:formField id="note" type="string"/></camunda:formData>
        <camunda:properties><camunda:property name="deadline" value="{deadline}"/></camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
    <bpmn:exclusiveGateway id="choose"{default}><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>yes</bpmn:outgoing><bpmn:outgoing>no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:scriptTask id="compute"><bpmn:incoming>yes</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask"/>
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="choose"/>
    <bpmn:sequenceFlow id="yes" sourceRef="choose" targetRef="compute"><bpmn:conditionExpression>answer == "yes"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="choose" targetRef="end">{no_condition}</bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def process(key="designed", lane="承办人", deadline="acceptance_notice", default=' default="no"',
            script="due = add_working_days(today(), 3)\nn = len(note or '')") -> bytes:
    # Without a default, the engine needs a condition on every outgoing flow.
    no_condition = "" if default else '<bpmn:conditionExpression>answer != "yes"</bpmn:conditionExpression>'
    return LANE_PROCESS.format(key=key, lane=lane, deadline=deadline, default=default,
                               script=script, no_condition=no_condition).encode()


@pytest.fixture
def settings_overrides():
    return {"lanes": {"designed": {"承办人": {"role": "caseworker", "unit": "town-a"}}}}


def validate(api, xml: bytes, user="designer"):
    return api.as_(user).post("/process-definitions/validate", data=xml,
                              headers={"Content-Type": "application/xml",
                                       "X-File-Name": "designed.bpmn"})


def test_a_clean_file_has_no_problems(api):
    resp = validate(api, process())
    assert resp.status == 200, resp.json
    assert resp.json == {"processes": ["designed"], "errors": [], "warnings": []}


def test_every_warning_names_its_element_and_line(api):
    xml = process(lane="nobody", deadline="no_such_key", default="",
                  script="due = add_working_days(today(), 3)\nx = shell('ls')")
    warnings = validate(api, xml).json["warnings"]
    found = {(w["element_id"], w["message"].split(" ")[0]) for w in warnings}
    assert found == {("ask", "lane"), ("ask", "deadline"), ("choose", "gateway"),
                     ("ask", "form"), ("compute", "calls")}
    assert {w["message"] for w in warnings if w["element_id"] == "ask" and "form" in
            w["message"]} == {"form field 'note' is never used by a condition, script, lane "
                              "mapping or action"}
    lines = {w["element_id"]: w["line"] for w in warnings}
    assert lines == {"ask": 7, "choose": 13, "compute": 14}
    assert all(w["file_name"] == "designed.bpmn" for w in warnings)


def test_errors_are_separate_from_warnings_and_deploy_refuses_only_errors(api):
    resp = validate(api, process(script="import os"))
    assert [(e["element_id"], e["message"]) for e in resp.json["errors"]] == \
        [("compute", "import is not allowed in scripts")]
    broken = validate(api, b"<bpmn:definitions xmlns:bpmn='x'><oops></bpmn:definitions>")
    assert broken.json["errors"][0]["line"] == 1 and broken.json["warnings"] == []
    deployed = api.as_("designer").deploy(process(deadline="no_such_key"), "designed.bpmn")
    assert deployed.status == 201
    assert [w["element_id"] for w in deployed.json[0]["warnings"]] == ["ask"]


def test_only_designers_use_the_designer_endpoints(api):
    assert validate(api, process(), user="chief").status == 403
    assert api.as_("chief").get("/process-definitions/petition_intake/versions").status == 403
    assert api.as_("a-worker").post("/test-runs", data=process(),
                                    headers={"Content-Type": "application/xml"}).status == 403


def test_versions_record_who_when_and_why_and_the_diff_names_elements(api):
    designer = api.as_("designer")
    assert designer.post("/process-definitions", data=process(), query={"comment": "first"},
                         headers={"Content-Type": "application/xml",
                                  "X-File-Name": "designed.bpmn"}).status == 201
    changed = process(script="n = 1").replace(
        b'<bpmn:endEvent id="end">', b'<bpmn:manualTask id="extra"/><bpmn:endEvent id="end">')
    changed = changed.replace(b'<bpmn:sequenceFlow id="no" sourceRef="choose" targetRef="end">'
                              b'</bpmn:sequenceFlow>', b"")
    assert designer.deploy(changed, "designed.bpmn").status == 201
    versions = designer.get("/process-definitions/designed/versions").json
    assert [(v["version"], v["comment"], v["deployed_by"], v["running_instances"])
            for v in versions] == [(2, "", "designer", 0), (1, "first", "designer", 0)]
    assert {v["deployed_by_name"] for v in versions} == {"流程设计员"}
    assert len(versions[0]["checksum"]) == 64 and versions[0]["deployed_at"]
    xml = designer.get("/process-definitions/designed/versions/1/bpmn")
    assert xml.status == 200 and xml.text.encode() == process()
    diff = designer.get("/process-definitions/designed/diff", query={"from": 1, "to": 2}).json
    assert diff["added"] == [{"element_id": "extra", "kind": "manualTask", "name": None}]
    assert [(e["element_id"], e["kind"]) for e in diff["removed"]] == [("no", "sequenceFlow")]
    # Flows in and out are references, not properties: only the script changed, from what to what.
    assert [(e["element_id"], e["kind"]) for e in diff["changed"]] == [("compute", "scriptTask")]
    assert diff["changed"][0]["changes"] == [
        {"field": "script", "old": "due = add_working_days(today(), 3)\nn = len(note or '')",
         "new": "n = 1"}]


def test_a_draft_diff_names_each_changed_attribute_with_old_and_new_values(api):
    """Before deploying, a draft against the deployed version: names, conditions, lanes, form
    fields, the deadline property, an added element; the draft is not stored."""
    designer = api.as_("designer")
    assert designer.deploy(process(), "designed.bpmn").status == 201
    draft = process(lane="审批人", deadline="review_report").decode()
    draft = draft.replace('<bpmn:userTask id="ask" name="ask">', '<bpmn:userTask id="ask" name="询问">')
    draft = draft.replace('answer == "yes"', 'answer == "是"')
    draft = draft.replace('<camunda:formField id="note" type="string"/>',
                          '<camunda:formField id="note" label="备注" type="string"/>')
    draft = draft.replace('<bpmn:endEvent id="end">', '<bpmn:manualTask id="extra" name="补充"/>'
                          '<bpmn:endEvent id="end">')
    resp = designer.post("/process-definitions/designed/diff", data=draft.encode(),
                         query={"from": 1}, headers={"Content-Type": "application/xml"})
    assert resp.status == 200, resp.json
    diff = resp.json
    assert (diff["from_version"], diff["to_version"]) == (1, None)
    assert diff["added"] == [{"element_id": "extra", "kind": "manualTask", "name": "补充"}]
    assert diff["removed"] == []
    changes = {(e["element_id"], e["name"]): e["changes"] for e in diff["changed"]}
    assert changes == {
        ("lane1", "审批人"): [{"field": "name", "old": "承办人", "new": "审批人"}],
        ("ask", "询问"): [
            {"field": "name", "old": "ask", "new": "询问"},
            {"field": "lane", "old": "承办人", "new": "审批人"},
            {"field": "form.note", "old": "(string)", "new": "备注 (string)"},
            {"field": "property.deadline", "old": "acceptance_notice", "new": "review_report"}],
        ("yes", None): [{"field": "condition", "old": 'answer == "yes"',
                         "new": 'answer == "是"'}]}
    assert [v["version"] for v in designer.get("/process-definitions/designed/versions").json] \
        == [1]
    broken = designer.post("/process-definitions/designed/diff", data=b"<oops",
                           query={"from": 1}, headers={"Content-Type": "application/xml"})
    assert broken.status == 422


def _row_counts(runtime) -> dict[str, int]:
    def count(uow):
        return {t.name: uow.session.scalar(select(func.count()).select_from(t))
                for t in Base.metadata.sorted_tables}
    return runtime.read(count)


def test_a_test_run_goes_start_to_end_and_leaves_no_rows(api, runtime):
    before = _row_counts(runtime)
    designer = api.as_("designer")
    run = designer.post("/test-runs", data=process(),
                        headers={"Content-Type": "application/xml"})
    assert run.status == 201, run.json
    body = run.json
    assert body["status"] == "running" and body["current"] == ["ask"]
    assert body["completed"] == ["start"]
    task = body["ready_tasks"][0]
    assert task["lane"] == "承办人" and task["form"]["properties"].keys() == {"answer", "note"}
    bad = designer.post(f"/test-runs/{body['id']}/tasks/{task['id']}/complete",
                        json={"data": {"answer": 3}})
    assert bad.status == 422
    done = designer.post(f"/test-runs/{body['id']}/tasks/{task['id']}/complete",
                         json={"data": {"answer": "yes", "note": "abc"}}).json
    assert done["status"] == "completed" and done["current"] == []
    assert done["completed"][:4] == ["start", "ask", "choose", "compute"]
    assert done["data"]["n"] == 3 and done["data"]["due"]
    assert api.as_("designer").get(f"/test-runs/{body['id']}").json["status"] == "completed"
    # Only the test-run's own row exists while it is kept; no instance, task or audit row.
    assert _row_counts(runtime) == {**before, "test_runs": before["test_runs"] + 1}
    assert designer.delete(f"/test-runs/{body['id']}").status == 204
    assert designer.get(f"/test-runs/{body['id']}").status == 404
    assert _row_counts(runtime) == before


def test_a_test_run_continues_on_another_web_process_and_stays_its_designers(api, runtime,
                                                                             tokens):
    from web import create_app
    from engine.runtime import Runtime
    from tests.conftest import ApiClient
    # A second web process: its own runtime and caches, the same database.
    other = ApiClient(create_app(runtime=Runtime(runtime.settings, engine=runtime.engine,
                                                 connection=runtime.connection,
                                                 clock=runtime.clock)).test_client(),
                      dict(tokens))
    started = api.as_("designer").post("/test-runs", data=process(),
                                       headers={"Content-Type": "application/xml"}).json
    test_id, task = started["id"], started["ready_tasks"][0]
    assert other.as_("designer").get(f"/test-runs/{test_id}").json["current"] == ["ask"]
    done = other.as_("designer").post(f"/test-runs/{test_id}/tasks/{task['id']}/complete",
                                      json={"data": {"answer": "yes", "note": "abc"}})
    assert done.status == 200 and done.json["status"] == "completed"
    back = api.as_("designer").get(f"/test-runs/{test_id}").json
    assert back["status"] == "completed" and back["completed"] == done.json["completed"]
    again = api.as_("designer").post(f"/test-runs/{test_id}/tasks/{task['id']}/complete",
                                     json={"data": {"answer": "yes", "note": "abc"}})
    assert again.status == 409
    # Another designer can neither see nor discard it.
    from engine.org import service as org
    other.tokens["designer2"] = runtime.transact(lambda uow: (
        org.create_user(uow.session, username="designer2", roles=["process_designer"],
                        unit_code="county", password="demo", demo_password=True,
                        now=runtime.clock.now()),
        org.issue_token(uow.session, username="designer2", now=runtime.clock.now()))[1])
    assert other.as_("designer2").get(f"/test-runs/{test_id}").status == 403
    assert other.as_("designer2").delete(f"/test-runs/{test_id}").status == 403
    assert api.as_("designer").get(f"/test-runs/{test_id}").status == 200


def test_old_test_runs_are_forgotten_when_a_designer_starts_another(api, runtime):
    from datetime import timedelta
    from engine.processes import testrun
    from engine.processes.models import TestRun
    designer = api.as_("designer")
    first = designer.post("/test-runs", data=process(),
                          headers={"Content-Type": "application/xml"}).json["id"]
    runtime.clock.set(runtime.clock.now() + testrun.KEEP_FOR + timedelta(minutes=1))
    ids = []
    for _ in range(testrun.KEEP_PER_DESIGNER + 1):
        runtime.clock.set(runtime.clock.now() + timedelta(seconds=1))
        ids.append(designer.post("/test-runs", data=process(),
                                 headers={"Content-Type": "application/xml"}).json["id"])
    assert designer.get(f"/test-runs/{first}").status == 404  # unused for a day
    assert designer.get(f"/test-runs/{ids[0]}").status == 404  # beyond the newest kept
    assert designer.get(f"/test-runs/{ids[-1]}").status == 200
    kept = runtime.read(lambda uow: uow.session.scalars(select(TestRun.id)).all())
    assert sorted(kept) == sorted(ids[1:])


def test_every_conformance_file_validates_without_errors(api):
    paths = sorted(CONFORMANCE.glob("*.bpmn*")) + sorted(CONFORMANCE.glob("*.xml"))
    assert len(paths) >= 13, f"the conformance corpus is missing from {CONFORMANCE}"
    for path in paths:
        resp = validate(api, path.read_bytes())
        assert resp.status == 200 and resp.json["errors"] == [], (path.name, resp.json)


def test_cli_lint_fails_on_warnings_only_for_files_in_bpmn(tmp_path, monkeypatch):
    from engine import cli
    monkeypatch.setenv("CLUEDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'lint.db'}")
    runner = CliRunner()
    good = runner.invoke(cli.main, ["lint", str(Path(cli.ROOT) / "bpmn")])
    assert good.exit_code == 0, good.output
    warned = tmp_path / "warned.bpmn"
    warned.write_bytes(process(deadline="no_such_key"))
    result = runner.invoke(cli.main, ["lint", str(warned)])
    assert result.exit_code == 0 and "warning: warned.bpmn:7 [ask] deadline key" in result.output
    monkeypatch.setattr(cli, "ROOT", tmp_path.parent)
    (tmp_path.parent / "bpmn").mkdir(exist_ok=True)
    ours = tmp_path.parent / "bpmn" / "warned.bpmn"
    ours.write_bytes(process(deadline="no_such_key"))
    result = runner.invoke(cli.main, ["lint", str(ours)])
    assert result.exit_code == 1 and "lint failed" in result.output
    bad = tmp_path / "bad.bpmn"
    bad.write_bytes(process(script="import os"))
    result = runner.invoke(cli.main, ["lint", str(bad)])
    assert result.exit_code == 1 and "[compute] import is not allowed" in result.output


def test_a_date_a_script_made_survives_a_save_and_a_reload(api):
    # Script helpers return dates; the saved state must keep them (it failed to serialize).
    xml = process(script="due = add_working_days(today(), 3)").replace(
        b'<bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="end"/>',
        b'<bpmn:sequenceFlow id="f3" sourceRef="compute" targetRef="check"/>'
        b'<bpmn:userTask id="check" name="check"/>'
        b'<bpmn:sequenceFlow id="f4" sourceRef="check" targetRef="later"/>'
        b'<bpmn:scriptTask id="later"><bpmn:script>later = add_working_days(due, 1)'
        b'</bpmn:script></bpmn:scriptTask>'
        b'<bpmn:sequenceFlow id="f5" sourceRef="later" targetRef="end"/>')
    designer = api.as_("designer")
    assert designer.deploy(xml, "designed.bpmn").status == 201
    started = designer.post("/process-instances", json={"process_key": "designed"}).json
    data = {"answer": "yes", "note": ""}
    for _ in ("ask", "check"):  # each step loads the state the last one saved (no hot cache)
        (task,) = designer.get(f"/process-instances/{started['id']}").json["ready_tasks"]
        worker = "a-worker" if task["element_id"] == "ask" else "designer"
        assert api.as_(worker).post(f"/tasks/{task['id']}/claim").status == 200
        done = api.as_(worker).post(f"/tasks/{task['id']}/complete", json={"data": data})
        assert done.status == 200, done.json
        data = {}
    finished = designer.get(f"/process-instances/{started['id']}").json
    assert finished["status"] == "completed"
    # Monday 2026-03-02: three working days on is Thursday, one more is Friday.
    assert (finished["data"]["due"], finished["data"]["later"]) == ("2026-03-05", "2026-03-06")
    test = designer.post("/test-runs", data=xml, headers={"Content-Type": "application/xml"}).json
    for _ in ("ask", "check"):
        task = designer.get(f"/test-runs/{test['id']}").json["ready_tasks"][0]
        test = designer.post(f"/test-runs/{test['id']}/tasks/{task['id']}/complete",
                             json={"data": {"answer": "yes", "note": ""}}).json
    assert test["status"] == "completed" and test["data"]["later"] == "2026-03-06"
