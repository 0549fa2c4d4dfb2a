"""Domain actions named by BPMN tasks (task property `action`).

When a person completes a task that names an action, the action runs in the same transaction,
before the engine moves on: it records what the form decided in the domain tables (a repeat
link, a classification, a disposition), may refuse with field errors, and may return values that
join the process data (so gateways can route on them). Designers see in the diagram which step
does what; `deploy` refuses a file that names an unknown action.

A test-run runs no action (it writes nothing); an action whose returned values follow from the
form and the process data alone registers a `preview` giving them, so the test-run's gateways
route as a case's would.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from engine.workflow.problems import Problem

# Packages whose `actions` module registers domain actions.
DOMAIN_MODULES = ("engine.petitions.actions", "engine.clues.actions", "engine.reviews.actions",
                  "engine.zones.actions", "engine.clarifications.actions",
                  "engine.visits.actions", "engine.supervision.actions",
                  "engine.village.actions")

_REGISTRY: dict[str, Callable[[ActionContext], dict | None]] = {}
# What an action would add to the process data, from the form and the process data alone (no
# record read or written): a test-run, which skips actions, routes its gateways on it.
_PREVIEWS: dict[str, Callable[[Any, dict, dict], dict]] = {}
_loaded = False


@dataclass
class ActionContext:
    session: Session
    runtime: Any
    user: Any
    task: Any
    instance: Any
    case: Any
    data: dict           # what the person submitted (already validated against the form)
    process_data: dict   # the instance's process-scope data before this step
    uow: Any = None      # the unit of work (for actions that drive other instances)


def action(name: str, *, preview: Callable[[Any, dict, dict], dict] | None = None):
    """Register a domain action under `name` (e.g. "petition.classify"); `preview(runtime,
    data, process_data)` tells a test-run the values the action would return."""
    def wrap(fn):
        _REGISTRY[name] = fn
        if preview is not None:
            _PREVIEWS[name] = preview
        return fn
    return wrap


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in DOMAIN_MODULES:
            importlib.import_module(module)
        _loaded = True


def known(name: str) -> bool:
    _load()
    return name in _REGISTRY


def names() -> list[str]:
    _load()
    return sorted(_REGISTRY)


def run(name: str, ctx: ActionContext) -> dict:
    """Run the named action; return the values it adds to the process data."""
    _load()
    return _REGISTRY[name](ctx) or {}


def preview(name: str, runtime, data: dict, process_data: dict) -> dict:
    """The values the named action would add to the process data, written nowhere ({} for an
    action that cannot tell without its records)."""
    _load()
    found = _PREVIEWS.get(name)
    return found(runtime, data, process_data) if found else {}


def unknown(compiled, file_name: str) -> list:
    """A problem for each human task of `compiled` whose `action` property names no action."""
    return [Problem.coded("unknown_action", element_id=element_id, element_name=info["name"],
                          file_name=file_name, action=info["properties"]["action"],
                          actions=", ".join(names()))
            for element_id, info in compiled.human_tasks.items()
            if info["properties"].get("action") and not known(info["properties"]["action"])]


def describe() -> dict[str, str]:
    """Every registered action with the first paragraph of its docstring (what it records)."""
    _load()
    return {name: " ".join((fn.__doc__ or "").split("\n\n")[0].split())
            for name, fn in sorted(_REGISTRY.items())}
