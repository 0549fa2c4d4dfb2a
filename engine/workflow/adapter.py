"""Start, load, step, complete, message, fire timers, retry, save: the engine behind one API.

Nothing outside this package sees a SpiffWorkflow object. Callers hold a `Run` (a loaded workflow)
and get plain values back: task views, timer views, the status and the serialized state.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, UTC
from typing import Any

from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity, SubWorkflowTask
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState

from . import assignment, forms, scripting, values
from .engine_clock import engine_time
from .parser import (BPMN_NS, BpmnInvalid, Problem, load_sources, locate, new_parser, parse_xml,
                     problem_from)
from .problems import runtime_problem

SERIALIZER_VERSION = "cluedesk-1"


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    """Serialize the workflow without its spec; the spec is cached and stored once per version."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        from uuid import UUID
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = StateOnlyWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    values.register(registry)
    return BpmnWorkflowSerializer(registry, version=SERIALIZER_VERSION)


_serializer = _make_serializer()


# ---------------------------------------------------------------------------------------------
# Specs


@dataclass
class CompiledSpec:
    """A parsed process with everything the service needs to know about its human tasks."""
    key: str
    spec: Any
    subprocess_specs: dict
    # element id -> {"name", "lane", "form", "properties", "kind"}
    human_tasks: dict[str, dict] = field(default_factory=dict)
    lanes: set[str] = field(default_factory=set)
    has_timers: bool = False
    # The variable that holds who started the instance (`camunda:initiator` on the start event).
    initiator: str | None = None

    def form(self, element_id: str) -> dict | None:
        return self.human_tasks.get(element_id, {}).get("form")

    def element_name(self, element_id: str) -> str | None:
        """The name an element of the process (or of its sub-processes) is drawn with."""
        for spec in (self.spec, *self.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if getattr(task_spec, "bpmn_id", None) == element_id:
                    return task_spec.bpmn_name or None
        return None


def _task_info(task_spec) -> dict:
    ext = getattr(task_spec, "extensions", None) or {}
    props = dict(ext.get("properties") or {})
    props.update(ext.get("camundaProperties") or {})
    schema = forms.form_schema(ext.get("formData") or [])
    if schema is None and ext.get("formSchema"):
        schema = json.loads(ext["formSchema"])
    return {"name": task_spec.bpmn_name or task_spec.bpmn_id, "lane": task_spec.lane,
            "form": schema, "properties": props, "assignment": dict(ext.get("assignment") or {}),
            "kind": "manual" if type(task_spec).__name__ in ("ManualTask", "NoneTask") else "user"}


def compile_spec(key: str, sources: list[tuple[str, bytes]], *,
                 check_policy: bool = True) -> CompiledSpec:
    """Parse `sources` and build the spec of process `key` with its call-activity targets.
    Without `check_policy` (a version deployed earlier) scripts the policy now refuses are
    left to fail when they run, so the running cases of that version go on."""
    parser = new_parser()
    load_sources(parser, sources, key)
    try:
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except BpmnInvalid:
        raise
    except Exception as exc:
        raise BpmnInvalid([locate(sources, problem_from(exc, None))]) from None
    compiled = CompiledSpec(key=key, spec=spec, subprocess_specs=subprocess_specs,
                            initiator=_initiator(key, sources))
    duplicates = []
    for s in [spec, *subprocess_specs.values()]:
        for task_spec in s.task_specs.values():
            event_def = getattr(task_spec, "event_definition", None)
            for d in getattr(event_def, "event_definitions", None) or [event_def]:
                if isinstance(d, TimerEventDefinition):
                    compiled.has_timers = True
            if getattr(task_spec, "manual", False) and getattr(task_spec, "bpmn_id", None):
                if task_spec.bpmn_id in compiled.human_tasks:
                    # Forms and actions are found by element id: it must be unique in the tree.
                    duplicates.append(Problem.coded(
                        "duplicate_task_id", element_id=task_spec.bpmn_id,
                        element_name=task_spec.bpmn_name, id=task_spec.bpmn_id,
                        first=compiled.human_tasks[task_spec.bpmn_id]["process"], second=s.name))
                    continue
                compiled.human_tasks[task_spec.bpmn_id] = {**_task_info(task_spec),
                                                           "process": s.name}
                if task_spec.lane:
                    compiled.lanes.add(task_spec.lane)
    if duplicates:
        raise BpmnInvalid(duplicates)
    if check_policy:
        _check_expressions(compiled)
    return compiled


def _initiator(key: str, sources: list[tuple[str, bytes]]) -> str | None:
    for name, data in sources:
        for start in parse_xml(data, name).xpath(
                "./bpmn:process[@id=$key]/bpmn:startEvent", key=key,
                namespaces={"bpmn": BPMN_NS}):
            if assignment.initiator(start):
                return assignment.initiator(start)
    return None


def call_targets(compiled: CompiledSpec, process: str | None = None) -> dict[str, set[str]]:
    """Each call activity of the top-level process (or of the called `process`), including
    those of their embedded sub-processes: the processes it runs, directly or through their own
    call activities."""
    specs = compiled.subprocess_specs

    def reach(name: str, seen: set[str]) -> set[str]:
        for task_spec in specs[name].task_specs.values() if name in specs else ():
            target = getattr(task_spec, "spec", None)
            if isinstance(task_spec, SubWorkflowTask) and target not in seen:
                seen.add(target)
                reach(target, seen)
        return seen

    found: dict[str, set[str]] = {}
    pending, visited = [compiled.spec if process is None else specs[process]], set()
    while pending:
        spec = pending.pop()
        for task_spec in spec.task_specs.values():
            if not isinstance(task_spec, SubWorkflowTask):
                continue
            if isinstance(task_spec, CallActivity):
                found[task_spec.bpmn_id] = reach(task_spec.spec, {task_spec.spec})
            elif task_spec.spec in specs and task_spec.spec not in visited:
                visited.add(task_spec.spec)  # embedded: drawn in the same diagram
                pending.append(specs[task_spec.spec])
    return found


def direct_calls(compiled: CompiledSpec, process: str | None = None) -> dict[str, str]:
    """Each call activity of the top-level process (or of the called `process`) and its
    embedded sub-processes: the process it calls."""
    specs = compiled.subprocess_specs
    found: dict[str, str] = {}
    pending, visited = [compiled.spec if process is None else specs[process]], set()
    while pending:
        spec = pending.pop()
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, CallActivity):
                found[task_spec.bpmn_id] = task_spec.spec
            elif (isinstance(task_spec, SubWorkflowTask) and task_spec.spec in specs
                  and task_spec.spec not in visited):
                visited.add(task_spec.spec)
                pending.append(specs[task_spec.spec])
    return found


