"""Refusals on the pages are in the user's language: the engine's English message (the API's
contract) is shown in Chinese, or in English when the user chose English."""
from __future__ import annotations

import pytest

from tests.e2e.test_pages_cases import LANES, Page, notice_case, text  # noqa: F401
from tests.e2e.test_petitions import petition


@pytest.fixture
def settings_overrides():
    return {"lanes": LANES}


def refusal(resp, status: str) -> str:
    """The `#flash` fragment of a refused htmx action."""
    assert resp.status_code == 200 and resp.headers["X-Cluedesk-Status"] == status, text(resp)
    assert resp.headers["HX-Retarget"] == "#flash"
    return text(resp)


def english(page: Page) -> Page:
    resp = page.client.post("/language", data={"lang": "en"}, headers={"X-CSRFToken": page.csrf})
    assert resp.status_code == 302
    return page


def test_task_refusals_are_in_chinese(app, api, notice_case):
    _case_id, verify = notice_case
    path = f"/tasks/{verify['id']}"
    body = refusal(Page(app, "b-worker").action(f"{path}/claim"), "403")
    assert "您无权签收此任务。" in body and "may not" not in body

    worker = Page(app, "a-worker")
    assert "X-Cluedesk-Status" not in worker.action(f"{path}/claim",
                                                    {"version": verify["version"]}).headers
    body = refusal(Page(app, "a-worker2").action(f"{path}/claim"), "409")
    assert "该任务已由他人签收。" in body and "someone else" not in body

    stale = worker.action(f"{path}/complete", {"version": verify["version"]})
    body = refusal(stale, "409")
    assert (f"任务已被他人更新（当前为第 {verify['version'] + 1} 版，"
            f"您提交的是第 {verify['version']} 版），请刷新页面后重试。") in body
    assert "has changed" not in body and "you sent" not in body

    body = refusal(Page(app, "b-worker").action(f"{path}/extension", {
        "amount": "3", "unit": "working_days", "reason": "外调"}), "403")
    assert "您无权为此任务申请延期。" in body and "more time" not in body


def test_supervisor_refusals_are_in_chinese(app, notice_case):
    _case_id, verify = notice_case
    head = Page(app, "a-head")
    reassign = f"/supervise/tasks/{verify['id']}/reassign"
    body = refusal(head.action(reassign, {"assignee": "b-worker", "reason": "忙不过来"}), "422")
    assert "b-worker 不能承办此任务。" in body and "may not work" not in body
    body = refusal(head.action(reassign, {"assignee": "a-worker2", "reason": " "}), "422")
    assert "请填写理由。" in body and "reason is required" not in body
    body = refusal(Page(app, "a-worker").action(reassign, {"assignee": "a-worker2",
                                                           "reason": "x"}), "403")
    assert "无权操作。" in body and "您无权打开此页面或进行此操作。" in body
    assert "permission" not in body


def test_refusals_follow_the_chosen_language(app, notice_case):
    _case_id, verify = notice_case
    path = f"/tasks/{verify['id']}"
    worker = english(Page(app, "a-worker"))
    assert "X-Cluedesk-Status" not in worker.action(f"{path}/claim",
                                                    {"version": verify["version"]}).headers
    body = refusal(worker.action(f"{path}/complete", {"version": verify["version"]}), "409")
    assert (f"The task has changed (now version {verify['version'] + 1}, you sent "
            f"{verify['version']}); reload the page.") in body
    assert "任务" not in body
    body = refusal(english(Page(app, "a-worker2")).action(f"{path}/claim"), "409")
    assert "Someone else holds this task." in body and "他人" not in body
    head = english(Page(app, "a-head"))
    body = refusal(head.action(f"/supervise/tasks/{verify['id']}/reassign",
                               {"assignee": "b-worker", "reason": "busy"}), "422")
    assert "b-worker may not work on this task." in body


def test_admin_and_intake_refusals_are_in_chinese(app, api, notice_case):
    admin = Page(app, "admin")
    body = refusal(admin.action("/admin/units/town-a/retire"), "409")
    assert "单位 town-a 不能撤销：该单位或其下属单位还有" in body
    assert "项未办结任务" in body and "cannot be retired" not in body
    taken = admin.action("/admin/units", {"code": "town-a", "name": "甲镇", "kind": "township",
                                          "parent": "county"})
    assert taken.headers["X-Cluedesk-Status"] == "422"
    assert "已存在。" in text(taken) and "already exists" not in text(taken)

    clerk = Page(app, "clerk")
    form = {"channel": "visit", "received_at": "2026-03-02T08:30", "reporter_name": "张三",
            "accused_name": "李四", "accused_post": "村委会主任", "accused_unit": "东村村委会",
            "accused_level": "village", "township": "town-a", "village": "东村",
            "category": "welfare_funds", "content": petition()["content"]}
    refused = clerk.action("/intake", {**form, "channel": ""})
    assert refused.headers["X-Cluedesk-Status"] == "422"
    assert 'data-testid="error-channel"' in text(refused)
    assert "请选择一个选项。" in text(refused) and "Must be one of" not in text(refused)
