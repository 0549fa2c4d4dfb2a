"""The result table: one row per measured ratio, printed as Markdown."""
from __future__ import annotations

from dataclasses import dataclass

from bench.common import Timings

HEADER = ("row", "database", "measured", "baseline", "ratio", "target")


@dataclass
class Row:
    """One line of the table, already formatted."""
    name: str
    database: str
    measured: str
    baseline: str
    ratio: str
    target: str

    @classmethod
    def per_step(cls, name: str, database: str, measured: Timings, base: Timings,
                 target: str) -> Row:
        """cluedesk ms per step against raw Spiff ms per step."""
        return cls(name, database,
                   _step_cell(measured), _step_cell(base),
                   f"{measured.ms_per_step() / base.ms_per_step():.2f}", target)

    @classmethod
    def per_case(cls, name: str, database: str, measured: Timings, base: Timings,
                 target: str) -> Row:
        """Whole cases per second; the ratio is time per case, cluedesk over raw Spiff."""
        return cls(name, database,
                   _case_cell(measured), _case_cell(base),
                   f"{measured.ms_per_case() / base.ms_per_case():.2f}", target)


def _step_cell(t: Timings) -> str:
    """e.g. `4.20 ms/step (p95 6.1, 40 cases)`."""
    return f"{t.ms_per_step():.2f} ms/step (p95 {t.p95_step_ms():.1f}, {len(t.cases)} cases)"


def _case_cell(t: Timings) -> str:
    """e.g. `7.2 cases/s (139 ms/case)`."""
    return f"{t.cases_per_second():.1f} cases/s ({t.ms_per_case():.0f} ms/case)"


def skipped_row(name: str, database: str, reason: str, target: str) -> Row:
    """A row that could not be measured in this run."""
    return Row(name, database, reason, "—", "—", target)


def render(rows: list[Row]) -> str:
    """A Markdown table with padded columns."""
    cells = [HEADER] + [(r.name, r.database, r.measured, r.baseline, r.ratio, r.target)
                        for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(HEADER))]

    def line(values) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=False)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(c) for c in cells[1:])])
