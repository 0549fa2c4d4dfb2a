"""Documents as background jobs (engine/documents/jobs.py) on both databases: completing a step
whose BPMN `document` property names a template queues the generation in the completion's own
transaction, and a worker generates it after the commit; a generation that fails fails only the
job (the completion stays committed), and says why; the task page follows the job."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.petitions.models import Petition
from engine.documents.models import Document
from engine.inbox.models import Task
from engine.jobs import service as jobs
from engine.jobs.models import Job
from tests.api_client import deploy_processes
from tests.e2e.test_deadlines import LANES
from tests.e2e.test_documents import stored, text_of, upload_template, with_paragraph
from tests.e2e.test_pages_inbox import Browser, register_to_town, text

NO_SOFFICE = {"soffice": "/nonexistent/soffice"}


@pytest.fixture
def settings_overrides(tmp_path):
    return {"lanes": LANES, "storage": {"path": str(tmp_path / "files")},
            "documents": NO_SOFFICE}


@pytest.fixture
def flow(api):
    deploy_processes(api)
    return api


def approve_task(flow) -> tuple[dict, dict]:
    """A case at 审批处置意见, whose `document` is the 问题线索处置审批表."""
    task = register_to_town(flow)
    done = flow.as_("a-worker").complete(task, {"disposition": "verification",
                                                "disposition_reason": "反映具体，可查性强"}).json
    (approve,) = [t for t in done["next_tasks"] if t["element_id"] == "approve_disposition"]
    return task, approve


def job_of_task(runtime, task_id: str) -> Job:
    rows = runtime.read(lambda uow: list(uow.session.scalars(select(Job).where(
        Job.kind == "document"))))
    (job,) = [j for j in rows if j.params.get("task_id") == task_id]
    return job


def documents_of(runtime, case_id: int) -> list[Document]:
    return runtime.read(lambda uow: list(uow.session.scalars(select(Document).where(
        Document.case_id == case_id))))


def test_completing_the_step_queues_its_document_and_the_job_makes_the_attachment(
        app, flow, runtime):
    task, approve = approve_task(flow)
    done = flow.as_("a-head").complete(approve, {"approved": True, "comment": "同意"})
    assert done.status == 200, done.json
    # Committed, with the job queued beside it; nothing generated inside the completion.
    job = job_of_task(runtime, approve["id"])
    assert job.status == "queued" and job.params["case_id"] == task["case_id"]
    assert job.params["template"] == "disposition_approval" and job.params["source"] == "completion"
    assert documents_of(runtime, task["case_id"]) == []
    followed = flow.as_("a-head").get(f"/documents/jobs/{job.id}").json
    assert followed["status"] == "queued" and followed["document"] is None
    head = Browser(app, "a-head")
    section = text(head.get(f"/cases/{task['case_id']}"))
    assert "卷宗" in section
    # A worker runs it.
    assert jobs.run_one(runtime, job.id, "test-worker")
    followed = flow.as_("a-head").get(f"/documents/jobs/{job.id}").json
    assert followed["status"] == "done", followed
    assert followed["progress_done"] == followed["progress_total"] == 3
    document = followed["document"]
    assert document["task_id"] == approve["id"] and document["template"] == "disposition_approval"
    assert not document["pdf_available"]  # no LibreOffice: the Word file is still made
    (row,) = documents_of(runtime, task["case_id"])
    assert row.docx_attachment_id == document["docx_attachment_id"]
    attachment, data = stored(runtime, row.docx_attachment_id)
    assert attachment.case_id == task["case_id"]
    body = text_of(data)
    assert "问题线索处置审批表" in body and "反映具体，可查性强" in body
    history = flow.as_("a-head").get(f"/cases/{task['case_id']}/history").json
    assert [e["detail"]["document"] for e in history if e["action"] == "document_generated"] \
        == ["disposition_approval"]


def test_a_failing_generation_fails_the_job_not_the_completion(app, flow, runtime, api):
    # A template version that passes the upload check (the made-up record has a reply summary)
    # but cannot be filled from this case (no reply summary: `round` of a text fails).
    broken = with_paragraph("{% if not steps.reply_summary %}{{ case.number|round }}{% endif %}",
                            "disposition_approval")
    status, body = upload_template(api, "admin", "disposition_approval", broken)
    assert status == 201, body
    task, approve = approve_task(flow)
    done = flow.as_("a-head").complete(approve, {"approved": True})
    assert done.status == 200, done.json
    job = job_of_task(runtime, approve["id"])
    jobs.run_one(runtime, job.id, "test-worker")
    # The completion is committed: the task is completed and the process went on.
    completed = runtime.read(lambda uow: uow.session.get(Task, approve["id"]))
    assert completed.status == "completed"
    assert done.json["next_tasks"], done.json
    followed = flow.as_("a-head").get(f"/documents/jobs/{job.id}").json
    assert followed["status"] == "failed" and followed["reason"] == "template_render", followed
    assert documents_of(runtime, task["case_id"]) == []
    # The task page of the next step says so in Chinese, and the button makes it once fixed.
    (nxt,) = [t for t in done.json["next_tasks"]]
    head = Browser(app, "a-head")
    page = text(head.get(f"/cases/{task['case_id']}"))
    assert page  # the case page still opens
    section = text(head.get(f"/tasks/{approve['id']}/documents"))
    assert 'data-status="failed"' in section and "未能生成" in section, section
    status, body = upload_template(api, "admin", "disposition_approval",
                                   with_paragraph("修正版", "disposition_approval"))
    assert status == 201
    resp = head.post(f"/tasks/{approve['id']}/document")
    assert resp.status_code == 200, text(resp)
    section = text(resp)
    assert 'data-status="done"' in section and "问题线索处置审批表" in section
    (row,) = documents_of(runtime, task["case_id"])
    assert row.template_version == 3 and row.task_id == approve["id"]
    assert nxt


def test_the_task_page_shows_a_queued_job_and_polls_it(app, flow, runtime):
    task, approve = approve_task(flow)
    # Queue without running (as a worker-less request would): the section keeps asking.
    from engine.documents import jobs as document_jobs
    from engine.org.models import User

    def queue(uow):
        user = uow.session.scalar(select(User).where(User.username == "a-head"))
        return jobs.submit(uow.session, runtime, kind=document_jobs.DOCUMENT, owner=user,
                           suffix="", params={"case_id": task["case_id"],
                                              "template": "disposition_approval",
                                              "task_id": approve["id"]}).id
    job_id = runtime.transact(queue)
    head = Browser(app, "a-head")
    page = text(head.get(f"/tasks/{approve['id']}"))
    # The whole page draws the section with its jobs (no later load that could overwrite a click).
    assert 'hx-trigger="load"' not in page
    assert 'data-status="queued"' in page and 'hx-trigger="every 2s"' in page
    section = text(head.get(f"/tasks/{approve['id']}/documents"))
    assert 'data-status="queued"' in section and 'hx-trigger="every 2s"' in section
    assert "等待生成" in section
    assert jobs.run_one(runtime, job_id, "test-worker")
    while jobs.run_next(runtime, "test-worker"):  # the registration's documents too
        pass
    section = text(head.get(f"/tasks/{approve['id']}/documents"))
    assert 'data-status="done"' in section and 'hx-trigger="every 2s"' not in section
    assert 'data-testid="document"' in section


def test_classifying_makes_the_register_and_the_assignment_letter(app, flow, runtime):
    """分类研判 names two templates (`document` "petition_register, assignment_letter"): its
    completion queues both; the 交办函 goes from the registering unit to the township named as
    first-handling unit; the task page's buttons make either, and no other."""
    task = register_to_town(flow)
    rows = runtime.read(lambda uow: list(uow.session.scalars(select(Job).where(
        Job.kind == "document").order_by(Job.created_at, Job.id))))
    rows = [j for j in rows if j.params.get("case_id") == task["case_id"]]
    classify_jobs = [j for j in rows if j.params["template"] in ("petition_register",
                                                                 "assignment_letter")]
    assert [j.params["template"] for j in classify_jobs] == ["petition_register",
                                                            "assignment_letter"]
    assert len({j.params["task_id"] for j in classify_jobs}) == 1
    for job in classify_jobs:
        assert jobs.run_one(runtime, job.id, "test-worker")
    made = {d.template_key: d for d in documents_of(runtime, task["case_id"])}
    letter = text_of(stored(runtime, made["assignment_letter"].docx_attachment_id)[1])
    assert "交办函" in letter and "转办函" not in letter
    lines = letter.splitlines()
    assert "甲镇纪委：" in lines, lines  # to the first-handling township
    assert lines[0] == "信访室" and "信访室" in lines[-2:], lines  # from the registering unit
    shown = runtime.read(lambda uow: uow.session.scalar(select(Petition.display_number).where(
        Petition.case_id == task["case_id"])))
    assert "交由你单位办理" in letter and "李四" in letter and f"编号：{shown}" in letter
    assert "请于规定期限内将办理结果书面报送信访室" in letter
    assert "王" not in letter.split("反映的主要问题")[0]  # the reporter is not named

    classify_id = classify_jobs[0].params["task_id"]
    clerk = Browser(app, "clerk")
    section = text(clerk.get(f"/tasks/{classify_id}/documents"))
    assert 'data-testid="generate-document"' in section and "信访举报登记表" in section
    assert 'data-testid="generate-document-assignment_letter"' in section
    resp = clerk.post(f"/tasks/{classify_id}/document", data={"template": "assignment_letter"})
    assert resp.status_code == 200, text(resp)
    again = [d for d in documents_of(runtime, task["case_id"])
             if d.template_key == "assignment_letter"]
    assert sorted(d.revision for d in again) == [1, 2]
    api = flow.as_("clerk")
    asked = api.post(f"/tasks/{classify_id}/document", json={"template": "forward_letter"})
    assert asked.status == 422 and asked.json["error"]["reason"] == "task_document_not_named"
    first = api.post(f"/tasks/{classify_id}/document", json={})
    assert first.status == 202 and first.json["template"] == "petition_register", first.json
