"""Official documents: template versions (upload with the sandbox check, preview), generation
from the case record into a .docx and a PDF stored as case attachments, audited.

`generate` is a plain service over the runtime that reports progress through a callback, so a
background job handler can run it as it is; the task page's button calls it directly."""
from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from pathlib import Path

from docx import Document as WordDocument
from docx.oxml.ns import qn
from docxtpl import DocxTemplate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.attachments import service as attachments
from engine.audit import service as audit
from engine.cases import service as cases
from engine.documents import convert, record, sandbox
from engine.documents.catalog import BY_KEY, CATALOG, step_documents
from engine.documents.models import Document, DocumentTemplate
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.org.models import Unit, User
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.runtime import Runtime
from engine.inbox import service as inbox

SHIPPED = Path(__file__).resolve().parent / "templates"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
WRITERS = {"caseworker", "supervisor", "intake_clerk"}
Progress = Callable[[str, int, int], None]


def _quiet(step: str, done: int, total: int) -> None:
    pass


# ---------------------------------------------------------------------------------------------
# Templates and their versions


def _shipped(key: str) -> bytes:
    return (SHIPPED / f"{key}.docx").read_bytes()


def _spec(key: str):
    spec = BY_KEY.get(key)
    if spec is None:
        raise NotFound("no document template %(key)s", reason="template_unknown",
                       params={"key": key})
    return spec


def known_keys() -> set[str]:
    """Template keys a BPMN task's `document` property may name."""
    return set(BY_KEY)


def current(session: Session, key: str) -> tuple[int, bytes, str]:
    """(version, .docx bytes, sha256) of the template documents are generated from now."""
    _spec(key)
    row = session.scalar(select(DocumentTemplate).where(DocumentTemplate.key == key)
                         .order_by(DocumentTemplate.version.desc()).limit(1))
    if row is not None:
        return row.version, row.data, row.sha256
    data = _shipped(key)
    return 1, data, hashlib.sha256(data).hexdigest()


def _require_admin(user: User) -> None:
    if "administrator" not in user.roles:
        raise Forbidden("only administrators manage document templates",
                        reason="templates_admin_only")


def list_templates(session: Session, *, user: User) -> list[dict]:
    _require_admin(user)
    uploads: dict[str, list[DocumentTemplate]] = {}
    for row in session.scalars(select(DocumentTemplate).order_by(DocumentTemplate.version)):
        uploads.setdefault(row.key, []).append(row)
    out = []
    for spec in CATALOG:
        shipped = _shipped(spec.key)
        versions = [{"version": 1, "sha256": hashlib.sha256(shipped).hexdigest(),
                     "comment": "shipped", "uploaded_by": None, "uploaded_at": None}]
        versions += [{"version": r.version, "sha256": r.sha256, "comment": r.comment,
                      "uploaded_by": r.uploaded_by_id, "uploaded_at": r.uploaded_at}
                     for r in uploads.get(spec.key, [])]
        out.append({"key": spec.key, "title": spec.title, "audience": spec.audience,
                    "current_version": versions[-1]["version"], "versions": versions})
    return out


def template_file(session: Session, *, user: User, key: str, version: int) -> bytes:
    _require_admin(user)
    _spec(key)
    if version == 1:
        return _shipped(key)
    row = session.scalar(select(DocumentTemplate).where(DocumentTemplate.key == key,
                                                        DocumentTemplate.version == version))
    if row is None:
        raise NotFound("template %(key)s has no version %(version)s",
                       reason="template_version_unknown", params={"key": key, "version": version})
    return row.data


def upload_template(session: Session, runtime: Runtime, *, user: User, key: str, data: bytes,
                    comment: str = "") -> DocumentTemplate:
    """A new version of template `key`; refused unless it renders only the case record."""
    _require_admin(user)
    _spec(key)
    limit = int(runtime.settings.get("storage", "max_bytes"))
    if not data or len(data) > limit:
        raise Invalid("the template file is empty or too large", reason="template_size",
                      fields={"file": [notes.note("empty_or_too_large")]})
    spec = _spec(key)
    sandbox.check(data, record.sample_for(spec.scope))
    render(runtime, data, record.sample_for(spec.scope))  # it must also render, not only parse
    latest = session.scalar(select(func.max(DocumentTemplate.version))
                            .where(DocumentTemplate.key == key)) or 1
    now = runtime.clock.now()
    row = DocumentTemplate(key=key, version=latest + 1, data=data,
                           sha256=hashlib.sha256(data).hexdigest(), comment=comment or "",
                           uploaded_by_id=user.id, uploaded_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="document_template_uploaded",
                 detail={"key": key, "version": row.version, "sha256": row.sha256})
    return row


