"""Documents on the pages: the task page's button generates the step's document (here with
LibreOffice hidden from PATH: the Word file is made and the page says PDF is unavailable), the
approval form prints on A4, administrators upload and preview template versions."""
from __future__ import annotations

import io
import re

import pytest

from tests.e2e.test_deadlines import LANES
from tests.e2e.test_documents import text_of, with_paragraph
from tests.e2e.test_pages_inbox import Browser, register_to_town, text
from tests.api_client import deploy_processes


@pytest.fixture
def settings_overrides(tmp_path):
    return {"lanes": LANES, "storage": {"path": str(tmp_path / "files")}}


@pytest.fixture
def no_soffice(monkeypatch, tmp_path):
    """LibreOffice hidden: PATH holds nothing."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def flow(api):
    deploy_processes(api)
    return api


def test_the_task_page_generates_the_step_s_document_without_libreoffice(app, flow, no_soffice):
    task = register_to_town(flow)
    # propose_disposition -> approve_disposition, whose `document` is the 呈批表.
    done = flow.as_("a-worker").complete(task, {"disposition": "verification",
                                                "disposition_reason": "反映具体，可查性强"}).json
    (approve,) = [t for t in done["next_tasks"] if t["element_id"] == "approve_disposition"]
    head = Browser(app, "a-head")
    page = text(head.get(f"/tasks/{approve['id']}"))
    assert "生成“问题线索处置审批表”" in page and 'data-testid="pdf-unavailable"' in page
    assert "打印呈批表（A4）" in page
    resp = head.post(f"/tasks/{approve['id']}/document")
    assert resp.status_code == 200 and resp.headers.get("X-Cluedesk-Status") is None
    fragment = text(resp)
    assert "问题线索处置审批表" in fragment and "PDF 不可用" in fragment
    assert 'data-testid="document-pdf"' not in fragment
    (doc,) = flow.as_("a-head").get(f"/cases/{task['case_id']}/documents").json
    assert doc["template"] == "disposition_approval" and not doc["pdf_available"]
    assert doc["task_id"] == approve["id"]
    docx = flow.client.get(f"/api/v1/attachments/{doc['docx_attachment_id']}",
                           headers={"Authorization": f"Bearer {flow.tokens['a-head']}"})
    body = text_of(docx.data)
    assert "反映具体，可查性强" in body and "初步核实" in body and "王小明" not in body
    # A step without a document: nothing to generate (refused in the user's language).
    other = flow.as_("a-worker").post(f"/tasks/{task['id']}/document", json={})
    assert other.status in (409, 422)


def test_the_approval_form_prints_on_a4(app, flow):
    task = register_to_town(flow)
    done = flow.as_("a-worker").complete(task, {"disposition": "verification",
                                                "disposition_reason": "反映具体"}).json
    (approve,) = [t for t in done["next_tasks"] if t["element_id"] == "approve_disposition"]
    head = Browser(app, "a-head")
    page = text(head.get(f"/tasks/{approve['id']}/print"))
    assert "审批处置意见呈批表" in page and "李四" in page and "王小明" not in page
    assert "print.css" in page and "主要领导意见" in page
    css = app.test_client().get("/static/print.css").get_data(as_text=True)
    assert "size: A4" in css and "margin: 37mm 26mm 35mm 28mm" in css
    assert Browser(app, "b-worker").get(f"/tasks/{approve['id']}/print").status_code in (403,
                                                                                           404)


def test_administrators_upload_and_preview_template_versions(app, flow, no_soffice):
    admin = Browser(app, "admin")
    page = text(admin.get("/admin/documents"))
    assert "受理告知书" in page and "信访举报登记表" in page
    resp = admin.post("/admin/documents/acceptance_notice", data={
        "file": (io.BytesIO(with_paragraph("{{ cycler.__init__.__globals__ }}")), "x.docx"),
        "comment": "试图越权"}, content_type="multipart/form-data")
    assert resp.headers.get("X-Cluedesk-Status") == "422", text(resp)[-3000:]
    assert "模板使用了 __globals__，它不是案件信息中的字段" in text(resp), re.findall(
        r"template-error.{0,200}", text(resp))
    resp = admin.post("/admin/documents/acceptance_notice", data={
        "file": (io.BytesIO(with_paragraph("联系电话：{{ reporter.phone }}",
                                           "acceptance_notice")), "v2.docx"),
        "comment": "加联系电话"}, content_type="multipart/form-data")
    assert resp.status_code == 200 and "加联系电话" in text(resp), text(resp)
    link = re.search(r'href="(/admin/documents/acceptance_notice/preview\?version=2)"',
                     text(resp)).group(1)
    preview = admin.client.get(link)
    assert preview.status_code == 200 and "联系电话：138****0000" in text_of(preview.data)
    assert Browser(app, "a-head").get("/admin/documents").status_code == 403


def test_the_case_page_compiles_the_dossier_without_libreoffice(app, flow, no_soffice):
    task = register_to_town(flow)
    head = Browser(app, "a-head")
    page = text(head.get(f"/cases/{task['case_id']}"))
    assert "尚未整理卷宗" in page and 'data-testid="compile-dossier"' in page
    assert 'data-testid="freeze-dossier"' not in page  # the case is not concluded
    resp = head.post(f"/cases/{task['case_id']}/dossier")
    assert resp.status_code == 200 and "ZIP" in text(resp) and "无 PDF" in text(resp)
    (d,) = flow.as_("a-head").get(f"/cases/{task['case_id']}/dossiers").json
    assert d["status"] == "compiled" and not d["pdf_available"]
    assert d["contents"][-1]["title"] == "办理过程记录"
