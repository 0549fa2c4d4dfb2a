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
from engine.views import designer_choices, task_page
from engine.views.task_page import decision
from engine.workflow import forms
from engine.workflow.problems import REASONS, BpmnInvalid
from web.api import bp as api
from web.auth import runtime
from web.ui import bp, page
from web.ui.messages import own_text, script_detail
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
# ... and of its lists (the form builder's fields).
LIST_WORDS = {
    "Create": N_("Add"), "Create new list item": N_("Add a field"),
    "Delete item": N_("Remove"), "Toggle list item": N_("Open or close"),
    "Toggle section": N_("Open or close"), "<empty>": N_("<empty>"),
    "List contains {numOfItems} item": N_("%(n)s field", n="{numOfItems}"),
    "List contains {numOfItems} items": N_("%(n)s fields", n="{numOfItems}")}
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

# The form builder's words (web/assets/src/form-builder.js): its groups, a field's entries and
# the field types by name.
FORM_LABELS = {
    "formGroup": N_("Task form"), "formPreviewGroup": N_("Form preview"),
    "newField": N_("New field"), "fieldLabel": N_("Field label"), "fieldId": N_("Field ID"),
    "fieldIdHint": N_("The name of the process variable; made from the label when left empty."),
    "fieldIdInvalid": N_("Start with a letter; letters, digits and _ only."),
    "fieldIdTaken": N_("Another field of this form has this ID."),
    "fieldType": N_("Field type"), "required": N_("Required"), "readonly": N_("Read only"),
    "choices": N_("Choices"), "choicesHint": N_("One per line: code=label."),
    "defaultValue": N_("Default value"), "help": N_("Help text"),
    "minlength": N_("Minimum length"), "maxlength": N_("Maximum length"),
    "min": N_("Minimum value"), "max": N_("Maximum value"),
    "pattern": N_("Pattern (regular expression)"),
    "showWhen": N_("Shown only when"), "showAlways": N_("Always shown"),
    "showWhenValues": N_("has one of these values (separated by |)"),
    "moveUp": N_("Move up"), "moveDown": N_("Move down"),
    "type.string": N_("Text"), "type.textarea": N_("Long text"), "type.long": N_("Whole number"),
    "type.double": N_("Decimal number"), "type.date": N_("Date"),
    "type.datetime": N_("Date and time"), "type.boolean": N_("Yes / no"),
    "type.enum": N_("Single choice"), "type.multi_enum": N_("Multiple choice"),
    "type.unit": N_("Unit (picked by name)"),
    "type.person": N_("Person (picked by name)"), "type.file": N_("File (uploaded first)")}
