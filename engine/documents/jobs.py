"""Documents and dossiers as background jobs (engine/jobs): one path for every way of asking.

- Completing a task whose BPMN `document` property names a template queues a `document` job in
  the completion's own transaction (`engine.processes.service.complete_task`): the job row exists exactly when the
  completion committed, and a worker generates the document only after that commit, in
  transactions of its own. A generation that fails (no permission, a broken template, the
  converter) fails the job, visibly, never the completion.
- The task page's and the case page's buttons and the API queue the same jobs (`queue_*`), after
  checking up front what can be checked (the case is visible, the reader may write documents).
- Any process follows a job (`status`): progress, then the document or dossier it made.

When the runtime is bound to one connection (tests) there is no worker beside it: the job asked
for is run before returning, like the ledger exports."""
from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access import cases as case_access
from engine.documents import dossier as dossiers
from engine.documents import service as documents
from engine.documents import supervision as supervision_documents
from engine.documents.catalog import BY_KEY, DOSSIER_JOB_KIND, JOB_KIND, step_documents
from engine.documents.models import Document, Dossier, SupervisionDocument
from engine.errors import Conflict, Forbidden, Invalid, NotFound
from engine.inbox import service as inbox
from engine.jobs import service as jobs
from engine.jobs.models import Job
from engine.org.models import User
from engine.runtime import Runtime

DOCUMENT = JOB_KIND  # queued by a completion too (engine/processes/service.py: complete_task)
DOSSIER = DOSSIER_JOB_KIND  # queued by a conclusion and the zone's steps too (dossier_queue)
KINDS = (DOCUMENT, DOSSIER)


def _document(runtime: Runtime, ctx: jobs.Context) -> dict:
    p = ctx.params
    if BY_KEY[p["template"]].scope != "case":  # a supervision step (inspection, finding)
        made = supervision_documents.for_instance(
            runtime, user_id=ctx.owner_id, key=p["template"], instance_id=p["instance_id"],
            task_id=p.get("task_id"), progress=lambda step, done, total: ctx.progress(done, total))
        return {"supervision_document_ids": [d["id"] for d in made],
                "pdf_available": all(d["pdf_available"] for d in made)}
    made = documents.generate(runtime, user_id=ctx.owner_id, case_id=p["case_id"],
                              key=p["template"], task_id=p.get("task_id"),
                              reveal_reason=p.get("reveal_reason"),
                              progress=lambda step, done, total: ctx.progress(done, total))
    return {"document_id": made["id"], "pdf_available": made["pdf_available"]}


def _settle_documents(runtime: Runtime, ctx: jobs.Context) -> None:
    """Make the documents the case's steps queued before this dossier job (the step that
    concluded the case queued its own beside it) that no worker has taken; wait, at most
    `jobs.stale_seconds`, for those another worker is making. A dossier that would miss one
    fails, visibly, rather than freeze without it."""
    case_id = ctx.params["case_id"]

    def of_case(status: str) -> list[str]:
        return runtime.read(lambda uow: [j.id for j in uow.session.scalars(
            select(Job).where(Job.kind == DOCUMENT, Job.status == status)
            .order_by(Job.created_at, Job.id)) if (j.params or {}).get("case_id") == case_id])
    for job_id in of_case("queued"):
        jobs.run_one(runtime, job_id, f"dossier-{ctx.job_id}")
    give_up = time.monotonic() + float(runtime.settings.get("jobs", "stale_seconds"))
    while of_case("running"):
        if time.monotonic() > give_up:
            raise Conflict("a document of this case is still being generated; compile the "
                           "dossier again once it is done", reason="dossier_documents_pending")
        time.sleep(1)


def _dossier(runtime: Runtime, ctx: jobs.Context) -> dict:
    p = ctx.params
    if p.get("freeze") or p.get("source", "request") != "request":
        _settle_documents(runtime, ctx)
    made = dossiers.build(runtime, user_id=ctx.owner_id, case_id=p["case_id"],
                          freeze=bool(p.get("freeze")),
                          progress=lambda step, done, total: ctx.progress(done, total))
    return {"dossier_id": made["id"], "pdf_available": made["pdf_available"]}


jobs.register(DOCUMENT, _document)
jobs.register(DOSSIER, _dossier)


def _run_if_bound(runtime: Runtime, job_id: str) -> None:
    if runtime.connection is not None:
        jobs.run_one(runtime, job_id, "inline")


def queue_document(runtime: Runtime, *, user: User, case_id: int, key: str,
                   task_id: str | None = None, reveal_reason: str | None = None) -> dict:
    """Queue the generation of template `key` for a case; return the job."""
    if key not in BY_KEY:
        raise NotFound("no document template %(key)s", reason="template_unknown",
                       params={"key": key})
    if BY_KEY[key].scope != "case":
        raise Invalid("this document is made for an inspection, not a case",
                      reason="template_not_for_cases", params={"key": key})

    def queue(uow):
        session = uow.session
        case_access.case_for_user(session, user, case_id)
        if not documents.WRITERS & user.roles:
            raise Forbidden("you may not generate documents for this case",
                            reason="documents_not_allowed")
        return jobs.submit(session, runtime, kind=DOCUMENT, owner=user, suffix="",
                           params={"case_id": case_id, "template": key, "task_id": task_id,
                                   "reveal_reason": reveal_reason, "source": "request"}).id
    job_id = runtime.transact(queue)
    _run_if_bound(runtime, job_id)
    return status(runtime, user=user, job_id=job_id)


