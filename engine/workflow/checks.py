"""cluedesk's own checks of BPMN XML, before SpiffWorkflow parses it.

The library refuses many different things with one exception type and its own wording; these
checks find the common cases first and say, with a reason code, where and what to do
(`problems.REASONS`). Errors stop a deployment; warnings (`warnings`) do not: what the engine
can run, it runs.
"""
from __future__ import annotations

import copy
import re

from lxml import etree

from . import assignment, forms
from .problems import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
# Namespaces of the standard (diagram interchange included) and of the extensions the adapter reads.
STANDARD_NS = {BPMN_NS, "http://www.omg.org/spec/BPMN/20100524/DI",
               "http://www.omg.org/spec/DD/20100524/DC", "http://www.omg.org/spec/DD/20100524/DI"}
# Script languages of other engines: a script in one of them cannot run here. Any other
# scriptFormat is read as Python, as SpiffWorkflow does.
OTHER_LANGUAGES = {"groovy", "javascript", "js", "ecmascript", "nashorn", "graal.js", "juel",
                   "xslt", "ruby", "jruby", "kotlin", "application/javascript",
                   "text/javascript", "feel", "mvel", "spel"}
_JUEL = re.compile(r"^\s*[$#]\{(?P<inner>.*)\}\s*$", re.S)


def _where(element, file_name: str) -> dict:
    return {"element_id": element.get("id"), "element_name": element.get("name"),
            "line": element.sourceline, "file_name": file_name}


