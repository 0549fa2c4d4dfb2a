"""What a diagram needs to show: where a workflow has been, and how two versions differ."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.util.task import TaskState

from . import assignment
from .parser import BPMN_NS, camunda_extensions, parse_xml

_CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
# Children that are references or layout, not properties of the element itself.
_NOT_PROPERTIES = {"incoming", "outgoing", "flowNodeRef"}


def completed_element_ids(run) -> list[str]:
    """BPMN ids of the completed tasks of a workflow (and what it called)."""
    ids = []
    for task in run.wf.get_tasks(state=TaskState.COMPLETED):
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id and bpmn_id not in ids:
            ids.append(bpmn_id)
    return ids


def _signature(element) -> str:
    """The element's own attributes and non-flow children (forms, properties, conditions)."""
    copy = etree.Element(element.tag, {k: v for k, v in sorted(element.attrib.items())})
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name in _NOT_PROPERTIES or (element_is_container(element) and child.get("id")):
            continue
        copy.append(etree.fromstring(etree.tostring(child)))
    copy.text = (element.text or "").strip() or None
    nodes = list(copy.iter())
    for node in nodes:  # a modeler re-indents the file: layout whitespace is no change
        node.tail = None
        if node.text is not None and not node.text.strip():
            node.text = None
    for node in nodes:
        # ... and writes children of different kinds in its schema's order (a form field's
        # validation before its values): only the order among children of one kind counts.
        children = [c for c in node if isinstance(c.tag, str)]
        if children:
            for child in list(node):
                node.remove(child)
            for child in sorted(children, key=lambda c: c.tag):  # stable: same kinds keep order
                node.append(child)
    return etree.tostring(copy, method="c14n").decode()


def element_is_container(element) -> bool:
    return etree.QName(element).localname in _CONTAINERS | {"process", "laneSet", "lane"}


def _elements(xml: bytes, name: str) -> dict[str, tuple[str, str]]:
    root = parse_xml(xml, name)
    found = {}
    for process in root.xpath("./bpmn:process", namespaces={"bpmn": BPMN_NS}):
        for element in process.iter():
            if not isinstance(element.tag, str) or element is process:
                continue
            if etree.QName(element).namespace != BPMN_NS or not element.get("id"):
                continue
            found[element.get("id")] = (etree.QName(element).localname, _signature(element))
    return found


def diff(old_xml: bytes, new_xml: bytes) -> dict:
    """Added, removed and changed element ids (with their kinds) from one version to another."""
    old, new = _elements(old_xml, "old.bpmn"), _elements(new_xml, "new.bpmn")
    return {
        "added": [{"element_id": i, "kind": new[i][0]} for i in new if i not in old],
        "removed": [{"element_id": i, "kind": old[i][0]} for i in old if i not in new],
        "changed": [{"element_id": i, "kind": new[i][0]} for i in new
                    if i in old and old[i] != new[i]],
    }


def current_element_ids(run) -> list[str]:
    """BPMN ids of the tasks where the workflow's tokens are (ready, waiting, running, failed)."""
    ids = []
    for task in run.wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED
                                 | TaskState.ERROR):
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if bpmn_id and bpmn_id not in ids:
            ids.append(bpmn_id)
    return ids


def facts(xml: bytes, name: str) -> dict[str, dict]:
    """What a reader sees of each element of a file's processes, by element id: its kind and
    name, and every fact the engine reads from it, each as plain text (or None when not set):
    `lane`, `condition`, `default`, `connects`, `documentation`, `timer`, `script`,
    `called_element`, `message`, `multi_instance`, `assignment.<attribute>`, `property.<name>`
    (`action`, `deadline`, `document`, ...) and `form.<field id>`. Versions compare these."""
    root = parse_xml(xml, name)
    found: dict[str, dict] = {}
    for process in root.xpath("./bpmn:process", namespaces={"bpmn": BPMN_NS}):
        lanes = {}
        for lane in process.iter(f"{{{BPMN_NS}}}lane"):
            for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
                lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
        for element in process.iter():
            if not isinstance(element.tag, str) or element is process:
                continue
            if etree.QName(element).namespace != BPMN_NS or not element.get("id"):
                continue
            found[element.get("id")] = _facts_of(element, lanes)
    return found


def _text(element, path: str) -> str | None:
    node = element.find(path)
    text = (node.text or "").strip() if node is not None else ""
    return text or None


def _field_words(field: dict) -> str:
    words = f"{field.get('label') or ''} ({field.get('type') or ''})".strip()
    if field.get("values"):
        words += ": " + ", ".join(f"{v['id']}={v['name']}" for v in field["values"])
    constraints = {k: v for k, v in field.get("constraints", {}).items()}
    if constraints:
        words += " [" + ", ".join(k if v is None else f"{k}={v}"
                                  for k, v in sorted(constraints.items())) + "]"
    if field.get("default") is not None:
        words += f" = {field['default']}"
    return words


def _facts_of(element, lanes: dict) -> dict:
    b = f"{{{BPMN_NS}}}"
    kind = etree.QName(element).localname
    out: dict = {"kind": kind, "name": element.get("name") or None,
                 "documentation": _text(element, f"{b}documentation")}
    if element.get("id") in lanes:
        out["lane"] = lanes[element.get("id")]
    if kind == "sequenceFlow":
        out["condition"] = _text(element, f"{b}conditionExpression")
        out["connects"] = f"{element.get('sourceRef')} → {element.get('targetRef')}"
    if element.get("default") is not None:
        out["default"] = element.get("default")
    timer = element.find(f"{b}timerEventDefinition")
    if timer is not None:
        out["timer"] = "; ".join(f"{etree.QName(c).localname}: {(c.text or '').strip()}"
                                 for c in timer if isinstance(c.tag, str)) or None
    if kind == "scriptTask":
        out["script"] = _text(element, f"{b}script")
    if kind == "callActivity":
        out["called_element"] = element.get("calledElement")
    message = element.find(f"{b}messageEventDefinition")
    if message is not None or element.get("messageRef"):
        out["message"] = element.get("messageRef") or (message.get("messageRef")
                                                       if message is not None else None)
    loop = element.find(f"{b}multiInstanceLoopCharacteristics")
    if loop is not None:
        out["multi_instance"] = ("sequential" if loop.get("isSequential") == "true"
                                 else "parallel") + "".join(
            f"; {etree.QName(c).localname}: {(c.text or '').strip()}"
            for c in loop if isinstance(c.tag, str))
    for attribute, value in assignment.read(element).items():
        out[f"assignment.{attribute}"] = value
    extensions = camunda_extensions(element)
    for prop, value in extensions.get("camundaProperties", {}).items():
        out[f"property.{prop}"] = value
    for field in extensions.get("formData", []):
        out[f"form.{field['id']}"] = _field_words(field)
    return out
