"""The case dossier (卷宗): the case's documents, attachments and timeline in procedural order,
with a table of contents and page numbers, as one PDF and as a ZIP.

Procedural order is the order things happened: documents by when they were generated (the
latest revision of each), attachments by when they were filed, the timeline (办理过程记录)
last. The PDF: every part converted (one LibreOffice run), counted, a table of contents naming
each part and its first page, then "— N —" page numbers stamped on every page and a bookmark
per part (pypdf). The ZIP holds the same parts as files, numbered in the same order, plus the
table of contents as `目录.txt` with each file's SHA-256. Files that identify the reporter are
kept apart (另行保管): they are listed, not copied in.

Freezing: a zone-escalated case is compiled at the zone's dossier step and frozen once the
county archived it; a township case freezes when it is concluded (closed). A frozen dossier
cannot be rebuilt and its checksums are in the audit chain (`dossier_frozen`)."""
from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from engine.access import cases as case_access
from engine.attachments import service as attachments
from engine.attachments.models import Attachment
from engine.audit import service as audit
from engine.documents import convert
from engine.documents.build_templates import page_number, new_document
from engine.documents.catalog import BY_KEY, DOSSIER_WRITERS
from engine.documents.models import Document, Dossier
from engine.documents.record import chinese_date
from engine.errors import Conflict, Forbidden, NotFound
from engine.views import timeline as case_timeline
from engine.org.models import User
from engine.runtime import Runtime

Progress = Callable[[str, int, int], None]
ZIP = "application/zip"
WRITERS = DOSSIER_WRITERS
TEXT_TYPES = ("text/plain",)
IMAGES = ("image/jpeg", "image/png")
ACTIONS = {  # the timeline in the dossier (plain Chinese; the pages have their own catalogue)
    "case_opened": "立案登记（案件建立）", "petition_registered": "信访件登记",
    "task_completed": "完成办理步骤", "task_claimed": "领取办理任务",
    "task_reassigned": "改派办理任务", "document_generated": "生成文书",
    "attachment_uploaded": "上传材料", "reporter_revealed": "查看举报人信息（已记录事由）",
    "case_escalation_applied": "申请提级办理", "case_escalation_accepted": "同意提级办理",
    "dossier_compiled": "卷宗整理", "case_archived": "归档", "case_filed": "立案",
    "case_concluded": "结案", "deadline_breached": "办理超期", "deadline_extended": "延长期限",
    "case_supervised": "列入督办", "case_instructed": "作出批示", "case_taken": "领导包案", "dossier_frozen": "卷宗封存",
}


def _quiet(step: str, done: int, total: int) -> None:
    pass


def _docx(doc) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _heading(doc, text: str) -> None:
    doc.add_paragraph(text, style="Title")


