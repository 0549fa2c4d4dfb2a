"""Domain lint: findings that do not stop the engine but that a process designer must see.

Errors (the file cannot run) come from parsing and compiling (`BpmnInvalid`); these are warnings.
Each names its element and, where the sources are known, its file and line.

- `lane_unmapped`: a human task whose lane maps to no role and unit (its lane's properties in the
  file, else `config.yaml` `lanes:`)
  for its process (when that process has a mapping at all);
- `lane_rule_invalid`: a lane whose `role` / `unit` / `unit_from` / `user_from` properties are
  no rule (no role, or two places); it maps as if they were not drawn;
- `deadline_unknown`: a task whose `deadline` property names a key not under `deadlines.keys`;
- `document_unknown`: a task whose `document` property names no document template
  (`engine/documents/catalog.py`; administrators upload new versions of those);
- `gateway_no_default`: a diverging exclusive or inclusive gateway without a default flow (when
  no condition holds the instance stops in error);
- `field_unused`: a form field that nothing reads. A field is *used* when its name (the first
  part of a dotted id) is read by a condition, script, timer, message, multi-instance or
  correlation expression anywhere in the process or the processes it calls, or by a task's
  assignment (`${name}` in `camunda:assignee`, `candidateUsers`, `candidateGroups`), or by a lane mapping
  (`unit_from`/`user_from`), or when its task names an `action` (actions read the form data in
  Python, which lint cannot see into) or a `result` property (the form is the process's result,
  read by the application when the process ends: `deadline_extension`'s approval);
- `script_unknown_function`: a script or expression calling a function that is neither an allowed
  helper or builtin (`engine.workflow.scripting.ALLOWED_NAMES`) nor a lambda it defined;
- `timer_invalid`: a timer whose fixed value the engine cannot read (it would stop the instance
  in error when the timer starts).

`check_text` says the same about one expression or script as the designer types it.
"""
from __future__ import annotations

import ast
from datetime import UTC

from engine.access import assignment as task_assignment
from engine.access import authority
from engine.documents.catalog import BY_KEY as DOCUMENT_KEYS, step_documents
from engine.workflow import assignment as bpmn_assignment
from engine.workflow import checks
from engine.workflow import forms
from engine.workflow import parser as bpmn
from engine.workflow import timers
from engine.workflow.adapter import CompiledSpec, Problem
from engine.workflow import scripting
from engine.workflow.engine_clock import engine_time
from engine.workflow.scripting import ALLOWED_NAMES, called_names, expressions, read_names
from engine.processes import actions
from engine.processes import scripts
from engine.processes import store
from engine.workflow.adapter import compile_spec

BPMN = {"bpmn": bpmn.BPMN_NS}


def warnings(settings, key: str, compiled: CompiledSpec,
             sources: list[tuple[str, bytes]] | None = None) -> list[Problem]:
    """Every domain warning of process `key` (and what it calls), located in `sources`."""
    found = [problem for rule in RULES for problem in rule(settings, key, compiled, sources or [])]
    return [bpmn.locate(sources, p) if sources else p for p in found]


def _mapping(settings, key: str, info: dict, stored: dict | None = None) -> dict:
    """The lane mapping governing a human task: its own process's (a called process has its own
    mapping; an embedded sub-process uses its parent's), the file's lanes over config.yaml's."""
    return (authority.lane_mapping(settings, info.get("process") or key, stored)
            or authority.lane_mapping(settings, key, stored))


def _expressions(compiled: CompiledSpec):
    """(element id, mode, text) of every expression in the process and what it calls."""
    return expressions([compiled.spec, *compiled.subprocess_specs.values()])


def unknown_functions(settings, key, compiled, sources) -> list[Problem]:
    """`script_unknown_function`: a call to neither an allowed helper nor a lambda it defined."""
    return [Problem.coded("script_unknown_function", element_id=element_id, name=name,
                          script_line=line)
            for element_id, mode, text in _expressions(compiled)
            for name, line in called_names(text, mode) if name not in ALLOWED_NAMES]


def unmapped_lanes(settings, key, compiled, sources) -> list[Problem]:
    """`lane_unmapped` / `lane_missing`: a human task whose lane maps to no role and unit."""
    found = []
    stored = store.lane_rules(sources) if sources else None
    for element_id, info in compiled.human_tasks.items():
        mapping = _mapping(settings, key, info, stored)
        if mapping and (info["lane"] or "") not in mapping:
            found.append(Problem.coded("lane_unmapped", element_id=element_id, lane=info["lane"])
                         if info["lane"] is not None
                         else Problem.coded("lane_missing", element_id=element_id))
    return found


