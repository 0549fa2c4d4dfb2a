"""Test-runs of the shipped clue disposition through its forms: the deadline rows at each step,
the approval's gateway routed by the form (the action's preview), stepping back to take the other
branch, a test-run saved by name and replayed against an edited draft."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from engine.processes.models import TestCase, TestRun
from tests.api_client import deploy_processes

BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "clue_disposition.bpmn"
XML = {"Content-Type": "application/xml", "X-File-Name": "clue_disposition.bpmn"}


def start(designer, xml: bytes | None = None):
    resp = designer.post("/test-runs", data=xml or BPMN.read_bytes(), headers=XML)
    assert resp.status == 201, resp.json
    return resp.json


def complete(designer, run: dict, element_id: str, data: dict):
    (task,) = [t for t in run["ready_tasks"] if t["element_id"] == element_id]
    return designer.post(f"/test-runs/{run['id']}/tasks/{task['id']}/complete", json={"data": data})


PROPOSAL = {"disposition": "closed", "disposition_reason": "查无实据"}


def test_a_test_run_shows_deadline_rows_and_steps_back_to_take_the_other_branch(api):
    deploy_processes(api)  # the call activities' targets
    designer = api.as_("designer")
    run = start(designer)
    (propose,) = run["ready_tasks"]
    assert propose["element_id"] == "propose_disposition"
    (row,) = propose["deadlines"]
    # disposal_proposal: 1 month from the test-run's clock (Monday 2 March 2026, Shanghai).
    assert (row["key"], row["amount"], row["unit"], row["runs_on"]) == \
        ("disposal_proposal", 1, "months", False)
    assert row["due_at"] == "2026-04-02T23:59:59+08:00"
    assert complete(designer, run, "propose_disposition", {"disposition": "closed"}).status == 422
    run = complete(designer, run, "propose_disposition", PROPOSAL).json
    (approve,) = run["ready_tasks"]
    # The approval works under the same deadline, which runs on from the proposal.
    assert approve["element_id"] == "approve_disposition"
    assert approve["deadlines"][0]["runs_on"] is True
    assert approve["deadlines"][0]["due_at"] == row["due_at"]
    # Sending back: the gateway routes on the action's preview (disposition_approved).
    returned = complete(designer, run, "approve_disposition", {"approved": False}).json
    assert returned["current"] == ["propose_disposition"]
    assert returned["data"]["disposition_approved"] is False
    assert [s["element_id"] for s in returned["steps"]] == ["propose_disposition",
                                                           "approve_disposition"]
    # Back one step: the approval waits again; this time approved, the clue is closed.
    back = designer.post(f"/test-runs/{run['id']}/back").json
    assert back["current"] == ["approve_disposition"] and len(back["steps"]) == 1
    assert "disposition_approved" not in back["data"]
    done = complete(designer, back, "approve_disposition", {"approved": True}).json
    assert done["status"] == "completed" and "end_closed" in done["completed"]
    designer.post(f"/test-runs/{run['id']}/back")
    designer.post(f"/test-runs/{run['id']}/back")
    refused = designer.post(f"/test-runs/{run['id']}/back")
    assert refused.status == 409 and refused.json["error"]["reason"] == "testrun_no_step_back"


def _saved_case(api, runtime) -> int:
    designer = api.as_("designer")
    run = start(designer)
    empty = designer.post(f"/test-runs/{run['id']}/cases", json={"name": "同意了结"})
    assert empty.status == 422 and empty.json["error"]["reason"] == "testrun_case_empty"
    run = complete(designer, run, "propose_disposition", PROPOSAL).json
    complete(designer, run, "approve_disposition", {"approved": True, "comment": "同意"})
    saved = designer.post(f"/test-runs/{run['id']}/cases", json={"name": "同意了结"})
    assert saved.status == 201, saved.json
    assert saved.json["steps"] == 2 and saved.json["process_key"] == "clue_disposition"
    listed = designer.get("/process-definitions/clue_disposition/test-cases").json
    assert [(c["id"], c["name"]) for c in listed] == [(saved.json["id"], "同意了结")]
    return saved.json["id"]


def test_a_saved_case_replays_the_same_on_the_same_draft(api, runtime):
    deploy_processes(api)
    case_id = _saved_case(api, runtime)
    replay = api.as_("designer").post(f"/test-cases/{case_id}/replay", data=BPMN.read_bytes(),
                                      headers=XML)
    assert replay.status == 201, replay.json
    assert [(s["kind"], s["outcome"]) for s in replay.json["steps"]] == \
        [("task", "same"), ("task", "same"), ("end", "same")]
    assert replay.json["test_run"]["status"] == "completed"
    # Saving again under the same name replaces the case; the replay is a test-run of its own.
    assert runtime.read(lambda uow: uow.session.scalar(
        select(func.count()).select_from(TestCase))) == 1
    assert runtime.read(lambda uow: uow.session.scalar(
        select(func.count()).select_from(TestRun))) == 2


def test_a_replay_after_an_edit_says_what_changed_step_by_step(api, runtime):
    deploy_processes(api)
    case_id = _saved_case(api, runtime)
    designer = api.as_("designer")
    source = BPMN.read_text(encoding="utf-8")

    def replay(xml: str):
        resp = designer.post(f"/test-cases/{case_id}/replay", data=xml.encode(), headers=XML)
        assert resp.status == 201, resp.json
        return [(s["element_id"] or s["kind"], s["outcome"]) for s in resp.json["steps"]], resp.json

    # A changed condition: approved now goes back to the proposal; the path no longer ends.
    steps, body = replay(source.replace("disposition_approved == True",
                                        "disposition_approved == False"))
    assert steps == [("propose_disposition", "same"), ("approve_disposition", "same"),
                     ("end", "different_task")]
    assert body["steps"][-1]["waiting"] == [{"element_id": "propose_disposition",
                                             "name": "拟定处置意见"}]
    # Another statutory deadline on the proposal: its rows differ, the run goes on.
    steps, body = replay(source.replace(
        '<camunda:property name="deadline" value="disposal_proposal" />\n          '
        '<camunda:property name="deadline_met" value="later" />',
        '<camunda:property name="deadline" value="inquiry_reply" />\n          '
        '<camunda:property name="deadline_met" value="later" />', 1))
    assert steps[0] == ("propose_disposition", "different_deadlines")
    assert body["steps"][0]["expected_deadlines"][0]["key"] == "disposal_proposal"
    assert body["steps"][0]["deadlines"][0]["key"] == "inquiry_reply"
    # A new required field the saved data lacks: refused, naming the field.
    steps, body = replay(source.replace(
        '<camunda:formField id="comment" label="审批意见" type="string" />',
        '<camunda:formField id="comment" label="审批意见" type="string" />'
        '<camunda:formField id="basis" label="依据" type="string"><camunda:validation>'
        '<camunda:constraint name="required" /></camunda:validation></camunda:formField>'))
    assert steps == [("propose_disposition", "same"), ("approve_disposition", "refused")]
    assert body["steps"][-1]["error"]["reason"] == "form_invalid"
    assert "basis" in body["steps"][-1]["error"]["fields"]
    # The approval removed from the path: the proposal leads straight to the end.
    cut = source.replace('targetRef="approve_disposition" />', 'targetRef="end_closed" />')
    cut = cut.replace('<bpmn:incoming>f_closed</bpmn:incoming>',
                      '<bpmn:incoming>f_closed</bpmn:incoming><bpmn:incoming>f_proposed</bpmn:incoming>')
    steps, _ = replay(cut)
    assert steps[-1] == ("approve_disposition", "ended")


def test_saved_cases_are_the_designers_and_unknown_ones_are_refused(api):
    assert api.as_("a-worker").get("/process-definitions/clue_disposition/test-cases").status == 403
    missing = api.as_("designer").post("/test-cases/999/replay", data=BPMN.read_bytes(),
                                       headers=XML)
    assert missing.status == 404 and missing.json["error"]["reason"] == "testrun_case_not_found"


def test_a_shelved_clue_waits_for_its_timer_and_the_replay_fires_it_again(api):
    deploy_processes(api)
    designer = api.as_("designer")
    run = start(designer)
    run = complete(designer, run, "propose_disposition",
                   {"disposition": "shelved", "disposition_reason": "暂无核查条件"}).json
    run = complete(designer, run, "approve_disposition", {"approved": True}).json
    # The approval's preview gave the timer its period (shelved_review_period, six months).
    assert run["ready_tasks"] == [] and run["current"] == ["wait_shelved"]
    (timer,) = run["waiting_timers"]
    assert timer["due_at"].startswith("2026-09-02")
    early = designer.post(f"/test-runs/{run['id']}/timers", json={"now": "2026-06-01T00:00:00+00:00"})
    assert early.json["current"] == ["wait_shelved"]  # not due yet: nothing fired
    at_due = designer.post(f"/test-runs/{run['id']}/timers", json={"now": timer["due_at"]})
    assert at_due.json["current"] == ["wait_shelved"]  # fires once its instant has passed
    fired = designer.post(f"/test-runs/{run['id']}/timers",
                          json={"now": timer["due_at"].replace(":00+00:00", ":01+00:00")}).json
    (review,) = fired["ready_tasks"]
    assert review["element_id"] == "review_shelved"
    (row,) = review["deadlines"]
    assert row["key"] == "shelved_review" and row["started_at"] == fired["now"]
    assert [s["kind"] for s in fired["steps"]] == ["task", "task", "timers", "timers", "timers"]
    saved = designer.post(f"/test-runs/{run['id']}/cases", json={"name": "暂存期满复查"}).json
    replay = designer.post(f"/test-cases/{saved['id']}/replay", data=BPMN.read_bytes(),
                           headers=XML).json
    assert [s["outcome"] for s in replay["steps"]] == ["same"] * 6
    assert replay["test_run"]["ready_tasks"][0]["element_id"] == "review_shelved"


def test_the_inquirys_decisions_route_its_test_run_by_their_previews(api):
    deploy_processes(api)
    designer = api.as_("designer")
    xml = (BPMN.parent / "inquiry.bpmn").read_bytes()
    run = start(designer, xml)
    run = complete(designer, run, "plan_inquiry",
                   {"inquiry_method": "talk", "inquiry_questions": "收受礼金问题"}).json
    run = complete(designer, run, "inquiry_talk",
                   {"talked_on": "2026-03-03", "talk_record": "如实说明"}).json
    run = complete(designer, run, "report_inquiry",
                   {"outcome": "close", "inquiry_report": "问题不实"}).json
    returned = complete(designer, run, "approve_inquiry_report", {"approved": False}).json
    assert returned["current"] == ["report_inquiry"] and returned["data"]["report_approved"] is False
    back = designer.post(f"/test-runs/{run['id']}/back").json
    done = complete(designer, back, "approve_inquiry_report", {"approved": True}).json
    assert done["status"] == "completed" and "end_closed" in done["completed"]


def test_the_designer_page_draws_the_step_as_the_task_page_and_refuses_at_the_fields(app, api):
    from tests.e2e.test_pages_inbox import Browser, text
    deploy_processes(api)
    run = start(api.as_("designer"))
    (task,) = run["ready_tasks"]
    page = Browser(app, "designer")
    step = text(page.get(f"/designer/test-runs/{run['id']}"))
    assert 'data-testid="testrun-form-propose_disposition"' in step
    assert 'name="disposition" value="closed"' in step and "予以了结" in step  # the task page's radio
    assert "提出处置意见" in step and "2026-04-02 23:59" in step
    refused = page.post(f"/designer/test-runs/{run['id']}/tasks/{task['id']}",
                        data={"disposition": "closed"})
    assert refused.headers["X-Cluedesk-Status"] == "422"
    assert 'data-testid="error-disposition_reason"' in text(refused)
    assert 'value="closed" checked' in text(refused)  # what was entered stays
    done = page.post(f"/designer/test-runs/{run['id']}/tasks/{task['id']}",
                     data={"disposition": "closed", "disposition_reason": "查无实据"})
    # The approval: 同意 / 退回 buttons, as on the task page.
    assert 'data-testid="decide-yes"' in text(done) and 'data-testid="decide-no"' in text(done)
    assert Browser(app, "a-worker").get(f"/designer/test-runs/{run['id']}").status_code == 403


FAILING = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
  <bpmn:process id="failing_draft" name="Failing draft" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count"/>
    <bpmn:scriptTask id="count" name="Count" scriptFormat="python">
      <bpmn:script>total = 10 / len(items)</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_test_run_that_fails_says_why_in_the_designers_language(app, api):
    """A script failing at run time: the test-run's error carries the problem's code and values
    (API), and the designer page says it in Chinese, not as the engine wrote it."""
    from tests.e2e.test_pages_inbox import Browser, text
    run = start(api.as_("designer"), FAILING)
    assert run["status"] == "error", run
    error = run["error"]
    assert error["element_id"] == "count" and error["reason"] == "name_unknown", error
    assert error["params"]["variable"] == "items" and "items" in error["message"]
    step = text(Browser(app, "designer").get(f"/designer/test-runs/{run['id']}"))
    assert 'data-testid="testrun-error"' in step
    assert "脚本任务 count（Count）出错：名称 items 未定义" in step
    assert "NameError" not in step and "script task" not in step