def _table(doc, headers: tuple[str, ...], widths: tuple[int, ...], rows: list[tuple]):
    """A grid in 小四 (12 pt) with fixed column widths (mm)."""
    table = doc.add_table(rows=0, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.autofit = False
    for col, width in zip(table.columns, widths, strict=True):
        col.width = Mm(width)
    for values in [headers, *rows]:
        cells = table.add_row().cells
        for cell, width, text in zip(cells, widths, values, strict=True):
            cell.width = Mm(width)
            cell.text = str(text)
            for p in cell.paragraphs:
                p.paragraph_format.line_spacing = Pt(18)
                for run in p.runs:
                    run.font.size = Pt(12)
    return table


def _timeline_docx(case_number: str, events: list[dict], clock) -> bytes:
    doc = new_document(footer=False)
    _heading(doc, "办理过程记录")
    doc.add_paragraph(f"案件编号：{case_number}")
    rows = []
    for i, e in enumerate(events, 1):
        what = ACTIONS.get(e["action"], "其他办理记录")
        if e["task"]:
            what = f"{what}：{e['task']}"
        rows.append((i, clock.local(e["at"]).strftime("%Y-%m-%d %H:%M"), e["actor"], what))
    _table(doc, ("序号", "时间", "办理人", "事项"), (14, 38, 30, 74), rows)
    return _docx(doc)


def _wrap_docx(title: str, attachment: Attachment, data: bytes) -> bytes:
    """An image or a text file on A4 pages, so that it converts like the documents."""
    doc = new_document(footer=False)
    _heading(doc, title)
    if attachment.content_type in IMAGES:
        doc.add_picture(io.BytesIO(data), width=Mm(150))
    elif attachment.content_type in TEXT_TYPES:
        for line in data.decode("utf-8", "replace").splitlines():
            doc.add_paragraph(line)
    else:
        doc.add_paragraph("（该材料为不能转换的格式，原件见压缩包。）")
    return _docx(doc)


def _placeholder_docx(title: str, text: str) -> bytes:
    doc = new_document(footer=False)
    _heading(doc, title)
    doc.add_paragraph(text).paragraph_format.first_line_indent = Pt(32)
    return _docx(doc)


def _toc_docx(case_number: str, entries: list[dict], first_page: dict[int, int] | None) -> bytes:
    doc = new_document(footer=False)
    _heading(doc, "卷宗目录")
    doc.add_paragraph(f"案件编号：{case_number}")
    _table(doc, ("序号", "材料名称", "日期", "页码"), (14, 80, 44, 18),
           [(e["seq"], e["title"], e["date"], first_page[e["seq"]] if first_page else "")
            for e in entries])
    return _docx(doc)


def _numbers_docx(pages: int) -> bytes:
    """`pages` empty A4 pages with only the dossier's page number in the upper right corner
    (卷内页码; the documents keep their own footers): stamped onto the dossier's pages."""
    doc = new_document(footer=False)
    header = doc.sections[0].header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    page_number(header, dashes=False)
    for _ in range(pages - 1):
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    return _docx(doc)


def concluded(case) -> bool:
    """A case's dossier may be frozen once the case is archived or concluded."""
    return case.archived_at is not None or case.status == "closed"


def check_freeze(session, case, freeze: bool) -> None:
    """Refuse to rebuild a frozen dossier, and to freeze one before the case is concluded."""
    latest = session.scalar(select(Dossier).where(Dossier.case_id == case.id)
                            .order_by(Dossier.revision.desc()).limit(1))
    if latest is not None and latest.status == "frozen":
        raise Conflict("the dossier of this case is frozen (archived)",
                       reason="dossier_frozen")
    if freeze and not concluded(case):
        raise Conflict("the dossier is frozen when the case is archived or concluded",
                       reason="dossier_not_concluded")


def _gather(runtime: Runtime, user_id: int, case_id: int, freeze: bool) -> dict:
    def read(uow):
        session = uow.session
        user = session.get(User, user_id)
        case = case_access.case_for_user(session, user, case_id)
        if not WRITERS & user.roles:
            raise Forbidden("you may not compile this case's dossier",
                            reason="dossier_not_allowed")
        check_freeze(session, case, freeze)
        docs = list(session.scalars(select(Document).where(Document.case_id == case.id)
                                    .order_by(Document.generated_at, Document.id)))
        newest = {}
        for d in docs:
            newest[d.template_key] = d
        generated = {d.docx_attachment_id for d in docs} | {
            d.pdf_attachment_id for d in docs if d.pdf_attachment_id}
        dossier_files = set()
        for d in session.scalars(select(Dossier).where(Dossier.case_id == case.id)):
            dossier_files |= {d.zip_attachment_id, d.pdf_attachment_id}
        files = [a for a in session.scalars(select(Attachment).where(
            Attachment.case_id == case.id).order_by(Attachment.uploaded_at, Attachment.id))
            if a.id not in generated and a.id not in dossier_files]
        entries = []
        for d in newest.values():
            entries.append({"kind": "document", "at": d.generated_at, "title": BY_KEY[
                d.template_key].title if d.template_key in BY_KEY else d.template_key,
                "number": d.number, "docx": d.docx_attachment_id, "pdf": d.pdf_attachment_id,
                "identifies": d.revealed and BY_KEY.get(d.template_key) is not None})
        for a in files:
            entries.append({"kind": "attachment", "at": a.uploaded_at, "title": a.file_name,
                            "attachment": a.id, "content_type": a.content_type,
                            "identifies": a.identifies_reporter})
        # When things happened; filing order (attachment ids) breaks ties.
        entries.sort(key=lambda e: (e["at"], e.get("docx") or e.get("attachment")))
        blobs = {}
        rows = {}
        for e in entries:
            for key in ("docx", "pdf", "attachment"):
                if e.get(key):
                    row = session.get(Attachment, e[key])
                    rows[e[key]] = row
                    blobs[e[key]] = attachments.read(runtime, row)
        events = case_timeline.timeline(session, case_id=case.id)
        return {"case_number": case.number, "entries": entries, "blobs": blobs, "rows": rows,
                "events": events,
                "revision": (session.scalar(select(func.max(Dossier.revision)).where(
                    Dossier.case_id == case.id)) or 0) + 1}
    return runtime.read(read)


def build(runtime: Runtime, *, user_id: int, case_id: int, freeze: bool = False,
          progress: Progress = _quiet) -> dict:
    """Compile (and optionally freeze) the case's dossier; returns it as `describe` shows it."""
    got = _gather(runtime, user_id, case_id, freeze)
    clock = runtime.clock
    entries, blobs, rows = got["entries"], got["blobs"], got["rows"]
    total = 4
    progress("gathered", 1, total)
    # The parts, numbered in procedural order; the timeline last.
    parts: list[dict] = []
    for seq, e in enumerate(entries, 1):
        date = chinese_date(clock.local(e["at"]).date())
        part = {"seq": seq, "title": e["title"], "date": date, "kind": e["kind"]}
        if e["identifies"]:
            part["title"] = f"{e['title']}（涉及举报人身份信息，另行保管）" \
                if e["kind"] == "document" else "涉及举报人身份信息的材料（另行保管）"
            part["docx"] = _placeholder_docx(part["title"], "该材料涉及举报人身份信息，按规定另行保管，"
                                             "查阅须经批准并登记事由。")
            part["files"] = {}
        elif e["kind"] == "document":
            part["files"] = {f"{e['title']}.docx": blobs[e["docx"]]}
            if e.get("pdf"):
                part["pdf"] = blobs[e["pdf"]]
                part["files"][f"{e['title']}.pdf"] = blobs[e["pdf"]]
            else:
                part["docx"] = blobs[e["docx"]]
        else:
            data = blobs[e["attachment"]]
            part["files"] = {rows[e["attachment"]].file_name: data}
            if e["content_type"] == "application/pdf":
                part["pdf"] = data
            elif e["content_type"].endswith("wordprocessingml.document"):
                part["docx"] = data
            else:
                part["docx"] = _wrap_docx(e["title"], rows[e["attachment"]], data)
        parts.append(part)
    timeline = _timeline_docx(got["case_number"], got["events"], clock)
    parts.append({"seq": len(parts) + 1, "title": "办理过程记录",
                  "date": chinese_date(clock.local(clock.now()).date()), "kind": "timeline",
                  "docx": timeline, "files": {"办理过程记录.docx": timeline}})
    contents = [{"seq": p["seq"], "title": p["title"], "date": p["date"], "kind": p["kind"],
                 "files": [f"{p['seq']:02d}-{name}" for name in p["files"]]} for p in parts]
    pdf = None
    if convert.available(runtime.settings):
        pdf = _pdf(runtime, got["case_number"], parts, contents)
    progress("pdf", 2, total)
    manifest = ["卷宗目录  " + got["case_number"], ""]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for part, entry in zip(parts, contents, strict=True):
            names = list(part["files"])
            manifest.append(f"{part['seq']:02d}  {part['title']}  {part['date']}")
            for name, file_name in zip(names, entry["files"], strict=True):
                data = part["files"][name]
                info = zipfile.ZipInfo(file_name, date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
                manifest.append(f"    {file_name}  sha256={hashlib.sha256(data).hexdigest()}")
        info = zipfile.ZipInfo("目录.txt", date_time=(2000, 1, 1, 0, 0, 0))
        zf.writestr(info, "\n".join(manifest) + "\n")
        if pdf:
            zf.writestr(zipfile.ZipInfo("卷宗.pdf", date_time=(2000, 1, 1, 0, 0, 0)), pdf)
    archive = buffer.getvalue()
    progress("zip", 3, total)

    def store(uow):
        session = uow.session
        user = session.get(User, user_id)
        base = f"卷宗-{got['case_number']}-{got['revision']}"
        zip_row = attachments.add(session, runtime, user=user, case_id=case_id,
                                    file_name=f"{base}.zip", content_type=ZIP, data=archive,
                                    identifies_reporter=False, detail={"dossier": True})
        pdf_row = attachments.add(session, runtime, user=user, case_id=case_id,
                                    file_name=f"{base}.pdf", content_type="application/pdf",
                                    data=pdf, identifies_reporter=False,
                                    detail={"dossier": True}) if pdf else None
        now = runtime.clock.now()
        row = Dossier(case_id=case_id, revision=got["revision"],
                      status="frozen" if freeze else "compiled",
                      pdf_attachment_id=pdf_row.id if pdf_row else None,
                      zip_attachment_id=zip_row.id, sha256=zip_row.sha256,
                      pdf_sha256=pdf_row.sha256 if pdf_row else None, contents=contents,
                      built_by_id=user.id, built_at=now, frozen_at=now if freeze else None)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=user.username,
                     action="dossier_frozen" if freeze else "dossier_built", case_id=case_id,
                     detail={"dossier_id": row.id, "revision": row.revision,
                             "sha256": row.sha256, "pdf_sha256": row.pdf_sha256,
                             "parts": len(contents)})
        return describe(row)
    result = runtime.transact(store)
    progress("stored", 4, total)
    return result


def _pdf(runtime: Runtime, case_number: str, parts: list[dict], contents: list[dict]) -> bytes:
    to_convert = {f"part-{p['seq']}.docx": p["docx"] for p in parts if "pdf" not in p}
    converted = convert.to_pdf(runtime.settings, to_convert)
    readers = {}
    for p in parts:
        data = p.get("pdf") or converted[f"part-{p['seq']}.docx"]
        readers[p["seq"]] = PdfReader(io.BytesIO(data))
    toc_pages = 1
    for _ in range(3):  # the contents' own length moves every first page
        first, page = {}, toc_pages + 1
        for p in parts:
            first[p["seq"]] = page
            page += len(readers[p["seq"]].pages)
        total = page - 1
        made = convert.to_pdf(runtime.settings, {
            "toc.docx": _toc_docx(case_number, contents, first),
            "numbers.docx": _numbers_docx(total)})
        toc = PdfReader(io.BytesIO(made["toc.docx"]))
        if len(toc.pages) == toc_pages:
            break
        toc_pages = len(toc.pages)
    numbers = PdfReader(io.BytesIO(made["numbers.docx"]))
    writer = PdfWriter()
    for page in toc.pages:
        writer.add_page(page)
    writer.add_outline_item(title="卷宗目录", page_number=0)
    for p in parts:
        start = len(writer.pages)
        for page in readers[p["seq"]].pages:
            writer.add_page(page)
        writer.add_outline_item(title=f"{p['seq']}. {p['title']}", page_number=start)
    for i, page in enumerate(writer.pages):
        if i < len(numbers.pages):
            page.merge_page(numbers.pages[i], over=True)
    writer.add_metadata({"/Title": f"卷宗 {case_number}", "/Producer": "cluedesk"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def describe(row: Dossier) -> dict:
    return {"id": row.id, "case_id": row.case_id, "revision": row.revision,
            "status": row.status, "zip_attachment_id": row.zip_attachment_id,
            "pdf_attachment_id": row.pdf_attachment_id, "pdf_available": bool(
                row.pdf_attachment_id), "sha256": row.sha256, "pdf_sha256": row.pdf_sha256,
            "contents": row.contents or [], "built_at": row.built_at,
            "frozen_at": row.frozen_at}


def for_case(session, *, user: User, case_id: int) -> list[Dossier]:
    case_access.case_for_user(session, user, case_id)
    return of_case(session, case_id)


def of_case(session, case_id: int) -> list[Dossier]:
    """The dossiers of a case the caller has checked the user may see (`for_case`)."""
    return list(session.scalars(select(Dossier).where(Dossier.case_id == case_id)
                                .order_by(Dossier.revision)))


def verify(session, runtime: Runtime, *, user: User, dossier_id: int) -> dict:
    """Recompute the stored files' checksums and compare them with the row and, for a frozen
    dossier, with its `dossier_frozen` audit event (the audit chain vouches for that one)."""
    row = session.get(Dossier, dossier_id)
    if row is None:
        raise NotFound("dossier %(id)s not found", reason="dossier_unknown",
                       params={"id": dossier_id})
    case_access.case_for_user(session, user, row.case_id)
    zip_ok = hashlib.sha256(attachments.read(runtime, session.get(
        Attachment, row.zip_attachment_id))).hexdigest() == row.sha256
    pdf_ok = row.pdf_attachment_id is None or hashlib.sha256(attachments.read(
        runtime, session.get(Attachment, row.pdf_attachment_id))).hexdigest() == row.pdf_sha256
    audited = None
    if row.status == "frozen":
        event = next((e for e in audit.history(session, case_id=row.case_id)
                      if e.action == "dossier_frozen"
                      and (e.detail or {}).get("dossier_id") == row.id), None)
        audited = event is not None and event.detail.get("sha256") == row.sha256 and \
            event.detail.get("pdf_sha256") == row.pdf_sha256
    return {"zip": zip_ok, "pdf": pdf_ok, "audited": audited,
            "ok": zip_ok and pdf_ok and audited is not False}