def task_document(session: Session, *, user: User, task_id: str,
                  key: str | None = None) -> tuple[str, int]:
    """(template key, case id) of a document the task's `document` property names: `key`, or
    the first it names."""
    task = inbox.get_task(session, user=user, task_id=task_id)
    keys = step_documents((task.properties or {}).get("document"))
    if not keys or task.case_id is None:
        raise Invalid("this step produces no document", reason="task_has_no_document")
    if key is not None and key not in keys:
        raise Invalid("this step does not produce the document %(key)s",
                      reason="task_document_not_named", params={"key": key})
    return key or keys[0], task.case_id


def queue_for_task(runtime: Runtime, *, user: User, task_id: str, key: str | None = None,
                   reveal_reason: str | None = None) -> dict:
    """The task page's buttons: queue a document the task's `document` property names (`key`,
    or the first)."""
    key, case_id = runtime.read(lambda uow: task_document(uow.session, user=user,
                                                          task_id=task_id, key=key))
    return queue_document(runtime, user=user, case_id=case_id, key=key, task_id=task_id,
                          reveal_reason=reveal_reason)


def queue_dossier(runtime: Runtime, *, user: User, case_id: int, freeze: bool = False) -> dict:
    """Queue the compilation of a case's dossier (and its freezing when asked)."""
    def queue(uow):
        session = uow.session
        case = case_access.case_for_user(session, user, case_id)
        if not dossiers.WRITERS & user.roles:
            raise Forbidden("you may not compile this case's dossier",
                            reason="dossier_not_allowed")
        dossiers.check_freeze(session, case, freeze)
        return jobs.submit(session, runtime, kind=DOSSIER, owner=user, suffix="",
                           params={"case_id": case_id, "freeze": bool(freeze)}).id
    job_id = runtime.transact(queue)
    _run_if_bound(runtime, job_id)
    return status(runtime, user=user, job_id=job_id)


def describe(session: Session, job: Job) -> dict:
    """A document or dossier job as the API and the pages show it."""
    result = job.result or {}
    document = session.get(Document, result["document_id"]) \
        if job.status == "done" and result.get("document_id") else None
    dossier = session.get(Dossier, result["dossier_id"]) \
        if job.status == "done" and result.get("dossier_id") else None
    params = job.params or {}
    spec = BY_KEY.get(params.get("template") or "")
    return {"id": job.id, "kind": job.kind, "status": job.status,
            "case_id": params.get("case_id"), "template": params.get("template"),
            "title": spec.title if spec else None, "task_id": params.get("task_id"),
            "progress_done": job.progress_done, "progress_total": job.progress_total,
            "error": job.error, "reason": result.get("reason") if job.status == "failed"
            else None, "params": result.get("params") or {}, "msgid": result.get("msgid"),
            "document": documents.describe(document) if document else None,
            "dossier": dossiers.describe(dossier) if dossier else None,
            "supervision_documents": [supervision_documents.describe(r) for r in (
                session.get(SupervisionDocument, i)
                for i in result.get("supervision_document_ids") or []) if r is not None]
            if job.status == "done" else [],
            "created_at": job.created_at, "finished_at": job.finished_at}


def status(runtime: Runtime, *, user: User, job_id: str) -> dict:
    """A document or dossier job of the user (any process answers)."""
    def read(uow):
        job = jobs.get(uow.session, user=user, job_id=job_id)
        if job.kind not in KINDS:
            raise NotFound("job %(id)s not found", reason="job_not_found", params={"id": job_id})
        return describe(uow.session, job)
    return runtime.read(read)


def for_case(session: Session, *, user: User, case_id: int, kinds: tuple[str, ...] = KINDS,
             limit: int = 5) -> list[dict]:
    """The latest document / dossier jobs of a case the user may see, whoever asked for them
    (a completion queues its document as the one who completed the step), newest first: the
    pages show their progress and failures."""
    case_access.case_for_user(session, user, case_id)
    return of_case(session, case_id, kinds=kinds, limit=limit)


def of_case(session: Session, case_id: int, *, kinds: tuple[str, ...] = KINDS,
            limit: int = 5) -> list[dict]:
    """`for_case` of a case the caller has checked the user may see."""
    seen, found = set(), []
    for job in jobs.recent_of_kinds(session, kinds=kinds, limit=200):
        params = job.params or {}
        what = (job.kind, params.get("template"))
        if params.get("case_id") != case_id or what in seen:
            continue  # only the latest job for each document (an old failure was retried)
        seen.add(what)
        found.append(describe(session, job))
    return found[:limit]


def active(found: list[dict]) -> bool:
    return any(j["status"] in jobs.ACTIVE for j in found)
