"""Supervision documents (issue 25 point 6) on both databases, from the demo organisation's
inspection path: completing 实施检查 queues the 检查通知书, approving the findings queues the
整改通知书 of every finding, 验收销号 queues the 整改情况报告; a worker generates them after
the commits; the .docx files are opened with python-docx and their fields checked (and the PDFs,
converted in one LibreOffice run, read with pypdf when LibreOffice is installed)."""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from engine.documents import convert
from engine.documents import record, sandbox
from engine.documents import service as documents
from engine.documents.catalog import CATALOG
from engine.jobs import service as jobs
from engine.config import load_settings
from tests.e2e.test_documents import text_of
from tests.e2e.test_supervision import FINDING, complete, inspected, sv, task  # noqa: F401

NO_SOFFICE = {"soffice": "/nonexistent/soffice"}
SUPERVISION = [s for s in CATALOG if s.scope != "case"]


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files")}, "documents": NO_SOFFICE}


def run_jobs(runtime) -> None:
    while jobs.run_next(runtime, "test-worker"):
        pass


def files(api, user, inspection_id) -> dict[str, list[dict]]:
    resp = api.as_(user).get(f"/inspections/{inspection_id}/documents")
    assert resp.status == 200, resp.json
    out: dict[str, list[dict]] = {}
    for d in resp.json:
        out.setdefault(d["template"], []).append(d)
    return out


def docx(api, user, document_id) -> bytes:
    resp = api.client.get(f"/api/v1/supervision-documents/{document_id}",
                          headers={"Authorization": f"Bearer {api.tokens[user]}"})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    return resp.data


def test_the_supervision_steps_generate_their_notices_and_the_report(sv, runtime):
    api = sv
    second = {**FINDING, "description": "村务公开栏未公开低保名单", "responsible_person": "东村支书 钱七",
              "suggestion": "按月公开低保名单", "time_limit_days": 10}
    ins = inspected(api, [FINDING, second])
    assert len(ins["findings"]) == 2
    # Nothing is generated inside the completions; the worker makes them afterwards.
    assert files(api, "s-inspector", ins["id"]) == {}
    run_jobs(runtime)
    made = files(api, "s-inspector", ins["id"])
    assert sorted(made) == ["inspection_notice", "rectification_notice"]
    (notice,) = made["inspection_notice"]
    assert notice["finding_id"] is None and not notice["pdf_available"]
    text = text_of(docx(api, "s-inspector", notice["id"]))
    assert "检查通知书" in text and notice["number"] in text and "专项督查" in text
    assert ins["number"] in text and "低保、救助资金发放" in text and "甲镇纪委" in text
    assert "二〇二六年" in text and "{{" not in text
    notices = {d["finding_id"]: d for d in made["rectification_notice"]}
    assert set(notices) == {f["id"] for f in ins["findings"]}
    for f in ins["findings"]:
        text = text_of(docx(api, "s-inspector", notices[f["id"]]["id"]))
        assert "整改通知书" in text and f["number"] in text and f["description"] in text
        assert f["suggestion"] in text and f["responsible_person"] in text
        assert f"{f['time_limit_days']}日内" in text and f["unit_name"] in text
        assert "{{" not in text
    # The responsible unit sees its finding's notice; an unrelated unit sees nothing.
    assert "rectification_notice" in files(api, "a-rectifier", ins["id"])
    assert api.as_("b-worker").get(f"/inspections/{ins['id']}/documents").status in (403, 404)
    assert api.client.get(f"/api/v1/supervision-documents/{notice['id']}", headers={
        "Authorization": f"Bearer {api.tokens['b-worker']}"}).status_code in (403, 404)
    # Rectified and closed (销号): the 整改情况报告.
    first = ins["findings"][0]
    iid = first["instance_id"]
    complete(api, "a-rectifier", task(api, "a-rectifier", "state_measures", iid),
             {"measures": "补齐审批记录；全镇低保对象复核"})
    complete(api, "a-rectifier", task(api, "a-rectifier", "report_progress", iid),
             {"progress": "已补齐3户审批记录", "rectification_done": True})
    complete(api, "s-inspector", task(api, "s-inspector", "verify", iid),
             {"rectification_verified": True, "verification_comment": "经核查整改到位"})
    run_jobs(runtime)
    (report,) = files(api, "s-inspector", ins["id"])["rectification_report"]
    assert report["finding_id"] == first["id"]
    text = text_of(docx(api, "a-rectifier", report["id"]))
    for field in ("整改情况报告", first["number"], "补齐审批记录；全镇低保对象复核",
                  "已补齐3户审批记录", "经核查整改到位", "已销号", first["description"]):
        assert field in text, (field, text)
    history = [e for e in api.as_("s-inspector").get(f"/findings/{first['id']}").json["entries"]]
    assert history  # the finding's own history is untouched by the documents
    if not shutil.which("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed: the PDF half needs it")
    pdfs = convert.to_pdf(load_settings({}), {
        "notice.docx": docx(api, "s-inspector", notice["id"]),
        "rect.docx": docx(api, "s-inspector", notices[first["id"]]["id"]),
        "report.docx": docx(api, "s-inspector", report["id"])})
    for name, title in (("notice.docx", "检查通知书"), ("rect.docx", "整改通知书"),
                        ("report.docx", "整改情况报告")):
        if os.environ.get("CLUEDESK_SAVE_DOCUMENTS"):  # the README's pictures
            (Path(os.environ["CLUEDESK_SAVE_DOCUMENTS"]) / name.replace(".docx", ".pdf")
             ).write_bytes(pdfs[name])
        reader = PdfReader(io.BytesIO(pdfs[name]))
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)
        assert title in "".join(p.extract_text() for p in reader.pages).replace(" ", "")


def test_the_supervision_templates_pass_their_own_check_and_are_not_for_cases(api, runtime):
    for spec in SUPERVISION:
        data = (documents.SHIPPED / f"{spec.key}.docx").read_bytes()
        sandbox.check(data, record.supervision_sample())
    resp = api.as_("clerk").post("/cases/1/documents", json={"template": "rectification_notice"})
    assert resp.status in (404, 422), resp.json
