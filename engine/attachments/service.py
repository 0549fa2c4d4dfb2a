"""Attachments: stored in the configured folder, limited in size and type, downloads audited."""
from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.attachments.models import Attachment
from engine.audit import service as audit
from engine.access import cases as case_access
from engine.config import ROOT
from engine.errors import Forbidden, Invalid, NotFound
from engine import notes
from engine.org.models import User
from engine.petitions import service as petitions
from engine.petitions.models import Petition
from engine.runtime import Runtime

# The first bytes each allowed type must start with (text has no signature: it must decode).
SIGNATURES = {
    "application/pdf": (b"%PDF-",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
}


def storage_dir(runtime: Runtime) -> Path:
    path = Path(runtime.settings.get("storage", "path"))
    return path if path.is_absolute() else ROOT / path


def _check_type(content_type: str, data: bytes, allowed) -> None:
    if content_type not in allowed:
        raise Invalid("files of type %(type)s are not accepted", reason="attachment_type_refused",
                      params={"type": content_type or "unknown"},
                      fields={"file": [notes.note("allowed_types", types=", ".join(allowed))]})
    if content_type == "text/plain":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise Invalid("a text file must be UTF-8", reason="attachment_not_utf8", fields={"file": [notes.note("not_utf8")]}) \
                from None
        return
    if not data.startswith(SIGNATURES.get(content_type, (b"",))):
        raise Invalid("the file's content does not match its type",
                      reason="attachment_content_mismatch",
                      fields={"file": [notes.note("content_mismatch")]})


def _check_type_and_size(runtime: Runtime, content_type: str, data: bytes) -> None:
    limit = int(runtime.settings.get("storage", "max_bytes"))
    if not data:
        raise Invalid("the file is empty", reason="attachment_empty", fields={"file": [notes.note("empty")]})
    if len(data) > limit:
        raise Invalid("the file is larger than %(size)s MB", reason="attachment_too_large",
                      params={"size": limit // (1024 * 1024)},
                      fields={"file": [notes.note("too_large")]})
    _check_type(content_type, data, runtime.settings.get("storage", "types"))


def store(runtime: Runtime, data: bytes) -> str:
    """Write the file durably into the storage folder; return its storage key."""
    key = uuid.uuid4().hex
    folder = storage_dir(runtime)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.part"
    with open(tmp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, folder / key)
    return key


def checked_store(runtime: Runtime, *, content_type: str, data: bytes) -> tuple[str, str]:
    """Check an upload's size and type, store it; return (storage key, sha256)."""
    _check_type_and_size(runtime, content_type, data)
    return store(runtime, data), hashlib.sha256(data).hexdigest()


def upload(session: Session, runtime: Runtime, *, user: User, case_id: int, file_name: str,
           content_type: str, data: bytes, identifies_reporter: bool,
           petition_id: int | None = None) -> Attachment:
    """Store a file for a case the user may see; write it durably before the row is committed."""
    case = case_access.case_for_user(session, user, case_id)
    _check_type_and_size(runtime, content_type, data)
    if petition_id is not None:
        petition = session.get(Petition, petition_id)
        if petition is None or petition.case_id != case.id:
            raise Invalid("that petition is not part of this case",
                          reason="attachment_petition_not_in_case",
                          fields={"petition_id": [notes.note("not_in_case")]})
    return add(session, runtime, user=user, case_id=case.id, file_name=file_name,
               content_type=content_type, data=data, identifies_reporter=identifies_reporter,
               petition_id=petition_id)


def add(session: Session, runtime: Runtime, *, user: User, case_id: int, file_name: str,
        content_type: str, data: bytes, identifies_reporter: bool,
        petition_id: int | None = None, detail: dict | None = None) -> Attachment:
    """Write a file durably, then its row and the audit event (callers check who may)."""
    key = store(runtime, data)
    now = runtime.clock.now()
    row = Attachment(case_id=case_id, petition_id=petition_id,
                     file_name=Path(file_name).name[:255] or "file", content_type=content_type,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), storage_key=key,
                     identifies_reporter=identifies_reporter, uploaded_by_id=user.id,
                     uploaded_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=user.username, action="attachment_uploaded",
                 case_id=case_id, detail={"attachment_id": row.id, "size": row.size,
                                          "identifies_reporter": identifies_reporter,
                                          **(detail or {})})
    return row


def read(runtime: Runtime, row: Attachment) -> bytes:
    """A stored file's bytes (callers check who may)."""
    return (storage_dir(runtime) / row.storage_key).read_bytes()


def list_for(session: Session, *, user: User, case_id: int) -> list[Attachment]:
    case_access.case_for_user(session, user, case_id)
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id)
                                .order_by(Attachment.uploaded_at, Attachment.id)))


def download(session: Session, runtime: Runtime, *, user: User, attachment_id: int,
             reason: str | None) -> tuple[Attachment, bytes]:
    """The file, for those who may see its case; an identifying file needs a reveal's reason."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound("attachment %(id)s not found", reason="attachment_not_found",
                       params={"id": attachment_id})
    case = case_access.case_for_user(session, user, row.case_id)
    if row.identifies_reporter:
        petition = session.get(Petition, row.petition_id) if row.petition_id else \
            session.scalar(select(Petition).where(Petition.case_id == case.id).limit(1))
        if petition is None or not petitions.may_reveal(session, user, petition):
            raise Forbidden("this file identifies the reporter", reason="attachment_reporter_hidden")
        if not (reason or "").strip():
            raise Invalid("a reason is required to open a file that identifies the reporter",
                          reason="attachment_reveal_reason_required",
                          fields={"reason": [notes.note("required")]})
    data = read(runtime, row)
    action = "reporter_revealed" if row.identifies_reporter else "attachment_downloaded"
    audit.record(session, at=runtime.clock.now(), actor=user.username, action=action,
                 case_id=case.id, detail={"attachment_id": row.id, "reason": reason or ""})
    return row, data


def describe(row: Attachment) -> dict:
    """An attachment as listed: an identifying file's name is masked."""
    return {"id": row.id, "case_id": row.case_id, "petition_id": row.petition_id,
            "file_name": "（涉及举报人身份信息）" if row.identifies_reporter else row.file_name,
            "content_type": row.content_type, "size": row.size,
            "identifies_reporter": row.identifies_reporter, "uploaded_at": row.uploaded_at}
