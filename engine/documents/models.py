"""Template versions, generated documents and case dossiers."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JSONType, UTCDateTime


class DocumentTemplate(Base):
    """An uploaded version of a template (version 1 of every shipped key is its file in
    engine/documents/templates/; uploads are 2, 3, …)."""
    __tablename__ = "document_templates"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str] = mapped_column(Text, default="")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Document(Base):
    """One generation of a template for a case; regenerating adds a revision, keeps the old."""
    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    template_sha256: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))  # 发文字号
    task_id: Mapped[str | None] = mapped_column(String(36))
    docx_attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    pdf_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    sha256: Mapped[str] = mapped_column(String(64))  # of the .docx
    revealed: Mapped[bool] = mapped_column(Boolean, default=False)
    generated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Dossier(Base):
    """A compiled dossier (卷宗): one PDF (when LibreOffice is there) and one ZIP; `frozen` once
    archived or the case is concluded, its checksum then in the audit chain."""
    __tablename__ = "dossiers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # compiled, frozen
    pdf_attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id"))
    zip_attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    sha256: Mapped[str] = mapped_column(String(64))  # of the ZIP
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    contents: Mapped[list] = mapped_column(JSONType, default=list)  # the table of contents
    built_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    frozen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SupervisionDocument(Base):
    """One generation of a supervision template (检查通知书, 整改通知书, 整改情况报告) for an
    inspection or one of its findings; the files are in the storage folder like attachments.
    Regenerating adds a revision and keeps the old one."""
    __tablename__ = "supervision_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_findings.id"),
                                                   index=True)
    template_key: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    template_sha256: Mapped[str] = mapped_column(String(64))
    revision: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))  # 发文字号
    task_id: Mapped[str | None] = mapped_column(String(36))
    docx_key: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(String(64))  # of the .docx
    pdf_key: Mapped[str | None] = mapped_column(String(100))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    generated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime)
