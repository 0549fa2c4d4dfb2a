"""The authorisation matrix (API.md "Authority"): every operation of the OpenAPI document × every
demo user, each user standing in for a role in the subject's own unit, another unit, a unit above
or a unit below. Expectations are data beside this file (`authority_matrix.yaml`), each citing the
row of the table it follows; an operation without an entry fails, so no endpoint escapes.

The world is built once per database: the demo organisation and the demo's sample cases, driven
through the real processes. Every request runs inside a savepoint that is rolled back, so a
successful cancel or deploy does not change what the next request sees. The whole matrix runs on
SQLite; PostgreSQL runs one user per role over every operation.
"""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from engine.clock import Clock
from engine.config import load_settings
from engine.runtime import Runtime
from tests.api_client import ApiClient, Response
from tests.conftest import DEMO_USERS, FROZEN, backends

HERE = Path(__file__).resolve().parent
EXPECT = yaml.safe_load((HERE / "authority_matrix.yaml").read_text(encoding="utf-8"))
METHODS = ("get", "post", "put", "patch", "delete")
DENIED = (403, 404)
# One user per role for the PostgreSQL sample (own unit where a unit matters).
SAMPLE = ["clerk", "a-worker", "a-head", "chief", "reviewer", "designer", "admin", "b-worker"]


def _operations() -> list[str]:
    from web import create_app
    app = create_app({"database": {"url": "sqlite://"}})
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    return sorted(f"{m.upper()} {p}" for p, ops in doc["paths"].items() for m in ops
                  if m in METHODS)


OPERATIONS = _operations()


def test_every_user_has_a_role_and_a_place():
    assert sorted(EXPECT["users"]) == sorted(DEMO_USERS)


def test_no_stale_expectations():
    assert sorted(set(EXPECT["operations"]) - set(OPERATIONS)) == []


# ------------------------------------------------------------------------------ the world

