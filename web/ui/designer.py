"""The process designer's page: definitions and versions, the bpmn-js modeler, validation
problems pinned to elements, version diffs, instance migration and test-runs.

The page is one screen driven by `web/static/designer.js`, which calls the JSON API
(`web/api/processes.py`) with the session and its CSRF token: the API is the one place these
actions are implemented, and every action is one request."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from engine.processes.models import ProcessDefinition
from web.auth import runtime
from web.ui import bp, page

DESIGNER = {"process_designer"}


@bp.get("/designer")
@page(roles=DESIGNER)
def designer():
    """Definitions with their latest version; the modeler opens one or a new diagram."""
    rows = runtime().read(lambda uow: list(uow.session.scalars(
        select(ProcessDefinition).order_by(ProcessDefinition.key,
                                           ProcessDefinition.version.desc()))))
    latest: dict[str, ProcessDefinition] = {}
    for row in rows:
        latest.setdefault(row.key, row)
    return render_template("designer/page.html", definitions=list(latest.values()))
