"""The case record (issue 20 point 1) through HTTP on both databases: a proposal, its approval
sent back with an opinion, a 督办 reason, a 批示 and a reassignment reason, each in the users'
words with who and when; the reporter masked wherever a step's text names them."""
from __future__ import annotations

import pytest

from tests.api_client import deploy_processes
from tests.e2e.test_attachments import PDF, upload
from tests.e2e.test_clue_paths import REPORTER, complete, open_clue, task


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files")}}


@pytest.fixture(autouse=True)
def deployed(api):
    deploy_processes(api)


def steps(record: dict) -> list[dict]:
    return [e for e in record["entries"] if e["kind"] == "step"]


def answers(entry: dict) -> dict:
    return {a["label"]: a["value"] for a in entry["answers"]}


def test_the_approver_sees_the_proposal_and_the_worker_the_opinion_it_was_sent_back_with(api):
    case_id = open_clue(api)
    complete(api, "a-worker", case_id, "propose_disposition",
             {"disposition": "verification",
              "disposition_reason": f"举报人{REPORTER['name']}（{REPORTER['phone']}）反映具体，可查性强"})
    approval = task(api, "a-head", case_id, "approve_disposition")
    shown = api.as_("a-head").get(f"/tasks/{approval['id']}")
    assert shown.status == 200, shown.json
    record = shown.json["record"]
    assert record["focus"]["kind"] == "approval"
    # The approval's decision is the form's `approved` field: 同意 / 退回 on the page.
    assert shown.json["decision"] == {"field": "approved", "label": "是否同意", "no": "send_back"}
    proposal = record["focus"]["entry"]
    assert proposal["task"] == "拟定处置意见" and proposal["actor"] == "甲镇承办人"
    assert proposal["at"].startswith("2026-")
    # Labels of the form, the option by its name, the reporter masked in the free text.
    assert answers(proposal) == {"处置方式": "初步核实",
                                 "处置理由": "举报人王**（138****5678）反映具体，可查性强"}
    assert REPORTER["name"] not in str(record) and REPORTER["phone"] not in str(record)
    # The earlier steps are there too, under their labels.
    names = [e["task"] for e in steps(record)]
    assert names[-1] == "拟定处置意见" and "分类研判" in names
    classified = next(e for e in steps(record) if e["task"] == "分类研判")
    by_field = {a["field"]: a["value"] for a in classified["answers"]}
    assert by_field["first_handling_unit"] == "甲镇纪委"  # a chosen unit by its name
    assert by_field["in_scope"] is True

    complete(api, "a-head", case_id, "approve_disposition",
             {"approved": False, "comment": "理由不充分，请补充线索来源"})
    again = task(api, "a-worker", case_id, "propose_disposition")
    shown = api.as_("a-worker").get(f"/tasks/{again['id']}").json
    assert shown["decision"] is None  # drafting is no approval
    record = shown["record"]
    assert record["focus"]["kind"] == "returned"
    returned = record["focus"]["entry"]
    assert returned["approved"] is False and returned["actor"] == "甲镇纪委书记"
    assert answers(returned) == {"是否同意": False, "审批意见": "理由不充分，请补充线索来源"}

    # The case's record is the same read, for whoever may see the case.
    whole = api.as_("a-head").get(f"/cases/{case_id}/record")
    assert whole.status == 200
    assert whole.json["entries"] == [{k: v for k, v in e.items()}
                                     for e in record["entries"]]
    assert api.as_("b-worker").get(f"/cases/{case_id}/record").status in (403, 404)


def test_supervisors_instructions_and_a_reassignment_reason_reach_the_holder(api):
    case_id = open_clue(api)
    proposal = task(api, "a-worker", case_id, "propose_disposition")
    assert api.as_("a-worker").post(f"/tasks/{proposal['id']}/claim", json={}).status == 200
    assert api.as_("a-head").post(f"/cases/{case_id}/supervised",
                                  json={"reason": "群众反映强烈，限期报结"}).status == 200
    given = api.as_("a-head").post(f"/cases/{case_id}/instructions",
                                   json={"text": "请本周内提出处置意见，注意保护举报人王小明"})
    assert given.status == 201, given.json
    assert api.as_("a-worker").post(f"/cases/{case_id}/instructions",
                                    json={"text": "我也批示"}).status == 403
    empty = api.as_("a-head").post(f"/cases/{case_id}/instructions", json={"text": ""})
    assert empty.status == 422
    moved = api.as_("a-head").post(f"/tasks/{proposal['id']}/reassign",
                                   json={"assignee": "a-worker2", "reason": "原承办人出差"})
    assert moved.status == 200, moved.json

    record = api.as_("a-worker2").get(f"/tasks/{proposal['id']}").json["record"]
    said = [(e["kind"], e["actor"], e["text"]) for e in record["instructions"]]
    assert said == [("supervised", "甲镇纪委书记", "群众反映强烈，限期报结"),
                    ("instruction", "甲镇纪委书记", "请本周内提出处置意见，注意保护举报人王**"),
                    ("reassigned", "甲镇纪委书记", "原承办人出差")]
    reassigned = record["instructions"][-1]
    assert reassigned["from"] == "甲镇承办人" and reassigned["to"] != "a-worker2"
    history = api.as_("a-head").get(f"/cases/{case_id}/history").json
    assert [e["detail"]["text"] for e in history if e["action"] == "case_instructed"] == \
        ["请本周内提出处置意见，注意保护举报人王小明"]  # the audit keeps what was written


def test_attached_files_are_in_the_record_and_one_identifying_the_reporter_is_not_named(api):
    case_id = open_clue(api)
    status, plain = upload(api, "a-worker", case_id, PDF, "走访记录.pdf")
    assert status == 201, plain
    status, secret = upload(api, "a-worker", case_id, PDF, "王小明身份证.pdf",
                            identifies_reporter="true")
    assert status == 201, secret
    record = api.as_("a-head").get(f"/cases/{case_id}/record").json
    files = [e for e in record["entries"] if e["kind"] == "file"]
    assert [(e["file"]["id"], e["file"]["file_name"], e["actor"]) for e in files] == [
        (plain["id"], "走访记录.pdf", "甲镇承办人"),
        (secret["id"], "（涉及举报人身份信息）", "甲镇承办人")]
    assert "王小明" not in str(record)
