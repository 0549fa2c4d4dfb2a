"""Migration 0033 (SQLite and PostgreSQL): a test-run started before it keeps its state and
continues afterwards, with no steps behind it (it cannot step back past the upgrade), and can
then step back over the steps it takes; saved test cases get their table; downgrading drops
both."""
from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect, text

from engine.clock import Clock
from engine.config import load_settings
from engine.org import service as org
from engine.processes import testrun
from engine.runtime import Runtime
from engine.schema import alembic_config
from tests.conftest import FROZEN
from tests.e2e.test_designer_api import process


def test_a_test_run_from_before_continues_and_steps_back_after_the_upgrade(scratch, backend):
    url = scratch.create(backend)
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(FROZEN))
    started = rt.transact(lambda uow: testrun.start(
        uow, rt, files=[("designed.bpmn", process())],
        user=org.get_user(uow.session, "designer")).row.id)
    command.downgrade(cfg, "0032")
    assert "steps" not in {c["name"] for c in inspect(engine).get_columns("test_runs")}
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM test_cases")).scalar() == 0

    def complete(uow):
        user = org.get_user(uow.session, "designer")
        test = testrun.get(uow.session, rt, started, user)
        assert test.row.steps == [] and test.row.history == []
        task = test.run.ready_human_tasks()[0]
        return testrun.complete(uow, rt, test_id=started, task_id=task.id, user=user,
                                data={"answer": "no"}).run.status
    assert rt.transact(complete) == "completed"
    back = rt.transact(lambda uow: testrun.back(uow, rt, test_id=started,
                                                user=org.get_user(uow.session, "designer")))
    assert back.run.status == "running" and back.row.steps == []
    rt.dispose()
    command.downgrade(cfg, "0032")
    tables = inspect(engine).get_table_names()
    assert "test_cases" not in tables and "test_runs" in tables
    command.upgrade(cfg, "head")
    engine.dispose()
