from flask import Response, request
from marshmallow import Schema, fields

from engine.attachments import service as attachments
from engine.errors import Invalid
from engine import notes
from web.api import bp
from web.api.common import dump
from web.auth import current_user, runtime
from web.openapi import doc


class AttachmentOut(Schema):
    id = fields.Integer()
    case_id = fields.Integer()
    petition_id = fields.Integer(allow_none=True)
    file_name = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    identifies_reporter = fields.Boolean()
    uploaded_at = fields.AwareDateTime()


@bp.post("/cases/<int:case_id>/attachments")
@doc(body={"type": "object", "properties": {
    "file": {"type": "string", "format": "binary"},
    "identifies_reporter": {"type": "boolean"}, "petition_id": {"type": "integer"}}},
    content_type="multipart/form-data", responses={201: AttachmentOut})
def upload_attachment(case_id):
    """Attach a scanned letter or evidence to a case (size and type limited)."""
    user = current_user()
    upload = request.files.get("file")
    if upload is None:
        raise Invalid("send the file in the multipart field `file`", reason="attachment_file_missing",
                      fields={"file": [notes.note("required")]})
    flag = request.form.get("identifies_reporter", "false").lower() in ("1", "true", "yes", "on")
    petition = request.form.get("petition_id")
    if petition is not None and not petition.isdigit():
        raise Invalid("petition_id must be a number", reason="attachment_petition_id_invalid",
                      fields={"petition_id": [notes.note("not_a_number")]})
    rt = runtime()
    data = upload.read()
    return dump(AttachmentOut, rt.transact(lambda uow: attachments.describe(attachments.upload(
        uow.session, rt, user=user, case_id=case_id, file_name=upload.filename or "file",
        content_type=(upload.mimetype or "").lower(), data=data, identifies_reporter=flag,
        petition_id=int(petition) if petition else None)))), 201


@bp.get("/cases/<int:case_id>/attachments")
@doc(responses={200: [AttachmentOut]})
def list_attachments(case_id):
    """The case's attachments (names of files identifying the reporter are masked)."""
    user = current_user()
    rt = runtime()
    return dump(AttachmentOut, rt.read(lambda uow: [attachments.describe(a) for a in
                                                    attachments.list_for(uow.session, user=user,
                                                                         case_id=case_id)]),
                many=True)


@bp.get("/attachments/<int:attachment_id>")
@doc(responses={200: None})
def download_attachment(attachment_id):
    """Download a file (audited); one identifying the reporter needs `?reason=`."""
    user = current_user()
    rt = runtime()
    row, data = rt.transact(lambda uow: attachments.download(
        uow.session, rt, user=user, attachment_id=attachment_id,
        reason=request.args.get("reason")))
    name = "attachment" if row.identifies_reporter else row.file_name
    return Response(data, mimetype=row.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}",
        "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"})


def _quote(name: str) -> str:
    from urllib.parse import quote
    return quote(name)
