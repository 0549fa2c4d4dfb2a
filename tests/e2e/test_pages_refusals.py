"""Refusals on the pages are in the user's language: the engine's English message (the API's
contract) is shown in Chinese, or in English when the user chose English."""
from __future__ import annotations

import pytest

from engine.processes import actions

from tests.e2e.test_pages_cases import (LANES, Page, intake_case, notice_case,  # noqa: F401
                                        text)
from tests.e2e.test_petitions import petition
from tests.unit.test_messages import LINTED


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
    # Who did what, and that the typed input is kept (issue 21).
    assert "您打开本页后，甲镇承办人 于 " in body and "签收了此任务。" in body
    assert "您填写的内容仍保留在页面上" in body
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
    assert "甲镇承办人 took the task at " in body and "after you opened this page" in body
    assert "What you typed is still here" in body
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


def test_the_designer_page_gets_bpmn_problems_in_its_language_a_token_caller_in_english(app, api):
    """The designer page calls the API with its session; an outside tool with a token gets the
    API's English texts whatever language it asks for."""
    page = Page(app, "designer")
    xml, headers = LINTED, {"Content-Type": "application/xml", "X-File-Name": "linted.bpmn"}

    def as_page(path, who=page):
        resp = who.client.post(f"/api/v1{path}", data=xml,
                               headers={**headers, "X-CSRFToken": who.csrf})
        return resp.status_code, resp.get_json()

    def as_tool(path):
        resp = api.as_("designer").post(path, data=xml,
                                        headers={**headers, "Accept-Language": "zh-CN"})
        return resp.status, resp.json

    status, shown = as_page("/process-definitions/validate")
    tool_status, answered = as_tool("/process-definitions/validate")
    assert status == tool_status == 200
    known = ", ".join(actions.names())
    in_english = {"errors": [f"unknown action 'no.such_action'; known actions: {known}"], "warnings": [
        "deadline key 'no_such_key' is not configured (config.yaml deadlines.keys); no deadline "
        "will be started",
        "form field 'note' is never used by a condition, script, lane mapping or action",
        "calls 'shell', which is not an allowed function (script line 1)",
        "gateway has no default flow; when no condition holds the instance stops in error"]}
    assert {k: sorted(p["message"] for p in answered[k]) for k in in_english} == \
        {k: sorted(v) for k, v in in_english.items()}
    in_chinese = {"errors": [f"未知的动作“no.such_action”；可用的动作：{known}。"], "warnings": [
        "期限“no_such_key”未配置（config.yaml 的 deadlines.keys），不会开始计算期限。",
        "表单字段“note”未被任何条件、脚本、泳道映射或动作使用。",
        "调用了“shell”，它不是允许使用的函数（脚本第 1 行）。",
        "该网关没有默认流向；所有条件都不成立时，流程实例将出错停止。"]}
    assert {k: sorted(p["message"] for p in shown[k]) for k in in_chinese} == \
        {k: sorted(v) for k, v in in_chinese.items()}
    # Only the texts differ: the same problems on the same elements and lines.
    def without_text(body):
        return {k: sorted((p["element_id"], p["line"]) for p in body[k]) for k in in_english}
    assert without_text(shown) == without_text(answered)

    # Deploy refuses the file: the error envelope and its details likewise.
    status, shown = as_page("/process-definitions")
    tool_status, answered = as_tool("/process-definitions")
    assert status == tool_status == 422
    assert shown["error"]["message"] == "该 BPMN 无法运行，未部署任何内容。"
    assert shown["error"]["details"][0]["message"].startswith(
        "未知的动作“no.such_action”；可用的动作：")
    assert answered["error"]["message"] == "the BPMN cannot run; nothing was deployed"
    assert answered["error"]["details"][0]["message"].startswith(
        "unknown action 'no.such_action'; known actions: ")

    _, shown = as_page("/process-definitions/validate", who=english(Page(app, "designer")))
    assert f"unknown action 'no.such_action'; known actions: {known}" in \
        [p["message"] for p in shown["errors"]]


def test_a_recused_supervisor_is_told_why_the_case_page_is_closed(app, api, intake_case):
    case_id = intake_case["case_id"]  # its petition accuses 李四
    head = Page(app, "a-head")
    assert head.get(f"/cases/{case_id}").status_code == 200
    assert api.as_("a-head").post("/relations", json={
        "person_name": "李四", "person_kind": "accused", "relation": "同学",
        "reason": "本人申报"}).status == 201
    resp = head.get(f"/cases/{case_id}")
    assert resp.status_code == 403
    assert "您与本案存在需回避的关系，不能查看或督办本案。" in text(resp)
    assert "recused" not in text(resp)
