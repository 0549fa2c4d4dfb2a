"""What every part of the bench shares: the process under test and the timing record."""
from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAIN_FILE = ROOT / "tests" / "bpmn" / "chain20.bpmn"
PROCESS_KEY = "chain20"
STEPS = 20  # user tasks per case


@dataclass
class Timings:
    """Seconds per whole case and per completion step, grouped by case."""
    cases: list[float] = field(default_factory=list)
    steps: list[list[float]] = field(default_factory=list)

    def add_case(self, seconds: float, steps: list[float]) -> None:
        """Record one whole case and its step times."""
        self.cases.append(seconds)
        self.steps.append(steps)

    def ms_per_step(self) -> float:
        """Median over cases of the case's mean step time, in ms (robust to stray pauses)."""
        return 1000 * statistics.median(sum(s) / len(s) for s in self.steps)

    def p95_step_ms(self) -> float:
        """95th percentile of single step times, in ms."""
        flat = sorted(t for s in self.steps for t in s)
        return 1000 * flat[min(len(flat) - 1, int(0.95 * len(flat)))]

    def ms_per_case(self) -> float:
        """Median whole-case time, in ms."""
        return 1000 * statistics.median(self.cases)

    def cases_per_second(self) -> float:
        """Whole cases per second at the median case time."""
        return 1000 / self.ms_per_case()


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
