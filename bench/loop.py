"""The send-back loop row: one case sent back 400 times (join gateway → user task → gateway),
through the HTTP API; and raw SpiffWorkflow on the same diagram, which stalls silently."""
from __future__ import annotations

import functools
import json
import statistics
import time

from SpiffWorkflow.util.task import TaskState

from bench import api
from bench.baseline import load_spec, new_serializer, start_case
from bench.common import ROOT, log
from bench.table import Row

LOOP_FILE = ROOT / "tests" / "bpmn" / "sendback_loop.bpmn"
KEY = "sendback_loop"
PASSES = 400
NAME = f"one case sent back {PASSES} times: step near pass {PASSES} vs near pass 10"


@functools.cache
def raw_stall(limit: int = PASSES) -> int | None:
    """Raw SpiffWorkflow, JSON load + step + save per pass: how many passes it made before no
    task was ready any more although the workflow is not finished (None: all `limit` passes)."""
    spec, subprocess_specs = load_spec(LOOP_FILE, KEY)
    serializer = new_serializer()
    state = start_case(spec, subprocess_specs, serializer)
    for number in range(1, limit + 1):
        workflow = serializer.deserialize_json(state)
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            return number - 1
        ready[0].data["approved"] = False
        ready[0].run()
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
    return None


def _window(times: list[float], last: int, width: int = 10) -> float:
    """Median ms of the steps of passes last-width+1 .. last."""
    return 1000 * statistics.median(times[last - width:last])


def measure(database: str, app, token: str) -> list[Row]:
    """Run the loop once through the test client; compare steps near pass 400 and pass 10."""
    post = api.FlaskClientPoster(app, token)
    status, body = post("/process-definitions", LOOP_FILE.read_bytes(), "application/xml")
    if status not in (200, 201):
        raise RuntimeError(f"deploying {LOOP_FILE.name} -> {status}: {body}")
    started = api._post_json(post, "/process-instances", {"process_key": KEY}, 201)
    (task,) = started["ready_tasks"]
    times = []
    for number in range(1, PASSES + 2):
        t0 = time.perf_counter()
        done = api._post_json(post, f"/tasks/{task['id']}/complete",
                              {"data": {"approved": number > PASSES}, "version": task["version"]},
                              200)
        times.append(time.perf_counter() - t0)
        if number <= PASSES:
            (task,) = done["next_tasks"]
        elif done["next_tasks"]:
            raise RuntimeError("the loop did not end after its last pass")
    near_end, near_start = _window(times, PASSES), _window(times, 15)
    with app.extensions["cluedesk"].engine.connect() as conn:
        from sqlalchemy import text
        size = conn.execute(text("SELECT length(state) FROM process_instances "
                                 "WHERE id = :i"), {"i": started["id"]}).scalar()
    stall = raw_stall()
    log(f"  loop: {near_start:.2f} ms/step near pass 10, {near_end:.2f} near pass {PASSES}, "
        f"state {size:,} chars; raw SpiffWorkflow stalls after {stall} passes")
    return [Row(NAME, database,
                f"{near_end:.2f} ms/step (passes {PASSES - 9}–{PASSES}; completed, "
                f"state {size / 1024:.1f} KiB)",
                f"{near_start:.2f} ms/step (passes 6–15); raw Spiff: "
                + (f"stalls after {stall} passes" if stall else f"ran {PASSES} passes"),
                f"{near_end / near_start:.2f}", "≤ 2.0, completes")]


if __name__ == "__main__":
    print(json.dumps({"raw_stall": raw_stall()}))
