"""Coded problems: what cannot run (or should be looked at) in a BPMN file, and why.

Every refusal and warning a designer sees is a `Problem` with a stable `reason`, an English
msgid with `%(name)s` placeholders (`REASONS`) and the `params` that fill it, like
`engine.errors.DomainError`; pages translate the msgid (the designer `.po`), the API sends the
filled English `message`. A problem names its file, element id and name, and line.

`from_exception` is the translation layer over SpiffWorkflow's exception *types* (and lxml's):
it reads the attributes the library puts on them (the node, tag, id, line of a
`ValidationException`; the task of a `WorkflowTaskException`; the variable of a
`WorkflowDataException`) and never matches on the library's message texts. What the library
does not classify finely (a `ValidationException` is one type for every parser refusal) is
made precise by cluedesk's own checks of the XML before the library parses it
(`engine/workflow/checks.py`), which give each case its reason and what to do.
"""
from __future__ import annotations

import re
from typing import Any

# reason -> English msgid. The designer page translates these (web/translations/designer).
REASONS: dict[str, str] = {
    # The file itself.
    "xml_syntax": "XML syntax error: %(detail)s",
    "xml_doctype": "DOCTYPE and entity declarations are not allowed",
    "file_too_large": "file is larger than %(size)s MB",
    "no_process": "the file defines no process; a collaboration or choreography alone cannot "
                  "run: model the work as a process (a pool with its tasks)",
    "choreography": "this engine does not run choreographies; model each participant's work "
                    "as a process",
    "no_executable_process": "the file defines no executable process (%(processes)s); mark "
                             "the process to run as executable: isExecutable=\"true\" (in "
                             "Camunda Modeler, tick “Executable” in the process properties)",
    "no_bpmn_file": "no BPMN file given",
    # Flows and structure.
    "flow_dangling": "sequence flow %(flow)s has %(attr)s '%(ref)s', which is not an element "
                     "of its process",
    "flow_end_missing": "sequence flow %(flow)s has %(attr)s None, which is not an element of "
                        "its process",
    "call_cycle": "call activities call each other in a cycle (%(cycle)s); starting it would "
                  "never end",
    "flow_spin": "the flow loops through %(ids)s with no wait state (user task, receive task, "
                 "catching event); it would spin without end",
    "duplicate_task_id": "element id '%(id)s' is used in both '%(first)s' and '%(second)s'; "
                         "task ids must be unique across a process and the processes it calls",
    "call_target_missing": "the call activity calls process %(process)s, which is neither "
                           "deployed nor in the files sent; deploy that process first or send "
                           "both files together",
    "process_not_deployed": "process %(process)s was not deployed because of the problems "
                            "listed after this one; the file's other processes were: fix them "
                            "and deploy again to run it",
    "call_target_empty": "the call activity names no process to call (calledElement); choose "
                         "the process it runs",
    "start_event_missing": "the process has no start event; add one where the work begins",
    # Elements the engine does not run.
    "service_task": "service tasks (Java classes, delegate expressions, connectors, external "
                    "tasks) cannot run in this engine; use a script task (Python) or a user task",
    "send_task_implementation": "this send task calls an implementation (%(implementation)s) "
                                "this engine cannot run; use a message end or throw event",
    "script_missing": "the script task has no script; write the Python it runs, or make it a "
                      "plain task",
    "script_language": "scripts are Python; this script is %(language)s: rewrite it in Python "
                       "and set scriptFormat to python (or leave it empty)",
    "expression_juel": "conditions and expressions are Python here, not %(expression)s: write "
                       "it without ${…}, e.g. %(python)s",
    "data_store": "data store %(name)s has no implementation in this engine; keep the values "
                  "in process variables or data objects",
    "data_reference_unknown": "the data association refers to %(ref)s, which is not a data "
                              "object, data input or output of this process; draw the data "
                              "object it should read or write",
    "multi_instance_collection": "a multi-instance activity needs a number of instances "
                                 "(loopCardinality) or a collection to run over "
                                 "(loopDataInputRef); %(hint)s",
    "flow_condition_missing": "an outgoing flow of this exclusive gateway has no condition "
                              "and is not its default flow; give it a condition or make it "
                              "the default",
    "element_unsupported": "the engine cannot run this %(kind)s: %(detail)s",
    "element_unreadable": "the engine cannot read this %(kind)s (%(error)s); remove the "
                          "element or redraw it with standard BPMN",
    "script_refused": "%(detail)s",
    # Domain lint (engine/processes/lint.py) and deploy rules.
    "unknown_action": "unknown action '%(action)s'; known actions: %(actions)s",
    "script_unknown_function": "calls '%(name)s', which is not an allowed function (script "
                               "line %(script_line)s)",
    "lane_unmapped": "lane '%(lane)s' maps to no role or unit; the task will be offered to the "
                     "instance's starter",
    "lane_rule_invalid": "lane '%(lane)s' needs a role and at most one of unit, unit_from and "
                         "user_from; its properties are ignored and config.yaml's mapping "
                         "applies",
    "lane_missing": "lane None maps to no role or unit; the task will be offered to the "
                    "instance's starter",
    "deadline_unknown": "deadline key '%(key)s' is not configured (config.yaml deadlines.keys); "
                        "no deadline will be started",
    "document_unknown": "document template '%(key)s' does not exist; no document will be "
                        "offered at this step",
    "field_unused": "form field '%(field)s' is never used by a condition, script, lane mapping "
                    "or action",
    "timer_invalid": "the engine cannot read %(value)s as this timer's value; write a date as "
                     "\"2026-12-31T17:00\", a duration as \"P3D\" or \"PT2H\", a cycle as "
                     "\"R/2026-12-07T09:00/P1D\"",
    "timer_not_text": "the timer's expression gives a %(type)s, but the engine reads text: "
                      "end a date with .isoformat(), as in add_working_days(today(), "
                      "3).isoformat()",
    "timer_unquoted": "a timer's value is Python text: write \"%(value)s\" with the quotes "
                      "(without them it names a process variable)",
    "gateway_no_default": "gateway has no default flow; when no condition holds the instance "
                          "stops in error",
    # Warnings: deploys, but the designer should know.
    "schema": "not valid against the BPMN 2.0 schema, the engine runs it anyway: %(detail)s",
    "vendor_extension": "element %(element)s of %(namespace)s is not BPMN; it is ignored",
    "form_field_type": "form field '%(field)s' has type %(type)s, which this engine does not "
                       "know; use one of %(types)s",
    "form_field_no_values": "form field '%(field)s' is a choice without values; add its "
                            "choices (camunda:value)",
    "form_field_pattern": "the pattern of form field '%(field)s' is not a regular expression "
                          "(%(detail)s)",
    "form_field_show_when": "form field '%(field)s' is shown when %(show_when)s, which names no "
                            "other field of this form; write other_field=value1|value2",
    "form_key_ignored": "formKey %(form_key)s is ignored: forms are drawn from the task's "
                        "form fields (camunda:formData or a form schema)",
    "assignee_unknown": "%(attribute)s names %(value)s, which is no user here; the task will "
                        "be offered by its lane, or to whoever started the instance",
    "candidate_group_unknown": "candidateGroups names %(value)s, which is neither a role nor "
                               "a unit code here; it is ignored",
    "assignment_expression_unsupported": "%(attribute)s is %(value)s; this engine evaluates "
                                         "only a variable name there (${initiator}, "
                                         "${approver}): set the variable in the process data "
                                         "(a form field or a script) and name it, or write the "
                                         "user, role or unit code itself",
    "candidate_group_ambiguous": "candidateGroups names more than one role or more than one "
                                 "unit (%(values)s); a task is offered to one role in one unit "
                                 "here, so only %(used)s is used: keep one, or list the people "
                                 "in candidateUsers",
    "listener_ignored": "%(kind)s listeners are Java code and are not run by this engine",
    # Engine errors while an instance runs (the instance stops in `error`, retry re-runs it).
    "task_failed": "%(kind)s %(element)s (%(name)s) failed: %(detail)s",
    "data_missing": "%(kind)s %(element)s (%(name)s) failed: the %(what)s %(variable)s has no "
                    "value; set it (complete the task with it, or retry with it as data)",
    "no_condition_true": "%(kind)s %(element)s (%(name)s) failed: no outgoing flow's condition "
                         "holds and there is no default flow; retry with data that satisfies "
                         "one of them",
    "name_unknown": "%(kind)s %(element)s (%(name)s) failed: the name %(variable)s is not "
                    "defined; retry with it as data",
    "engine_failed": "%(kind)s %(element)s (%(name)s) failed: %(error)s",
}