def preview(session: Session, runtime: Runtime, *, user: User, key: str,
            version: int | None = None) -> tuple[str, bytes]:
    """A template version filled with a made-up record: (content type, PDF or .docx bytes)."""
    _require_admin(user)
    data = template_file(session, user=user, key=key, version=version) if version else \
        current(session, key)[1]
    docx = render(runtime, data, record.sample_for(_spec(key).scope))
    if convert.available(runtime.settings):
        return PDF, convert.to_pdf(runtime.settings, {"preview.docx": docx})["preview.docx"]
    return DOCX, docx


# ---------------------------------------------------------------------------------------------
# Rendering


def render(runtime: Runtime, template: bytes, context: dict) -> bytes:
    """Fill a template in the sandbox; apply the configured fonts to its styles."""
    tpl = DocxTemplate(io.BytesIO(template))
    try:
        tpl.render(context, jinja_env=sandbox.environment(), autoescape=True)
    except Exception as exc:  # a sandbox refusal or an error in the template's logic
        raise Invalid("the template could not be filled: %(error)s", reason="template_render",
                      params={"error": str(exc)[:200]}) from None
    out = io.BytesIO()
    tpl.save(out)
    return apply_fonts(runtime.settings, out.getvalue())


def apply_fonts(settings, data: bytes) -> bytes:
    """Name the configured fonts (`documents.fonts`) in the body, title and heading styles."""
    fonts = settings.get("documents", "fonts")
    doc = WordDocument(io.BytesIO(data))
    for style_name, key, default in (("Normal", "body", "Noto Serif CJK SC"),
                                     ("Title", "title", "Noto Sans CJK SC"),
                                     ("Heading 1", "heading", "Noto Sans CJK SC")):
        try:
            style = doc.styles[style_name]
        except KeyError:
            continue
        name = fonts.get(key) or default
        style.font.name = name
        rfonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), name)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Generation


def _first_petition(session: Session, case_id: int) -> Petition | None:
    return session.scalar(select(Petition).where(Petition.case_id == case_id)
                          .order_by(Petition.received_at, Petition.id).limit(1))


