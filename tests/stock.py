"""Stock SpiffWorkflow 3.2, run in the test itself as the reference the engine is compared with.

Tests are not engine code: this module imports SpiffWorkflow directly and runs a file with the
library's own parser and workflow, no cluedesk adapter (no pruning, no clock, no sandbox)."""
from __future__ import annotations

from lxml import etree
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState


def parse(files: list[tuple[str, bytes]], process_id: str):
    parser = SpiffBpmnParser()
    for name, data in files:
        parser.add_bpmn_xml(etree.fromstring(data), filename=name)
    return parser.get_spec(process_id), parser.get_subprocess_specs(process_id)


def run(files: list[tuple[str, bytes]], process_id: str, answers=None, *, data=None,
        max_steps: int = 200) -> tuple[bool, list[str]]:
    """(completed?, element ids of the completed human tasks in completion order).

    Ready manual tasks are completed one at a time (the first ready one), with `answers(task
    element id, step)` as data. Nothing fires timers or sends messages: a file that needs them
    does not finish here."""
    spec, subprocess_specs = parse(files, process_id)
    wf = BpmnWorkflow(spec, subprocess_specs)
    if data:
        wf.task_tree.data.update(data)
    wf.do_engine_steps()
    path = []
    for step in range(max_steps):
        ready = wf.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            break
        task = ready[0]
        task.data.update((answers or (lambda _e, _s: {}))(task.task_spec.bpmn_id, step))
        task.run()
        path.append(task.task_spec.bpmn_id)
        wf.do_engine_steps()
    return wf.is_completed(), path
