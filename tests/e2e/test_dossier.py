"""The case dossier (卷宗) with LibreOffice: documents (PDF made once each), attachments of every
kind and the timeline, in procedural order, with a table of contents and page numbers as one
PDF, and the same parts in a ZIP; frozen when the case is concluded, its checksum audited and
verified. (LibreOffice runs a few times per database: keep this module small.)"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from engine.audit import chain
from engine.cases.models import Case
from engine.documents import dossier as dossiers
from engine.documents import service as documents
from engine.errors import Conflict
from engine.org.models import User
from tests.e2e.test_attachments import upload
from tests.e2e.test_documents import stored, user_id
from tests.api_client import deploy_processes
from tests.e2e.test_petitions import REAL_NAME, register

pytestmark = pytest.mark.skipif(not shutil.which("soffice"),
                                reason="LibreOffice (soffice) is not installed")
A4 = (595.3, 841.9)


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files")}}


def blank_pdf(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595.28, height=841.89)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
       b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


def test_the_dossier_lists_every_document_and_attachment_in_order_and_freezes(api, runtime):
    deploy_processes(api)
    case = register(api)
    case_id = case["case_id"]
    clerk = user_id(runtime, "clerk")
    # 1. a document with its PDF (LibreOffice), 2. a scanned letter (PDF, 2 pages),
    # 3. a photo, 4. a file identifying the reporter, 5. a note, 6. a second document.
    first = documents.generate(runtime, user_id=clerk, case_id=case_id, key="petition_register")
    assert first["pdf_available"]
    pdf = PdfReader(io.BytesIO(stored(runtime, first["pdf_attachment_id"])[1]))
    box = pdf.pages[0].mediabox
    assert (round(float(box.width), 1), round(float(box.height), 1)) == A4
    assert "信访举报登记表" in pdf.pages[0].extract_text().replace(" ", "")
    assert REAL_NAME["name"] not in pdf.pages[0].extract_text()
    for data, name, ctype, flag in [(blank_pdf(2), "来信扫描件.pdf", "application/pdf", False),
                                    (PNG, "现场照片.png", "image/png", False),
                                    (b"%PDF-1.4 id", "举报人身份证.pdf", "application/pdf", True),
                                    ("核查笔记：已走访东村。".encode(), "笔记.txt", "text/plain",
                                     False)]:
        status, body = upload(api, "clerk", case_id, data, name, ctype,
                              **({"identifies_reporter": "true"} if flag else {}))
        assert status == 201, body
    second = documents.generate(runtime, user_id=clerk, case_id=case_id, key="forward_letter")
    assert api.as_("a-worker").post(f"/cases/{case_id}/dossiers", json={}).status in (403, 404)

    built = api.as_("clerk").post(f"/cases/{case_id}/dossiers", json={})
    assert built.status == 403  # intake clerks register; caseworkers and supervisors compile
    built = api.as_("chief").post(f"/cases/{case_id}/dossiers", json={})
    assert built.status == 202 and built.json["status"] == "done", built.json
    followed = api.as_("chief").get(f"/documents/jobs/{built.json['id']}").json
    assert followed["kind"] == "dossier" and followed["progress_done"] == 4
    d = built.json["dossier"]
    titles = [e["title"] for e in d["contents"]]
    assert titles == ["信访举报登记表", "来信扫描件.pdf", "现场照片.png",
                      "涉及举报人身份信息的材料（另行保管）", "笔记.txt", "转办函", "办理过程记录"]
    assert d["pdf_available"] and d["status"] == "compiled"

    # The PDF: contents first, naming every part with the page it starts on, page numbers.
    reader = PdfReader(io.BytesIO(stored(runtime, d["pdf_attachment_id"])[1]))
    toc = reader.pages[0].extract_text().replace(" ", "").replace("\n", "")
    if os.environ.get("CLUEDESK_SAVE_DOCUMENTS"):  # the README's picture of the contents
        (Path(os.environ["CLUEDESK_SAVE_DOCUMENTS"]) / "dossier.pdf").write_bytes(
            stored(runtime, d["pdf_attachment_id"])[1])
    positions = [toc.index(t.replace(" ", "")) for t in titles]
    assert positions == sorted(positions)
    outline = [(o.title, reader.get_destination_page_number(o)) for o in reader.outline]
    assert [t for t, _ in outline] == ["卷宗目录"] + [f"{i}. {t}" for i, t in
                                                    enumerate(titles, 1)]
    starts = [page + 1 for _, page in outline[1:]]
    assert starts[2] - starts[1] == 2  # the scanned letter has two pages
    for title, start in zip(titles, starts, strict=True):
        assert f"{title}" in toc and str(start) in toc
    for number, page in enumerate(reader.pages, 1):  # every page numbered, A4
        assert str(number) in page.extract_text(), number
        assert round(float(page.mediabox.height), 1) == A4[1]
    assert "核查笔记：已走访东村。" in "".join(p.extract_text() for p in reader.pages
                                           ).replace(" ", "")

    # The ZIP holds the same parts, numbered in the same order, with their checksums.
    archive = zipfile.ZipFile(io.BytesIO(stored(runtime, d["zip_attachment_id"])[1]))
    names = archive.namelist()
    listed = [f for e in d["contents"] for f in e["files"]]
    assert [n for n in names if n not in ("目录.txt", "卷宗.pdf")] == listed
    assert [n.split("-", 1)[0] for n in listed] == sorted(n.split("-", 1)[0] for n in listed)
    assert "01-信访举报登记表.docx" in names and "01-信访举报登记表.pdf" in names
    assert "02-来信扫描件.pdf" in names and not any("身份证" in n for n in names)
    manifest = archive.read("目录.txt").decode()
    for name in listed:
        assert f"{name}  sha256={hashlib.sha256(archive.read(name)).hexdigest()}" in manifest
    assert archive.read("06-转办函.docx") == stored(runtime, second["docx_attachment_id"])[1]

    # Freezing waits for the case to be concluded; then the checksum is in the audit chain.
    with pytest.raises(Conflict):
        dossiers.build(runtime, user_id=user_id(runtime, "chief"), case_id=case_id, freeze=True)

    def conclude(uow):
        uow.session.get(Case, case_id).status = "closed"
    runtime.transact(conclude)
    frozen = api.as_("chief").post(f"/cases/{case_id}/dossiers", json={"freeze": True})
    assert frozen.status == 202 and frozen.json["dossier"]["status"] == "frozen", frozen.json
    frozen = frozen.json["dossier"]
    events = api.as_("chief").get(f"/cases/{case_id}/history").json
    (event,) = [e for e in events if e["action"] == "dossier_frozen"]
    assert event["detail"]["sha256"] == frozen["sha256"]
    assert api.as_("chief").post(f"/cases/{case_id}/dossiers", json={}).status == 409

    def verify(uow):
        user = uow.session.scalar(select(User).where(User.username == "chief"))
        return dossiers.verify(uow.session, runtime, user=user, dossier_id=frozen["id"])
    assert runtime.read(verify) == {"zip": True, "pdf": True, "audited": True, "ok": True}
    key, _ = chain.audit_key(runtime.settings)
    result = runtime.read(lambda uow: chain.verify_chain(uow.session, key))
    assert not result.problems, result.problems
    # Tampering with the stored archive is found.
    row, _ = stored(runtime, frozen["zip_attachment_id"])
    from engine.attachments.service import storage_dir
    (storage_dir(runtime) / row.storage_key).write_bytes(b"PK\x03\x04 changed")
    assert runtime.read(verify)["ok"] is False
