"""The inbox and task pages through the Flask test client (login session, CSRF), per role:
tabs, filters, saved filters, the task form with server-side field errors, claim, the audited
reveal; and the notifications the engine sends for reassignments, extension decisions and
escalations (through the API)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from engine.audit.models import AuditEvent
from engine.cases import service as cases
from engine.org import service as org
from tests.api_client import deploy_processes
from tests.conftest import FIXTURES
from tests.e2e.test_deadlines import LANES, ROOT, _to_verify, at
from tests.e2e.test_petitions import petition


@pytest.fixture
def settings_overrides():
    return {"lanes": LANES}


@pytest.fixture
def flow(api):
    deploy_processes(api)
    return api


class Browser:
    """A logged-in session on the pages, sending htmx requests as the page would."""

    def __init__(self, app, username: str):
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = self.client.post("/login", data={"username": username, "password": "demo",
                                                "csrf_token": token})
        assert resp.status_code == 302, username
        page = self.client.get("/", follow_redirects=True).get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def get(self, path, htmx=False, **query):
        headers = {"HX-Request": "true"} if htmx else {}
        return self.client.get(path, query_string=query, headers=headers)

    def post(self, path, data=None, **kw):
        return self.client.post(path, data=data or {}, headers={
            "HX-Request": "true", "X-CSRFToken": self.csrf}, **kw)

    def delete(self, path):
        return self.client.delete(path, headers={"HX-Request": "true", "X-CSRFToken": self.csrf})


def text(resp) -> str:
    return resp.get_data(as_text=True)


def register_to_town(api, township="town-a", anonymous=False, accused="李四", **over) -> dict:
    """A petition registered by the clerk and classified to `township`; returns the case's
    propose_disposition task (after the acceptance notice for a real-name report)."""
    fields = petition(township=township, accused=[{"name": accused, "post": "村委会主任",
                                                   "level": "village"}], **over)
    if anonymous:
        fields["reporter"] = {"anonymous": True}
    created = api.as_("clerk").post("/petitions", json=fields).json
    case_id = created["case_id"]

    def clerk_task(element):
        (task,) = [t for t in api.as_("clerk").get("/tasks", query={"per_page": 500}).json["items"]
                   if t["case_id"] == case_id and t["element_id"] == element]
        return task
    assert api.as_("clerk").complete(clerk_task("repeat_check"), {"is_repeat": False}).status == 200
    done = api.as_("clerk").complete(clerk_task("classify"), {
        "in_scope": True, "concerns_official": True,
        "category": over.get("category", "welfare_funds"),
        "first_handling_unit": township}).json
    if not anonymous:
        done = api.as_("clerk").complete(done["next_tasks"][0], {"method": "phone"}).json
    (task,) = [t for t in done["next_tasks"] if t["element_id"] == "propose_disposition"]
    return {**task, "petition_id": created["id"], "number": created["number"]}


def test_the_inbox_has_tabs_with_counts_filters_and_htmx_fragments(app, flow):
    first = register_to_town(flow, accused="李四")
    second = register_to_town(flow, accused="赵六", category="gambling",
                              content="赵六参与赌博。")
    other = register_to_town(flow, township="town-b", accused="钱七")
    worker = Browser(app, "a-worker")
    page = text(worker.get("/inbox", tab="unit"))
    assert "<html" in page and first["case_number"] in page and second["case_number"] in page
    assert other["case_number"] not in page  # town-b's task is not town-a's business
    assert re.search(r'data-testid="count-unit">(\d+)<', page).group(1) == "2"
    assert re.search(r'data-testid="count-mine">(\d+)<', page).group(1) == "0"
    assert "李四" in page and "甲镇纪委" in page and "来信" in page
    assert 'data-warning="green"' in page
    # No tab asked for and nothing held: the first tab with tasks, not an empty page.
    landing = text(worker.get("/inbox"))
    assert re.search(r'data-tab="unit"[^>]*aria-current="page"', landing)
    assert first["case_number"] in landing and 'data-testid="empty"' not in landing

    # One htmx request: the fragment only, filtered, with the counts under the filter.
    fragment = text(worker.get("/inbox", htmx=True, tab="unit", q="赵六"))
    assert "<html" not in fragment
    assert second["case_number"] in fragment and first["case_number"] not in fragment
    assert re.search(r'data-testid="count-unit">(\d+)<', fragment).group(1) == "1"
    by_category = text(worker.get("/inbox", htmx=True, tab="unit", category="gambling"))
    assert second["case_number"] in by_category and first["case_number"] not in by_category
    by_step = text(worker.get("/inbox", htmx=True, tab="unit", step="approve_disposition"))
    assert 'data-testid="empty"' in by_step
    steps = text(worker.get("/inbox", htmx=True, tab="unit", process="clue_disposition",
                            step="propose_disposition"))
    assert first["case_number"] in steps and "审批处置意见</option>" in steps
    assert first["case_number"] not in text(worker.get("/inbox", htmx=True, tab="unit",
                                                       process="inquiry"))
    assert first["case_number"] in text(worker.get("/inbox", htmx=True, tab="unit",
                                                   township="town-a", due="green"))
    assert 'data-testid="empty"' in text(worker.get("/inbox", htmx=True, tab="overdue"))
    assert "这里没有待办任务。" in text(worker.get("/inbox", htmx=True, tab="overdue"))
    # A search that finds nothing says so, and offers the search of every record.
    nothing = text(worker.get("/inbox", htmx=True, tab="unit", q="<b>王麻子</b>"))
    assert "这里没有与“&lt;b&gt;王麻子&lt;/b&gt;”相符的任务。" in nothing
    assert 'href="/search?q=%3Cb%3E%E7%8E%8B%E9%BA%BB%E5%AD%90%3C/b%3E"' in nothing
    assert "在全部信访件、线索和案件中搜索" in nothing and "<b>王麻子" not in nothing
    # Latest due first, and a page of one.
    assert worker.get("/inbox", tab="unit", sort="-due", page="2").status_code == 200
    assert worker.get("/inbox", tab="nope").status_code == 422

    b_page = text(Browser(app, "b-worker").get("/inbox", tab="unit"))
    assert other["case_number"] in b_page and first["case_number"] not in b_page
    assert "李四" not in b_page
    # An administrator has no inbox.
    assert Browser(app, "admin").get("/inbox").status_code == 403


def test_tab_counts_and_the_total_stop_at_the_page_cap(app, flow, monkeypatch):
    """The page counts each tab up to PAGE_CAP + 1 and says "more than" beyond it; its pages end
    there. Three tasks with a cap of two."""
    from engine.views import inbox_page
    numbers = [register_to_town(flow, accused=name)["case_number"]
               for name in ("李四", "赵六", "钱七")]
    worker = Browser(app, "a-worker")
    whole = text(worker.get("/inbox", tab="unit"))
    assert re.search(r'data-testid="count-unit">(\d+)<', whole).group(1) == "3"
    assert "共 3 项任务" in whole
    monkeypatch.setattr(inbox_page, "PAGE_CAP", 2)
    capped = text(worker.get("/inbox", tab="unit"))
    assert re.search(r'data-testid="count-unit">([^<]+)<', capped).group(1) == "2+"
    assert re.search(r'data-testid="count-mine">([^<]+)<', capped).group(1) == "0"
    assert "超过 2 项任务" in capped and "共 3 项任务" not in capped
    assert sum(n in capped for n in numbers) == 3  # the first page (25 rows) is whole
    # Pages of one: two pages, the third asked for is the last (the second).
    paged = inbox_page.inbox_page
    monkeypatch.setattr(inbox_page, "inbox_page",
                        lambda *a, **kw: paged(*a, **{**kw, "per_page": 1}))
    last = text(worker.get("/inbox", tab="unit", page="3"))
    assert "第 2 / 2 页" in last and sum(n in last for n in numbers) == 1


def test_saved_filters_belong_to_their_user(app, flow):
    worker = Browser(app, "a-worker")
    resp = worker.post("/inbox/filters", {"name": "周一要办", "tab": "unit", "category": "gambling",
                                          "q": ""})
    assert resp.status_code == 200 and "周一要办" in text(resp)
    assert "cd-toast" in resp.headers["HX-Trigger"]
    link = re.search(r'href="(/inbox\?[^"]+)"', text(resp)).group(1)
    assert "category=gambling" in link and "tab=unit" in link and "q=" not in link
    assert "周一要办" in text(worker.get("/inbox"))
    assert "周一要办" not in text(Browser(app, "a-worker2").get("/inbox"))
    refused = worker.post("/inbox/filters", {"name": "  ", "tab": "unit"})
    assert refused.status_code == 200 and refused.headers["X-Cluedesk-Status"] == "422"
    filter_id = re.search(r'/inbox/filters/(\d+)', text(resp)).group(1)
    assert Browser(app, "a-worker2").delete(f"/inbox/filters/{filter_id}") \
        .headers["X-Cluedesk-Status"] == "404"
    gone = worker.delete(f"/inbox/filters/{filter_id}")
    assert gone.status_code == 200 and "周一要办" not in text(gone)


def test_a_task_page_shows_only_what_the_user_may_see(app, flow, runtime):
    task = register_to_town(flow)
    path = f"/tasks/{task['id']}"
    worker = Browser(app, "a-worker")
    page = text(worker.get(path))
    assert task["case_display_number"] in page and "李四" in page and "虚报低保" in page
    assert "王**" in page and "王小明" not in page and "13812345678" not in page
    assert 'data-testid="reveal-form"' not in page  # not holding a task of the case
    assert 'data-testid="claim"' in page and 'name="disposition"' in page
    assert "信访登记员 完成了“受理告知”。" in page  # the timeline, in plain language

    for outsider in ("b-worker", "reviewer", "admin", "d-worker"):
        resp = Browser(app, outsider).get(path)
        assert resp.status_code in (403, 404), outsider
        body = text(resp)
        assert task["case_display_number"] not in body and "李四" not in body and "王" not in body
    assert Browser(app, "b-worker").post(f"{path}/claim").headers["X-Cluedesk-Status"] in \
        ("403", "404")

    claimed = worker.post(f"{path}/claim", {"version": task["version"]})
    assert claimed.status_code == 200 and 'data-testid="unclaim"' in text(claimed)
    assert 'hx-swap-oob="true"' in text(claimed) and 'data-testid="reveal-form"' in text(claimed)
    # A colleague of the same unit, not holding it: masked, no reveal, cannot complete.
    colleague = text(Browser(app, "a-worker2").get(path))
    assert "王**" in colleague and 'data-testid="reveal-form"' not in colleague
    assert 'data-testid="task-form"' not in colleague

    empty = worker.post(f"{path}/reveal", {"reason": " "})
    assert empty.headers["X-Cluedesk-Status"] == "422" and "王小明" not in text(empty)
    shown = worker.post(f"{path}/reveal", {"reason": "核实举报人身份"})
    assert shown.status_code == 200 and "王小明" in text(shown) and "13812345678" in text(shown)
    assert "王小明" not in text(worker.get(path))  # shown once, for that view
    reveals = runtime.read(lambda uow: [(e.actor, e.detail["reason"]) for e in uow.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == task["case_id"],
                                 AuditEvent.action == "reporter_revealed"))])
    assert reveals == [("a-worker", "核实举报人身份")]
    views = runtime.read(lambda uow: uow.session.scalars(select(AuditEvent.actor).where(
        AuditEvent.case_id == task["case_id"], AuditEvent.action == "case_viewed")).all())
    assert "a-worker" in views and "b-worker" not in views
    # The supervisor of the township may reveal too; the timeline says who looked and why.
    head = Browser(app, "a-head")
    assert 'data-testid="reveal-form"' in text(head.get(path))
    timeline = text(head.get(path))
    assert "甲镇承办人 查看了举报人身份信息（事由：核实举报人身份）" in timeline


def test_completing_with_errors_shows_them_at_the_fields_then_completes(app, flow):
    task = register_to_town(flow, anonymous=True)
    path = f"/tasks/{task['id']}"
    worker = Browser(app, "a-worker")
    assert "匿名举报" in text(worker.get(path))
    bad = worker.post(f"{path}/complete", {"version": task["version"], "disposition": ""})
    assert bad.status_code == 200 and bad.headers["X-Cluedesk-Status"] == "422"
    body = text(bad)
    assert 'data-testid="error-disposition"' in body and 'data-testid="error-disposition_reason"' in body
    assert "必填。" in body and 'data-testid="task-form"' in body
    wrong = worker.post(f"{path}/complete", {"version": task["version"],
                                             "disposition": "nonsense",
                                             "disposition_reason": "x"})
    assert "请选择一个选项。" in text(wrong) and '>x</textarea>' in text(wrong)
    done = worker.post(f"{path}/complete", {"version": task["version"],
                                            "disposition": "verification",
                                            "disposition_reason": "反映问题具体，有可查性"})
    assert done.status_code == 200 and "X-Cluedesk-Status" not in done.headers
    body = text(done)
    assert 'data-testid="done"' in body and "审批处置意见" in body and "甲镇纪委" in body
    assert Browser(app, "a-worker").get(path).status_code == 200  # still readable, finished
    assert 'data-testid="task-form"' not in text(worker.get(path))


def test_an_approval_step_offers_agree_and_send_back_buttons(app, flow):
    """审批处置意见: the form's `approved` decision is two buttons (同意 / 退回) that send it;
    the other fields stay; a step without a decision keeps its ordinary 提交."""
    task = register_to_town(flow, anonymous=True)
    worker = Browser(app, "a-worker")
    page = text(worker.get(f"/tasks/{task['id']}"))
    assert 'data-testid="complete"' in page and 'data-testid="decision"' not in page
    done = worker.post(f"/tasks/{task['id']}/complete", {
        "version": task["version"], "disposition": "verification",
        "disposition_reason": "反映问题具体，有可查性"})
    assert 'data-testid="done"' in text(done)
    (approval,) = [t for t in flow.as_("a-head").get("/tasks", query={"per_page": 500}).json[
        "items"] if t["case_id"] == task["case_id"] and t["element_id"] == "approve_disposition"]
    head = Browser(app, "a-head")
    page = text(head.get(f"/tasks/{approval['id']}"))
    assert re.search(r'<button type="submit" class="primary" name="approved" value="true" '
                     r'data-testid="decide-yes">同意</button>', page)
    assert re.search(r'<button type="submit" class="danger" name="approved" value="false" '
                     r'data-testid="decide-no">退回</button>', page)
    assert 'data-testid="complete"' not in page and 'name="approved" value="true" ' \
        'checked' not in page and 'type="radio" name="approved"' not in page
    assert 'name="comment"' in page  # the opinion is still written in the form
    # Pressing 退回 sends approved=false with the opinion: the proposal goes back.
    back = head.post(f"/tasks/{approval['id']}/complete", {
        "version": approval["version"], "approved": "false", "comment": "请补充线索来源"})
    assert 'data-testid="done"' in text(back) and "拟定处置意见" in text(back)
    shown = flow.as_("a-head").get(f"/tasks/{approval['id']}").json
    assert shown["status"] == "completed" and shown["decision"]["no"] == "send_back"


def test_extension_request_from_the_page_and_the_decision_notifies_the_requester(
        app, api, runtime):
    runtime.clock.set(at("2026-09-28T10:05:00+08:00"))
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201
    assert designer.deploy((ROOT / "bpmn" / "deadline_extension.bpmn").read_bytes()).status == 201

    def open_case(uow):
        return cases.open_case(uow, runtime=runtime, process_key="notice", data={},
                               user=org.get_user(uow.session, "clerk")).id
    case_id = runtime.transact(open_case)
    verify = _to_verify(api, runtime, case_id)
    worker = Browser(app, "a-worker")
    page = text(worker.get(f"/tasks/{verify['id']}"))
    assert 'data-testid="extension"' in page
    missing = worker.post(f"/tasks/{verify['id']}/extension", {"amount": "", "reason": ""})
    assert missing.headers["X-Cluedesk-Status"] == "422"
    assert 'data-testid="error-amount"' in text(missing)
    asked = worker.post(f"/tasks/{verify['id']}/extension",
                        {"amount": "3", "unit": "working_days", "reason": "等待外调材料"})
    assert 'data-testid="extension-requested"' in text(asked)
    (approval,) = [t for t in api.as_("a-head").get("/tasks").json["items"]
                   if t["process_key"] == "deadline_extension"]
    assert api.as_("a-head").complete(approval, {"approved": True}).status == 200
    notes = api.as_("a-worker").get("/notifications").json
    assert notes["items"][0]["kind"] == "approved" and "新的期限" in notes["items"][0]["message"]

    again = api.as_("a-worker").post(f"/tasks/{verify['id']}/extension",
                                     json={"amount": 2, "unit": "days", "reason": "再延"})
    assert api.as_("a-head").complete(again.json, {"approved": False,
                                                   "comment": "不同意"}).status == 200
    notes = api.as_("a-worker").get("/notifications").json
    assert notes["items"][0]["kind"] == "refused" and "不同意" in notes["items"][0]["message"]
    assert api.as_("a-head").get("/notifications").json["unread"] == 0


def test_reassignment_and_escalation_notify_the_people_concerned(app, flow):
    task = register_to_town(flow, anonymous=True)
    resp = flow.as_("a-head").post(f"/tasks/{task['id']}/reassign",
                                   json={"assignee": "a-worker2", "reason": "a-worker 休假"})
    assert resp.status == 200, resp.json
    notes = flow.as_("a-worker2").get("/notifications").json
    assert notes["unread"] == 1 and notes["items"][0]["kind"] == "reassigned"
    assert notes["items"][0]["task_id"] == task["id"]
    assert task["case_display_number"] in notes["items"][0]["message"]
    assert "a-worker 休假" in notes["items"][0]["message"]
    assert flow.as_("a-worker").get("/notifications").json["unread"] == 0
    bell = Browser(app, "a-worker2")
    assert 'data-testid="unread">1<' in text(bell.get("/inbox"))
    listed = text(bell.get("/notifications"))  # the page lists it and marks it read
    assert "任务改派" in listed and "a-worker 休假" in listed and 'class="unread"' in listed
    assert flow.as_("a-worker2").get("/notifications").json["unread"] == 0

    applied = flow.as_("a-worker").post(f"/cases/{task['case_id']}/escalate",
                                        json={"reason": "涉及乡镇干部，本镇办理存在干扰"})
    assert applied.status == 201, applied.json
    notes = flow.as_("east-head").get("/notifications").json
    assert notes["items"][0]["kind"] == "escalated"
    assert notes["items"][0]["case_id"] == task["case_id"]
    assert flow.as_("d-head").get("/notifications").json["unread"] == 0


def test_a_long_history_shows_its_newest_events_on_the_task_page_and_pages_the_rest(app, flow,
                                                                                  runtime):
    """A case worked back and forth: the task page shows its 50 newest events and how many came
    before, linking to the case's history, which pages every event oldest first."""
    task = register_to_town(flow)
    worker = flow.as_("a-worker")
    version = task["version"]
    for _ in range(60):
        version = worker.post(f"/tasks/{task['id']}/claim",
                              json={"version": version}).json["version"]
        version = worker.post(f"/tasks/{task['id']}/unclaim",
                              json={"version": version}).json["version"]
    total = runtime.read(lambda uow: uow.session.scalar(select(func.count()).select_from(
        AuditEvent).where(AuditEvent.case_id == task["case_id"],
                          AuditEvent.action != "case_viewed")))
    assert 100 < total <= 200  # two pages of the history

    page = text(Browser(app, "a-worker").get(f"/tasks/{task['id']}"))
    shown = re.findall(r'<li data-action="([a-z_]+)"', page)
    assert len(shown) == 50 and shown[-1] == "task_unclaimed"
    assert "case_opened" not in shown  # the beginning is on the history page
    assert f"更早的 {total - 50} 条记录：查看全部办理过程" in page
    history = f"/cases/{task['case_id']}/history"
    assert f'href="{history}"' in page

    reader = Browser(app, "a-head")
    first = text(reader.get(history))
    events = re.findall(r'<li data-action="([a-z_]+)"', first)
    assert len(events) == 100 and events[0] == "case_opened"
    assert f"共 {total} 条记录" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = text(reader.get(history, page=2))
    assert len(re.findall(r'<li data-action="', last)) == total - 100
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert re.findall(r'<li data-action="([a-z_]+)"', last)[-1] == "task_unclaimed"
    for outsider in ("b-worker", "d-worker"):
        resp = Browser(app, outsider).get(history)
        assert resp.status_code in (403, 404) and task["case_display_number"] not in text(resp)


