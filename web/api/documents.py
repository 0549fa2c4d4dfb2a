"""Official documents and dossiers: generate a document and compile the dossier as background
jobs (202 with the job; follow it at GET /documents/jobs/{id}), list them; administrators manage
template versions with a preview."""
from __future__ import annotations

from flask import Response, request
from marshmallow import Schema, fields, validate

from engine.documents import dossier as dossiers
from engine.documents import jobs as document_jobs
from engine.documents import supervision as supervision_documents
from engine.documents import service as documents
from engine.errors import Invalid
from engine import notes
from web.api import bp
from web.api.common import dump, json_body
from web.auth import current_user, runtime
from web.openapi import doc
from web.schemas import Strict


class DocumentOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    template = fields.String()
    title = fields.String()
    template_version = fields.Integer()
    revision = fields.Integer()
    number = fields.String()
    task_id = fields.String(allow_none=True)
    docx_attachment_id = fields.Integer()
    pdf_attachment_id = fields.Integer(allow_none=True)
    pdf_available = fields.Boolean()
    sha256 = fields.String()
    revealed = fields.Boolean()
    generated_at = fields.AwareDateTime()


class DocumentIn(Strict):
    template = fields.String(required=True, validate=validate.Length(min=1, max=64))
    reveal_reason = fields.String(load_default=None, validate=validate.Length(max=500))


class TaskDocumentIn(Strict):
    template = fields.String(load_default=None, validate=validate.Length(max=64), metadata={
        "description": "one of the templates the step names (default: the first)"})
    reveal_reason = fields.String(load_default=None, validate=validate.Length(max=500))


class DossierIn(Strict):
    freeze = fields.Boolean(load_default=False)


class DossierEntryOut(Schema):
    seq = fields.Integer()
    title = fields.String()
    date = fields.String()
    kind = fields.String()
    files = fields.List(fields.String())


class DossierOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    revision = fields.Integer()
    status = fields.String()
    zip_attachment_id = fields.Integer()
    pdf_attachment_id = fields.Integer(allow_none=True)
    pdf_available = fields.Boolean()
    sha256 = fields.String()
    pdf_sha256 = fields.String(allow_none=True)
    contents = fields.List(fields.Nested(DossierEntryOut))
    built_at = fields.AwareDateTime()
    frozen_at = fields.AwareDateTime(allow_none=True)


class SupervisionDocumentOut(Schema):
    id = fields.Integer()
    inspection_id = fields.Integer()
    finding_id = fields.Integer(allow_none=True)
    template = fields.String()
    title = fields.String()
    template_version = fields.Integer()
    revision = fields.Integer()
    number = fields.String()
    task_id = fields.String(allow_none=True)
    sha256 = fields.String()
    pdf_available = fields.Boolean()
    generated_at = fields.AwareDateTime()


class FileQuery(Strict):
    format = fields.String(load_default="docx", validate=validate.OneOf(["docx", "pdf"]))


class DocumentJobOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "document or dossier"})
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    case_id = fields.Integer(allow_none=True)
    template = fields.String(allow_none=True)
    title = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    progress_done = fields.Integer()
    progress_total = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    document = fields.Nested(DocumentOut, allow_none=True)
    dossier = fields.Nested(DossierOut, allow_none=True)
    supervision_documents = fields.List(fields.Nested(SupervisionDocumentOut))
    created_at = fields.AwareDateTime()
    finished_at = fields.AwareDateTime(allow_none=True)


class TemplateVersionOut(Schema):
    version = fields.Integer()
    sha256 = fields.String()
    comment = fields.String()
    uploaded_by = fields.Integer(allow_none=True)
    uploaded_at = fields.AwareDateTime(allow_none=True)


class TemplateOut(Schema):
    key = fields.String()
    title = fields.String()
    audience = fields.String()
    current_version = fields.Integer()
    versions = fields.List(fields.Nested(TemplateVersionOut))


class PreviewQuery(Strict):
    version = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100000))


@bp.get("/cases/<int:case_id>/documents")
@doc(responses={200: [DocumentOut]})
def list_documents(case_id):
    """The case's generated documents, every revision, oldest first."""
    user = current_user()
    rt = runtime()
    return dump(DocumentOut, rt.read(lambda uow: [documents.describe(d) for d in documents.for_case(
        uow.session, user=user, case_id=case_id)]), many=True)


@bp.post("/cases/<int:case_id>/documents")
@doc(body=DocumentIn, responses={202: DocumentJobOut})
def generate_document(case_id):
    """Queue the generation of a document from a template for the case (.docx, and PDF when
    LibreOffice is installed, stored as attachments); `reveal_reason` puts the reporter into an
    internal one. Follow the job at GET /documents/jobs/{id}; its `document` once done."""
    body = json_body(DocumentIn)
    return dump(DocumentJobOut, document_jobs.queue_document(
        runtime(), user=current_user(), case_id=case_id, key=body["template"],
        reveal_reason=body["reveal_reason"])), 202


