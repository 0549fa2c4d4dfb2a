"""The process designer's page: definitions and versions, the bpmn-js modeler, validation
problems pinned to elements, version diffs, instance migration and test-runs.

The page is one screen driven by `web/static/designer.js`, which calls the JSON API
(`web/api/processes.py`) with the session and its CSRF token: the API is the one place these
actions are implemented, and every action is one request."""
from __future__ import annotations

import json
from types import SimpleNamespace

from flask import current_app, g, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as N_
from sqlalchemy import select

from engine import glossary
from engine.errors import Invalid
from engine.processes import testrun
from engine.processes.models import ProcessDefinition
from engine.views import designer_choices
from engine.views.task_page import decision
from engine.workflow.problems import REASONS
from web.api import bp as api
from web.auth import runtime
from web.ui import bp, page
from web.ui.messages import localize
from web.ui.refusals import REASONS as REFUSALS
from web.ui.refusals import text as refusal_text
from web.ui.tasks import form_data, form_fields
from web.ui.terms import _lang, unit_pickers

DESIGNER = {"process_designer"}
DESIGNER_API = tuple(f"{api.url_prefix}/{area}"
                     for area in ("process-definitions", "process-instances", "test-runs",
                                  "test-cases"))
MESSAGE_HOLDERS = ("error", "details", "errors", "warnings", "steps", "test_run")  # never `data`: the user's own


# The properties panel's own words (bpmn-js-properties-panel asks `translate` for these English
# texts) and the labels of cluedesk's groups, in the user's language.
PANEL_WORDS = {
    "Process": N_("Process"),
    "General": N_("General"),
    "Name": N_("Name"),
    "ID": N_("ID"),
    "Documentation": N_("Documentation"),
    "Element documentation": N_("Element documentation"),
    "Process documentation": N_("Process documentation"),
    "Process ID": N_("Process ID"),
    "Process name": N_("Process name"),
    "Executable": N_("Executable"),
    "Timer": N_("Timer"),
    "Type": N_("Type"),
    "Value": N_("Value"),
    "Date": N_("Date"),
    "Duration": N_("Duration"),
    "Cycle": N_("Cycle"),
    "<none>": N_("<none>"),
    "Message": N_("Message"),
    "Global message reference": N_("Global message reference"),
    "Create new ...": N_("Create new ..."),
    "Multi-instance": N_("Multi-instance"),
    "Loop cardinality": N_("Loop cardinality"),
    "Completion condition": N_("Completion condition"),
    "Signal": N_("Signal"),
    "Error": N_("Error"),
    "Link": N_("Link"),
    "Escalation": N_("Escalation"),
    "Compensation": N_("Compensation"),
    "Select an element to edit its properties.": N_("Select an element to edit its properties."),
    "Multiple elements are selected. Select a single element to edit its properties.": N_("Multiple elements are selected. Select a single element to edit its properties."),
    "ID must be unique.": N_("ID must be unique."),
    "ID must not be empty.": N_("ID must not be empty."),
    "ID must not contain spaces.": N_("ID must not contain spaces."),
    "ID must be a valid QName.": N_("ID must be a valid QName."),
    "ID must not contain prefix.": N_("ID must not contain prefix."),
}
PANEL_LABELS = {
    "conditionGroup": N_("Condition"), "condition": N_("Condition expression"),
    "conditionHint": N_("A Python expression over the form fields, e.g. decision == \"approve\"."),
    "defaultFlow": N_("Default flow"), "domainGroup": N_("Cluedesk step"),
    "action": N_("Action"), "deadline": N_("Statutory deadline"), "document": N_("Document"),
    "unknown": N_("Not known to this installation."),
    "assignmentGroup": N_("Assignment"), "assignee": N_("Assignee"),
    "candidateUsers": N_("Candidate users"), "candidateGroups": N_("Candidate groups"),
    "laneGroup": N_("Who works this lane"), "role": N_("Role"), "unitRule": N_("Unit rule"),
    "laneHint": N_("Kept with the version when it is deployed; a lane without a role follows "
                   "the configuration file."),
    # Element templates (the toolbar's list): the steps they add, named.
    "templateApprovalTask": N_("Approval"), "templateSendBack": N_("Send back"),
    "templateDeadlineTask": N_("Step under a statutory deadline"),
    "templateNotificationTask": N_("Notify the reporter"),
    "templateMemberTask": N_("Member unit's opinion")}