def _local(element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def file_errors(root, file_name: str) -> list[Problem]:
    """Problems that stop every process of the file: no process, choreographies."""
    processes = root.xpath("./bpmn:process", namespaces=NS)
    if processes:
        return []
    choreography = root.xpath("./bpmn:choreography | ./bpmn:globalChoreographyTask",
                              namespaces=NS)
    if choreography:
        return [Problem.coded("choreography", **_where(choreography[0], file_name))]
    return [Problem.coded("no_process", file_name=file_name, line=root.sourceline)]


def no_executable(roots: dict) -> list[Problem]:
    """The refusal of files whose processes are all marked not executable."""
    problems = []
    for name, root in roots.items():
        processes = root.xpath("./bpmn:process", namespaces=NS)
        if not processes:
            problems.extend(file_errors(root, name))
            continue
        first = processes[0]
        problems.append(Problem.coded(
            "no_executable_process", **_where(first, name),
            processes=", ".join(f"{p.get('id')} ({p.get('name') or p.get('id')})"
                                for p in processes)))
    return problems


def _juel_hint(inner: str) -> str:
    text = inner.strip()
    text = re.sub(r"&&", " and ", text)
    text = re.sub(r"\|\|", " or ", text)
    text = re.sub(r"!(?!=)", " not ", text)
    text = re.sub(r"\btrue\b", "True", re.sub(r"\bfalse\b", "False", text))
    text = re.sub(r"\bnull\b", "None", text)
    return re.sub(r"\s+", " ", text).strip()


def process_errors(root, file_name: str, known_processes: set[str]) -> list[Problem]:
    """Elements of the file's processes the engine cannot run, each with what to do instead."""
    found: list[Problem] = []
    called = set(root.xpath(".//bpmn:callActivity/@calledElement", namespaces=NS))
    for process in root.xpath("./bpmn:process", namespaces=NS):
        if (process.get("isExecutable") or "").strip().lower() == "false" and \
                process.get("id") not in called:
            continue  # never run: the engine does not read it
        for element in process.iter():
            kind = _local(element)
            if kind == "serviceTask" and not _has_spiff_operator(element):
                found.append(Problem.coded("service_task", **_where(element, file_name)))
            elif kind == "sendTask" and _java(element):
                found.append(Problem.coded("send_task_implementation",
                                           **_where(element, file_name),
                                           implementation=_java(element)))
            elif kind == "scriptTask":
                fmt = (element.get("scriptFormat") or "").strip().lower()
                script = element.find(f"{{{BPMN_NS}}}script")
                if fmt in OTHER_LANGUAGES:
                    found.append(Problem.coded("script_language", **_where(element, file_name),
                                               language=element.get("scriptFormat")))
                elif script is None or not (script.text or "").strip():
                    found.append(Problem.coded("script_missing", **_where(element, file_name)))
            elif kind in ("conditionExpression", "condition", "timeDuration", "timeDate",
                          "timeCycle", "loopCardinality", "completionCondition"):
                match = _JUEL.match(element.text or "")
                if match:
                    owner = element.getparent()
                    if _local(owner) in ("timerEventDefinition", "conditionalEventDefinition",
                                         "multiInstanceLoopCharacteristics"):
                        owner = owner.getparent()
                    found.append(Problem.coded(
                        "expression_juel", **_where(owner, file_name),
                        expression=(element.text or "").strip(),
                        python=_juel_hint(match.group("inner"))))
            elif kind == "dataStoreReference":
                found.append(Problem.coded("data_store", **_where(element, file_name),
                                           name=element.get("name") or element.get("id")))
            elif kind == "multiInstanceLoopCharacteristics":
                if element.find(f"{{{BPMN_NS}}}loopCardinality") is None and \
                        element.find(f"{{{BPMN_NS}}}loopDataInputRef") is None:
                    collection = element.get(f"{{{_CAMUNDA}}}collection")
                    hint = (f"camunda:collection {collection} is a Camunda expression: use "
                            "loopDataInputRef with a data input" if collection
                            else "add one of them")
                    found.append(Problem.coded("multi_instance_collection",
                                               **_where(element.getparent(), file_name),
                                               hint=hint))
            elif kind == "callActivity":
                called = (element.get("calledElement") or "").strip()
                if not called:
                    found.append(Problem.coded("call_target_empty", **_where(element, file_name)))
                elif called not in known_processes:
                    found.append(Problem.coded("call_target_missing",
                                               **_where(element, file_name), process=called))
            elif kind == "exclusiveGateway":
                found.extend(_unconditioned_flows(process, element, file_name))
            elif kind == "userTask":
                found.extend(assignment.problems(element, file_name))
            if kind in ("userTask", "manualTask"):
                found.extend(_form_problems(element, file_name))
    return found


_CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
_SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def _form_problems(task, file_name: str) -> list[Problem]:
    """A form field of an unknown type, a choice without values, a pattern that is no regular
    expression, a `show_when` naming no other field of the form: each at the field's line."""
    ext = task.find(f"{{{BPMN_NS}}}extensionElements")
    if ext is None:
        return []
    return [Problem.coded(reason, element_id=task.get("id"), element_name=task.get("name"),
                          line=field["line"], file_name=file_name, field=field["id"], **params)
            for reason, field, params in forms.problems(forms.read_fields(ext))]


def _java(element) -> str | None:
    for attr in ("class", "expression", "delegateExpression", "type"):
        if element.get(f"{{{_CAMUNDA}}}{attr}"):
            return element.get(f"{{{_CAMUNDA}}}{attr}")
    return None


def _has_spiff_operator(element) -> bool:
    return element.find(f".//{{{_SPIFF}}}serviceTaskOperator") is not None


def _unconditioned_flows(process, gateway, file_name: str) -> list[Problem]:
    container = gateway.getparent()
    flows = container.xpath("./bpmn:sequenceFlow[@sourceRef=$id]", namespaces=NS,
                            id=gateway.get("id"))
    if len(flows) < 2:
        return []
    default = gateway.get("default")
    return [Problem.coded("flow_condition_missing", **_where(flow, file_name))
            for flow in flows if flow.get("id") != default
            and flow.find(f"{{{BPMN_NS}}}conditionExpression") is None]


# ---------------------------------------------------------------------------------------------
# Warnings


_SCHEMA = None


def _schema():
    global _SCHEMA
    if _SCHEMA is None:
        from SpiffWorkflow.spiff.parser.process import VALIDATOR
        _SCHEMA = VALIDATOR
    return _SCHEMA


def warnings(root, file_name: str) -> list[Problem]:
    """Schema problems and vendor extensions that do not stop the engine, with their lines."""
    found: list[Problem] = []
    vendor_lines = set()
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        ns = etree.QName(element).namespace
        if ns in STANDARD_NS or ns is None:
            continue
        parent = element.getparent()
        if parent is not None and etree.QName(parent).namespace not in STANDARD_NS:
            continue  # inside an extension already reported
        if parent is not None and _local(parent) == "extensionElements":
            continue  # where extensions belong: read (camunda, spiffworkflow) or ignored
        found.append(Problem.coded("vendor_extension", element_id=element.get("id"),
                                   element_name=element.get("name"), line=element.sourceline,
                                   file_name=file_name, element=_local(element),
                                   namespace=ns))
        vendor_lines.add(element.sourceline)
    for task in root.xpath(".//bpmn:userTask[@camunda:formKey]",
                           namespaces={**NS, "camunda": _CAMUNDA}):
        found.append(Problem.coded("form_key_ignored", **_where(task, file_name),
                                   form_key=task.get(f"{{{_CAMUNDA}}}formKey")))
    validator = _schema()
    copy_ = copy.deepcopy(root)
    copy_.set("targetNamespace", copy_.get("targetNamespace") or "urn:cluedesk")  # optional here
    validator.preprocess(copy_)
    if not validator.validator.validate(copy_):
        for error in validator.validator.error_log:
            if error.line in vendor_lines:
                continue  # said above
            found.append(Problem.coded("schema", line=error.line, file_name=file_name,
                                       detail=error.message))
    return found
