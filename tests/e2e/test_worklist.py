"""Issue 21 through the API and the pages (both databases): comments on a task (办理意见) read
by the case's later handlers and audited; a follow-up date (提醒日期) that brings a task to the
top of "my tasks"; the inbox sorted by any column; claiming from the list."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from engine.audit.models import AuditEvent
from tests.e2e.test_pages_inbox import Browser, flow, register_to_town, settings_overrides, text  # noqa: F401


def test_comments_are_read_by_later_handlers_and_audited(api, flow, runtime):
    task = register_to_town(flow, accused="周评")
    worker = flow.as_("a-worker")
    assert worker.post(f"/tasks/{task['id']}/claim", json={}).status == 200
    empty = worker.post(f"/tasks/{task['id']}/comments", json={"body": "   "})
    assert empty.status == 422 and empty.json["error"]["reason"] == "comment_required"
    long = worker.post(f"/tasks/{task['id']}/comments", json={"body": "字" * 2001})
    assert long.status == 422 and long.json["error"]["reason"] == "comment_too_long"
    assert long.json["error"]["params"] == {"length": 2001, "max": 2000}
    said = worker.post(f"/tasks/{task['id']}/comments", json={"body": "已电话联系村会计，补偿款名单待核。"})
    assert said.status == 200, said.json
    (comment,) = said.json["comments"]
    assert comment["author"] == "a-worker" and comment["task_name"] == task["name"]

    done = worker.complete(worker.get(f"/tasks/{task['id']}").json,
                           {"disposition": "verification", "disposition_reason": "问题具体"}).json
    (approve,) = done["next_tasks"]
    later = flow.as_("a-head").get(f"/tasks/{approve['id']}/comments")
    assert later.status == 200
    assert [c["body"] for c in later.json["comments"]] == ["已电话联系村会计，补偿款名单待核。"]
    # Someone who may not see the case reads nothing of it.
    assert flow.as_("b-worker").get(f"/tasks/{approve['id']}/comments").status in (403, 404)
    events = runtime.read(lambda uow: uow.session.scalars(select(AuditEvent.action).where(
        AuditEvent.task_id == task["id"], AuditEvent.action == "task_commented")).all())
    assert events == ["task_commented"]


def test_a_follow_up_date_brings_the_task_to_the_top_of_my_tasks(app, flow, runtime):
    first = register_to_town(flow, accused="吴先")
    second = register_to_town(flow, accused="郑后")
    worker = flow.as_("a-worker")
    for t in (first, second):
        assert worker.post(f"/tasks/{t['id']}/claim", json={}).status == 200
    page = Browser(app, "a-worker")

    def mine() -> list[str]:
        return re.findall(r'<tr data-task="([^"]+)"', text(page.get("/inbox", tab="mine")))
    base = [t for t in mine() if t in (first["id"], second["id"])]
    lead, trail = base  # same due date and creation time: in id order

    def leads(task_id: str) -> bool:
        order = mine()
        return order.index(task_id) < order.index(lead if task_id == trail else trail)
    today = runtime.clock.local(runtime.clock.now()).date()
    later = worker.post(f"/tasks/{trail}/follow-up",
                       json={"remind_on": (today + timedelta(days=3)).isoformat()})
    assert later.status == 200 and later.json["remind_on"] == str(today + timedelta(days=3))
    assert leads(lead)  # not yet
    # Through the page: today. It leads, with its date shown.
    resp = page.post(f"/tasks/{trail}/follow-up", data={"remind_on": today.isoformat()})
    assert resp.status_code == 200 and 'data-testid="remind-on"' in text(resp)
    assert leads(trail)
    assert 'data-testid="remind-badge"' in text(page.get("/inbox", tab="mine"))
    cleared = worker.post(f"/tasks/{trail}/follow-up", json={"remind_on": None})
    assert cleared.status == 200 and cleared.json["remind_on"] is None
    assert leads(lead)
    # Personal: the head sees no date of the worker's.
    assert flow.as_("a-head").get(f"/tasks/{trail}/comments").json["remind_on"] is None


def test_the_page_comment_form_keeps_the_text_and_says_why_it_refused(app, flow):
    task = register_to_town(flow, accused="冯长")
    page = Browser(app, "a-worker")
    resp = page.post(f"/tasks/{task['id']}/comments", data={"body": "意" * 2001})
    body = text(resp)
    assert resp.headers["X-Cluedesk-Status"] == "422"
    assert "意" * 2001 in body  # kept, not cut
    assert "2001" in body and "2000" in body
    ok = page.post(f"/tasks/{task['id']}/comments", data={"body": "请核实名单"})
    assert 'data-testid="comment"' in text(ok)
    assert "请核实名单" in text(page.get(f"/tasks/{task['id']}"))


def test_the_inbox_sorts_by_every_column_and_claims_a_row(app, flow):
    a = register_to_town(flow, accused="乙某")
    b = register_to_town(flow, accused="甲某")
    page = Browser(app, "a-worker")
    for key in ("case", "step", "accused", "township", "channel", "received", "due", "holder"):
        for sort in (key, f"-{key}"):
            assert page.get("/inbox", tab="unit", sort=sort).status_code == 200, sort
    rows = re.findall(r'<tr data-task="([^"]+)"', text(page.get("/inbox", tab="unit",
                                                                 sort="accused")))
    assert rows.index(a["id"]) < rows.index(b["id"])  # 乙 (U+4E59) before 甲 (U+7532)
    rows = re.findall(r'<tr data-task="([^"]+)"', text(page.get("/inbox", tab="unit",
                                                                 sort="-accused")))
    assert rows.index(b["id"]) < rows.index(a["id"])
    assert page.get("/inbox", tab="unit", sort="nope").status_code == 422
    row = page.post(f"/inbox/tasks/{a['id']}/claim", data={"version": str(a["version"])})
    assert row.status_code == 200 and "X-Cluedesk-Status" not in row.headers
    assert text(row).strip().startswith(f'<tr data-task="{a["id"]}"') and "甲镇承办人" in text(row)
    again = Browser(app, "a-head").post(f"/inbox/tasks/{a['id']}/claim",
                                        data={"version": str(a["version"])})
    assert again.headers["X-Cluedesk-Status"] == "409"


def test_intake_requires_content_and_an_accused_or_a_reason(flow, app):
    from tests.e2e.test_petitions import petition
    clerk = flow.as_("clerk")
    blank = clerk.post("/petitions", json=petition(content="  "))
    assert blank.status == 422 and "content" in blank.json["error"]["fields"]
    nobody = clerk.post("/petitions", json=petition(accused=[]))
    assert nobody.status == 422 and "no_accused_reason" in nobody.json["error"]["fields"]
    too_long = clerk.post("/petitions", json=petition(content="字" * 20001))
    assert too_long.status == 422 and "content" in too_long.json["error"]["fields"]
    why = clerk.post("/petitions", json=petition(accused=[], no_accused_reason="举报人不知姓名"))
    assert why.status == 201, why.json
    shown = flow.as_("clerk").get(f"/petitions/{why.json['id']}").json
    assert shown["accused"] == [] and shown["no_accused_reason"] == "举报人不知姓名"
    named = clerk.post("/petitions", json=petition()).json
    assert flow.as_("clerk").get(f"/petitions/{named['id']}").json["no_accused_reason"] is None

    page = Browser(app, "clerk")
    form = {"channel": "visit", "received_at": "2026-03-02T08:30", "anonymous": "1",
            "accused_name": "", "township": "town-a", "village": "东村",
            "category": "welfare_funds", "content": "反映" + "长" * 20000}
    refused = page.post("/intake", data=form)
    body = text(refused)
    assert refused.headers["X-Cluedesk-Status"] == "422"
    assert "最多 20000 字" in body and "长" * 20000 in body  # said, and kept whole
    refused = page.post("/intake", data={**form, "content": "反映村干部优亲厚友。"})
    body = text(refused)
    assert refused.headers["X-Cluedesk-Status"] == "422"
    assert 'data-testid="error-no_accused_reason"' in body and "请填写被反映人" in body
    saved = page.post("/intake", data={**form, "content": "反映村干部优亲厚友。",
                                       "no_accused_reason": "举报人不知姓名"})
    assert "X-Cluedesk-Status" not in saved.headers, text(saved)[:500]


def test_polling_answers_304_until_something_changes(app, flow):
    task = register_to_town(flow, accused="褚轮")
    page = Browser(app, "a-worker")
    first = page.client.get("/poll", query_string={"tab": "unit"})
    assert first.status_code == 200 and first.headers["ETag"]
    state = first.get_json()
    assert state["counts"]["unit"] >= 1 and "stamp" in state and "unread" in state
    same = page.client.get("/poll", query_string={"tab": "unit"},
                           headers={"If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.get_data() == b""
    # A colleague claims the task: the stamp changes, the next poll answers 200.
    assert flow.as_("a-worker2").post(f"/tasks/{task['id']}/claim", json={}).status == 200
    changed = page.client.get("/poll", query_string={"tab": "unit"},
                              headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.get_json()["stamp"] != state["stamp"]
    # A reassignment to a-worker: the bell's count goes up.
    moved = flow.as_("a-head").post(f"/tasks/{task['id']}/reassign",
                                    json={"assignee": "a-worker", "reason": "请假"})
    assert moved.status == 200, moved.json
    assert page.client.get("/poll").get_json()["unread"] == state["unread"] + 1


def test_api_gets_carry_an_etag_and_answer_304(flow):
    worker = flow.as_("a-worker")
    register_to_town(flow, accused="卫标")
    resp = flow.client.get("/api/v1/tasks", headers=worker._headers())
    assert resp.status_code == 200 and resp.headers.get("ETag")
    again = flow.client.get("/api/v1/tasks", headers={**worker._headers(),
                                                      "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""


def test_failed_instances_are_listed_for_their_starter_and_counted_for_administrators(api, app):
    from tests.e2e.test_api_contract import start_form_task
    designer, inst, task = start_form_task(api)
    assert designer.complete(task, {"title": "no count"}).status == 200
    listed = designer.get("/process-instances/failed")
    assert listed.status == 200
    (row,) = [r for r in listed.json["items"] if r["instance_id"] == inst["id"]]
    assert row["element_id"] == "compute" and "count" in row["message"]
    assert listed.json["counts"] is None  # a designer gets no counts
    admin = api.as_("admin").get("/process-instances/failed").json
    assert admin["items"] == []  # an administrator sees no case data
    (count,) = [c for c in admin["counts"] if c["process_key"] == "form_task"]
    assert (count["element_id"], count["element_name"], count["count"]) == ("compute", "Compute", 1)
    assert count["process_name"]
    assert api.as_("a-worker").get("/process-instances/failed").json == {"items": [],
                                                                          "counts": None}

    page = Browser(app, "designer")
    listing = text(page.get("/failed"))
    assert f'data-instance="{inst["id"]}"' in listing and ">Compute<" in listing
    assert "计数" not in listing  # no counts table for a designer
    assert 'data-testid="failed-counts"' not in listing
    assert 'data-testid="failed-counts"' in text(Browser(app, "admin").get("/failed"))
    assert Browser(app, "a-worker").get("/failed").status_code == 403
    again = page.post(f"/failed/{inst['id']}/retry")  # the cause is not fixed: fails again
    assert again.status_code == 200 and f'data-instance="{inst["id"]}"' in text(again)
    assert designer.post(f"/process-instances/{inst['id']}/retry",
                         json={"data": {"count": 4}}).status == 200
    done = page.post(f"/failed/{inst['id']}/retry")  # no longer in error: said, not a 500
    assert done.headers["X-Cluedesk-Status"] == "409" and 'data-ok="false"' in text(done)
