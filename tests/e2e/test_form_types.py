"""Task forms with every field type (issue 23, API.md "Forms"), through the API and the task page:
a unit, person or file field must name an active unit, a user who could work the task and an
attachment of the task's case (422 naming the field otherwise); a pattern is matched against the
whole text; a field hidden by its `show_when` is neither required nor stored."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from engine.org import service as org
from engine.org.models import Unit
from engine.processes import service as processes
from tests.api_client import deploy_processes
from tests.conftest import FIXTURES
from tests.e2e.test_attachments import PDF, upload
from tests.e2e.test_pages_inbox import Browser, text
from tests.e2e.test_petitions import register


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files")}}


@pytest.fixture
def filled(api, runtime):
    """The form's task, started by the clerk on a registered petition's case, with one file
    uploaded to that case and one to another case."""
    deploy_processes(api)
    resp = api.as_("designer").deploy((FIXTURES / "form_all_types.bpmn").read_bytes(),
                                      "form_all_types.bpmn")
    assert resp.status == 201, resp.json
    case_id = register(api)["case_id"]
    other_case_id = register(api, content="另一件事：乙村会计挪用集体资金。")["case_id"]
    status, mine = upload(api, "clerk", case_id, PDF, "询问笔录.pdf")
    assert status == 201, mine
    status, elsewhere = upload(api, "clerk", other_case_id, PDF, "别案材料.pdf")
    assert status == 201, elsewhere

    def start(uow):
        clerk = org.get_user(uow.session, "clerk")
        instance, _ = processes.start_instance(uow, runtime=runtime, key="form_all_types",
                                               user=clerk, case_id=case_id)
        return instance.id
    instance_id = runtime.transact(start)
    (task,) = api.as_("clerk").get(f"/process-instances/{instance_id}").json["ready_tasks"]
    return {"task": task, "instance_id": instance_id, "file": mine["id"],
            "other_file": elsewhere["id"]}


def valid(filled) -> dict:
    return {"title": "JW-001", "details": "经初步了解，情况属实。", "count": 3, "amount": 1200.5,
            "found_on": "2026-03-01", "talk_at": "2026-03-02T09:30:00+08:00", "urgent": False,
            "kind": "duty", "areas": ["funds", "land"], "handling_unit": "town-a",
            "handler": "clerk", "evidence": filled["file"]}


def test_each_bad_domain_value_is_refused_naming_its_field_then_valid_values_complete(
        api, runtime, filled):
    clerk, task = api.as_("clerk"), filled["task"]
    runtime.transact(lambda uow: uow.session.execute(
        update(Unit).where(Unit.code == "town-f").values(active=False)))
    bad = [("handling_unit", "no-such-unit", "unknown unit"),
           ("handling_unit", "town-f", "retired unit"),
           ("handler", "nobody-at-all", "unknown user"),
           ("handler", "a-worker", "may not work this task"),
           ("evidence", filled["other_file"], "not in this case"),
           ("evidence", 99999999, "not in this case"),
           ("title", "JW-001x", "does not match the pattern"),
           ("areas", [], "at least one"),
           ("areas", ["funds", "funds"], "chosen more than once")]
    for field, value, note in bad:
        resp = clerk.complete(task, {**valid(filled), field: value})
        assert resp.status == 422, (field, value, resp.json)
        error = resp.json["error"]
        assert (error["code"], error["reason"]) == ("invalid", "form_invalid")
        assert error["fields"] == {field: [note]}, (field, value)
    # Shown when urgent: then required; a multiple choice shows its field on one of its values.
    resp = clerk.complete(task, {**valid(filled), "urgent": True})
    assert resp.status == 422 and resp.json["error"]["fields"] == {"urgent_reason": ["required"]}
    # Hidden fields are not required, and a value sent for one is not stored.
    done = clerk.complete(task, {**valid(filled), "urgent_reason": "不会保存",
                                 "other_area": "也不会保存"})
    assert done.status == 200, done.json
    data = api.as_("clerk").get(f"/process-instances/{filled['instance_id']}").json["data"]
    assert {k: data.get(k) for k in valid(filled)} == valid(filled)
    assert "urgent_reason" not in data and "other_area" not in data


def test_shown_fields_are_required_and_stored(api, filled):
    clerk, task = api.as_("clerk"), filled["task"]
    data = {**valid(filled), "urgent": True, "urgent_reason": "群众反映强烈",
            "areas": ["other"], "other_area": "教育"}
    done = clerk.complete(task, data)
    assert done.status == 200, done.json
    stored = api.as_("clerk").get(f"/process-instances/{filled['instance_id']}").json["data"]
    assert (stored["urgent_reason"], stored["other_area"]) == ("群众反映强烈", "教育")


def test_the_task_page_draws_every_type_and_keeps_a_refused_value(app, filled):
    page = Browser(app, "clerk")
    task_id = filled["task"]["id"]
    html = text(page.get(f"/tasks/{task_id}"))
    assert 'src="/static/forms.js"' in html
    assert 'data-testid="help-title">两个大写字母、短横线和三位数字' in html
    assert '<textarea id="f-details" name="details"' in html
    for value in ("funds", "land", "other"):
        assert f'type="checkbox" name="areas" value="{value}"' in html
    assert 'data-field="urgent_reason" data-widget="textarea" data-show-field="urgent" ' \
           'data-show-values="true"' in html
    assert 'data-show-field="areas" data-show-values="other"' in html
    assert '<option value="town-a" >甲镇纪委</option>' in html
    assert '<option value="clerk" >' in html and 'value="a-worker"' not in html
    assert f'<option value="{filled["file"]}" >询问笔录.pdf</option>' in html
    assert "别案材料.pdf" not in html
    assert "请先在“附件”栏上传文件" in html
    assert '<input id="f-found_on" type="date"' in html
    assert '<input id="f-talk_at" type="datetime-local"' in html
    # A refused value: the page keeps what was typed and says why at the field, in Chinese.
    form = {"version": filled["task"]["version"], "title": "JW-001", "urgent": "false",
            "areas": ["funds", "land"], "handling_unit": "town-a", "handler": "a-worker",
            "evidence": str(filled["file"]), "details": "写了一半的说明"}
    resp = page.post(f"/tasks/{task_id}/complete", data=form)
    body = text(resp)
    assert resp.headers.get("X-Cluedesk-Status") == "422", body[:500]
    assert 'data-testid="error-handler">此人不能办理此任务。' in body
    assert "写了一半的说明</textarea>" in body
    assert 'value="funds" checked' in body and re.search(r'value="other"\s*>', body)
    # Valid values complete the task; the hidden reason is not asked for.
    resp = page.post(f"/tasks/{task_id}/complete", data={**form, "handler": "clerk"})
    assert resp.headers.get("X-Cluedesk-Status") is None, text(resp)[:800]
    assert "X-Cluedesk-Status" not in resp.headers
