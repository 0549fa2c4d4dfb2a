"""Hardening outside login: malformed BPMN (broken XML, billion laughs, external entities, missing
references, cycles, 20 MB) gets 422 and deploys nothing; uploads are limited by size and type;
an unexpected exception is the JSON envelope 500 without a traceback."""
from __future__ import annotations

import io
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "malformed_bpmn"
FILES = [p.name for p in sorted(CORPUS.glob("*.bpmn"))]


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


LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:scriptTask id="count"><bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>
    {step}
    <bpmn:exclusiveGateway id="again" default="out"/>
    <bpmn:endEvent id="end"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count"/>
    <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="step"/>
    <bpmn:sequenceFlow id="f3" sourceRef="step" targetRef="again"/>
    <bpmn:sequenceFlow id="back" sourceRef="again" targetRef="count"><bpmn:conditionExpression>n &lt; 1</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="out" sourceRef="again" targetRef="end"/>
  </bpmn:process>{extra}
</bpmn:definitions>"""
CALLED = """
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="{key}_start"/>{inner}<bpmn:endEvent id="{key}_end"/>
    <bpmn:sequenceFlow id="{key}_f1" sourceRef="{key}_start" targetRef="{key}_inner"/>
    <bpmn:sequenceFlow id="{key}_f2" sourceRef="{key}_inner" targetRef="{key}_end"/>
  </bpmn:process>"""
SUB = ('<bpmn:subProcess id="step"><bpmn:startEvent id="s0"/>{inner}<bpmn:endEvent id="s9"/>'
       '<bpmn:sequenceFlow id="s1" sourceRef="s0" targetRef="{key}_inner"/>'
       '<bpmn:sequenceFlow id="s2" sourceRef="{key}_inner" targetRef="s9"/></bpmn:subProcess>')


def loop(step: str, key: str = "loop", extra: str = "") -> bytes:
    return LOOP.format(key=key, step=step, extra=extra).encode()


def test_a_loop_needs_a_wait_state_to_deploy(api):
    """A loop of automatic steps would spin inside one transaction (even a bounded one: the
    engine gives up at a task tree 1,000 deep); one with a user task, receive task or catching
    event in it (directly, in an embedded sub-process or in what a call activity runs) waits."""
    designer = api.as_("designer")
    script = '<bpmn:scriptTask id="{id}"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>'
    user = '<bpmn:userTask id="{id}" name="check"/>'
    spinning = {
        "script": loop(script.format(id="step")),
        "sub-process of scripts": loop(SUB.format(key="sub", inner=script.format(id="sub_inner"))),
    }
    for what, xml in spinning.items():
        before = definitions(api)
        checked = designer.post("/process-definitions/validate", data=xml,
                                headers={"Content-Type": "application/xml"}).json
        assert [e["element_id"] for e in checked["errors"]] == ["again"], (what, checked)
        assert "no wait state" in checked["errors"][0]["message"]
        assert designer.deploy(xml).status == 422, what
        assert definitions(api) == before
    # The loop calls a process of the same file that runs on its own: that one deploys, and the
    # answer names the loop (with its reason) as not deployed; starting the loop is a 404.
    xml = loop('<bpmn:callActivity id="step" calledElement="auto"/>',
               extra=CALLED.format(key="auto", inner=script.format(id="auto_inner")))
    checked = designer.post("/process-definitions/validate", data=xml,
                            headers={"Content-Type": "application/xml"}).json
    assert checked["errors"] == []
    codes = {(w["element_id"], w["reason"]) for w in checked["warnings"]}
    assert ("loop", "process_not_deployed") in codes, checked
    assert any(w["element_id"] == "again" and "no wait state" in w["message"]
               for w in checked["warnings"]), checked
    resp = designer.deploy(xml)
    assert resp.status == 201, resp.text[:300]
    keys = {d["key"] for d in definitions(api)}
    assert "auto" in keys and "loop" not in keys
    waiting = {
        "user task": loop(user.format(id="step"), key="loop_user"),
        "sub-process with a user task": loop(SUB.format(key="sub2", inner=user.format(id="sub2_inner")),
                                             key="loop_sub"),
        "call of a user task": loop('<bpmn:callActivity id="step" calledElement="manual"/>',
                                    key="loop_call",
                                    extra=CALLED.format(key="manual", inner=user.format(id="manual_inner"))),
        "timer": loop('<bpmn:intermediateCatchEvent id="step"><bpmn:timerEventDefinition>'
                      '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition>'
                      '</bpmn:intermediateCatchEvent>', key="loop_timer"),
    }
    for what, xml in waiting.items():
        resp = designer.deploy(xml)
        assert resp.status == 201, (what, resp.text[:300])


def test_call_activities_in_a_cycle_across_files_and_versions_are_refused(api):
    from tests.api_client import Response
    designer = api.as_("designer")

    def calling(key: str, target: str | None) -> bytes:
        inner = (f'<bpmn:callActivity id="{key}_inner" calledElement="{target}"/>' if target
                 else f'<bpmn:userTask id="{key}_inner"/>')
        return (b'<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.'
                b'omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">'
                + CALLED.format(key=key, inner=inner).encode() + b"</bpmn:definitions>")

    def together(*files):
        resp = designer.client.post("/api/v1/process-definitions", headers=designer._headers(),
                                    data={"bpmn": [(io.BytesIO(x), n) for n, x in files]},
                                    content_type="multipart/form-data")
        return Response(resp.status_code, resp.get_json(silent=True), resp.get_data(as_text=True))
    assert together(("a.bpmn", calling("pa", "pb")), ("b.bpmn", calling("pb", None))).status == 201
    before = definitions(api)
    # A new version of pb calling the deployed pa, which calls pb.
    resp = designer.deploy(calling("pb", "pa"), "b.bpmn")
    assert resp.status == 422, resp.text[:300]
    assert "cycle" in resp.text and "pb_inner" in resp.text
    # The same cycle in two files uploaded together.
    resp = together(("c.bpmn", calling("pc", "pd")), ("d.bpmn", calling("pd", "pc")))
    assert resp.status == 422, resp.text[:300]
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
                                         "an unexpected error occurred; it has been logged",
                                         "reason": "internal_error", "params": {}}}
    assert "Traceback" not in resp.get_data(as_text=True)
    assert "secret internal detail" not in resp.get_data(as_text=True)