_ADDRESS = re.compile(r"<(?:Element |[\w.]+ object )[^>]*>")


def clean(text: str) -> str:
    """A library's text without object reprs (memory addresses)."""
    return _ADDRESS.sub("(element)", str(text)).strip().rstrip(".")


class Problem:
    """Something that stops a file from running (or, for lint, a warning)."""

    def __init__(self, message: str, element_id: str | None = None, line: int | None = None,
                 file_name: str | None = None, *, reason: str | None = None,
                 params: dict | None = None, element_name: str | None = None):
        if reason is not None and message is None:
            message = REASONS[reason]
        self.msgid = message
        self.reason = reason or "bpmn_problem"
        self.params = dict(params or {})
        self.element_id = element_id
        self.element_name = element_name
        self.line = line
        self.file_name = file_name

    @classmethod
    def coded(cls, reason: str, *, element_id=None, line=None, file_name=None,
              element_name=None, **params) -> Problem:
        return cls(REASONS[reason], element_id, line, file_name, reason=reason, params=params,
                   element_name=element_name)

    @property
    def message(self) -> str:
        if not self.params:
            return self.msgid
        return self.msgid % {k: _show(v) for k, v in self.params.items()}

    def as_dict(self) -> dict:
        return {"element_id": self.element_id, "element_name": self.element_name,
                "line": self.line, "message": self.message, "file_name": self.file_name,
                "reason": self.reason, "params": {k: _show(v) for k, v in self.params.items()}}

    def __repr__(self) -> str:
        return f"Problem({self.reason}, {self.element_id}@{self.line}: {self.message})"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple | set):
        return ", ".join(str(v) for v in value)
    return str(value)


