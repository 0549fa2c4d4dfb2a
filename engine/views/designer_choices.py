"""What the designer's properties panel offers for a user task's domain properties: the
engine's registered actions (`action`), the configured statutory deadline keys (`deadline`) with
their limit and legal basis, and the document catalog (`document`). Names come from the
glossary in the user's language; the keys are what the BPMN file stores."""
from __future__ import annotations

from engine import glossary
from engine.deadlines import service as deadlines
from engine.documents.catalog import CATALOG
from engine.processes import actions
from engine.runtime import Runtime


def choices(runtime: Runtime, lang: str = "zh") -> dict[str, list[dict]]:
    """{"actions", "deadlines", "documents"}: each a list of {key, label, description}."""
    # The docstring says in English what an action records; a Chinese page shows its name.
    found_actions = [{"key": key, "label": f"{glossary.name('action', key, lang)} · {key}",
                      "description": text if lang == "en" and text
                      else glossary.name("action", key, lang)}
                     for key, text in actions.describe().items()]
    found_deadlines = []
    for key, c in deadlines.config(runtime).items():
        unit = glossary.name("day_unit", c.get("unit"), lang)
        limit = f"{c.get('amount')}{unit}" if lang == "zh" else f"{c.get('amount')} {unit}"
        found_deadlines.append({
            "key": key, "label": f"{glossary.name('deadline_key', key, lang)} · {key}",
            "limit": limit, "basis": c.get("basis") or "",
            "description": f"{limit}; {c.get('basis') or ''}".strip("; ")})
    found_documents = [{"key": spec.key, "label": f"{spec.title} · {spec.key}",
                        "description": spec.title} for spec in CATALOG]
    return {"actions": found_actions, "deadlines": found_deadlines, "documents": found_documents}