# The modeler's own words (palette, context pad, replace menu, search): the English text
# bpmn-js asks `translate` for, in the user's language.
MODELER_WORDS = {
    "Activate create/remove space tool": N_("Activate create/remove space tool"),
    "Activate global connect tool": N_("Activate global connect tool"),
    "Activate hand tool": N_("Activate hand tool"),
    "Activate lasso tool": N_("Activate lasso tool"),
    "Ad-hoc sub-process": N_("Ad-hoc sub-process"),
    "Ad-hoc sub-process (collapsed)": N_("Ad-hoc sub-process (collapsed)"),
    "Ad-hoc sub-process (expanded)": N_("Ad-hoc sub-process (expanded)"),
    "Add lane above": N_("Add lane above"),
    "Add lane below": N_("Add lane below"),
    "Add text annotation": N_("Add text annotation"),
    "Append compensation activity": N_("Append compensation activity"),
    "Append conditional intermediate catch event": N_("Append conditional intermediate catch event"),
    "Append end event": N_("Append end event"),
    "Append gateway": N_("Append gateway"),
    "Append intermediate/boundary event": N_("Append intermediate/boundary event"),
    "Append message intermediate catch event": N_("Append message intermediate catch event"),
    "Append receive task": N_("Append receive task"),
    "Append signal intermediate catch event": N_("Append signal intermediate catch event"),
    "Append task": N_("Append task"),
    "Append timer intermediate catch event": N_("Append timer intermediate catch event"),
    "Boundary event": N_("Boundary event"),
    "Business rule task": N_("Business rule task"),
    "Call activity": N_("Call activity"),
    "Cancel boundary event": N_("Cancel boundary event"),
    "Cancel end event": N_("Cancel end event"),
    "Change element": N_("Change element"),
    "Collection": N_("Collection"),
    "Compensation boundary event": N_("Compensation boundary event"),
    "Compensation end event": N_("Compensation end event"),
    "Compensation intermediate throw event": N_("Compensation intermediate throw event"),
    "Compensation start event": N_("Compensation start event"),
    "Complex gateway": N_("Complex gateway"),
    "Conditional boundary event": N_("Conditional boundary event"),
    "Conditional boundary event (non-interrupting)": N_("Conditional boundary event (non-interrupting)"),
    "Conditional flow": N_("Conditional flow"),
    "Conditional intermediate catch event": N_("Conditional intermediate catch event"),
    "Conditional start event": N_("Conditional start event"),
    "Conditional start event (non-interrupting)": N_("Conditional start event (non-interrupting)"),
    "Connect to other element": N_("Connect to other element"),
    "Connect using association": N_("Connect using association"),
    "Connect using data input association": N_("Connect using data input association"),
    "Create data object reference": N_("Create data object reference"),
    "Create data store reference": N_("Create data store reference"),
    "Create end event": N_("Create end event"),
    "Create expanded sub-process": N_("Create expanded sub-process"),
    "Create gateway": N_("Create gateway"),
    "Create group": N_("Create group"),
    "Create intermediate/boundary event": N_("Create intermediate/boundary event"),
    "Create pool/participant": N_("Create pool/participant"),
    "Create start event": N_("Create start event"),
    "Create task": N_("Create task"),
    "Data object reference": N_("Data object reference"),
    "Data store reference": N_("Data store reference"),
    "Default flow": N_("Default flow"),
    "Delete": N_("Delete"),
    "Divide into three lanes": N_("Divide into three lanes"),
    "Divide into two lanes": N_("Divide into two lanes"),
    "Empty pool/participant": N_("Empty pool/participant"),
    "End event": N_("End event"),
    "Error boundary event": N_("Error boundary event"),
    "Error end event": N_("Error end event"),
    "Error start event": N_("Error start event"),
    "Escalation boundary event": N_("Escalation boundary event"),
    "Escalation boundary event (non-interrupting)": N_("Escalation boundary event (non-interrupting)"),
    "Escalation end event": N_("Escalation end event"),
    "Escalation intermediate throw event": N_("Escalation intermediate throw event"),
    "Escalation start event": N_("Escalation start event"),
    "Escalation start event (non-interrupting)": N_("Escalation start event (non-interrupting)"),
    "Event based instantiating Gateway": N_("Event based instantiating Gateway"),
    "Event sub-process": N_("Event sub-process"),
    "Event-based gateway": N_("Event-based gateway"),
    "Exclusive gateway": N_("Exclusive gateway"),
    "Expanded pool/participant": N_("Expanded pool/participant"),
    "Inclusive gateway": N_("Inclusive gateway"),
    "Intermediate throw event": N_("Intermediate throw event"),
    "Link intermediate catch event": N_("Link intermediate catch event"),
    "Link intermediate throw event": N_("Link intermediate throw event"),
    "Loop": N_("Loop"),
    "Manual task": N_("Manual task"),
    "Message boundary event": N_("Message boundary event"),
    "Message boundary event (non-interrupting)": N_("Message boundary event (non-interrupting)"),
    "Message end event": N_("Message end event"),
    "Message intermediate catch event": N_("Message intermediate catch event"),
    "Message intermediate throw event": N_("Message intermediate throw event"),
    "Message start event": N_("Message start event"),
    "Message start event (non-interrupting)": N_("Message start event (non-interrupting)"),
    "Parallel Event based instantiating Gateway": N_("Parallel Event based instantiating Gateway"),
    "Parallel gateway": N_("Parallel gateway"),
    "Parallel multi-instance": N_("Parallel multi-instance"),
    "Participant multiplicity": N_("Participant multiplicity"),
    "Receive task": N_("Receive task"),
    "Script task": N_("Script task"),
    "Search in diagram": N_("Search in diagram"),
    "Send task": N_("Send task"),
    "Sequence flow": N_("Sequence flow"),
    "Sequential multi-instance": N_("Sequential multi-instance"),
    "Service task": N_("Service task"),
    "Signal boundary event": N_("Signal boundary event"),
    "Signal boundary event (non-interrupting)": N_("Signal boundary event (non-interrupting)"),
    "Signal end event": N_("Signal end event"),
    "Signal intermediate catch event": N_("Signal intermediate catch event"),
    "Signal intermediate throw event": N_("Signal intermediate throw event"),
    "Signal start event": N_("Signal start event"),
    "Signal start event (non-interrupting)": N_("Signal start event (non-interrupting)"),
    "Start event": N_("Start event"),
    "Sub-process": N_("Sub-process"),
    "Sub-process (collapsed)": N_("Sub-process (collapsed)"),
    "Sub-process (expanded)": N_("Sub-process (expanded)"),
    "Task": N_("Task"),
    "Terminate end event": N_("Terminate end event"),
    "Timer boundary event": N_("Timer boundary event"),
    "Timer boundary event (non-interrupting)": N_("Timer boundary event (non-interrupting)"),
    "Timer intermediate catch event": N_("Timer intermediate catch event"),
    "Timer start event": N_("Timer start event"),
    "Timer start event (non-interrupting)": N_("Timer start event (non-interrupting)"),
    "Toggle non-interrupting": N_("Toggle non-interrupting"),
    "Transaction": N_("Transaction"),
    "User task": N_("User task"),
}

