"""Save = serialize + copy out in one transaction: a failure part-way leaves nothing half done,
and the hot-workflow cache never serves a state other than the saved one."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.audit.models import AuditEvent
from engine.processes import store
from engine.processes.models import ProcessInstance
from engine.workflow.adapter import Run
from engine.workflow.engine_clock import EngineTimeNotSet
from tests.conftest import FIXTURES


def _start(api):
    designer = api.as_("designer")
    assert designer.deploy((FIXTURES / "form_task.bpmn").read_bytes()).status == 201
    inst = designer.start("form_task").json
    return designer, inst, inst["ready_tasks"][0]


def _audit_count(runtime) -> int:
    return runtime.read(lambda uow: uow.session.scalar(select(func.count(AuditEvent.id))))


def test_a_crash_during_save_leaves_the_previous_state(api, runtime, monkeypatch):
    designer, inst, task = _start(api)
    before = runtime.read(lambda uow: uow.session.get(ProcessInstance, inst["id"]).revision)
    events = _audit_count(runtime)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(store, "_sync_tasks", explode)
    resp = designer.complete(task, {"title": "x", "count": 1})
    assert resp.status == 500
    assert "disk full" not in resp.text and "Traceback" not in resp.text
    monkeypatch.undo()

    after = runtime.read(lambda uow: uow.session.get(ProcessInstance, inst["id"]).revision)
    assert after == before
    assert _audit_count(runtime) == events
    again = designer.get(f"/tasks/{task['id']}").json
    assert again["status"] == "open" and again["version"] == task["version"]
    assert designer.complete(task, {"title": "x", "count": 1}).status == 200


@pytest.fixture
def settings_overrides():
    return {"engine": {"workflow_cache_size": 16}}


def test_cached_workflow_equals_the_saved_state(api, runtime):
    designer, inst, task = _start(api)
    assert designer.complete(task, {"title": "x", "count": 3}).status == 200
    cached = runtime.workflow_cache.get(inst["id"])
    assert cached is not None

    def saved(uow):
        instance = uow.session.get(ProcessInstance, inst["id"])
        compiled = store.compiled_for(uow.session, runtime, instance.definition_id)
        return instance.revision, Run.load(compiled, instance.state).dump()
    revision, state = runtime.read(saved)
    assert cached[0] == revision
    assert cached[1].dump() == state
    assert designer.get(f"/process-instances/{inst['id']}").json["data"]["doubled"] == 6


def test_the_engine_refuses_to_step_without_an_application_instant():
    from SpiffWorkflow.bpmn.specs.event_definitions import timer  # the module the adapter patches
    with pytest.raises(EngineTimeNotSet):
        timer.datetime.now()
