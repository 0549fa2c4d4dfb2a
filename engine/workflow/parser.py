"""One parser for every BPMN file: SpiffWorkflow's, plus `camunda:formData` and properties."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.task_parsers import GatewayParser
from SpiffWorkflow.bpmn.specs.defaults import ParallelGateway
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser, UserTaskParser
from SpiffWorkflow.spiff.specs.defaults import ManualTask, UserTask
from SpiffWorkflow.util.task import TaskState

from . import assignment, checks, forms
from .problems import BpmnInvalid, Problem, from_exception

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
MAX_BPMN_BYTES = 5 * 1024 * 1024


def camunda_extensions(node) -> dict:
    """Read camunda:formData and camunda:properties from a task node."""
    found: dict = {}
    ext = node.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}extensionElements")
    if ext is None:
        return found
    fields = [{k: v for k, v in f.items() if k != "line"} for f in forms.read_fields(ext)]
    if fields:
        found["formData"] = fields
    props = {}
    # The task's own properties (a form field's are the field's: `forms.read_fields`).
    for prop in ext.iterfind(f"{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property"):
        if prop.get("name"):
            props[prop.get("name")] = prop.get("value")
    if props:
        found["camundaProperties"] = props
    return found


class _FormMixin:
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        extensions.update(camunda_extensions(node if node is not None else self.node))
        return extensions


class CluedeskUserTaskParser(_FormMixin, UserTaskParser):
    def parse_extensions(self, node=None):
        extensions = super().parse_extensions(node)
        found = assignment.read(node if node is not None else self.node)
        if found:
            extensions["assignment"] = found
        return extensions


class CluedeskManualTaskParser(_FormMixin, SpiffTaskParser):
    pass


class CluedeskParallelGateway(ParallelGateway):
    """A parallel gateway whose join also finds its inputs in history the adapter pruned.

    Stock SpiffWorkflow decides whether a join in a loop may fire by walking each waiting
    task's ancestors up to the root, looking for the join's inputs. The adapter drops finished
    history (`adapter._prune_tree`) and leaves, on the first task kept below a cut, the specs of
    the tasks it dropped there (`pruned_path`, nearest first); this walk reads them where the
    stock walk would have read the dropped tasks, so the join decides the same way."""

    def _check_threshold_unstructured(self, my_task):
        tasks = my_task.workflow.get_tasks(spec_name=self.name)
        waiting_inputs = set(self.inputs)
        names = {spec.name: spec for spec in self.inputs}

        def remove_ancestor(task):
            while task is not None:
                if task.task_spec in waiting_inputs:
                    waiting_inputs.remove(task.task_spec)
                    return
                for name in task.internal_data.get("pruned_path", ()):
                    if names.get(name) in waiting_inputs:
                        waiting_inputs.remove(names[name])
                        return
                task = task.parent

        for task in tasks:
            if task.is_descendant_of(my_task):
                remove_ancestor(task)
            elif my_task.is_descendant_of(task):
                continue
            elif task.parent.state == TaskState.COMPLETED and task.parent.task_spec in waiting_inputs:
                waiting_inputs.remove(task.parent.task_spec)
        return len(waiting_inputs) == 0


class CluedeskParser(SpiffBpmnParser):
    """SpiffWorkflow's parser that also reads Camunda forms, so both kinds of file run."""

    OVERRIDE_PARSER_CLASSES = dict(SpiffBpmnParser.OVERRIDE_PARSER_CLASSES)
    OVERRIDE_PARSER_CLASSES[full_tag("userTask")] = (CluedeskUserTaskParser, UserTask)
    OVERRIDE_PARSER_CLASSES[full_tag("manualTask")] = (CluedeskManualTaskParser, ManualTask)
    OVERRIDE_PARSER_CLASSES[full_tag("parallelGateway")] = (GatewayParser,
                                                            CluedeskParallelGateway)


_SAFE_XML = dict(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                 dtd_validation=False, remove_comments=False)


