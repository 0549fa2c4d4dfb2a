"""Case page, supervisor tools and intake form through the Flask test client (both databases):
what each role sees and may do, and what they are refused without a leak."""
from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest

from engine.access import cases as case_access
from engine.cases import service as cases
from engine.org import service as org
from tests.api_client import deploy_processes
from tests.conftest import FIXTURES
from tests.e2e.test_petitions import petition, task_of

ROOT = Path(__file__).resolve().parents[2]
LANES = {"notice": {"登记人员": {"role": "intake_clerk", "unit": "petition-office"},
                    "承办人": {"role": "caseworker", "unit": "town-a"}}}


@pytest.fixture
def settings_overrides():
    return {"lanes": LANES}


class Page:
    """A logged-in browser session on the pages (form posts carry the CSRF token)."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = self.client.post("/login", data={"username": username, "password": "demo",
                                                "csrf_token": token})
        assert resp.status_code == 302, username
        home = self.client.get("/notifications").get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', home).group(1)

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def action(self, path, data=None, **kw):
        """An htmx action: one POST answering the fragment it changes."""
        return self.client.post(path, data=data or {}, headers={"HX-Request": "true",
                                                                "X-CSRFToken": self.csrf}, **kw)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def notice_case(api, runtime):
    """A case of the `notice` fixture process waiting at town-a's `verify` (deadline
    verification_report, extendable), opened by the petition office on 2026-09-28."""
    runtime.clock.set(at("2026-09-28T10:05:00+08:00"))
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201
    assert designer.deploy((ROOT / "bpmn" / "deadline_extension.bpmn").read_bytes()).status == 201

    def open_case(uow):
        clerk = org.get_user(uow.session, "clerk")
        return cases.open_case(uow, runtime=runtime, process_key="notice", data={}, user=clerk).id
    case_id = runtime.transact(open_case)
    (notice,) = [t for t in api.as_("clerk").get("/tasks").json["items"] if t["case_id"] == case_id]
    done = api.as_("clerk").complete(notice)
    (verify,) = done.json["next_tasks"]
    return case_id, verify


@pytest.fixture
def intake_case(api):
    """A real-name petition through repeat check, classification and acceptance notice: its
    clue waits for town-a's disposition proposal (a called process)."""
    deploy_processes(api)
    created = api.as_("clerk").post("/petitions", json=petition()).json
    case_id = created["case_id"]
    clerk = api.as_("clerk")
    assert clerk.complete(task_of(api, case_id, "repeat_check"), {"is_repeat": False}).status == 200
    assert clerk.complete(task_of(api, case_id, "classify"), {
        "in_scope": True, "concerns_official": True, "category": "welfare_funds",
        "first_handling_unit": "town-a"}).status == 200
    assert clerk.complete(task_of(api, case_id, "acceptance_notice"),
                          {"method": "phone"}).status == 200
    return created


def test_the_case_page_checks_the_readers_access_once(app, intake_case, monkeypatch):
    """The overview, the escalations, the dossiers and their jobs are read in one unit of work
    after one check of the reader's access (each section checked again: ~3 ms apiece)."""
    checks = []
    check = case_access.case_for_user

    def counted(session, user, case_id):
        checks.append((user.username, case_id))
        return check(session, user, case_id)
    monkeypatch.setattr(case_access, "case_for_user", counted)
    case_id = intake_case["case_id"]
    resp = Page(app, "a-worker").get(f"/cases/{case_id}")
    assert resp.status_code == 200 and 'data-testid="case-deadlines"' in text(resp)
    assert checks == [("a-worker", case_id)]
    checks.clear()
    assert Page(app, "b-worker").get(f"/cases/{case_id}").status_code == 403
    assert checks == [("b-worker", case_id)]