# The kind of the selected element, the panel's header (bpmn-js-properties-panel asks
# `translate` for its type's words, e.g. "Timer Intermediate Catch Event").
TYPE_WORDS = {
    "Process": N_("Process"), "Participant": N_("Pool"), "Lane": N_("Lane"),
    "Task": N_("Task"), "User Task": N_("User task"), "Manual Task": N_("Manual task"),
    "Script Task": N_("Script task"), "Service Task": N_("Service task"),
    "Send Task": N_("Send task"), "Receive Task": N_("Receive task"),
    "Business Rule Task": N_("Business rule task"), "Call Activity": N_("Call activity"),
    "Collapsed Sub Process": N_("Sub-process (collapsed)"),
    "Expanded Sub Process": N_("Sub-process"), "Event Sub Process": N_("Event sub-process"),
    "Transaction": N_("Transaction"),
    "Exclusive Gateway": N_("Exclusive gateway"), "Parallel Gateway": N_("Parallel gateway"),
    "Inclusive Gateway": N_("Inclusive gateway"), "Complex Gateway": N_("Complex gateway"),
    "Event Based Gateway": N_("Event-based gateway"),
    "Sequence Flow": N_("Sequence flow"), "Conditional Flow": N_("Conditional flow"),
    "Default Flow": N_("Default flow"), "Message Flow": N_("Message flow"),
    "Association": N_("Association"), "Data Object Reference": N_("Data object"),
    "Data Store Reference": N_("Data store"), "Text Annotation": N_("Text annotation"),
    "Group": N_("Group"),
    "Start Event": N_("Start event"), "End Event": N_("End event"),
    "Intermediate Throw Event": N_("Intermediate event"), "Boundary Event": N_("Boundary event"),
    "Timer Start Event": N_("Timer start event"),
    "Timer Intermediate Catch Event": N_("Timer event"),
    "Timer Boundary Event": N_("Timer boundary event"),
    "Timer Boundary Event (Non Interrupting)": N_("Timer boundary event (non-interrupting)"),
    "Message Start Event": N_("Message start event"),
    "Message Intermediate Catch Event": N_("Message catch event"),
    "Message Intermediate Throw Event": N_("Message throw event"),
    "Message End Event": N_("Message end event"),
    "Message Boundary Event": N_("Message boundary event"),
    "Message Boundary Event (Non Interrupting)": N_("Message boundary event (non-interrupting)"),
    "Error End Event": N_("Error end event"), "Error Boundary Event": N_("Error boundary event"),
    "Terminate End Event": N_("Terminate end event"),
    "Signal Start Event": N_("Signal start event"),
    "Signal Intermediate Catch Event": N_("Signal catch event"),
    "Signal Intermediate Throw Event": N_("Signal throw event"),
    "Signal End Event": N_("Signal end event"),
    "Conditional Start Event": N_("Conditional start event"),
    "Conditional Intermediate Catch Event": N_("Conditional catch event"),
    "Escalation End Event": N_("Escalation end event"),
    "Compensate End Event": N_("Compensation end event")}

