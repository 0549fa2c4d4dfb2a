"""What the designer's properties panel offers for a user task's domain properties: the
engine's registered actions (`action`), the configured statutory deadline keys (`deadline`) with
their limit and legal basis, and the document catalog (`document`). Names come from the
glossary in the user's language; the keys are what the BPMN file stores. For a lane: the
engine's roles (`role`) and where its tasks' unit or person comes from (`unit_rule`: a unit
named by the task data, a person named by it, or a fixed unit), API.md "Authority". For a call
activity: the deployed processes (`processes`), by their names. For the element templates: the
properties each one sets (`templates`), from this registry and configuration."""
from __future__ import annotations

from sqlalchemy import select

from engine import glossary
from engine.deadlines import service as deadlines
from engine.documents.catalog import CATALOG
from engine.org.models import ROLES, Unit
from engine.processes.models import ProcessDefinition
from engine.processes import actions
from engine.runtime import Runtime


# The designer's element templates (web/assets/src/designer-modeler.js): the domain properties
# each sets on the step it adds. `deadline: None` is the first configured statutory deadline.
TEMPLATES = {"approval": {}, "deadline": {"deadline": None},
             "notification": {"action": "petition.notify_reporter"},
             "member": {"action": "review.opinion", "deadline": "joint_review_opinion"}}


def templates(runtime: Runtime) -> dict[str, dict[str, str]]:
    """Each element template's properties, those this installation knows (a key not
    registered or configured here is left out: the designer picks one)."""
    known = {"action": set(actions.describe()), "deadline": list(deadlines.config(runtime))}
    found = {}
    for name, properties in TEMPLATES.items():
        found[name] = {}
        for prop, key in properties.items():
            if key is None and known[prop]:
                found[name][prop] = known[prop][0]
            elif key in known[prop]:
                found[name][prop] = key
    return found


def choices(runtime: Runtime, lang: str = "zh") -> dict[str, list[dict]]:
    """{"actions", "deadlines", "documents", "roles", "unit_rules", "processes"}: each a list
    of {key, label, description} ("templates": each element template's properties); a unit rule's key is `unit_from:<path>`, `user_from:<path>`
    or `unit:<code>`; a process's key is its process id (a call activity's `calledElement`)."""
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
    return {"actions": found_actions, "deadlines": found_deadlines, "documents": found_documents,
            "roles": [{"key": role, "label": f"{glossary.name('role', role, lang)} · {role}",
                       "description": glossary.name("role", role, lang)} for role in ROLES],
            "unit_rules": unit_rules(runtime, lang), "processes": processes(runtime, lang),
            "templates": templates(runtime)}


def processes(runtime: Runtime, lang: str = "zh") -> list[dict]:
    """The deployed processes, each by its newest version's name."""
    rows = runtime.read(lambda uow: uow.session.execute(
        select(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version)
        .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())).all())
    newest: dict[str, tuple] = {}
    for key, name, version in rows:
        newest.setdefault(key, (name, version))
    return [{"key": key, "label": f"{name or key} · {key}",
             "description": (f"{name or key}（第 {version} 版）" if lang == "zh"
                             else f"{name or key} (version {version})")}
            for key, (name, version) in newest.items()]


def unit_rules(runtime: Runtime, lang: str = "zh") -> list[dict]:
    """Where a lane's tasks go: the unit (`unit_from`) or the person (`user_from`) the task data
    names, or a fixed unit (`unit`)."""
    found = []
    for path, name in glossary.names("data_path", lang).items():
        kind = "unit_from" if path.endswith("_unit") else "user_from"
        text = name if kind == "unit_from" else (f"仅限{name}" if lang == "zh" else f"only {name}")
        found.append({"key": f"{kind}:{path}", "label": f"{text} · {path}", "description": text})
    units = runtime.read(lambda uow: uow.session.execute(
        select(Unit.code, Unit.name).where(Unit.active.is_(True)).order_by(Unit.path)).all())
    for code, name in units:
        text = f"固定：{name}" if lang == "zh" else f"always {name}"
        found.append({"key": f"unit:{code}", "label": f"{text} · {code}", "description": text})
    return found