def generate(runtime: Runtime, *, user_id: int, case_id: int, key: str,
             task_id: str | None = None, reveal_reason: str | None = None,
             progress: Progress = _quiet) -> dict:
    """Generate template `key` for a case: number and record (one transaction), the .docx and
    its PDF (outside any transaction), then the attachments, the document row and the audit
    event (one transaction). Returns the document as `describe` shows it."""
    spec = _spec(key)
    if spec.scope != "case":
        raise Invalid("this document is made for an inspection, not a case",
                      reason="template_not_for_cases", params={"key": key})
    total = 3

    def prepare(uow):
        session = uow.session
        user = session.get(User, user_id)
        case = case_access.case_for_user(session, user, case_id)
        if not WRITERS & user.roles:
            raise Forbidden("you may not generate documents for this case",
                            reason="documents_not_allowed")
        petition = _first_petition(session, case.id)
        reveal = spec.audience == "reporter"
        if reveal_reason is not None and spec.audience == "internal":
            if not reveal_reason.strip():
                raise Invalid("a reason is required", reason="reveal_reason_required",
                              fields={"reveal_reason": [notes.note("required")]})
            if petition is None or not petitions.may_reveal(session, user, petition):
                raise Forbidden("you may not see this reporter's identity",
                                reason="reveal_not_allowed")
            audit.record(session, at=runtime.clock.now(), actor=user.username,
                         action="reporter_revealed", case_id=case.id,
                         detail={"petition": petition.number, "reason": reveal_reason.strip(),
                                 "document": key})
            reveal = True
        version, template, sha = current(session, key)
        year = runtime.clock.local(runtime.clock.now()).year
        unit = record.build(session, runtime, user=user, case_id=case.id, reveal=reveal)
        issuer = session.get(Unit, case.registered_unit_id) \
            if spec.issuer == "registering" and case.registered_unit_id else None
        agency = (issuer.name if issuer else unit["agency"]["name"]) or "本机关"
        code = issuer.code if issuer else unit["agency"]["code"]
        seq = cases.next_value(session, f"document:{code}:{year}")
        number = f"{agency}〔{year}〕{seq}号"
        unit["doc_number"] = number
        return {"record": unit, "version": version, "template": template, "sha": sha,
                "reveal": reveal, "number": number,
                "identifies": reveal and petition is not None and not petition.anonymous}

    prepared = runtime.transact(prepare)
    progress("record", 1, total)
    docx = render(runtime, prepared["template"], prepared["record"])
    pdf = None
    if convert.available(runtime.settings):
        try:
            pdf = convert.to_pdf(runtime.settings, {"doc.docx": docx})["doc.docx"]
        except convert.ConversionFailed:
            pdf = None
    progress("converted", 2, total)

    def store(uow):
        session = uow.session
        user = session.get(User, user_id)
        revision = (session.scalar(select(func.max(Document.revision)).where(
            Document.case_id == case_id, Document.template_key == key)) or 0) + 1
        base = f"{spec.title}-{revision}"
        detail = {"document": key, "template_version": prepared["version"]}
        docx_row = attachments.add(session, runtime, user=user, case_id=case_id,
                                     file_name=f"{base}.docx", content_type=DOCX, data=docx,
                                     identifies_reporter=prepared["identifies"], detail=detail)
        pdf_row = attachments.add(session, runtime, user=user, case_id=case_id,
                                    file_name=f"{base}.pdf", content_type=PDF, data=pdf,
                                    identifies_reporter=prepared["identifies"], detail=detail) \
            if pdf else None
        now = runtime.clock.now()
        row = Document(case_id=case_id, template_key=key, template_version=prepared["version"],
                       template_sha256=prepared["sha"], revision=revision,
                       number=prepared["number"], task_id=task_id,
                       docx_attachment_id=docx_row.id,
                       pdf_attachment_id=pdf_row.id if pdf_row else None,
                       sha256=docx_row.sha256, revealed=prepared["reveal"],
                       generated_by_id=user.id, generated_at=now)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=user.username, action="document_generated",
                     case_id=case_id, task_id=task_id,
                     detail={"document": key, "title": spec.title, "revision": revision,
                             "number": row.number, "template_version": row.template_version,
                             "sha256": row.sha256, "pdf": pdf_row is not None,
                             "revealed": row.revealed})
        return describe(row)

    result = runtime.transact(store)
    progress("stored", 3, total)
    return result


def describe(row: Document) -> dict:
    spec = BY_KEY.get(row.template_key)
    return {"id": row.id, "case_id": row.case_id, "template": row.template_key,
            "title": spec.title if spec else row.template_key,
            "template_version": row.template_version, "revision": row.revision,
            "number": row.number, "task_id": row.task_id,
            "docx_attachment_id": row.docx_attachment_id,
            "pdf_attachment_id": row.pdf_attachment_id, "pdf_available": bool(
                row.pdf_attachment_id), "sha256": row.sha256, "revealed": row.revealed,
            "generated_at": row.generated_at}


def for_case(session: Session, *, user: User, case_id: int) -> list[Document]:
    case_access.case_for_user(session, user, case_id)
    return list(session.scalars(select(Document).where(Document.case_id == case_id)
                                .order_by(Document.generated_at, Document.id)))


def for_task(runtime: Runtime, *, user_id: int, task_id: str,
             reveal_reason: str | None = None, progress: Progress = _quiet) -> dict:
    """Generate the document the task's `document` property names (the task page's button)."""

    def find(uow):
        user = uow.session.get(User, user_id)
        task = inbox.get_task(uow.session, user=user, task_id=task_id)
        key = next(iter(step_documents((task.properties or {}).get("document"))), None)
        if not key or task.case_id is None:
            raise Invalid("this step produces no document", reason="task_has_no_document")
        return key, task.case_id
    key, case_id = runtime.read(find)
    return generate(runtime, user_id=user_id, case_id=case_id, key=key, task_id=task_id,
                    reveal_reason=reveal_reason, progress=progress)