class BpmnInvalid(Exception):
    """The BPMN cannot run; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


def _local(tag: str | None) -> str:
    tag = tag or ""
    return tag.rsplit("}", 1)[-1].split(":")[-1]


def from_exception(exc: Exception, file_name: str | None = None) -> Problem:
    """A parser-time exception of SpiffWorkflow (or lxml) as a coded problem, by its type."""
    from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
    if isinstance(exc, ValidationException):
        line = exc.line_number if isinstance(exc.line_number, int) else None
        kind = _local(exc.tag) or "element"
        detail = clean(exc.args[0] if exc.args else kind)
        return Problem.coded("element_unsupported", element_id=exc.id or None, line=line,
                             file_name=exc.file_name or file_name, element_name=exc.name or None,
                             kind=_words(kind), detail=detail)
    task = getattr(exc, "task", None) or getattr(exc, "task_spec", None)
    spec = getattr(task, "task_spec", task)
    kind = type(spec).__name__ if spec is not None else "element"
    return Problem.coded("element_unreadable", element_id=getattr(spec, "bpmn_id", None),
                         file_name=file_name, element_name=getattr(spec, "bpmn_name", None),
                         kind=_words(kind), error=_error_words(exc))


def _words(kind: str) -> str:
    """`serviceTask` / `ServiceTask` -> `service task`."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind).lower()


def _error_words(exc: Exception) -> str:
    """An exception the library did not mean for users, said without its internals."""
    if isinstance(exc, NotImplementedError):
        return "a feature the engine does not implement"
    if isinstance(exc, KeyError):
        return f"a reference to {clean(exc.args[0]) if exc.args else 'something'} that does not exist"
    if isinstance(exc, TypeError | AttributeError | ValueError):
        return "an attribute with a value of the wrong kind"
    return clean(exc) or type(exc).__name__


def runtime_problem(exc: Exception, task) -> Problem:
    """An exception raised while a task ran (or became ready) as a coded problem naming it."""
    from SpiffWorkflow.bpmn.exceptions import WorkflowDataException, WorkflowTaskException
    from SpiffWorkflow.exceptions import WorkflowException
    if task is None:
        task = getattr(exc, "task", None)
    spec = getattr(task, "task_spec", None)
    element = getattr(spec, "bpmn_id", None) or "?"
    name = getattr(spec, "bpmn_name", None) or element
    kind = _words(type(spec).__name__) if spec is not None else "element"
    where = {"element_id": None if element == "?" else element, "element_name": name,
             "kind": kind, "element": element, "name": name}
    # The library wraps script errors without keeping them; Python keeps the original as context.
    cause = (exc.__cause__ or exc.__context__) if isinstance(exc, WorkflowException) else None
    if isinstance(exc, NameError):
        cause = exc
    if isinstance(exc, WorkflowDataException):
        ref = exc.data_output if exc.data_output is not None else exc.data_input
        what = "data output" if exc.data_output is not None else "data input"
        return _coded("data_missing", where, what=what,
                      variable=getattr(ref, "bpmn_id", None) or getattr(ref, "bpmn_name", "?"))
    if isinstance(cause, NameError) and getattr(cause, "name", None):
        return _coded("name_unknown", where, variable=cause.name)
    if getattr(cause, "undefined", None):  # a NameError in a confined script (ScriptFailed)
        return _coded("name_unknown", where, variable=cause.undefined)
    if isinstance(exc, WorkflowException) and cause is None and type(spec).__name__ in (
            "ExclusiveGateway", "InclusiveGateway"):
        return _coded("no_condition_true", where)
    from .scripting import ScriptRefused
    if isinstance(cause, ScriptRefused) and isinstance(exc, WorkflowTaskException):
        # The sandbox's own words (budget, policy), already naming the element.
        return _coded("task_failed", where, detail=clean(exc.args[0] if exc.args else cause),
                      **cause.rule())
    if isinstance(cause, Exception) and not isinstance(cause, WorkflowException):
        return _coded("task_failed", where, detail=f"{type(cause).__name__}: {clean(cause)}")
    if isinstance(exc, WorkflowTaskException):
        return _coded("task_failed", where, detail=clean(exc.args[0] if exc.args else exc))
    return _coded("engine_failed", where, error=_error_words(exc))


def _coded(reason: str, where: dict, **params) -> Problem:
    return Problem.coded(reason, element_id=where["element_id"],
                         element_name=where["element_name"],
                         **{k: where[k] for k in ("kind", "element", "name")}, **params)
