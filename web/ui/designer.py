"""The process designer's page: definitions and versions, the bpmn-js modeler, validation
problems pinned to elements, version diffs, instance migration and test-runs.

The page is one screen driven by `web/static/designer.js`, which calls the JSON API
(`web/api/processes.py`) with the session and its CSRF token: the API is the one place these
actions are implemented, and every action is one request."""
from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select

from engine.processes.models import ProcessDefinition
from engine.workflow.problems import REASONS
from web.api import bp as api
from web.auth import runtime
from web.ui import bp, page
from web.ui.messages import localize

DESIGNER = {"process_designer"}
DESIGNER_API = tuple(f"{api.url_prefix}/{area}"
                     for area in ("process-definitions", "process-instances", "test-runs"))
MESSAGE_HOLDERS = ("error", "details", "errors", "warnings")  # never `data`: the user's own


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


# The API answers every caller in English (API.md): outside tools with a Bearer token depend on
# those texts. This page calls the same API with the login session, so for those calls alone the
# `message` of problems (validate, deploy), error envelopes and migration reports is put into
# the user's language here, after the view, by the patterns every page uses.
@bp.after_app_request
def _messages_in_the_users_language(response):
    if g.get("user") is None or g.get("by_token", True) or not response.is_json \
            or not request.path.startswith(DESIGNER_API):
        return response
    response.set_data(current_app.json.dumps(_localized(response.get_json())))
    return response


def _localized(body):
    """`body` with each `message` of it and of its problem lists in the user's language.

    A BPMN problem carries its `reason` and `params`: its text is the translated msgid of that
    reason (`engine.workflow.problems.REASONS`) filled with the params; other messages go
    through the shared patterns."""
    if isinstance(body, list):
        return [_localized(item) for item in body]
    if not isinstance(body, dict):
        return body
    if body.get("reason") in REASONS and isinstance(body.get("params"), dict):
        params = {k: localize(v) if isinstance(v, str) else v
                  for k, v in body["params"].items()}  # a script refusal's detail
        return {**body, "message": _(REASONS[body["reason"]], **params)}
    return {key: localize(value) if key == "message" and isinstance(value, str)
            else _localized(value) if key in MESSAGE_HOLDERS else value
            for key, value in body.items()}