class World:
    """The sample cases of the demo on a committed scratch database, joined in one outer
    transaction; `cell()` runs one request in a savepoint and rolls it back."""

    def __init__(self, scratch, backend: str):
        from engine.demo import load_samples
        from engine.org import service as org
        from engine.processes import service as processes
        from web import create_app
        url = scratch.create(backend)
        setup = Runtime(load_settings({"database": {"url": url}}), clock=Clock(FROZEN))
        files = [(p.name, p.read_bytes()) for p in sorted((HERE.parents[1] / "bpmn").glob("*.bpmn"))]
        setup.transact(lambda uow: processes.deploy(uow, runtime=setup, files=files,
                                                    actor="designer"))
        load_samples(setup)
        tokens = setup.transact(lambda uow: {u: org.issue_token(uow.session, username=u,
                                                                now=FROZEN) for u in DEMO_USERS})
        self.engine = setup.engine
        self.connection = self.engine.connect()
        self.outer = self.connection.begin()
        # Documents without LibreOffice here (the .docx and ZIP are still made).
        settings = load_settings({"database": {"url": url}, "engine": {"workflow_cache_size": 0},
                                  "documents": {"soffice": "/nonexistent/soffice"}})
        self.runtime = Runtime(settings, engine=self.engine, connection=self.connection,
                               clock=Clock(FROZEN))
        self.api = ApiClient(create_app(runtime=self.runtime).test_client(), tokens)
        self.ids = self._targets()

    def _targets(self) -> dict:
        """Path parameters: the subject case in town-a and what hangs off it."""
        from engine.cases.models import Case
        from engine.clues.models import Clue
        from engine.deadlines.models import Deadline
        from engine.inbox.models import Task
        from engine.petitions.models import Petition
        from engine.reviews.models import JointReview

        def read(uow):
            s = uow.session
            task = s.scalar(select(Task).where(Task.element_id == "propose_disposition",
                                               Task.status == "open")
                            .join(Case, Case.id == Task.case_id)
                            .where(Case.handling_unit_id == Task.candidate_unit_id,
                                   Case.id.in_(select(Petition.case_id)))  # not a clue from
                            # an inspection
                            .order_by(Task.case_id.desc()))
            case = s.get(Case, task.case_id)
            return {"case_id": case.id, "task_id": task.id, "instance_id": case.instance_id,
                    "petition_id": s.scalar(select(Petition.id).where(Petition.case_id == case.id)),
                    "clue_id": s.scalar(select(Clue.id).where(Clue.case_id == case.id)),
                    "deadline_id": s.scalar(select(Deadline.id).where(
                        Deadline.case_id == case.id, Deadline.status == "open")),
                    "review_id": s.scalar(select(JointReview.id).where(
                        JointReview.case_id.is_not(None)).order_by(JointReview.id)),
                    "handling_unit": s.scalar(select(Task.candidate_unit_id).where(
                        Task.id == task.id))}
        ids = self.runtime.read(read)
        assert ids["handling_unit"] is not None and all(ids.values()), ids
        # Things the samples do not have, made by their owners (committed in the outer
        # transaction, so every cell sees them).
        worker = self.api.as_("a-worker")
        up = worker.request("POST", f"/cases/{ids['case_id']}/attachments",
                            data={"file": (io.BytesIO(b"%PDF-1.4 scanned letter"), "letter.pdf",
                                           "application/pdf")})
        assert up.status == 201, up.json
        ids["attachment_id"] = up.json["id"]
        rel = self.api.as_("a-worker2").post("/relations", json={
            "person_name": "李四", "person_kind": "accused", "relation": "亲属",
            "requested": False})
        assert rel.status == 201, rel.json
        ids["relation_id"] = rel.json["id"]
        job = self.api.as_("a-head").post("/reports/ledgers/clue-ledger", json={})
        assert job.status in (200, 201, 202), job.json
        ids["job_id"] = job.json["id"]
        ids["document_job_id"] = self._document_job(ids["case_id"])
        ids.update(self._supervision(worker))
        ids["supervision_document_id"] = self._supervision_document(ids)
        ids.update(self._village())
        ids.update(self._quality_review())
        ids.update(kind="clue-ledger", code="town-a", username="a-worker2",
                   key="petition_intake", version=1, template_key="petition_register")
        from engine.petitions.models import RepeatAlias
        ids["alias_id"] = self.runtime.read(lambda uow: uow.session.scalar(
            select(RepeatAlias.id).order_by(RepeatAlias.id).limit(1)))
        ids["test_id"] = self._test_run()["test_id"]  # for readers; each matrix cell starts its own
        ids["test_case_id"] = self._test_case()
        return ids

    def _document_job(self, case_id: int) -> str:
        """A document job of a-head's (queued, as a completion queues one)."""
        from engine.jobs import service as jobs
        from engine.org.models import User

        def queue(uow):
            user = uow.session.scalar(select(User).where(User.username == "a-head"))
            return jobs.submit(uow.session, self.runtime, kind="document", owner=user, suffix="",
                               params={"case_id": case_id, "template": "petition_register"}).id
        return self.runtime.transact(queue)

    def _supervision_document(self, ids: dict) -> int:
        """The 整改通知书 of the special check's first finding, generated by its inspector."""
        from engine.documents import supervision as supervision_documents
        from engine.org.models import User
        from engine.supervision.models import Inspection
        user_id, inspectors = self.runtime.read(lambda uow: (
            uow.session.scalar(select(User.id).where(User.username == "s-inspector")),
            uow.session.get(Inspection, ids["inspection_id"]).inspectors))
        assert "s-inspector" in inspectors
        return supervision_documents.generate(
            self.runtime, user_id=user_id, key="rectification_notice",
            inspection_id=ids["inspection_id"], finding_id=ids["finding_id"])["id"]

    def _supervision(self, worker) -> dict:
        """The special check of the demo, its first finding (with an evidence file) and the
        first interference entry."""
        from engine.supervision.models import Finding, Inspection, InterferenceEntry

        def read(uow):
            s = uow.session
            inspection = s.scalar(select(Inspection).where(Inspection.kind == "special"))
            finding = s.scalar(select(Finding).where(Finding.inspection_id == inspection.id)
                               .order_by(Finding.id).limit(1))
            entry = s.scalar(select(InterferenceEntry.id).order_by(InterferenceEntry.id).limit(1))
            return {"inspection_id": inspection.id, "finding_id": finding.id, "entry_id": entry}
        ids = self.runtime.read(read)
        up = self.api.as_("a-rectifier").request(
            "POST", f"/findings/{ids['finding_id']}/evidence",
            data={"file": (io.BytesIO(b"%PDF-1.4 proof"), "proof.pdf", "application/pdf")})
        assert up.status == 201, up.json
        ids["evidence_id"] = up.json["id"]
        return ids

    def _village(self) -> dict:
        """A seal-use matter of 东村, started by its secretary, and a statistics item of 东村
        awaiting approval, written by 甲镇's editor (village power)."""
        made = self.api.as_("east-secretary").post("/village/matters",
                                                   json={"kind": "seal", "title": "矩阵"})
        assert made.status == 201, made.json
        item = self.api.as_("a-editor").post("/disclosures", json={
            "unit": "village-a-east", "kind": "statistics", "title": "矩阵"})
        assert item.status == 201, item.json
        return {"matter_id": made.json["id"], "disclosure_id": item.json["id"]}

    def _quality_review(self) -> dict:
        """The demo's notified quality review round (county, this quarter) and its town-a item;
        the zone and the village committee evaluated."""
        from engine.org.models import Unit
        from engine.quality.models import ReviewItem, ReviewRound

        def read(uow):
            s = uow.session
            town_a = s.scalar(select(Unit.id).where(Unit.code == "town-a"))
            round_id = s.scalar(select(ReviewRound.id).where(ReviewRound.status == "notified"))
            item_id = s.scalar(select(ReviewItem.id).where(ReviewItem.round_id == round_id,
                                                           ReviewItem.unit_id == town_a))
            return {"round_id": round_id, "item_id": item_id, "zone": "zone-east",
                    "committee": "village-a-east"}
        found = self.runtime.read(read)
        assert all(found.values()), found
        return found

    def _test_run(self) -> dict:
        """A fresh in-memory test-run of the designer (a cell may complete or discard it)."""
        run = self.api.as_("designer").request(
            "POST", "/test-runs", data=EXPECT["x-draft"].encode(),
            headers={"Content-Type": "application/xml"})
        assert run.status == 201, run.json
        return {"test_id": run.json["id"], "task_id": run.json["ready_tasks"][0]["id"]}

    def _test_case(self) -> int:
        """A saved test-run of the draft (one step)."""
        designer = self.api.as_("designer")
        run = self._test_run()
        done = designer.post(f"/test-runs/{run['test_id']}/tasks/{run['task_id']}/complete",
                             json={"data": {}})
        assert done.status == 200, done.json
        saved = designer.post(f"/test-runs/{run['test_id']}/cases", json={"name": "matrix"})
        assert saved.status == 201, saved.json
        return saved.json["id"]

    def path(self, template: str, ids: dict | None = None) -> str:
        ids = self.ids if ids is None else ids
        return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), template)

    def _fill(self, value, ids: dict):
        if isinstance(value, str):
            return self.path(value, ids)
        if isinstance(value, dict):
            return {k: self._fill(v, ids) for k, v in value.items()}
        if isinstance(value, list):
            return [self._fill(v, ids) for v in value]
        return value

    def cell(self, user: str, operation: str, entry: dict):
        method, template = operation.split(" ", 1)
        ids = dict(self.ids)
        if "{test_id}" in template:
            ids.update(self._test_run())
        path = self.path(template.removeprefix("/api/v1"), ids)
        kw = {}
        if "body" in entry:
            kw["json"] = self._fill(entry["body"], ids)
        if "xml" in entry:
            kw["data"] = entry["xml"].encode()
            kw["headers"] = {"Content-Type": "application/xml"}
        if "query" in entry:
            kw["query"] = entry["query"]
        if entry.get("upload"):
            kw["data"] = {"file": (io.BytesIO(b"%PDF-1.4 matrix"), "m.pdf", "application/pdf")}
        client = self.api.as_(user)
        savepoint = self.connection.begin_nested()
        try:
            resp = client.client.open(f"/api/v1{path}", method=method, json=kw.get("json"),
                                      data=kw.get("data"), query_string=kw.get("query"),
                                      headers=client._headers(kw.get("headers")))
        finally:
            savepoint.rollback()
        # Ledgers are binary: the text is only for messages.
        return Response(resp.status_code, resp.get_json(silent=True),
                        resp.get_data().decode("utf-8", "replace"))

    def close(self):
        self.outer.rollback()
        self.connection.close()
        self.engine.dispose()


