"""What every bench run ends with: `cluedesk audit verify` and `cluedesk reports verify` clean on
the database it wrote (the step's Core path must keep the trail and the rollup exact)."""
from __future__ import annotations

from bench.common import log


def verified(url: str) -> None:
    """Raise when the audit trail or the statistics rollup of `url` does not verify."""
    from engine.audit import chain
    from engine.config import load_settings
    from engine.reports import rollup
    from engine.runtime import Runtime
    runtime = Runtime(load_settings({"database": {"url": url}}))
    try:
        trail = chain.verify(runtime)
        differences = rollup.verify(runtime)
    finally:
        runtime.dispose()
    if trail.problems or differences != {}:
        raise RuntimeError(f"verification failed: audit {trail.problems[:3]}, rollup "
                           f"{'not built' if differences is None else list(differences.items())[:3]}")
    log(f"  audit verify: {trail.events:,} events chained; reports verify: the rollup matches")
