"""Migration 0031 gives each deployed version its own lane mapping (issue 22; SQLite and
PostgreSQL): versions deployed before it keep today's config.yaml mapping of every process they
hold, so their running cases are offered to the same people when config.yaml changes later
(read through `authority.candidates_for` with an edited configuration);
versions of processes config.yaml does not map keep none; downgrading drops the column."""
from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from engine.access import authority
from engine.clock import Clock
from engine.config import load_settings
from engine.processes import service as processes
from engine.processes import store
from engine.processes.models import ProcessDefinition
from engine.runtime import Runtime
from engine.schema import alembic_config
from tests.conftest import FIXTURES, FROZEN

BPMN = Path(__file__).resolve().parents[2] / "bpmn"


def test_deployed_versions_keep_the_config_mapping_of_their_processes(scratch, backend):
    url = scratch.create(backend)
    rt = Runtime(load_settings({"database": {"url": url}}), clock=Clock(FROZEN))
    files = [(p.name, p.read_bytes()) for p in
             [*sorted(BPMN.glob("*.bpmn")), FIXTURES / "notice.bpmn"]]
    rt.transact(lambda uow: processes.deploy(uow, runtime=rt, files=files, actor="test"))
    configured = rt.settings.get("lanes")
    rt.dispose()
    cfg = alembic_config()
    cfg.attributes["url"] = url
    engine = create_engine(url)
    command.downgrade(cfg, "0029")
    assert "lanes" not in {c["name"] for c in inspect(engine).get_columns("process_definitions")}
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT key, lanes FROM process_definitions")).all()
    # Text on SQLite, JSON on PostgreSQL.
    found = {key: json.loads(lanes) if isinstance(lanes, str) else lanes for key, lanes in rows}
    assert set(found) >= {"petition_intake", "zone_escalation", "notice"}
    for pinned in found.values():
        # Each process a version holds, as config.yaml maps it today.
        for process, lanes in (pinned or {}).items():
            assert lanes == {lane: dict(rule) for lane, rule in configured[process].items()}
    assert found["petition_intake"]["petition_intake"]["登记人员"] == \
        {"role": "intake_clerk", "unit_from": "registering_unit"}
    # A version keeps the mapping of the processes it calls as well (their own files).
    assert {"petition_intake", "clue_disposition", "feedback_visit"} <= \
        set(found["petition_intake"])
    assert found["zone_escalation"]["zone_escalation"]["调查组"] == \
        {"role": "caseworker", "user_from": "investigator"}
    assert found["notice"] is None  # config.yaml maps none of its lanes
    # config.yaml edited afterwards: the version still offers its tasks as it did.
    edited = Runtime(load_settings({"database": {"url": url}, "lanes": {"petition_intake": {
        "登记人员": {"role": "supervisor", "unit_from": "approver_unit"}}}}), clock=Clock(FROZEN))

    def offered(uow):
        definition_id = uow.session.scalar(select(ProcessDefinition.id).where(
            ProcessDefinition.key == "petition_intake"))
        return authority.candidates_for(
            uow.session, edited, process_key="petition_intake", lane="登记人员",
            task_data={"registering_unit": "town-a", "approver_unit": "city"}, starter_id=None,
            stored_lanes=store.version_lanes(uow.session, edited, definition_id))

    found = edited.read(offered)
    town_a = edited.read(lambda uow: edited.names.unit_id(uow.session, "town-a"))
    assert (found.role, found.unit_id) == ("intake_clerk", town_a)
    edited.dispose()
    command.downgrade(cfg, "0029")
    assert "lanes" not in {c["name"] for c in inspect(engine).get_columns("process_definitions")}
    command.upgrade(cfg, "head")
    engine.dispose()