@pytest.fixture(scope="module")
def worlds(scratch):
    made: dict[str, World] = {}

    def get(backend: str) -> World:
        if backend not in made:
            made[backend] = World(scratch, backend)
        return made[backend]
    yield get
    for world in made.values():
        world.close()


def _run(world: World, operation: str, users: list[str]) -> list[str]:
    entry = EXPECT["operations"].get(operation)
    assert entry is not None, (f"{operation} has no entry in authority_matrix.yaml: add one, "
                               "citing the API.md Authority row it follows")
    assert entry.get("authority"), f"{operation}: cite the Authority row"
    allowed = set(entry.get("allow", []))
    if allowed == {"everyone"}:
        allowed = set(DEMO_USERS)
    unknown = allowed - set(DEMO_USERS)
    assert not unknown, f"{operation}: unknown users {unknown}"
    wrong = []
    for user in users:
        resp = world.cell(user, operation, entry)
        assert resp.status < 500, f"{operation} as {user}: {resp.status} {resp.text[:300]}"
        if user in allowed and resp.status in DENIED + (401,):
            wrong.append(f"{user}: refused ({resp.status}) but the table allows it")
        elif user not in allowed and resp.status not in DENIED:
            wrong.append(f"{user}: UNEXPECTED {resp.status} (the table refuses it): "
                         f"{resp.text[:160]}")
    return wrong


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "sqlite"])
@pytest.mark.parametrize("operation", OPERATIONS)
def test_matrix(worlds, backend, operation):
    wrong = _run(worlds(backend), operation, DEMO_USERS)
    assert wrong == [], f"{operation}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("backend", [p for p in backends() if p.id == "postgresql"])
def test_matrix_sample_on_postgresql(worlds, backend):
    world = worlds(backend)
    wrong = [f"{op} {w}" for op in OPERATIONS for w in _run(world, op, SAMPLE)]
    assert wrong == [], "\n".join(wrong)
