"""Petition intake through HTTP: registration, masking and the audited reveal, the repeat check
and its undo, classification, acceptance notice and sealed forwarding."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.api_client import deploy_processes

ROOT = Path(__file__).resolve().parents[2]
REAL_NAME = {"anonymous": False, "name": "王小明", "id_number": "330481199001011234",
             "phone": "13812345678", "address": "浙江省海宁市甲镇东村5组12号"}


def petition(**over) -> dict:
    body = {"channel": "letter", "received_at": "2026-03-02T09:00:00+08:00",
            "reporter": REAL_NAME,
            "accused": [{"name": "李四", "post": "村委会主任", "unit": "东村村委会",
                         "level": "village"}],
            "township": "town-a", "village": "东村", "category": "welfare_funds",
            "content": "东村村委会主任李四虚报低保户名单，套取低保资金。"}
    body.update(over)
    return body


@pytest.fixture
def intake(api):
    deploy_processes(api)
    return api


def register(api, **over) -> dict:
    resp = api.as_("clerk").post("/petitions", json=petition(**over))
    assert resp.status == 201, resp.json
    return resp.json


def inbox(api, user="clerk") -> list[dict]:
    return api.as_(user).get("/tasks").json["items"]


def task_of(api, case_id, element_id, user="clerk") -> dict:
    found = [t for t in inbox(api, user) if t["case_id"] == case_id and
             t["element_id"] == element_id]
    assert found, [(t["case_id"], t["element_id"]) for t in inbox(api, user)]
    return found[0]


def history(api, case_id, user="chief") -> list[str]:
    return [e["action"] for e in api.as_(user).get(f"/cases/{case_id}/history").json]


def test_registration_numbers_the_petition_and_masks_the_reporter(intake):
    created = register(intake)
    assert created["number"].startswith("petition-office-2026-")
    assert created["status"] == "registered"
    shown = intake.as_("clerk").get(f"/petitions/{created['id']}").json
    assert shown["reporter"] == {"anonymous": False, "name": "王**", "id_number": "33**************34",
                                 "phone": "138****5678", "address": "浙江省海宁市****",
                                 "masked": True}
    assert shown["township"] == "town-a" and shown["first_time"] is True
    assert shown["accused"][0]["name"] == "李四"
    (task,) = inbox(intake)
    assert (task["element_id"], task["candidate_unit"]) == ("repeat_check", "petition-office")
    assert task["case_number"].startswith("petition-office-2026-C")
    case = intake.as_("clerk").get(f"/cases/{created['case_id']}").json
    deadlines = {d["key"]: d for d in case["deadlines"]}
    assert deadlines["acceptance_notice"]["status"] == "open"
    assert deadlines["forward_elsewhere"]["status"] == "open"
    # Nothing identifying the reporter is in the audit trail.
    trail = str(intake.as_("chief").get(f"/cases/{created['case_id']}/history").json)
    assert "王小明" not in trail and "13812345678" not in trail


def test_invalid_petitions_get_field_errors(intake):
    resp = intake.as_("clerk").post("/petitions", json=petition(channel="fax", township="nowhere",
                                                                reporter={"anonymous": False}))
    assert resp.status == 422
    assert "channel" in resp.json["error"]["fields"]
    resp = intake.as_("clerk").post("/petitions", json=petition(township="county",
                                                                reporter={"anonymous": False}))
    assert resp.status == 422
    assert set(resp.json["error"]["fields"]) == {"township", "reporter.name"}
    assert intake.as_("a-worker").post("/petitions", json=petition()).status == 403


def test_the_reveal_is_allowed_by_role_and_audited(intake):
    created = register(intake)
    pid = created["id"]
    assert intake.as_("clerk").post(f"/petitions/{pid}/reveal", json={"reason": ""}).status == 422
    shown = intake.as_("clerk").post(f"/petitions/{pid}/reveal", json={"reason": "电话回访核实身份"})
    assert shown.status == 200 and shown.json["name"] == "王小明"
    assert shown.json["phone"] == "13812345678"
    for user in ("a-worker", "reviewer", "admin", "designer", "d-worker"):
        assert intake.as_(user).post(f"/petitions/{pid}/reveal",
                                     json={"reason": "x"}).status in (403, 404), user
    assert intake.as_("chief").post(f"/petitions/{pid}/reveal", json={"reason": "督办"}).status == 200
    events = intake.as_("chief").get(f"/cases/{created['case_id']}/history").json
    reveals = [e for e in events if e["action"] == "reporter_revealed"]
    assert [(e["actor"], e["detail"]["reason"]) for e in reveals] == [
        ("clerk", "电话回访核实身份"), ("chief", "督办")]


def classify(api, case_id, **data):
    task = task_of(api, case_id, "classify")
    body = {"in_scope": True, "concerns_official": True, "category": "welfare_funds",
            "first_handling_unit": "town-a"}
    body.update(data)
    resp = api.as_("clerk").complete(task, body)
    assert resp.status == 200, resp.json
    return resp.json


def test_a_first_time_petition_in_scope_gets_an_acceptance_notice(intake):
    created = register(intake)
    case_id = created["case_id"]
    done = intake.as_("clerk").complete(task_of(intake, case_id, "repeat_check"),
                                        {"is_repeat": False})
    assert [t["element_id"] for t in done.json["next_tasks"]] == ["classify"]
    bad = intake.as_("clerk").complete(task_of(intake, case_id, "classify"),
                                       {"in_scope": True, "first_handling_unit": "nowhere"})
    assert bad.status == 422 and "first_handling_unit" in bad.json["error"]["fields"]
    result = classify(intake, case_id)
    (notice,) = result["next_tasks"]
    assert notice["element_id"] == "acceptance_notice"
    assert notice["deadline_key"] == "acceptance_notice" and notice["warning"] == "green"
    case = intake.as_("chief").get(f"/cases/{case_id}").json
    deadlines = {d["key"]: d["status"] for d in case["deadlines"]}
    assert deadlines == {"acceptance_notice": "open", "forward_elsewhere": "cancelled"}
    assert intake.as_("clerk").complete(notice, {"method": "phone"}).status == 200
    case = intake.as_("chief").get(f"/cases/{case_id}").json
    assert {d["key"]: d["status"] for d in case["deadlines"]}["acceptance_notice"] == "met"
    assert "petition_classified" in history(intake, case_id)
    assert "reporter_notified" in history(intake, case_id)


def test_an_anonymous_report_has_no_acceptance_notice(intake):
    created = register(intake, reporter={"anonymous": True})
    case_id = created["case_id"]
    intake.as_("clerk").complete(task_of(intake, case_id, "repeat_check"), {"is_repeat": False})
    result = classify(intake, case_id)
    # No acceptance notice: the clue goes straight to the first-handling unit's disposition.
    assert [t["element_id"] for t in result["next_tasks"]] == ["propose_disposition"]
    case = intake.as_("chief").get(f"/cases/{case_id}").json
    assert {d["key"]: d["status"] for d in case["deadlines"]}["acceptance_notice"] == \
        "not_applicable"
    shown = intake.as_("clerk").get(f"/petitions/{created['id']}").json
    assert shown["reporter"] == {"anonymous": True}


def test_a_confirmed_repeat_is_merged_and_the_link_can_be_undone(intake):
    first = register(intake)
    second = register(intake, channel="phone", content="李四 虚报低保，套取低保资金！")
    task = task_of(intake, second["case_id"], "repeat_check")
    wrong = intake.as_("clerk").complete(task, {"is_repeat": True, "original_number": "nope"})
    assert wrong.status == 422
    done = intake.as_("clerk").complete(task, {"is_repeat": True,
                                               "original_number": first["number"]})
    assert done.status == 200 and done.json["next_tasks"] == []
    case = intake.as_("chief").get(f"/cases/{second['case_id']}").json
    assert case["status"] == "merged"
    assert {d["key"]: d["status"] for d in case["deadlines"]} == {
        "acceptance_notice": "not_applicable", "forward_elsewhere": "cancelled"}
    shown = intake.as_("clerk").get(f"/petitions/{second['id']}").json
    assert shown["repeat_of"] == first["id"] and shown["first_time"] is False
    assert "repeat_confirmed" in history(intake, second["case_id"])
    assert "repeat_linked" in history(intake, first["case_id"])

    undone = intake.as_("clerk").delete(f"/petitions/{second['id']}/repeat-of")
    assert undone.status == 200, undone.json
    assert undone.json["repeat_of"] is None and undone.json["first_time"] is True
    case = intake.as_("chief").get(f"/cases/{second['case_id']}").json
    assert case["status"] == "open"
    assert [t["element_id"] for t in case["current_tasks"]] == ["classify"]
    assert "repeat_undone" in history(intake, second["case_id"])
    assert intake.as_("clerk").delete(f"/petitions/{second['id']}/repeat-of").status == 422


def test_a_repeat_linked_through_the_api_ends_its_intake(intake):
    first = register(intake)
    second = register(intake)
    resp = intake.as_("clerk").post(f"/petitions/{second['id']}/repeat-of",
                                    json={"petition_id": first["id"]})
    assert resp.status == 200 and resp.json["repeat_of"] == first["id"]
    case = intake.as_("chief").get(f"/cases/{second['case_id']}").json
    assert case["status"] == "merged" and case["current_tasks"] == []
    assert intake.as_("a-worker").post(f"/petitions/{second['id']}/repeat-of",
                                       json={"petition_id": first["id"]}).status == 403


def test_a_sealed_forward_keeps_only_the_fact_of_forwarding(intake):
    created = register(intake)
    case_id = created["case_id"]
    intake.as_("clerk").complete(task_of(intake, case_id, "repeat_check"), {"is_repeat": False})
    result = classify(intake, case_id, in_scope=False)
    (forward,) = result["next_tasks"]
    assert forward["element_id"] == "forward" and forward["deadline_key"] == "forward_elsewhere"
    done = intake.as_("clerk").complete(forward, {"forwarded_to": "市纪委监委", "sealed": True})
    (notify,) = done.json["next_tasks"]
    assert notify["element_id"] == "notify_forward"
    shown = intake.as_("chief").get(f"/petitions/{created['id']}").json
    assert shown["sealed"] is True and shown["content"] == "" and shown["accused"] == []
    assert shown["forwarded_to"] == "市纪委监委" and shown["status"] == "forwarded"
    case = intake.as_("chief").get(f"/cases/{case_id}").json
    assert {d["key"]: d["status"] for d in case["deadlines"]} == {
        "acceptance_notice": "not_applicable", "forward_elsewhere": "met"}
    events = intake.as_("chief").get(f"/cases/{case_id}/history").json
    forwarded = [e for e in events if e["action"] == "petition_forwarded"]
    assert forwarded[0]["detail"] == {"petition": created["number"], "to": "市纪委监委",
                                      "sealed": True}
    assert "低保" not in str(events)


def test_repeat_suggestions_rank_the_same_matter_first(intake):
    original = register(intake)
    other_person = register(intake, accused=[{"name": "赵六", "post": "村会计", "level": "village"}],
                            content="东村会计赵六挪用集体资金用于赌博。", category="gambling")
    same_person_other_matter = register(
        intake, content="李四在村道硬化工程招投标中收受施工方好处费。",
        category="construction_bidding")
    query = petition(channel="visit", content="反映李四 虚报低保名单、套取低保金的问题",
                     accused=[{"name": "李 四", "post": "村主任", "level": "village"}])
    resp = intake.as_("clerk").post("/petitions/repeat-check", json=query)
    assert resp.status == 200, resp.json
    assert resp.json[0]["petition_id"] == original["id"]
    assert resp.json[0]["number"] == original["number"]
    assert resp.json[0]["case_id"] == original["case_id"]
    assert other_person["id"] not in [c["petition_id"] for c in resp.json]
    ranked = [c["petition_id"] for c in resp.json]
    if same_person_other_matter["id"] in ranked:
        assert ranked.index(same_person_other_matter["id"]) > 0
    # Nothing was saved by the check.
    again = register(intake, channel="visit", content="反映李四虚报低保名单、套取低保金。")
    candidates = intake.as_("clerk").get(f"/petitions/{again['id']}/repeat-candidates").json
    assert candidates[0]["petition_id"] == original["id"]
    assert again["id"] not in [c["petition_id"] for c in candidates]
    assert intake.as_("a-worker").post("/petitions/repeat-check", json=query).status == 403


def test_a_merged_petition_is_never_suggested_its_original_is(intake):
    original = register(intake)
    repeat = register(intake)
    intake.as_("clerk").post(f"/petitions/{repeat['id']}/repeat-of",
                             json={"petition_id": original["id"]})
    hits = intake.as_("clerk").post("/petitions/repeat-check", json=petition()).json
    ids = [h["petition_id"] for h in hits]
    assert ids[0] == original["id"] and repeat["id"] not in ids


def test_a_repeat_goes_back_to_the_first_handling_unit(intake):
    first = register(intake)
    intake.as_("clerk").complete(task_of(intake, first["case_id"], "repeat_check"),
                                 {"is_repeat": False})
    classify(intake, first["case_id"], concerns_official=False, first_handling_unit="town-a")
    repeat = register(intake, channel="visit")
    done = intake.as_("clerk").complete(task_of(intake, repeat["case_id"], "repeat_check"),
                                        {"is_repeat": True, "original_number": first["number"]})
    assert done.status == 200
    notes = intake.as_("a-head").get("/notifications").json
    assert notes["unread"] == 1 and notes["items"][0]["kind"] == "repeat_received"
    assert notes["items"][0]["case_id"] == first["case_id"]
    assert repeat["display_number"] in notes["items"][0]["message"]
