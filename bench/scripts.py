"""Cost of one script call: a gateway condition evaluated in a warm script worker (one round trip)
against the same evaluation in the server process (what it cost before the workers).

    .venv/bin/python -m bench.scripts [--calls N]
"""
from __future__ import annotations

import argparse
import statistics
import time

from engine.workflow import scripting

CONDITION = "amount > 1000 and kind in ('clue', 'petition')"
DATA = {"amount": 1500, "kind": "clue", "summary": "某村集体资金使用问题" * 5,
        "unit": "town-a", "received": "2026-03-02"}


def per_call(fn, calls: int) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95)] * 1000


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    with scripting.bound(scripting.default_context()):
        scripting.evaluate("eval", CONDITION, DATA)  # start the pool, compile once
        pooled = per_call(lambda: scripting.evaluate("eval", CONDITION, DATA), args.calls)
        local = per_call(lambda: scripting.evaluate_here("eval", CONDITION, DATA), args.calls)
    print(f"condition via warm worker: {pooled[0]:.3f} ms median, {pooled[1]:.3f} ms p95 "
          f"({args.calls} calls)")
    print(f"same condition in process: {local[0]:.3f} ms median, {local[1]:.3f} ms p95")


if __name__ == "__main__":
    main()
