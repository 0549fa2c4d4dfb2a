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
    """Seconds per completion step and per whole case, as measured."""
    steps: list[float] = field(default_factory=list)
    cases: list[float] = field(default_factory=list)

    def ms_per_step(self) -> float:
        """Mean milliseconds per step (total step time over all steps)."""
        return 1000 * sum(self.steps) / len(self.steps)

    def p50_ms(self) -> float:
        """Median milliseconds per step."""
        return 1000 * statistics.median(self.steps)

    def ms_per_case(self) -> float:
        """Mean milliseconds per whole case."""
        return 1000 * sum(self.cases) / len(self.cases)

    def cases_per_second(self) -> float:
        """Whole cases per second, back to back."""
        return len(self.cases) / sum(self.cases)


def log(message: str) -> None:
    """Progress goes to stderr; stdout carries only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)