# The version diff's words: a changed attribute (`field` of the API's diff) by its label;
# `property.*`, `assignment.*` and `form.*` fields not named here use the patterns.
DIFF_FIELDS = {
    "name": N_("Name"), "kind": N_("Kind"), "lane": N_("Lane"), "condition": N_("Condition"),
    "default": N_("Default flow"), "connects": N_("Connects"),
    "documentation": N_("Documentation"), "timer": N_("Timer"), "script": N_("Script"),
    "called_element": N_("Called process"), "message": N_("Message"),
    "multi_instance": N_("Multi-instance"), "property.action": N_("Action"),
    "property.deadline": N_("Statutory deadline"), "property.document": N_("Document"),
    "assignment.assignee": N_("Assignee"), "assignment.candidateUsers": N_("Candidate users"),
    "assignment.candidateGroups": N_("Candidate groups"),
    "property.*": N_("Property %(name)s", name="{name}"),
    "assignment.*": N_("Assignment: %(name)s", name="{name}"),
    "form.*": N_("Form field %(name)s", name="{name}"),
    "other": N_("Other details changed"), "unset": N_("(not set)")}


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
    return render_template("designer/page.html", definitions=list(latest.values()),
                           panel_words={k: str(v) for k, v in PANEL_WORDS.items()},
                           panel_labels={k: str(v) for k, v in PANEL_LABELS.items()},
                           diff_fields={k: str(v) for k, v in DIFF_FIELDS.items()},
                           deadline_names=glossary.names("deadline_key", _lang()),
                           time_zone=runtime().clock.tz.key)


# A deadline's limit in words (config.yaml `deadlines.keys.*.unit`).
LIMIT_UNITS = {"working_days": N_("%(n)s working days", n="{n}"),
               "days": N_("%(n)s calendar days", n="{n}"), "months": N_("%(n)s months", n="{n}")}


def _step_forms(view: dict) -> list[dict]:
    """Each ready task's form as the task page draws it (`tasks/_field.html`, the decision
    buttons of an approval), with its deadline rows."""
    return [{**task, "fields": unit_pickers(form_fields(task["form"])),
             "decision": decision(SimpleNamespace(properties=task["properties"]), task["form"])}
            for task in view["ready_tasks"]]


def _test_run_step(view: dict, *, task_id: str | None = None, values=None, errors=None):
    """The test-run panel's step: the diagram state (for the markers), the forms, the deadline
    rows, the process data and the steps taken."""
    marks = {k: view[k] for k in ("id", "process_key", "status", "completed", "current")}
    return render_template("designer/_testrun.html", run=view, tasks=_step_forms(view),
                           marks=json.dumps(marks), failed_task=task_id,
                           values=values or {}, errors=errors or {}, limit_units=LIMIT_UNITS)


@bp.get("/designer/test-runs/<test_id>")
@page(roles=DESIGNER)
def test_run_step(test_id):
    """A test-run's current step, drawn for the designer page."""
    rt = runtime()
    return _test_run_step(rt.read(lambda uow: testrun.view(
        uow.session, rt, testrun.get(uow.session, rt, test_id, g.user))))


@bp.post("/designer/test-runs/<test_id>/tasks/<task_id>")
@page(roles=DESIGNER)
def test_run_complete(test_id, task_id):
    """Complete a test-run's task with its form as submitted: the next step, or the same step
    with the errors at the fields (as the task page answers)."""
    rt, user = runtime(), g.user
    view = rt.read(lambda uow: testrun.view(uow.session, rt,
                                            testrun.get(uow.session, rt, test_id, user)))
    task = next((t for t in view["ready_tasks"] if t["id"] == task_id), None)
    fields = unit_pickers(form_fields(task["form"])) if task else []
    data = form_data(fields, request.form)
    try:
        return _test_run_step(rt.transact(lambda uow: testrun.view(uow.session, rt, testrun.complete(
            uow, rt, test_id=test_id, task_id=task_id, data=data, user=user))))
    except Invalid as exc:
        response = make_response(_test_run_step(view, task_id=task_id, values=request.form,
                                                errors=exc.fields or {"_schema": [exc.message]}))
        response.headers["X-Cluedesk-Status"] = "422"
        return response


@bp.get("/designer/choices")
@page(roles=DESIGNER)
def choices():
    """The properties panel's pickers for a user task (`action`, `deadline`, `document`) and a
    lane (`role`, unit rule), named in the user's language: read from the engine's registry,
    configuration, catalog and units."""
    return jsonify(designer_choices.choices(runtime(), _lang()))


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
    reason (`engine.workflow.problems.REASONS`) filled with the params; a coded refusal (an
    error envelope) its page text (`web.ui.refusals`); other messages go through the shared
    patterns."""
    if isinstance(body, list):
        return [_localized(item) for item in body]
    if not isinstance(body, dict):
        return body
    if body.get("reason") in REASONS and isinstance(body.get("params"), dict):
        params = {k: localize(v) if isinstance(v, str) else v
                  for k, v in body["params"].items()}  # a script refusal's detail
        return {**body, "message": _(REASONS[body["reason"]], **params)}
    if body.get("reason") in REFUSALS and isinstance(body.get("message"), str):
        return {**body, "message": refusal_text(body["reason"], body.get("params"),
                                                body["message"])}
    return {key: localize(value) if key == "message" and isinstance(value, str)
            else _localized(value) if key in MESSAGE_HOLDERS else value
            for key, value in body.items()}