def test_the_case_page_shows_tasks_deadlines_the_masked_petition_and_the_diagram(app, api,
                                                                                 intake_case):
    case_id = intake_case["case_id"]
    page = Page(app, "a-head")
    resp = page.get(f"/cases/{case_id}")
    body = text(resp)
    assert resp.status_code == 200
    case_number = api.as_("chief").get(f"/cases/{case_id}").json["display_number"]
    assert case_number in body and intake_case["display_number"] in body
    assert "petition-office-2026" not in body  # coded numbers stay in the API
    (task,) = [t for t in api.as_("a-worker").get("/tasks").json["items"]
               if t["case_id"] == case_id]
    assert f'id="task-{task["id"]}"' in body and task["name"] in body
    assert "王小明" not in body and "13812345678" not in body  # the reporter is masked
    assert "王*" in body and "138****5678" in body
    assert "李四" in body  # the accused are not protected
    assert 'data-testid="case-deadlines"' in body and "acceptance_notice" not in body.split(
        'data-testid="case-deadlines"')[1].split("</table>")[0]  # shown by name, not by key

    (url,) = re.findall(r'data-diagram-url="([^"]+)"', body)
    diagram = page.get(url).get_json()
    assert diagram["xml"].lstrip().startswith("<?xml")
    # The clue's disposition runs in a called process: its call activity is the current step.
    assert diagram["current"] == ["call_disposition"]
    assert {"repeat_check", "classify", "acceptance_notice"} <= set(diagram["done"])
    assert not set(diagram["current"]) & set(diagram["done"])


def test_the_diagram_opens_a_called_process_at_any_depth_with_its_current_step_and_holder(
        app, api, intake_case):
    case_id = intake_case["case_id"]
    page = Page(app, "a-head")
    (url,) = re.findall(r'data-diagram-url="([^"]+)"', text(page.get(f"/cases/{case_id}")))
    top = page.get(url).get_json()
    assert top["process"] == "petition_intake" and top["name"]
    assert top["calls"] == {"call_disposition": "clue_disposition",
                            "call_feedback": "feedback_visit"}
    assert top["holders"] == {}  # the open task is inside the called process, not here

    called = page.get(url + "?process=clue_disposition").get_json()
    assert called["process"] == "clue_disposition"
    assert 'id="clue_disposition"' in called["xml"]
    assert called["current"] == ["propose_disposition"]
    assert "start" in called["done"] and "approve_disposition" not in called["done"]
    (holder,) = called["holders"]["propose_disposition"]
    assert "甲镇" in holder  # offered to town-a, nobody holds it yet
    assert called["calls"]["call_verification"] == "preliminary_verification"

    # Two levels down: reachable through the calls, not running yet.
    deeper = page.get(url + "?process=preliminary_verification").get_json()
    assert deeper["current"] == [] and deeper["done"] == [] and deeper["holders"] == {}
    assert "call_case_filing" in deeper["calls"]

    refused = page.get(url + "?process=not_called_here")
    assert refused.status_code == 404


def test_another_units_caseworker_is_refused_without_a_leak(app, api, intake_case):
    case_id = intake_case["case_id"]
    chief = Page(app, "chief")
    (url,) = re.findall(r'data-diagram-url="([^"]+)"', text(chief.get(f"/cases/{case_id}")))
    page = Page(app, "b-worker")
    for path in (f"/cases/{case_id}", url):
        resp = page.get(path)
        body = text(resp)
        assert resp.status_code == 403
        assert intake_case["display_number"] not in body and "李四" not in body and "王*" not in body
    assert page.get("/cases/999999").status_code == 404
    assert Page(app, "a-worker").get(f"/cases/{case_id}").status_code == 200  # holds its task