def parse_xml(data: bytes, file_name: str) -> etree._Element:
    """Parse XML without entity expansion, DTDs or network access."""
    if len(data) > MAX_BPMN_BYTES:
        raise BpmnInvalid([Problem.coded("file_too_large", file_name=file_name,
                                         size=MAX_BPMN_BYTES // (1024 * 1024))])
    if b"<!DOCTYPE" in data[:4096] or b"<!ENTITY" in data:
        raise BpmnInvalid([Problem.coded("xml_doctype", file_name=file_name, line=1)])
    try:
        root = etree.fromstring(data, etree.XMLParser(**_SAFE_XML))
    except etree.XMLSyntaxError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else exc.lineno
        raise BpmnInvalid([Problem.coded("xml_syntax", line=line, file_name=file_name,
                                         detail=exc.msg)]) from None
    # The byte test above misses other encodings (UTF-16) and a DOCTYPE after a long comment.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        raise BpmnInvalid([Problem.coded("xml_doctype", file_name=file_name, line=1)])
    return root


def new_parser() -> CluedeskParser:
    # No schema validator here: what the schema finds are warnings (checks.warnings), since
    # the parser itself refuses what cannot run.
    return CluedeskParser()


def _dangling_flows(root, name: str) -> list[Problem]:
    """Sequence flows whose source or target is not an element of their process."""
    problems = []
    ns = {"bpmn": BPMN_NS}
    for process in root.xpath(".//bpmn:process | .//bpmn:subProcess", namespaces=ns):
        ids = {e.get("id") for e in process.iter() if e.get("id")}
        for flow in process.xpath("./bpmn:sequenceFlow", namespaces=ns):
            for attr in ("sourceRef", "targetRef"):
                ref = flow.get(attr)
                if ref not in ids:
                    problems.append(Problem.coded(
                        "flow_dangling" if ref else "flow_end_missing", element_id=flow.get("id"),
                        line=flow.sourceline, element_name=flow.get("name"), file_name=name,
                        flow=flow.get("id"), attr=attr, **({"ref": ref} if ref else {})))
    return problems


# Where a token stops and the step commits. A call activity or sub-process waits when what it
# runs does (a call target not among the sources is taken to wait: it is checked on its own).
_WAITS = {"task", "userTask", "manualTask", "receiveTask", "intermediateCatchEvent",
          "eventBasedGateway"}
_CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The cycles of a directed graph: strongly connected components with more than one node
    or a self-edge (Tarjan's algorithm, iterative: a 5 MB file may hold 100,000 flows)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(edges.get(root, ())))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(edges.get(nxt, ()))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1 or node in edges.get(node, ()):
                        found.append(sorted(component))
    return found


def _endless(roots: dict[str, etree._Element]) -> list[Problem]:
    """Call activities that call each other in a cycle, and sequence-flow cycles with no wait
    state in them: starting either would recurse or spin inside one step, holding its
    transaction (SpiffWorkflow gives up on a task tree 1,000 deep)."""
    ns = {"bpmn": BPMN_NS}
    processes = {p.get("id"): (name, p) for name, root in roots.items()
                 for p in root.xpath("./bpmn:process", namespaces=ns)}
    calls: dict[str, set[str]] = {}
    call_sites: dict[tuple[str, str], etree._Element] = {}
    for pid, (_, process) in processes.items():
        for call in process.xpath(".//bpmn:callActivity[@calledElement]", namespaces=ns):
            calls.setdefault(pid, set()).add(call.get("calledElement"))
            call_sites.setdefault((pid, call.get("calledElement")), call)
    problems = []
    calling_cycle = set()
    for cycle in _cycles(calls):
        calling_cycle.update(cycle)
        for pid in cycle:
            for target in sorted(calls[pid] & set(cycle)):
                site = call_sites[(pid, target)]
                problems.append(Problem.coded(
                    "call_cycle", element_id=site.get("id"), element_name=site.get("name"),
                    line=site.sourceline, file_name=processes[pid][0],
                    cycle=" → ".join(cycle)))

    def waits(element, seen: frozenset = frozenset()) -> bool:
        kind = _local(element)
        if kind in _WAITS:
            return True
        if kind == "callActivity":
            target = processes.get(element.get("calledElement"))
            if target is None or element.get("calledElement") in seen | calling_cycle:
                return True  # checked on its own, or already refused above
            return any(waits(e, seen | {element.get("calledElement")})
                       for e in target[1].iter() if e is not target[1])
        if kind in _CONTAINERS:
            return any(waits(e, seen) for e in element.iter() if e is not element)
        return False

    for name, root in roots.items():
        for container in root.xpath(".//bpmn:process | .//bpmn:subProcess | .//bpmn:transaction"
                                    " | .//bpmn:adHocSubProcess", namespaces=ns):
            nodes = {e.get("id"): e for e in container if e.get("id")}
            edges: dict[str, set[str]] = {}
            for flow in container.xpath("./bpmn:sequenceFlow", namespaces=ns):
                edges.setdefault(flow.get("sourceRef"), set()).add(flow.get("targetRef"))
            for cycle in _cycles(edges):
                members = [nodes[i] for i in cycle if i in nodes]
                if members and not any(waits(m) for m in members):
                    first = nodes.get(cycle[0])
                    problems.append(Problem.coded(
                        "flow_spin", element_id=cycle[0], file_name=name,
                        line=first.sourceline if first is not None else None,
                        element_name=first.get("name") if first is not None else None,
                        ids=", ".join(cycle)))
    return problems


def locate(sources: list[tuple[str, bytes]], problem: Problem) -> Problem:
    """Fill in the line (and name) of a problem that names an element but no line."""
    if (problem.line is not None and problem.element_name) or not problem.element_id:
        return problem
    for name, data in sources:
        if problem.file_name and name != problem.file_name:
            continue
        try:
            hits = parse_xml(data, name).xpath("//*[@id=$id]", id=problem.element_id)
        except BpmnInvalid:
            continue
        if hits:
            problem.line = problem.line or hits[0].sourceline
            problem.file_name = name
            problem.element_name = problem.element_name or hits[0].get("name")
            break
    return problem


def _reachable(parsed: dict, key: str) -> set[str]:
    """`key` and every process its call activities reach, across the parsed files."""
    ns = {"bpmn": BPMN_NS}
    processes = {p.get("id"): p for root in parsed.values()
                 for p in root.xpath("./bpmn:process", namespaces=ns)}
    seen, pending = set(), [key]
    while pending:
        pid = pending.pop()
        if pid in seen or pid not in processes:
            continue
        seen.add(pid)
        pending.extend(c.get("calledElement") for c in
                       processes[pid].xpath(".//bpmn:callActivity[@calledElement]", namespaces=ns))
    return seen


def _in_processes(root, problem: Problem, wanted: set[str]) -> bool:
    """Whether a problem lies in one of the `wanted` processes (a file-wide one always does)."""
    if not problem.element_id:
        return True
    hits = root.xpath("//*[@id=$id]", id=problem.element_id)
    if not hits:
        return True
    owner = hits[0].xpath("ancestor-or-self::bpmn:process[1]/@id", namespaces={"bpmn": BPMN_NS})
    return not owner or owner[0] in wanted


def load_sources(parser: CluedeskParser, sources: list[tuple[str, bytes]],
                 key: str | None = None) -> None:
    """Add (file name, bytes) sources to a parser; raise BpmnInvalid with every problem found
    (with `key`, only those of that process and the processes it calls: another process of the
    same file that cannot run does not stop this one)."""
    problems: list[Problem] = []
    roots = {}
    parsed = {}
    for name, data in sources:
        try:
            parsed[name] = parse_xml(data, name)
        except BpmnInvalid as exc:
            problems.extend(exc.problems)
    known = {pid for root in parsed.values()
             for pid in root.xpath("./bpmn:process/@id", namespaces={"bpmn": BPMN_NS})}
    wanted = _reachable(parsed, key) if key is not None else None
    for name, root in parsed.items():
        try:
            found = _dangling_flows(root, name) + checks.process_errors(root, name, known)
            if wanted is not None:
                found = [p for p in found if _in_processes(root, p, wanted)]
            if found:
                problems.extend(found)
                continue
            parser.add_bpmn_xml(root, filename=name)
            roots[name] = root
        except Exception as exc:  # the parser raises several types; all mean "cannot run"
            problems.append(locate(sources, from_exception(exc, name)))
    problems.extend(p for p in _endless(roots) if wanted is None or p.file_name not in roots
                    or _in_processes(roots[p.file_name], p, wanted))
    if problems:
        raise BpmnInvalid(problems)


def process_ids(root: etree._Element) -> list[str]:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return [p.get("id") for p in root.xpath("./bpmn:process", namespaces=ns)
            if p.get("isExecutable", "true").strip().lower() != "false"]


def process_names(root: etree._Element) -> dict[str, str]:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return {p.get("id"): p.get("name") or p.get("id")
            for p in root.xpath("./bpmn:process", namespaces=ns)}


LANE_KEYS = ("role", "unit", "unit_from", "user_from")


def lane_rules(root: etree._Element) -> dict[str, dict[str, dict[str, str]]]:
    """{process id: {lane name: rule}}: the `role` and `unit` / `unit_from` / `user_from`
    camunda:properties drawn on each named lane (API.md "Authority"); lanes without them absent."""
    ns = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
    found: dict[str, dict[str, dict[str, str]]] = {}
    for process in root.xpath("./bpmn:process", namespaces=ns):
        for lane in process.xpath(".//bpmn:lane", namespaces=ns):
            rule = {prop.get("name"): prop.get("value") or ""
                    for prop in lane.xpath("./bpmn:extensionElements/camunda:properties/"
                                           "camunda:property", namespaces=ns)
                    if prop.get("name") in LANE_KEYS and (prop.get("value") or "").strip()}
            if rule and (lane.get("name") or "").strip():
                found.setdefault(process.get("id"), {})[lane.get("name")] = rule
    return found


def called_elements(root: etree._Element) -> set[str]:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    return {c.get("calledElement") for c in root.xpath(".//bpmn:callActivity", namespaces=ns)
            if c.get("calledElement")}


def problem_from(exc: Exception, file_name: str | None = None) -> Problem:
    return from_exception(exc, file_name)
