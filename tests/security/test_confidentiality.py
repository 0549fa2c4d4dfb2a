"""Reporter confidentiality: the reporter's name, ID number, phone and address appear nowhere
(every readable endpoint of the OpenAPI document, the ledgers, error messages, notifications,
logs) except through the audited reveal; who read which case is recorded and shown to
supervisors."""
from __future__ import annotations

import io
import zipfile
import logging
import re

import docx
import openpyxl
import pytest

from tests.conftest import backends
from tests.security.test_authority_matrix import OPERATIONS, World

READERS = ["chief", "a-head", "clerk", "a-worker"]


SECRETS: list[str] = []


@pytest.fixture(scope="module")
def world(scratch):
    from sqlalchemy import select
    from engine.petitions.models import Petition
    world = World(scratch, "sqlite")
    # Every real-name reporter of every sample petition, read straight from the database.
    SECRETS[:] = sorted({v for row in world.runtime.read(lambda uow: uow.session.execute(
        select(Petition.reporter_name, Petition.reporter_id_number, Petition.reporter_phone,
               Petition.reporter_address)).all()) for v in row if v})
    assert len(SECRETS) > 8
    yield world
    world.close()


def leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def xlsx_text(data: bytes) -> str:
    """The text of an Excel file, or of a Word file (documents are zip files too)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "word/document.xml" in archive.namelist():
            document = docx.Document(io.BytesIO(data))
            cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
            return "\n".join([p.text for p in document.paragraphs] + cells)
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    return "\n".join(str(v) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                     for v in row if v is not None)


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
def test_no_readable_endpoint_shows_the_reporter(world, backend, caplog):
    caplog.set_level(logging.DEBUG)
    gets = [op for op in OPERATIONS if op.startswith("GET ")]
    seen = 0
    # Every sample petition has the same real-name reporter: any case will do.
    for op in gets:
        path = world.path(op.split(" ", 1)[1])
        for user in READERS:
            client = world.api.as_(user)
            resp = client.client.get(f"/api/v1{path}", headers=client._headers(),
                                      query_string={"unit": "county"} if "reports" in path else None)
            body = resp.get_data()
            text = xlsx_text(body) if body[:2] == b"PK" else body.decode("utf-8", "replace")
            assert leaks(text) == [], f"{op} as {user} shows {leaks(text)}"
            seen += resp.status_code == 200
    assert seen > 60
    # The reveal shows it (that is its purpose) but the logs of all of the above never do.
    reveal = world.api.as_("chief").post(f"/petitions/{world.ids['petition_id']}/reveal",
                                         json={"reason": "核实举报人身份"})
    assert reveal.status == 200 and reveal.json["name"] in SECRETS
    assert leaks(caplog.text) == []


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
def test_ledgers_and_history_mask_the_reporter(world, backend):
    xlsx = world.api.as_("chief").client.get(
        "/api/v1/reports/ledgers/petition-register.xlsx", query_string={"unit": "county"},
        headers=world.api.as_("chief")._headers())
    assert xlsx.status_code == 200
    text = xlsx_text(xlsx.get_data())
    assert leaks(text) == [] and re.search(r"\w\*+", text)
    # A correction of the reporter is audited as "changed", never with the values.
    patched = world.api.as_("clerk").patch(f"/petitions/{world.ids['petition_id']}", json={
        "reporter": {"name": "赵新名", "id_number": "330481199001010000",
                     "phone": "13900000000", "address": "甲镇西村1组"}})
    assert patched.status == 200 and leaks(patched.text) == [] and "13900000000" not in patched.text
    history = world.api.as_("chief").get(f"/cases/{world.ids['case_id']}/history")
    assert leaks(history.text) == [] and "13900000000" not in history.text
    (corrected,) = [e for e in history.json if e["action"] == "petition_corrected"]
    assert corrected["detail"]["changes"]["reporter"] == {"changed": True}


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
def test_error_messages_do_not_echo_the_reporter(world, backend):
    bad = world.api.as_("clerk").post("/petitions", json={
        "channel": "pigeon", "reporter": {"name": SECRETS[0], "id_number": 12345,
                                          "phone": SECRETS[1], "address": SECRETS[2]},
        "township": "town-a", "content": "x"})
    assert bad.status == 422 and leaks(bad.text) == []
    # An unauthorised reveal says no without saying anything about the person.
    refused = world.api.as_("b-worker").post(f"/petitions/{world.ids['petition_id']}/reveal",
                                             json={"reason": "好奇"})
    assert refused.status == 403 and leaks(refused.text) == []


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
def test_identifying_attachments_are_masked_and_need_a_reason(world, backend):
    case_id = world.ids["case_id"]
    worker = world.api.as_("a-worker")
    name = f"{SECRETS[0]}身份证.pdf"
    up = worker.request("POST", f"/cases/{case_id}/attachments", data={
        "file": (io.BytesIO(b"%PDF-1.4 id card"), name, "application/pdf"),
        "identifies_reporter": "true"})
    assert up.status == 201 and leaks(up.text) == []
    listed = world.api.as_("chief").get(f"/cases/{case_id}/attachments")
    assert leaks(listed.text) == []
    path = f"/attachments/{up.json['id']}"
    assert worker.get(path).status in (403, 422)
    client = world.api.as_("chief")
    no_reason = client.client.get(f"/api/v1{path}", headers=client._headers())
    assert no_reason.status_code == 422
    with_reason = client.client.get(f"/api/v1{path}", query_string={"reason": "核查"},
                                    headers=client._headers())
    assert with_reason.status_code == 200
    assert leaks(with_reason.headers.get("Content-Disposition", "")) == []


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
def test_who_read_a_case_is_recorded_for_supervisors(world, backend):
    case_id, petition_id = world.ids["case_id"], world.ids["petition_id"]
    before = world.api.as_("a-head").get(f"/cases/{case_id}/views").json
    assert world.api.as_("a-worker").get(f"/cases/{case_id}").status == 200
    assert world.api.as_("clerk").get(f"/petitions/{petition_id}").status == 200
    assert world.api.as_("b-worker").get(f"/cases/{case_id}").status == 403
    views = world.api.as_("a-head").get(f"/cases/{case_id}/views").json[len(before):]
    assert [(v["actor"], v["via"]) for v in views] == [("a-worker", "case"), ("clerk", "petition")]
    assert world.api.as_("a-worker").get(f"/cases/{case_id}/views").status == 403
    # Reads are listed apart: the case's history stays the story of the case.
    history = world.api.as_("chief").get(f"/cases/{case_id}/history").json
    assert "case_viewed" not in {e["action"] for e in history}