# The labels of the editors of what the engine evaluates (web/assets/src/editors.js).
EDITOR_LABELS = {
    "checkLine": N_("Line %(line)s:", line="{line}"), "checkOk": N_("No problems."),
    "timerValue": N_("Value"),
    "timerHint_timeDate": N_("Python text: a date and time, e.g. \"2026-12-31T17:00\", or "
                             "add_working_days(today(), 3).isoformat()."),
    "timerHint_timeDuration": N_("Python text: a duration, e.g. \"P3D\" (3 days) or \"PT2H\" "
                                 "(2 hours)."),
    "timerHint_timeCycle": N_("Python text: a repetition, e.g. \"R/2026-12-07T09:00/P1D\" "
                              "(every day at 9:00)."),
    "scriptGroup": N_("Script"), "script": N_("Script (Python)"),
    "scriptHint": N_("Runs in the sandbox: no imports; the helpers (today(), "
                     "add_working_days() …) and the process data are at hand."),
    "callGroup": N_("Called process"), "calledElement": N_("Called process"),
    "calledHint": N_("One of the deployed processes."),
    "calledUnknown": N_("Not deployed: deploy that process first, or send both files together."),
    "miGroup": N_("Multi-instance"), "miMode": N_("Instances run"),
    "miParallel": N_("In parallel"), "miSequential": N_("One after another"),
    "mi_loopDataInputRef": N_("Collection"),
    "mi_loopDataInputRefHint": N_("The process variable with the list to run over, e.g. members."),
    "mi_inputDataItem": N_("Element variable"),
    "mi_inputDataItemHint": N_("Each instance's item of the list, under this name."),
    "mi_loopDataOutputRef": N_("Output collection"),
    "mi_loopDataOutputRefHint": N_("The process variable that collects each instance's result."),
    "mi_outputDataItem": N_("Output element"),
    "mi_outputDataItemHint": N_("Each instance's result, under this name."),
    "mi_loopCardinality": N_("Loop cardinality"),
    "mi_loopCardinalityHint": N_("Instead of a collection: how many instances (a Python "
                                 "expression)."),
    "mi_completionCondition": N_("Completion condition"),
    "mi_completionConditionHint": N_("Python expression: when it holds, the open instances stop."),
    "miName": N_("A variable name: letters, digits and _, starting with a letter.")}

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
                           panel_words={k: str(v) for k, v in
                                        {**MODELER_WORDS, **PANEL_WORDS, **TYPE_WORDS,
                                         **LIST_WORDS}.items()},
                           panel_labels={k: str(v) for k, v in
                                         {**PANEL_LABELS, **FORM_LABELS,
                                          **EDITOR_LABELS}.items()},
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


@bp.post("/designer/form-preview")
@page(roles=DESIGNER)
def form_preview():
    """A form being built (its `camunda:formData` element as XML) drawn as the task page draws
    it: read by the engine's parser, each field by the task page's own template; XML the
    parser refuses is answered 422 with the problems in words."""
    try:
        schema = forms.schema_of_form_data(request.get_data())
    except BpmnInvalid as exc:
        problems = [_localized(p.as_dict())["message"] for p in exc.problems]
        return render_template("designer/_form_preview.html", problems=problems, fields=[]), 422
    choices = runtime().read(lambda uow: task_page.form_choices(
        uow.session, form=schema, task=None, attachments=[]))
    return render_template("designer/_form_preview.html", values={}, errors={},
                           fields=unit_pickers(form_fields(schema, choices=choices)))


# The API answers every caller in English (API.md): outside tools with a Bearer token depend on
# those texts. This page calls the same API with the login session, so for those calls alone the
# `message` of problems (validate, deploy), error envelopes and migration reports is put into
# the user's language here, after the view, by their reasons and codes.
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
    error envelope) its page text (`web.ui.refusals`); the web layer's own envelopes (no
    domain reason) their text by code (`web.ui.messages.OWN_TEXTS`)."""
    if isinstance(body, list):
        return [_localized(item) for item in body]
    if not isinstance(body, dict):
        return body
    if body.get("reason") in REASONS and isinstance(body.get("params"), dict):
        params = {**body["params"], **({"detail": script_detail(body["params"])}
                                        if "rule" in body["params"] else {})}
        return {**body, "message": _(REASONS[body["reason"]], **params)}
    if body.get("reason") in REFUSALS and isinstance(body.get("message"), str):
        return {**body, "message": refusal_text(body["reason"], body.get("params"),
                                                body["message"])}
    return {key: own_text(body.get("code"), value)
            if key == "message" and isinstance(value, str)
            else _localized(value) if key in MESSAGE_HOLDERS else value
            for key, value in body.items()}
