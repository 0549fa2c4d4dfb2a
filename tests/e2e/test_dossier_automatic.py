"""Dossiers the processes compile themselves (issue 24, point 4), on both databases through the
HTTP API and the engine: a township case's dossier is frozen when the case is concluded; a
zone-escalated case's dossier is compiled at the zone's dossier step and frozen when the county
archives it. Each is a `dossier` job queued in the completion's own transaction and built by a
worker afterwards (here without LibreOffice: the ZIP is made, the PDF is not)."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from engine.audit import chain
from engine.documents import dossier as dossiers
from engine.documents.models import Dossier
from engine.jobs import service as jobs
from engine.jobs.models import Job
from engine.org.models import User
from tests.api_client import deploy_all
from tests.e2e.test_documents import NO_SOFFICE, stored
from tests.e2e.test_pages_inbox import Browser, text
from tests.e2e.test_reviews_and_zones import (BPMN, HOLDER, complete, history, task_of,
                                              to_team, town_case)


@pytest.fixture
def settings_overrides(tmp_path):
    return {"storage": {"path": str(tmp_path / "files")}, "documents": NO_SOFFICE}


# The stand-in township process, whose one step makes the 回访记录 (so that the step that
# concludes the case queues a document beside the dossier).
WITH_DOCUMENT = HOLDER.replace(
    "<bpmn:extensionElements><camunda:formData>",
    '<bpmn:extensionElements><camunda:properties><camunda:property name="document" '
    'value="return_visit_record" /></camunda:properties><camunda:formData>')


def jobs_of(runtime, case_id: int, kind: str) -> list[Job]:
    rows = runtime.read(lambda uow: list(uow.session.scalars(
        select(Job).where(Job.kind == kind).order_by(Job.created_at, Job.id))))
    return [j for j in rows if j.params.get("case_id") == case_id]


def dossiers_of(runtime, case_id: int) -> list[Dossier]:
    return runtime.read(lambda uow: list(uow.session.scalars(
        select(Dossier).where(Dossier.case_id == case_id).order_by(Dossier.revision))))


def verified(runtime, dossier_id: int, user: str = "chief") -> dict:
    def verify(uow):
        reader = uow.session.scalar(select(User).where(User.username == user))
        return dossiers.verify(uow.session, runtime, user=reader, dossier_id=dossier_id)
    return runtime.read(verify)


def zip_names(runtime, row: Dossier) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(stored(runtime, row.zip_attachment_id)[1])).namelist()


def test_a_township_case_freezes_its_dossier_when_it_is_concluded(app, api, runtime):
    assert api.as_("designer").deploy(WITH_DOCUMENT.encode(), "town_case.bpmn").status == 201
    case_id = town_case(api, runtime)
    assert jobs_of(runtime, case_id, "dossier") == []
    handle = task_of(api, "a-worker", "handle", case_id)
    complete(api, "a-worker", handle, {"note": "已核实，予以了结"})

    # Concluded: the case is closed, and its dossier job was queued in that same transaction
    # (nothing is built inside it), freezing, as the caseworker who concluded it.
    case = api.as_("chief").get(f"/cases/{case_id}").json
    assert case["status"] == "closed"
    (job,) = jobs_of(runtime, case_id, "dossier")
    assert job.status == "queued" and job.params == {"case_id": case_id, "freeze": True,
                                                     "source": "conclusion"}
    assert job.owner_id == runtime.read(lambda uow: uow.session.scalar(
        select(User.id).where(User.username == "a-worker")))
    (document_job,) = jobs_of(runtime, case_id, "document")
    assert document_job.status == "queued"
    assert dossiers_of(runtime, case_id) == []
    # The case page follows it.
    worker = Browser(app, "a-worker")
    section = text(worker.get(f"/cases/{case_id}/dossier"))
    assert 'data-testid="dossier-job" data-status="queued"' in section, section
    assert 'hx-trigger="every 2s"' in section and 'data-testid="compile-dossier"' not in section

    # A worker takes the dossier first: the step's document is made before it is filed.
    assert jobs.run_one(runtime, job.id, "test-worker")
    followed = api.as_("a-worker").get(f"/documents/jobs/{job.id}").json
    assert followed["status"] == "done", followed
    assert runtime.read(lambda uow: uow.session.get(Job, document_job.id).status) == "done"
    (row,) = dossiers_of(runtime, case_id)
    assert row.status == "frozen" and row.frozen_at is not None and row.pdf_attachment_id is None
    assert [e["title"] for e in row.contents] == ["回访记录", "办理过程记录"]
    assert "01-回访记录.docx" in zip_names(runtime, row)
    section = text(worker.get(f"/cases/{case_id}/dossier"))
    assert 'data-testid="dossier-row"' in section and row.sha256 in section
    assert 'data-testid="compile-dossier"' not in section and "every 2s" not in section
    (event,) = [e for e in history(api, case_id) if e["action"] == "dossier_frozen"]
    assert event["actor"] == "a-worker" and event["detail"]["sha256"] == row.sha256
    assert verified(runtime, row.id) == {"zip": True, "pdf": True, "audited": True, "ok": True}
    key, _ = chain.audit_key(runtime.settings)
    assert not runtime.read(lambda uow: chain.verify_chain(uow.session, key)).problems
    # Frozen: it is not rebuilt.
    assert api.as_("a-worker").post(f"/cases/{case_id}/dossiers", json={}).status == 409


def test_a_zone_case_is_compiled_at_the_dossier_step_and_frozen_when_archived(api, runtime):
    resp = deploy_all(api.as_("designer"), [BPMN / "zone_escalation.bpmn",
                                            BPMN / "deadline_extension.bpmn"])
    assert resp.status == 201, resp.json
    assert api.as_("designer").deploy(HOLDER.encode(), "town_case.bpmn").status == 201
    from tests.e2e.test_reviews_and_zones import add_user
    add_user(api, runtime, "sup-worker", "caseworker", "supervision-office")
    add_user(api, runtime, "c-worker", "caseworker", "town-c")
    case_id = town_case(api, runtime)
    team = to_team(api, case_id)
    complete(api, "east-head", team, {"team": "b-worker，c-worker"})
    for who in ("b-worker", "c-worker"):
        done = complete(api, who, task_of(api, who, "investigate", case_id),
                        {"findings": f"{who}的调查情况"})
    (step,) = done["next_tasks"]
    assert step["element_id"] == "compile_dossier"
    assert jobs_of(runtime, case_id, "dossier") == []  # the township's work was withdrawn
    done = complete(api, "east-head", step, {"dossier_summary": "正卷1册", "volumes": 1})

    # The dossier step queued the compilation (not freezing) as the zone head.
    (compile_job,) = jobs_of(runtime, case_id, "dossier")
    assert compile_job.status == "queued"
    assert compile_job.params == {"case_id": case_id, "freeze": False,
                                  "source": "zone_dossier_step"}
    assert jobs.run_one(runtime, compile_job.id, "test-worker")
    (compiled,) = dossiers_of(runtime, case_id)
    assert compiled.status == "compiled" and compiled.frozen_at is None
    assert compiled.contents[-1]["title"] == "办理过程记录"
    (built,) = [e for e in history(api, case_id) if e["action"] == "dossier_built"]
    assert built["actor"] == "east-head"
    zone_view = api.as_("east-head").get(f"/cases/{case_id}/dossiers").json
    assert [(d["revision"], d["status"]) for d in zone_view] == [(1, "compiled")]

    # Archived at the county: the zone's process ends and closes the case in the same
    # transaction; one freezing job, as the case office's archivist.
    (archive,) = done["next_tasks"]
    complete(api, "case-officer", archive, {"archive_number": "县纪档〔2026〕18号"})
    assert api.as_("chief").get(f"/cases/{case_id}").json["status"] == "closed"
    freeze_jobs = [j for j in jobs_of(runtime, case_id, "dossier") if j.params["freeze"]]
    assert [j.params["source"] for j in freeze_jobs] == ["archive"]
    (freeze,) = freeze_jobs
    assert freeze.status == "queued"
    assert jobs.run_one(runtime, freeze.id, "test-worker")
    followed = api.as_("case-officer").get(f"/documents/jobs/{freeze.id}").json
    assert followed["status"] == "done", followed
    rows = dossiers_of(runtime, case_id)
    assert [(r.revision, r.status) for r in rows] == [(1, "compiled"), (2, "frozen")]
    frozen = rows[-1]
    events = history(api, case_id)
    (event,) = [e for e in events if e["action"] == "dossier_frozen"]
    assert event["actor"] == "case-officer" and event["detail"]["sha256"] == frozen.sha256
    # The frozen dossier's timeline records the archiving (its ZIP holds it).
    timeline = [n for n in zip_names(runtime, frozen) if n.endswith("办理过程记录.docx")]
    assert timeline
    assert verified(runtime, frozen.id) == {"zip": True, "pdf": True, "audited": True,
                                            "ok": True}
    key, _ = chain.audit_key(runtime.settings)
    assert not runtime.read(lambda uow: chain.verify_chain(uow.session, key)).problems
    assert api.as_("east-head").post(f"/cases/{case_id}/dossiers", json={}).status == 409


def test_a_job_someone_waits_for_is_taken_before_a_freezing_dossier(runtime):
    """A dossier the engine queued by itself (a conclusion's freeze) converts many documents; a
    ledger export queued after it, which a person is waiting for, is taken first."""
    def queue(uow):
        chief = uow.session.scalar(select(User).where(User.username == "chief"))
        frozen = jobs.submit(uow.session, runtime, kind="dossier", owner=chief, suffix="",
                             params={"case_id": 1, "freeze": True, "source": "conclusion"},
                             background=True)
        ledger = jobs.submit(uow.session, runtime, kind="clue-ledger", owner=chief, params={})
        return frozen.id, ledger.id
    frozen, ledger = runtime.transact(queue)
    assert jobs.claim(runtime, "test-worker") == ledger
    assert jobs.claim(runtime, "test-worker") == frozen
