"""Documents and dossiers on the pages, as background jobs: the task page's button and the case
page's buttons queue a job; the section shows each job's progress (it asks again every two
seconds while one is queued or running) and then the document or dossier it made, or why it
failed (in the reader's language)."""
from __future__ import annotations

from flask import g, render_template, request
from flask_babel import gettext as _

from engine.documents import jobs as document_jobs
from web.auth import runtime
from web.ui import bp, page, toast
from web.ui.cases import case_context
from web.ui.tasks import _context, _view, task_jobs


def documents_section(task_id: str) -> str:
    view = _view(task_id)
    return render_template("tasks/_documents.html",
                           **_context(view, **task_jobs(view["case"]["id"])))


@bp.post("/tasks/<task_id>/document")
@page()
def generate_document(task_id: str):
    """Queue the step's document (a background job: .docx, and PDF where LibreOffice is)."""
    document_jobs.queue_for_task(runtime(), user=g.user, task_id=task_id,
                                 key=request.form.get("template") or None)
    return toast(documents_section(task_id), _("The document is being generated."))


@bp.get("/tasks/<task_id>/documents")
@page()
def task_documents(task_id: str):
    """The task page's documents section with the progress of the case's document jobs."""
    return documents_section(task_id)


def dossier_section(case_id: int) -> str:
    return render_template("cases/_dossier.html", **case_context(case_id))


@bp.post("/cases/<int:case_id>/dossier")
@page()
def case_dossier(case_id):
    """Queue the dossier's compilation (and freezing when asked); the section follows it."""
    document_jobs.queue_dossier(runtime(), user=g.user, case_id=case_id,
                                freeze=request.form.get("freeze") == "1")
    return toast(dossier_section(case_id), _("The dossier is being compiled."))


@bp.get("/cases/<int:case_id>/dossier")
@page()
def case_dossier_section(case_id):
    """The case page's dossier section with the progress of the dossier jobs."""
    return dossier_section(case_id)
