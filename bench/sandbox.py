"""The script sandbox's cost (issue 28 point 4): scripts run in confined worker processes
(`engine.workflow.sandbox`); what does that cost against running them in the server process?

Two rows, both measured in alternating rounds in one process (same machine load):

- one script call: a gateway condition through a warm worker (one round trip) vs the same
  evaluation in process (`bench/scripts.py`);
- `tests/bpmn/chain20_scripts.bpmn` (20 user tasks, a script task after each, and one at the
  start) driven through the test client like chain20: ms per completion step with the scripts
  in workers vs in process (the engine's evaluation swapped for `evaluate_here`).

    .venv/bin/python -m bench.sandbox [--rounds N]
"""
from __future__ import annotations

import argparse
import gc
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import api, scratch, scripts, verify
from bench.common import ROOT, Timings, log
from bench.table import Row, render
from engine.workflow import scripting

CHAIN_FILE = ROOT / "tests" / "bpmn" / "chain20_scripts.bpmn"
KEY = "chain20_scripts"
CALL_ROW = "script sandbox: one script call, worker process vs in process"
CHAIN_ROW = "script sandbox: 20-step chain, a script per step, workers vs in process"


def _here(mode, text, data, external=None):
    """What `scripting.evaluate` did before the workers: the same policy, in this process."""
    return scripting.evaluate_here(mode, text, data, external)[0]


@contextmanager
def in_process() -> Iterator[None]:
    """Scripts of the engine run in this process while inside."""
    pooled, scripting.evaluate = scripting.evaluate, _here
    try:
        yield
    finally:
        scripting.evaluate = pooled


def _counted_to_20(app, token: str, instance_id: int) -> None:
    """The scripts really ran: the finished instance's data says so."""
    resp = app.test_client().get(f"/api/v1/process-instances/{instance_id}",
                                 headers={"Authorization": f"Bearer {token}"})
    data = (resp.get_json() or {}).get("data", {})
    if resp.status_code != 200 or data.get("count") != 20 or data.get("total") != 2870:
        raise RuntimeError(f"chain20_scripts instance {instance_id}: {resp.status_code} {data}")


def measure_chain(app, token: str, rounds: int, cases: int
                  ) -> tuple[Timings, Timings, Timings]:
    """Alternate rounds of cases with pooled and in-process scripts, and of chain20 without
    scripts (context); (pooled, in-process, no scripts)."""
    post = api.FlaskClientPoster(app, token)
    status, body = post("/process-definitions", CHAIN_FILE.read_bytes(), "application/xml")
    if status not in (200, 201):
        raise RuntimeError(f"deploying {CHAIN_FILE.name} -> {status}: {body}")
    run = lambda t: api.run_case(post, t, KEY)  # noqa: E731
    _counted_to_20(app, token, run(Timings()))
    with in_process():
        _counted_to_20(app, token, run(Timings()))
    gc.collect()
    pooled, local, plain = Timings(), Timings(), Timings()
    for _ in range(rounds):
        for _ in range(cases):
            run(pooled)
        with in_process():
            for _ in range(cases):
                run(local)
        for _ in range(cases):
            api.run_case(post, plain)
    log(f"  scripts in workers {pooled.ms_per_step():.2f} ms/step, in process "
        f"{local.ms_per_step():.2f} ms/step, chain20 without scripts {plain.ms_per_step():.2f} "
        f"ms/step ({len(pooled.cases)} cases each)")
    return pooled, local, plain


def measure(database: str, app, token: str, quick: bool) -> list[Row]:
    """The two sandbox rows on `database` (an app over a prepared scratch database)."""
    calls = 300 if quick else 2000
    with scripting.bound(scripting.default_context()):
        scripting.evaluate("eval", scripts.CONDITION, scripts.DATA)
        pooled_call = scripts.per_call(
            lambda: scripting.evaluate("eval", scripts.CONDITION, scripts.DATA), calls)
        local_call = scripts.per_call(
            lambda: scripting.evaluate_here("eval", scripts.CONDITION, scripts.DATA), calls)
    log(f"  one call: worker {pooled_call[0]:.3f} ms, in process {local_call[0]:.3f} ms")
    pooled, local, plain = measure_chain(app, token, rounds=3 if quick else 10,
                                         cases=1 if quick else 3)
    per_script = (pooled.ms_per_step() - local.ms_per_step())
    return [
        Row(CALL_ROW, "—", f"{pooled_call[0]:.3f} ms (p95 {pooled_call[1]:.3f}, {calls} calls)",
            f"{local_call[0]:.3f} ms (p95 {local_call[1]:.3f})",
            f"{pooled_call[0] / local_call[0]:.1f}", "cost reported"),
        Row(CHAIN_ROW, database,
            f"{pooled.ms_per_step():.2f} ms/step (p95 {pooled.p95_step_ms():.1f}, "
            f"{len(pooled.cases)} cases; {per_script:+.2f} ms per script)",
            f"{local.ms_per_step():.2f} ms/step (p95 {local.p95_step_ms():.1f}, "
            f"{len(local.cases)} cases; chain20 without scripts {plain.ms_per_step():.2f})",
            f"{pooled.ms_per_step() / local.ms_per_step():.2f}", "cost reported"),
    ]


def run(url: str, quick: bool) -> list[Row]:
    """Prepare `url` (migrate, demo organisation, a token), measure, dispose."""
    from bench.__main__ import prepare
    app, token = prepare(url)
    try:
        rows = measure("sqlite" if url.startswith("sqlite") else "postgresql", app, token, quick)
    finally:
        app.extensions["cluedesk"].dispose()
    verify.verified(url)
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox", description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="cluedesk-bench-") as tmp_name, \
            scratch.sqlite_database(Path(tmp_name)) as url:
        print(render(run(url, args.quick)))


if __name__ == "__main__":
    main()
