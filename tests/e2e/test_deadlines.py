"""Statutory deadlines end to end: counted on the real calendar, breached exactly when due,
escalated to the supervisor, extended through an approval task, suspended and resumed."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from engine.cases import service as cases
from engine.org import service as org
from engine.timers import service as timers
from tests.conftest import FIXTURES

SH = ZoneInfo("Asia/Shanghai")
ROOT = Path(__file__).resolve().parents[2]
LANES = {"notice": {"登记人员": {"role": "intake_clerk", "unit": "petition-office"},
                    "承办人": {"role": "caseworker", "unit": "town-a"}}}


@pytest.fixture
def settings_overrides():
    return {"lanes": LANES}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def notice_case(api, runtime):
    """A real-name petition received 2026-09-28 10:00, registered at 10:05."""
    runtime.clock.set(at("2026-09-28T10:05:00+08:00"))
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201
    assert designer.deploy((ROOT / "bpmn" / "deadline_extension.bpmn").read_bytes()).status == 201

    def open_case(uow):
        clerk = org.get_user(uow.session, "clerk")
        return cases.open_case(uow, runtime=runtime, process_key="notice", data={}, user=clerk,
                               deadlines_started=[{"key": "acceptance_notice",
                                                   "started_at": at("2026-09-28T10:00:00+08:00")}]).id
    return runtime.transact(open_case)


def deadline(api, case_id, key, user="chief"):
    (row,) = [d for d in api.as_(user).get(f"/cases/{case_id}").json["deadlines"] if d["key"] == key]
    return row


def test_acceptance_notice_due_on_the_15th_working_day_then_breached(api, runtime, notice_case):
    row = deadline(api, notice_case, "acceptance_notice")
    assert row["due_at"] == "2026-10-23T23:59:59+08:00"
    assert (row["status"], row["warning"]) == ("open", "green")
    (task,) = api.as_("clerk").get("/tasks").json["items"]
    assert task["deadline_key"] == "acceptance_notice" and task["warning"] == "green"

    assert timers.run_due(runtime, at("2026-10-23T23:59:00+08:00")) == 0
    assert timers.run_due(runtime, at("2026-10-26T09:00:00+08:00")) == 1
    assert timers.run_due(runtime, at("2026-10-26T09:00:00+08:00")) == 0  # exactly once

    runtime.clock.set(at("2026-10-26T09:05:00+08:00"))
    red = api.as_("clerk").get("/tasks", query={"due": "red"}).json["items"]
    assert [t["id"] for t in red] == [task["id"]]
    row = deadline(api, notice_case, "acceptance_notice")
    assert (row["status"], row["warning"]) == ("breached", "red")
    case = api.as_("chief").get(f"/cases/{notice_case}").json
    assert case["supervised_at"] is not None
    # petition-office has no supervisor of its own: the county's is notified.
    notes = api.as_("chief").get("/notifications").json
    assert notes["unread"] == 1 and notes["items"][0]["kind"] == "deadline_breached"
    assert notes["items"][0]["case_id"] == notice_case
    # In words: which case, which deadline, when it ran out, and that the case is now supervised.
    message = notes["items"][0]["message"]
    due = deadline(api, notice_case, "acceptance_notice")["due_at"][:10]
    assert "告知受理情况" in message and f"已于 {due} 届满" in message and "已列入督办" in message, message
    assert api.as_("a-head").get("/notifications").json["unread"] == 0
    history = [e["action"] for e in api.as_("chief").get(f"/cases/{notice_case}/history").json]
    assert "deadline_breached" in history and "case_supervised" in history

    # Completing late meets the deadline but it stays breached (it counts as overdue).
    assert api.as_("clerk").complete(task).status == 200
    assert deadline(api, notice_case, "acceptance_notice")["status"] == "breached"


def _to_verify(api, runtime, case_id):
    (task,) = api.as_("clerk").get("/tasks").json["items"]
    assert api.as_("clerk").complete(task).status == 200
    (verify,) = api.as_("a-worker").get("/tasks").json["items"]
    return verify


def test_an_approved_extension_moves_the_due_date(api, runtime, notice_case):
    verify = _to_verify(api, runtime, notice_case)
    row = deadline(api, notice_case, "verification_report")
    # Plan approved 2026-09-28: 15 working days over the National Day holiday.
    assert row["due_at"] == "2026-10-23T23:59:59+08:00"
    old_due = at(row["due_at"])

    body = {"amount": 3, "unit": "working_days", "reason": "等待外调材料"}
    assert api.as_("b-worker").post(f"/tasks/{verify['id']}/extension", json=body).status == 403
    asked = api.as_("a-worker").post(f"/tasks/{verify['id']}/extension", json=body)
    assert asked.status == 201, asked.json
    approval = asked.json
    assert approval["candidate_unit"] == "town-a" and approval["candidate_role"] == "supervisor"
    assert approval["case_id"] == notice_case
    assert api.as_("a-worker").complete(approval, {"approved": True}).status == 403
    assert api.as_("a-head").complete(approval, {"approved": True, "comment": "同意"}).status == 200

    row = deadline(api, notice_case, "verification_report")
    assert row["due_at"] == "2026-10-28T23:59:59+08:00"
    assert timers.run_due(runtime, old_due + timedelta(hours=1)) == 0
    runtime.clock.set(old_due + timedelta(hours=1))
    assert api.as_("a-worker").get(f"/tasks/{verify['id']}").json["warning"] != "red"
    assert timers.run_due(runtime, at("2026-10-29T08:00:00+08:00")) == 1
    runtime.clock.set(at("2026-10-29T08:00:00+08:00"))
    assert api.as_("a-worker").get(f"/tasks/{verify['id']}").json["warning"] == "red"
    history = api.as_("chief").get(f"/cases/{notice_case}/history").json
    extended = [e for e in history if e["action"] == "deadline_extended"]
    assert extended and extended[0]["actor"] == "a-head"


def test_a_refused_extension_changes_nothing(api, runtime, notice_case):
    verify = _to_verify(api, runtime, notice_case)
    before = deadline(api, notice_case, "verification_report")
    asked = api.as_("a-worker").post(f"/tasks/{verify['id']}/extension",
                                     json={"amount": 5, "unit": "days", "reason": "x"})
    assert api.as_("a-head").complete(asked.json, {"approved": False, "comment": "不同意"}).status == 200
    assert deadline(api, notice_case, "verification_report") == before
    actions = [e["action"] for e in api.as_("chief").get(f"/cases/{notice_case}/history").json]
    assert "deadline_extension_refused" in actions and "deadline_extended" not in actions


def test_acceptance_notice_cannot_be_extended(api, runtime, notice_case):
    (task,) = api.as_("clerk").get("/tasks").json["items"]
    resp = api.as_("clerk").post(f"/tasks/{task['id']}/extension",
                                 json={"amount": 1, "unit": "days", "reason": "x"})
    assert resp.status == 422


def test_suspension_shifts_the_due_date_by_the_suspended_time(api, runtime, notice_case):
    _to_verify(api, runtime, notice_case)
    row = deadline(api, notice_case, "verification_report")
    assert api.as_("a-worker").post(f"/deadlines/{row['id']}/suspend",
                                    json={"reason": "x"}).status == 403
    runtime.clock.set(at("2026-10-12T09:00:00+08:00"))
    resp = api.as_("a-head").post(f"/deadlines/{row['id']}/suspend",
                                  json={"reason": "等待公安机关回复"})
    assert resp.status == 200 and resp.json["status"] == "suspended"
    assert timers.run_due(runtime, at("2026-10-24T09:00:00+08:00")) == 0  # no breach while paused
    runtime.clock.set(at("2026-10-17T09:00:00+08:00"))  # five days later
    resumed = api.as_("a-head").post(f"/deadlines/{row['id']}/resume")
    assert resumed.status == 200, resumed.json
    # 2026-10-23 23:59:59 + 5 days = Wednesday 2026-10-28.
    assert resumed.json["due_at"] == "2026-10-28T23:59:59+08:00"
    assert resumed.json["status"] == "open"


def test_anonymous_reports_have_no_acceptance_notice(api, runtime):
    runtime.clock.set(at("2026-09-28T10:05:00+08:00"))
    assert api.as_("designer").deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201

    def open_case(uow):
        clerk = org.get_user(uow.session, "clerk")
        return cases.open_case(uow, runtime=runtime, process_key="notice", data={}, user=clerk,
                               deadlines_started=[{"key": "acceptance_notice", "applicable": False,
                                                   "started_at": runtime.clock.now()}]).id
    case_id = runtime.transact(open_case)
    row = deadline(api, case_id, "acceptance_notice")
    assert (row["status"], row["due_at"], row["warning"]) == ("not_applicable", None, None)
    (task,) = api.as_("clerk").get("/tasks").json["items"]
    assert task["due_at"] is None and task["warning"] is None
    assert timers.run_due(runtime, at("2027-01-01T00:00:00+08:00")) == 0


def test_loading_next_years_calendar_recomputes_open_deadlines(api, runtime):
    runtime.clock.set(at("2026-12-28T10:00:00+08:00"))
    assert api.as_("designer").deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201

    def open_case(uow):
        clerk = org.get_user(uow.session, "clerk")
        return cases.open_case(uow, runtime=runtime, process_key="notice", data={}, user=clerk,
                               deadlines_started=[{"key": "acceptance_notice",
                                                   "started_at": runtime.clock.now()}]).id
    case_id = runtime.transact(open_case)
    before = deadline(api, case_id, "acceptance_notice")["due_at"]
    assert before == "2027-01-18T23:59:59+08:00"  # weekends only: 2027 is not known yet
    assert api.get("/health").json["calendar"]["warning"]
    from engine.deadlines import service as deadlines
    text = (Path(__file__).resolve().parents[1] / "fixtures" / "calendar-2027.yaml").read_text()
    result = runtime.transact(lambda uow: deadlines.load_calendar(
        uow.session, runtime, text=text, file_name="calendar-2027.yaml", actor="admin"))
    assert result["year"] == 2027 and len(result["moved"]) == 1
    assert deadline(api, case_id, "acceptance_notice")["due_at"] == "2027-01-19T23:59:59+08:00"
    (task,) = api.as_("clerk").get("/tasks").json["items"]
    assert task["due_at"] == "2027-01-19T23:59:59+08:00"  # the task row moved too
    actions = [e["action"] for e in api.as_("clerk").get(f"/cases/{case_id}/history").json]
    assert "deadline_recomputed" in actions
    assert api.get("/health").json["calendar"]["warning"] is None


def test_changing_a_configured_limit_recomputes_open_deadlines(api, runtime, notice_case):
    from engine.config import load_settings
    from engine.deadlines import service as deadlines
    from engine.runtime import Runtime
    assert deadlines.sync_config(runtime) == []  # records the current limits
    assert deadline(api, notice_case, "acceptance_notice")["due_at"] == "2026-10-23T23:59:59+08:00"
    shorter = load_settings({"database": {"url": runtime.settings.database.url},
                             "deadlines": {"keys": {"acceptance_notice": {"amount": 10}}}})
    changed = Runtime(shorter, engine=runtime.engine,
                      connection=runtime.connection, clock=runtime.clock)
    moved = deadlines.sync_config(changed)
    assert [m["key"] for m in moved] == ["acceptance_notice"]
    # Ten working days from 2026-09-28 over the National Day holiday.
    assert deadline(api, notice_case, "acceptance_notice")["due_at"] == "2026-10-16T23:59:59+08:00"
    assert deadlines.sync_config(changed) == []
    actions = [e["action"] for e in api.as_("chief").get(f"/cases/{notice_case}/history").json]
    assert "deadline_recomputed" in actions
