"""What a diagram needs to show: where a workflow has been, and how two versions differ."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.util.task import TaskState

from .parser import BPMN_NS, parse_xml

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
    for node in copy.iter():  # a modeler re-indents the file: layout whitespace is no change
        node.tail = None
        if node.text is not None and not node.text.strip():
            node.text = None
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
