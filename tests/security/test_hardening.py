"""Hardening outside login: malformed BPMN (broken XML, billion laughs, external entities, missing
references, cycles, 20 MB) gets 422 and deploys nothing; uploads are limited by size and type;
an unexpected exception is the JSON envelope 500 without a traceback."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "malformed_bpmn"
# Known gaps (deploy accepts them; starting one recurses or spins): strict, so a fix flips them.
OPEN = {"call_cycle.bpmn": "call activities calling each other in a cycle are not refused yet",
        "flow_cycle_no_end.bpmn": "a loop of automatic tasks with no wait and no end is not "
                                  "refused yet"}
FILES = [pytest.param(p.name, marks=pytest.mark.xfail(reason=OPEN[p.name], strict=True))
         if p.name in OPEN else p.name for p in sorted(CORPUS.glob("*.bpmn"))]


def definitions(api):
    resp = api.as_("designer").get("/process-definitions")
    assert resp.status == 200
    return resp.json


def generated(name: str) -> bytes:
    head = (b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn='
            b'"http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
            b'<bpmn:process id="big" isExecutable="true">')
    if name == "20mb":
        filler = b"<bpmn:task id=\"t%d\"/>"
        body = b"".join(filler % i for i in range(20 * 1024 * 1024 // 24 + 1))
        return head + body + b"</bpmn:process></bpmn:definitions>"
    if name == "utf16_laughs":
        return ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><definitions xmlns='
                '"http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" name="&b;"/>'
                '</definitions>').encode("utf-16")
    if name == "doctype_after_comment":
        return (b'<?xml version="1.0"?>\n<!--' + b"x" * 8192 + b'-->\n'
                b'<!DOCTYPE d SYSTEM "file:///etc/passwd">' + head[head.index(b"<bpmn:def"):]
                + b"</bpmn:process></bpmn:definitions>")
    raise KeyError(name)


@pytest.mark.parametrize("name", FILES + ["20mb", "utf16_laughs", "doctype_after_comment"])
def test_malformed_bpmn_gets_422_and_deploys_nothing(api, name):
    data = (CORPUS / name).read_bytes() if name.endswith(".bpmn") else generated(name)
    before = definitions(api)
    resp = api.as_("designer").deploy(data, name)
    assert resp.status == 422, (name, resp.status, resp.text[:300])
    assert resp.json["error"]["code"] in ("bpmn_invalid", "invalid")
    assert "root:" not in resp.text and "/etc/passwd" not in resp.text.replace(
        "file:///etc/passwd", "")  # no file content echoed
    assert definitions(api) == before


def test_uploads_are_limited_by_type_and_size(api, runtime):
    from tests.api_client import deploy_processes
    from tests.e2e.test_petitions import petition
    deploy_processes(api)
    case_id = api.as_("clerk").post("/petitions", json=petition()).json["case_id"]
    clerk = api.as_("clerk")

    def upload(content: bytes, name: str, ctype: str):
        return clerk.request("POST", f"/cases/{case_id}/attachments",
                             data={"file": (io.BytesIO(content), name, ctype)})
    assert upload(b"%PDF-1.4 ok", "a.pdf", "application/pdf").status == 201
    # The type is checked against the content, not the name or the declared type.
    assert upload(b"MZ\x90\x00 an executable", "a.pdf", "application/pdf").status == 422
    assert upload(b"#!/bin/sh\nrm -rf /", "a.sh", "application/x-sh").status == 422
    limit = int(runtime.settings.storage.max_bytes)
    assert upload(b"%PDF-1.4" + b"0" * limit, "big.pdf", "application/pdf").status in (413, 422)


def test_an_unexpected_exception_is_the_json_envelope_without_a_traceback(runtime):
    from web import create_app
    app = create_app(runtime=runtime)
    assert not app.debug and not app.testing

    @app.get("/api/v1/_boom")
    def boom():
        raise RuntimeError("secret internal detail")
    resp = app.test_client().get("/api/v1/_boom")
    assert resp.status_code == 500
    assert resp.get_json() == {"error": {"code": "internal_error", "message":
                                         "an unexpected error occurred; it has been logged"}}
    assert "Traceback" not in resp.get_data(as_text=True)
    assert "secret internal detail" not in resp.get_data(as_text=True)