def test_only_a_supervisor_reassigns_with_a_reason_to_an_eligible_user(app, api, notice_case):
    case_id, verify = notice_case
    worker = Page(app, "a-worker")
    assert 'data-testid="reassign"' not in text(worker.get(f"/cases/{case_id}"))
    refused = worker.action(f"/supervise/tasks/{verify['id']}/reassign",
                            {"assignee": "a-worker2", "reason": "x"})
    assert refused.headers["X-Cluedesk-Status"] == "403"  # an htmx action's refusal: 200

    head = Page(app, "a-head")
    body = text(head.get(f"/cases/{case_id}"))
    assert 'data-testid="reassign"' in body
    assert 'value="a-worker2"' in body and 'value="b-worker"' not in body
    no_reason = head.action(f"/supervise/tasks/{verify['id']}/reassign",
                            {"assignee": "a-worker2", "reason": " "})
    assert no_reason.status_code == 200 and no_reason.headers["X-Cluedesk-Status"] == "422"
    assert no_reason.headers["HX-Retarget"] == "#flash"
    outsider = head.action(f"/supervise/tasks/{verify['id']}/reassign",
                           {"assignee": "b-worker", "reason": "忙不过来"})
    assert outsider.headers["X-Cluedesk-Status"] == "422"
    done = head.action(f"/supervise/tasks/{verify['id']}/reassign",
                       {"assignee": "a-worker2", "reason": "忙不过来"})
    assert done.status_code == 200 and "X-Cluedesk-Status" not in done.headers
    assert f'id="task-{verify["id"]}"' in text(done) and "甲镇承办人二" in text(done)
    assert "cd-toast" in done.headers["HX-Trigger"]
    history = api.as_("chief").get(f"/cases/{case_id}/history").json
    (event,) = [e for e in history if e["action"] == "task_reassigned"]
    assert event["detail"] == {"from": None, "to": "a-worker2", "reason": "忙不过来"}


def test_a_recused_user_is_never_offered_the_task(app, api, intake_case):
    case_id = intake_case["case_id"]
    declared = api.as_("a-worker2").post("/relations", json={
        "person_name": "李四", "person_kind": "accused", "relation": "亲属"})
    assert declared.status == 201, declared.json
    (task,) = [t for t in api.as_("a-worker").get("/tasks").json["items"]
               if t["case_id"] == case_id]
    head = Page(app, "a-head")
    body = text(head.get(f"/cases/{case_id}"))
    assert 'value="a-worker"' in body and 'value="a-worker2"' not in body
    options = text(head.get("/supervise/assignees", query_string={"task": task["id"]}))
    assert 'value="a-worker"' in options and "a-worker2" not in options
    refused = head.action(f"/supervise/tasks/{task['id']}/reassign",
                          {"assignee": "a-worker2", "reason": "试试"})
    assert refused.headers["X-Cluedesk-Status"] == "422"


def test_take_personally_supervise_and_escalate_from_the_case_page(app, api, intake_case):
    case_id = intake_case["case_id"]
    refused = Page(app, "a-worker").action(f"/supervise/cases/{case_id}/take")
    assert refused.headers["X-Cluedesk-Status"] == "403"
    head = Page(app, "a-head")
    body = text(head.get(f"/cases/{case_id}"))
    assert 'data-testid="take"' in body and 'data-testid="escalate"' in body
    taken = head.action(f"/supervise/cases/{case_id}/take")
    assert 'id="case-summary"' in text(taken) and "甲镇纪委书记" in text(taken)
    missing = head.action(f"/supervise/cases/{case_id}/supervised", {"reason": ""})
    assert missing.headers["X-Cluedesk-Status"] == "422"
    marked = head.action(f"/supervise/cases/{case_id}/supervised", {"reason": "群众反映强烈"})
    assert 'data-testid="unsupervise"' in text(marked)
    assert api.as_("chief").get(f"/cases/{case_id}").json["supervised_at"] is not None
    escalated = head.action(f"/supervise/cases/{case_id}/escalate", {"reason": "本镇干部涉及"})
    assert "X-Cluedesk-Status" not in escalated.headers, text(escalated)
    assert 'data-testid="escalation"' in text(escalated) and "zone-east" in text(escalated)
    actions = [e["action"] for e in api.as_("chief").get(f"/cases/{case_id}/history").json]
    assert {"case_taken", "case_supervised", "case_escalation_applied"} <= set(actions)


