"""Administration: document templates (文书模板). Each template's versions, upload of a new
version (refused when it reaches beyond the case record), a preview filled with a made-up case
(PDF, or the Word file without LibreOffice), and each version's file."""
from __future__ import annotations

from flask import Response, g, render_template, request
from flask_babel import gettext as _

from engine.documents import service as documents
from engine.errors import Invalid
from web.auth import runtime
from web.ui import bp, page, toast
from web.ui.admin import ADMIN, with_errors


def _panel(errors: dict | None = None, failed: str | None = None) -> str:
    rt, user = runtime(), g.user
    templates = rt.read(lambda uow: documents.list_templates(uow.session, user=user))
    return render_template("admin/_documents.html", templates=templates, errors=errors or {},
                           failed=failed)


@bp.get("/admin/documents")
@page(roles=ADMIN)
def admin_documents():
    """Every document template and its versions."""
    return render_template("admin/documents.html", panel=_panel())


@bp.post("/admin/documents/<key>")
@page(roles=ADMIN)
def admin_document_upload(key):
    """Upload a new version of template `key`; documents generated afterwards use it."""
    rt, user = runtime(), g.user
    upload = request.files.get("file")
    data = upload.read() if upload else b""
    try:
        rt.transact(lambda uow: documents.upload_template(
            uow.session, rt, user=user, key=key, data=data,
            comment=(request.form.get("comment") or "")[:500]))
    except Invalid as exc:
        # The refusal in the user's language (the area's catalog has the engine's msgids).
        return with_errors(_panel({"file": [_(exc.msgid, **(exc.params or {}))]}, failed=key))
    return toast(_panel(), _("The new template version is in use."))


@bp.get("/admin/documents/<key>/preview")
@page(roles=ADMIN)
def admin_document_preview(key):
    """The template filled with a made-up case."""
    rt, user = runtime(), g.user
    raw = request.args.get("version", "")
    ctype, data = rt.read(lambda uow: documents.preview(
        uow.session, rt, user=user, key=key, version=int(raw) if raw.isdigit() else None))
    ext = "pdf" if ctype == documents.PDF else "docx"
    return Response(data, mimetype=ctype, headers={
        "Content-Disposition": f"inline; filename=preview-{key}.{ext}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


@bp.get("/admin/documents/<key>/versions/<int:version>")
@page(roles=ADMIN)
def admin_document_file(key, version):
    """One version's .docx, to edit in Word and upload again."""
    rt, user = runtime(), g.user
    data = rt.read(lambda uow: documents.template_file(uow.session, user=user, key=key,
                                                       version=version))
    return Response(data, mimetype=documents.DOCX, headers={
        "Content-Disposition": f"attachment; filename={key}-v{version}.docx",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})