def _check_expressions(compiled: CompiledSpec) -> None:
    """Refuse scripts, conditions, timer and other expressions the script policy refuses (or that
    are not valid Python) before anything is deployed; each problem names its element and line."""
    problems = policy_problems(compiled)
    if problems:
        raise BpmnInvalid(problems)


def policy_problems(compiled: CompiledSpec) -> list[Problem]:
    """What the script policy refuses in this process (and its sub-processes)."""
    problems = []
    for element_id, mode, text in scripting.expressions(
            [compiled.spec, *compiled.subprocess_specs.values()]):
        problems.extend(Problem.coded("script_refused", detail=f.message, element_id=element_id,
                                      **scripting.rule_params(f.code, f.params))
                        for f in scripting.check(text, mode))
    return problems


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LRU:
    """A small thread-safe LRU map."""

    def __init__(self, size: int):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def pop(self, key):
        with self._lock:
            return self._data.pop(key, None)

    def put(self, key, value):
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self):
        with self._lock:
            self._data.clear()


# ---------------------------------------------------------------------------------------------
# Running workflows


@dataclass
class TaskView:
    id: str
    element_id: str
    name: str
    lane: str | None
    kind: str
    data: dict
    properties: dict
    process_id: str  # the process (top level or call-activity target) the task belongs to
    # The task's assignment attributes with their variable references evaluated.
    assignment: assignment.Resolved = field(default_factory=assignment.Resolved)


@dataclass
class TimerView:
    task_id: str
    element_id: str
    due_at: datetime | None


@dataclass
class ErrorView:
    element_id: str | None
    message: str
    task_id: str | None = None
    element_name: str | None = None
    reason: str | None = None
    params: dict | None = None
    # "update": the task failed while becoming ready (its inputs); retry re-checks them
    # instead of running it (a user task must still wait for its person).
    phase: str | None = None


