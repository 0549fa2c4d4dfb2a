"""Attachments: size and type limits, identifying files treated like reporter fields,
downloads only for those who may see the case, every download audited."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.api_client import deploy_processes
from tests.e2e.test_petitions import register

ROOT = Path(__file__).resolve().parents[2]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files"), "max_bytes": 4096}}


@pytest.fixture
def case(api):
    deploy_processes(api)
    return register(api)


def upload(api, user, case_id, data, name="letter.pdf", ctype="application/pdf", **form):
    resp = api.client.post(f"/api/v1/cases/{case_id}/attachments",
                           data={"file": (io.BytesIO(data), name, ctype), **form},
                           content_type="multipart/form-data",
                           headers={"Authorization": f"Bearer {api.tokens[user]}"})
    return resp.status_code, resp.get_json(silent=True)


def download(api, user, attachment_id, reason=None):
    query = {"reason": reason} if reason else None
    return api.client.get(f"/api/v1/attachments/{attachment_id}", query_string=query,
                          headers={"Authorization": f"Bearer {api.tokens[user]}"})


def test_upload_list_and_audited_download(api, case, tmp_path):
    status, body = upload(api, "clerk", case["case_id"], PDF, "来信扫描件.pdf")
    assert status == 201, body
    assert body["file_name"] == "来信扫描件.pdf" and body["size"] == len(PDF)
    listed = api.as_("clerk").get(f"/cases/{case['case_id']}/attachments").json
    assert [a["id"] for a in listed] == [body["id"]]
    resp = download(api, "clerk", body["id"])
    assert resp.status_code == 200 and resp.data == PDF
    assert resp.headers["Content-Type"] == "application/pdf"
    assert len(list((tmp_path / "files").iterdir())) == 1
    assert download(api, "a-worker", body["id"]).status_code == 403
    assert api.as_("a-worker").get(f"/cases/{case['case_id']}/attachments").status == 403
    events = api.as_("chief").get(f"/cases/{case['case_id']}/history").json
    actions = [e["action"] for e in events]
    assert "attachment_uploaded" in actions and "attachment_downloaded" in actions


def test_size_and_type_limits(api, case):
    assert upload(api, "clerk", case["case_id"], b"x" * 5000, "big.txt", "text/plain")[0] == 422
    status, body = upload(api, "clerk", case["case_id"], b"not a pdf", "fake.pdf")
    assert status == 422 and "file" in body["error"]["fields"]
    assert upload(api, "clerk", case["case_id"], b"MZ\x90\x00", "run.exe",
                  "application/x-msdownload")[0] == 422
    assert upload(api, "clerk", case["case_id"], b"", "empty.pdf")[0] == 422
    assert upload(api, "clerk", case["case_id"], "证据说明".encode(), "note.txt",
                  "text/plain")[0] == 201
    assert api.as_("clerk").get(f"/cases/{case['case_id']}/attachments").json[0]["file_name"] \
        == "note.txt"


def test_a_file_identifying_the_reporter_needs_a_reveal(api, case):
    status, body = upload(api, "clerk", case["case_id"], PDF, "王小明身份证.pdf",
                          identifies_reporter="true", petition_id=str(case["id"]))
    assert status == 201 and body["file_name"] != "王小明身份证.pdf"
    listed = api.as_("chief").get(f"/cases/{case['case_id']}/attachments").json
    assert "王小明" not in str(listed)
    assert download(api, "clerk", body["id"]).status_code == 422
    resp = download(api, "clerk", body["id"], reason="核实举报人身份")
    assert resp.status_code == 200 and resp.data == PDF
    assert "王小明" not in resp.headers["Content-Disposition"]
    events = api.as_("chief").get(f"/cases/{case['case_id']}/history").json
    reveal = [e for e in events if e["action"] == "reporter_revealed"]
    assert reveal and reveal[0]["detail"]["reason"] == "核实举报人身份"