def test_a_proposal_sent_back_many_times_shows_the_newest_record_entries_and_links_the_rest(
        app, flow):
    """The task page's case record lists the 30 newest entries and sends the reader to the case
    page for the earlier ones; the case page lists them all."""
    from tests.e2e.test_clue_paths import complete, open_clue, task
    case_id = open_clue(flow)
    for round_ in range(16):
        complete(flow, "a-worker", case_id, "propose_disposition",
                 {"disposition": "verification", "disposition_reason": f"第{round_ + 1}次拟定"})
        complete(flow, "a-head", case_id, "approve_disposition",
                 {"approved": False, "comment": f"第{round_ + 1}次退回"})
    again = task(flow, "a-worker", case_id, "propose_disposition")
    page = text(Browser(app, "a-worker").get(f"/tasks/{again['id']}"))
    entries = page[page.index('data-testid="record-entries"'):]
    entries = entries[:entries.index("</ol>")]
    shown = re.findall(r'<li data-kind="', entries)
    assert len(shown) == 30 and "第16次退回" in entries and "第1次拟定" not in entries
    whole = text(Browser(app, "a-head").get(f"/cases/{case_id}"))
    listed = whole[whole.index('data-testid="record-entries"'):]
    listed = listed[:listed.index("</ol>")]
    total = len(re.findall(r'<li data-kind="', listed))
    assert total > 32 and "第1次拟定" in listed and 'data-testid="record-earlier"' not in listed
    assert f"更早的 {total - 30} 条记录：请到案件页查看" in entries
    assert f'href="/cases/{case_id}#case-record"' in entries