def invalid_lane_rules(settings, key, compiled, sources) -> list[Problem]:
    """`lane_rule_invalid`: a lane's properties that are no rule (no role, or two unit rules);
    the lane is mapped as if they were not drawn."""
    found = []
    for name, data in sources:
        root = bpmn.parse_xml(data, name)
        for lanes in bpmn.lane_rules(root).values():
            for lane, rule in lanes.items():
                errors = store.LANE_RULE.validate(rule)
                if errors:
                    element = root.xpath(".//bpmn:lane[@name=$name]", namespaces=BPMN, name=lane)
                    found.append(Problem.coded(
                        "lane_rule_invalid", element_id=element[0].get("id") if element else None,
                        lane=lane, detail="; ".join(
                            str(m) for ms in errors.values() for m in
                            (ms if isinstance(ms, list) else [ms]))))
    return found


def unknown_deadlines(settings, key, compiled, sources) -> list[Problem]:
    """`deadline_unknown`: a `deadline` property naming no key under `deadlines.keys`."""
    known = set(settings.get("deadlines", "keys"))
    return [Problem.coded("deadline_unknown", element_id=element_id, key=deadline)
            for element_id, info in compiled.human_tasks.items()
            if (deadline := info["properties"].get("deadline")) and deadline not in known]


def unknown_documents(settings, key, compiled, sources) -> list[Problem]:
    """`document_unknown`: a `document` property naming no document template (it may name
    several, separated by commas)."""
    return [Problem.coded("document_unknown", element_id=element_id, key=document)
            for element_id, info in compiled.human_tasks.items()
            for document in step_documents(info["properties"].get("document"))
            if document not in DOCUMENT_KEYS]


def unused_fields(settings, key, compiled, sources) -> list[Problem]:
    """`field_unused`: a form field read by no expression and no lane mapping (tasks naming an
    `action` or a `result` are skipped: Python reads those forms)."""
    read: set[str] = set()
    for _element_id, mode, text in _expressions(compiled):
        read |= read_names(text, mode)
    for info in compiled.human_tasks.values():
        read |= bpmn_assignment.references(info.get("assignment"))
        for rule in _mapping(settings, key, info).values():
            for attr in ("unit_from", "user_from"):
                if isinstance(rule, dict) and isinstance(rule.get(attr), str):
                    read.add(rule[attr].split(".")[0])
    return [Problem.coded("field_unused", element_id=element_id, field=field)
            for element_id, info in compiled.human_tasks.items()
            if not (info["properties"].get("action") or info["properties"].get("result"))
            for field in ((info.get("form") or {}).get("properties") or {})
            if field.split(".")[0] not in read]


def gateways_without_default(settings, key, compiled, sources) -> list[Problem]:
    """`gateway_no_default`: a diverging exclusive or inclusive gateway without a default flow."""
    found = []
    names = {s.name for s in [compiled.spec, *compiled.subprocess_specs.values()]}
    for name, data in sources:
        try:
            root = bpmn.parse_xml(data, name)
        except bpmn.BpmnInvalid:
            continue
        for process in root.xpath("./bpmn:process", namespaces=BPMN):
            if process.get("id") not in names:
                continue
            for gateway in process.xpath(".//bpmn:exclusiveGateway | .//bpmn:inclusiveGateway",
                                         namespaces=BPMN):
                outgoing = gateway.xpath("./bpmn:outgoing", namespaces=BPMN)
                if len(outgoing) > 1 and not gateway.get("default"):
                    found.append(Problem.coded("gateway_no_default", element_id=gateway.get("id"),
                                               line=gateway.sourceline, file_name=name,
                                               element_name=gateway.get("name")))
    return found


def schema_findings(settings, key, compiled, sources) -> list[Problem]:
    """The file's own schema and vendor-extension warnings (what it calls has its own)."""
    for name, data in sources[:1]:
        try:
            return checks.warnings(bpmn.parse_xml(data, name), name)
        except bpmn.BpmnInvalid:
            pass
    return []


def choices_without_values(settings, key, compiled, sources) -> list[Problem]:
    """`form_field_no_values`: a single or multiple choice field offering no value (it can
    only be left empty)."""
    return [Problem.coded("form_field_no_values", element_id=element_id, field=path)
            for element_id, info in compiled.human_tasks.items()
            for path in forms.choices_without_values(info.get("form"))]


