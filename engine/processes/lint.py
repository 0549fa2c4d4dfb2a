"""Domain lint: findings that do not stop the engine but that a process designer must see.

Errors (the file cannot run) come from parsing and compiling (`BpmnInvalid`); these are warnings.
Each names its element and, where the sources are known, its file and line.

- `lane_unmapped`: a human task whose lane maps to no role and unit in `config.yaml` `lanes:`
  for its process (when that process has a mapping at all);
- `deadline_unknown`: a task whose `deadline` property names a key not under `deadlines.keys`;
- `gateway_no_default`: a diverging exclusive or inclusive gateway without a default flow (when
  no condition holds the instance stops in error);
- `field_unused`: a form field that nothing reads. A field is *used* when its name (the first
  part of a dotted id) is read by a condition, script, timer, message, multi-instance or
  correlation expression anywhere in the process or the processes it calls, or by a lane mapping
  (`unit_from`/`user_from`), or when its task names an `action` (actions read the form data in
  Python, which lint cannot see into) or a `result` property (the form is the process's result,
  read by the application when the process ends: `deadline_extension`'s approval);
- `script_unknown_function`: a script or expression calling a function that is neither an allowed
  helper or builtin (`engine.workflow.scripting.ALLOWED_NAMES`) nor a lambda it defined.
"""
from __future__ import annotations

from engine.access import authority
from engine.workflow import parser as bpmn
from engine.workflow.adapter import CompiledSpec, Problem
from engine.workflow.scripting import ALLOWED_NAMES, called_names, expressions, read_names
from engine.processes import actions
from engine.processes import store
from engine.workflow.adapter import compile_spec

BPMN = {"bpmn": bpmn.BPMN_NS}


def warnings(settings, key: str, compiled: CompiledSpec,
             sources: list[tuple[str, bytes]] | None = None) -> list[Problem]:
    """Every domain warning of process `key` (and what it calls), located in `sources`."""
    texts = expressions([compiled.spec, *compiled.subprocess_specs.values()])  # (id, mode, text)
    found = [*script_unknown_function(texts), *lane_unmapped(settings, key, compiled),
             *deadline_unknown(settings, compiled),
             *field_unused(compiled, _names_read(settings, key, compiled, texts)),
             *gateway_no_default(compiled, sources or [])]
    return [bpmn.locate(sources, p) if sources else p for p in found]


def _mapping(settings, key: str, info: dict) -> dict:
    """The lanes governing a task: its own process's (a called process has its own mapping; an
    embedded sub-process uses its parent's)."""
    process = info.get("process") or key
    return authority.lane_mapping(settings, process) or authority.lane_mapping(settings, key)


def script_unknown_function(texts) -> list[Problem]:
    """Scripts and expressions calling a function that is not an allowed helper or builtin."""
    return [Problem(f"calls {name!r}, which is not an allowed function (script line {line})",
                    element_id=element_id)
            for element_id, mode, text in texts for name, line in called_names(text, mode)
            if name not in ALLOWED_NAMES]


def lane_unmapped(settings, key: str, compiled: CompiledSpec) -> list[Problem]:
    """Human tasks whose lane maps to no role and unit (when the process has a mapping)."""
    found = []
    for element_id, info in compiled.human_tasks.items():
        mapping = _mapping(settings, key, info)
        if mapping and (info["lane"] or "") not in mapping:
            found.append(Problem(f"lane {info['lane']!r} maps to no role or unit; the task "
                                 "will be offered to the instance's starter",
                                 element_id=element_id))
    return found


def deadline_unknown(settings, compiled: CompiledSpec) -> list[Problem]:
    """Tasks whose `deadline` property names a key not under `deadlines.keys`."""
    keys = set((settings.get("deadlines", "keys", default={}) or {}).keys())
    return [Problem(f"deadline key {deadline!r} is not configured (config.yaml deadlines.keys); "
                    "no deadline will be started", element_id=element_id)
            for element_id, info in compiled.human_tasks.items()
            if (deadline := info["properties"].get("deadline")) and deadline not in keys]


def _names_read(settings, key: str, compiled: CompiledSpec, texts) -> set[str]:
    """Data names read by any expression or by a lane mapping (`unit_from`, `user_from`)."""
    read: set[str] = set()
    for _element_id, mode, text in texts:
        read |= read_names(text, mode)
    for info in compiled.human_tasks.values():
        for rule in _mapping(settings, key, info).values():
            for attr in ("unit_from", "user_from"):
                if isinstance(rule, dict) and isinstance(rule.get(attr), str):
                    read.add(rule[attr].split(".")[0])
    return read


def field_unused(compiled: CompiledSpec, read: set[str]) -> list[Problem]:
    """Form fields nothing reads (a task with an `action` or a `result` is read in Python)."""
    return [Problem(f"form field {field!r} is never used by a condition, script, lane mapping "
                    "or action", element_id=element_id)
            for element_id, info in compiled.human_tasks.items()
            if not (info["properties"].get("action") or info["properties"].get("result"))
            for field in ((info.get("form") or {}).get("properties") or {})
            if field.split(".")[0] not in read]


def gateway_no_default(compiled: CompiledSpec, sources: list[tuple[str, bytes]]) -> list[Problem]:
    """Diverging exclusive or inclusive gateways without a default flow."""
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
                    found.append(Problem("gateway has no default flow; when no condition "
                                         "holds the instance stops in error",
                                         element_id=gateway.get("id"), line=gateway.sourceline,
                                         file_name=name))
    return found


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
        for pid in bpmn.process_ids(root):
            processes_found.append(pid)
            sources, _ = store.resolve_sources(session, name, roots, dict(files), defined)
            try:
                compiled = compile_spec(pid, sources)
            except bpmn.BpmnInvalid as exc:
                errors.extend(bpmn.locate(sources, p) for p in exc.problems)
                continue
            errors.extend(bpmn.locate(sources, Problem(
                f"unknown action {info['properties']['action']!r}", element_id=element_id,
                file_name=name)) for element_id, info in compiled.human_tasks.items()
                if info["properties"].get("action")
                and not actions.known(info["properties"]["action"]))
            found.extend(warnings(runtime.settings, pid, compiled, sources))
    if roots and not processes_found:
        errors.append(Problem("the file defines no executable process", file_name=files[0][0]))
    def unique(items):
        return list({(p.element_id, p.line, p.message): p for p in items}.values())
    return {"processes": processes_found, "errors": [p.as_dict() for p in unique(errors)],
            "warnings": [p.as_dict() for p in unique(found)]}
