"""Administration through HTTP: units, users and the transfer of their tasks, who may take a
task (recusal respected), lane mapping, calendar preview and apply, the deadline table."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.audit.models import AuditEvent
from engine.cases import service as cases
from engine.org import service as org
from engine.org.models import Unit
from tests.api_client import deploy_processes
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[2]
CALENDAR_2027 = ROOT / "tests" / "fixtures" / "calendar-2027.yaml"
PETITION = {"channel": "letter", "received_at": "2026-03-02T09:00:00+08:00",
            "reporter": {"anonymous": True},
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}


def actions(runtime) -> list[str]:
    return runtime.read(lambda uow: list(uow.session.scalars(
        select(AuditEvent.action).order_by(AuditEvent.id))))


def units(api) -> dict[str, dict]:
    resp = api.as_("admin").get("/admin/units")
    assert resp.status == 200, resp.json
    return {u["code"]: u for u in resp.json}


def new_user(api, username, roles, unit="petition-office"):
    resp = api.as_("admin").post("/admin/users", json={
        "username": username, "display_name": f"{username} 名", "unit": unit, "roles": roles,
        "password": "Secret-one-2026"})
    assert resp.status == 201, resp.json
    return resp.json


@pytest.fixture
def petition_task(api):
    """A registered petition (accused 李四) whose first task waits at the petition office."""
    deploy_processes(api)
    resp = api.as_("clerk").post("/petitions", json=PETITION)
    assert resp.status == 201, resp.json
    (task,) = [t for t in api.as_("clerk").get("/tasks").json["items"]
               if t["case_id"] == resp.json["case_id"]]
    return task


def test_only_administrators_administer(api):
    for path in ("/admin/units", "/admin/users", "/admin/lanes", "/admin/calendars",
                 "/admin/deadline-config"):
        assert api.as_("chief").get(path).status == 403, path
    assert api.as_("chief").post("/admin/units", json={
        "code": "x", "name": "x", "kind": "office", "parent": "county"}).status == 403
    assert api.as_("admin").get("/admin/users").status == 200


def test_units_are_created_renamed_moved_and_retired(api, runtime):
    admin = api.as_("admin")
    listed = units(api)
    assert listed["town-a"]["parent"] == "zone-east" and listed["city"]["parent"] is None
    codes = list(listed)
    assert codes.index("zone-east") < codes.index("town-a")  # tree order
    resp = admin.post("/admin/units", json={"code": "town-g", "name": "庚镇纪委",
                                            "kind": "township", "parent": "zone-east"})
    assert resp.status == 201 and resp.json["parent"] == "zone-east", resp.json
    assert admin.post("/admin/units", json={"code": "g-village", "name": "庚村",
                                            "kind": "village", "parent": "town-g"}).status == 201
    assert admin.post("/admin/units", json={"code": "town-g", "name": "重复", "kind": "township",
                                            "parent": "zone-east"}).status == 422
    assert admin.post("/admin/units", json={"code": "y", "name": "y", "kind": "planet",
                                            "parent": "county"}).status == 422

    resp = admin.patch("/admin/units/town-g", json={"name": "庚镇纪委(新)"})
    assert resp.status == 200 and resp.json["name"] == "庚镇纪委(新)"
    resp = admin.patch("/admin/units/town-g", json={"parent": "zone-west"})
    assert resp.status == 200 and resp.json["parent"] == "zone-west"
    # The whole subtree's materialised path follows the move.
    paths = runtime.read(lambda uow: dict(uow.session.execute(
        select(Unit.code, Unit.path)).all()))
    assert paths["g-village"].startswith(paths["town-g"])
    assert paths["town-g"].startswith(paths["zone-west"])
    assert units(api)["g-village"]["depth"] == units(api)["town-d"]["depth"] + 1
    # Never below its own subtree.
    resp = admin.patch("/admin/units/town-g", json={"parent": "g-village"})
    assert resp.status == 422 and "parent" in resp.json["error"]["fields"]
    assert admin.patch("/admin/units/zone-west", json={"parent": "town-g"}).status == 422

    # A unit with active users below it cannot be retired.
    new_user(api, "g-worker", ["caseworker"], unit="g-village")
    resp = admin.post("/admin/units/town-g/retire")
    assert resp.status == 409 and "g-worker" in resp.json["error"]["message"]
    assert admin.post("/admin/users/g-worker/deactivate", json={}).status == 200
    resp = admin.post("/admin/units/town-g/retire")
    assert resp.status == 200 and resp.json["active"] is False
    after = units(api)
    assert after["g-village"]["active"] is False and after["town-d"]["active"] is True
    assert admin.post("/admin/units", json={"code": "z", "name": "z", "kind": "village",
                                            "parent": "town-g"}).status == 422
    done = actions(runtime)
    for action in ("unit_created", "unit_renamed", "unit_moved", "unit_retired",
                   "user_deactivated"):
        assert action in done, action


def test_retiring_a_unit_with_open_tasks_is_refused(api, runtime, petition_task):
    resp = api.as_("admin").post("/admin/units/petition-office/retire")
    assert resp.status == 409
    assert "open task" in resp.json["error"]["message"]
    assert units(api)["petition-office"]["active"] is True
    assert "unit_retired" not in actions(runtime)


def test_users_are_created_edited_given_passwords(api, runtime):
    admin = api.as_("admin")
    created = new_user(api, "clerk2", ["intake_clerk", "caseworker"])
    assert created["roles"] == ["caseworker", "intake_clerk"] and created["active"] is True
    assert admin.post("/admin/users", json={"username": "clerk2", "unit": "town-a",
                                            "roles": ["caseworker"],
                                            "password": "Secret-one-2026"}).status == 422
    assert admin.post("/admin/users", json={"username": "x1", "unit": "town-a", "roles": ["wizard"],
                                            "password": "Secret-one-2026"}).status == 422
    assert admin.post("/admin/users", json={"username": "x2", "unit": "nowhere",
                                            "roles": ["caseworker"],
                                            "password": "Secret-one-2026"}).status == 422
    resp = admin.patch("/admin/users/clerk2", json={"display_name": "新名字", "unit": "town-a",
                                                    "roles": ["caseworker", "supervisor"]})
    assert resp.status == 200, resp.json
    assert (resp.json["display_name"], resp.json["unit"], resp.json["roles"]) == \
        ("新名字", "town-a", ["caseworker", "supervisor"])
    listed = {u["username"]: u for u in admin.get("/admin/users").json}
    assert listed["clerk2"]["roles"] == ["caseworker", "supervisor"]
    assert "password_hash" not in listed["clerk2"]

    assert admin.post("/admin/users/clerk2/password", json={"password": "New-pass-2026"}).status == 200
    user = runtime.read(lambda uow: org.authenticate(uow.session, "clerk2", "New-pass-2026"))
    assert user.username == "clerk2"
    done = actions(runtime)
    assert {"user_created", "user_updated", "user_password_reset"} <= set(done)
    trail = str(runtime.read(lambda uow: [e.detail for e in uow.session.scalars(
        select(AuditEvent))]))
    assert "New-pass-2026" not in trail and "Secret-one-2026" not in trail


def test_eligible_assignees_respect_recusal_and_reassigning_a_recused_user_fails(
        api, runtime, petition_task):
    new_user(api, "clerk2", ["intake_clerk", "caseworker"])
    new_user(api, "clerk3", ["intake_clerk"])
    resp = api.as_("admin").post("/relations", json={
        "username": "clerk3", "person_name": "李四", "person_kind": "accused",
        "relation": "kin", "reason": "表兄弟"})
    assert resp.status == 201, resp.json
    path = f"/tasks/{petition_task['id']}/eligible-assignees"
    resp = api.as_("chief").get(path)
    assert resp.status == 200, resp.json
    names = [u["username"] for u in resp.json]
    assert names == ["clerk", "clerk2"]  # not recused clerk3, not the joint reviewer there
    assert resp.json[0]["unit"] == "petition-office" and "intake_clerk" in resp.json[0]["roles"]
    assert api.as_("a-worker").get(path).status == 403
    assert api.as_("a-head").get(path).status == 403  # not over the petition office
    assert api.as_("chief").get("/tasks/nope/eligible-assignees").status == 404

    resp = api.as_("chief").post(f"/tasks/{petition_task['id']}/reassign",
                                 json={"assignee": "clerk3", "reason": "试试"})
    assert resp.status == 422
    resp = api.as_("chief").post(f"/tasks/{petition_task['id']}/reassign",
                                 json={"assignee": "clerk2", "reason": "分工"})
    assert resp.status == 200 and resp.json["assignee"] == "clerk2"


def test_deactivating_a_user_transfers_their_tasks(api, runtime, petition_task):
    admin = api.as_("admin")
    new_user(api, "clerk2", ["intake_clerk"])
    new_user(api, "clerk3", ["intake_clerk"])
    api.as_("admin").post("/relations", json={"username": "clerk3", "person_name": "李四",
                                              "person_kind": "accused", "relation": "kin"})
    task_id = petition_task["id"]
    assert api.as_("clerk").post(f"/tasks/{task_id}/claim", json={}).status == 200

    # Refused while a held task is not transferred: nothing changes.
    resp = admin.post("/admin/users/clerk/deactivate", json={})
    assert resp.status == 409
    assert task_id in resp.json["error"]["fields"]["transfers"]
    assert resp.json["error"]["details"][0]["task_id"] == task_id
    # Each target must be eligible: not recused, right unit and role.
    resp = admin.post("/admin/users/clerk/deactivate",
                      json={"transfers": [{"task_id": task_id, "to": "clerk3"}]})
    assert resp.status == 422 and "transfers" in resp.json["error"]["fields"]
    assert admin.post("/admin/users/clerk/deactivate", json={"all_to": "a-worker"}).status == 422
    assert admin.post("/admin/users/clerk/deactivate",
                      json={"transfers": [{"task_id": "other", "to": "clerk2"}]}).status == 422
    assert api.as_("clerk").get("/tasks").status == 200  # still active

    resp = admin.post("/admin/users/clerk/deactivate",
                      json={"transfers": [{"task_id": task_id, "to": "clerk2"}]})
    assert resp.status == 200, resp.json
    assert resp.json["user"]["active"] is False
    assert resp.json["transferred"] == [{"task_id": task_id, "to": "clerk2"}]
    task = api.as_("chief").get(f"/tasks/{task_id}").json
    assert task["assignee"] == "clerk2" and task["version"] > petition_task["version"]
    # The deactivated user's token stops working at once; they never appear as eligible.
    assert api.as_("clerk").get("/tasks").status == 401
    names = [u["username"] for u in api.as_("chief").get(
        f"/tasks/{task_id}/eligible-assignees").json]
    assert names == ["clerk2"]
    history = [e["action"] for e in api.as_("chief").get(
        f"/cases/{petition_task['case_id']}/history").json]
    assert "task_transferred" in history
    assert "user_deactivated" in actions(runtime)
    assert admin.post("/admin/users/clerk/deactivate", json={}).status == 409
    # Administrators still never see case contents.
    assert admin.get(f"/cases/{petition_task['case_id']}").status == 403


def test_open_tasks_list_who_may_take_each_over_recusal_respected(api, runtime, petition_task):
    new_user(api, "clerk2", ["intake_clerk"])
    new_user(api, "clerk3", ["intake_clerk"])
    new_user(api, "clerk4", ["intake_clerk"], unit="town-a")  # right role, wrong unit
    api.as_("admin").post("/relations", json={"username": "clerk3", "person_name": "李四",
                                              "person_kind": "accused", "relation": "kin"})
    assert api.as_("clerk").post(f"/tasks/{petition_task['id']}/claim", json={}).status == 200
    resp = api.as_("admin").get("/admin/users/clerk/open-tasks")
    assert resp.status == 200, resp.json
    (task,) = resp.json["tasks"]
    assert task["task_id"] == petition_task["id"] and task["case_number"]
    assert [u["username"] for u in task["eligible"]] == ["clerk2"]
    assert [u["username"] for u in resp.json["all_to"]] == ["clerk2"]
    assert api.as_("admin").get("/admin/users/clerk2/open-tasks").json["tasks"] == []
    assert api.as_("chief").get("/admin/users/clerk/open-tasks").status == 403
    assert api.as_("admin").get("/admin/users/nobody/open-tasks").status == 404


def test_relations_are_listed_added_and_ended_by_an_administrator_with_who_and_why(api, runtime):
    admin = api.as_("admin")
    resp = admin.post("/relations", json={"username": "a-worker", "person_name": "张三",
                                          "person_kind": "reporter", "relation": "spouse",
                                          "reason": "配偶关系，本人申报"})
    assert resp.status == 201, resp.json
    declared = resp.json
    assert (declared["username"], declared["declared_by"], declared["status"]) == \
        ("a-worker", "admin", "active")
    assert declared["reason"] == "配偶关系，本人申报"
    assert admin.post("/relations", json={"username": "a-worker", "person_name": "张三",
                                          "person_kind": "cousin", "relation": "x"}).status == 422
    listed = {r["id"]: r for r in admin.get("/relations").json}
    assert listed[declared["id"]]["declared_by"] == "admin"
    # The user sees their own relation; another caseworker does not see it.
    assert declared["id"] in [r["id"] for r in api.as_("a-worker").get("/relations").json]
    assert declared["id"] not in [r["id"] for r in api.as_("b-worker").get("/relations").json]
    why = {"reason": "已离婚，关系不再存在"}
    assert api.as_("b-worker").post(f"/relations/{declared['id']}/end", json=why).status == 403
    # Lifting a recusal takes a reason: none, or only blanks, is refused and changes nothing.
    for body in ({}, {"reason": ""}, {"reason": "   "}):
        refused = admin.post(f"/relations/{declared['id']}/end", json=body)
        assert refused.status == 422 and "reason" in refused.json["error"]["fields"], body
    assert {r["id"]: r for r in admin.get("/relations").json}[declared["id"]]["status"] == "active"
    ended = admin.post(f"/relations/{declared['id']}/end", json=why)
    assert ended.status == 200 and ended.json["status"] == "ended" and ended.json["ended_at"]
    assert ended.json["end_reason"] == why["reason"]
    assert admin.post(f"/relations/{declared['id']}/end", json=why).status == 422  # ended
    assert admin.post("/relations/999999/end", json=why).status == 404
    assert {"relation_declared", "relation_ended"} <= set(actions(runtime))
    detail = runtime.read(lambda uow: uow.session.scalar(
        select(AuditEvent.detail).where(AuditEvent.action == "relation_ended")))
    assert detail == {"relation_id": declared["id"], "reason": why["reason"]}


def test_administrators_never_see_case_contents(api, petition_task):
    admin = api.as_("admin")
    case_id = petition_task["case_id"]
    assert admin.get("/tasks").json["items"] == []
    for path in (f"/cases/{case_id}", f"/tasks/{petition_task['id']}",
                 f"/cases/{case_id}/history"):
        assert admin.get(path).status in (403, 404), path
    # What administration shows of a task is its name and the case number, never the content.
    admin.post("/admin/users", json={"username": "clerk2", "unit": "petition-office",
                                     "roles": ["intake_clerk"], "password": "Secret-one-2026"})
    api.as_("clerk").post(f"/tasks/{petition_task['id']}/claim", json={})
    body = str(admin.get("/admin/users/clerk/open-tasks").json)
    assert "李四" not in body and "低保" not in body


def test_deactivating_with_all_tasks_to_one_user(api, runtime, petition_task):
    new_user(api, "clerk2", ["intake_clerk"])
    assert api.as_("clerk").post(f"/tasks/{petition_task['id']}/claim", json={}).status == 200
    resp = api.as_("admin").post("/admin/users/clerk/deactivate", json={"all_to": "clerk2"})
    assert resp.status == 200, resp.json
    assert [t["to"] for t in resp.json["transferred"]] == ["clerk2"]
    assert api.as_("admin").post("/admin/users/admin/deactivate", json={}).status == 422


def test_lane_mapping_is_shown_with_warnings_for_unmapped_lanes(api):
    deploy_processes(api)
    assert api.as_("designer").deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201
    resp = api.as_("admin").get("/admin/lanes")
    assert resp.status == 200, resp.json
    by_key = {(p["key"], p["version"]): p for p in resp.json}
    intake = by_key[("petition_intake", 1)]
    (clerk_lane,) = [lane for lane in intake["lanes"] if lane["lane"] == "登记人员"
                     and lane["process"] == "petition_intake"]
    assert clerk_lane["mapped"] is True and clerk_lane["role"] == "intake_clerk"
    assert clerk_lane["unit_from"] == "registering_unit" and clerk_lane["tasks"]
    notice = by_key[("notice", 1)]
    assert notice["warnings"] == len(notice["lanes"]) > 0
    assert all(lane["mapped"] is False and lane["warning"] for lane in notice["lanes"])


def test_deadline_table_is_the_effective_configuration(api):
    resp = api.as_("admin").get("/admin/deadline-config")
    assert resp.status == 200
    table = {row["key"]: row for row in resp.json}
    notice = table["acceptance_notice"]
    assert (notice["amount"], notice["unit"], notice["extendable"]) == (15, "working_days", False)
    assert notice["basis"] and notice["starts"]
    assert table["verification_report"]["extendable"] is True


def test_calendar_preview_changes_nothing_then_apply_moves_the_open_deadline(api, runtime):
    runtime.clock.set(datetime.fromisoformat("2026-12-28T10:00:00+08:00"))
    assert api.as_("designer").deploy((FIXTURES / "notice.bpmn").read_bytes()).status == 201

    def open_case(uow):
        clerk = org.get_user(uow.session, "clerk")
        return cases.open_case(uow, runtime=runtime, process_key="notice", data={}, user=clerk,
                               deadlines_started=[{"key": "acceptance_notice",
                                                   "started_at": runtime.clock.now()}]).id
    case_id = runtime.transact(open_case)

    def due():
        (row,) = [d for d in api.as_("clerk").get(f"/cases/{case_id}").json["deadlines"]
                  if d["key"] == "acceptance_notice"]
        return row["due_at"]
    assert due() == "2027-01-18T23:59:59+08:00"  # weekends only: 2027 is not known yet
    admin = api.as_("admin")
    status = admin.get("/admin/calendars").json
    assert status["warning"] and 2027 not in [y["year"] for y in status["loaded_years"]]
    before = actions(runtime)

    # Preview (multipart upload): what would move and by how much; nothing changes.
    with CALENDAR_2027.open("rb") as fh:
        resp = admin.client.post("/api/v1/admin/calendars/preview",
                                 data={"file": (fh, "calendar-2027.yaml")},
                                 content_type="multipart/form-data", headers=admin._headers())
    preview = resp.get_json()
    assert resp.status_code == 200, preview
    assert (preview["year"], preview["count"], preview["applied"]) == (2027, 1, False)
    assert preview["days"] > 20
    (moved,) = preview["moved"]
    assert (moved["key"], moved["case_id"]) == ("acceptance_notice", case_id)
    assert moved["from"] == "2027-01-18T23:59:59+08:00"
    assert moved["to"] == "2027-01-19T23:59:59+08:00" and moved["shift_days"] == 1
    assert moved["shift_seconds"] == 86400
    assert due() == "2027-01-18T23:59:59+08:00"
    assert not {"calendar_loaded", "deadline_recomputed"} & set(actions(runtime)[len(before):])
    assert admin.get("/admin/calendars").json["warning"]
    # The JSON form of the preview gives the same answer.
    body = {"file_name": "calendar-2027.yaml", "text": CALENDAR_2027.read_text()}
    again = admin.post("/admin/calendars/preview", json=body)
    assert again.status == 200 and again.json["count"] == 1
    assert admin.post("/admin/calendars/preview", json={"file_name": "x.yaml",
                                                        "text": "year: 2027\n"}).status == 422
    assert api.as_("chief").post("/admin/calendars/preview", json=body).status == 403

    resp = admin.post("/admin/calendars", json=body)
    assert resp.status == 201, resp.json
    assert resp.json["applied"] is True and resp.json["count"] == 1
    assert due() == "2027-01-19T23:59:59+08:00"
    status = admin.get("/admin/calendars").json
    assert status["warning"] is None
    assert [y["source"] for y in status["loaded_years"] if y["year"] == 2027] == \
        ["calendar-2027.yaml"]
    assert {"calendar_loaded", "deadline_recomputed"} <= set(actions(runtime))
