"""Move a running workflow onto another version of its spec (SpiffWorkflow's own diff + migrate).

SpiffWorkflow aligns the old spec with the new one by element id (and, failing that, by
structure) and `migrate_workflow` swaps each task's spec and resets the branches of live tasks.
On top of that:

- an explicit mapping (old element id -> new element id) wins over the engine's alignment;
- a *live* task (ready, waiting, started or in error) must be aligned by id or by the mapping:
  a structural guess is not enough to move somebody's work, so such tasks are reported missing;
- ready tasks are reset (they get the new spec's form and properties); a waiting task keeps its
  evaluated timer unless its spec changed, then it is reset and re-armed on the next step;
- the result is serialized and loaded back against the target spec before anything is
  reported as possible, so a dry run says exactly what a real run would do.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from .adapter import CompiledSpec, Run, _serializer
from .engine_clock import engine_time

LIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class MigrationRefused(Exception):
    """The workflow cannot move: `missing` names the live elements the target lacks."""

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message)
        self.missing = missing


@dataclass
class MigrationPlan:
    missing: list[str] = field(default_factory=list)      # live elements the target lacks
    moved: dict[str, str] = field(default_factory=dict)   # live element -> target element
    reset: list[str] = field(default_factory=list)        # live elements reset on the target
    kept_timers: list[str] = field(default_factory=list)  # waiting timers keeping their due time


def _bpmn_id(spec) -> str | None:
    return getattr(spec, "bpmn_id", None)


def _diff(workflow, new_spec, mapping: dict[str, str], plan: MigrationPlan) -> WorkflowDiff:
    spec_diff = SpecDiff(_serializer.registry, workflow.spec, new_spec)
    by_id = {_bpmn_id(s): s for s in new_spec.task_specs.values() if _bpmn_id(s)}
    for old in list(spec_diff.alignment):
        old_id = _bpmn_id(old)
        if old_id in mapping:
            target = by_id.get(mapping[old_id])
            spec_diff.alignment[old] = target
            if target is not None:
                spec_diff.comparisons[old] = ["mapped"]
    live = workflow.get_tasks(state=LIVE, skip_subprocesses=True)
    for task in live:
        old = task.task_spec
        new = spec_diff.alignment.get(old)
        old_id = _bpmn_id(old)
        if new is None or (old_id not in mapping and new.name != old.name):
            if old_id and old_id not in plan.missing:
                plan.missing.append(old_id)
            spec_diff.alignment[old] = None
        elif old_id:
            plan.moved[old_id] = _bpmn_id(new) or new.name
    return WorkflowDiff(workflow, spec_diff)


def migrate(run: Run, target: CompiledSpec, mapping: dict[str, str] | None,
            now: datetime) -> tuple[Run, MigrationPlan]:
    """A new `Run` of `target` carrying `run`'s state; raise MigrationRefused naming the gaps."""
    with engine_time(now):  # resetting a timer evaluates it
        return _migrate(run, target, mapping)


def _migrate(run: Run, target: CompiledSpec, mapping: dict[str, str] | None):
    mapping = dict(mapping or {})
    plan = MigrationPlan()
    wf = run.wf
    diffs = [(wf, _diff(wf, target.spec, mapping, plan), target.spec)]
    for sub in wf.subprocesses.values():
        new_spec = target.subprocess_specs.get(sub.spec.name)
        if new_spec is None:
            for task in sub.get_tasks(state=LIVE, skip_subprocesses=True):
                plan.missing.append(_bpmn_id(task.task_spec) or task.task_spec.name)
            continue
        diffs.append((sub, _diff(sub, new_spec, mapping, plan), new_spec))
    if plan.missing:
        raise MigrationRefused("the target version lacks live elements "
                               f"{', '.join(sorted(plan.missing))}; map them to elements of the "
                               "target", sorted(plan.missing))
    for workflow, diff, new_spec in diffs:
        changed = {t for t in diff.changed}
        resets = []
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING,
                                       skip_subprocesses=True):
            if task.state == TaskState.READY or task in changed:
                resets.append(task)
                plan.reset.append(_bpmn_id(task.task_spec) or task.task_spec.name)
            else:
                plan.kept_timers.append(_bpmn_id(task.task_spec) or task.task_spec.name)
        migrate_workflow(diff, workflow, new_spec, reset_mask=TaskState.READY)
        for task in resets:
            if task.state == TaskState.WAITING and task.id in workflow.tasks:
                task.reset_branch(None)
    if wf.subprocess_specs is not None:
        wf.subprocess_specs = target.subprocess_specs
    moved = Run(target, wf, run.process_data)
    try:  # the state must load against the target exactly as it will after saving
        moved = Run.load(target, moved.dump())
    except Exception as exc:
        raise MigrationRefused(f"the migrated state does not load against the target: {exc}",
                               []) from None
    return moved, plan
