"""Administration pages through the Flask test client: who may open them, every action as one
htmx request answering its fragment, forms re-rendered with field errors (200 + 422 header),
refusals in #flash, and no case contents anywhere."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.audit.models import AuditEvent
from engine.org import service as org
from tests.api_client import deploy_processes

ROOT = Path(__file__).resolve().parents[2]
CALENDAR_2027 = ROOT / "tests" / "fixtures" / "calendar-2027.yaml"
PETITION = {"channel": "letter", "received_at": "2026-03-02T09:00:00+08:00",
            "reporter": {"anonymous": True},
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}
PAGES = ("/admin", "/admin/units", "/admin/users", "/admin/relations", "/admin/lanes",
         "/admin/calendars", "/admin/deadlines", "/admin/repeat-aliases")


class Browser:
    """A logged-in session sending what htmx sends."""

    def __init__(self, app, username):
        self.client = app.test_client()
        page = self.client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        resp = self.client.post("/login", data={"username": username, "password": "demo",
                                                "csrf_token": token})
        assert resp.status_code == 302, f"login as {username} failed"
        page = self.client.get("/notifications").get_data(as_text=True)
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def get(self, path, htmx=False):
        return self.client.get(path, headers={"HX-Request": "true"} if htmx else {})

    def post(self, path, data=None, **kw):
        return self.client.post(path, data=data or {}, headers={
            "HX-Request": "true", "X-CSRFToken": self.csrf}, **kw)


def text(resp) -> str:
    return resp.get_data(as_text=True)


def actions(runtime) -> list[str]:
    return runtime.read(lambda uow: list(uow.session.scalars(
        select(AuditEvent.action).order_by(AuditEvent.id))))


@pytest.fixture
def admin(app):
    return Browser(app, "admin")


@pytest.fixture
def held_task(api):
    """A petition whose first task the clerk has claimed."""
    deploy_processes(api)
    resp = api.as_("clerk").post("/petitions", json=PETITION)
    assert resp.status == 201, resp.json
    (task,) = [t for t in api.as_("clerk").get("/tasks").json["items"]
               if t["case_id"] == resp.json["case_id"]]
    assert api.as_("clerk").post(f"/tasks/{task['id']}/claim", json={}).status == 200
    return task


def test_only_administrators_open_the_pages(app, admin):
    chief = Browser(app, "chief")
    for path in PAGES:
        assert admin.get(path).status_code == 200, path
        assert chief.get(path).status_code == 403, path
    refused = chief.post("/admin/units", {"code": "x", "name": "x", "kind": "office",
                                          "parent": "county"})
    assert refused.headers["X-Cluedesk-Status"] == "403" and "units-panel" not in text(refused)
    assert app.test_client().get("/admin").headers["Location"].startswith("/login")
    # The navigation offers administration to administrators only.
    assert 'href="/admin"' in text(admin.get("/notifications"))
    assert 'href="/admin"' not in text(chief.get("/notifications"))


def test_units_are_created_renamed_moved_and_retired(admin, runtime):
    resp = admin.post("/admin/units", {"code": "town-g", "name": "庚镇纪委", "kind": "township",
                                       "parent": "zone-east"})
    assert resp.status_code == 200 and "X-Cluedesk-Status" not in resp.headers
    assert 'id="units-panel"' in text(resp) and 'data-unit="town-g"' in text(resp)
    assert "cd-toast" in resp.headers["HX-Trigger"]
    # A duplicate code: the form comes back with the field error and the typed values.
    resp = admin.post("/admin/units", {"code": "town-g", "name": "重复", "kind": "township",
                                       "parent": "zone-east"})
    assert resp.status_code == 200 and resp.headers["X-Cluedesk-Status"] == "422"
    assert 'data-field="code"' in text(resp) and 'value="重复"' in text(resp)
    resp = admin.post("/admin/units/town-g/rename", {"name": "庚镇纪委（新）"})
    assert "庚镇纪委（新）" in text(resp)
    assert admin.post("/admin/units/town-g/rename", {"name": " "}).headers[
        "X-Cluedesk-Status"] == "422"
    resp = admin.post("/admin/units/town-g/move", {"parent": "zone-west"})
    assert resp.status_code == 200 and "X-Cluedesk-Status" not in resp.headers
    resp = admin.post("/admin/units/zone-west/move", {"parent": "town-g"})
    assert resp.headers["X-Cluedesk-Status"] == "422" and 'data-field="parent"' in text(resp)
    assert "<details open>" in text(resp)  # the failed row's editor stays open
    resp = admin.post("/admin/units/town-g/retire")
    assert resp.status_code == 200 and 'data-unit="town-g" class="retired"' in text(resp)
    assert {"unit_created", "unit_renamed", "unit_moved", "unit_retired"} <= set(actions(runtime))


def test_retiring_a_unit_with_open_tasks_is_refused_in_the_flash(admin, held_task):
    resp = admin.post("/admin/units/petition-office/retire")
    assert resp.status_code == 200 and resp.headers["X-Cluedesk-Status"] == "409"
    assert resp.headers["HX-Retarget"] == "#flash" and "项未办结任务" in text(resp)


def test_users_are_created_with_several_roles_edited_and_given_passwords(admin, runtime):
    resp = admin.post("/admin/users", {"username": "clerk2", "display_name": "登记员二",
                                       "unit": "petition-office",
                                       "roles": ["intake_clerk", "caseworker"],
                                       "password": "Secret-one-2026"})
    assert resp.status_code == 200 and "X-Cluedesk-Status" not in resp.headers, text(resp)
    assert 'data-user="clerk2"' in text(resp)
    user = runtime.read(lambda uow: org.get_user(uow.session, "clerk2"))
    assert user.roles == {"intake_clerk", "caseworker"}
    # No role: the form comes back with the error and what was typed.
    resp = admin.post("/admin/users", {"username": "clerk3", "unit": "petition-office",
                                       "password": "Secret-one-2026"})
    assert resp.headers["X-Cluedesk-Status"] == "422"
    assert 'data-field="roles"' in text(resp) and 'value="clerk3"' in text(resp)

    editor = admin.get("/admin/users/clerk2/edit", htmx=True)
    assert 'data-testid="user-edit"' in text(editor) and "<tr" in text(editor)
    resp = admin.post("/admin/users/clerk2", {"display_name": "登记员二", "unit": "town-a",
                                              "roles": ["caseworker", "supervisor"]})
    assert resp.status_code == 200 and text(resp).lstrip().startswith("<tr")
    assert "甲镇纪委" in text(resp)
    user = runtime.read(lambda uow: org.get_user(uow.session, "clerk2"))
    assert user.roles == {"caseworker", "supervisor"}
    resp = admin.post("/admin/users/clerk2", {"unit": "town-a", "roles": []})
    assert resp.headers["X-Cluedesk-Status"] == "422" and 'data-field="roles"' in text(resp)
    resp = admin.post("/admin/users/clerk2/password", {"password": "ab"})
    assert resp.headers["X-Cluedesk-Status"] == "422" and 'data-field="password"' in text(resp)
    assert admin.post("/admin/users/clerk2/password", {"password": "New-pass-2026"}).status_code == 200
    assert runtime.read(lambda uow: org.authenticate(uow.session, "clerk2", "New-pass-2026"))
    assert {"user_created", "user_updated", "user_password_reset"} <= set(actions(runtime))


def test_deactivating_needs_a_transfer_to_an_eligible_user(admin, api, runtime, held_task):
    api.as_("admin").post("/admin/users", json={"username": "clerk2", "unit": "petition-office",
                                                "roles": ["intake_clerk"], "password": "Secret-one-2026"})
    api.as_("admin").post("/admin/users", json={"username": "clerk3", "unit": "petition-office",
                                                "roles": ["intake_clerk"], "password": "Secret-one-2026"})
    api.as_("admin").post("/relations", json={"username": "clerk3", "person_name": "李四",
                                              "person_kind": "accused", "relation": "kin"})
    dialog = text(admin.get("/admin/users/clerk/deactivate", htmx=True))
    assert f'name="to-{held_task["id"]}"' in dialog
    assert 'value="clerk2"' in dialog and 'value="clerk3"' not in dialog  # recused: not offered
    assert "李四" not in dialog and "低保" not in dialog  # no case contents
    # Without a transfer: refused, the dialog comes back saying why; the user stays active.
    resp = admin.post("/admin/users/clerk/deactivate")
    assert resp.status_code == 200 and resp.headers["X-Cluedesk-Status"] == "409"
    assert 'data-testid="transfer"' in text(resp)
    # To a recused user (forged form): refused.
    resp = admin.post("/admin/users/clerk/deactivate", {f"to-{held_task['id']}": "clerk3"})
    assert resp.headers["X-Cluedesk-Status"] == "422"
    assert runtime.read(lambda uow: org.get_user(uow.session, "clerk").active)

    resp = admin.post("/admin/users/clerk/deactivate", {"all_to": "clerk2"})
    assert resp.status_code == 200 and "X-Cluedesk-Status" not in resp.headers, text(resp)
    assert resp.headers["HX-Retarget"] == "#user-row-clerk"
    assert "cd-dialog-close" in resp.headers["HX-Trigger"]
    assert 'class="retired"' in text(resp)
    task = api.as_("chief").get(f"/tasks/{held_task['id']}").json
    assert task["assignee"] == "clerk2"
    assert {"task_transferred", "user_deactivated"} <= set(actions(runtime))


def test_relations_are_recorded_and_ended_with_who_and_why(admin, runtime):
    resp = admin.post("/admin/relations", {"username": "a-worker", "person_name": "张三",
                                           "person_kind": "reporter", "relation": "配偶",
                                           "reason": "本人申报"})
    assert resp.status_code == 200 and "X-Cluedesk-Status" not in resp.headers, text(resp)
    row = re.search(r'<tr data-relation="(\d+)"[^>]*>(.*?)</tr>', text(resp), re.S)
    assert "张三" in row.group(2) and "本人申报" in row.group(2) and "admin" in row.group(2)
    resp = admin.post("/admin/relations", {"username": "a-worker", "person_name": "",
                                           "person_kind": "reporter", "relation": "配偶"})
    assert resp.headers["X-Cluedesk-Status"] == "422" and 'data-field="person_name"' in text(resp)
    resp = admin.post(f"/admin/relations/{row.group(1)}/end", {"reason": " "})
    assert resp.headers["X-Cluedesk-Status"] == "422" and 'data-field="reason"' in text(resp)
    assert f'data-relation="{row.group(1)}" class="retired"' not in text(resp)
    resp = admin.post(f"/admin/relations/{row.group(1)}/end", {"reason": "已离婚"})
    assert resp.status_code == 200 and f'data-relation="{row.group(1)}" class="retired"' in text(resp)
    assert "终止原因：已离婚" in text(resp)
    assert {"relation_declared", "relation_ended"} <= set(actions(runtime))


def test_lanes_warn_about_unmapped_lanes_and_the_deadline_table_shows_its_basis(admin, api):
    from tests.conftest import FIXTURES
    deploy_processes(api)
    assert api.as_("designer").deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201
    page = text(admin.get("/admin/lanes"))
    assert 'data-testid="lanes-petition_intake-1"' in page and "登记人员" in page
    notice = page[page.index('data-testid="lanes-notice-1"'):]
    assert 'data-testid="unmapped"' in notice[:notice.index("</summary>")]
    # Files deployed without lane properties: each mapped lane follows the configuration file.
    intake = page[page.index('data-testid="lanes-petition_intake-1"'):]
    intake = intake[:intake.index("</details>")]
    assert '<td class="small" data-testid="lane-source">配置文件</td>' in intake
    table = text(admin.get("/admin/deadlines"))
    assert 'data-key="acceptance_notice"' in table and "纪检监察机关处理检举控告工作规则" in table


def test_calendar_upload_previews_then_applies(admin, runtime):
    page = text(admin.get("/admin/calendars"))
    assert 'data-testid="calendar-upload"' in page
    with CALENDAR_2027.open("rb") as fh:
        resp = admin.post("/admin/calendars/preview", {"file": (fh, "calendar-2027.yaml")},
                          content_type="multipart/form-data")
    preview = text(resp)
    assert resp.status_code == 200 and 'data-testid="calendar-preview"' in preview
    assert "calendar_loaded" not in actions(runtime)
    handed = re.search(r'<textarea name="text" hidden>\n(.*?)</textarea>', preview, re.S).group(1)
    assert "2027-02-05" in handed
    resp = admin.post("/admin/calendars/apply", {"file_name": "calendar-2027.yaml",
                                                 "text": CALENDAR_2027.read_text()})
    assert resp.status_code == 200 and 'data-testid="calendar-applied"' in text(resp)
    assert 'data-year="2027"' in text(resp) and "calendar-2027.yaml" in text(resp)
    assert "calendar_loaded" in actions(runtime)
    with_errors = admin.post("/admin/calendars/preview", {"file_name": "x.yaml",
                                                          "text": "year: 2027\n"})
    assert with_errors.headers["X-Cluedesk-Status"] == "422"
    assert 'data-testid="field-error"' in text(with_errors)


def test_no_administration_page_shows_case_contents(admin, held_task):
    for path in PAGES:
        body = text(admin.get(path))
        assert "李四" not in body and "低保户名单" not in body, path  # (补贴（低保）推荐 is a process)
    assert admin.get(f"/cases/{held_task['case_id']}").status_code in (403, 404)


def test_repeat_check_aliases_are_listed_added_and_removed(admin, runtime):
    page = text(admin.get("/admin/repeat-aliases"))
    assert 'data-alias="小舅子"' in page and "妻弟" in page  # seeded by migration 0020
    assert 'data-alias="管账"' in page and "岗位俗称" in page  # an everyday word (0034)
    resp = admin.post("/admin/repeat-aliases", {"kind": "everyday", "alias": "跑账",
                                                "canonical": "村会计"})
    assert resp.status_code == 200 and "X-Cluedesk-Status" not in resp.headers, text(resp)
    row = re.search(r'<tr data-alias="跑账">(.*?)</tr>', text(resp), re.S)
    assert row and "村会计" in row.group(1) and "岗位俗称" in row.group(1)
    again = admin.post("/admin/repeat-aliases", {"kind": "everyday", "alias": "跑账",
                                                 "canonical": "村会计"})
    assert again.headers["X-Cluedesk-Status"] == "422" and "已存在" in text(again)
    delete = re.search(r'<tr data-alias="跑账">.*?/admin/repeat-aliases/(\d+)/delete',
                       text(resp), re.S).group(1)
    gone = admin.post(f"/admin/repeat-aliases/{delete}/delete")
    assert gone.status_code == 200 and 'data-alias="跑账"' not in text(gone)
    assert {"repeat_alias_added", "repeat_alias_deleted"} <= set(actions(runtime))