@bp.post("/tasks/<task_id>/document")
@doc(body=TaskDocumentIn, responses={202: DocumentJobOut})
def generate_task_document(task_id):
    """Queue the document the task's `document` property names (a job, as above)."""
    body = json_body(TaskDocumentIn)
    return dump(DocumentJobOut, document_jobs.queue_for_task(
        runtime(), user=current_user(), task_id=task_id, key=body["template"],
        reveal_reason=body["reveal_reason"])), 202


@bp.get("/documents/jobs/<document_job_id>")
@doc(responses={200: DocumentJobOut})
def document_job(document_job_id):
    """A document or dossier job of the caller: status, progress, and what it made."""
    return dump(DocumentJobOut, document_jobs.status(runtime(), user=current_user(),
                                                     job_id=document_job_id))


@bp.get("/cases/<int:case_id>/dossiers")
@doc(responses={200: [DossierOut]})
def list_dossiers(case_id):
    """The case's compiled dossiers (卷宗), oldest first."""
    user = current_user()
    rt = runtime()
    return dump(DossierOut, rt.read(lambda uow: [dossiers.describe(d) for d in dossiers.for_case(
        uow.session, user=user, case_id=case_id)]), many=True)


@bp.post("/cases/<int:case_id>/dossiers")
@doc(body=DossierIn, responses={202: DocumentJobOut})
def build_dossier(case_id):
    """Queue the compilation of the case's dossier (PDF with contents and page numbers, and ZIP);
    `freeze` once the case is archived or concluded puts its checksum into the audit chain.
    Follow the job at GET /documents/jobs/{id}; its `dossier` once done."""
    body = json_body(DossierIn)
    return dump(DocumentJobOut, document_jobs.queue_dossier(
        runtime(), user=current_user(), case_id=case_id, freeze=body["freeze"])), 202


@bp.get("/admin/document-templates")
@doc(responses={200: [TemplateOut]})
def list_document_templates():
    """Every document template with its versions (administrators)."""
    user = current_user()
    rt = runtime()
    return dump(TemplateOut, rt.read(lambda uow: documents.list_templates(uow.session, user=user)),
                many=True)


@bp.post("/admin/document-templates/<template_key>/versions")
@doc(body={"type": "object", "properties": {"file": {"type": "string", "format": "binary"},
                                            "comment": {"type": "string"}}},
     content_type="multipart/form-data", responses={201: TemplateVersionOut})
def upload_document_template(template_key):
    """Upload a new version of a template (.docx); refused when it reaches beyond the case
    record. Documents generated afterwards use it."""
    user = current_user()
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send the file in the multipart field `file`", reason="file_required",
                      fields={"file": [notes.note("required")]})
    data = upload.read()
    comment = (request.form.get("comment") or "")[:500]
    rt = runtime()

    def work(uow):
        row = documents.upload_template(uow.session, rt, user=user, key=template_key,
                                        data=data, comment=comment)
        return {"version": row.version, "sha256": row.sha256, "comment": row.comment,
                "uploaded_by": row.uploaded_by_id, "uploaded_at": row.uploaded_at}
    return dump(TemplateVersionOut, rt.transact(work)), 201


@bp.get("/admin/document-templates/<template_key>/preview")
@doc(query=PreviewQuery, responses={200: None})
def preview_document_template(template_key):
    """A template version filled with a made-up case (PDF, or .docx without LibreOffice)."""
    from web.api.common import query_args
    args = query_args(PreviewQuery)
    user = current_user()
    rt = runtime()
    ctype, data = rt.read(lambda uow: documents.preview(uow.session, rt, user=user,
                                                        key=template_key,
                                                        version=args["version"]))
    ext = "pdf" if ctype == documents.PDF else "docx"
    return Response(data, mimetype=ctype, headers={
        "Content-Disposition": f"inline; filename=preview-{template_key}.{ext}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@bp.get("/inspections/<int:inspection_id>/documents")
@doc(responses={200: [SupervisionDocumentOut]})
def list_supervision_documents(inspection_id):
    """The inspection's documents (检查通知书) and those of the findings the caller may see
    (整改通知书, 整改情况报告), every revision, oldest first."""
    user = current_user()
    return dump(SupervisionDocumentOut, runtime().read(
        lambda uow: supervision_documents.for_inspection(uow.session, user=user,
                                                         inspection_id=inspection_id)),
        many=True)


@bp.get("/supervision-documents/<int:supervision_document_id>")
@doc(query=FileQuery, responses={200: None})
def supervision_document_file(supervision_document_id):
    """A supervision document's file: `format=docx` (default) or `pdf` (404 without one)."""
    from web.api.common import query_args
    args = query_args(FileQuery)
    user = current_user()
    rt = runtime()
    name, ctype, data = rt.read(lambda uow: supervision_documents.file(
        uow.session, rt, user=user, document_id=supervision_document_id,
        pdf=args["format"] == "pdf"))
    from urllib.parse import quote
    return Response(data, mimetype=ctype, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
