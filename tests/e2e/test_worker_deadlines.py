"""Deadlines as a worker feels them (issue 20 point 4), through HTTP on both databases: a task
with no deadline of its own (查重确认) carries its case's most urgent running deadline; once that
deadline is breached the task is red in the API, in the inbox's overdue tab and on the overdue
board; a breached deadline is red whatever the task's own due time says."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.deadlines.models import Deadline
from engine.inbox.models import Task
from engine.timers import service as timers
from tests.api_client import deploy_processes
from tests.e2e.test_pages_inbox import Browser, text
from tests.e2e.test_petitions import petition


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


def waiting_repeat_check(api) -> tuple[int, dict]:
    deploy_processes(api)
    created = api.as_("clerk").post("/petitions", json=petition())
    assert created.status == 201, created.json
    case_id = created.json["case_id"]
    (check,) = [t for t in api.as_("clerk").get("/tasks", query={"per_page": 100}).json["items"]
                if t["case_id"] == case_id]
    assert check["element_id"] == "repeat_check" and check["due_at"] is None
    return case_id, check


def test_a_task_without_a_deadline_shows_its_cases_and_turns_red_when_it_is_breached(
        api, runtime, app):
    case_id, check = waiting_repeat_check(api)
    case = api.as_("clerk").get(f"/cases/{case_id}").json
    running = sorted((d for d in case["deadlines"] if d["status"] == "open"),
                     key=lambda d: d["due_at"])
    shown = check["case_deadline"]
    assert shown == {"key": running[0]["key"], "due_at": running[0]["due_at"],
                     "status": "open", "warning": "green"}
    assert check["warning"] is None
    assert case_id not in [t["case_id"] for t in api.as_("clerk").get(
        "/tasks", query={"due": "red"}).json["items"]]

    # Past every running deadline, the deadline watch breaches them: the task is red.
    runtime.clock.set(at("2026-05-04T09:00:00+08:00"))
    assert timers.run_due(runtime, runtime.clock.now()) >= 1
    (check,) = [t for t in api.as_("clerk").get("/tasks", query={"per_page": 100}).json["items"]
                if t["case_id"] == case_id]
    assert check["case_deadline"]["status"] == "breached"
    assert check["case_deadline"]["warning"] == "red"
    red = api.as_("clerk").get("/tasks", query={"due": "red"}).json["items"]
    assert check["id"] in [t["id"] for t in red]
    green = api.as_("clerk").get("/tasks", query={"due": "green"}).json["items"]
    assert check["id"] not in [t["id"] for t in green]

    # The inbox's overdue tab lists it in red, naming it the case's deadline.
    page = Browser(app, "clerk")
    body = text(page.get("/inbox", tab="overdue"))
    assert f'data-task="{check["id"]}"' in body
    row = body[body.index(f'data-task="{check["id"]}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-warning="red"' in row and "案件期限" in row
    # And the overdue board of a supervisor over the petition office.
    board = text(Browser(app, "chief").get("/overdue"))
    assert f'id="board-{check["id"]}"' in board


def test_a_breached_deadline_is_red_whatever_the_tasks_due_time_says(api, runtime):
    deploy_processes(api)
    created = api.as_("clerk").post("/petitions", json=petition())
    case_id = created.json["case_id"]
    api.as_("clerk").complete(next(t for t in api.as_("clerk").get(
        "/tasks", query={"per_page": 100}).json["items"] if t["case_id"] == case_id),
        {"is_repeat": False})
    (classify,) = [t for t in api.as_("clerk").get("/tasks", query={"per_page": 100})
                   .json["items"] if t["case_id"] == case_id]
    done = api.as_("clerk").complete(classify, {"in_scope": True, "concerns_official": True,
                                                "category": "welfare_funds",
                                                "first_handling_unit": "town-a"})
    assert done.status == 200, done.json
    (notice,) = done.json["next_tasks"]
    assert notice["deadline_key"] == "acceptance_notice" and notice["warning"] == "green"
    # The row is marked breached while the task's copy of the due time still lies ahead (as a
    # late run of the deadline watch left it).

    def breach(uow):
        row = uow.session.scalar(select(Deadline).where(Deadline.case_id == case_id,
                                                        Deadline.key == "acceptance_notice"))
        row.status, row.breached_at = "breached", runtime.clock.now()
    runtime.transact(breach)
    shown = api.as_("clerk").get(f"/tasks/{notice['id']}").json
    assert shown["warning"] == "red" and shown["case_deadline"] is None
    red = api.as_("clerk").get("/tasks", query={"due": "red"}).json["items"]
    assert notice["id"] in [t["id"] for t in red]
    assert runtime.read(lambda uow: uow.session.get(Task, notice["id"]).due_at) is not None
