"""The adapter drops finished history when it saves (Run.prune); that must never change what a
process does. For each construct that looks back into the task tree (a parallel join, an
inclusive join, an event sub-process, a multi-instance activity) a loop runs through the adapter
with a save and a load at every step, and through stock SpiffWorkflow in the same test: the same
elements complete in the same order, to the same end. Past the depth where stock SpiffWorkflow
stalls (about 333 passes of a three-task loop) the adapter keeps going."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.workflow.adapter import Run, compile_spec
from tests import stock

PASSES = 1005  # stock SpiffWorkflow stalls at about 333 passes of a three-task loop
NOW = datetime(2026, 12, 4, 9, tzinfo=UTC)
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn='
        '"http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        '<bpmn:process id="{pid}" isExecutable="true">')


def bpmn(pid: str, nodes: str, flows: list[tuple[str, str, str | None]]) -> bytes:
    body = [HEAD.format(pid=pid), nodes]
    for i, (source, target, condition) in enumerate(flows):
        cond = (f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>'
                if condition else "")
        body.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="{target}">'
                    f'{cond}</bpmn:sequenceFlow>')
    body.append("</bpmn:process></bpmn:definitions>")
    return "".join(body).encode()


COUNT = '<bpmn:scriptTask id="count" name="Count"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>'
LOOP_END = ('<bpmn:exclusiveGateway id="again" default="f_out"/>'
            '<bpmn:endEvent id="end"/>')
# (pid, nodes, flows): each loops back while n < N, then ends.
CONSTRUCTS = {
    "parallel_join": ("parallel_join",
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="merge"/>'
        '<bpmn:parallelGateway id="split"/><bpmn:userTask id="a" name="A"/>'
        '<bpmn:userTask id="b" name="B"/><bpmn:parallelGateway id="join"/>' + COUNT
        + LOOP_END,
        [("start", "merge", None), ("merge", "split", None), ("split", "a", None),
         ("split", "b", None), ("a", "join", None), ("b", "join", None),
         ("join", "count", None), ("count", "again", None), ("again", "merge", "n &lt; N")]),
    "inclusive_join": ("inclusive_join",
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="merge"/>'
        '<bpmn:inclusiveGateway id="split" default="f_d"/><bpmn:userTask id="a" name="A"/>'
        '<bpmn:userTask id="b" name="B"/><bpmn:inclusiveGateway id="join"/>' + COUNT
        + LOOP_END,
        [("start", "merge", None), ("merge", "split", None), ("split", "a", "n % 2 == 0"),
         ("split", "b", "n % 3 != 0"), ("a", "join", None), ("b", "join", None),
         ("join", "count", None), ("count", "again", None), ("again", "merge", "n &lt; N")]),
    "multi_instance": ("multi_instance",
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="merge"/>'
        '<bpmn:userTask id="a" name="A"><bpmn:multiInstanceLoopCharacteristics>'
        '<bpmn:loopCardinality>2</bpmn:loopCardinality>'
        '</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>' + COUNT + LOOP_END,
        [("start", "merge", None), ("merge", "a", None), ("a", "count", None),
         ("count", "again", None), ("again", "merge", "n &lt; N")]),
    "event_subprocess": ("event_subprocess",
        '<bpmn:startEvent id="start"/><bpmn:exclusiveGateway id="merge"/>'
        '<bpmn:userTask id="a" name="A"/>' + COUNT + LOOP_END
        + '<bpmn:intermediateThrowEvent id="tell" name="Tell">'
          '<bpmn:signalEventDefinition signalRef="note"/></bpmn:intermediateThrowEvent>'
          '<bpmn:subProcess id="on_note" triggeredByEvent="true">'
          '<bpmn:startEvent id="note_in" isInterrupting="false">'
          '<bpmn:signalEventDefinition signalRef="note"/></bpmn:startEvent>'
          '<bpmn:userTask id="read_note" name="Read note"/><bpmn:endEvent id="note_done"/>'
          '<bpmn:sequenceFlow id="e1" sourceRef="note_in" targetRef="read_note"/>'
          '<bpmn:sequenceFlow id="e2" sourceRef="read_note" targetRef="note_done"/>'
          '</bpmn:subProcess>',
        [("start", "merge", None), ("merge", "a", None), ("a", "tell", None),
         ("tell", "count", None), ("count", "again", None), ("again", "merge", "n &lt; N")]),
}


def source(construct: str) -> tuple[str, bytes]:
    pid, nodes, flows = CONSTRUCTS[construct]
    xml = bpmn(pid, nodes, flows).replace(b'<bpmn:endEvent id="end"/>',
                                          b'<bpmn:endEvent id="end"/>'
                                          b'<bpmn:sequenceFlow id="f_out" sourceRef="again" '
                                          b'targetRef="end"/>')
    if construct == "inclusive_join":
        xml = xml.replace(b'<bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="b">',
                          b'<bpmn:sequenceFlow id="f_d" sourceRef="split" targetRef="b">')
    if construct == "event_subprocess":
        xml = xml.replace(b"</bpmn:process>",
                          b'</bpmn:process><bpmn:signal id="note" name="note"/>')
    return pid, xml


def first(element_id: str) -> bool:
    """Which ready task both runs complete next: a note as soon as it is there."""
    return element_id != "read_note"


def run_stock(construct: str, passes: int) -> tuple[bool, list[str], dict]:
    pid, xml = source(construct)
    spec, subprocess_specs = stock.parse([(f"{pid}.bpmn", xml)], pid)
    wf = BpmnWorkflow(spec, subprocess_specs)
    wf.task_tree.data.update({"n": 0, "N": passes})
    trail: list[str] = []
    record = lambda task: trail.append(task.task_spec.bpmn_id) if task.task_spec.bpmn_id \
        else None  # noqa: E731
    wf.do_engine_steps(did_complete_task=record)
    for _step in range(passes * 6 + 10):
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        task = min(ready, key=lambda t: first(t.task_spec.bpmn_id))
        task.run()
        record(task)
        wf.do_engine_steps(did_complete_task=record)
    data = {k: v for k, v in wf.data.items() if k in ("n", "N")}
    return wf.is_completed(), trail, data


def run_adapter(construct: str, passes: int) -> tuple[bool, list[str], dict]:
    pid, xml = source(construct)
    compiled = compile_spec(pid, [(f"{pid}.bpmn", xml)])
    run = Run.start(compiled, {"n": 0, "N": passes}, NOW)
    trail = list(run.trail)
    for _step in range(passes * 6 + 10):
        run = Run.load(compiled, run.dump())  # every step is saved and loaded, as in service
        assert run.error is None, run.error
        ready = run.ready_human_tasks()
        if not ready:
            break
        run.complete(min(ready, key=lambda t: first(t.element_id)).id, {}, NOW)
        trail.extend(run.trail)
        run.trail.clear()
    assert run.error is None, run.error
    data = {k: v for k, v in run.data.items() if k in ("n", "N")}
    return run.status == "completed", trail, data


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_pruning_keeps_the_path_and_the_end_of_stock_spiffworkflow(construct):
    expected = run_stock(construct, 40)
    assert expected[0], "stock SpiffWorkflow finishes this loop"
    assert run_adapter(construct, 40) == expected


@pytest.mark.parametrize("construct", sorted(CONSTRUCTS))
def test_loops_keep_running_past_a_thousand_passes(construct):
    done, trail, data = run_adapter(construct, PASSES)
    assert done and data == {"n": PASSES, "N": PASSES}
    assert trail.count("count") == PASSES
