"""Every process in bpmn/ parses, passes `cluedesk lint`, starts, and round-trips the serializer."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, UTC
from pathlib import Path

import pytest

from engine.workflow import parser as bpmn
from engine.workflow.adapter import Run, compile_spec

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "bpmn").glob("*.bpmn"))
SOURCES = [(f.name, f.read_bytes()) for f in FILES]
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# What the processes read from the case's data when they start (a superset for all of them).
START_DATA = {
    "petition_id": 1, "petition_number": "petition-office-2026-000001",
    "registering_unit": "petition-office", "real_name": True, "channel": "letter",
    "category": "welfare_funds", "township": "town-a", "skip_repeat_check": False,
    "handling_unit": "town-a", "first_handling_unit": "town-a", "clue_id": 1,
    "review_subject": "重点初核件联审", "members": ["org-dept", "police"], "chair_unit": "county",
    "cadre_name": "李四", "zone_unit": "zone-east", "to_unit": "town-b", "approver_unit": "town-a",
    "deadline_id": 1, "task_id": "t", "deadline_key": "verification_report", "amount": 3,
    "time_unit": "working_days", "reason": "x", "requested_by": "a-worker",
}


def processes():
    for name, data in SOURCES:
        for pid in bpmn.process_ids(bpmn.parse_xml(data, name)):
            yield pytest.param(pid, id=pid)


def test_lint_passes_on_every_file(tmp_path):
    env = {**os.environ, "CLUEDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'lint.db'}"}
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "lint", str(ROOT / "bpmn")],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{len(FILES)} file(s) ok" in proc.stdout


@pytest.mark.parametrize("process_id", list(processes()))
def test_each_process_starts_and_round_trips_the_serializer(process_id):
    compiled = compile_spec(process_id, SOURCES)
    run = Run.start(compiled, dict(START_DATA), NOW)
    assert run.status == "running", run.error
    assert run.ready_human_tasks() or run.waiting_timers()
    state = run.dump()
    again = Run.load(compiled, state)
    assert again.dump() == state
    assert again.data == run.data
    assert [t.id for t in again.ready_human_tasks()] == [t.id for t in run.ready_human_tasks()]