class TaskNotReady(Exception):
    """The task is not waiting for a person (already completed, cancelled, or unknown)."""


class NothingWaits(Exception):
    """No element of the instance waits for this message."""


class Run:
    """One loaded workflow. Not thread-safe: one request or timer firing owns it at a time."""

    def __init__(self, compiled: CompiledSpec, workflow: BpmnWorkflow,
                 process_data: dict | None = None):
        self.compiled = compiled
        self.wf = workflow
        self.error: ErrorView | None = None
        self.sent_messages: list[dict] = []
        # Process-scope variables: each completed task's changes, applied in completion order
        # (what Camunda users expect), since the engine keeps a copy of the data per task.
        self.process_data: dict = process_data or {}
        # Element ids of the tasks this Run completed, in order (not saved: the audit trail and
        # the task rows are the history).
        self.trail: list[str] = []

    # -- lifecycle
    @classmethod
    def start(cls, compiled: CompiledSpec, data: dict | None, now: datetime) -> Run:
        wf = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=scripting.ENGINE)
        run = cls(compiled, wf, dict(data or {}))
        if data:
            wf.task_tree.data.update(data)
        run.step(now)
        return run

    @classmethod
    def load(cls, compiled: CompiledSpec, state: str) -> Run:
        dct = json.loads(state)
        dct.pop(_serializer.VERSION_KEY, None)
        error = dct.pop("cluedesk_error", None)
        process_data = _serializer.registry.restore(dct.pop("cluedesk_data", {}))
        wf = _serializer.registry.restore(dct, spec=compiled.spec,
                                          subprocess_specs=compiled.subprocess_specs)
        wf.script_engine = scripting.ENGINE
        run = cls(compiled, wf, process_data)
        if error:
            run.error = ErrorView(**error)
        return run

    def dump(self) -> str:
        """The serialized state, after dropping the finished history (see `prune`)."""
        self.prune()
        _serializer.registry._encoder_mode = True
        try:
            dct = _serializer.registry.convert(self.wf)
        finally:
            _serializer.registry._encoder_mode = False
        dct[_serializer.VERSION_KEY] = SERIALIZER_VERSION
        dct["cluedesk_data"] = _serializer.registry.convert(self.process_data)
        if self.error:
            dct["cluedesk_error"] = self.error.__dict__
        return json.dumps(dct, cls=_serializer._encoder_cls, separators=(",", ":"))

    def prune(self) -> None:
        """Drop finished tasks that lie behind everything still live.

        SpiffWorkflow never forgets a task: every pass around a loop deepens the task tree, so a
        step costs more each time and at depth 1000 `get_tasks()` stops looking and the workflow
        stalls silently (ENGINE-NOTES.md, iteration 333 of a send-back loop). What was done is
        kept in the audit trail and the task rows; the engine only needs the live part of the tree.
        """
        for workflow in [self.wf, *self.wf.subprocesses.values()]:
            if workflow.task_tree is not None:
                _prune_tree(self.wf, workflow)

    # -- stepping
    def step(self, now: datetime) -> None:
        """Run engine steps (scripts, gateways, due timers) until people or events are needed."""
        with engine_time(now):
            try:
                self.wf.do_engine_steps(did_complete_task=self._absorb)
                self.error = None
            except Exception as exc:  # engine errors carry the task; anything else is also an error
                self.error = self._error_from(exc)
            self.sent_messages.extend(
                {"name": e.event_definition.name, "payload": e.payload}
                for e in self.wf.get_events()
                if isinstance(e.event_definition, MessageEventDefinition))

    def _error_from(self, exc: Exception) -> ErrorView:
        """The error of a failed engine call, leaving the failed task in ERROR so that `retry`
        finds it: whether it failed while running, when completing (its outputs), or while
        becoming ready (its inputs)."""
        task = getattr(exc, "task", None)
        if task is None:
            errored = self.wf.get_tasks(state=TaskState.ERROR)
            task = errored[0] if errored else None
        if task is None:
            task = _task_in_traceback(exc)
        if task is None:
            spec = getattr(exc, "task_spec", None)
            candidates = [t for t in self.wf.get_tasks(state=TaskState.READY | TaskState.STARTED)
                          if spec is not None and t.task_spec is spec]
            task = candidates[0] if candidates else None
        phase = None
        if task is not None and task.state != TaskState.ERROR:
            if task.state & (TaskState.PREDICTED_MASK | TaskState.FUTURE | TaskState.WAITING):
                phase = "update"
            task._set_state(TaskState.ERROR)
        problem = runtime_problem(exc, task)
        return ErrorView(element_id=problem.element_id, message=problem.message,
                         task_id=str(task.id) if task is not None else None,
                         element_name=problem.element_name, reason=problem.reason,
                         params=problem.as_dict()["params"], phase=phase)

    def _guard(self, now: datetime, action) -> bool:
        """Run `action` (an engine call) at `now`; an exception becomes the instance's error."""
        with engine_time(now):
            try:
                action()
                return True
            except NothingWaits:
                raise
            except Exception as exc:
                self.error = self._error_from(exc)
                return False

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        if getattr(self, "cancelled_as", None):
            return self.cancelled_as
        return "completed" if self.wf.is_completed() else "running"

    def _absorb(self, task) -> None:
        if getattr(task.task_spec, "bpmn_id", None):
            self.trail.append(task.task_spec.bpmn_id)
        parent = task.parent.data if task.parent is not None else {}
        for key, value in task.data.items():
            if key not in parent or parent[key] != value:
                self.process_data[key] = value

    @property
    def data(self) -> dict:
        return _plain({**self.wf.data, **self.process_data})

    def ready_human_tasks(self) -> list[TaskView]:
        views = []
        for task in self.wf.get_tasks(state=TaskState.READY, manual=True):
            info = self.compiled.human_tasks.get(task.task_spec.bpmn_id) or _task_info(task.task_spec)
            views.append(TaskView(id=str(task.id), element_id=task.task_spec.bpmn_id,
                                  name=info["name"], lane=task.task_spec.lane, kind=info["kind"],
                                  data=task.data, properties=info["properties"],
                                  process_id=self._process_of(task),
                                  assignment=assignment.resolve(
                                      info["assignment"], {**self.data, **task.data})
                                  if info.get("assignment") else assignment.Resolved()))
        return views

    def _process_of(self, task) -> str:
        """Embedded sub-processes belong to their parent process; call activities do not."""
        workflow = task.workflow
        while workflow.parent_workflow is not None:
            parent = self.wf.get_task_from_id(workflow.parent_task_id)
            if isinstance(parent.task_spec, CallActivity):
                break
            workflow = workflow.parent_workflow
        return workflow.spec.name

    def waiting_timers(self) -> list[TimerView]:
        views = []
        for task in self.wf.get_tasks(state=TaskState.WAITING):
            spec = task.task_spec
            if not isinstance(spec, CatchingEvent):
                continue
            event_def = spec.event_definition
            defs = getattr(event_def, "event_definitions", None) or [event_def]
            if not any(isinstance(d, TimerEventDefinition) for d in defs):
                continue
            # Plain timers and event-based gateways both keep the evaluated due time here.
            value = task.internal_data.get("event_value")
            if isinstance(value, dict):
                value = value.get("next")
            due = None
            if isinstance(value, str):
                try:
                    parsed = TimerEventDefinition.get_datetime(value)
                    due = datetime.fromtimestamp(parsed.timestamp(), UTC)
                except ValueError:
                    due = None
            views.append(TimerView(task_id=str(task.id), element_id=spec.bpmn_id, due_at=due))
        return views

    def task_state(self, task_id: str) -> str | None:
        task = self._find(task_id)
        return TaskState.get_name(task.state) if task is not None else None

    def _find(self, task_id: str):
        from uuid import UUID
        try:
            return self.wf.get_task_from_id(UUID(task_id))
        except Exception:
            return None

    # -- actions
    def complete(self, task_id: str, data: dict, now: datetime) -> None:
        task = self._find(task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(task_id)
        task.data.update(data)
        if not self._guard(now, task.run):
            if task.state == TaskState.ERROR and self.error.task_id is None:
                self.error.task_id = str(task.id)
            return
        self._absorb(task)
        self.step(now)

    def fire_timers(self, now: datetime) -> None:
        """Refresh timers at `now` and run whatever they release."""
        if self._guard(now, self.wf.refresh_timers):
            self.step(now)

    def send_message(self, name: str, payload: dict, now: datetime) -> None:
        waiting = None
        for task in self.wf.get_tasks(state=TaskState.WAITING):
            event_def = getattr(task.task_spec, "event_definition", None)
            for candidate in getattr(event_def, "event_definitions", None) or [event_def]:
                if isinstance(candidate, MessageEventDefinition) and candidate.name == name:
                    waiting = candidate
                    break
            if waiting is not None:
                break
        if waiting is None:
            waiting = self._event_subprocess_start(name)
        if waiting is None:
            raise NothingWaits(name)
        with engine_time(now):
            try:
                correlations = waiting.calculate_correlations(
                    self.wf.script_engine, waiting.correlation_properties, payload)
            except Exception as exc:  # a correlation expression failed: the caller's data
                self.error = self._error_from(exc)
                return

        def deliver():
            try:
                self.wf.send_event(BpmnEvent(waiting, payload, correlations))
            except WorkflowException as exc:
                if getattr(exc, "task", None) is None and getattr(exc, "task_spec", None) is None:
                    raise NothingWaits(name) from None
                raise
        try:
            delivered = self._guard(now, deliver)
        except NothingWaits:
            raise
        if delivered:
            self.step(now)

    def _event_subprocess_start(self, name: str):
        """The message start of an event sub-process of the process: no task waits for it (the
        library starts the sub-process when the message comes), yet the process takes it."""
        start = self.wf.spec.start
        for spec_name in getattr(start, "trigger_specs", ()):
            spec = self.wf.subprocess_specs.get(spec_name)
            for event in getattr(spec, "bpmn_start_events", ()):
                definition = getattr(event, "event_definition", None)
                if isinstance(definition, MessageEventDefinition) and definition.name == name:
                    return definition
        return None

    def retry(self, data: dict | None, now: datetime) -> None:
        """Merge `data` into the failed task and run it again."""
        errored = self.wf.get_tasks(state=TaskState.ERROR)
        phase = self.error.phase if self.error is not None else None
        if data:
            self.process_data.update(data)

        def again():
            for task in errored:
                if data:
                    task.data.update(data)
                if phase == "update":
                    # It failed while becoming ready: check its inputs again and let it wait.
                    task._set_state(TaskState.FUTURE)
                    task.task_spec._update(task)
                else:
                    task.run()
                    self._absorb(task)
        self.error = None
        if self._guard(now, again):
            self.step(now)

    def cancel(self, now: datetime, *, record_as: str | None = None) -> None:
        """Cancel every task; the workflow counts as finished (its status `record_as` when
        given, e.g. "withdrawn", instead of completed)."""
        with engine_time(now):
            self.wf.cancel()
        self.error = None
        self.cancelled_as = record_as

    def diagram_elements(self, process: str | None = None) -> tuple[set[str], set[str]]:
        """(current, completed) element ids of the top-level process (or of the called
        `process`, every run of it together) and its embedded sub-processes, as far as the live
        tree knows them (the finished history is pruned); a call activity is current while the
        process it calls runs."""
        top = process or self.wf.spec.name
        live = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR
        current, done = set(), set()
        for task in self.wf.get_tasks():
            bpmn_id = getattr(task.task_spec, "bpmn_id", None)
            if not bpmn_id or self._process_of(task) != top:
                continue
            if task.state & live:
                current.add(bpmn_id)
            elif task.state == TaskState.COMPLETED:
                done.add(bpmn_id)
        return current, done - current


# Finished tasks kept just above the live part of a pruned tree: the gateways and joins that
# look at a task's parent find it.
PRUNE_KEEP = 2
_LIVE = TaskState.NOT_FINISHED_MASK | TaskState.ERROR  # an ERROR task waits for its retry


def _prune_tree(top: BpmnWorkflow, workflow) -> None:
    """Drop what lies behind everything still live in `workflow`'s task tree.

    Below an anchor (at first the root), the live tasks (not finished, or failed and waiting
    for a retry) have a deepest common ancestor and everything else is finished. The tree keeps
    the anchor, the `PRUNE_KEEP` tasks above that ancestor, and the ancestor's subtree; the
    finished branches hanging off the kept path (the other arm of a parallel split, a finished
    multi-instance child, an event sub-process that ran) go with the rest. When the live tasks
    lie in several branches of the anchor, each branch is pruned the same way on its own (an
    event sub-process waiting beside the main flow). The specs of a dropped path are left on the
    first task kept below it (`pruned_path`, nearest first) for the parallel join's walk
    (`parser.CluedeskParallelGateway`)."""
    pending = [workflow.task_tree]
    while pending:
        pending.extend(_prune_below(top, workflow, pending.pop()))


def _prune_below(top: BpmnWorkflow, workflow, anchor) -> list:
    """Prune below `anchor`; return the anchors of branches still to prune."""
    live, finished = [], []
    for child in anchor.children:
        found, stack = [], [child]
        while stack:
            task = stack.pop()
            if task.state & _LIVE:
                found.append(task)
            stack.extend(task.children)
        if found:
            live.extend(found)
        else:
            finished.append(child)
    if not live:
        return []
    if finished and anchor.parent is None:
        # Finished branches beside the live one at the root: event sub-processes that ran.
        _drop(top, workflow, finished)
        anchor._children = [c for c in anchor._children if c not in {t.id for t in finished}]
    trunk = []  # anchor's child ... the deepest common ancestor of the live tasks
    task = live[0]
    while task is not anchor:
        trunk.append(task)
        task = task.parent
    trunk.reverse()
    depth = {t.id: i for i, t in enumerate(trunk)}
    for task in live[1:]:
        while task is not anchor and task.id not in depth:
            task = task.parent
        if task is anchor:
            return list(anchor.children)  # live in several branches: prune each
        del trunk[depth[task.id] + 1:]
        depth = {t.id: i for i, t in enumerate(trunk)}
    cut = max(0, len(trunk) - 1 - PRUNE_KEEP)
    dropped, kept_path = trunk[:cut], trunk[cut:]
    side = [child for parent, nxt in zip(kept_path, kept_path[1:], strict=False)
            for child in parent.children if child is not nxt]
    if not dropped and not side:
        return []
    keep = {t.id for t in kept_path}
    stack = [trunk[-1]]
    while stack:
        task = stack.pop()
        keep.add(task.id)
        stack.extend(task.children)
    if dropped:
        remembered = []
        for task in reversed(dropped):  # nearest first, each followed by what it remembered
            remembered.append(task.task_spec.name)
            remembered.extend(task.internal_data.get("pruned_path", ()))
        remembered.extend(kept_path[0].internal_data.get("pruned_path", ()))
        kept_path[0].internal_data["pruned_path"] = list(dict.fromkeys(remembered))
    for parent, nxt in zip(kept_path, kept_path[1:], strict=False):
        parent._children = [nxt.id]
    _drop(top, workflow, dropped[:1] + side, keep)
    anchor._children = [kept_path[0].id if c == (dropped[0].id if dropped else None) else c
                        for c in anchor._children]
    kept_path[0]._parent = anchor.id
    if workflow.last_task is not None and workflow.last_task.id not in workflow.tasks:
        workflow.last_task = None
    return []


def _task_in_traceback(exc: BaseException):
    """The task SpiffWorkflow was working on when a plain exception (a TypeError inside the
    library, say) escaped it: the innermost frame that holds one."""
    from SpiffWorkflow.task import Task
    found = None
    seen = 0
    while exc is not None and seen < 5:
        tb = exc.__traceback__
        while tb is not None:
            local = tb.tb_frame.f_locals
            for name in ("my_task", "task"):
                if isinstance(local.get(name), Task):
                    found = local[name]
            tb = tb.tb_next
        if found is not None:
            return found
        exc, seen = exc.__context__, seen + 1
    return None


def _drop(top: BpmnWorkflow, workflow, tasks: list, keep: set | None = None) -> None:
    """Forget `tasks` and their subtrees (except the tasks in `keep` and below them)."""
    gone, stack = [], list(tasks)
    while stack:
        task = stack.pop()
        if keep and task.id in keep:
            continue
        gone.append(task)
        stack.extend(task.children)
    for task in gone:  # while their parent tasks can still be found
        if task.id in top.subprocesses:
            top.delete_subprocess(task)
    for task in gone:
        workflow.tasks.pop(task.id, None)


def _plain(value: Any) -> Any:
    """Task data as JSON-safe values (datetimes as ISO strings)."""
    return json.loads(json.dumps(value, default=str))


__all__ = ["BpmnInvalid", "CompiledSpec", "ErrorView", "LRU", "NothingWaits", "Problem", "Run",
           "SERIALIZER_VERSION", "TaskNotReady", "TaskView", "TimerView", "checksum",
           "compile_spec", "engine_time"]