def invalid_timers(settings, key, compiled, sources) -> list[Problem]:
    """`timer_invalid`: a timer whose fixed value (a text constant) the engine cannot read."""
    found = []
    for element_id, kind, text in timers.expressions(
            [compiled.spec, *compiled.subprocess_specs.values()]):
        problem = _fixed_timer(kind, text, UTC)[1]
        if problem is not None:
            found.append(Problem.coded(problem[0], element_id=element_id, **problem[1]))
    return found


RULES = (unknown_functions, invalid_timers, choices_without_values, unmapped_lanes, invalid_lane_rules, unknown_deadlines, unknown_documents, unused_fields,
         gateways_without_default, schema_findings)


def bundle(name: str, files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """File `name` plus the files among `files` that define what it calls, transitively."""
    roots, defined = {}, {}
    for other, data in files:
        try:
            roots[other] = bpmn.parse_xml(data, other)
        except bpmn.BpmnInvalid:
            continue
        for pid in roots[other].xpath("./bpmn:process/@id", namespaces=BPMN):
            defined.setdefault(pid, other)
    data_of = dict(files)
    chosen, pending = [name], [name]
    while pending:
        current = pending.pop()
        if current not in roots:
            continue
        for called in bpmn.called_elements(roots[current]):
            target = defined.get(called)
            if target and target not in chosen:
                chosen.append(target)
                pending.append(target)
    return [(n, data_of[n]) for n in chosen]


def not_deployed(root, file_name: str, pid: str) -> Problem:
    """The warning that process `pid` of a file whose other processes deploy is left out."""
    process = root.xpath("./bpmn:process[@id=$id]", id=pid, namespaces=BPMN)
    return Problem.coded("process_not_deployed", element_id=pid, file_name=file_name,
                         line=process[0].sourceline if process else None,
                         element_name=bpmn.process_names(root).get(pid), process=pid)


def validate(session, runtime, files: list[tuple[str, bytes]]) -> dict:
    """Errors and warnings of BPMN files as `deploy` would find them, deploying nothing."""
    errors: list[Problem] = []
    found: list[Problem] = []
    roots = {}
    for name, data in files:
        try:
            roots[name] = bpmn.parse_xml(data, name)
        except bpmn.BpmnInvalid as exc:
            errors.extend(exc.problems)
    defined = {pid: n for n, r in roots.items() for pid in r.xpath("./bpmn:process/@id",
                                                                   namespaces=BPMN)}
    processes_found = []
    for name, root in roots.items():
        failed, runs = [], False
        for pid in bpmn.process_ids(root):
            processes_found.append(pid)
            sources, _ = store.resolve_sources(session, name, roots, dict(files), defined)
            try:
                compiled = compile_spec(pid, sources)
            except bpmn.BpmnInvalid as exc:
                failed.append((pid, [bpmn.locate(sources, p) for p in exc.problems]))
                continue
            runs = True
            errors.extend(bpmn.locate(sources, p) for p in actions.unknown(compiled, name))
            found.extend(warnings(runtime.settings, pid, compiled, sources))
            found.extend(bpmn.locate(sources, w)
                         for w in task_assignment.warnings(session, compiled.human_tasks))
        # As deploy does: a file some of whose processes run deploys those, the others warned.
        for pid, problems in failed:
            if runs:
                found.append(not_deployed(root, name, pid))
            (found if runs else errors).extend(problems)
    if roots and not processes_found:
        errors.extend(checks.no_executable(roots))
    def unique(items):
        return list({(p.element_id, p.line, p.message): p for p in items}.values())
    return {"processes": processes_found, "errors": [p.as_dict() for p in unique(errors)],
            "warnings": [p.as_dict() for p in unique(found)]}


# ---------------------------------------------------------------------------------------------
# One field of the designer's panel, checked as it is typed

# What each field of the panel holds: a script (`exec`) or an expression (`eval`).
TEXT_KINDS = {"condition": "eval", "script": "exec", "loopCardinality": "eval",
              "completionCondition": "eval", "timeDate": "eval", "timeDuration": "eval",
              "timeCycle": "eval"}
_PATTERNS = {"add_working_days": "working_days", "add_days": "days"}


def check_text(session, runtime, kind: str, text: str) -> dict:
    """What deploy and lint say about one script or expression of kind `kind` (`TEXT_KINDS`),
    the way the engine will evaluate it: `{"errors": [Problem], "warnings": [Problem], "timer":
    dict | None}`. Errors are the sandbox policy's refusals (a syntax error included: deploy
    refuses both) and, for a timer, a value the engine cannot read; warnings are lint's (a call
    of no allowed function). A problem's `line` is the line in `text`.

    For a timer, `timer` says when it fires: `{"fixed": timers.read(...)}` for a text constant;
    `{"data": [names]}` when the value comes from process data; otherwise the expression is
    evaluated now in the sandbox, as the engine would when the timer starts: `{"computed":
    timers.read(...), "pattern": {...} | None}`, the pattern being `{"working_days": n}`,
    `{"days": n}` (`add_working_days(today(), n)`, `add_days(today(), n)`) or `{"deadline":
    key}` (`deadline_due("key")`)."""
    mode = TEXT_KINDS[kind]
    errors = [Problem.coded("script_refused", detail=f.message, line=f.line,
                            **scripting.rule_params(f.code, f.params))
              for f in scripting.check(text, mode)]
    refused = {p.line for p in errors}  # a refused builtin (`open`) is said once, as refused
    warnings_ = [Problem.coded("script_unknown_function", name=name, script_line=line, line=line)
                 for name, line in called_names(text, mode)
                 if name not in ALLOWED_NAMES and line not in refused]
    timer = None
    if kind in timers.KINDS.values() and text.strip() and not errors:
        timer, problem = _fixed_timer(kind, text, runtime.clock.tz)
        if timer is None and problem is None:
            timer, problem = _computed_timer(session, runtime, kind, text)
        if problem is not None:
            errors.append(Problem.coded(problem[0], **problem[1]))
    return {"errors": errors, "warnings": warnings_, "timer": timer}


def _fixed_timer(kind: str, text: str, tz):
    """(timer, None) for a text constant the engine reads, (None, (reason, params)) for one it
    cannot read or an ISO value written without quotes; (None, None) for other expressions."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None, None
    if isinstance(tree, ast.Name) and tree.id[:1] in "PR" and any(c.isdigit() for c in tree.id):
        return None, ("timer_unquoted", {"value": tree.id})
    if not isinstance(tree, ast.Constant):
        return None, None
    try:
        return {"fixed": timers.read(kind, tree.value, tz)}, None
    except timers.TimerInvalid:
        return None, ("timer_invalid", {"kind": kind, "value": str(tree.value)})


def _computed_timer(session, runtime, kind: str, text: str):
    """Process data decides (no value yet), or the value the expression gives now."""
    data = sorted(read_names(text, "eval") - ALLOWED_NAMES)
    if data:
        return {"data": data}, None
    try:
        with engine_time(runtime.clock.now()), scripting.bound(scripts.context(session, runtime)):
            value = scripting.evaluate("eval", text, {})
    except scripting.ScriptRefused as exc:
        return None, ("script_refused", {"detail": str(exc), **exc.rule()})
    except scripting.ScriptFailed as exc:
        return None, ("script_refused", {"detail": str(exc)})
    if not isinstance(value, str):
        return None, ("timer_not_text", {"type": type(value).__name__})
    try:
        return {"computed": timers.read(kind, value, runtime.clock.tz),
                "pattern": _pattern(text)}, None
    except timers.TimerInvalid:
        return None, ("timer_invalid", {"kind": kind, "value": str(value)})


def _pattern(text: str) -> dict | None:
    """`add_working_days(today(), n)`, `add_days(today(), n)`, `deadline_due("key")` (each
    perhaps with `.isoformat()`) in words a page can say."""
    tree = ast.parse(text.strip(), mode="eval").body
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Attribute) and \
            tree.func.attr == "isoformat" and not tree.args:
        tree = tree.func.value
    if not (isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name)):
        return None
    args = tree.args
    if tree.func.id in _PATTERNS and len(args) == 2 and isinstance(args[0], ast.Call) and \
            isinstance(args[0].func, ast.Name) and args[0].func.id == "today" and \
            isinstance(args[1], ast.Constant) and isinstance(args[1].value, int):
        return {_PATTERNS[tree.func.id]: args[1].value}
    if tree.func.id == "deadline_due" and len(args) == 1 and isinstance(args[0], ast.Constant):
        return {"deadline": str(args[0].value)}
    return None
