"""The baseline: raw SpiffWorkflow with a full JSON load and save around every task step."""
from __future__ import annotations

import time
from pathlib import Path

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from bench.common import STEPS, Timings


def load_spec(path: Path, key: str):
    """Parse the BPMN file; return the process spec and its subprocess specs."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(path))
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def new_serializer() -> BpmnWorkflowSerializer:
    """SpiffWorkflow's standard serializer with the spiff configuration (spec included)."""
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def start_case(spec, subprocess_specs, serializer) -> str:
    """Create a workflow, run it to its first user task and return the saved JSON."""
    workflow = BpmnWorkflow(spec, subprocess_specs)
    workflow.do_engine_steps()
    return serializer.serialize_json(workflow)


def step(state: str, serializer) -> tuple[str, bool]:
    """Load, complete the ready user task, run the engine, save; return (state, finished)."""
    workflow = serializer.deserialize_json(state)
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    task.run()
    workflow.do_engine_steps()
    return serializer.serialize_json(workflow), workflow.is_completed()


class RawSpiff:
    """chain20 parsed once; each `run_case` is one whole case with JSON load and save per step."""

    def __init__(self, path: Path, key: str):
        self.spec, self.subprocess_specs = load_spec(path, key)
        self.serializer = new_serializer()

    def run_case(self, timings: Timings) -> None:
        """One whole case; append its step times and its case time to `timings`."""
        case_start = time.perf_counter()
        state = start_case(self.spec, self.subprocess_specs, self.serializer)
        steps = []
        for number in range(1, STEPS + 1):
            t0 = time.perf_counter()
            state, finished = step(state, self.serializer)
            steps.append(time.perf_counter() - t0)
            if finished != (number == STEPS):
                raise AssertionError(f"baseline case finished={finished} after step {number}")
        timings.add_case(time.perf_counter() - case_start, steps)

    def run_case_in_memory(self, timings: Timings) -> None:
        """One whole case with the workflow kept in memory between steps (as cluedesk's workflow
        cache keeps it): each step completes the task, runs the engine and serializes, but
        deserializes nothing."""
        case_start = time.perf_counter()
        workflow = BpmnWorkflow(self.spec, self.subprocess_specs)
        workflow.do_engine_steps()
        steps = []
        for _ in range(STEPS):
            t0 = time.perf_counter()
            (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
            task.run()
            workflow.do_engine_steps()
            self.serializer.serialize_json(workflow)
            steps.append(time.perf_counter() - t0)
        if not workflow.is_completed():
            raise AssertionError("in-memory baseline case did not finish")
        timings.add_case(time.perf_counter() - case_start, steps)