def test_the_overdue_board_and_an_extension_decided_there(app, api, runtime, notice_case):
    case_id, verify = notice_case
    asked = api.as_("a-worker").post(f"/tasks/{verify['id']}/extension",
                                     json={"amount": 3, "unit": "working_days", "reason": "外调"})
    assert asked.status == 201
    runtime.clock.set(at("2026-11-30T09:00:00+08:00"))  # verification_report is long overdue
    assert Page(app, "a-worker").get("/overdue").status_code == 403
    for username in ("a-head", "chief"):
        body = text(Page(app, username).get("/overdue"))
        counts = re.search(r'data-testid="count-town-a">(\d+)<', body)
        assert counts and int(counts.group(1)) >= 1, username
        assert f'id="board-{verify["id"]}"' in body
    assert f'id="board-{verify["id"]}"' not in text(Page(app, "b-head").get("/overdue"))
    # A county supervisor lists one township alone, and goes back to all of them.
    alone = text(Page(app, "chief").get("/overdue?township=town-a"))
    assert f'id="board-{verify["id"]}"' in alone and 'data-testid="all-townships"' in alone
    assert Page(app, "a-head").get("/overdue?township=town-b").status_code == 404

    head = Page(app, "a-head")
    board = text(head.get("/overdue"))
    assert f'id="ext-{asked.json["id"]}"' in board and "外调" in board
    decided = head.action(f"/supervise/extensions/{asked.json['id']}", {"approved": "1",
                                                                         "comment": "同意"})
    assert "X-Cluedesk-Status" not in decided.headers and 'badge-green' in text(decided)
    actions = [e["action"] for e in api.as_("chief").get(f"/cases/{case_id}/history").json]
    assert "deadline_extended" in actions

    bulk = head.action(f"/supervise/tasks/{verify['id']}/reassign",
                       {"assignee": "a-worker2", "reason": "超期", "row": "board"})
    assert f'id="board-{verify["id"]}"' in text(bulk) and "甲镇承办人二" in text(bulk)


def test_intake_checks_repeats_refuses_bad_fields_registers_and_attaches(app, api):
    deploy_processes(api)
    first = api.as_("clerk").post("/petitions", json=petition()).json
    assert Page(app, "a-worker").get("/intake").status_code == 403
    clerk = Page(app, "clerk")
    assert 'id="intake-form"' in text(clerk.get("/intake"))
    form = {"channel": "visit", "received_at": "2026-03-02T08:30", "reporter_name": "张三",
            "accused_name": "李四", "accused_post": "村委会主任", "accused_unit": "东村村委会",
            "accused_level": "village", "township": "town-a", "village": "东村",
            "category": "welfare_funds", "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}
    suggestions = text(clerk.action("/intake/repeat-check", form))
    assert first["display_number"] in suggestions and f'/cases/{first["case_id"]}' in suggestions

    refused = clerk.action("/intake", {**form, "reporter_name": ""})
    assert refused.status_code == 200 and refused.headers["X-Cluedesk-Status"] == "422"
    assert 'data-testid="error-reporter.name"' in text(refused)
    assert 'value="李四"' in text(refused)  # what was typed comes back

    saved = clerk.action("/intake", form)
    body = text(saved)
    assert "X-Cluedesk-Status" not in saved.headers, body
    number = re.search(r"信访室〔\d{4}〕信访\d+号", body).group(0)
    case_id = int(re.search(r'/cases/(\d+)"', body).group(1))
    registered = api.as_("clerk").get(f"/cases/{case_id}").json
    assert registered["status"] == "open"
    attached = clerk.action(f"/intake/cases/{case_id}/attachments",
                            {"file": (__import__("io").BytesIO(b"%PDF-1.4 scanned letter"),
                                      "letter.pdf", "application/pdf")},
                            content_type="multipart/form-data")
    assert "X-Cluedesk-Status" not in attached.headers, text(attached)
    assert "letter.pdf" in text(attached)
    files = api.as_("clerk").get(f"/cases/{case_id}/attachments").json
    assert [f["file_name"] for f in files] == ["letter.pdf"]
    assert number != first["display_number"]
